"""``email.dkim``: each known selector publishes a usable, strong public key (RFC 6376 §3.6.1, RFC 8463).

Selectors cannot be discovered from DNS (a ``_domainkey`` NOERROR probe breaks on wildcards
and non-RFC 8020 servers), so only the spec's selectors are checked; none known = skipped.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.hazmat.primitives.serialization import load_der_public_key

from launchready.verify.dnsclient import DnsAnswer
from launchready.verify.mail._result import SEVERITY, parse_tags
from launchready.verify.mail.collect import Collector, DnsQuery, Gathered, name_key
from launchready.verify.mail.expectation import DkimSelector, EmailExpectation
from launchready.verify.model import CheckResult, Status
from launchready.verify.results import result

CHECK_ID = "email.dkim"
RSA_FAIL_BELOW = 1024
RSA_PASS_FROM = 2048


def selector_name(selector: str, domain: str) -> str:
    return f"{selector}._domainkey.{domain}"


def collector(selectors: tuple[DkimSelector, ...]) -> Callable[[Gathered], Collector]:
    def collect(store: Gathered) -> Collector:
        names = [selector_name(s.selector, store.domain) for s in selectors]
        yield [DnsQuery(n, rdtype) for n in names for rdtype in ("TXT", "CNAME")]
        # A resolver that does not chase the alias returns no TXT: ask the target itself.
        targets = []
        for name in names:
            cname = store.answer(name, "CNAME")
            if cname.records and not store.answer(name, "TXT").records:
                targets.append(DnsQuery(name_key(cname.records[0]), "TXT"))
        if targets:
            yield targets

    return collect


@dataclass(frozen=True, slots=True)
class KeyVerdict:
    status: Status
    summary: str
    fix: str
    evidence: dict[str, Any]


def check_key(record: str) -> KeyVerdict:
    """Judge one DKIM TXT record: tags, revocation, key type and strength. Pure."""
    pairs, bad = parse_tags(record)
    tags = dict(pairs)
    evidence: dict[str, Any] = {"key_type": tags.get("k", "rsa")}
    if bad:
        return KeyVerdict(
            Status.FAIL, f"malformed tag(s) {bad}", "publish 'v=DKIM1; k=rsa; p=<base64 key>'", evidence
        )
    if "v" in tags and (pairs[0][0] != "v" or tags["v"] != "DKIM1"):
        return KeyVerdict(
            Status.FAIL, "v= must be the first tag and equal DKIM1", "start the record with v=DKIM1", evidence
        )
    if "p" not in tags:
        return KeyVerdict(Status.FAIL, "no p= (public key) tag", "publish the public key in p=", evidence)
    compact = "".join(tags["p"].split())
    if not compact:
        return KeyVerdict(
            Status.FAIL, "key revoked (empty p=)", "publish the active key for this selector", evidence
        )
    try:
        raw = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return KeyVerdict(
            Status.FAIL, "p= is not valid base64", "republish the key exactly as issued", evidence
        )
    key_type = tags.get("k", "rsa").lower()
    if key_type == "ed25519":
        try:
            ed25519.Ed25519PublicKey.from_public_bytes(raw)
        except ValueError:
            return KeyVerdict(
                Status.FAIL,
                f"p= is not a 32-byte ed25519 key ({len(raw)} bytes)",
                "republish the ed25519 key exactly as issued",
                evidence,
            )
        evidence["bits"] = 256
        return KeyVerdict(Status.PASS, "ed25519 key", "", evidence)
    if key_type != "rsa":
        return KeyVerdict(Status.FAIL, f"unknown key type k={key_type}", "use k=rsa or k=ed25519", evidence)
    try:
        key = load_der_public_key(raw)
    except (ValueError, UnsupportedAlgorithm):
        return KeyVerdict(
            Status.FAIL,
            "p= does not hold a valid RSA public key",
            "republish the key exactly as issued",
            evidence,
        )
    if not isinstance(key, rsa.RSAPublicKey):
        return KeyVerdict(Status.FAIL, "k=rsa but p= holds a non-RSA key", "fix k= or the key", evidence)
    bits = key.key_size
    evidence["bits"] = bits
    rotate = f"rotate to a {RSA_PASS_FROM}-bit RSA (or ed25519) key"
    if bits < RSA_FAIL_BELOW:
        return KeyVerdict(Status.FAIL, f"RSA key is {bits} bits (< {RSA_FAIL_BELOW})", rotate, evidence)
    if bits < RSA_PASS_FROM:
        return KeyVerdict(Status.WARN, f"RSA key is {bits} bits (< {RSA_PASS_FROM})", rotate, evidence)
    if "y" in tags.get("t", "").split(":"):
        return KeyVerdict(
            Status.WARN, f"RSA {bits}-bit key in testing mode (t=y)", "remove t=y once verified", evidence
        )
    return KeyVerdict(Status.PASS, f"RSA {bits}-bit key", "", evidence)


def _selector_verdict(store: Gathered, expected: DkimSelector) -> KeyVerdict:
    name = selector_name(expected.selector, store.domain)
    txt = store.answer(name, "TXT")
    cname = store.answer(name, "CNAME")
    evidence: dict[str, Any] = {"name": name}
    if cname.records:
        evidence["cname"] = cname.records[0]
    if expected.cname and cname.ok and name_key(evidence.get("cname", "")) != name_key(expected.cname):
        evidence["expected_cname"] = expected.cname
        return KeyVerdict(
            Status.FAIL,
            f"CNAME points to {evidence.get('cname') or 'nothing'}",
            f"publish {name} CNAME {expected.cname}",
            evidence,
        )
    if not txt.records and cname.records:
        txt = store.answer(cname.records[0], "TXT")
    if not txt.ok:
        return _error(txt, evidence)
    keys = [r for r in txt.records if r.lstrip().startswith("v=DKIM1") or "p=" in r]
    if not keys:
        return KeyVerdict(
            Status.FAIL, "no DKIM key published", f"publish the selector's key at {name}", evidence
        )
    if len(keys) > 1:
        evidence["records"] = len(keys)
        return KeyVerdict(
            Status.FAIL, f"{len(keys)} DKIM records", "keep exactly one key record per selector", evidence
        )
    verdict = check_key(keys[0])
    evidence.update(verdict.evidence)
    published = "".join(dict(parse_tags(keys[0])[0]).get("p", "").split())
    if verdict.status is Status.PASS and expected.public_key and published != expected.public_key:
        return KeyVerdict(
            Status.WARN,
            "published key differs from the spec's",
            "publish the spec's key or update the spec",
            evidence,
        )
    return KeyVerdict(verdict.status, verdict.summary, verdict.fix, evidence)


def _error(answer: DnsAnswer, evidence: dict[str, Any]) -> KeyVerdict:
    reason = answer.rcode.value + (f" ({answer.error})" if answer.error else "")
    return KeyVerdict(Status.ERROR, f"lookup failed: {reason}", "retry; check the name servers", evidence)


def evaluate(store: Gathered, expect: EmailExpectation) -> CheckResult:
    if not expect.dkim_selectors:
        if expect.sends_mail is False:
            return result(CHECK_ID, Status.SKIPPED, "skipped: the domain sends no mail")
        return result(
            CHECK_ID,
            Status.SKIPPED,
            "skipped: no DKIM selector known (selectors cannot be discovered from DNS)",
            {},
            "list the selectors in the stack's email.dkim",
        )
    verdicts = {s.selector: _selector_verdict(store, s) for s in expect.dkim_selectors}
    worst_selector = max(verdicts, key=lambda s: SEVERITY[verdicts[s].status])
    worst = verdicts[worst_selector]
    evidence = {
        "selectors": {
            s: {"status": v.status.value, "summary": v.summary, **v.evidence} for s, v in verdicts.items()
        }
    }
    if worst.status is Status.PASS:
        summary = "; ".join(f"{s}: {v.summary}" for s, v in verdicts.items())
        return result(CHECK_ID, Status.PASS, summary, evidence)
    return result(CHECK_ID, worst.status, f"selector {worst_selector}: {worst.summary}", evidence, worst.fix)

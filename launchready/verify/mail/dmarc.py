"""``email.dmarc``: one valid ``_dmarc`` record enforcing at least the spec's policy (RFC 7489)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from launchready.verify.mail._result import dns_error, parse_tags
from launchready.verify.mail.collect import Collector, DnsQuery, Gathered
from launchready.verify.mail.expectation import POLICY_RANK, EmailExpectation
from launchready.verify.model import CheckResult, Status
from launchready.verify.results import result

CHECK_ID = "email.dmarc"
_MAILTO = re.compile(r"^mailto:[^@\s,;]+@[^@\s,;]+\.[^@\s,;!]+(?:![0-9]+[kmgt]?)?$", re.I)
_VALUES: dict[str, re.Pattern[str]] = {
    "p": re.compile(r"^(none|quarantine|reject)$"),
    "sp": re.compile(r"^(none|quarantine|reject)$"),
    "np": re.compile(r"^(none|quarantine|reject)$"),
    "adkim": re.compile(r"^[rs]$"),
    "aspf": re.compile(r"^[rs]$"),
    "pct": re.compile(r"^(100|[1-9]?[0-9])$"),
    "fo": re.compile(r"^[01ds](:[01ds])*$"),
    "rf": re.compile(r"^(afrf|iodef)(:(afrf|iodef))*$"),
    "ri": re.compile(r"^[0-9]{1,10}$"),
    "psd": re.compile(r"^[ynu]$"),
    "t": re.compile(r"^[yn]$"),
}
"""RFC 7489 tags plus DMARCbis' np/psd/t; unknown tags are ignored, as receivers do."""


def name(domain: str) -> str:
    return f"_dmarc.{domain}"


def collect(store: Gathered) -> Collector:
    yield [DnsQuery(name(store.domain), "TXT")]
    records = _dmarc_records(store.answer(name(store.domain), "TXT").records)
    if len(records) == 1:
        checks = [DnsQuery(n, "TXT") for n in _authorisation_names(store.domain, parse(records[0]))]
        if checks:
            yield checks


def _dmarc_records(records: tuple[str, ...]) -> list[str]:
    return [r for r in records if re.match(r"^v\s*=\s*DMARC1\s*(;|$)", r)]


def _authorisation_names(domain: str, record: DmarcRecord) -> list[str]:
    """RFC 7489 §7.1: a report address outside the domain must consent at
    ``<domain>._report._dmarc.<its domain>``."""
    names = []
    for uri in record.rua:
        target = _address(uri).rpartition("@")[2].rstrip(".")
        if target and target != domain and not target.endswith("." + domain):
            names.append(f"{domain}._report._dmarc.{target}")
    return list(dict.fromkeys(names))


@dataclass
class DmarcRecord:
    tags: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    @property
    def rua(self) -> list[str]:
        return [uri.strip() for uri in self.tags.get("rua", "").split(",") if uri.strip()]


def parse(text: str) -> DmarcRecord:
    """Tag syntax per RFC 7489 §6.4: v first, p required, known values only, mailto: report URIs."""
    pairs, bad = parse_tags(text)
    record = DmarcRecord()
    record.errors += [f"malformed tag {part!r}" for part in bad]
    if not pairs or pairs[0] != ("v", "DMARC1"):
        record.errors.append("v=DMARC1 must be the first tag")
    for key, value in pairs:
        key = key.lower()
        if key in record.tags:
            record.errors.append(f"{key}= appears twice")
            continue
        record.tags[key] = value
        if key in _VALUES and not _VALUES[key].match(value.lower() if key != "pct" else value):
            record.errors.append(f"invalid {key}={value}")
        elif key in ("rua", "ruf"):
            record.errors += [
                f"{key}: {uri!r} is not a mailto: URI"
                for uri in value.split(",")
                if not _MAILTO.match(uri.strip())
            ]
        elif key not in _VALUES and key not in ("v", "rua", "ruf"):
            record.unknown.append(key)
    if "p" not in record.tags:
        record.errors.append("p= (policy) is required")
    return record


def _address(uri: str) -> str:
    return uri.lower().removeprefix("mailto:").split("!", 1)[0]


def evaluate(store: Gathered, expect: EmailExpectation) -> CheckResult:
    qname = name(store.domain)
    answer = store.answer(qname, "TXT")
    if not answer.ok:
        return dns_error(CHECK_ID, answer, qname)
    records = _dmarc_records(answer.records)
    wanted = expect.dmarc_policy
    if not records:
        return result(
            CHECK_ID,
            Status.FAIL,
            f"no DMARC record at {qname}",
            {"name": qname},
            f"publish TXT {qname}: v=DMARC1; p={wanted}; rua=mailto:<reports address>",
        )
    if len(records) > 1:
        return result(
            CHECK_ID,
            Status.FAIL,
            f"{len(records)} DMARC records: receivers apply none",
            {"records": records},
            "keep exactly one v=DMARC1 record",
        )
    record = parse(records[0])
    evidence: dict[str, Any] = {"record": records[0], "policy": record.tags.get("p")}
    if record.errors:
        evidence["errors"] = record.errors
        return result(
            CHECK_ID,
            Status.FAIL,
            "invalid DMARC record: " + "; ".join(record.errors),
            evidence,
            f"publish v=DMARC1; p={wanted}; rua=mailto:<reports address> with valid tags",
        )
    policy = record.tags["p"].lower()
    subdomain = record.tags.get("sp", policy).lower()
    evidence["subdomain_policy"] = subdomain
    evidence["pct"] = int(record.tags.get("pct", "100"))
    evidence["rua"] = record.rua
    if record.unknown:
        evidence["unknown_tags"] = record.unknown
    if POLICY_RANK[policy] < POLICY_RANK[wanted]:
        return result(
            CHECK_ID, Status.FAIL, f"DMARC p={policy} is weaker than p={wanted}", evidence, f"set p={wanted}"
        )
    wanted_sp = expect.dmarc_subdomain_policy
    if wanted_sp and POLICY_RANK[subdomain] < POLICY_RANK[wanted_sp]:
        return result(
            CHECK_ID,
            Status.FAIL,
            f"DMARC subdomain policy {subdomain} is weaker than {wanted_sp}",
            evidence,
            f"set sp={wanted_sp}",
        )
    if expect.dmarc_rua_required and not record.rua:
        return result(
            CHECK_ID,
            Status.FAIL,
            "DMARC has no rua=: nobody receives aggregate reports",
            evidence,
            "add rua=mailto:<reports address>",
        )
    missing = [a for a in expect.dmarc_rua if _address(a) not in {_address(u) for u in record.rua}]
    if missing:
        evidence["missing_rua"] = missing
        return result(
            CHECK_ID,
            Status.WARN,
            "DMARC rua lacks the spec's addresses: " + ", ".join(missing),
            evidence,
            "add them to rua=",
        )
    refused = [
        auth.removeprefix(f"{store.domain}._report._dmarc.")
        for auth in _authorisation_names(store.domain, record)
        if store.answer(auth, "TXT").ok and not _dmarc_records(store.answer(auth, "TXT").records)
    ]
    if refused:
        evidence["unauthorised_rua_domains"] = refused
        return result(
            CHECK_ID,
            Status.WARN,
            "rua domain(s) have not agreed to receive reports: " + ", ".join(refused),
            evidence,
            f"ask them to publish TXT {store.domain}._report._dmarc.<their domain>: v=DMARC1",
        )
    if policy == "none":
        return result(
            CHECK_ID,
            Status.WARN,
            "DMARC p=none only monitors: spoofed mail is still delivered",
            evidence,
            "move to p=quarantine, then p=reject",
        )
    if evidence["pct"] < 100:
        return result(
            CHECK_ID,
            Status.WARN,
            f"DMARC applies to {evidence['pct']}% of failing mail",
            evidence,
            "remove pct= (or set pct=100)",
        )
    if subdomain == "none":
        return result(
            CHECK_ID, Status.WARN, "DMARC sp=none leaves subdomains spoofable", evidence, f"set sp={policy}"
        )
    return result(
        CHECK_ID, Status.PASS, f"DMARC p={policy}, sp={subdomain}, reports to {len(record.rua)} rua", evidence
    )

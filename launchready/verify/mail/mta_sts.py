"""``email.mta_sts``: the ``_mta-sts`` TXT id and a policy file that parses and covers every MX (RFC 8461)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from launchready.verify.mail import mx
from launchready.verify.mail._result import absent, dns_error, parse_tags
from launchready.verify.mail.collect import Collector, DnsQuery, Gathered, HttpFetch
from launchready.verify.mail.expectation import EmailExpectation
from launchready.verify.model import CheckResult, Status
from launchready.verify.results import result

CHECK_ID = "email.mta_sts"
MAX_AGE_LIMIT = 31_557_600
MIN_SENSIBLE_MAX_AGE = 86_400
_MODE_RANK = {"none": 0, "testing": 1, "enforce": 2}
_ID = re.compile(r"^[A-Za-z0-9]{1,32}$")


def name(domain: str) -> str:
    return f"_mta-sts.{domain}"


def policy_url(domain: str) -> str:
    return f"https://mta-sts.{domain}/.well-known/mta-sts.txt"


def _sts_records(records: tuple[str, ...]) -> list[str]:
    return [r for r in records if re.match(r"^v=STSv1\s*(;|$)", r)]


def collect(store: Gathered) -> Collector:
    yield [DnsQuery(name(store.domain), "TXT")]
    if _sts_records(store.answer(name(store.domain), "TXT").records):
        yield [HttpFetch(policy_url(store.domain))]


@dataclass
class Policy:
    fields: dict[str, str] = field(default_factory=dict)
    mx: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def parse_policy(body: str) -> Policy:
    """RFC 8461 §3.2: ``key: value`` lines; version STSv1, mode, max_age, mx (repeatable)."""
    policy = Policy()
    for line in re.split(r"\r?\n", body):
        if not line.strip():
            continue
        key, colon, value = line.partition(":")
        if not colon:
            policy.errors.append(f"malformed line {line[:60]!r}")
            continue
        key, value = key.strip(), value.strip()
        if key == "mx":
            policy.mx.append(value.lower().rstrip("."))
        elif key in policy.fields:
            policy.errors.append(f"{key} appears twice")
        else:
            policy.fields[key] = value
    if policy.fields.get("version") != "STSv1":
        policy.errors.append("version: STSv1 is required")
    mode = policy.fields.get("mode")
    if mode not in _MODE_RANK:
        policy.errors.append(f"mode must be enforce, testing or none (got {mode!r})")
    max_age = policy.fields.get("max_age", "")
    if not max_age.isdigit() or int(max_age) > MAX_AGE_LIMIT:
        policy.errors.append(f"max_age must be 0..{MAX_AGE_LIMIT} seconds (got {max_age!r})")
    if mode != "none" and not policy.mx:
        policy.errors.append("at least one mx: line is required")
    return policy


def mx_matches(host: str, pattern: str) -> bool:
    """An exact name, or ``*.example.com`` matching exactly one more leftmost label."""
    host, pattern = host.lower().rstrip("."), pattern.lower()
    if pattern.startswith("*."):
        head, _, rest = host.partition(".")
        return bool(head) and rest == pattern[2:]
    return host == pattern


def evaluate(store: Gathered, expect: EmailExpectation) -> CheckResult:
    domain = store.domain
    qname = name(domain)
    answer = store.answer(qname, "TXT")
    if not answer.ok:
        return dns_error(CHECK_ID, answer, qname)
    records = _sts_records(answer.records)
    fix = f"publish TXT {qname}: v=STSv1; id=<policy id> and serve {policy_url(domain)}"
    if not records:
        null_mx = mx.accepts_no_mail(store)
        return absent(CHECK_ID, expect.mta_sts, "no MTA-STS record", {"name": qname}, fix, null_mx=null_mx)
    if len(records) > 1:
        return result(
            CHECK_ID,
            Status.FAIL,
            f"{len(records)} MTA-STS records: senders treat that as no policy",
            {"records": records},
            "keep exactly one v=STSv1 record",
        )
    tags = dict(parse_tags(records[0])[0])
    evidence: dict[str, Any] = {"record": records[0], "url": policy_url(domain)}
    if not _ID.match(tags.get("id", "")):
        return result(
            CHECK_ID,
            Status.FAIL,
            "MTA-STS record lacks a valid id= (1-32 letters/digits)",
            evidence,
            "set id= to a new alphanumeric value whenever the policy changes",
        )
    fetched = store.fetched(policy_url(domain))
    if isinstance(fetched, str):
        evidence["error"] = fetched
        return result(
            CHECK_ID,
            Status.ERROR,
            f"could not fetch the MTA-STS policy: {fetched}",
            evidence,
            f"serve {policy_url(domain)} over HTTPS with a valid certificate",
        )
    status, body = fetched
    evidence["http_status"] = status
    if status != 200:
        return result(
            CHECK_ID,
            Status.FAIL,
            f"the MTA-STS policy answers HTTP {status}",
            evidence,
            f"serve the policy at {policy_url(domain)} with status 200",
        )
    policy = parse_policy(body)
    evidence.update(
        mode=policy.fields.get("mode"), max_age=policy.fields.get("max_age"), mx_patterns=policy.mx
    )
    if policy.errors:
        evidence["errors"] = policy.errors
        return result(
            CHECK_ID,
            Status.FAIL,
            "invalid MTA-STS policy: " + "; ".join(policy.errors),
            evidence,
            "fix the policy file (RFC 8461 §3.2)",
        )
    mode = policy.fields["mode"]
    mx_answer = store.answer(domain, "MX")
    if mode != "none":
        if not mx_answer.ok:
            return dns_error(CHECK_ID, mx_answer, f"the MX records of {domain}")
        uncovered = [h for h in mx.hosts(mx_answer) if not any(mx_matches(h, p) for p in policy.mx)]
        if uncovered:
            evidence["uncovered_mx"] = uncovered
            return result(
                CHECK_ID,
                Status.FAIL,
                "MTA-STS policy does not cover MX host(s): " + ", ".join(uncovered),
                evidence,
                "add mx: lines for " + ", ".join(uncovered) + " and change the TXT id=",
            )
    wanted = expect.mta_sts_mode
    if wanted and _MODE_RANK[mode] < _MODE_RANK[wanted]:
        return result(
            CHECK_ID,
            Status.FAIL,
            f"MTA-STS mode {mode}, the spec asks for {wanted}",
            evidence,
            f"set mode: {wanted} and change the TXT id=",
        )
    if mode != "enforce" and wanted != mode:
        return result(
            CHECK_ID,
            Status.WARN,
            f"MTA-STS mode {mode}: TLS is not enforced",
            evidence,
            "set mode: enforce once TLS-RPT reports are clean",
        )
    if int(policy.fields["max_age"]) < MIN_SENSIBLE_MAX_AGE:
        return result(
            CHECK_ID,
            Status.WARN,
            f"MTA-STS max_age {policy.fields['max_age']}s is under a day",
            evidence,
            "set max_age to a week or more (604800)",
        )
    if expect.mta_sts_id and tags["id"] != expect.mta_sts_id:
        return result(
            CHECK_ID,
            Status.WARN,
            f"MTA-STS id={tags['id']}, the spec says {expect.mta_sts_id}",
            evidence,
            "publish the spec's id or update the spec",
        )
    return result(CHECK_ID, Status.PASS, f"MTA-STS {mode}, policy covers every MX host", evidence)

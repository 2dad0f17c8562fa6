"""``email.tls_rpt``: one ``v=TLSRPTv1`` record at ``_smtp._tls`` with report destinations (RFC 8460)."""

from __future__ import annotations

import re
from typing import Any

from launchready.verify.mail import mx
from launchready.verify.mail._result import absent, dns_error, parse_tags
from launchready.verify.mail.collect import Collector, DnsQuery, Gathered
from launchready.verify.mail.expectation import EmailExpectation
from launchready.verify.model import CheckResult, Status
from launchready.verify.results import result

CHECK_ID = "email.tls_rpt"
_URI = re.compile(r"^(mailto:[^@\s]+@[^@\s]+\.[^@\s]+|https://[^\s]+)$", re.I)


def name(domain: str) -> str:
    return f"_smtp._tls.{domain}"


def collect(store: Gathered) -> Collector:
    yield [DnsQuery(name(store.domain), "TXT")]


def evaluate(store: Gathered, expect: EmailExpectation) -> CheckResult:
    qname = name(store.domain)
    answer = store.answer(qname, "TXT")
    if not answer.ok:
        return dns_error(CHECK_ID, answer, qname)
    records = [r for r in answer.records if re.match(r"^v=TLSRPTv1\s*(;|$)", r)]
    fix = f"publish TXT {qname}: v=TLSRPTv1; rua=mailto:<reports address>"
    if not records:
        null_mx = mx.accepts_no_mail(store)
        return absent(CHECK_ID, expect.tls_rpt, "no TLS-RPT record", {"name": qname}, fix, null_mx=null_mx)
    if len(records) > 1:
        return result(
            CHECK_ID,
            Status.FAIL,
            f"{len(records)} TLS-RPT records",
            {"records": records},
            "keep exactly one v=TLSRPTv1 record",
        )
    pairs, bad = parse_tags(records[0])
    tags = dict(pairs)
    rua = [u.strip() for u in tags.get("rua", "").split(",") if u.strip()]
    evidence: dict[str, Any] = {"record": records[0], "rua": rua}
    problems = [f"malformed tag {b!r}" for b in bad]
    if not rua:
        problems.append("rua= is required")
    problems += [f"{u!r} is not a mailto: or https: URI" for u in rua if not _URI.match(u)]
    if problems:
        evidence["errors"] = problems
        return result(CHECK_ID, Status.FAIL, "invalid TLS-RPT record: " + "; ".join(problems), evidence, fix)
    missing = [u for u in expect.tls_rpt_rua if u.lower() not in {r.lower() for r in rua}]
    if missing:
        evidence["missing_rua"] = missing
        return result(
            CHECK_ID,
            Status.WARN,
            "TLS-RPT rua lacks the spec's destinations",
            evidence,
            "add " + ", ".join(missing) + " to rua=",
        )
    return result(CHECK_ID, Status.PASS, f"TLS-RPT reports to {len(rua)} destination(s)", evidence)

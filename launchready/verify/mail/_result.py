"""Building mail CheckResults: category and level always come from the catalogue."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from launchready.verify.dnsclient import DnsAnswer
from launchready.verify.model import CheckResult, Status
from launchready.verify.results import result

SEVERITY = {Status.PASS: 0, Status.SKIPPED: 0, Status.WARN: 1, Status.ERROR: 2, Status.FAIL: 3}


def dns_error(check_id: str, answer: DnsAnswer, what: str) -> CheckResult:
    """A query that got no authoritative answer: ERROR with the reason, never FAIL."""
    reason = answer.rcode.value + (f" ({answer.error})" if answer.error else "")
    return result(
        check_id,
        Status.ERROR,
        f"could not look up {what}: {reason}",
        {"query": f"{answer.name} {answer.rdtype}", "rcode": answer.rcode.value, "error": answer.error},
        "retry; if it persists, check the domain's name servers answer this query",
    )


def parse_tags(text: str) -> tuple[list[tuple[str, str]], list[str]]:
    """``k=v; k=v`` tag lists (DKIM, DMARC, MTA-STS, TLS-RPT): pairs in order, and malformed parts."""
    pairs: list[tuple[str, str]] = []
    bad: list[str] = []
    for part in text.split(";"):
        part = part.strip()
        if not part:
            continue
        key, eq, value = part.partition("=")
        if not eq or not key.strip():
            bad.append(part)
            continue
        pairs.append((key.strip(), value.strip()))
    return pairs, bad


def absent(
    check_id: str,
    expected: bool | None,
    summary: str,
    evidence: Mapping[str, Any],
    fix: str,
    *,
    null_mx: bool,
) -> CheckResult:
    """Missing optional mail hardening: fail when the spec asks for it, skip when nothing needs it."""
    if expected is True:
        return result(check_id, Status.FAIL, summary, evidence, fix)
    if null_mx and expected is None:
        return result(check_id, Status.SKIPPED, f"{summary} (the domain accepts no mail: null MX)", evidence)
    if expected is False:
        return result(check_id, Status.SKIPPED, f"{summary} (the spec does not ask for it)", evidence)
    return result(check_id, Status.WARN, summary, evidence, fix)

"""Result constructors named by intent; category and level always come from the catalogue."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from launchready.verify.catalogue import info
from launchready.verify.model import CheckResult, Status


def result(check_id: str, status: Status, summary: str, evidence: Mapping[str, Any] | None = None,
           fix: str = "", target: str = "") -> CheckResult:
    row = info(check_id)
    return CheckResult(check_id, row.category, row.level, status, summary, dict(evidence or {}),
                       fix if status is not Status.PASS else "", target)


def passed(check_id: str, summary: str, evidence: Mapping[str, Any] | None = None) -> CheckResult:
    return result(check_id, Status.PASS, summary, evidence)


def warned(check_id: str, summary: str, evidence: Mapping[str, Any] | None, fix: str) -> CheckResult:
    return result(check_id, Status.WARN, summary, evidence, fix)


def failed(check_id: str, summary: str, evidence: Mapping[str, Any] | None, fix: str) -> CheckResult:
    return result(check_id, Status.FAIL, summary, evidence, fix)


def errored(check_id: str, reason: str, evidence: Mapping[str, Any] | None = None) -> CheckResult:
    """Could not observe: a timeout or unreachable server, never a verdict on the site."""
    return result(check_id, Status.ERROR, f"could not check: {reason}", evidence,
                  "re-run; if it persists, check that the name server or web server answers")


def skipped(check_id: str, reason: str) -> CheckResult:
    return result(check_id, Status.SKIPPED, reason)

"""What a scan reports: where a secret is and a redacted view of it, never the value itself.

A ``Finding`` has no field that could hold the raw secret, so no renderer (table, JSON,
JUnit, handover report) can leak one by accident.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from launchready.redact import redact


class Severity(StrEnum):
    CRITICAL = "critical"
    """A live credential that grants access (live Stripe key, service-role JWT, private key)."""
    HIGH = "high"
    """A secret that should not be there but may be limited (webhook secret, generic password)."""
    WARNING = "warning"
    """A test-mode credential: not a production breach, still not for a public bundle or repo."""


SEVERITY_ORDER = {Severity.CRITICAL: 0, Severity.HIGH: 1, Severity.WARNING: 2}


def fingerprint(secret: str) -> str:
    """Match the same secret across files, URLs and commits without revealing it."""
    return hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Finding:
    rule_id: str
    description: str
    severity: Severity
    source: str
    """File path, URL, or ``path -> original source`` for a source map's sourcesContent."""
    line: int
    """1-based line in ``source`` (in the commit's version of the file for history findings)."""
    redacted: str
    """``launchready.redact.redact`` of the secret: a short prefix and a hash, never the whole."""
    fingerprint: str
    commit: str = ""
    """The commit that added the secret, for git-history findings."""
    allowed: str = ""
    """Why an allowlist accepts this finding (inline marker, allow-file reason, baseline); "" if it counts."""

    @classmethod
    def of(
        cls, *, rule_id: str, description: str, severity: Severity, source: str, line: int, secret: str
    ) -> Finding:
        """Build a finding from a raw secret, keeping only its redacted form and fingerprint."""
        return cls(
            rule_id=rule_id,
            description=description,
            severity=severity,
            source=source,
            line=line,
            redacted=redact(secret),
            fingerprint=fingerprint(secret),
        )

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "rule_id": self.rule_id,
            "description": self.description,
            "severity": str(self.severity),
            "source": self.source,
            "line": self.line,
            "redacted": self.redacted,
            "fingerprint": self.fingerprint,
        }
        if self.commit:
            data["commit"] = self.commit
        if self.allowed:
            data["allowed"] = self.allowed
        return data


@dataclass(frozen=True, slots=True)
class ScanReport:
    """Findings plus what was covered, so a clean result can be told from a skipped one."""

    findings: tuple[Finding, ...] = ()
    scanned: int = 0
    """Files (tree) or commits (history) scanned."""
    bytes_scanned: int = 0
    skipped: tuple[str, ...] = ()
    """``path: reason`` for each file left out (binary, too big, cap reached)."""
    errors: tuple[str, ...] = ()
    """Parts that could not be scanned at all (git missing, timeout, unreadable)."""
    truncated: bool = False
    """A byte, file or time cap stopped the scan before the end."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "findings": [f.to_dict() for f in self.findings],
            "scanned": self.scanned,
            "bytes_scanned": self.bytes_scanned,
            "skipped": list(self.skipped),
            "errors": list(self.errors),
            "truncated": self.truncated,
        }


def sort_findings(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (SEVERITY_ORDER[f.severity], f.source, f.line, f.rule_id))

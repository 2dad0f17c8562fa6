"""Results are frozen data; rendering is separate (the sslyze / Observatory model).

Every check, web, mail, TLS, app probe or Cloudflare state, produces ``CheckResult``s.
Failures to observe are ``ERROR`` with a reason, never ``FAIL``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    ERROR = "error"
    SKIPPED = "skipped"


class Level(StrEnum):
    REQUIRED = "required"
    """A FAIL makes the run exit 1."""
    ADVISORY = "advisory"
    """Reported, never gates a pipeline."""


class Category(StrEnum):
    """Scorecard rows: the seed checklist's scorecard plus the Cloudflare/DNS/TLS rows."""

    AUTH = "Auth on all sensitive APIs"
    SECRETS = "Secrets kept server-side"
    INPUT = "Input validation on chat and tools"
    RATE_LIMIT = "Rate limiting enabled"
    CORS = "CORS locked down"
    WEBHOOKS = "Webhook verification active"
    LOGGING = "Logging redacts PII and secrets"
    MONITORING = "Monitoring alerts configured"
    EMAIL = "SPF/DKIM/DMARC passing"
    BACKUP = "Backup rollback path exists"
    DNS = "DNS resolves correctly"
    TLS = "SSL/TLS valid and modern"
    REDIRECTS = "HTTPS and canonical redirects"
    HEADERS = "Security headers and cookies"
    CLOUDFLARE = "Cloudflare configured as specified"


@dataclass(frozen=True, slots=True)
class CheckResult:
    id: str
    """Stable ``area.name`` id from the catalogue, e.g. ``tls.certificate``."""
    category: Category
    level: Level
    status: Status
    summary: str
    """One line a person reads first."""
    evidence: Mapping[str, Any] = field(default_factory=dict)
    """The observed values, JSON-serialisable; never a secret in full (use launchready.redact)."""
    fix: str = ""
    """One line: what to change. Empty when the check passed."""
    target: str = ""
    """What was checked when a check runs per host/address/route, e.g. ``www.example.com@192.0.2.1``."""

    @property
    def gates(self) -> bool:
        """True when this result should fail a pipeline."""
        return self.level is Level.REQUIRED and self.status is Status.FAIL

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "category": self.category.value,
            "level": self.level.value,
            "status": self.status.value,
            "summary": self.summary,
            "evidence": dict(self.evidence),
            "fix": self.fix,
        }
        if self.target:
            out["target"] = self.target
        return out

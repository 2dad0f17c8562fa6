"""The live state of one Cloudflare zone, as plain frozen data.

The reader fills these from the API; drift, verify, adopt and backup only ever see these
types, never SDK models, so they can be built by hand in tests and compared with ``==``.
Names are fully qualified, lower case, without a trailing dot (as ``PlannedRecord``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

HealthStatus = Literal["healthy", "unhealthy", "unknown"]


@dataclass(frozen=True, slots=True)
class Zone:
    id: str
    name: str
    status: str
    """``active``, ``pending``, ``initializing``, ``moved`` …"""
    plan: str
    """``free``, ``pro``, ``business`` or ``enterprise`` (from the plan's legacy id)."""
    account_id: str | None = None
    name_servers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DnsRecord:
    id: str
    name: str
    type: str
    content: str
    """For CAA the presentation form ``0 issue "ca.example"``; ``data`` carries the fields."""
    ttl: int = 1
    proxied: bool = False
    priority: int | None = None
    data: Mapping[str, Any] | None = None
    comment: str = ""

    @property
    def identity(self) -> tuple[str, str, str, int | None]:
        """Same shape as ``PlannedRecord.identity`` so live and desired records match up."""
        return (self.name, self.type, self.content.lower(), self.priority)


@dataclass(frozen=True, slots=True)
class RulesetRule:
    id: str
    ref: str
    action: str
    expression: str
    description: str = ""
    enabled: bool = True
    action_parameters: Mapping[str, Any] | None = None
    ratelimit: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Ruleset:
    id: str
    phase: str
    name: str = ""
    kind: str = "zone"
    rules: tuple[RulesetRule, ...] = ()

    def rule(self, ref: str) -> RulesetRule | None:
        return next((r for r in self.rules if r.ref == ref), None)


@dataclass(frozen=True, slots=True)
class HttpConfig:
    path: str = "/"
    expected_codes: tuple[str, ...] = ()
    method: str = "GET"
    expected_body: str = ""
    port: int | None = None
    header: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    follow_redirects: bool = False
    allow_insecure: bool = False


@dataclass(frozen=True, slots=True)
class HealthCheck:
    id: str
    name: str
    address: str
    type: str
    """``HTTP``, ``HTTPS`` or ``TCP``."""
    status: HealthStatus = "unknown"
    suspended: bool = False
    http_config: HttpConfig | None = None
    description: str = ""
    interval: int = 60
    timeout: int = 5
    retries: int = 2
    consecutive_fails: int = 1
    consecutive_successes: int = 1
    check_regions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class NotificationPolicy:
    id: str
    name: str
    alert_type: str
    enabled: bool = True
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """As the API names them, e.g. ``health_check_id`` and ``status`` (lists of strings)."""
    mechanisms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Mechanism kind (``email``, ``webhooks``, ``pagerduty``) → target ids / addresses."""
    description: str = ""

    @property
    def health_check_ids(self) -> tuple[str, ...]:
        """The health checks this policy covers; the API calls the filter ``health_check_id``."""
        return tuple(self.filters.get("health_check_id", ())) + tuple(
            self.filters.get("health_check_ids", ())
        )


@dataclass(frozen=True, slots=True)
class ZoneState:
    zone: Zone
    settings: Mapping[str, Any] = field(default_factory=dict)
    """setting id → value, e.g. ``{"ssl": "strict", "min_tls_version": "1.2"}``."""
    records: tuple[DnsRecord, ...] = ()
    rulesets: Mapping[str, Ruleset] = field(default_factory=dict)
    """phase → the zone's entrypoint ruleset for that phase."""
    health_checks: tuple[HealthCheck, ...] = ()
    notification_policies: tuple[NotificationPolicy, ...] = ()
    """The account's policies (they are account-scoped, not zone-scoped)."""
    dnssec_status: str | None = None
    """``active``, ``pending``, ``disabled`` …; None when not read."""

    def health_check(self, name: str) -> HealthCheck | None:
        return next((hc for hc in self.health_checks if hc.name == name), None)

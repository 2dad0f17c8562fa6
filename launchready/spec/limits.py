"""Cloudflare plan limits, as data: validation reads this table, never hard-coded numbers.

Source: cloudflare-docs plans/index.json and the rate-limiting availability partial
(see shared/reference/cloudflare_iac.md, "Plan gating"). Single-redirect, transform and cache
rule counts are not listed: the program writes at most two rules per such phase, under every
plan's limit (10 on Free).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Plan = Literal["free", "pro", "business", "enterprise"]
PLAN_ORDER: tuple[Plan, ...] = ("free", "pro", "business", "enterprise")


@dataclass(frozen=True, slots=True)
class PlanLimits:
    rate_limit_rules: int
    rate_limit_periods: frozenset[int]
    """Counting periods (seconds) the plan offers."""
    max_mitigation_timeout: int
    """Longest block duration (seconds)."""
    rate_limit_methods: bool
    """Whether rate-limit expressions may match on the request method."""
    rate_limit_characteristics: frozenset[str]
    custom_rules: int
    health_checks: int
    regex: bool
    """The ``matches`` operator in rule expressions (Business and up)."""
    extra_managed_rulesets: bool
    """Cloudflare Managed and OWASP rulesets (Pro and up); Free Managed is on every plan."""


_PER_IP = frozenset({"cf.colo.id", "ip.src"})

LIMITS: dict[Plan, PlanLimits] = {
    "free": PlanLimits(
        rate_limit_rules=1,
        rate_limit_periods=frozenset({10}),
        max_mitigation_timeout=10,
        rate_limit_methods=False,
        rate_limit_characteristics=_PER_IP,
        custom_rules=5,
        health_checks=0,
        regex=False,
        extra_managed_rulesets=False,
    ),
    "pro": PlanLimits(
        rate_limit_rules=2,
        rate_limit_periods=frozenset({10, 60}),
        max_mitigation_timeout=3600,
        rate_limit_methods=False,
        rate_limit_characteristics=_PER_IP,
        custom_rules=20,
        health_checks=10,
        regex=False,
        extra_managed_rulesets=True,
    ),
    "business": PlanLimits(
        rate_limit_rules=5,
        rate_limit_periods=frozenset({10, 60, 120, 300, 600}),
        max_mitigation_timeout=86400,
        rate_limit_methods=True,
        rate_limit_characteristics=_PER_IP,
        custom_rules=100,
        health_checks=50,
        regex=True,
        extra_managed_rulesets=True,
    ),
    "enterprise": PlanLimits(
        rate_limit_rules=100,
        rate_limit_periods=frozenset({10, 60, 120, 300, 600, 3600}),
        max_mitigation_timeout=86400,
        rate_limit_methods=True,
        rate_limit_characteristics=_PER_IP
        | {
            "cf.unique_visitor_id",
            'http.request.headers["authorization"]',
            'http.request.cookies["session"]',
        },
        custom_rules=1000,
        health_checks=1000,
        regex=True,
        extra_managed_rulesets=True,
    ),
}

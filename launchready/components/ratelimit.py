"""Rate-limiting rules for the endpoints that cost money or guard accounts.

Plan limits (rule count, periods, method matching, timeouts) are checked by the spec before
this runs. Blocked clients get a JSON 429 on plans that allow a custom response.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from launchready.components.expressions import all_of, methods_in, path_prefixes
from launchready.components.firewall import RATELIMIT_PHASE
from launchready.components.naming import TOKEN_PREFIX
from launchready.components.rulesets import Rule, phase_ruleset, rule
from launchready.spec.limits import Plan
from launchready.spec.models import RateLimit


@dataclass(frozen=True, kw_only=True)
class RateLimitsArgs:
    zone_id: pulumi.Input[str]
    """Zone the rate-limit rules run in."""
    rate_limits: Sequence[RateLimit]
    """The spec's rate-limit rules (ordered by ref here, never by position)."""
    plan: Plan
    """Cloudflare plan; custom block responses need Pro or higher."""


def rate_limit_rule(limit: RateLimit, plan: Plan) -> Rule:
    expression = path_prefixes(limit.paths)
    if limit.methods:
        expression = all_of(expression, methods_in(limit.methods))
    ratelimit: dict[str, Any] = {
        "characteristics": sorted(limit.characteristics),
        "period": limit.period,
        "requests_per_period": limit.requests_per_period,
        # Cloudflare only accepts a mitigation timeout for block; challenges use 0.
        "mitigation_timeout": limit.mitigation_timeout if limit.action == "block" else 0,
    }
    parameters: dict[str, Any] | None = None
    if limit.action == "block" and plan != "free":
        body = {"error": "rate_limited", "retry_after": limit.mitigation_timeout}
        parameters = {
            "response": {
                "status_code": 429,
                "content_type": "application/json",
                "content": json.dumps(body, separators=(",", ":")),
            }
        }
    return rule(
        ref=limit.ref,
        description=limit.description,
        expression=expression,
        action=limit.action,
        action_parameters=parameters,
        ratelimit=ratelimit,
    )


class RateLimits(pulumi.ComponentResource):
    """The zone's http_ratelimit entrypoint ruleset."""

    ruleset_id: pulumi.Output[str | None]
    """Id of the phase ruleset (None when the spec has no rate limits)."""

    def __init__(
        self, name: str, args: RateLimitsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(f"{TOKEN_PREFIX}RateLimits", name, {}, opts)
        rules = [rate_limit_rule(r, args.plan) for r in sorted(args.rate_limits, key=lambda r: r.ref)]
        self.ruleset_id = pulumi.Output.from_input(None)
        if rules:
            self.ruleset_id = phase_ruleset(
                self, f"{name}-ruleset", zone_id=args.zone_id, phase=RATELIMIT_PHASE,
                description="launchready: rate limits", rules=rules,
            ).id
        self.register_outputs({"ruleset_id": self.ruleset_id})

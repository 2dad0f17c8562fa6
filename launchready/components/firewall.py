"""WAF: the managed rulesets and the custom rules, one entrypoint ruleset per phase.

Custom rules are ordered by a stable key (skips first, then by ref), never by their position
in the stack file. The health-check skip lets Cloudflare's own monitors past the custom and
rate-limit rules; it is narrowed to the monitored hosts, paths and methods because the user
agent alone can be forged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi

from launchready.components.expressions import (
    all_of,
    methods_in,
    path_prefixes,
    quote,
    source_not_in,
    value_set,
)
from launchready.components.naming import TOKEN_PREFIX
from launchready.components.rulesets import Rule, phase_ruleset, rule
from launchready.spec.models import CustomRule, ManagedRulesets, Monitor

MANAGED_PHASE = "http_request_firewall_managed"
CUSTOM_PHASE = "http_request_firewall_custom"
RATELIMIT_PHASE = "http_ratelimit"

# Managed ruleset ids are fixed by Cloudflare (see shared/reference/cloudflare_iac.md).
MANAGED_RULESET_IDS = {
    "cloudflare": "efb7b8c949ac4650a09736fc376e9aee",
    "owasp": "4814384a9e5d4991b9815dcfc25d2f1f",
    "free": "77454fe2d30c4220b5701f6fdfb893ba",
}
_MANAGED_NAMES = {
    "cloudflare": "Cloudflare Managed Ruleset",
    "owasp": "Cloudflare OWASP Core Ruleset",
    "free": "Cloudflare Free Managed Ruleset",
}
HEALTHCHECK_SKIP_REF = "launchready_healthcheck_skip"
HEALTHCHECK_USER_AGENT = "Cloudflare-Healthchecks/"


@dataclass(frozen=True, kw_only=True)
class FirewallArgs:
    zone_id: pulumi.Input[str]
    """Zone the WAF rules run in."""
    managed: ManagedRulesets
    """Which Cloudflare managed rulesets to deploy."""
    custom_rules: Sequence[CustomRule]
    """Custom block/challenge/skip rules from the spec."""
    monitors: Sequence[Monitor] = ()
    """Health-check monitors to let through (empty: no skip rule)."""
    canonical_host: str = ""
    """Host monitors probe when they name none."""


def managed_rules(managed: ManagedRulesets) -> list[Rule]:
    enabled = [key for key in MANAGED_RULESET_IDS if getattr(managed, key)]
    return [
        rule(
            ref=f"managed_{key}",
            description=f"Execute the {_MANAGED_NAMES[key]}",
            expression="true",
            action="execute",
            action_parameters={"id": MANAGED_RULESET_IDS[key]},
        )
        for key in enabled
    ]


def custom_rule_expression(custom: CustomRule) -> str:
    if custom.expression:
        return custom.expression
    clause = path_prefixes(custom.paths)
    return all_of(clause, source_not_in(custom.allow_ips)) if custom.allow_ips else clause


def healthcheck_skip_rule(monitors: Sequence[Monitor], canonical_host: str) -> Rule:
    hosts = {m.host or canonical_host for m in monitors}
    expression = all_of(
        f"starts_with(http.user_agent, {quote(HEALTHCHECK_USER_AGENT)})",
        f"http.host in {value_set(hosts)}",
        f"http.request.uri.path in {value_set(m.path for m in monitors)}",
        methods_in(m.method for m in monitors),
    )
    return rule(
        ref=HEALTHCHECK_SKIP_REF,
        description="Let Cloudflare health checks reach the monitored paths",
        expression=expression,
        action="skip",
        action_parameters={"ruleset": "current", "phases": [RATELIMIT_PHASE]},
    )


def custom_rules(args: FirewallArgs) -> list[Rule]:
    rules = [
        rule(
            ref=c.ref,
            description=c.description,
            expression=custom_rule_expression(c),
            action=c.action,
            # A spec-level skip skips the remaining custom rules, like the dashboard default.
            action_parameters={"ruleset": "current"} if c.action == "skip" else None,
        )
        for c in sorted(args.custom_rules, key=lambda c: (c.action != "skip", c.ref))
    ]
    if args.monitors:
        rules.insert(0, healthcheck_skip_rule(args.monitors, args.canonical_host))
    return rules


class Firewall(pulumi.ComponentResource):
    """The managed-WAF and custom-rule entrypoint rulesets of the zone."""

    managed_ruleset_id: pulumi.Output[str | None]
    """Id of the managed-phase ruleset (None when no managed ruleset is enabled)."""
    custom_ruleset_id: pulumi.Output[str | None]
    """Id of the custom-phase ruleset (None when there are no custom rules)."""

    def __init__(
        self, name: str, args: FirewallArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(f"{TOKEN_PREFIX}Firewall", name, {}, opts)
        self.managed_ruleset_id = pulumi.Output.from_input(None)
        self.custom_ruleset_id = pulumi.Output.from_input(None)
        managed = managed_rules(args.managed)
        if managed:
            self.managed_ruleset_id = phase_ruleset(
                self, f"{name}-managed", zone_id=args.zone_id, phase=MANAGED_PHASE,
                description="launchready: managed WAF rulesets", rules=managed,
            ).id
        custom = custom_rules(args)
        if custom:
            self.custom_ruleset_id = phase_ruleset(
                self, f"{name}-custom", zone_id=args.zone_id, phase=CUSTOM_PHASE,
                description="launchready: custom WAF rules", rules=custom,
            ).id
        self.register_outputs({
            "managed_ruleset_id": self.managed_ruleset_id,
            "custom_ruleset_id": self.custom_ruleset_id,
        })

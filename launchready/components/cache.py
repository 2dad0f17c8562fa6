"""Cache rules: long edge TTL for static assets, never cache authenticated or API traffic.

In the cache phase every matching rule applies and later rules win, so the bypass rule comes
last: a ``.js`` under ``/api/`` is still not cached.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from launchready.components.expressions import path_prefixes, quote, value_set
from launchready.components.naming import TOKEN_PREFIX
from launchready.components.rulesets import Rule, phase_ruleset, rule
from launchready.spec.models import Cache

PHASE = "http_request_cache_settings"


@dataclass(frozen=True, kw_only=True)
class CacheRulesArgs:
    zone_id: pulumi.Input[str]
    """Zone the cache rules run in."""
    cache: Cache
    """The spec's cache section."""


def cache_rules(cache: Cache) -> list[Rule]:
    rules: list[Rule] = []
    if cache.static_extensions:
        rules.append(rule(
            ref="static_assets",
            description=f"Cache static assets at the edge for {cache.static_edge_ttl} s",
            expression=f"http.request.uri.path.extension in {value_set(cache.static_extensions)}",
            action="set_cache_settings",
            action_parameters={
                "cache": True,
                "edge_ttl": {"mode": "override_origin", "default": cache.static_edge_ttl},
            },
        ))
    bypass = []
    if cache.bypass_paths:
        bypass.append(path_prefixes(cache.bypass_paths))
    bypass += [f"http.cookie contains {quote(c + '=')}" for c in sorted(set(cache.bypass_cookies))]
    if bypass:
        rules.append(rule(
            ref="bypass_private",
            description="Never cache authenticated or API traffic",
            expression=bypass[0] if len(bypass) == 1 else " or ".join(bypass),
            action="set_cache_settings",
            action_parameters={"cache": False},
        ))
    return rules


class CacheRules(pulumi.ComponentResource):
    """The zone's cache-settings entrypoint ruleset."""

    ruleset_id: pulumi.Output[str | None]
    """Id of the phase ruleset (None when there is nothing to cache or bypass)."""

    def __init__(
        self, name: str, args: CacheRulesArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(f"{TOKEN_PREFIX}CacheRules", name, {}, opts)
        rules = cache_rules(args.cache)
        self.ruleset_id = pulumi.Output.from_input(None)
        if rules:
            self.ruleset_id = phase_ruleset(
                self, f"{name}-ruleset", zone_id=args.zone_id, phase=PHASE,
                description="launchready: cache rules", rules=rules,
            ).id
        self.register_outputs({"ruleset_id": self.ruleset_id})

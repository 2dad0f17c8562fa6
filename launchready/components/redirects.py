"""Canonical-host redirect: the other web host goes to the canonical one in a single 301.

The path is kept through the target expression and the query string through
``preserve_query_string``; the target is always https, so no second hop is needed for
the upgrade on this host.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from launchready.components.expressions import quote
from launchready.components.naming import TOKEN_PREFIX
from launchready.components.rulesets import phase_ruleset, rule

PHASE = "http_request_dynamic_redirect"


@dataclass(frozen=True, kw_only=True)
class CanonicalRedirectArgs:
    zone_id: pulumi.Input[str]
    """Zone the redirect rule runs in."""
    canonical_host: str
    """Host every request ends up on, e.g. www.example.com."""
    other_host: str
    """The web host that redirects to it, e.g. example.com."""


class CanonicalRedirect(pulumi.ComponentResource):
    """The zone's dynamic-redirect ruleset with the non-canonical → canonical rule."""

    ruleset_id: pulumi.Output[str]
    """Id of the phase entrypoint ruleset."""

    def __init__(
        self, name: str, args: CanonicalRedirectArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(f"{TOKEN_PREFIX}CanonicalRedirect", name, {}, opts)
        target = f'concat({quote("https://" + args.canonical_host)}, http.request.uri.path)'
        redirect = rule(
            ref="canonical_host",
            description=f"{args.other_host} -> {args.canonical_host} (301, path and query kept)",
            expression=f"http.host eq {quote(args.other_host)}",
            action="redirect",
            action_parameters={
                "from_value": {
                    "status_code": 301,
                    "preserve_query_string": True,
                    "target_url": {"expression": target},
                }
            },
        )
        ruleset = phase_ruleset(
            self, f"{name}-ruleset", zone_id=args.zone_id, phase=PHASE,
            description="launchready: canonical host redirect", rules=[redirect],
        )
        self.ruleset_id = ruleset.id
        self.register_outputs({"ruleset_id": self.ruleset_id})

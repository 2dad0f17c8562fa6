"""Response security headers (CSP, X-Frame-Options, Referrer-Policy, ...) set at the edge.

One rewrite rule in the response-header transform phase sets every header on every
response, so the origin cannot forget one.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from launchready.components.naming import TOKEN_PREFIX
from launchready.components.rulesets import phase_ruleset, rule
from launchready.spec.models import SecurityHeaders as SecurityHeadersSpec

PHASE = "http_response_headers_transform"


@dataclass(frozen=True, kw_only=True)
class SecurityHeadersArgs:
    zone_id: pulumi.Input[str]
    """Zone the transform rule runs in."""
    headers: SecurityHeadersSpec
    """The spec's headers section."""


class SecurityHeaders(pulumi.ComponentResource):
    """The zone's response-header transform ruleset."""

    ruleset_id: pulumi.Output[str]
    """Id of the phase ruleset."""

    def __init__(
        self, name: str, args: SecurityHeadersArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(f"{TOKEN_PREFIX}SecurityHeaders", name, {}, opts)
        headers = args.headers.as_map()
        set_headers = rule(
            ref="security_headers",
            description="Set the launch-ready response security headers",
            expression="true",
            action="rewrite",
            action_parameters={
                "headers": {
                    header: {"operation": "set", "value": headers[header]}
                    for header in sorted(headers)
                }
            },
        )
        self.ruleset_id = phase_ruleset(
            self, f"{name}-ruleset", zone_id=args.zone_id, phase=PHASE,
            description="launchready: security headers", rules=[set_headers],
        ).id
        self.register_outputs({"ruleset_id": self.ruleset_id})

"""DNSSEC signing for the zone.

Cloudflare signs the zone; the DS record it outputs must still be published at the
registrar, which is outside Cloudflare (the handover report says so).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_cloudflare as cloudflare

from launchready.components.naming import TOKEN_PREFIX


@dataclass(frozen=True, kw_only=True)
class DnssecArgs:
    zone_id: pulumi.Input[str]
    """Zone to sign."""


class Dnssec(pulumi.ComponentResource):
    """Turns DNSSEC on and exposes the DS record for the registrar."""

    ds: pulumi.Output[str]
    """The DS record to publish at the registrar."""

    def __init__(
        self, name: str, args: DnssecArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(f"{TOKEN_PREFIX}Dnssec", name, {}, opts)
        dnssec = cloudflare.ZoneDnssec(
            f"{name}-zone-dnssec",
            zone_id=args.zone_id,
            status="active",
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.ds = dnssec.ds
        self.register_outputs({"ds": self.ds})

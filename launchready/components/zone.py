"""The composing component: one client domain, launch ready.

It creates the Cloudflare zone (protected: deleting a zone deletes its DNS) when the spec
names an account and no zone, or manages an existing zone by id; then builds every concern
in the zone. Each ruleset phase is owned by exactly one child component.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_cloudflare as cloudflare

from launchready.components.caa import CaaRecords
from launchready.components.cache import CacheRules, CacheRulesArgs
from launchready.components.dns import DnsRecords, RecordSetArgs
from launchready.components.dnssec import Dnssec, DnssecArgs
from launchready.components.email import EmailAuthRecords
from launchready.components.firewall import Firewall, FirewallArgs
from launchready.components.headers import SecurityHeaders, SecurityHeadersArgs
from launchready.components.monitoring import Monitoring, MonitoringArgs
from launchready.components.naming import TOKEN_PREFIX
from launchready.components.ratelimit import RateLimits, RateLimitsArgs
from launchready.components.redirects import CanonicalRedirect, CanonicalRedirectArgs
from launchready.components.tls import TlsSettings, TlsSettingsArgs
from launchready.spec.models import SiteSpec


@dataclass(frozen=True, kw_only=True)
class SiteZoneArgs:
    spec: SiteSpec
    """The validated site spec (``launchready.spec.parse_site``)."""


class SiteZone(pulumi.ComponentResource):
    """A client domain's Cloudflare zone with DNS, TLS, WAF, rate limits, cache, headers, uptime."""

    zone_id: pulumi.Output[str]
    """The managed zone's id."""
    name_servers: pulumi.Output[Sequence[str]]
    """Cloudflare name servers to set at the registrar (empty for an existing zone)."""
    dnssec_ds: pulumi.Output[str | None]
    """DS record for the registrar (None when DNSSEC is off)."""

    def __init__(
        self, name: str, args: SiteZoneArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(f"{TOKEN_PREFIX}SiteZone", name, {}, opts)
        spec = args.spec
        child = pulumi.ResourceOptions(parent=self)

        if spec.zone.zone_id:
            zone_id: pulumi.Input[str] = spec.zone.zone_id
            self.name_servers = pulumi.Output.from_input([])
        else:
            zone = cloudflare.Zone(
                f"{name}-zone",
                account={"id": spec.zone.account_id},
                name=spec.domain,
                type="full",
                opts=pulumi.ResourceOptions(parent=self, protect=True),
            )
            zone_id = zone.id
            self.name_servers = zone.name_servers
        self.zone_id = pulumi.Output.from_input(zone_id)

        records = RecordSetArgs(zone_id=zone_id, spec=spec)
        DnsRecords(f"{name}-dns", records, child)
        EmailAuthRecords(f"{name}-email", records, child)
        CaaRecords(f"{name}-caa", records, child)
        self.dnssec_ds = pulumi.Output.from_input(None)
        if spec.dnssec:
            self.dnssec_ds = Dnssec(f"{name}-dnssec", DnssecArgs(zone_id=zone_id), child).ds
        TlsSettings(f"{name}-tls", TlsSettingsArgs(zone_id=zone_id, tls=spec.tls), child)
        CanonicalRedirect(
            f"{name}-redirect",
            CanonicalRedirectArgs(
                zone_id=zone_id, canonical_host=spec.canonical_fqdn, other_host=spec.other_fqdn
            ),
            child,
        )
        monitors = spec.monitoring.monitors
        Firewall(
            f"{name}-firewall",
            FirewallArgs(
                zone_id=zone_id,
                managed=spec.firewall.managed,
                custom_rules=spec.firewall.custom_rules,
                monitors=monitors if spec.firewall.skip_healthchecks else (),
                canonical_host=spec.canonical_fqdn,
            ),
            child,
        )
        RateLimits(
            f"{name}-ratelimit",
            RateLimitsArgs(zone_id=zone_id, rate_limits=spec.firewall.rate_limits, plan=spec.plan),
            child,
        )
        CacheRules(f"{name}-cache", CacheRulesArgs(zone_id=zone_id, cache=spec.cache), child)
        if spec.headers.enabled:
            SecurityHeaders(
                f"{name}-headers", SecurityHeadersArgs(zone_id=zone_id, headers=spec.headers), child
            )
        if monitors:
            Monitoring(
                f"{name}-monitoring",
                MonitoringArgs(
                    zone_id=zone_id,
                    monitors=monitors,
                    alerts=spec.monitoring.alerts,
                    canonical_host=spec.canonical_fqdn,
                    domain=spec.domain,
                    account_id=spec.zone.account_id,
                ),
                child,
            )
        self.register_outputs({
            "zone_id": self.zone_id,
            "name_servers": self.name_servers,
            "dnssec_ds": self.dnssec_ds,
        })

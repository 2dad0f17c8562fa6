"""Uptime: a Cloudflare health check per monitor, and one alert policy for all of them.

Health checks are zone-scoped; the notification policy and its webhook destinations are
account-scoped, so they are only created when the spec names the account.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import pulumi
import pulumi_cloudflare as cloudflare

from launchready.components.naming import TOKEN_PREFIX
from launchready.spec.models import Alerts, Monitor

ALERT_TYPE = "health_check_status_notification"


@dataclass(frozen=True, kw_only=True)
class MonitoringArgs:
    zone_id: pulumi.Input[str]
    """Zone the health checks belong to."""
    monitors: Sequence[Monitor]
    """What to probe (path, expected codes, interval)."""
    alerts: Alerts
    """Where alerts go: email addresses and webhooks."""
    canonical_host: str
    """Host probed when a monitor names none."""
    domain: str
    """The client domain, used in the alert policy's name."""
    account_id: str | None = None
    """Account for the alert policy and webhooks; None skips them with a warning."""


def healthcheck_inputs(monitor: Monitor, canonical_host: str) -> dict[str, Any]:
    host = monitor.host or canonical_host
    http_config: dict[str, Any] = {
        "path": monitor.path,
        "method": monitor.method,
        "expected_codes": list(monitor.expected_codes),
        "header": {"Host": [host]},
        "follow_redirects": False,
        "allow_insecure": False,
    }
    if monitor.expected_body:
        http_config["expected_body"] = monitor.expected_body
    return {
        "name": monitor.name,
        "description": f"launchready: https://{host}{monitor.path}",
        "address": host,
        "type": "HTTPS",
        "interval": monitor.interval,
        "timeout": monitor.timeout,
        "retries": monitor.retries,
        "http_config": http_config,
    }


class Monitoring(pulumi.ComponentResource):
    """Health checks plus the notification policy that pages someone when one fails."""

    healthcheck_ids: pulumi.Output[dict[str, str]]
    """Cloudflare health check ids by monitor name."""

    def __init__(
        self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(f"{TOKEN_PREFIX}Monitoring", name, {}, opts)
        child = pulumi.ResourceOptions(parent=self)
        checks = {
            monitor.name: cloudflare.Healthcheck(
                f"{name}-{monitor.name}",
                zone_id=args.zone_id,
                **healthcheck_inputs(monitor, args.canonical_host),
                opts=child,
            )
            for monitor in sorted(args.monitors, key=lambda m: m.name)
        }
        has_targets = bool(args.alerts.emails or args.alerts.webhooks)
        if checks and has_targets and args.account_id is None:
            pulumi.log.warn(
                "launchready: no notification policy for the health checks: the spec's zone "
                "has no account_id (alert policies are account-scoped); add zone.account_id",
                resource=self,
            )
        elif checks and has_targets and args.account_id is not None:
            self._alert_policy(name, args, args.account_id, [c.id for c in checks.values()], child)
        self.healthcheck_ids = (
            pulumi.Output.all(**{k: c.id for k, c in checks.items()})
            if checks else pulumi.Output.from_input({})
        )
        self.register_outputs({"healthcheck_ids": self.healthcheck_ids})

    def _alert_policy(
        self,
        name: str,
        args: MonitoringArgs,
        account_id: str,
        healthcheck_ids: list[pulumi.Output[str]],
        child: pulumi.ResourceOptions,
    ) -> None:
        webhooks = [
            cloudflare.NotificationPolicyWebhooks(
                f"{name}-webhook-{hook.name}",
                account_id=account_id,
                name=hook.name,
                # The URL of a chat webhook is its credential: keep it out of state and logs.
                url=pulumi.Output.secret(hook.url),
                opts=child,
            )
            for hook in sorted(args.alerts.webhooks, key=lambda h: h.name)
        ]
        mechanisms: dict[str, Any] = {}
        if args.alerts.emails:
            mechanisms["emails"] = [{"id": e} for e in sorted(set(args.alerts.emails))]
        if webhooks:
            mechanisms["webhooks"] = [{"id": hook.id} for hook in webhooks]
        filters: dict[str, Any] = {
            "health_check_ids": healthcheck_ids,
            "statuses": ["Healthy", "Unhealthy"],
        }
        cloudflare.NotificationPolicy(
            f"{name}-alert-policy",
            account_id=account_id,
            name=f"launchready: {args.domain} health checks",
            description=f"Health check status changes for {args.domain}",
            alert_type=ALERT_TYPE,
            enabled=True,
            mechanisms=cast("cloudflare.NotificationPolicyMechanismsArgsDict", mechanisms),
            filters=cast("cloudflare.NotificationPolicyFiltersArgsDict", filters),
            opts=child,
        )

"""Build a live ``ZoneState`` that is exactly what ``pulumi up`` of a plan would leave behind.

Scenarios start from this in-sync zone and change one thing, like a person in the dashboard.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from launchready.cloudflare import drift
from launchready.cloudflare.state import (
    DnsRecord,
    HealthCheck,
    HttpConfig,
    NotificationPolicy,
    Ruleset,
    RulesetRule,
    Zone,
    ZoneState,
)
from launchready.plan import PlannedResource

ZONE_ID = "0123456789abcdef0123456789abcdef"
ACCOUNT_ID = "fedcba9876543210fedcba9876543210"


def live_from_plan(plan: Sequence[PlannedResource], domain: str = "example.com") -> ZoneState:
    settings: dict[str, Any] = {"brotli": "on", "ipv6": "on"}  # Cloudflare's own, not in the plan
    records: list[DnsRecord] = []
    rulesets: dict[str, Ruleset] = {}
    checks: list[HealthCheck] = []
    hc_ids: dict[str, str] = {}
    policies_in: list[dict[str, Any]] = []
    for index, res in enumerate(plan):
        inputs = drift.snake(res.inputs)
        if res.type == drift.ZONE_SETTING:
            settings[inputs["setting_id"]] = inputs["value"]
        elif res.type == drift.DNS_RECORD:
            data = inputs.get("data")
            content = inputs.get("content", "")
            if inputs["type"] == "CAA":
                content = f'{data["flags"]} {data["tag"]} "{data["value"]}"'
            records.append(DnsRecord(
                id=f"rec{index:04d}", name=inputs["name"], type=inputs["type"], content=content,
                ttl=inputs["ttl"], proxied=bool(inputs.get("proxied", False)),
                priority=inputs.get("priority"), data=data, comment=inputs.get("comment", "")))
        elif res.type == drift.RULESET:
            rules = tuple(
                RulesetRule(id=f"rule{index}-{n}", ref=r["ref"], action=r["action"],
                            expression=r["expression"], description=r.get("description", ""),
                            enabled=r.get("enabled", True),
                            action_parameters=r.get("action_parameters"), ratelimit=r.get("ratelimit"))
                for n, r in enumerate(inputs["rules"]))
            rulesets[inputs["phase"]] = Ruleset(id=f"rs{index}", phase=inputs["phase"],
                                                name=inputs["name"], rules=rules)
        elif res.type == drift.HEALTHCHECK:
            http = inputs["http_config"]
            hc_ids[res.name] = f"hc{index:04d}"
            checks.append(HealthCheck(
                id=hc_ids[res.name], name=inputs["name"], address=inputs["address"],
                type=inputs["type"], status="healthy", description=inputs.get("description", ""),
                interval=inputs["interval"], timeout=inputs["timeout"], retries=inputs["retries"],
                http_config=HttpConfig(
                    path=http["path"], expected_codes=tuple(http["expected_codes"]),
                    method=http["method"], header={k: tuple(v) for k, v in http["header"].items()},
                    follow_redirects=http["follow_redirects"], allow_insecure=http["allow_insecure"])))
        elif res.type == drift.NOTIFICATION_POLICY:
            policies_in.append(inputs)
    policies = []
    for n, inputs in enumerate(policies_in):
        ids = [hc_ids[v[2:-4]] for v in inputs["filters"]["health_check_ids"]]
        mechanisms = {"email": tuple(m["id"] for m in inputs["mechanisms"].get("emails", [])),
                      "webhooks": tuple(f"wh{i}" for i, _ in
                                        enumerate(inputs["mechanisms"].get("webhooks", [])))}
        policies.append(NotificationPolicy(
            id=f"np{n}", name=inputs["name"], alert_type=inputs["alert_type"],
            enabled=inputs["enabled"], description=inputs.get("description", ""),
            filters={"health_check_id": tuple(ids), "status": tuple(inputs["filters"]["statuses"])},
            mechanisms={k: v for k, v in mechanisms.items() if v}))
    return ZoneState(
        zone=Zone(id=ZONE_ID, name=domain, status="active", plan="business", account_id=ACCOUNT_ID),
        settings=settings, records=tuple(records), rulesets=rulesets, health_checks=tuple(checks),
        notification_policies=tuple(policies), dnssec_status="active")

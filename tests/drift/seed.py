"""Apply a plan to the fake Cloudflare API through the official SDK, as `pulumi up` would.

The seeded zone is in sync with the plan by construction; scenarios then change one thing
through the same API, like a person in the dashboard.
"""

from __future__ import annotations

import copy
from typing import Any

import cloudflare

from launchready.cloudflare import drift
from launchready.testbed.cloudflare_api import FakeZone


def _result(body: Any) -> Any:
    assert isinstance(body, dict) and body.get("success"), body
    return body["result"]


def apply_plan(client: cloudflare.Cloudflare, zone: FakeZone, desired: drift.Desired) -> dict[str, str]:
    """Create everything in ``desired``; returns health check name -> id.

    Settings are seeded into the fake's state directly (its PATCH handler cannot take the
    object value of ``security_header`` yet); everything else goes through the API.
    """
    zone_id, account_id = zone.id, zone.account_id
    for setting_id, (_, value) in desired.settings.items():
        zone.settings[setting_id] = copy.deepcopy(value)
    for rec in desired.records:
        body: dict[str, Any] = {"name": rec.name, "type": rec.type, "ttl": rec.ttl,
                                "comment": rec.comment}
        if rec.data is not None:
            body["data"] = dict(rec.data)
        else:
            body["content"] = rec.content
        if rec.proxied is not None:
            body["proxied"] = rec.proxied
        if rec.priority is not None:
            body["priority"] = rec.priority
        _result(client.post(f"/zones/{zone_id}/dns_records", body=body, cast_to=object))
    for phase, (_, rules) in desired.rulesets.items():
        body = {"rules": [{"ref": ref, **fields} for ref, fields in rules.items()]}
        existing = zone.entrypoint(phase)
        if existing is not None and existing["kind"] != "zone":
            # The fake's entrypoint lookup finds the managed ruleset of this phase instead of
            # the zone's own, so seed the zone-kind entrypoint into its state directly.
            zone.rulesets[f"seeded{phase}"] = {
                "id": f"seeded{phase}", "name": phase, "description": "", "kind": "zone",
                "phase": phase, "version": "1", "last_updated": "2026-01-01T00:00:00Z",
                "rules": [{**rule, "id": f"r{n}{phase}", "enabled": rule.get("enabled", True)}
                          for n, rule in enumerate(body["rules"])]}
            continue
        _result(client.put(f"/zones/{zone_id}/rulesets/phases/{phase}/entrypoint", body=body,
                           cast_to=object))
    ids: dict[str, str] = {}
    for name, (_, fields) in desired.health_checks.items():
        created = _result(client.post(f"/zones/{zone_id}/healthchecks", body=dict(fields),
                                      cast_to=object))
        ids[name] = created["id"]
    by_resource = {res: ids[name] for res, name in desired.resource_names.items()}
    for _, fields in desired.notification_policies.values():
        filters = dict(fields["filters"])
        filters["health_check_id"] = [by_resource[v[2:-4]] for v in filters["health_check_id"]]
        mechanisms = {kind: [{"id": t["id"] if not t["id"].startswith("${") else f"webhook-{n}"}
                             for n, t in enumerate(targets)]
                      for kind, targets in fields["mechanisms"].items()}
        _result(client.post(f"/accounts/{account_id}/alerting/v3/policies",
                            body={**fields, "filters": filters, "mechanisms": mechanisms},
                            cast_to=object))
    if desired.dnssec is not None:
        _result(client.patch(f"/zones/{zone_id}/dnssec", body={"status": desired.dnssec[1]},
                             cast_to=object))
    return ids

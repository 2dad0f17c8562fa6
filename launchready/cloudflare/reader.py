"""Read a zone's live state through the official SDK into ``state`` dataclasses.

Each read names the token permission it needs, so an under-scoped token fails with the
permission to add. Requests go through the SDK client (auth, retries, Retry-After, its page
classes for auto-pagination) but ask for plain JSON rather than the typed resource models:
importing and building those costs seconds per process, and only this module needs to know
the API's field names anyway.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import cloudflare
from cloudflare.pagination import SyncCursorPagination, SyncSinglePage, SyncV4PagePaginationArray

from launchready.cloudflare.client import CloudflareError, CloudflareNotFound, api_errors
from launchready.cloudflare.state import (
    DnsRecord,
    HealthCheck,
    HealthStatus,
    HttpConfig,
    NotificationPolicy,
    Ruleset,
    RulesetRule,
    Zone,
    ZoneState,
)

ZONE_READ = "Zone:Read"
DNS_READ = "DNS:Read"
SETTINGS_READ = "Zone Settings:Read"
RULESETS_READ = "Zone WAF:Read (and Transform Rules, Cache Rules, Single Redirect:Read)"
HEALTHCHECKS_READ = "Health Checks:Read"
NOTIFICATIONS_READ = "Notifications:Read (account)"

ALL_PARTS = frozenset({"settings", "records", "rulesets", "healthchecks", "notifications", "dnssec"})
_ZONE_ID = re.compile(r"[0-9a-f]{32}")
_PLANS = ("enterprise", "business", "pro", "free")


def read_zone_state(
    client: cloudflare.Cloudflare,
    zone: str,
    *,
    parts: Iterable[str] = ALL_PARTS,
    account_id: str | None = None,
) -> ZoneState:
    """Everything launchready manages in one zone, given its id or its domain name.

    ``parts`` limits what is read (e.g. only ``{"records"}`` for adopt); parts not read stay
    empty. Notification policies are account-scoped: ``account_id`` defaults to the zone's.
    """
    wanted = set(parts)
    unknown = wanted - ALL_PARTS
    if unknown:
        raise ValueError(f"unknown parts {sorted(unknown)}; choose from {sorted(ALL_PARTS)}")
    found = find_zone(client, zone)
    account = account_id or found.account_id
    return ZoneState(
        zone=found,
        settings=read_settings(client, found.id) if "settings" in wanted else {},
        records=read_records(client, found.id) if "records" in wanted else (),
        rulesets=read_rulesets(client, found.id) if "rulesets" in wanted else {},
        health_checks=read_health_checks(client, found.id) if "healthchecks" in wanted else (),
        notification_policies=(
            read_notification_policies(client, account)
            if "notifications" in wanted and account else ()
        ),
        dnssec_status=read_dnssec_status(client, found.id) if "dnssec" in wanted else None,
    )


def find_zone(client: cloudflare.Cloudflare, zone: str) -> Zone:
    """A zone by id (32 hex characters) or by domain name."""
    ref = zone.strip().rstrip(".").lower()
    if _ZONE_ID.fullmatch(ref):
        with api_errors(client, f"read zone {ref}", ZONE_READ):
            return _zone(get_result(client, f"/zones/{ref}"))
    with api_errors(client, f"look up the zone {ref}", ZONE_READ):
        matches = list_all(client, "/zones", {"name": ref})
    for item in matches:
        if str(item.get("name", "")).lower() == ref:
            return _zone(item)
    raise CloudflareNotFound(
        f"no zone named {ref} is visible to this API token; check the domain, or give the "
        "token Zone:Read on that zone"
    )


def read_settings(client: cloudflare.Cloudflare, zone_id: str) -> dict[str, Any]:
    """All zone settings as ``{setting id: value}`` (one call: GET /zones/{id}/settings)."""
    with api_errors(client, "read zone settings", SETTINGS_READ):
        items = get_result(client, f"/zones/{zone_id}/settings")
    if not isinstance(items, list):
        raise CloudflareError("read zone settings: the API answered without a settings list")
    return {str(item["id"]): item.get("value") for item in items
            if isinstance(item, dict) and "id" in item}


def read_records(client: cloudflare.Cloudflare, zone_id: str) -> tuple[DnsRecord, ...]:
    with api_errors(client, "read DNS records", DNS_READ):
        items = list_all(client, f"/zones/{zone_id}/dns_records", {"per_page": 100})
    return tuple(sorted((record_from_api(item) for item in items),
                        key=lambda r: (r.name, r.type, r.content)))


def read_rulesets(client: cloudflare.Cloudflare, zone_id: str) -> dict[str, Ruleset]:
    """The zone's entrypoint ruleset per phase, rules included (the list call omits rules)."""
    with api_errors(client, "list rulesets", RULESETS_READ):
        listed = list_all(client, f"/zones/{zone_id}/rulesets", page=SyncCursorPagination)
    out: dict[str, Ruleset] = {}
    for item in listed:
        if item.get("kind") != "zone":
            continue  # managed rulesets are referenced by execute rules, not owned by the zone
        phase = str(item.get("phase", ""))
        with api_errors(client, f"read the {phase} ruleset", RULESETS_READ):
            full = get_result(client, f"/zones/{zone_id}/rulesets/{item['id']}")
        out[phase] = ruleset_from_api(full)
    return out


def read_health_checks(client: cloudflare.Cloudflare, zone_id: str) -> tuple[HealthCheck, ...]:
    with api_errors(client, "read health checks", HEALTHCHECKS_READ):
        items = list_all(client, f"/zones/{zone_id}/healthchecks", {"per_page": 50})
    return tuple(sorted((health_check_from_api(item) for item in items), key=lambda h: h.name))


def read_notification_policies(
    client: cloudflare.Cloudflare, account_id: str
) -> tuple[NotificationPolicy, ...]:
    with api_errors(client, "read notification policies", NOTIFICATIONS_READ):
        items = list_all(client, f"/accounts/{account_id}/alerting/v3/policies",
                         page=SyncSinglePage)
    return tuple(sorted((policy_from_api(item) for item in items), key=lambda p: p.name))


def read_dnssec_status(client: cloudflare.Cloudflare, zone_id: str) -> str:
    with api_errors(client, "read DNSSEC status", DNS_READ):
        result = get_result(client, f"/zones/{zone_id}/dnssec")
    return str(result.get("status", "unknown")) if isinstance(result, dict) else "unknown"


# --------------------------------------------------------------------------- API → state


def record_from_api(item: Mapping[str, Any]) -> DnsRecord:
    rtype = str(item.get("type", "")).upper()
    content = str(item.get("content") or "")
    if rtype in ("CNAME", "MX", "NS", "PTR"):
        content = content.rstrip(".").lower() or "."  # "." is a null MX (RFC 7505)
    elif rtype == "TXT":
        content = unquote_txt(content)
    priority = item.get("priority")
    data = item.get("data")
    return DnsRecord(
        id=str(item.get("id", "")),
        name=str(item.get("name", "")).rstrip(".").lower(),
        type=rtype,
        content=content,
        ttl=int(item.get("ttl") or 1),
        proxied=bool(item.get("proxied", False)),
        priority=int(priority) if priority is not None and rtype in ("MX", "SRV", "URI") else None,
        data=dict(data) if isinstance(data, Mapping) and data else None,
        comment=str(item.get("comment") or ""),
    )


def unquote_txt(content: str) -> str:
    """``"abc" "def"`` → ``abcdef``: the API may quote TXT content in character-strings."""
    text = content.strip()
    if not (len(text) >= 2 and text.startswith('"') and text.endswith('"')):
        return content
    parts = re.findall(r'"((?:[^"\\]|\\.)*)"', text)
    if "".join(f'"{p}"' for p in parts).replace(" ", "") != text.replace(" ", ""):
        return content
    return "".join(re.sub(r"\\(.)", r"\1", p) for p in parts)


def ruleset_from_api(item: Mapping[str, Any]) -> Ruleset:
    rules = tuple(
        RulesetRule(
            id=str(rule.get("id", "")),
            ref=str(rule.get("ref") or rule.get("id", "")),
            action=str(rule.get("action", "")),
            expression=str(rule.get("expression", "")),
            description=str(rule.get("description") or ""),
            enabled=bool(rule.get("enabled", True)),
            action_parameters=_mapping_or_none(rule.get("action_parameters")),
            ratelimit=_mapping_or_none(rule.get("ratelimit")),
        )
        for rule in item.get("rules") or ()
        if isinstance(rule, Mapping)
    )
    return Ruleset(id=str(item.get("id", "")), phase=str(item.get("phase", "")),
                   name=str(item.get("name") or ""), kind=str(item.get("kind") or "zone"),
                   rules=rules)


def health_check_from_api(item: Mapping[str, Any]) -> HealthCheck:
    raw_status = str(item.get("status") or "unknown").lower()
    status: HealthStatus = "unknown"
    if raw_status == "healthy":
        status = "healthy"
    elif raw_status == "unhealthy":
        status = "unhealthy"
    http = item.get("http_config")
    http_config = None
    if isinstance(http, Mapping):
        header = http.get("header") or {}
        http_config = HttpConfig(
            path=str(http.get("path") or "/"),
            expected_codes=tuple(str(c) for c in http.get("expected_codes") or ()),
            method=str(http.get("method") or "GET"),
            expected_body=str(http.get("expected_body") or ""),
            port=int(http["port"]) if http.get("port") else None,
            header={str(k): tuple(str(x) for x in v) for k, v in header.items()},
            follow_redirects=bool(http.get("follow_redirects", False)),
            allow_insecure=bool(http.get("allow_insecure", False)),
        )
    return HealthCheck(
        id=str(item.get("id", "")),
        name=str(item.get("name", "")),
        address=str(item.get("address", "")),
        type=str(item.get("type") or "HTTP").upper(),
        status=status,
        suspended=bool(item.get("suspended", False)) or raw_status == "suspended",
        http_config=http_config,
        description=str(item.get("description") or ""),
        interval=int(item.get("interval") or 60),
        timeout=int(item.get("timeout") or 5),
        retries=int(item.get("retries") or 0),
        consecutive_fails=int(item.get("consecutive_fails") or 1),
        consecutive_successes=int(item.get("consecutive_successes") or 1),
        check_regions=tuple(str(r) for r in item.get("check_regions") or ()),
    )


def policy_from_api(item: Mapping[str, Any]) -> NotificationPolicy:
    filters = item.get("filters") or {}
    mechanisms = item.get("mechanisms") or {}
    return NotificationPolicy(
        id=str(item.get("id", "")),
        name=str(item.get("name", "")),
        alert_type=str(item.get("alert_type", "")),
        enabled=bool(item.get("enabled", True)),
        filters={str(k): tuple(str(x) for x in v) for k, v in filters.items()
                 if isinstance(v, list)},
        mechanisms={
            str(kind): tuple(str(t.get("id", "")) if isinstance(t, Mapping) else str(t)
                             for t in targets)
            for kind, targets in mechanisms.items() if isinstance(targets, list)
        },
        description=str(item.get("description") or ""),
    )


def _zone(item: Mapping[str, Any]) -> Zone:
    plan = item.get("plan") or {}
    plan_name = str(plan.get("legacy_id") or plan.get("name") or "free").lower()
    account = item.get("account") or {}
    return Zone(
        id=str(item.get("id", "")),
        name=str(item.get("name", "")).lower(),
        status=str(item.get("status") or "unknown"),
        plan=next((p for p in _PLANS if p in plan_name), "free"),
        account_id=str(account["id"]) if account.get("id") else None,
        name_servers=tuple(str(ns) for ns in item.get("name_servers") or ()),
    )


def _mapping_or_none(value: Any) -> dict[str, Any] | None:
    return dict(value) if isinstance(value, Mapping) and value else None


def get_result(client: cloudflare.Cloudflare, path: str) -> Any:
    """The ``result`` of a GET, unwrapped from Cloudflare's envelope."""
    body = client.get(path, cast_to=object)
    if not isinstance(body, dict) or "result" not in body:
        raise CloudflareError(f"GET {path}: the API answered without a result envelope")
    return body["result"]


def list_all(
    client: cloudflare.Cloudflare,
    path: str,
    params: Mapping[str, Any] | None = None,
    *,
    page: type[Any] = SyncV4PagePaginationArray,
) -> list[dict[str, Any]]:
    """Every item of a listing: the SDK's page class fetches page after page."""
    pages = client.get_api_list(path, model=object, page=page[object],
                                options={"params": dict(params or {})})
    return [dict(item) for item in pages if isinstance(item, Mapping)]

"""A stateful fake of the Cloudflare v4 API, served over real HTTP on loopback.

The official SDK reaches it through its base URL, so the reader, drift, backup and restore are
tested through the same code path as production: envelope (``success``, ``errors``,
``messages``, ``result``, ``result_info``), page/per_page pagination, Cloudflare's error codes
for bad input, bad and under-scoped tokens, and injectable 429s with ``Retry-After``.

State is in memory, seeded and inspected from Python (``add_zone``, ``add_record``, ``zones``).
Each request is logged as (method, path, query, status, token label) — never the token itself.
"""

from __future__ import annotations

import copy
import email.parser
import email.policy
import ipaddress
import json
import re
import socket
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from launchready.cloudflare.bind import BindError, bind_line, parse_bind
from launchready.cloudflare.reader import record_from_api

API_PREFIX = "/client/v4"

READ_SCOPES = frozenset(
    {"zone:read", "dns:read", "settings:read", "rulesets:read", "healthchecks:read",
     "notifications:read"}
)
ALL_SCOPES = READ_SCOPES | {s.replace(":read", ":edit") for s in READ_SCOPES}

DEFAULT_SETTINGS: dict[str, Any] = {
    "ssl": "full",
    "min_tls_version": "1.0",
    "tls_1_3": "on",
    "always_use_https": "off",
    "automatic_https_rewrites": "on",
    "opportunistic_encryption": "on",
    "browser_check": "on",
    "security_level": "medium",
    "http3": "on",
    "0rtt": "off",
    "ipv6": "on",
    "websockets": "on",
    "always_online": "off",
    "brotli": "on",
    "email_obfuscation": "on",
    "security_header": {
        "strict_transport_security": {
            "enabled": False, "max_age": 0, "include_subdomains": False, "nosniff": False,
            "preload": False,
        }
    },
}
_SETTING_VALUES: dict[str, frozenset[str]] = {
    "ssl": frozenset({"off", "flexible", "full", "strict"}),
    "min_tls_version": frozenset({"1.0", "1.1", "1.2", "1.3"}),
    "tls_1_3": frozenset({"on", "off", "zrt"}),
    "security_level": frozenset({"off", "essentially_off", "low", "medium", "high",
                                 "under_attack"}),
}
_ON_OFF = frozenset({"on", "off"})
RECORD_TYPES = frozenset({"A", "AAAA", "CNAME", "TXT", "MX", "CAA", "SRV", "NS", "PTR"})
PROXIABLE = frozenset({"A", "AAAA", "CNAME"})
HOST_TYPES = frozenset({"A", "AAAA", "CNAME"})
FREE_MANAGED_RULESET = "77454fe2d30c4220b5701f6fdfb893ba"
_PLAN_NAMES = {"free": "Free Website", "pro": "Pro Website", "business": "Business Website",
               "enterprise": "Enterprise Website"}


class ApiError(Exception):
    """Raised by a handler: becomes an error envelope with this status and code."""

    def __init__(self, status: int, code: int, message: str,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


@dataclass(frozen=True, slots=True)
class LoggedRequest:
    method: str
    path: str
    """Path below the API prefix, e.g. ``/zones/<id>/dns_records``."""
    query: str
    status: int
    token: str | None
    """The label the token was registered under (never the token), or None."""


@dataclass
class FakeZone:
    id: str
    name: str
    account_id: str
    plan: str = "pro"
    status: str = "active"
    settings: dict[str, Any] = field(default_factory=lambda: copy.deepcopy(DEFAULT_SETTINGS))
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    rulesets: dict[str, dict[str, Any]] = field(default_factory=dict)
    healthchecks: dict[str, dict[str, Any]] = field(default_factory=dict)
    dnssec: dict[str, Any] = field(default_factory=lambda: {"status": "disabled"})

    def entrypoint(self, phase: str) -> dict[str, Any] | None:
        # The zone's own entrypoint: Cloudflare's managed rulesets share phases with it.
        return next((r for r in self.rulesets.values()
                     if r["phase"] == phase and r.get("kind", "zone") == "zone"), None)


@dataclass(frozen=True, slots=True)
class _Injected:
    status: int
    retry_after: str | None


Handler = Callable[["FakeCloudflare", re.Match[str], dict[str, str], Any], Any]


@dataclass(frozen=True, slots=True)
class _Route:
    method: str
    pattern: re.Pattern[str]
    scope: str | None
    handler: Handler
    paged: bool = False


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _new_id() -> str:
    return uuid.uuid4().hex


class FakeCloudflare:
    """The fake API: seed it, ``start()`` it (or use it as a context manager), read ``log``."""

    def __init__(self) -> None:
        self.zones: dict[str, FakeZone] = {}
        self.policies: dict[str, dict[str, dict[str, Any]]] = {}
        """account id → policy id → policy."""
        self.log: list[LoggedRequest] = []
        self._tokens: dict[str, tuple[str, frozenset[str]]] = {}
        self._injected: list[_Injected] = []
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> str:
        """Serve on 127.0.0.1, a free port; returns the base URL for the SDK."""
        server = ThreadingHTTPServer(("127.0.0.1", 0), _RequestHandler)
        server.daemon_threads = True
        server.fake = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-cloudflare", daemon=True)
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeCloudflare:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fake is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{API_PREFIX}"

    # -- seeding and inspection ----------------------------------------------------------

    def add_token(self, token: str, *, label: str = "token",
                  scopes: Iterable[str] = ALL_SCOPES) -> None:
        """Accept ``token`` with these scopes (``dns:read``, ``dns:edit``…; edit implies read)."""
        granted = set(scopes)
        granted |= {s.replace(":edit", ":read") for s in granted if s.endswith(":edit")}
        self._tokens[token] = (label, frozenset(granted))

    def add_zone(self, name: str, *, zone_id: str | None = None,
                 account_id: str = "a" * 32, plan: str = "pro",
                 status: str = "active") -> FakeZone:
        with self._lock:
            zone = FakeZone(id=zone_id or _new_id(), name=name.lower().rstrip("."),
                            account_id=account_id, plan=plan, status=status)
            zone.rulesets[FREE_MANAGED_RULESET] = {
                "id": FREE_MANAGED_RULESET, "name": "Cloudflare Free Managed Ruleset",
                "kind": "managed", "phase": "http_request_firewall_managed", "version": "1",
                "rules": [], "last_updated": _now(), "description": "",
            }
            self.zones[zone.id] = zone
            self.policies.setdefault(account_id, {})
            return zone

    def add_record(self, zone_id: str, name: str, type: str, content: str = "",
                   **fields: Any) -> dict[str, Any]:
        """Create a record as POST would (same validation); returns the stored record."""
        with self._lock:
            return self._create_record(self.zones[zone_id],
                                       {"name": name, "type": type, "content": content, **fields})

    def add_health_check(self, zone_id: str, *, status: str = "healthy",
                         **fields: Any) -> dict[str, Any]:
        with self._lock:
            check = self._build_health_check(fields)
            check["status"] = status
            self.zones[zone_id].healthchecks[check["id"]] = check
            return check

    def set_health_status(self, zone_id: str, check_id: str, status: str) -> None:
        with self._lock:
            self.zones[zone_id].healthchecks[check_id]["status"] = status

    def fail_next(self, count: int, *, status: int = 429, retry_after: str | None = "0.1") -> None:
        """The next ``count`` requests get ``status`` (with ``Retry-After`` when given)."""
        with self._lock:
            self._injected.extend(_Injected(status, retry_after) for _ in range(count))

    def requests(self, method: str | None = None, path_contains: str = "") -> list[LoggedRequest]:
        return [r for r in self.log
                if (method is None or r.method == method) and path_contains in r.path]

    # -- dispatch ------------------------------------------------------------------------

    def handle(self, method: str, raw_path: str, headers: dict[str, str],
               body: bytes) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(raw_path)
        path = parts.path.removeprefix(API_PREFIX) or "/"
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        label: str | None = None
        with self._lock:
            try:
                if self._injected:
                    injected = self._injected.pop(0)
                    extra = {"Retry-After": injected.retry_after} if injected.retry_after else {}
                    if injected.status == 429:
                        raise ApiError(429, 971, "Please wait and consider throttling your "
                                       "request speed", extra)
                    raise ApiError(injected.status, 10001, "Internal server error", extra)
                route, match = self._route(method, path)
                label, scopes = self._authenticate(headers)
                if route.scope and route.scope not in scopes:
                    code = 9109 if route.scope.split(":")[0] in ("notifications",
                                                                 "healthchecks") else 10000
                    message = ("Unauthorized to access requested resource" if code == 9109
                               else "Authentication error")
                    raise ApiError(403, code, message)
                payload = _json_body(body, headers)
                result = route.handler(self, match, query, payload)
                status, out_headers, out = self._success(route, result, query, method)
            except ApiError as err:
                status, out_headers, out = _error_envelope(err)
            self.log.append(LoggedRequest(method, path, parts.query, status, label))
        return status, out_headers, out

    def _route(self, method: str, path: str) -> tuple[_Route, re.Match[str]]:
        allowed = False
        for route in _ROUTES:
            match = route.pattern.fullmatch(path)
            if match:
                if route.method == method:
                    return route, match
                allowed = True
        if allowed:
            raise ApiError(405, 10405, f"Method {method} not allowed for {path}")
        raise ApiError(404, 7003, "Could not route to " + path + ", perhaps your object "
                       "identifier is invalid?")

    def _authenticate(self, headers: dict[str, str]) -> tuple[str, frozenset[str]]:
        auth = headers.get("authorization", "")
        if not auth.startswith("Bearer "):
            raise ApiError(401, 10000, "Authentication error")
        grant = self._tokens.get(auth.removeprefix("Bearer ").strip())
        if grant is None:
            raise ApiError(401, 10000, "Authentication error")
        return grant

    def _success(self, route: _Route, result: Any, query: dict[str, str],
                 method: str) -> tuple[int, dict[str, str], bytes]:
        if isinstance(result, _Raw):
            return 200, {"Content-Type": result.content_type}, result.text.encode()
        envelope: dict[str, Any] = {"success": True, "errors": [], "messages": []}
        if route.paged:
            items: list[Any] = result
            page = _int_param(query, "page", 1, 1, 10**6)
            per_page = _int_param(query, "per_page", 100, 5, 5000)
            chunk = items[(page - 1) * per_page: page * per_page]
            envelope["result"] = chunk
            envelope["result_info"] = {
                "page": page, "per_page": per_page, "count": len(chunk),
                "total_count": len(items), "total_pages": max(1, -(-len(items) // per_page)),
            }
        else:
            envelope["result"] = result
        if isinstance(result, _Cursor):
            envelope["result_info"] = {"count": len(result), "per_page": len(result),
                                       "cursor": None}
        return 200, {"Content-Type": "application/json"}, json.dumps(envelope).encode()

    # -- zones -----------------------------------------------------------------------------

    def _zone(self, zone_id: str) -> FakeZone:
        zone = self.zones.get(zone_id)
        if zone is None:
            raise ApiError(404, 1001, "Invalid zone identifier")
        return zone

    def _zone_json(self, zone: FakeZone) -> dict[str, Any]:
        return {
            "id": zone.id, "name": zone.name, "status": zone.status, "paused": False,
            "type": "full", "development_mode": 0,
            "name_servers": ["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"],
            "account": {"id": zone.account_id, "name": "Fake account"},
            "plan": {"id": zone.plan, "name": _PLAN_NAMES.get(zone.plan, zone.plan),
                     "legacy_id": zone.plan, "is_subscribed": True},
            "created_on": "2026-01-01T00:00:00Z", "modified_on": _now(),
        }

    def list_zones(self, m: re.Match[str], q: dict[str, str], body: Any) -> list[dict[str, Any]]:
        name = q.get("name", "").lower()
        return [self._zone_json(z) for z in self.zones.values() if not name or z.name == name]

    def create_zone(self, m: re.Match[str], q: dict[str, str], body: Any) -> dict[str, Any]:
        name = str(_require(body, "name")).lower().rstrip(".")
        if not re.fullmatch(r"(?:[a-z0-9-]+\.)+[a-z]{2,}", name):
            raise ApiError(400, 1097, "This zone name is invalid")
        if any(z.name == name for z in self.zones.values()):
            raise ApiError(400, 1061, f"{name} already exists")
        account = body.get("account") or {}
        zone = self.add_zone(name, account_id=str(account.get("id") or "a" * 32),
                             plan="free", status="pending")
        return self._zone_json(zone)

    def get_zone(self, m: re.Match[str], q: dict[str, str], body: Any) -> dict[str, Any]:
        return self._zone_json(self._zone(m["zone"]))

    # -- settings --------------------------------------------------------------------------

    @staticmethod
    def _setting_json(setting: str, value: Any) -> dict[str, Any]:
        return {"id": setting, "value": copy.deepcopy(value), "editable": True,
                "modified_on": None}

    def list_settings(self, m: re.Match[str], q: dict[str, str],
                      body: Any) -> list[dict[str, Any]]:
        zone = self._zone(m["zone"])
        return [self._setting_json(k, v) for k, v in zone.settings.items()]

    def get_setting(self, m: re.Match[str], q: dict[str, str], body: Any) -> dict[str, Any]:
        zone = self._zone(m["zone"])
        setting = m["setting"]
        if setting not in zone.settings:
            raise ApiError(400, 1006, f"Unrecognized zone setting name {setting}")
        return self._setting_json(setting, zone.settings[setting])

    def edit_setting(self, m: re.Match[str], q: dict[str, str], body: Any) -> dict[str, Any]:
        zone = self._zone(m["zone"])
        setting = m["setting"]
        if setting not in zone.settings:
            raise ApiError(400, 1006, f"Unrecognized zone setting name {setting}")
        value = _require(body, "value")
        _check_setting(setting, value)
        zone.settings[setting] = copy.deepcopy(value)
        return self._setting_json(setting, value)

    # -- DNS records -----------------------------------------------------------------------

    def list_records(self, m: re.Match[str], q: dict[str, str],
                     body: Any) -> list[dict[str, Any]]:
        zone = self._zone(m["zone"])
        records = sorted(zone.records.values(), key=lambda r: (r["name"], r["type"], r["id"]))
        if "name" in q:
            records = [r for r in records if r["name"] == _fqdn(q["name"], zone.name)]
        if "type" in q:
            records = [r for r in records if r["type"] == q["type"].upper()]
        return copy.deepcopy(records)

    def get_record(self, m: re.Match[str], q: dict[str, str], body: Any) -> dict[str, Any]:
        return copy.deepcopy(self._record(self._zone(m["zone"]), m["record"]))

    def post_record(self, m: re.Match[str], q: dict[str, str], body: Any) -> dict[str, Any]:
        return copy.deepcopy(self._create_record(self._zone(m["zone"]), _mapping(body)))

    def put_record(self, m: re.Match[str], q: dict[str, str], body: Any) -> dict[str, Any]:
        zone = self._zone(m["zone"])
        old = self._record(zone, m["record"])
        new = self._validated_record(zone, _mapping(body), replacing=old["id"])
        new["id"], new["created_on"] = old["id"], old["created_on"]
        zone.records[old["id"]] = new
        return copy.deepcopy(new)

    def patch_record(self, m: re.Match[str], q: dict[str, str], body: Any) -> dict[str, Any]:
        zone = self._zone(m["zone"])
        old = self._record(zone, m["record"])
        merged: dict[str, Any] = {k: old[k] for k in ("name", "type", "content", "ttl", "proxied", "priority",
                                      "data", "comment", "tags") if k in old}
        patch = _mapping(body)
        if "data" in patch and "content" not in patch:
            merged.pop("content", None)
        merged.update(patch)
        new = self._validated_record(zone, merged, replacing=old["id"])
        new["id"], new["created_on"] = old["id"], old["created_on"]
        zone.records[old["id"]] = new
        return copy.deepcopy(new)

    def delete_record(self, m: re.Match[str], q: dict[str, str], body: Any) -> dict[str, Any]:
        zone = self._zone(m["zone"])
        record = self._record(zone, m["record"])
        del zone.records[record["id"]]
        return {"id": record["id"]}

    def export_records(self, m: re.Match[str], q: dict[str, str], body: Any) -> _Raw:
        zone = self._zone(m["zone"])
        return _Raw(_bind_export(zone), "text/plain; charset=utf-8")

    def import_records(self, m: re.Match[str], q: dict[str, str], body: Any) -> dict[str, Any]:
        zone = self._zone(m["zone"])
        if not isinstance(body, _Multipart) or "file" not in body.fields:
            raise ApiError(400, 1004, "DNS Validation Error: a zone file is required (file)")
        proxied = body.fields.get("proxied", "false").lower() == "true"
        try:
            records, _skipped = parse_bind(body.fields["file"], zone.name)
        except BindError as exc:
            raise ApiError(400, 81045, f"Failed to parse zone file: {exc}") from None
        added = parsed_count = 0
        for record in records:
            if record.type not in RECORD_TYPES:
                continue
            parsed_count += 1
            fields: dict[str, Any] = {
                "name": record.name, "type": record.type, "content": record.content,
                "ttl": record.ttl, "proxied": (proxied or record.proxied) and record.type in PROXIABLE,
            }
            if record.priority is not None:
                fields["priority"] = record.priority
            if record.data:
                fields["data"] = record.data
            if record.comment:
                fields["comment"] = record.comment
            try:
                self._create_record(zone, fields)
            except ApiError as err:
                if err.code not in (81053, 81058):
                    raise
                continue
            added += 1
        return {"recs_added": added, "total_records_parsed": parsed_count}

    def _record(self, zone: FakeZone, record_id: str) -> dict[str, Any]:
        record = zone.records.get(record_id)
        if record is None:
            raise ApiError(404, 81044, "Record does not exist.")
        return record

    def _create_record(self, zone: FakeZone, body: dict[str, Any]) -> dict[str, Any]:
        record = self._validated_record(zone, body, replacing=None)
        zone.records[record["id"]] = record
        return record

    def _validated_record(self, zone: FakeZone, body: dict[str, Any],
                          replacing: str | None) -> dict[str, Any]:
        rtype = str(body.get("type") or "").upper()
        if rtype not in RECORD_TYPES:
            raise ApiError(400, 1004, f"DNS Validation Error: unsupported record type {rtype!r}")
        if not body.get("name"):
            raise ApiError(400, 1004, "DNS Validation Error: name is required")
        name = _fqdn(str(body["name"]), zone.name)
        if name != zone.name and not name.endswith("." + zone.name):
            raise ApiError(400, 1004, f"DNS Validation Error: {name} is outside {zone.name}")
        data = body.get("data") if isinstance(body.get("data"), dict) else None
        content = str(body.get("content") or "")
        priority = body.get("priority")
        if rtype == "CAA":
            data, content = _caa(content, data)
        elif rtype == "SRV":
            data, content, priority = _srv(content, data, priority)
        if not content:
            raise ApiError(400, 9000, "DNS Validation Error: content is required")
        if rtype == "A" and not _is_ip(content, 4):
            raise ApiError(400, 9005, "Content for A record must be a valid IPv4 address.")
        if rtype == "AAAA" and not _is_ip(content, 6):
            raise ApiError(400, 9006, "Content for AAAA record must be a valid IPv6 address.")
        if rtype in ("CNAME", "MX", "NS"):
            content = content.rstrip(".").lower() or "."
        if rtype in ("MX", "SRV") and priority is None:
            raise ApiError(400, 1004, f"DNS Validation Error: {rtype} records need a priority")
        proxied = bool(body.get("proxied", False))
        if proxied and rtype not in PROXIABLE:
            raise ApiError(400, 9004, "This record type cannot be proxied.")
        ttl = int(body.get("ttl") or 1)
        if ttl != 1 and not 30 <= ttl <= 86400:
            raise ApiError(400, 1004, "DNS Validation Error: TTL must be between 30 and 86400 "
                           "seconds, or 1 for Automatic.")
        comment = body.get("comment")
        if comment is not None and len(str(comment)) > 100:
            raise ApiError(400, 9102, "Comment is too long (100 characters maximum).")
        for other in zone.records.values():
            if other["id"] == replacing or other["name"] != name:
                continue
            if rtype in HOST_TYPES and other["type"] in HOST_TYPES and (
                "CNAME" in (rtype, other["type"])
            ):
                raise ApiError(400, 81053, "An A, AAAA, or CNAME record with that host "
                               "already exists.")
            if (other["type"], other["content"].lower(), other.get("priority")) == (
                rtype, content.lower(), priority if rtype in ("MX", "SRV") else None
            ):
                raise ApiError(400, 81058, "An identical record already exists.")
        now = _now()
        record: dict[str, Any] = {
            "id": _new_id(), "zone_id": zone.id, "zone_name": zone.name, "name": name,
            "type": rtype, "content": content, "proxiable": rtype in PROXIABLE,
            "proxied": proxied, "ttl": 1 if proxied else ttl, "settings": {}, "meta": {},
            "comment": comment, "tags": list(body.get("tags") or []),
            "created_on": now, "modified_on": now,
        }
        if rtype in ("MX", "SRV"):
            record["priority"] = int(priority) if priority is not None else None
        if data:
            record["data"] = data
        return record

    # -- rulesets --------------------------------------------------------------------------

    @staticmethod
    def _ruleset_summary(ruleset: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in ruleset.items() if k != "rules"}

    def list_rulesets(self, m: re.Match[str], q: dict[str, str], body: Any) -> _Cursor:
        zone = self._zone(m["zone"])
        return _Cursor([self._ruleset_summary(r) for r in zone.rulesets.values()])

    def get_ruleset(self, m: re.Match[str], q: dict[str, str], body: Any) -> dict[str, Any]:
        zone = self._zone(m["zone"])
        ruleset = zone.rulesets.get(m["ruleset"])
        if ruleset is None:
            raise ApiError(404, 10003, "could not find ruleset")
        return copy.deepcopy(ruleset)

    def put_ruleset(self, m: re.Match[str], q: dict[str, str], body: Any) -> dict[str, Any]:
        zone = self._zone(m["zone"])
        ruleset = zone.rulesets.get(m["ruleset"])
        if ruleset is None or ruleset["kind"] != "zone":
            raise ApiError(404, 10003, "could not find ruleset")
        return copy.deepcopy(self._store_rules(ruleset, _mapping(body)))

    def delete_ruleset(self, m: re.Match[str], q: dict[str, str], body: Any) -> None:
        zone = self._zone(m["zone"])
        if zone.rulesets.get(m["ruleset"], {}).get("kind") != "zone":
            raise ApiError(404, 10003, "could not find ruleset")
        del zone.rulesets[m["ruleset"]]

    def create_ruleset(self, m: re.Match[str], q: dict[str, str], body: Any) -> dict[str, Any]:
        zone = self._zone(m["zone"])
        payload = _mapping(body)
        phase = str(_require(payload, "phase"))
        if zone.entrypoint(phase) is not None:
            raise ApiError(400, 20217, "A similar configuration with rules already exists and "
                           "overwriting will have unintended consequences")
        ruleset = self._new_ruleset(zone, phase, str(payload.get("name") or "default"))
        return copy.deepcopy(self._store_rules(ruleset, payload))

    def get_entrypoint(self, m: re.Match[str], q: dict[str, str], body: Any) -> dict[str, Any]:
        ruleset = self._zone(m["zone"]).entrypoint(m["phase"])
        if ruleset is None:
            raise ApiError(404, 10003, f"could not find entrypoint ruleset in the "
                           f"'{m['phase']}' phase")
        return copy.deepcopy(ruleset)

    def put_entrypoint(self, m: re.Match[str], q: dict[str, str], body: Any) -> dict[str, Any]:
        zone = self._zone(m["zone"])
        ruleset = zone.entrypoint(m["phase"]) or self._new_ruleset(zone, m["phase"], "default")
        return copy.deepcopy(self._store_rules(ruleset, _mapping(body)))

    @staticmethod
    def _new_ruleset(zone: FakeZone, phase: str, name: str) -> dict[str, Any]:
        ruleset: dict[str, Any] = {"id": _new_id(), "name": name, "description": "",
                                   "kind": "zone", "phase": phase, "version": "0",
                                   "rules": [], "last_updated": _now()}
        zone.rulesets[ruleset["id"]] = ruleset
        return ruleset

    @staticmethod
    def _store_rules(ruleset: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        rules = body.get("rules") or []
        if not isinstance(rules, list):
            raise ApiError(400, 20021, "rules must be a list")
        stored = []
        for index, rule in enumerate(rules):
            if not isinstance(rule, dict) or not rule.get("expression") or not rule.get("action"):
                raise ApiError(400, 20021, f"rules[{index}]: a rule needs an action and an "
                               "expression")
            rule_id = str(rule.get("id") or _new_id())
            stored.append({**rule, "id": rule_id, "ref": rule.get("ref") or rule_id,
                           "enabled": rule.get("enabled", True), "version": "1",
                           "last_updated": _now()})
        ruleset["rules"] = stored
        for key in ("name", "description"):
            if key in body:
                ruleset[key] = body[key]
        ruleset["version"] = str(int(ruleset["version"]) + 1)
        ruleset["last_updated"] = _now()
        return ruleset

    # -- health checks ---------------------------------------------------------------------

    def list_health_checks(self, m: re.Match[str], q: dict[str, str],
                           body: Any) -> list[dict[str, Any]]:
        zone = self._zone(m["zone"])
        return copy.deepcopy(sorted(zone.healthchecks.values(), key=lambda h: h["name"]))

    def get_health_check(self, m: re.Match[str], q: dict[str, str], body: Any) -> dict[str, Any]:
        return copy.deepcopy(self._health_check(self._zone(m["zone"]), m["check"]))

    def post_health_check(self, m: re.Match[str], q: dict[str, str],
                          body: Any) -> dict[str, Any]:
        zone = self._zone(m["zone"])
        if zone.plan == "free":
            raise ApiError(403, 1002, "Health Checks are not available on the Free plan")
        check = self._build_health_check(_mapping(body))
        zone.healthchecks[check["id"]] = check
        return copy.deepcopy(check)

    def put_health_check(self, m: re.Match[str], q: dict[str, str], body: Any) -> dict[str, Any]:
        zone = self._zone(m["zone"])
        old = self._health_check(zone, m["check"])
        new = self._build_health_check(_mapping(body))
        new.update(id=old["id"], status=old["status"], created_on=old["created_on"])
        zone.healthchecks[old["id"]] = new
        return copy.deepcopy(new)

    def delete_health_check(self, m: re.Match[str], q: dict[str, str],
                            body: Any) -> dict[str, Any]:
        zone = self._zone(m["zone"])
        check = self._health_check(zone, m["check"])
        del zone.healthchecks[check["id"]]
        return {"id": check["id"]}

    @staticmethod
    def _health_check(zone: FakeZone, check_id: str) -> dict[str, Any]:
        check = zone.healthchecks.get(check_id)
        if check is None:
            raise ApiError(404, 1003, "Health check not found")
        return check

    @staticmethod
    def _build_health_check(body: dict[str, Any]) -> dict[str, Any]:
        name = str(body.get("name") or "")
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,255}", name):
            raise ApiError(400, 1002, "name must contain only letters, digits, '-' and '_'")
        address = str(body.get("address") or "")
        if not address:
            raise ApiError(400, 1002, "address is required")
        kind = str(body.get("type") or "HTTP").upper()
        if kind not in ("HTTP", "HTTPS", "TCP"):
            raise ApiError(400, 1002, "type must be HTTP, HTTPS or TCP")
        http = dict(body.get("http_config") or {})
        if kind != "TCP":
            http.setdefault("path", "/")
            http.setdefault("method", "GET")
            http.setdefault("expected_codes", ["200"])
            http.setdefault("expected_body", "")
            http.setdefault("follow_redirects", False)
            http.setdefault("allow_insecure", False)
            http.setdefault("header", {})
            http.setdefault("port", 443 if kind == "HTTPS" else 80)
        now = _now()
        return {
            "id": _new_id(), "name": name, "description": body.get("description") or "",
            "address": address, "type": kind,
            "check_regions": list(body.get("check_regions") or ["WNAM"]),
            "consecutive_fails": int(body.get("consecutive_fails") or 1),
            "consecutive_successes": int(body.get("consecutive_successes") or 1),
            "interval": int(body.get("interval") or 60), "retries": int(body.get("retries") or 2),
            "timeout": int(body.get("timeout") or 5), "suspended": bool(body.get("suspended")),
            "status": "unknown", "failure_reason": "",
            "http_config": http if kind != "TCP" else None,
            "tcp_config": body.get("tcp_config") if kind == "TCP" else None,
            "created_on": now, "modified_on": now,
        }

    # -- notification policies (account scoped) ---------------------------------------------

    def _account(self, account_id: str) -> dict[str, dict[str, Any]]:
        if account_id not in self.policies:
            raise ApiError(404, 7003, "Could not route to the account, perhaps your object "
                           "identifier is invalid?")
        return self.policies[account_id]

    def list_policies(self, m: re.Match[str], q: dict[str, str], body: Any) -> _Single:
        policies = self._account(m["account"])
        return _Single(copy.deepcopy(sorted(policies.values(), key=lambda p: p["name"])))

    def post_policy(self, m: re.Match[str], q: dict[str, str], body: Any) -> dict[str, Any]:
        policies = self._account(m["account"])
        payload = _mapping(body)
        for key in ("name", "alert_type", "mechanisms"):
            if not payload.get(key):
                raise ApiError(400, 17102, f"{key} is required")
        now = _now()
        policy = {"id": _new_id(), "name": payload["name"], "alert_type": payload["alert_type"],
                  "enabled": bool(payload.get("enabled", True)),
                  "description": payload.get("description") or "",
                  "filters": payload.get("filters") or {}, "mechanisms": payload["mechanisms"],
                  "created": now, "modified": now}
        policies[policy["id"]] = policy
        return {"id": policy["id"]}

    def put_policy(self, m: re.Match[str], q: dict[str, str], body: Any) -> dict[str, Any]:
        policies = self._account(m["account"])
        policy = policies.get(m["policy"])
        if policy is None:
            raise ApiError(404, 17103, "policy not found")
        payload = _mapping(body)
        for key in ("name", "alert_type", "mechanisms"):
            if not payload.get(key):
                raise ApiError(400, 17102, f"{key} is required")
        policy.update(name=payload["name"], alert_type=payload["alert_type"],
                      enabled=bool(payload.get("enabled", True)),
                      description=payload.get("description") or "",
                      filters=payload.get("filters") or {}, mechanisms=payload["mechanisms"],
                      modified=_now())
        return {"id": policy["id"]}

    def delete_policy(self, m: re.Match[str], q: dict[str, str], body: Any) -> None:
        policies = self._account(m["account"])
        if policies.pop(m["policy"], None) is None:
            raise ApiError(404, 17103, "policy not found")

    # -- DNSSEC ----------------------------------------------------------------------------

    def get_dnssec(self, m: re.Match[str], q: dict[str, str], body: Any) -> dict[str, Any]:
        return dict(self._zone(m["zone"]).dnssec)

    def patch_dnssec(self, m: re.Match[str], q: dict[str, str], body: Any) -> dict[str, Any]:
        zone = self._zone(m["zone"])
        status = _mapping(body).get("status")
        if status not in ("active", "disabled"):
            raise ApiError(400, 1004, "status must be 'active' or 'disabled'")
        zone.dnssec = {"status": status, "algorithm": "13", "digest_type": "2",
                       "key_tag": 2371} if status == "active" else {"status": "disabled"}
        return dict(zone.dnssec)

    # -- tokens ----------------------------------------------------------------------------

    def verify_token(self, m: re.Match[str], q: dict[str, str], body: Any) -> dict[str, Any]:
        return {"id": "fake-token-id", "status": "active"}


@dataclass(frozen=True, slots=True)
class _Raw:
    text: str
    content_type: str


class _Cursor(list[dict[str, Any]]):
    """A cursor-paginated list (rulesets): one page, no cursor."""


class _Single(list[dict[str, Any]]):
    """An unpaginated list (alerting policies)."""


@dataclass(frozen=True, slots=True)
class _Multipart:
    fields: dict[str, str]


def _r(method: str, pattern: str, scope: str | None, handler: Handler,
       paged: bool = False) -> _Route:
    regex = re.compile(pattern.replace("{zone}", r"(?P<zone>[0-9a-f]{32})"))
    return _Route(method, regex, scope, handler, paged)


_ROUTES: tuple[_Route, ...] = (
    _r("GET", r"/user/tokens/verify", None, FakeCloudflare.verify_token),
    _r("GET", r"/zones", "zone:read", FakeCloudflare.list_zones, paged=True),
    _r("POST", r"/zones", "zone:edit", FakeCloudflare.create_zone),
    _r("GET", r"/zones/{zone}", "zone:read", FakeCloudflare.get_zone),
    _r("GET", r"/zones/{zone}/settings", "settings:read", FakeCloudflare.list_settings),
    _r("GET", r"/zones/{zone}/settings/(?P<setting>[a-z0-9_]+)", "settings:read",
       FakeCloudflare.get_setting),
    _r("PATCH", r"/zones/{zone}/settings/(?P<setting>[a-z0-9_]+)", "settings:edit",
       FakeCloudflare.edit_setting),
    _r("GET", r"/zones/{zone}/dns_records/export", "dns:read", FakeCloudflare.export_records),
    _r("POST", r"/zones/{zone}/dns_records/import", "dns:edit", FakeCloudflare.import_records),
    _r("GET", r"/zones/{zone}/dns_records", "dns:read", FakeCloudflare.list_records, paged=True),
    _r("POST", r"/zones/{zone}/dns_records", "dns:edit", FakeCloudflare.post_record),
    _r("GET", r"/zones/{zone}/dns_records/(?P<record>\w+)", "dns:read",
       FakeCloudflare.get_record),
    _r("PUT", r"/zones/{zone}/dns_records/(?P<record>\w+)", "dns:edit",
       FakeCloudflare.put_record),
    _r("PATCH", r"/zones/{zone}/dns_records/(?P<record>\w+)", "dns:edit",
       FakeCloudflare.patch_record),
    _r("DELETE", r"/zones/{zone}/dns_records/(?P<record>\w+)", "dns:edit",
       FakeCloudflare.delete_record),
    _r("GET", r"/zones/{zone}/rulesets", "rulesets:read", FakeCloudflare.list_rulesets),
    _r("POST", r"/zones/{zone}/rulesets", "rulesets:edit", FakeCloudflare.create_ruleset),
    _r("GET", r"/zones/{zone}/rulesets/phases/(?P<phase>\w+)/entrypoint", "rulesets:read",
       FakeCloudflare.get_entrypoint),
    _r("PUT", r"/zones/{zone}/rulesets/phases/(?P<phase>\w+)/entrypoint", "rulesets:edit",
       FakeCloudflare.put_entrypoint),
    _r("GET", r"/zones/{zone}/rulesets/(?P<ruleset>\w+)", "rulesets:read",
       FakeCloudflare.get_ruleset),
    _r("PUT", r"/zones/{zone}/rulesets/(?P<ruleset>\w+)", "rulesets:edit",
       FakeCloudflare.put_ruleset),
    _r("DELETE", r"/zones/{zone}/rulesets/(?P<ruleset>\w+)", "rulesets:edit",
       FakeCloudflare.delete_ruleset),
    _r("GET", r"/zones/{zone}/healthchecks", "healthchecks:read",
       FakeCloudflare.list_health_checks, paged=True),
    _r("POST", r"/zones/{zone}/healthchecks", "healthchecks:edit",
       FakeCloudflare.post_health_check),
    _r("GET", r"/zones/{zone}/healthchecks/(?P<check>\w+)", "healthchecks:read",
       FakeCloudflare.get_health_check),
    _r("PUT", r"/zones/{zone}/healthchecks/(?P<check>\w+)", "healthchecks:edit",
       FakeCloudflare.put_health_check),
    _r("DELETE", r"/zones/{zone}/healthchecks/(?P<check>\w+)", "healthchecks:edit",
       FakeCloudflare.delete_health_check),
    _r("GET", r"/accounts/(?P<account>\w+)/alerting/v3/policies", "notifications:read",
       FakeCloudflare.list_policies),
    _r("POST", r"/accounts/(?P<account>\w+)/alerting/v3/policies", "notifications:edit",
       FakeCloudflare.post_policy),
    _r("PUT", r"/accounts/(?P<account>\w+)/alerting/v3/policies/(?P<policy>\w+)",
       "notifications:edit", FakeCloudflare.put_policy),
    _r("DELETE", r"/accounts/(?P<account>\w+)/alerting/v3/policies/(?P<policy>\w+)",
       "notifications:edit", FakeCloudflare.delete_policy),
    _r("GET", r"/zones/{zone}/dnssec", "dns:read", FakeCloudflare.get_dnssec),
    _r("PATCH", r"/zones/{zone}/dnssec", "dns:edit", FakeCloudflare.patch_dnssec),
)


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-cloudflare"

    def setup(self) -> None:
        super().setup()
        # Without this, Nagle and delayed ACKs add ~40 ms to every keep-alive request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        fake: FakeCloudflare = self.server.fake  # type: ignore[attr-defined]
        status, out_headers, out = fake.handle(self.command, self.path, headers, body)
        self.send_response(status)
        for key, value in out_headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the fake keeps its own request log (without credentials)."""


# --------------------------------------------------------------------------- helpers


def _error_envelope(err: ApiError) -> tuple[int, dict[str, str], bytes]:
    body = {"success": False, "errors": [{"code": err.code, "message": err.message}],
            "messages": [], "result": None}
    return err.status, {"Content-Type": "application/json", **err.headers}, json.dumps(body).encode()


def _json_body(body: bytes, headers: dict[str, str]) -> Any:
    if not body:
        return None
    content_type = headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
        )
        fields: dict[str, str] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            if isinstance(name, str) and isinstance(payload, bytes):
                fields[name] = payload.decode("utf-8", "replace")
        return _Multipart(fields)
    try:
        return json.loads(body)
    except ValueError:
        raise ApiError(400, 6007, "Malformed JSON in request body") from None


def _mapping(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ApiError(400, 6007, "Malformed JSON in request body: expected an object")
    return body


def _require(body: Any, key: str) -> Any:
    value = _mapping(body).get(key)
    if value is None or value == "":
        raise ApiError(400, 1004, f"{key} is required")
    return value


def _int_param(query: dict[str, str], key: str, default: int, low: int, high: int) -> int:
    raw = query.get(key)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, 1004, f"{key} must be an integer") from None
    if not low <= value <= high:
        raise ApiError(400, 1004, f"{key} must be between {low} and {high}")
    return value


def _check_setting(setting: str, value: Any) -> None:
    allowed = _SETTING_VALUES.get(setting)
    current = DEFAULT_SETTINGS[setting]
    if setting == "security_header":
        bad = not (isinstance(value, dict)
                   and isinstance(value.get("strict_transport_security"), dict))
    elif not isinstance(value, str | int | float | bool):
        bad = True  # only security_header takes an object
    else:
        bad = (allowed is not None and value not in allowed) or (
            allowed is None and isinstance(current, str) and current in _ON_OFF
            and value not in _ON_OFF
        )
    if bad:
        raise ApiError(400, 1007, f"Invalid value for zone setting {setting}")


def _fqdn(name: str, zone: str) -> str:
    name = name.strip().rstrip(".").lower()
    if name in ("", "@"):
        return zone
    if name == zone or name.endswith("." + zone):
        return name
    return f"{name}.{zone}"


def _is_ip(value: str, version: int) -> bool:
    try:
        return ipaddress.ip_address(value).version == version
    except ValueError:
        return False


def _caa(content: str, data: dict[str, Any] | None) -> tuple[dict[str, Any], str]:
    if data is None:
        match = re.fullmatch(r'\s*(\d+)\s+(\w+)\s+"?(.*?)"?\s*', content)
        if not match:
            raise ApiError(400, 1004, "DNS Validation Error: CAA needs flags, tag and value")
        data = {"flags": int(match[1]), "tag": match[2], "value": match[3]}
    if data.get("tag") not in ("issue", "issuewild", "iodef"):
        raise ApiError(400, 1004, "DNS Validation Error: CAA tag must be issue, issuewild or iodef")
    data = {"flags": int(data.get("flags", 0)), "tag": data["tag"], "value": str(data["value"])}
    return data, f'{data["flags"]} {data["tag"]} "{data["value"]}"'


def _srv(content: str, data: dict[str, Any] | None,
         priority: Any) -> tuple[dict[str, Any], str, Any]:
    """SRV as Cloudflare keeps it: ``data`` and ``content`` (weight port target) both set."""
    if data is None:
        parts = content.split()
        if len(parts) != 3 or not (parts[0].isdigit() and parts[1].isdigit()):
            raise ApiError(400, 1004, "DNS Validation Error: SRV content is 'weight port target'")
        data = {"weight": int(parts[0]), "port": int(parts[1]), "target": parts[2].rstrip(".")}
    priority = data.get("priority", priority)
    data = {"priority": priority, "weight": int(data.get("weight", 0)),
            "port": int(data.get("port", 0)), "target": str(data.get("target", "")).rstrip(".")}
    return data, f"{data['weight']} {data['port']} {data['target']}", priority




def _bind_export(zone: FakeZone) -> str:
    """Cloudflare's export format: header comments, SOA, records with ``cf_tags`` comments."""
    lines = [
        ";;", f";; Domain:     {zone.name}.", f";; Exported:   {_now()[:19].replace('T', ' ')}",
        ";;", ";; This file is intended for use for informational and archival",
        ";; purposes ONLY and MUST be edited before use on a production",
        ";; DNS server.", ";;", "",
        ";; SOA Record",
        f"{zone.name}.\t3600\tIN\tSOA\tada.ns.cloudflare.com. dns.cloudflare.com. "
        "2050000000 10000 2400 604800 3600", "",
        ";; NS Records",
        f"{zone.name}.\t86400\tIN\tNS\tada.ns.cloudflare.com.",
        f"{zone.name}.\t86400\tIN\tNS\tbob.ns.cloudflare.com.",
    ]
    by_type: dict[str, list[dict[str, Any]]] = {}
    for record in sorted(zone.records.values(), key=lambda r: (r["name"], r["content"])):
        by_type.setdefault(record["type"], []).append(record)
    for rtype in sorted(by_type):
        lines += ["", f";; {rtype} Records"]
        for record in by_type[rtype]:
            lines.append(bind_line(record_from_api(record)))
    return "\n".join(lines) + "\n"




def iter_records(fake: FakeCloudflare, zone_id: str) -> Iterator[dict[str, Any]]:
    """The zone's records as stored (copies), for assertions in tests."""
    with fake._lock:
        records = copy.deepcopy(list(fake.zones[zone_id].records.values()))
    yield from records

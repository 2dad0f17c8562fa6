"""Drift: the offline plan (what ``pulumi up`` would make) against the live zone.

Three steps, kept apart so the comparison stays a pure function:

1. ``desired_from_plan`` turns the plan's resources (wire camelCase inputs) into ``Desired``;
2. ``takeover_candidates`` lists the CNAME targets whose resolution matters, and the caller
   resolves them through an injected ``Lookup`` (``resolve_targets``);
3. ``compare`` takes desired, live ``ZoneState`` and those answers and returns a ``DriftReport``.

Comparison is "desired is a subset of live": fields the plan sets must match, fields Cloudflare
fills in by itself (defaults, ids, timestamps) are not drift. Values the plan cannot know yet
(``${name.id}`` placeholders) are resolved against live objects where possible, else skipped.
Tolerated on purpose: TXT quoting, trailing dots and case in host names, float vs int numbers,
the CAA records Cloudflare adds for its Universal SSL CAs, and account-wide notification
policies that are not the plan's.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

from launchready.cloudflare.state import DnsRecord, HealthCheck, NotificationPolicy, ZoneState
from launchready.verify.dnsclient import DnsAnswer, Lookup, Rcode, is_service_name

ZONE_SETTING = "cloudflare:index/zoneSetting:ZoneSetting"
DNS_RECORD = "cloudflare:index/dnsRecord:DnsRecord"
RULESET = "cloudflare:index/ruleset:Ruleset"
HEALTHCHECK = "cloudflare:index/healthcheck:Healthcheck"
NOTIFICATION_POLICY = "cloudflare:index/notificationPolicy:NotificationPolicy"
ZONE_DNSSEC = "cloudflare:index/zoneDnssec:ZoneDnssec"

Severity = Literal["high", "medium", "low"]

SECURITY_SETTINGS = frozenset({"ssl", "min_tls_version", "always_use_https", "security_header",
                               "tls_1_3", "automatic_https_rewrites"})
UNIVERSAL_SSL_CAS = frozenset({"letsencrypt.org", "pki.goog", "ssl.com", "digicert.com",
                               "comodoca.com", "sectigo.com"})
"""CAs Cloudflare adds CAA records for when a zone has any (cloudflare-docs ca-faq)."""

_PLACEHOLDER = re.compile(r"^\$\{(?P<name>.+)\.id\}$")
_CAMEL = re.compile(r"^[a-z][a-zA-Z0-9]*$")
_HUMP = re.compile(r"(?<=[a-z0-9])([A-Z])")
# The provider's plural Python names vs the API's keys for notification policies.
_POLICY_KEYS = {"health_check_ids": "health_check_id", "statuses": "status", "emails": "email",
                "pagerduties": "pagerduty"}


# --------------------------------------------------------------------------- report


@dataclass(frozen=True, slots=True)
class DriftItem:
    kind: str
    """``<area>.<change>``: e.g. ``setting.changed``, ``record.unmanaged``, ``rule.added``,
    ``record.takeover_risk``, ``healthcheck.missing``."""
    resource: str
    """The plan's logical name, or a description of the live object when the plan has none."""
    key: str
    """What differs: a setting id, a record identity, ``<phase>/<ref>.<field>``…"""
    desired: Any
    live: Any
    severity: Severity
    note: str
    """Why it matters and how to bring the zone back in line."""

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "resource": self.resource, "key": self.key,
                "desired": self.desired, "live": self.live, "severity": self.severity,
                "note": self.note}


@dataclass(frozen=True, slots=True)
class DriftReport:
    zone: str
    zone_id: str
    items: tuple[DriftItem, ...]
    compared: Mapping[str, int] = field(default_factory=dict)
    """How many desired objects of each area were compared, e.g. ``{"records": 16}``."""

    @property
    def in_sync(self) -> bool:
        return not self.items

    def to_dict(self) -> dict[str, Any]:
        return {"zone": self.zone, "zone_id": self.zone_id, "in_sync": self.in_sync,
                "compared": dict(self.compared), "items": [i.to_dict() for i in self.items]}


# --------------------------------------------------------------------------- desired state


@dataclass(frozen=True, slots=True)
class DesiredRecord:
    resource: str
    name: str
    type: str
    content: str
    ttl: int = 1
    proxied: bool | None = None
    """None when the type cannot be proxied (the plan does not set it)."""
    priority: int | None = None
    data: Mapping[str, Any] | None = None
    comment: str = ""


@dataclass(frozen=True, slots=True)
class Desired:
    """The plan, reduced to what the API can be compared with (snake_case, ints, no wire names)."""

    settings: Mapping[str, tuple[str, Any]] = field(default_factory=dict)
    """setting id -> (resource name, value)."""
    records: tuple[DesiredRecord, ...] = ()
    rulesets: Mapping[str, tuple[str, Mapping[str, Mapping[str, Any]]]] = field(default_factory=dict)
    """phase -> (resource name, {ref: rule fields})."""
    health_checks: Mapping[str, tuple[str, Mapping[str, Any]]] = field(default_factory=dict)
    """health check name -> (resource name, fields)."""
    notification_policies: Mapping[str, tuple[str, Mapping[str, Any]]] = field(default_factory=dict)
    """policy name -> (resource name, fields)."""
    dnssec: tuple[str, str] | None = None
    """(resource name, status) when the plan signs the zone."""
    resource_names: Mapping[str, str] = field(default_factory=dict)
    """Plan resource name -> its health check name, to resolve ``${name.id}`` placeholders."""


def snake(value: Any) -> Any:
    """Wire camelCase keys -> API snake_case, recursively; integral floats -> int.

    Only identifier-like keys are converted: header names (``X-Frame-Options``) and other
    map keys the user chose stay as they are.
    """
    if isinstance(value, Mapping):
        return {(_HUMP.sub(r"_\1", k).lower() if _CAMEL.match(k) else k): snake(v)
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [snake(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _placeholder(value: Any) -> str | None:
    match = _PLACEHOLDER.match(value) if isinstance(value, str) else None
    return match.group("name") if match else None


def desired_from_plan(resources: Iterable[Any]) -> Desired:
    """Reduce plan resources (objects with ``type``, ``name``, ``inputs``) to ``Desired``."""
    settings: dict[str, tuple[str, Any]] = {}
    records: list[DesiredRecord] = []
    rulesets: dict[str, tuple[str, dict[str, Mapping[str, Any]]]] = {}
    checks: dict[str, tuple[str, Mapping[str, Any]]] = {}
    policies: dict[str, tuple[str, Mapping[str, Any]]] = {}
    names: dict[str, str] = {}
    dnssec = None
    for res in resources:
        inputs = snake(res.inputs)
        if res.type == ZONE_SETTING:
            settings[str(inputs["setting_id"])] = (res.name, inputs.get("value"))
        elif res.type == DNS_RECORD:
            records.append(_desired_record(res.name, inputs))
        elif res.type == RULESET and inputs.get("kind", "zone") == "zone":
            rules: dict[str, Mapping[str, Any]] = {
                str(r.get("ref")): _without(r, "ref") for r in inputs.get("rules") or ()
            }
            rulesets[str(inputs["phase"])] = (res.name, rules)
        elif res.type == HEALTHCHECK:
            checks[str(inputs["name"])] = (res.name, _without(inputs, "zone_id"))
            names[res.name] = str(inputs["name"])
        elif res.type == NOTIFICATION_POLICY:
            fields = {_POLICY_KEYS.get(k, k): v for k, v in _without(inputs, "account_id").items()}
            for part in ("filters", "mechanisms"):
                if isinstance(fields.get(part), Mapping):
                    fields[part] = {_POLICY_KEYS.get(k, k): v for k, v in fields[part].items()}
            policies[str(inputs["name"])] = (res.name, fields)
        elif res.type == ZONE_DNSSEC:
            dnssec = (res.name, str(inputs.get("status", "active")))
    return Desired(settings, tuple(records), rulesets, checks, policies, dnssec, names)


def _without(mapping: Mapping[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if k not in keys}


def _desired_record(resource: str, inputs: Mapping[str, Any]) -> DesiredRecord:
    rtype = str(inputs["type"]).upper()
    data = inputs.get("data")
    content = str(inputs.get("content") or "")
    if rtype == "CAA" and isinstance(data, Mapping):
        content = f'{data.get("flags", 0)} {data.get("tag")} "{data.get("value")}"'
    elif rtype == "SRV" and isinstance(data, Mapping):
        content = f'{data.get("weight")} {data.get("port")} {data.get("target")}'
    priority = inputs.get("priority")
    if rtype == "SRV" and isinstance(data, Mapping):
        priority = data.get("priority", priority)
    return DesiredRecord(
        resource=resource,
        name=_host(str(inputs["name"])),
        type=rtype,
        content=content,
        ttl=int(inputs.get("ttl") or 1),
        proxied=inputs.get("proxied"),
        priority=int(priority) if priority is not None else None,
        data=data if isinstance(data, Mapping) else None,
        comment=str(inputs.get("comment") or ""),
    )


# --------------------------------------------------------------------------- normalisation


def _host(name: str) -> str:
    return name.strip().rstrip(".").lower()


def unquote_txt(content: str) -> str:
    """``"v=spf1 " "-all"`` -> ``v=spf1 -all``; unquoted text is returned unchanged."""
    text = content.strip()
    parts = re.findall(r'"((?:[^"\\]|\\.)*)"', text)
    if parts and re.fullmatch(r'\s*(?:"(?:[^"\\]|\\.)*"\s*)+', text):
        return "".join(re.sub(r"\\(.)", r"\1", p) for p in parts)
    return content


def _caa_fields(content: str, data: Mapping[str, Any] | None) -> tuple[int, str, str]:
    if data:
        return (int(data.get("flags") or 0), str(data.get("tag", "")).lower(),
                str(data.get("value", "")).strip('"').lower())
    parts = content.split(None, 2)
    if len(parts) == 3 and parts[0].isdigit():
        return int(parts[0]), parts[1].lower(), parts[2].strip('"').lower()
    return 0, "", content.lower()


def _content_key(rtype: str, content: str, data: Mapping[str, Any] | None) -> str:
    """Content in a form where cosmetic differences (quotes, dots, case) compare equal."""
    if rtype == "TXT":
        return unquote_txt(content)
    if rtype == "CAA":
        return "{} {} {}".format(*_caa_fields(content, data))
    if rtype in ("CNAME", "MX", "NS", "PTR", "SRV"):
        return " ".join(content.split()).rstrip(".").lower()
    if rtype == "AAAA":
        return content.lower()
    return content.strip()


def differences(desired: Any, live: Any, path: str = "") -> list[tuple[str, Any, Any]]:
    """(path, desired, live) for every value the plan sets that live does not match.

    Mappings compare as "desired is a subset of live"; lists element by element; placeholders
    (``${name.id}``) and ``None`` in desired are not compared.
    """
    if desired is None or _placeholder(desired):
        return []
    if isinstance(desired, Mapping):
        if not isinstance(live, Mapping):
            return [(path, desired, live)]
        out = []
        for key, value in desired.items():
            out += differences(value, live.get(key), f"{path}.{key}" if path else str(key))
        return out
    if isinstance(desired, list | tuple):
        if not isinstance(live, list | tuple) or len(live) != len(desired):
            return [(path, list(desired), list(live) if isinstance(live, list | tuple) else live)]
        out = []
        for index, (d, lv) in enumerate(zip(desired, live, strict=True)):
            out += differences(d, lv, f"{path}[{index}]")
        return out
    return [] if _scalar_equal(desired, live) else [(path, desired, live)]


def _scalar_equal(desired: Any, live: Any) -> bool:
    if isinstance(desired, bool) or isinstance(live, bool):
        return desired is live or (isinstance(live, str) and str(desired).lower() == live.lower())
    if isinstance(desired, int | float) and isinstance(live, int | float):
        return float(desired) == float(live)
    if isinstance(desired, int | float) and isinstance(live, str):
        return str(snake(desired)) == live
    return bool(desired == live)


# --------------------------------------------------------------------------- takeover risk


def takeover_candidates(desired: Desired, live: ZoneState) -> list[str]:
    """Targets of live CNAMEs the plan does not manage: the ones to resolve for takeover risk."""
    unmanaged = _match_records(desired, live)[2]
    return sorted({r.content.rstrip(".").lower() for r in unmanaged if r.type == "CNAME"})


def resolve_targets(lookup: Lookup, targets: Iterable[str], *, workers: int = 8) -> dict[str, DnsAnswer]:
    """Ask A for each target; a NODATA answer is retried as AAAA (IPv6-only targets exist).

    Targets are asked concurrently (the run's ``Lookup`` is thread-safe), so a zone with many
    unmanaged CNAMEs behind a slow resolver costs one timeout, not one per record.
    """
    def resolve(target: str) -> DnsAnswer:
        answer = lookup.query(target, "A")
        if answer.rcode is Rcode.NOERROR and not answer.records:
            answer = lookup.query(target, "AAAA")
        return answer

    names = list(targets)
    if not names:
        return {}
    with ThreadPoolExecutor(max_workers=min(workers, len(names)), thread_name_prefix="drift-dns") as pool:
        return dict(zip(names, pool.map(resolve, names), strict=True))


# --------------------------------------------------------------------------- compare


def compare(desired: Desired, live: ZoneState,
            resolved: Mapping[str, DnsAnswer] | None = None) -> DriftReport:
    """Every difference between the plan and the live zone, most severe first."""
    items: list[DriftItem] = []
    items += _compare_settings(desired, live)
    items += _compare_records(desired, live, resolved or {})
    items += _compare_rulesets(desired, live)
    items += _compare_health_checks(desired, live)
    items += _compare_policies(desired, live)
    items += _compare_dnssec(desired, live)
    rank = {"high": 0, "medium": 1, "low": 2}
    items.sort(key=lambda i: (rank[i.severity], i.kind, i.resource, i.key))
    compared = {"settings": len(desired.settings), "records": len(desired.records),
                "rulesets": len(desired.rulesets), "health_checks": len(desired.health_checks),
                "notification_policies": len(desired.notification_policies)}
    return DriftReport(live.zone.name, live.zone.id, tuple(items), compared)


def detect_drift(desired: Desired, live: ZoneState, lookup: Lookup | None = None) -> DriftReport:
    """``compare`` after resolving unmanaged CNAME targets (skipped when no lookup is given)."""
    resolved = resolve_targets(lookup, takeover_candidates(desired, live)) if lookup else {}
    return compare(desired, live, resolved)


def _compare_settings(desired: Desired, live: ZoneState) -> list[DriftItem]:
    out = []
    for setting_id, (resource, value) in sorted(desired.settings.items()):
        severity: Severity = "high" if setting_id in SECURITY_SETTINGS else "medium"
        if setting_id not in live.settings:
            out.append(DriftItem("setting.missing", resource, setting_id, value, None, severity,
                                 "the zone does not report this setting; check the plan supports "
                                 "it, then run `pulumi up`"))
            continue
        current = live.settings[setting_id]
        diffs = differences(value, current)
        if diffs:
            out.append(DriftItem(
                "setting.changed", resource, setting_id, value, current, severity,
                f"changed outside Pulumi ({_paths(diffs)}); `pulumi up` restores the stack's value, "
                "or change the stack file if the new value is intended"))
    return out


def _paths(diffs: Sequence[tuple[str, Any, Any]]) -> str:
    return ", ".join(f"{p or 'value'}: {d!r} -> {lv!r}" for p, d, lv in diffs)


def _match_records(desired: Desired, live: ZoneState) -> tuple[
    list[tuple[DesiredRecord, DnsRecord]], list[DesiredRecord], list[DnsRecord]
]:
    """(exact matches, unmatched desired, unmatched live) by (name, type, content, priority)."""
    def key(name: str, rtype: str, content: str, data: Mapping[str, Any] | None,
            priority: int | None) -> tuple[str, str, str, int | None]:
        return (_host(name), rtype, _content_key(rtype, content, data),
                priority if rtype in ("MX", "SRV", "URI") else None)

    pool: dict[tuple[str, str, str, int | None], list[DnsRecord]] = defaultdict(list)
    for rec in live.records:
        pool[key(rec.name, rec.type, rec.content, rec.data, rec.priority)].append(rec)
    matched, missing = [], []
    for want in desired.records:
        candidates = pool.get(key(want.name, want.type, want.content, want.data, want.priority))
        if candidates:
            matched.append((want, candidates.pop(0)))
        else:
            missing.append(want)
    unmanaged = [rec for recs in pool.values() for rec in recs]
    return matched, missing, unmanaged


def _describe(rec: DnsRecord | DesiredRecord) -> str:
    prio = f" {rec.priority}" if rec.priority is not None else ""
    return f"{rec.name} {rec.type}{prio} {rec.content}"


def _live_record(rec: DnsRecord) -> dict[str, Any]:
    return {"id": rec.id, "name": rec.name, "type": rec.type, "content": rec.content,
            "ttl": rec.ttl, "proxied": rec.proxied, "priority": rec.priority,
            "comment": rec.comment}


def _desired_fields(rec: DesiredRecord) -> dict[str, Any]:
    return {"name": rec.name, "type": rec.type, "content": rec.content, "ttl": rec.ttl,
            "proxied": rec.proxied, "priority": rec.priority, "comment": rec.comment}


def _compare_records(desired: Desired, live: ZoneState,
                     resolved: Mapping[str, DnsAnswer]) -> list[DriftItem]:
    matched, missing, unmanaged = _match_records(desired, live)
    out = []
    for want, have in matched:
        out += _record_attributes(want, have)
    # A desired and a live record of the same name, type and kind (SPF, DMARC, CAA issue…)
    # that did not match exactly is one record whose content was edited, not a missing plus
    # an unmanaged one.
    has_caa = any(r.type == "CAA" for r in desired.records)
    leftovers: dict[tuple[str, str, str], list[DnsRecord]] = defaultdict(list)
    for rec in unmanaged:
        if has_caa and rec.type == "CAA" and _caa_fields(rec.content, rec.data)[2] in UNIVERSAL_SSL_CAS:
            continue  # Cloudflare's own Universal SSL CAA records
        leftovers[_pair_key(rec.name, rec.type, rec.content, rec.data)].append(rec)
    for want in missing:
        same = leftovers.get(_pair_key(want.name, want.type, want.content, want.data))
        if same:
            have = same.pop(0)
            out.append(DriftItem(
                "record.changed", want.resource, _describe(want), _desired_fields(want),
                _live_record(have), "medium",
                f"content changed outside Pulumi: {want.content!r} -> {have.content!r}; "
                "`pulumi up` restores it, or update the stack file if intended"))
        else:
            out.append(DriftItem(
                "record.missing", want.resource, _describe(want), _desired_fields(want), None,
                "high" if want.type in ("A", "AAAA", "CNAME", "MX") else "medium",
                "deleted outside Pulumi (or never created); `pulumi up` recreates it"))
    out += [_unmanaged(rec, resolved) for recs in leftovers.values() for rec in recs]
    return out


def _pair_key(name: str, rtype: str, content: str, data: Mapping[str, Any] | None
              ) -> tuple[str, str, str]:
    """What makes two records "the same record, edited": name, type and the record's kind."""
    kind = ""
    if rtype == "TXT":
        token = re.split(r"[;\s]", unquote_txt(content).strip().lower(), maxsplit=1)[0]
        kind = token if token.startswith("v=") else token.split("=")[0]
    elif rtype == "CAA":
        kind = _caa_fields(content, data)[1]
    return (_host(name), rtype, kind)


def _record_attributes(want: DesiredRecord, have: DnsRecord) -> list[DriftItem]:
    diffs: list[tuple[str, Any, Any]] = []
    if want.proxied is not None and want.proxied != have.proxied:
        diffs.append(("proxied", want.proxied, have.proxied))
    # Cloudflare reports ttl 1 for proxied records whatever was asked.
    if not have.proxied and want.ttl != have.ttl:
        diffs.append(("ttl", want.ttl, have.ttl))
    if not diffs:
        if want.comment and want.comment != have.comment:
            return [DriftItem("record.changed", want.resource, f"{_describe(want)} comment",
                              want.comment, have.comment, "low",
                              "comment edited outside Pulumi; `pulumi up` restores it")]
        return []
    exposed = any(p == "proxied" and d is True for p, d, _ in diffs)
    return [DriftItem(
        "record.changed", want.resource, _describe(want),
        {p: d for p, d, _ in diffs}, {p: lv for p, _, lv in diffs},
        "high" if exposed else "medium",
        ("proxy switched off outside Pulumi: the origin address is now public; " if exposed else
         f"{_paths(diffs)} changed outside Pulumi; ") + "`pulumi up` restores it")]


def _unmanaged(rec: DnsRecord, resolved: Mapping[str, DnsAnswer]) -> DriftItem:
    target = rec.content.rstrip(".").lower()
    answer = resolved.get(target) if rec.type == "CNAME" else None
    gone = answer is not None and answer.ok and (
        answer.rcode is Rcode.NXDOMAIN if is_service_name(rec.name) else answer.void)
    if answer is not None and gone:
        return DriftItem(
            "record.takeover_risk", f"live:{rec.id}", _describe(rec), None,
            {**_live_record(rec), "target_rcode": answer.rcode.value,
             "target_records": list(answer.records)}, "high",
            f"unmanaged CNAME to {target}, which no longer resolves ({answer.rcode.value}"
            f"{', no addresses' if answer.rcode is Rcode.NOERROR else ''}): whoever claims that "
            "name serves content on this subdomain. Delete the record, or adopt it into the "
            "stack if the target is being rebuilt")
    note = "not in the stack: added outside Pulumi; delete it, or add it to the stack's records"
    if answer is not None and not answer.ok:
        note += f" (its target could not be resolved to check for takeover: {answer.rcode.value})"
    return DriftItem("record.unmanaged", f"live:{rec.id}", _describe(rec), None, _live_record(rec),
                     "medium", note)


def _rule_fields(rule: Any) -> dict[str, Any]:
    return {"action": rule.action, "expression": rule.expression,
            "description": rule.description, "enabled": rule.enabled,
            "action_parameters": dict(rule.action_parameters or {}),
            "ratelimit": dict(rule.ratelimit or {})}


def _compare_rulesets(desired: Desired, live: ZoneState) -> list[DriftItem]:
    out = []
    for phase, (resource, rules) in sorted(desired.rulesets.items()):
        have = live.rulesets.get(phase)
        if have is None:
            out.append(DriftItem("ruleset.missing", resource, phase, sorted(rules), None, "high",
                                 f"the zone has no {phase} ruleset; `pulumi up` recreates it"))
            continue
        for ref, fields in sorted(rules.items()):
            rule = have.rule(ref)
            if rule is None:
                out.append(DriftItem("rule.missing", resource, f"{phase}/{ref}", dict(fields), None,
                                     "high", "rule deleted outside Pulumi; `pulumi up` restores it"))
                continue
            diffs = differences(fields, _rule_fields(rule))
            if diffs:
                out.append(DriftItem(
                    "rule.changed", resource, f"{phase}/{ref}", {p: d for p, d, _ in diffs},
                    {p: lv for p, _, lv in diffs},
                    "high" if any(p in ("enabled", "action", "expression") for p, _, _ in diffs)
                    else "medium",
                    f"rule edited outside Pulumi ({', '.join(p for p, _, _ in diffs)}); "
                    "`pulumi up` restores it"))
        for rule in have.rules:
            if rule.ref not in rules:
                out.append(DriftItem(
                    "rule.added", resource, f"{phase}/{rule.ref}", None, _rule_fields(rule), "medium",
                    "rule added in the dashboard: the next `pulumi up` deletes it (a ruleset "
                    "owns its whole phase); add it to the stack file to keep it"))
    for phase, ruleset in sorted(live.rulesets.items()):
        if phase not in desired.rulesets and ruleset.rules:
            out.append(DriftItem(
                "ruleset.unmanaged", f"live:{ruleset.id}", phase, None,
                [r.ref for r in ruleset.rules], "low",
                f"a {phase} ruleset exists that the stack does not manage; import it "
                f"(`pulumi import cloudflare:index/ruleset:Ruleset <name> zones/{live.zone.id}/"
                f"{ruleset.id}`) or delete it"))
    return out


def _health_fields(check: HealthCheck) -> dict[str, Any]:
    http = check.http_config
    fields: dict[str, Any] = {
        "name": check.name, "address": check.address, "type": check.type,
        "description": check.description, "interval": check.interval, "timeout": check.timeout,
        "retries": check.retries, "consecutive_fails": check.consecutive_fails,
        "consecutive_successes": check.consecutive_successes,
        "check_regions": list(check.check_regions), "suspended": check.suspended,
    }
    if http is not None:
        fields["http_config"] = {
            "path": http.path, "expected_codes": list(http.expected_codes), "method": http.method,
            "expected_body": http.expected_body, "port": http.port,
            "header": {k: list(v) for k, v in http.header.items()},
            "follow_redirects": http.follow_redirects, "allow_insecure": http.allow_insecure,
        }
    return fields


def _compare_health_checks(desired: Desired, live: ZoneState) -> list[DriftItem]:
    out = []
    for name, (resource, fields) in sorted(desired.health_checks.items()):
        check = live.health_check(name)
        if check is None:
            out.append(DriftItem("healthcheck.missing", resource, name, dict(fields), None, "high",
                                 "health check deleted outside Pulumi: nothing watches this URL; "
                                 "`pulumi up` recreates it"))
            continue
        diffs = differences(fields, _health_fields(check))
        if diffs:
            out.append(DriftItem(
                "healthcheck.changed", resource, name, {p: d for p, d, _ in diffs},
                {p: lv for p, _, lv in diffs}, "medium",
                f"health check edited outside Pulumi ({', '.join(p for p, _, _ in diffs)}); "
                "`pulumi up` restores it"))
    for check in live.health_checks:
        if check.name not in desired.health_checks:
            out.append(DriftItem(
                "healthcheck.unmanaged", f"live:{check.id}", check.name, None,
                _health_fields(check), "low",
                "health check not in the stack; add a monitor to the stack file or delete it"))
    return out


def _policy_fields(policy: NotificationPolicy) -> dict[str, Any]:
    return {"name": policy.name, "alert_type": policy.alert_type, "enabled": policy.enabled,
            "description": policy.description,
            "filters": {k: list(v) for k, v in policy.filters.items()},
            "mechanisms": {k: [{"id": t} for t in v] for k, v in policy.mechanisms.items()}}


def _resolve_ids(fields: Mapping[str, Any], desired: Desired, live: ZoneState) -> dict[str, Any]:
    """Replace ``${<health check resource>.id}`` in the policy filter by live health check ids."""
    filters = dict(fields.get("filters") or {})
    wanted = filters.get("health_check_id")
    if isinstance(wanted, list):
        ids = []
        for value in wanted:
            resource = _placeholder(value)
            check = live.health_check(desired.resource_names.get(resource, "")) if resource else None
            ids.append(check.id if check else value)
        filters["health_check_id"] = ids
    return {**fields, "filters": filters}


def _compare_policies(desired: Desired, live: ZoneState) -> list[DriftItem]:
    out = []
    by_name = {p.name: p for p in live.notification_policies}
    for name, (resource, fields) in sorted(desired.notification_policies.items()):
        policy = by_name.get(name)
        if policy is None:
            out.append(DriftItem("notification.missing", resource, name, dict(fields), None, "high",
                                 "alert policy deleted outside Pulumi: health check failures alert "
                                 "no one; `pulumi up` recreates it"))
            continue
        want = _resolve_ids(fields, desired, live)
        have = _policy_fields(policy)
        diffs = differences(_without(want, "filters"), have)
        # Filters are sets: compare membership, not order. A placeholder that does not resolve
        # (its health check is gone, reported on its own) leaves only "known ⊆ live" to check.
        for key, values in (want.get("filters") or {}).items():
            known = {str(v) for v in values if not _placeholder(v)}
            current = {str(v) for v in have["filters"].get(key, [])}
            complete = len(known) == len(values)
            if (complete and known != current) or not known <= current:
                diffs.append((f"filters.{key}", sorted(known), sorted(current)))
        if diffs:
            out.append(DriftItem(
                "notification.changed", resource, name, {p: d for p, d, _ in diffs},
                {p: lv for p, _, lv in diffs}, "medium",
                f"alert policy edited outside Pulumi ({', '.join(p for p, _, _ in diffs)}); "
                "`pulumi up` restores it"))
    return out


def _compare_dnssec(desired: Desired, live: ZoneState) -> list[DriftItem]:
    if desired.dnssec is None or live.dnssec_status is None:
        return []
    resource, status = desired.dnssec
    # "pending" means Cloudflare signs and waits for the DS at the registrar: not drift here.
    if status == "active" and live.dnssec_status in ("active", "pending"):
        return []
    if status == live.dnssec_status:
        return []
    return [DriftItem("dnssec.changed", resource, "status", status, live.dnssec_status, "high",
                      "DNSSEC changed outside Pulumi; `pulumi up` re-enables signing (the DS "
                      "record at the registrar must match the new key)")]

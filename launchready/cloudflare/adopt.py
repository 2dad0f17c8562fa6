"""Adopt an existing zone: its records become a site spec and a ``pulumi import --file`` JSON.

The logical names come from running the real program offline (``launchready.plan``) on the
spec written here, and each live record is matched to the planned record that stands for it
— first by identity, then by role (the apex SPF, the DMARC record, the www host…) — so the
first ``pulumi up`` updates records in place instead of creating duplicates or replacing them.
Whatever the first ``up`` will still change is listed, never hidden.

Existing health checks (on a plan that has them) become ``monitoring.monitors`` and are
imported under the names the program's ``Monitoring`` component gives them, read from the same
offline plan; the alert emails come from the live health-check alert policy, which stays
outside the stack (policies are account-scoped).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pydantic
import yaml

from launchready.cloudflare.drift import snake
from launchready.cloudflare.state import (
    DnsRecord,
    HealthCheck,
    HttpConfig,
    NotificationPolicy,
    Ruleset,
)
from launchready.fsutil import write_atomic
from launchready.spec import CONFIG_KEY, LIMITS, SiteSpec, SpecError, parse_site
from launchready.spec.loader import stack_path
from launchready.spec.models import Alerts, Monitor, normalize_domain
from launchready.spec.records import HOST_TYPES, PlannedRecord, planned_records

DNS_RECORD_TYPE = "cloudflare:index/dnsRecord:DnsRecord"
RULESET_TYPE = "cloudflare:index/ruleset:Ruleset"
HEALTHCHECK_TYPE = "cloudflare:index/healthcheck:Healthcheck"
HEALTH_ALERT = "health_check_status_notification"
_NOT_SLUG = re.compile(r"[^a-z0-9_-]+")
SPEC_TYPES = frozenset({"A", "AAAA", "CNAME", "TXT", "MX", "CAA", "SRV", "NS"})
_SPF_TERM = re.compile(r"(include|ip4|ip6):(\S+)")
_RECORD_PROBLEM = re.compile(re.escape(CONFIG_KEY) + r"\.records\[(\d+)\]")


class AdoptError(Exception):
    """The zone cannot be adopted as it is; the message says what to change."""


@dataclass(frozen=True, slots=True)
class ImportEntry:
    """One entry of the ``pulumi import --file`` JSON."""

    type: str
    name: str
    """The logical name, exactly as the program registers it."""
    parent: str | None
    id: str | None = None
    component: bool = False

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "name": self.name, "logicalName": self.name}
        if self.component:
            out["component"] = True
        else:
            out["id"] = self.id
        if self.parent:
            out["parent"] = self.parent
        return out


@dataclass(frozen=True, slots=True)
class Change:
    """A field the first ``pulumi up`` will change on an adopted resource."""

    name: str
    field: str
    live: Any
    planned: Any

    def __str__(self) -> str:
        return f"{self.name}: {self.field} {self.live!r} → {self.planned!r}"


@dataclass(frozen=True, slots=True)
class Unmanaged:
    record: DnsRecord
    reason: str

    def __str__(self) -> str:
        return f"{self.record.type} {self.record.name} {self.record.content!r}: {self.reason}"


@dataclass(frozen=True)
class Adoption:
    site: dict[str, Any]
    """The ``launchready:site`` mapping written to the stack file."""
    spec: SiteSpec
    imports: list[ImportEntry]
    """Parents (empty components) first, then records and rulesets."""
    matched: dict[str, DnsRecord]
    """Logical name of each planned record → the live record it adopts."""
    changes: list[Change] = field(default_factory=list)
    creates: list[str] = field(default_factory=list)
    """Logical names of planned records with no live counterpart (created on first up)."""
    unmanaged: list[Unmanaged] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    monitors: dict[str, HealthCheck] = field(default_factory=dict)
    """Logical name of each planned health check → the live health check it adopts."""
    unmanaged_checks: list[str] = field(default_factory=list)
    """Live health checks left outside the stack, each with the reason."""

    def import_file(self) -> dict[str, Any]:
        return {"nameTable": {}, "resources": [entry.as_json() for entry in self.imports]}

    @property
    def has_imports(self) -> bool:
        return any(not entry.component for entry in self.imports)


# --------------------------------------------------------------------------- records → spec


def adopt_zone(
    domain: str,
    records: Sequence[DnsRecord],
    *,
    zone_id: str | None,
    account_id: str | None = None,
    plan: str = "free",
    rulesets: Mapping[str, Ruleset] | None = None,
    stack: str = "adopted",
    health_checks: Sequence[HealthCheck] = (),
    policies: Sequence[NotificationPolicy] = (),
) -> Adoption:
    """Build the spec for ``records`` and match every live record to the program's names.

    ``zone_id`` is the existing zone (import ids need it); without one, ``account_id`` must be
    given and nothing is imported (the program creates the zone and its records).
    """
    from launchready.plan import plan_spec  # the Pulumi mock engine: only when adopting

    domain = normalize_domain(domain)
    if not zone_id and not account_id:
        raise AdoptError("give the zone id (an existing Cloudflare zone) or an account id")
    site, sources, unmanaged, warnings = site_from_records(
        domain, records, zone_id=zone_id, account_id=account_id, plan=plan)
    monitoring, by_monitor, unmanaged_checks = monitoring_from_health_checks(
        domain, health_checks, policies, plan, warnings)
    if monitoring is not None:
        site["monitoring"] = monitoring
    spec = _validated(site, sources, unmanaged)
    planned = planned_records(spec)
    resources = plan_spec(spec, stack=stack)
    names = _record_names(resources, planned)
    pairs, creates, leftover = _pair(records, planned, skip={id(u.record) for u in unmanaged})
    unmanaged += [Unmanaged(r, "not expressible in the spec") for r in leftover]

    imports: list[ImportEntry] = []
    changes: list[Change] = []
    matched: dict[str, DnsRecord] = {}
    by_name = {r.name: r for r in resources}
    wanted: list[tuple[str, str | None, str]] = []
    for live, plan_rec in pairs:
        name = names[plan_rec.key]
        matched[name] = live
        changes += _record_changes(name, live, by_name[name].inputs)
        if zone_id and live.id:
            wanted.append((name, by_name[name].parent, f"{zone_id}/{live.id}"))
    for resource in resources:
        if resource.type != RULESET_TYPE or not zone_id or not rulesets:
            continue
        live_set = rulesets.get(str(resource.inputs.get("phase", "")))
        if live_set is not None and live_set.id:
            wanted.append((resource.name, resource.parent, f"zones/{zone_id}/{live_set.id}"))
            warnings.append(
                f"ruleset {resource.name}: the live {live_set.phase} entrypoint "
                f"({len(live_set.rules)} rules) is imported; the first up replaces its rules "
                "with the spec's")
    monitors: dict[str, HealthCheck] = {}
    for resource in resources:
        live_check = by_monitor.get(str(resource.inputs.get("name", "")))
        if resource.type != HEALTHCHECK_TYPE or live_check is None:
            continue
        monitors[resource.name] = live_check
        changes += _health_check_changes(resource.name, live_check, resource.inputs)
        if zone_id and live_check.id:
            wanted.append((resource.name, resource.parent, f"{zone_id}/{live_check.id}"))
    imports = _with_parents(wanted, resources, {r.name: r.type for r in resources})
    return Adoption(site=site, spec=spec, imports=imports, matched=matched, changes=changes,
                    creates=sorted(names[p.key] for p in creates), unmanaged=unmanaged,
                    warnings=warnings, monitors=monitors, unmanaged_checks=unmanaged_checks)


def site_from_records(
    domain: str, records: Sequence[DnsRecord], *, zone_id: str | None,
    account_id: str | None = None, plan: str = "free",
) -> tuple[dict[str, Any], list[DnsRecord], list[Unmanaged], list[str]]:
    """The ``launchready:site`` mapping that publishes ``records``.

    Also returns the live record behind each entry of ``site["records"]`` (same order), the
    records it cannot express, and warnings about what the first ``up`` will change.
    """
    unmanaged: list[Unmanaged] = []
    warnings: list[str] = []
    rest: list[DnsRecord] = []
    for record in records:
        if record.name != domain and not record.name.endswith("." + domain):
            unmanaged.append(Unmanaged(record, f"outside the zone {domain}"))
        elif record.type not in SPEC_TYPES:
            unmanaged.append(Unmanaged(record, f"{record.type} records are not in the spec"))
        else:
            rest.append(record)

    origin, rest = _origin(domain, rest, warnings)
    rest = _www(domain, rest)
    email, rest = _email(domain, rest, warnings)
    caa, rest = _caa(domain, rest)
    zone: dict[str, str] = {"zone_id": zone_id} if zone_id else {"account_id": str(account_id)}
    site: dict[str, Any] = {"domain": domain, "zone": zone, "plan": plan, "origin": origin}
    site["records"] = [_spec_record(domain, r) for r in rest]
    site["email"] = email
    site["caa"] = caa
    warnings.append(
        "zone settings, rulesets, DNSSEC and security headers take the spec's launch-ready "
        "values on the first up (canonical_host is apex); review the spec and run "
        "`pulumi preview` before `pulumi up`")
    return site, rest, unmanaged, warnings


def monitoring_from_health_checks(
    domain: str, checks: Sequence[HealthCheck], policies: Sequence[NotificationPolicy],
    plan: str, warnings: list[str],
) -> tuple[dict[str, Any] | None, dict[str, HealthCheck], list[str]]:
    """The ``monitoring`` mapping for the live health checks the spec can express.

    Returns it (None when no check is adopted), the live check behind each monitor name, and
    the checks left unmanaged with the reason. The spec needs somewhere to alert, so the
    emails of the live health-check alert policies covering the checks come along.
    """
    if not checks:
        return None, {}, []
    allowed = next((lim.health_checks for name, lim in LIMITS.items() if name == plan), 0)
    if allowed == 0:
        return None, {}, [f"health check {c.name}: the {plan} plan has no health checks"
                          for c in checks]
    monitors: list[dict[str, Any]] = []
    by_name: dict[str, HealthCheck] = {}
    unmanaged: list[str] = []
    for check in sorted(checks, key=lambda c: (c.name, c.id)):
        reason = _monitor_problem(check)
        monitor = None if reason or check.http_config is None else \
            _monitor(check, check.http_config, domain, set(by_name))
        if monitor is not None:
            try:
                Monitor.model_validate(monitor)
            except pydantic.ValidationError as exc:
                reason = exc.errors()[0]["msg"]
        if reason is None and len(monitors) >= allowed:
            reason = f"the {plan} plan allows {allowed} health checks"
        if reason is not None or monitor is None:
            unmanaged.append(f"health check {check.name}: {reason}")
            continue
        monitors.append(monitor)
        by_name[monitor["name"]] = check
    if not monitors:
        return None, {}, unmanaged
    ids = {c.id for c in by_name.values()}
    alerting = [p for p in policies if p.alert_type == HEALTH_ALERT and p.enabled
                and (not p.health_check_ids or ids & set(p.health_check_ids))]
    emails = sorted({e for p in alerting for e in p.mechanisms.get("email", ()) if _is_email(e)})
    if not emails:
        return None, {}, unmanaged + [
            f"health check {c.name}: no enabled health-check alert policy with an email target "
            "covers it, and the spec's monitors need monitoring.alerts; add alerts.emails and "
            "the monitor by hand, then adopt again" for c in by_name.values()]
    warnings.append(
        f"health-check alerts: the live polic{'y' if len(alerting) == 1 else 'ies'} "
        f"{', '.join(sorted(p.name for p in alerting))} stay{'s' if len(alerting) == 1 else ''} "
        "outside the stack (account-scoped; the spec names no account); monitoring.alerts.emails "
        "copied from it")
    return {"monitors": monitors, "alerts": {"emails": emails}}, by_name, unmanaged


def _monitor_problem(check: HealthCheck) -> str | None:
    if check.type not in ("HTTP", "HTTPS") or check.http_config is None:
        return f"{check.type} health checks are not in the spec (its monitors probe HTTPS)"
    if check.http_config.method not in ("GET", "HEAD"):
        return f"method {check.http_config.method} is not in the spec (GET or HEAD)"
    return None


def _monitor(check: HealthCheck, http: HttpConfig, domain: str, taken: set[str]) -> dict[str, Any]:
    base = _NOT_SLUG.sub("-", check.name.lower()).strip("-_")[:44] or "check"
    if not base[0].isalpha():
        base = f"hc-{base}"[:44]
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    hosts = http.header.get("Host") or http.header.get("host") or (check.address,)
    host = hosts[0].rstrip(".").lower()
    monitor: dict[str, Any] = {
        "name": name, "path": http.path or "/", "method": http.method,
        "expected_codes": list(http.expected_codes) or ["200"],
        "interval": min(max(check.interval, 15), 3600),
        "timeout": min(max(check.timeout, 1), 10),
        "retries": min(max(check.retries, 0), 5),
    }
    if host != domain:
        monitor["host"] = host
    if http.expected_body:
        monitor["expected_body"] = http.expected_body
    return monitor


def _is_email(value: str) -> bool:
    try:
        Alerts.model_validate({"emails": [value]})
    except pydantic.ValidationError:
        return False
    return True


def _health_check_changes(name: str, live: HealthCheck, inputs: Mapping[str, Any]) -> list[Change]:
    """Fields of an adopted health check that the first ``up`` sets to the spec's values."""
    planned = snake(dict(inputs))
    http = live.http_config or HttpConfig()
    current: dict[str, Any] = {
        "name": live.name, "description": live.description, "address": live.address,
        "type": live.type, "interval": live.interval, "timeout": live.timeout,
        "retries": live.retries,
        "http_config": {"path": http.path, "method": http.method,
                        "expected_codes": list(http.expected_codes),
                        "expected_body": http.expected_body,
                        "header": {k: list(v) for k, v in http.header.items()},
                        "follow_redirects": http.follow_redirects,
                        "allow_insecure": http.allow_insecure},
    }
    changes = []
    for key, value in planned.items():
        if key == "zone_id" or key not in current:
            continue
        if key == "http_config" and isinstance(value, Mapping):
            changes += [Change(name, f"http_config.{sub}", current[key].get(sub), wanted)
                        for sub, wanted in value.items() if current[key].get(sub) != wanted]
        elif current[key] != value:
            changes.append(Change(name, key, current[key], value))
    return changes


def _origin(domain: str, records: list[DnsRecord],
            warnings: list[str]) -> tuple[dict[str, Any], list[DnsRecord]]:
    hosts = [r for r in records if r.name == domain and r.type in HOST_TYPES]
    if not hosts:
        raise AdoptError(
            f"{domain} has no A, AAAA or CNAME record at the apex, so there is no origin to put "
            "in the spec; add the apex record in Cloudflare first, then adopt")
    proxied = hosts[0].proxied
    if any(h.proxied != proxied for h in hosts):
        warnings.append(f"apex records disagree on proxied; the spec uses proxied={proxied}")
    cname = next((h for h in hosts if h.type == "CNAME"), None)
    origin: dict[str, Any]
    if cname is not None:
        try:
            origin = {"hostname": normalize_domain(cname.content), "proxied": proxied}
        except ValueError as exc:
            raise AdoptError(f"apex CNAME target {cname.content!r}: {exc}") from None
        hosts = [cname]
    else:
        origin = {"addresses": [h.content for h in hosts], "proxied": proxied}
    kept = [r for r in records if not any(r is h for h in hosts)]
    return origin, kept


def _www(domain: str, records: list[DnsRecord]) -> list[DnsRecord]:
    """The program publishes www → apex itself; a lone www host record is adopted as that."""
    www = [r for r in records if r.name == f"www.{domain}" and r.type in HOST_TYPES]
    if len(www) != 1:
        return records  # several (round-robin): left for the spec check to reject with a reason
    return [r for r in records if r is not www[0]]


def _email(domain: str, records: list[DnsRecord],
           warnings: list[str]) -> tuple[dict[str, Any], list[DnsRecord]]:
    email: dict[str, Any] = {"provider": "custom"}
    used: list[DnsRecord] = []

    mx = []
    for rec in records:
        if rec.name == domain and rec.type == "MX" and rec.priority is not None:
            host = rec.content
            if host != ".":
                try:
                    host = normalize_domain(host)
                except ValueError:
                    continue  # left as a plain record
            mx.append({"host": host, "priority": rec.priority})
            used.append(rec)
    email["mx"] = sorted(mx, key=lambda m: (m["priority"], m["host"]))

    spf = [r for r in records if r.name == domain and r.type == "TXT"
           and r.content.lower().startswith("v=spf1")]
    if len(spf) > 1:
        raise AdoptError(f"{domain} has {len(spf)} SPF records, which is an SPF permerror; "
                         "merge them into one in Cloudflare first, then adopt")
    if spf:
        email["spf"] = _parse_spf(spf[0].content)
        used.append(spf[0])
    else:
        email["spf"] = {"all": "~all"}
        warnings.append(f"{domain} has no SPF record: the spec publishes 'v=spf1 ~all'; list the "
                        "real senders under email.spf before the first up")

    dkim = []
    for rec in records:
        selector = rec.name.removesuffix(f"._domainkey.{domain}")
        if selector == rec.name or not re.fullmatch(r"[a-z0-9][a-z0-9._-]*", selector):
            continue
        same_name = [r for r in records if r.name == rec.name]
        if len(same_name) != 1:
            continue
        if rec.type == "CNAME":
            dkim.append({"selector": selector, "cname": rec.content})
            used.append(rec)
        elif rec.type == "TXT":
            match = re.fullmatch(r"v=DKIM1; k=(rsa|ed25519); p=([A-Za-z0-9+/]+=*)", rec.content)
            if match:
                dkim.append({"selector": selector, "key_type": match[1], "public_key": match[2]})
                used.append(rec)
    email["dkim"] = dkim

    dmarc = [r for r in records if r.name == f"_dmarc.{domain}" and r.type == "TXT"
             and r.content.lower().startswith("v=dmarc1")]
    if len(dmarc) > 1:
        raise AdoptError(f"_dmarc.{domain} has {len(dmarc)} DMARC records; receivers ignore "
                         "DMARC when there are several; keep one, then adopt")
    if dmarc:
        email["dmarc"] = _parse_dmarc(dmarc[0].content, warnings)
        used.append(dmarc[0])
    else:
        email["dmarc"] = {"policy": "none"}
        warnings.append(f"_dmarc.{domain} has no DMARC record: the spec publishes p=none "
                        "(monitoring only); tighten email.dmarc.policy once reports are clean")

    mta_sts, mta_sts_records = _mta_sts(domain, records, has_mx=any(m["host"] != "." for m in mx))
    if mta_sts:
        email["mta_sts"] = mta_sts
        used += mta_sts_records
        warnings.append(
            f"MTA-STS: the _mta-sts id is kept; its mode and max_age live in the policy file "
            f"(https://mta-sts.{domain}/.well-known/mta-sts.txt), which adopt does not read: "
            "set email.mta_sts.mode and max_age to match it")

    rpt = [r for r in records if r.name == f"_smtp._tls.{domain}" and r.type == "TXT"]
    if len(rpt) == 1 and rpt[0].content.startswith("v=TLSRPTv1; rua="):
        destinations = rpt[0].content.removeprefix("v=TLSRPTv1; rua=").split(",")
        if "v=TLSRPTv1; rua=" + ",".join(destinations) == rpt[0].content:
            email["tls_rpt"] = {"rua": destinations}
            used.append(rpt[0])
    return email, [r for r in records if not any(r is u for u in used)]


def _mta_sts(domain: str, records: list[DnsRecord], *, has_mx: bool
             ) -> tuple[dict[str, Any] | None, list[DnsRecord]]:
    """The ``_mta-sts`` TXT and the proxied ``mta-sts`` host the program publishes, as one
    ``email.mta_sts`` (with the live id, so the TXT is unchanged); anything else stays records."""
    txt = [r for r in records if r.name == f"_mta-sts.{domain}"]
    host = [r for r in records if r.name == f"mta-sts.{domain}"]
    if not has_mx or len(txt) != 1 or len(host) != 1:
        return None, []
    match = re.fullmatch(r"v=STSv1; id=([A-Za-z0-9]{1,32})", txt[0].content)
    policy_host = host[0]
    # The program points the policy host at the canonical host, which adopt takes to be the apex.
    if (not match or txt[0].type != "TXT" or policy_host.type != "CNAME" or not policy_host.proxied
            or policy_host.content.rstrip(".").lower() != domain):
        return None, []
    return {"policy_id": match[1]}, [txt[0], policy_host]


def _parse_spf(content: str) -> dict[str, Any]:
    terms = content.split()
    spf: dict[str, Any] = {"includes": [], "ip4": [], "ip6": []}
    unknown = []
    for term in terms[1:-1]:
        match = _SPF_TERM.fullmatch(term.lower())
        if match:
            key = "includes" if match[1] == "include" else match[1]
            spf[key].append(match[2])
        else:
            unknown.append(term)
    last = terms[-1].lower() if len(terms) > 1 else ""
    if last not in ("-all", "~all"):
        unknown.append(last or "(no 'all')")
    if unknown:
        raise AdoptError(
            f"the SPF record {content!r} uses {', '.join(unknown)}, which the spec cannot "
            "express (it takes ip4:, ip6:, include: and -all/~all); rewrite the record with "
            "those mechanisms in Cloudflare, then adopt")
    spf["all"] = last
    return spf


def _parse_dmarc(content: str, warnings: list[str]) -> dict[str, Any]:
    tags: dict[str, str] = {}
    for part in content.split(";"):
        key, sep, value = part.strip().partition("=")
        if sep:
            tags[key.strip().lower()] = value.strip()
    dmarc: dict[str, Any] = {}
    simple = {"p": ("policy", ("none", "quarantine", "reject")),
              "sp": ("subdomain_policy", ("none", "quarantine", "reject")),
              "adkim": ("adkim", ("r", "s")), "aspf": ("aspf", ("r", "s"))}
    dropped = []
    for tag, value in tags.items():
        if tag == "v":
            continue
        if tag in simple and value.lower() in simple[tag][1]:
            dmarc[simple[tag][0]] = value.lower()
        elif tag in ("rua", "ruf"):
            dmarc[tag] = [item.strip().split("!")[0] for item in value.split(",") if item.strip()]
        elif tag == "pct" and value.isdigit() and int(value) <= 100:
            dmarc["pct"] = int(value)
        else:
            dropped.append(f"{tag}={value}")
    if "policy" not in dmarc:
        raise AdoptError(f"the DMARC record {content!r} has no valid p= tag; fix it, then adopt")
    if dropped:
        warnings.append(f"DMARC tags the spec does not carry are dropped: {', '.join(dropped)}")
    return dmarc


def _caa(domain: str, records: list[DnsRecord]) -> tuple[dict[str, Any], list[DnsRecord]]:
    caa: dict[str, Any] = {"issuers": [], "wildcard_issuers": []}
    used: list[DnsRecord] = []
    for rec in records:
        if rec.name != domain or rec.type != "CAA":
            continue
        data = rec.data or {}
        flags, tag, value = data.get("flags", 0), data.get("tag"), data.get("value")
        if not data:
            match = re.fullmatch(r'(\d+)\s+(\w+)\s+"(.*)"', rec.content)
            if match:
                flags, tag, value = int(match[1]), match[2], match[3]
        if flags != 0 or value is None:
            continue
        if tag == "issue":
            caa["issuers"].append(value)
        elif tag == "issuewild":
            caa["wildcard_issuers"].append(value)
        elif tag == "iodef" and "iodef" not in caa:
            caa["iodef"] = value
        else:
            continue
        used.append(rec)
    return caa, [r for r in records if not any(r is u for u in used)]


def _spec_record(domain: str, record: DnsRecord) -> dict[str, Any]:
    name = "@" if record.name == domain else record.name.removesuffix("." + domain)
    out: dict[str, Any] = {"name": name, "type": record.type, "content": record.content}
    ttl = record.ttl
    if ttl != 1 and ttl < 60:
        ttl = 60  # the spec's floor; listed as a change on the first up
    if ttl != 1:
        out["ttl"] = ttl
    if record.proxied:
        out["proxied"] = True
    if record.priority is not None:
        out["priority"] = record.priority
    if record.comment:
        out["comment"] = record.comment[:100]
    return out


def _validated(site: dict[str, Any], sources: list[DnsRecord],
               unmanaged: list[Unmanaged]) -> SiteSpec:
    """Parse the site; records the spec rejects move to ``unmanaged`` with the reason."""
    records: list[dict[str, Any]] = site["records"]
    while True:
        try:
            return parse_site(site)
        except SpecError as exc:
            bad: dict[int, str] = {}
            for problem in exc.problems:
                match = _RECORD_PROBLEM.match(problem.path)
                if match is None:
                    raise AdoptError("the adopted spec is not valid:\n" + exc.render()) from None
                bad.setdefault(int(match[1]), problem.message)
            for index in sorted(bad, reverse=True):
                records.pop(index)
                unmanaged.append(Unmanaged(sources.pop(index), bad[index]))


# --------------------------------------------------------------------------- matching


def _record_names(resources: Iterable[Any], planned: Sequence[PlannedRecord]) -> dict[str, str]:
    """Planned record key → the logical name the program gives its DnsRecord."""
    keys = {p.key for p in planned}
    names: dict[str, str] = {}
    for resource in resources:
        if resource.type != DNS_RECORD_TYPE or resource.parent is None:
            continue
        key = resource.name.removeprefix(resource.parent + "-")
        if key in keys:
            names[key] = resource.name
    missing = keys - names.keys()
    if missing:
        raise AdoptError(f"the program registers no DnsRecord for keys {sorted(missing)}; "
                         "the plan and launchready.spec.records disagree")
    return names


def _role(name: str, rtype: str) -> tuple[str, str]:
    return (name, "host" if rtype in HOST_TYPES else rtype)


def _pair(
    live: Sequence[DnsRecord], planned: Sequence[PlannedRecord], skip: set[int]
) -> tuple[list[tuple[DnsRecord, PlannedRecord]], list[PlannedRecord], list[DnsRecord]]:
    """Match by identity first, then by role (same name and type family) for what is left."""
    free_planned = list(planned)
    pairs: list[tuple[DnsRecord, PlannedRecord]] = []
    leftover: list[DnsRecord] = []
    candidates = [r for r in live if id(r) not in skip]
    for rec in candidates:
        match = next((p for p in free_planned if p.identity == rec.identity), None)
        if match is None:
            leftover.append(rec)
        else:
            free_planned.remove(match)
            pairs.append((rec, match))
    by_role: dict[tuple[str, str], list[PlannedRecord]] = defaultdict(list)
    for plan_rec in free_planned:
        by_role[_role(plan_rec.name, plan_rec.type)].append(plan_rec)
    unmatched: list[DnsRecord] = []
    for rec in leftover:
        bucket = by_role.get(_role(rec.name, rec.type))
        if bucket:
            plan_rec = bucket.pop(0)
            free_planned.remove(plan_rec)
            pairs.append((rec, plan_rec))
        else:
            unmatched.append(rec)
    return pairs, free_planned, unmatched


def _record_changes(name: str, live: DnsRecord, inputs: Mapping[str, Any]) -> list[Change]:
    changes = []
    if inputs.get("type") != live.type:
        changes.append(Change(name, "type (replaced, delete first)", live.type, inputs.get("type")))
    if "data" in inputs:
        planned_data = {k: int(v) if isinstance(v, float) and v.is_integer() else v
                        for k, v in dict(inputs["data"]).items()}
        live_data = dict(live.data or {})
        if live.type == "SRV":
            live_data.setdefault("priority", live.priority)
        if planned_data != live_data:
            changes.append(Change(name, "data", live_data, planned_data))
    elif str(inputs.get("content", "")).lower() != live.content.lower():
        changes.append(Change(name, "content", live.content, inputs.get("content")))
    ttl = int(float(inputs.get("ttl", 1)))
    if ttl != live.ttl:
        changes.append(Change(name, "ttl", live.ttl, ttl))
    if "proxied" in inputs and bool(inputs["proxied"]) != live.proxied:
        changes.append(Change(name, "proxied", live.proxied, bool(inputs["proxied"])))
    if "priority" in inputs and int(float(inputs["priority"])) != live.priority:
        changes.append(Change(name, "priority", live.priority, int(float(inputs["priority"]))))
    if str(inputs.get("comment") or "") != live.comment:
        changes.append(Change(name, "comment", live.comment, inputs.get("comment")))
    return changes


def _with_parents(wanted: Sequence[tuple[str, str | None, str]], resources: Iterable[Any],
                  types: Mapping[str, str]) -> list[ImportEntry]:
    """Import entries, preceded by empty components for every ancestor (roots first)."""
    parent_of = {r.name: r.parent for r in resources}
    components: list[ImportEntry] = []
    seen: set[str] = set()
    for _, parent, _ in wanted:
        chain: list[str] = []
        while parent is not None and parent not in seen:
            chain.append(parent)
            seen.add(parent)
            parent = parent_of.get(parent)
        for name in reversed(chain):
            components.append(ImportEntry(types[name], name, parent_of.get(name), component=True))
    entries = [ImportEntry(types[name], name, parent, id=import_id)
               for name, parent, import_id in wanted]
    return components + sorted(entries, key=lambda e: e.name)


def attach_ids(file_records: Sequence[DnsRecord], live: Sequence[DnsRecord]) -> list[DnsRecord]:
    """Give zone-file records the ids of identical live records (a BIND file has no ids)."""
    by_identity: dict[tuple[str, str, str, int | None], list[DnsRecord]] = defaultdict(list)
    for rec in live:
        by_identity[rec.identity].append(rec)
    out = []
    for rec in file_records:
        twins = by_identity.get(rec.identity)
        if twins:
            twin = twins.pop(0)
            rec = DnsRecord(twin.id, rec.name, rec.type, rec.content, rec.ttl, rec.proxied,
                            rec.priority, rec.data, rec.comment)
        out.append(rec)
    return out


# --------------------------------------------------------------------------- files


def stack_document(site: Mapping[str, Any], existing: Path | None = None) -> str:
    """The stack file text; other config keys of an existing file (secrets…) are kept."""
    config: dict[str, Any] = {}
    if existing is not None and existing.is_file():
        try:
            document = yaml.safe_load(existing.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise AdoptError(f"{existing} is not valid YAML ({exc}); fix or remove it") from None
        if isinstance(document, dict) and isinstance(document.get("config"), dict):
            config = dict(document["config"])
    config[CONFIG_KEY] = dict(site)
    header = (f"# Adopted from the live zone {site['domain']} by `launchready adopt`.\n"
              "# Review it, then: pulumi import --file <import file> --protect=false; "
              "pulumi preview\n")
    body = yaml.safe_dump({"config": config}, sort_keys=False, allow_unicode=True, width=100)
    return header + body


def write_adoption(adoption: Adoption, stack: str, stacks_dir: Path, *, force: bool = False,
                   import_path: Path | None = None) -> tuple[Path, Path | None]:
    """Write the stack file (and the import file when there is anything to import)."""
    path = stack_path(stack, stacks_dir)
    import_path = import_path or stacks_dir / f"{stack}.import.json"
    targets = [path] + ([import_path] if adoption.has_imports else [])
    existing = [p for p in targets if p.exists()]
    if existing and not force:
        raise AdoptError(f"{existing[0]} already exists; pass --force to replace it "
                         "(other config keys of the stack file are kept)")
    for target in targets:  # a folder that cannot exist fails here, before either file is written
        target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, stack_document(adoption.site, path if path.exists() else None))
    if not adoption.has_imports:
        return path, None
    write_atomic(import_path, json.dumps(adoption.import_file(), indent=2) + "\n")
    return path, import_path

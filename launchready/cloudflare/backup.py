"""Back a zone up to a timestamped folder, and put such a folder back into a zone.

A backup holds Cloudflare's own BIND export (``records.zone``, readable by any DNS tool), the
records with everything BIND cannot carry (``records.json``: proxied, comments, CAA/SRV
data), settings, rulesets, health checks and notification policies as JSON, a manifest with
a checksum per file, and the rollback runbook. The folder appears in one rename, so a backup
is complete or absent.

Restore is idempotent: it compares before it writes, creates missing records, updates changed
ones, deletes only with ``prune``, PATCHes differing settings, PUTs phase entrypoints whose
rules differ, creates or updates health checks by name, then the notification policies by
name (their health-check filters re-pointed at the restored checks) and re-enables DNSSEC
when it was on at backup time. Policies are account-wide, so only this zone's are written:
those naming its health checks or the zone are created or updated; an account-wide
health-check alert policy is created when missing but never changed; other alerts are left
alone. DNSSEC is never switched off by a restore (with a DS record still at the registrar
that would take the domain off the air); a note says what to do instead.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
import json
import os
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cloudflare
import jinja2

from launchready.cloudflare.client import CloudflareError, api_errors
from launchready.cloudflare.reader import (
    DNS_READ,
    find_zone,
    read_dnssec_status,
    read_health_checks,
    read_notification_policies,
    read_records,
    read_rulesets,
    read_settings,
    read_zone_state,
)
from launchready.cloudflare.state import (
    DnsRecord,
    HealthCheck,
    HttpConfig,
    NotificationPolicy,
    RulesetRule,
    Zone,
    ZoneState,
)

FORMAT = 1
DNS_EDIT = "DNS:Edit"
SETTINGS_EDIT = "Zone Settings:Edit"
RULESETS_EDIT = "Zone WAF:Edit (and Transform Rules, Cache Rules, Single Redirect:Edit)"
HEALTHCHECKS_EDIT = "Health Checks:Edit"
NOTIFICATIONS_EDIT = "Notifications:Edit (account)"
DNSSEC_EDIT = "DNS:Edit"
HEALTH_ALERT = "health_check_status_notification"
_ENABLED = frozenset({"active", "pending"})
"""DNSSEC statuses that mean "signing is on" (pending = waiting for the DS record)."""


class BackupError(Exception):
    """A backup folder that cannot be used for a restore; the message says why."""


def tool_version() -> str:
    try:
        return importlib.metadata.version("launchready")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


# --------------------------------------------------------------------------- backup


def backup_zone(
    client: cloudflare.Cloudflare,
    zone: str,
    out_dir: Path,
    *,
    stack: str,
    now: datetime | None = None,
) -> Path:
    """Write ``out_dir/<UTC stamp>/`` for the zone (id or domain); returns the folder."""
    moment = now or datetime.now(UTC)
    state = read_zone_state(client, zone)
    with api_errors(client, "export DNS records (BIND)", DNS_READ):
        zone_file = client.get(f"/zones/{state.zone.id}/dns_records/export", cast_to=str)
    texts = {
        "records.zone": zone_file,
        "records.json": _json([dataclasses.asdict(r) for r in state.records]),
        "settings.json": _json(dict(state.settings)),
        "rulesets.json": _json({phase: dataclasses.asdict(rs)
                                for phase, rs in sorted(state.rulesets.items())}),
        "healthchecks.json": _json([dataclasses.asdict(h) for h in state.health_checks]),
        "notification_policies.json": _json(
            [dataclasses.asdict(p) for p in state.notification_policies]),
    }
    folder = out_dir / stamp(moment)
    texts["ROLLBACK.md"] = render_rollback(state.zone, stack=stack, folder=folder,
                                           created=moment,
                                           dnssec_status=state.dnssec_status or "unknown")
    manifest = {
        "format": FORMAT,
        "tool": "launchready",
        "tool_version": tool_version(),
        "created": moment.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "stack": stack,
        "zone": {"id": state.zone.id, "name": state.zone.name, "plan": state.zone.plan,
                 "status": state.zone.status, "account_id": state.zone.account_id},
        "dnssec_status": state.dnssec_status,
        "counts": _counts(state),
        "files": {name: _sha256(text) for name, text in texts.items()},
    }
    texts["manifest.json"] = _json(manifest)
    return _write_folder(folder, texts)


def render_rollback(zone: Zone, *, stack: str, folder: Path, created: datetime,
                    dnssec_status: str = "unknown") -> str:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("launchready", "templates"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # Markdown, not HTML
    )
    return env.get_template("rollback.md.j2").render(
        zone=zone, stack=stack, folder=folder.as_posix(),
        created=created.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        tool_version=tool_version(), dnssec_status=dnssec_status,
    )


def latest_backup(out_dir: Path) -> Path | None:
    """The newest complete backup folder under ``out_dir`` (the handover report links it)."""
    if not out_dir.is_dir():
        return None
    done = sorted(p for p in out_dir.iterdir() if p.is_dir() and (p / "manifest.json").is_file())
    return done[-1] if done else None


def _counts(state: ZoneState) -> dict[str, int]:
    return {
        "records": len(state.records),
        "settings": len(state.settings),
        "rulesets": len(state.rulesets),
        "rules": sum(len(rs.rules) for rs in state.rulesets.values()),
        "health_checks": len(state.health_checks),
        "notification_policies": len(state.notification_policies),
    }


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=_jsonable) + "\n"


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _write_folder(folder: Path, texts: Mapping[str, str]) -> Path:
    folder.parent.mkdir(parents=True, exist_ok=True)
    if folder.exists():
        raise BackupError(f"{folder} already exists; wait a second and back up again")
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".partial",
                                    dir=folder.parent))
    try:
        for name, text in texts.items():
            (staging / name).write_text(text, encoding="utf-8", newline="\n")
        os.replace(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return folder


# --------------------------------------------------------------------------- load


@dataclass(frozen=True)
class Backup:
    folder: Path
    manifest: dict[str, Any]
    records: list[DnsRecord]
    settings: dict[str, Any]
    rulesets: dict[str, list[RulesetRule]]
    health_checks: list[HealthCheck]
    notification_policies: list[NotificationPolicy] = field(default_factory=list)
    dnssec_status: str | None = None
    """As read at backup time: ``active``, ``pending``, ``disabled``…; None when unknown."""


def load_backup(folder: Path) -> Backup:
    """Read and check a backup folder: every file present and matching its checksum."""
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        raise BackupError(f"{folder} is not a launchready backup (no manifest.json)")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"{manifest_path} cannot be read: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{manifest_path}: unknown backup format")
    texts: dict[str, str] = {}
    for name, digest in dict(manifest.get("files") or {}).items():
        path = folder / name
        if not path.is_file():
            raise BackupError(f"{path} is missing; the backup is incomplete")
        texts[name] = path.read_text(encoding="utf-8")
        if _sha256(texts[name]) != digest:
            raise BackupError(f"{path} does not match its checksum in manifest.json; it was "
                              "changed or damaged since the backup")
    try:
        return Backup(
            folder=folder,
            manifest=manifest,
            records=[_record(item) for item in json.loads(texts["records.json"])],
            settings=dict(json.loads(texts["settings.json"])),
            rulesets={phase: [RulesetRule(**rule) for rule in item["rules"]]
                      for phase, item in json.loads(texts["rulesets.json"]).items()},
            health_checks=[_health_check(item) for item in json.loads(texts["healthchecks.json"])],
            notification_policies=[_policy(item) for item in
                                   json.loads(texts.get("notification_policies.json", "[]"))],
            dnssec_status=manifest.get("dnssec_status") or None,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise BackupError(f"{folder}: a backup file has an unexpected shape ({exc})") from None


def _record(item: Mapping[str, Any]) -> DnsRecord:
    return DnsRecord(**item)


def _policy(item: Mapping[str, Any]) -> NotificationPolicy:
    values = dict(item)
    for key in ("filters", "mechanisms"):
        values[key] = {str(k): tuple(v) for k, v in (values.get(key) or {}).items()}
    return NotificationPolicy(**values)


def _health_check(item: Mapping[str, Any]) -> HealthCheck:
    values = dict(item)
    http = values.pop("http_config", None)
    values["check_regions"] = tuple(values.get("check_regions") or ())
    config = None
    if http is not None:
        http["expected_codes"] = tuple(http.get("expected_codes") or ())
        http["header"] = {k: tuple(v) for k, v in (http.get("header") or {}).items()}
        config = HttpConfig(**http)
    return HealthCheck(**values, http_config=config)


# --------------------------------------------------------------------------- restore


@dataclass
class RestoreSummary:
    """What a restore did (or, in a dry run, would do)."""

    dry_run: bool
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """What was deliberately left alone, and why."""

    def lines(self) -> list[str]:
        """The change list and its totals: the result a script reads (stdout)."""
        verb = "would " if self.dry_run else ""
        out = [f"{verb}create: {item}" for item in self.created]
        out += [f"{verb}update: {item}" for item in self.updated]
        out += [f"{verb}delete: {item}" for item in self.deleted]
        out.append(f"{len(self.created)} to create, {len(self.updated)} to update, "
                   f"{len(self.deleted)} to delete, {self.unchanged} unchanged, "
                   f"{len(self.errors)} errors" if self.dry_run else
                   f"{len(self.created)} created, {len(self.updated)} updated, "
                   f"{len(self.deleted)} deleted, {self.unchanged} unchanged, "
                   f"{len(self.errors)} errors")
        return out

    def diagnostics(self) -> list[str]:
        """What failed and what to know (stderr)."""
        return [f"error: {item}" for item in self.errors] + [f"note: {item}" for item in self.notes]


def restore_backup(
    client: cloudflare.Cloudflare,
    backup: Backup,
    zone: str,
    *,
    prune: bool = False,
    dry_run: bool = False,
) -> RestoreSummary:
    """Make the zone (id or domain) match the backup; safe to run again."""
    target = find_zone(client, zone)
    source_name = str(backup.manifest.get("zone", {}).get("name", ""))
    if source_name and source_name != target.name:
        raise BackupError(f"the backup is of {source_name}, not {target.name}; restore it into a "
                          f"zone named {source_name}")
    summary = RestoreSummary(dry_run=dry_run)
    _Restorer(client, target, summary, dry_run).run(backup, prune)
    return summary


@dataclass
class _Restorer:
    client: cloudflare.Cloudflare
    zone: Zone
    summary: RestoreSummary
    dry_run: bool

    def run(self, backup: Backup, prune: bool) -> None:
        self.records(backup.records, prune)
        self.settings(backup.settings)
        self.rulesets(backup.rulesets)
        self.health_checks(backup.health_checks)
        self.notification_policies(backup)
        self.dnssec(backup.dnssec_status)

    def write(self, action: str, permission: str, method: str, path: str,
              body: Mapping[str, Any] | None = None) -> bool:
        """Do one API write (unless dry run); a refusal is recorded and the restore goes on."""
        if self.dry_run:
            return True
        calls: dict[str, Callable[..., object]] = {
            "POST": self.client.post, "PUT": self.client.put, "PATCH": self.client.patch,
        }
        try:
            with api_errors(self.client, action, permission):
                if method == "DELETE":
                    self.client.delete(path, cast_to=object)
                else:
                    calls[method](path, body=dict(body or {}), cast_to=object)
        except CloudflareError as exc:
            self.summary.errors.append(str(exc))
            return False
        return True

    # -- records -------------------------------------------------------------------------

    def records(self, wanted: Sequence[DnsRecord], prune: bool) -> None:
        live = list(read_records(self.client, self.zone.id))
        base = f"/zones/{self.zone.id}/dns_records"
        todo_update: list[tuple[DnsRecord, DnsRecord]] = []
        todo_create: list[DnsRecord] = []
        unmatched_live = list(live)
        leftovers: list[DnsRecord] = []
        for rec in wanted:
            twin = next((r for r in unmatched_live if r.identity == rec.identity), None)
            if twin is None:
                leftovers.append(rec)
                continue
            unmatched_live.remove(twin)
            if _record_payload(twin) != _record_payload(rec):
                todo_update.append((twin, rec))
            else:
                self.summary.unchanged += 1
        # The same name and type, one on each side: the content changed, update in place.
        groups: dict[tuple[str, str], list[DnsRecord]] = defaultdict(list)
        for rec in unmatched_live:
            groups[(rec.name, rec.type)].append(rec)
        wanted_groups: dict[tuple[str, str], list[DnsRecord]] = defaultdict(list)
        for rec in leftovers:
            wanted_groups[(rec.name, rec.type)].append(rec)
        for key, recs in wanted_groups.items():
            if len(recs) == 1 and len(groups.get(key, [])) == 1:
                twin = groups[key][0]
                unmatched_live.remove(twin)
                todo_update.append((twin, recs[0]))
            else:
                todo_create.extend(recs)
        if prune:
            for rec in unmatched_live:
                if self.write(f"delete {rec.type} {rec.name}", DNS_EDIT, "DELETE", f"{base}/{rec.id}"):
                    self.summary.deleted.append(f"record {rec.type} {rec.name} {rec.content!r}")
        for old, new in todo_update:
            if self.write(f"update {new.type} {new.name}", DNS_EDIT, "PUT", f"{base}/{old.id}",
                          _record_payload(new)):
                self.summary.updated.append(f"record {new.type} {new.name} {new.content!r}")
        for rec in todo_create:
            if self.write(f"create {rec.type} {rec.name}", DNS_EDIT, "POST", base,
                          _record_payload(rec)):
                self.summary.created.append(f"record {rec.type} {rec.name} {rec.content!r}")

    # -- settings ------------------------------------------------------------------------

    def settings(self, wanted: Mapping[str, Any]) -> None:
        live = read_settings(self.client, self.zone.id)
        for setting, value in sorted(wanted.items()):
            if setting in live and live[setting] == value:
                self.summary.unchanged += 1
                continue
            path = f"/zones/{self.zone.id}/settings/{setting}"
            if self.write(f"set {setting}", SETTINGS_EDIT, "PATCH", path, {"value": value}):
                self.summary.updated.append(f"setting {setting} = {json.dumps(value)}")

    # -- rulesets ------------------------------------------------------------------------

    def rulesets(self, wanted: Mapping[str, Sequence[RulesetRule]]) -> None:
        live = read_rulesets(self.client, self.zone.id)
        for phase, rules in sorted(wanted.items()):
            current = live.get(phase)
            if current is not None and [_rule_payload(r) for r in current.rules] == [
                _rule_payload(r) for r in rules
            ]:
                self.summary.unchanged += 1
                continue
            path = f"/zones/{self.zone.id}/rulesets/phases/{phase}/entrypoint"
            body = {"rules": [_rule_payload(r) for r in rules]}
            if self.write(f"write the {phase} ruleset", RULESETS_EDIT, "PUT", path, body):
                self.summary.updated.append(f"ruleset {phase} ({len(rules)} rules)")

    # -- health checks ---------------------------------------------------------------------

    def health_checks(self, wanted: Sequence[HealthCheck]) -> None:
        if not wanted:
            return
        live = {h.name: h for h in read_health_checks(self.client, self.zone.id)}
        base = f"/zones/{self.zone.id}/healthchecks"
        for check in wanted:
            body = _health_check_payload(check)
            current = live.get(check.name)
            if current is None:
                if self.write(f"create health check {check.name}", HEALTHCHECKS_EDIT, "POST",
                              base, body):
                    self.summary.created.append(f"health check {check.name}")
            elif _health_check_payload(current) != body:
                if self.write(f"update health check {check.name}", HEALTHCHECKS_EDIT, "PUT",
                              f"{base}/{current.id}", body):
                    self.summary.updated.append(f"health check {check.name}")
            else:
                self.summary.unchanged += 1

    # -- notification policies (account-scoped) -------------------------------------------

    def notification_policies(self, backup: Backup) -> None:
        source_zone = str(backup.manifest.get("zone", {}).get("id", ""))
        old_ids = {h.id for h in backup.health_checks}
        ours = [p for p in backup.notification_policies if _names_zone(p, old_ids, source_zone)]
        shared = [p for p in backup.notification_policies
                  if p not in ours and p.alert_type == HEALTH_ALERT and not p.health_check_ids]
        untouched = len(backup.notification_policies) - len(ours) - len(shared)
        if untouched:
            self.summary.notes.append(
                f"{untouched} other account notification polic{'y' if untouched == 1 else 'ies'} "
                "in the backup concern no health check of this zone and were left alone")
        if not ours and not shared:
            return
        account = self.zone.account_id
        if not account:
            self.summary.notes.append("notification policies not restored: the zone's account is "
                                      "not visible to this token; recreate them from "
                                      "notification_policies.json")
            return
        try:
            live = {p.name: p for p in read_notification_policies(self.client, account)}
            checks = read_health_checks(self.client, self.zone.id)
        except CloudflareError as exc:
            self.summary.errors.append(f"notification policies not restored: {exc}")
            return
        new_id = {h.name: h.id for h in checks}
        moved = {old.id: new_id[old.name] for old in backup.health_checks if old.name in new_id}
        base = f"/accounts/{account}/alerting/v3/policies"
        for policy in [*ours, *shared]:
            body = _policy_payload(policy, moved)
            current = live.get(policy.name)
            if current is None:
                if self.write(f"create notification policy {policy.name}", NOTIFICATIONS_EDIT,
                              "POST", base, body):
                    self.summary.created.append(f"notification policy {policy.name}")
            elif _policy_payload(current, {}) == body:
                self.summary.unchanged += 1
            elif policy in shared:
                self.summary.notes.append(
                    f"notification policy {policy.name} covers every health check of the "
                    "account and differs from the backup; left as it is (restore it by hand "
                    "from notification_policies.json if that is wanted)")
            elif self.write(f"update notification policy {policy.name}", NOTIFICATIONS_EDIT,
                            "PUT", f"{base}/{current.id}", body):
                self.summary.updated.append(f"notification policy {policy.name}")

    # -- DNSSEC ----------------------------------------------------------------------------

    def dnssec(self, wanted: str | None) -> None:
        if wanted is None or wanted == "unknown":
            return
        try:
            live = read_dnssec_status(self.client, self.zone.id)
        except CloudflareError as exc:
            self.summary.errors.append(f"DNSSEC not restored: {exc}")
            return
        if (wanted in _ENABLED) == (live in _ENABLED):
            self.summary.unchanged += 1
        elif wanted in _ENABLED:
            if self.write("enable DNSSEC", DNSSEC_EDIT, "PATCH", f"/zones/{self.zone.id}/dnssec",
                          {"status": "active"}):
                self.summary.updated.append("DNSSEC enabled")
                self.summary.notes.append(
                    "DNSSEC was re-enabled with new keys: put the zone's new DS record at the "
                    "registrar (dashboard: DNS → Settings → DNSSEC), replacing any old one")
        else:
            self.summary.notes.append(
                f"DNSSEC is {live} but was {wanted} at backup time; not switched off by restore "
                "(with a DS record at the registrar that breaks resolution): remove the DS at "
                "the registrar first, wait for its TTL, then disable DNSSEC in the dashboard")


def _names_zone(policy: NotificationPolicy, health_check_ids: set[str], zone_id: str) -> bool:
    """A policy is this zone's when it names one of its health checks or the zone itself."""
    zones = set(policy.filters.get("zones", ())) | set(policy.filters.get("zone", ()))
    return bool(set(policy.health_check_ids) & health_check_ids) or bool(zone_id and zone_id in zones)


def _policy_payload(policy: NotificationPolicy, moved: Mapping[str, str]) -> dict[str, Any]:
    """The API body; health check ids of the backup are replaced by the restored checks' ids."""
    filters: dict[str, list[str]] = {}
    for key, values in sorted(policy.filters.items()):
        if key in ("health_check_id", "health_check_ids"):
            filters[key] = sorted(moved.get(v, v) for v in values)
        else:
            filters[key] = list(values)
    return {
        "name": policy.name, "alert_type": policy.alert_type, "enabled": policy.enabled,
        "description": policy.description, "filters": filters,
        "mechanisms": {kind: [{"id": target} for target in targets]
                       for kind, targets in sorted(policy.mechanisms.items())},
    }


def _record_payload(rec: DnsRecord) -> dict[str, Any]:
    body: dict[str, Any] = {"name": rec.name, "type": rec.type, "ttl": rec.ttl,
                            "comment": rec.comment or None}
    if rec.type in ("A", "AAAA", "CNAME"):
        body["proxied"] = rec.proxied
    if rec.data and rec.type in ("CAA", "SRV"):
        body["data"] = dict(rec.data)
    else:
        body["content"] = rec.content
    if rec.priority is not None:
        body["priority"] = rec.priority
    return body


def _rule_payload(rule: RulesetRule) -> dict[str, Any]:
    body: dict[str, Any] = {"ref": rule.ref, "action": rule.action, "expression": rule.expression,
                            "description": rule.description, "enabled": rule.enabled}
    if rule.action_parameters:
        body["action_parameters"] = dict(rule.action_parameters)
    if rule.ratelimit:
        body["ratelimit"] = dict(rule.ratelimit)
    return body


def _health_check_payload(check: HealthCheck) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": check.name, "address": check.address, "type": check.type,
        "description": check.description, "suspended": check.suspended,
        "interval": check.interval, "timeout": check.timeout, "retries": check.retries,
        "consecutive_fails": check.consecutive_fails,
        "consecutive_successes": check.consecutive_successes,
        "check_regions": list(check.check_regions),
    }
    if check.http_config is not None:
        http = dataclasses.asdict(check.http_config)
        http["expected_codes"] = list(check.http_config.expected_codes)
        http["header"] = {k: list(v) for k, v in check.http_config.header.items()}
        if http["port"] is None:
            del http["port"]
        body["http_config"] = http
    return body

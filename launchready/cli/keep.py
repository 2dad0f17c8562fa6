"""Keep a zone under control: ``adopt`` an existing zone, ``backup`` it, ``restore`` a backup.

The token comes from ``CLOUDFLARE_API_TOKEN``, else from the stack's ``cloudflare:apiToken``
secret through the pulumi CLI (and the API from ``CLOUDFLARE_BASE_URL`` when set); it is never
printed. Exit codes: 0 done, 1 a restore left errors, 2 bad input (stack
file, zone file, a file that would be overwritten), 3 the API could not be used.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import cloudflare
import typer

from launchready.cli.cfapi import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    BaseUrl,
    Retries,
    Timeout,
    checked_base_url,
)
from launchready.cloudflare.adopt import AdoptError, Adoption, adopt_zone, attach_ids, write_adoption
from launchready.cloudflare.backup import BackupError, backup_zone, load_backup, restore_backup
from launchready.cloudflare.bind import BindError, parse_bind
from launchready.cloudflare.client import (
    TOKEN_ENV,
    CloudflareError,
    make_client,
    resolve_token,
    scrub,
)
from launchready.cloudflare.reader import (
    read_health_checks,
    read_notification_policies,
    read_zone_state,
)
from launchready.cloudflare.state import DnsRecord, HealthCheck, NotificationPolicy, Zone
from launchready.exitcodes import ExitCode
from launchready.spec import LIMITS, Plan, SiteSpec, SpecError, load_stack
from launchready.spec.loader import DEFAULT_STACKS_DIR
from launchready.spec.models import normalize_domain

StacksDir = Annotated[Path, typer.Option("--stacks-dir", help="directory holding the stack files")]
Stack = Annotated[str, typer.Option("--stack", "-s", help="stack name (stacks/Pulumi.<stack>.yaml)")]


def register(app: typer.Typer) -> None:
    """Add this area's commands to the root app."""
    app.command("adopt")(adopt)
    app.command("backup")(backup)
    app.command("restore")(restore)


def _fail(message: str, code: ExitCode, client: cloudflare.Cloudflare | None = None) -> typer.Exit:
    typer.echo(scrub(message, client, os.environ.get(TOKEN_ENV, "")), err=True)
    return typer.Exit(code)


@dataclass(frozen=True, slots=True)
class _Api:
    """Where and how patiently to talk to the Cloudflare API (``--base-url``, ``--timeout``...)."""

    base_url: str | None
    timeout: float
    retries: int


def _api(base_url: str | None, timeout: float, retries: int) -> _Api:
    return _Api(checked_base_url(base_url), timeout, retries)


def _client(stack: str, stacks_dir: Path, api: _Api) -> cloudflare.Cloudflare:
    try:
        return make_client(resolve_token(stack, stacks_dir), base_url=api.base_url,
                           timeout=api.timeout, max_retries=api.retries)
    except CloudflareError as exc:
        raise _fail(str(exc), ExitCode.COULD_NOT_RUN) from None


def adopt(
    domain: Annotated[str, typer.Argument(help="the client's domain, e.g. example.com")],
    stack: Stack,
    zone_file: Annotated[
        Path | None,
        typer.Option("--zone-file", help="a BIND export to adopt instead of reading the API"),
    ] = None,
    zone_id: Annotated[
        str | None, typer.Option("--zone-id", help="the Cloudflare zone (with --zone-file)")
    ] = None,
    account_id: Annotated[
        str | None,
        typer.Option("--account-id", help="account to create the zone in (zone not on Cloudflare)"),
    ] = None,
    plan: Annotated[
        Plan | None,
        typer.Option("--plan", help="Cloudflare plan (default: the zone's, or free offline)"),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="replace an existing stack file")] = False,
    stacks_dir: StacksDir = DEFAULT_STACKS_DIR,
    out_import: Annotated[
        Path | None,
        typer.Option("--out-import", help="where to write the pulumi import file "
                                          "(default: <stacks-dir>/<stack>.import.json)"),
    ] = None,
    base_url: BaseUrl = None,
    timeout: Timeout = DEFAULT_TIMEOUT,
    retries: Retries = DEFAULT_MAX_RETRIES,
) -> None:
    """Write an existing zone's records into a new stack's spec, plus a `pulumi import --file`
    JSON with the program's exact logical names, so the first `pulumi up` adopts every record.

    Example: launchready adopt shop.example --stack shop
    """
    try:
        domain = normalize_domain(domain)
    except ValueError as exc:
        raise _fail(f"{domain!r}: {exc}", ExitCode.USAGE) from None
    api = _api(base_url, timeout, retries)
    client: cloudflare.Cloudflare | None = None
    try:
        records: list[DnsRecord]
        zone_plan = "free"
        rulesets = None
        live_zone: Zone | None = None
        if zone_file is not None:
            records = _read_zone_file(zone_file, domain)
            if os.environ.get(TOKEN_ENV) and not account_id:
                client = _client(stack, stacks_dir, api)
                live = read_zone_state(client, zone_id or domain, parts={"records"})
                records = attach_ids(records, live.records)
                zone_id, zone_plan, live_zone = live.zone.id, live.zone.plan, live.zone
            elif not (zone_id or account_id):
                raise _fail(f"without {TOKEN_ENV}, give --zone-id (existing zone) or --account-id "
                            "(create it)", ExitCode.USAGE)
        else:
            client = _client(stack, stacks_dir, api)
            state = read_zone_state(client, zone_id or domain, parts={"records", "rulesets"})
            records, rulesets = list(state.records), state.rulesets
            zone_id, zone_plan, live_zone = state.zone.id, state.zone.plan, state.zone
            account_id = account_id or state.zone.account_id
        checks, policies = ((), ()) if client is None or live_zone is None else \
            _live_monitoring(client, live_zone, plan or zone_plan)
        adoption = adopt_zone(domain, records, zone_id=zone_id, account_id=account_id,
                              plan=plan or zone_plan, rulesets=rulesets, stack=stack,
                              health_checks=checks, policies=policies)
        stack_file, import_file = write_adoption(adoption, stack, stacks_dir, force=force,
                                                 import_path=out_import)
    except CloudflareError as exc:
        raise _fail(str(exc), ExitCode.COULD_NOT_RUN, client) from None
    except (AdoptError, BindError, SpecError, OSError) as exc:
        raise _fail(f"adopt: {exc}", ExitCode.USAGE, client) from None
    written, notes = adoption_report(adoption, stack_file, import_file, stack)
    for line in written:
        typer.echo(line)
    for line in notes:
        typer.echo(line, err=True)


def _live_monitoring(client: cloudflare.Cloudflare, zone: Zone, plan: str
                     ) -> tuple[tuple[HealthCheck, ...], tuple[NotificationPolicy, ...]]:
    """The zone's health checks and the account's alert policies, when the plan has checks.

    A token without Health Checks:Read or Notifications:Read still adopts the records; what
    could not be read is said on stderr.
    """
    if not any(name == plan and lim.health_checks for name, lim in LIMITS.items()):
        return (), ()
    try:
        checks = read_health_checks(client, zone.id)
    except CloudflareError as exc:
        typer.echo(scrub(f"health checks not adopted: {exc}", client), err=True)
        return (), ()
    if not checks or not zone.account_id:
        return checks, ()
    try:
        return checks, read_notification_policies(client, zone.account_id)
    except CloudflareError as exc:
        typer.echo(scrub(f"alert policies not read: {exc}", client), err=True)
        return checks, ()


def _read_zone_file(path: Path, domain: str) -> list[DnsRecord]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BindError(f"{path}: cannot read ({exc})") from None
    records, skipped = parse_bind(text, domain)
    for note in skipped:
        typer.echo(f"skipped: {note}", err=True)
    return records


def adoption_report(adoption: Adoption, stack_file: Path, import_file: Path | None,
                    stack: str) -> tuple[list[str], list[str]]:
    """(what was written: for stdout, like ``new``; what to know and do next: for stderr)."""
    written = [f"wrote {stack_file} ({len(adoption.matched)} live records adopted"
               + (f", {len(adoption.monitors)} health check{'s' if len(adoption.monitors) != 1 else ''}"
                  if adoption.monitors else "") + ")"]
    if import_file is not None:
        count = sum(1 for e in adoption.imports if not e.component)
        written.append(f"wrote {import_file} ({count} resources to import)")
    notes = []
    comments = Counter(c.field for c in adoption.changes)["comment"]
    other = [c for c in adoption.changes if c.field != "comment"]
    if other or comments:
        notes.append("the first `pulumi up` will change:")
        notes += [f"  - {c}" for c in other]
        if comments:
            notes.append(f"  - {comments} record comments set to 'launchready: <source>'")
    if adoption.creates:
        notes.append("the first `pulumi up` will create: " + ", ".join(adoption.creates))
    for item in [*adoption.unmanaged, *adoption.unmanaged_checks]:
        notes.append(f"not adopted (stays as it is, unmanaged): {item}")
    notes += [f"note: {w}" for w in adoption.warnings]
    if import_file is not None:
        notes.append(f"next: pulumi import --stack {stack} --file {import_file} --protect=false "
                     f"--generate-code=false --yes; then pulumi preview --stack {stack}")
    else:
        notes.append(f"next: pulumi preview --stack {stack}")
    return written, notes


def _zone_ref(spec: SiteSpec, zone_id: str | None) -> str:
    return zone_id or spec.zone.zone_id or spec.domain


def backup(
    stack: Stack,
    out: Annotated[
        Path | None, typer.Option("--out", help="parent folder (default: backups/<stack>)")
    ] = None,
    zone_id: Annotated[
        str | None, typer.Option("--zone-id", help="back up this zone (default: the stack's)")
    ] = None,
    stacks_dir: StacksDir = DEFAULT_STACKS_DIR,
    base_url: BaseUrl = None,
    timeout: Timeout = DEFAULT_TIMEOUT,
    retries: Retries = DEFAULT_MAX_RETRIES,
) -> None:
    """Back up the stack's zone to a timestamped folder: BIND export, settings, rulesets,
    health checks, notification policies, manifest and a rollback runbook.

    Example: launchready backup --stack shop
    """
    api = _api(base_url, timeout, retries)
    client: cloudflare.Cloudflare | None = None
    try:
        spec = load_stack(stack, stacks_dir)
        client = _client(stack, stacks_dir, api)
        folder = backup_zone(client, _zone_ref(spec, zone_id), out or Path("backups") / stack,
                             stack=stack)
    except SpecError as exc:
        raise _fail(exc.render(), ExitCode.USAGE) from None
    except CloudflareError as exc:
        raise _fail(str(exc), ExitCode.COULD_NOT_RUN, client) from None
    except (BackupError, OSError) as exc:
        raise _fail(f"backup: {exc}", ExitCode.COULD_NOT_RUN, client) from None
    counts = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["counts"]
    typer.echo(f"backed up {spec.domain} to {folder}: "
               + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items()))
    typer.echo(f"rollback runbook: {folder / 'ROLLBACK.md'}")


def restore(
    backup_dir: Annotated[Path, typer.Argument(help="a folder written by `launchready backup`")],
    stack: Stack,
    zone_id: Annotated[
        str | None, typer.Option("--zone-id", help="restore into this zone (default: the stack's)")
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", help="apply; without it, only show the changes")] = False,
    prune: Annotated[
        bool, typer.Option("--prune", help="also delete records that are not in the backup")
    ] = False,
    stacks_dir: StacksDir = DEFAULT_STACKS_DIR,
    base_url: BaseUrl = None,
    timeout: Timeout = DEFAULT_TIMEOUT,
    retries: Retries = DEFAULT_MAX_RETRIES,
) -> None:
    """Put a backup back into the zone: records (create missing, update changed; delete only
    with --prune), settings, rulesets, health checks, notification policies and DNSSEC
    (re-enabled, never switched off). Without --yes it only shows the changes. Safe to run twice.

    Example: launchready restore backups/shop/20261204T171500Z --stack shop --yes
    """
    api = _api(base_url, timeout, retries)
    client: cloudflare.Cloudflare | None = None
    try:
        spec = load_stack(stack, stacks_dir)
        saved = load_backup(backup_dir)
        client = _client(stack, stacks_dir, api)
        summary = restore_backup(client, saved, _zone_ref(spec, zone_id), prune=prune,
                                 dry_run=not yes)
    except SpecError as exc:
        raise _fail(exc.render(), ExitCode.USAGE) from None
    except BackupError as exc:
        raise _fail(f"restore: {exc}", ExitCode.USAGE, client) from None
    except CloudflareError as exc:
        raise _fail(str(exc), ExitCode.COULD_NOT_RUN, client) from None
    for line in summary.lines():
        typer.echo(scrub(line, client))
    for line in summary.diagnostics():
        typer.echo(scrub(line, client), err=True)
    if not yes:
        typer.echo("dry run: nothing was changed; add --yes to apply", err=True)
    if summary.errors:
        raise typer.Exit(ExitCode.FAILED)

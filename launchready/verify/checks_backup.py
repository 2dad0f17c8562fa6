"""``backup.recent``: the seed checklist's "Backup rollback path exists", from a backup manifest.

Collect (``find_backup``) reads the newest backup folder of a stack under the backups
directory (``<backups_dir>/<stack>/<UTC stamp>/``, as ``launchready backup`` writes it);
evaluate (``check_backup``) is a pure function of what was found, the spec's domain and the
time. The result's evidence carries the folder, time, counts and runbook path, which is what
the handover report shows and links.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from launchready.cloudflare.backup import latest_backup
from launchready.verify.model import CheckResult, Status
from launchready.verify.results import result

CHECK_ID = "backup.recent"
DEFAULT_MAX_AGE_DAYS = 7.0
RUNBOOK = "ROLLBACK.md"


@dataclass(frozen=True, slots=True)
class FoundBackup:
    """The newest complete backup folder of a stack, as its manifest describes it."""

    folder: Path
    created: datetime | None
    """From the manifest; None when the manifest has no readable time."""
    zone: str
    counts: dict[str, int] = field(default_factory=dict)
    has_runbook: bool = False


class BackupUnreadable(Exception):
    """A backup folder exists but its manifest cannot be read; the message says why."""


def stack_backups(backups_dir: Path, stack: str) -> Path:
    """Where ``launchready backup --stack STACK`` puts its folders by default."""
    return backups_dir / stack


def find_backup(backups_dir: Path, stack: str) -> FoundBackup | None:
    """The newest backup of ``stack``; None when there is none, ``BackupUnreadable`` if broken."""
    folder = latest_backup(stack_backups(backups_dir, stack))
    if folder is None:
        return None
    manifest_path = folder / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise BackupUnreadable(f"{manifest_path} cannot be read: {exc}") from None
    if not isinstance(manifest, dict):
        raise BackupUnreadable(f"{manifest_path} is not a backup manifest")
    zone = manifest.get("zone")
    counts = manifest.get("counts")
    return FoundBackup(
        folder=folder,
        created=_parse_time(manifest.get("created")),
        zone=str(zone.get("name", "")) if isinstance(zone, dict) else "",
        counts={str(k): v for k, v in counts.items() if isinstance(v, int)}
        if isinstance(counts, dict) else {},
        has_runbook=(folder / RUNBOOK).is_file(),
    )


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def backup_evidence(found: FoundBackup, now: datetime) -> dict[str, Any]:
    created = found.created
    return {
        "folder": found.folder.as_posix(),
        "created": created.strftime("%Y-%m-%d %H:%M UTC") if created else "unknown",
        "age_days": round((now - created) / timedelta(days=1), 1) if created else None,
        "zone": found.zone,
        "counts": dict(found.counts),
        "runbook": (found.folder / RUNBOOK).as_posix() if found.has_runbook else None,
    }


def check_backup(found: FoundBackup | None, *, stack: str, domain: str, backups_dir: Path,
                 now: datetime, max_age_days: float = DEFAULT_MAX_AGE_DAYS) -> CheckResult:
    """Pass: a runbook-carrying backup of this domain younger than ``max_age_days``."""
    run = f"run `launchready backup --stack {stack}`"
    if found is None:
        where = stack_backups(backups_dir, stack).as_posix()
        return result(CHECK_ID, Status.FAIL, f"no backup yet for stack {stack} (looked in {where})",
                      {"stack": stack, "searched": where}, f"{run} before launch")
    evidence = {"stack": stack, **backup_evidence(found, now)}
    if found.zone and found.zone != domain:
        return result(CHECK_ID, Status.FAIL, f"the newest backup is of {found.zone}, not {domain}",
                      evidence, f"{run}, which backs up the stack's own zone")
    if not found.has_runbook:
        return result(CHECK_ID, Status.FAIL, f"the newest backup has no {RUNBOOK}", evidence,
                      f"{run} again: a backup without its rollback runbook is not a rollback path")
    if found.created is None:
        return result(CHECK_ID, Status.WARN, "the newest backup's manifest has no creation time",
                      evidence, f"{run} again")
    age = now - found.created
    if age > timedelta(days=max_age_days):
        return result(CHECK_ID, Status.WARN,
                      f"the newest backup is {age / timedelta(days=1):.1f} days old "
                      f"(more than {max_age_days:g})", evidence, f"{run} before the next change")
    return result(CHECK_ID, Status.PASS,
                  f"backup from {evidence['created']} with a rollback runbook", evidence)


def backup_results(stack: str | None, domain: str, backups_dir: Path, now: datetime,
                   max_age_days: float = DEFAULT_MAX_AGE_DAYS) -> list[CheckResult]:
    """Verify's entry: nothing for a bare domain (it has no backups), else one result."""
    if stack is None:
        return []
    try:
        found = find_backup(backups_dir, stack)
    except BackupUnreadable as exc:
        return [result(CHECK_ID, Status.ERROR, f"could not check: {exc}", {"stack": stack},
                       f"run `launchready backup --stack {stack}`; remove the damaged folder")]
    return [check_backup(found, stack=stack, domain=domain, backups_dir=backups_dir, now=now,
                         max_age_days=max_age_days)]

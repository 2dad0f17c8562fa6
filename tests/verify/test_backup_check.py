"""backup.recent and the handover's "Backup and rollback" section, from real backup folders."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from launchready.cli import app
from launchready.cloudflare.backup import backup_zone
from launchready.cloudflare.client import make_client
from launchready.testbed.cloudflare_api import FakeCloudflare
from launchready.verify.checks_backup import FoundBackup, backup_results, check_backup, find_backup
from launchready.verify.model import Category, Level, Status
from launchready.verify.report import render
from launchready.verify.runner import VerifyOptions, domain_target, run_verify, stack_target
from tests.cloudflare.conftest import CANARY, ZONE_ID, seed_zone

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
STACK = """config:
  launchready:site:
    domain: shop.example
    zone: {zone_id: ZONE}
    plan: business
    origin: {addresses: [192.0.2.10]}
""".replace("ZONE", ZONE_ID)


def write_backup(root: Path, stack: str, created: datetime, *, zone: str = "shop.example",
                 runbook: bool = True) -> Path:
    folder = root / stack / created.strftime("%Y%m%dT%H%M%SZ")
    folder.mkdir(parents=True)
    manifest = {"format": 1, "created": created.isoformat().replace("+00:00", "Z"),
                "stack": stack, "zone": {"id": ZONE_ID, "name": zone},
                "counts": {"records": 18, "health_checks": 1}, "files": {}}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    if runbook:
        (folder / "ROLLBACK.md").write_text("# Rollback runbook\n")
    return folder


def judge(found: FoundBackup | None, max_age_days: float = 7) -> tuple[Status, str]:
    res = check_backup(found, stack="shop", domain="shop.example", backups_dir=Path("backups"),
                       now=NOW, max_age_days=max_age_days)
    assert res.category is Category.BACKUP and res.level is Level.ADVISORY
    return res.status, res.summary


def found(age_days: float, *, runbook: bool = True, zone: str = "shop.example") -> FoundBackup:
    return FoundBackup(Path("backups/shop/x"), NOW - timedelta(days=age_days), zone,
                       {"records": 3}, runbook)


def test_evaluate_is_pure_over_the_manifest_data() -> None:
    assert judge(None) == (Status.FAIL, "no backup yet for stack shop (looked in backups/shop)")
    assert judge(found(1))[0] is Status.PASS
    assert judge(found(6.9))[0] is Status.PASS
    status, summary = judge(found(9))
    assert status is Status.WARN and "9.0 days old (more than 7)" in summary
    assert judge(found(9), max_age_days=10)[0] is Status.PASS
    assert judge(found(1, runbook=False)) == (Status.FAIL, "the newest backup has no ROLLBACK.md")
    assert judge(found(1, zone="other.example"))[0] is Status.FAIL
    no_time = FoundBackup(Path("b"), None, "shop.example", {}, True)
    assert judge(no_time)[0] is Status.WARN


def test_find_backup_takes_the_newest_complete_folder(tmp_path: Path) -> None:
    write_backup(tmp_path, "shop", NOW - timedelta(days=3))
    newest = write_backup(tmp_path, "shop", NOW - timedelta(days=1))
    (tmp_path / "shop" / "20991231T000000Z.partial").mkdir()  # no manifest: not a backup
    write_backup(tmp_path, "other", NOW)
    hit = find_backup(tmp_path, "shop")
    assert hit is not None and hit.folder == newest and hit.has_runbook
    assert hit.created == NOW - timedelta(days=1) and hit.counts["records"] == 18
    assert find_backup(tmp_path, "missing") is None

    (newest / "manifest.json").write_text("{not json")
    (res,) = backup_results("shop", "shop.example", tmp_path, NOW)
    assert res.status is Status.ERROR and "manifest.json cannot be read" in res.summary
    assert backup_results(None, "shop.example", tmp_path, NOW) == []


def test_runner_checks_stacks_and_skips_bare_domains(tmp_path: Path) -> None:
    stacks = tmp_path / "stacks"
    stacks.mkdir()
    (stacks / "Pulumi.shop.yaml").write_text(STACK)
    backups = tmp_path / "backups"
    write_backup(backups, "shop", datetime.now(UTC) - timedelta(hours=2))
    options = VerifyOptions(only=("backup.",), backups_dir=backups, deadline=10)
    report = run_verify([stack_target("shop", stacks), domain_target("bare.example")], options)
    stack_result, bare_result = (d.results[0] for d in report.domains)
    assert stack_result.status is Status.PASS and stack_result.evidence["runbook"].endswith(
        "/ROLLBACK.md")
    assert bare_result.status is Status.SKIPPED and "needs --stack" in bare_result.summary
    assert int(report.exit_code) == 0

    old = VerifyOptions(only=("backup.",), backups_dir=backups, backup_max_age_days=0.01)
    assert run_verify([stack_target("shop", stacks)], old).domains[0].results[0].status is \
        Status.WARN


@pytest.mark.integration
def test_handover_links_the_backup_written_by_backup_zone(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.shop.yaml").write_text(STACK)
    (tmp_path / "stacks" / "Pulumi.bare.yaml").write_text(STACK)
    fake = FakeCloudflare()
    fake.add_token(CANARY, label="full")
    with fake:
        seed_zone(fake)
        folder = backup_zone(make_client(CANARY, fake.base_url, max_retries=0, timeout=5),
                             ZONE_ID, Path("backups") / "shop", stack="shop")
    runner = CliRunner()
    for fmt in ("markdown", "html"):
        out = tmp_path / f"report.{fmt}"
        result = runner.invoke(app, ["verify", "--stack", "shop", "--stack", "bare", "--only",
                                     "backup.", "--format", fmt, "--output", str(out)])
        assert result.exit_code == 0, result.output
        text = out.read_text()
        assert "Backup and rollback" in text and folder.as_posix() in text
        assert f"{folder.as_posix()}/ROLLBACK.md" in text and "18 records" in text
        assert "No backup yet: run" in text and "launchready backup --stack bare" in text
        assert CANARY not in text
    markdown = (tmp_path / "report.markdown").read_text()
    assert f"Rollback runbook: [{folder.as_posix()}/ROLLBACK.md](<{folder.as_posix()}/ROLLBACK.md>)" \
        in markdown
    assert f'<a href="{folder.as_posix()}/ROLLBACK.md">' in (tmp_path / "report.html").read_text()


def test_bare_domain_reports_have_no_backup_section() -> None:
    report = run_verify([domain_target("bare.example")], VerifyOptions(only=("backup.",)))
    assert "Backup and rollback" not in render(report, "markdown")

"""Backup to a folder, restore into an empty zone on another fake: same records and settings."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from launchready.cli import app
from launchready.cloudflare.backup import BackupError, latest_backup, load_backup, render_rollback
from launchready.cloudflare.bind import parse_bind
from launchready.cloudflare.state import Zone
from launchready.testbed.cloudflare_api import FakeCloudflare, iter_records

from .conftest import ACCOUNT_ID, CANARY, ZONE_ID, seed_zone

pytestmark = pytest.mark.integration

OTHER_ZONE = "abcdefabcdefabcdefabcdefabcdef01"
STACK = """config:
  launchready:site:
    domain: shop.example
    zone: {zone_id: %s}
    plan: business
    origin: {addresses: [192.0.2.10]}
"""


@pytest.fixture
def empty() -> Iterator[FakeCloudflare]:
    """A second Cloudflare account: the same zone name, re-created empty."""
    api = FakeCloudflare()
    api.add_token(CANARY, label="full")
    api.add_zone("shop.example", zone_id=OTHER_ZONE, account_id=ACCOUNT_ID, plan="business")
    with api:
        yield api


def _populate(fake: FakeCloudflare) -> None:
    zone = seed_zone(fake)
    zone.settings.update(ssl="strict", min_tls_version="1.2", always_use_https="on")
    zone.settings["security_header"] = {"strict_transport_security": {
        "enabled": True, "max_age": 31536000, "include_subdomains": True, "nosniff": True,
        "preload": False}}
    fake.add_health_check(zone.id, name="home", address="shop.example", type="HTTPS",
                          http_config={"path": "/health", "expected_codes": ["200"]})
    rules = [{"ref": "login", "action": "block", "description": "login, per IP",
              "expression": '(http.request.uri.path eq "/login")',
              "ratelimit": {"characteristics": ["cf.colo.id", "ip.src"], "period": 10,
                            "requests_per_period": 5, "mitigation_timeout": 10}}]
    fake.handle("PUT", f"/client/v4/zones/{zone.id}/rulesets/phases/http_ratelimit/entrypoint",
                {"authorization": f"Bearer {CANARY}"}, json.dumps({"rules": rules}).encode())
    fake.policies[ACCOUNT_ID]["p1"] = {
        "id": "p1", "name": "uptime", "alert_type": "health_check_status_notification",
        "enabled": True, "filters": {}, "mechanisms": {"email": [{"id": "oncall@shop.example"}]}}


def _cli(args: list[str], fake: FakeCloudflare, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", CANARY)
    monkeypatch.setenv("CLOUDFLARE_BASE_URL", fake.base_url)
    result = CliRunner().invoke(app, args)
    assert CANARY not in result.output
    return result


def _records(fake: FakeCloudflare, zone_id: str) -> list[tuple[Any, ...]]:
    return sorted((r["name"], r["type"], r["content"], r["ttl"], r["proxied"], r.get("priority"),
                   json.dumps(r.get("data"), sort_keys=True), r["comment"])
                  for r in iter_records(fake, zone_id))


def _backup(fake: FakeCloudflare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    stacks = tmp_path / "stacks"
    stacks.mkdir(exist_ok=True)
    (stacks / "Pulumi.shop.yaml").write_text(STACK % ZONE_ID)
    result = _cli(["backup", "--stack", "shop", "--out", str(tmp_path / "backups"),
                   "--stacks-dir", str(stacks)], fake, monkeypatch)
    assert result.exit_code == 0, result.output
    folder = latest_backup(tmp_path / "backups")
    assert folder is not None
    return folder


def test_backup_folder_contents(fake: FakeCloudflare, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    _populate(fake)
    folder = _backup(fake, tmp_path, monkeypatch)
    assert re.fullmatch(r"\d{8}T\d{6}Z", folder.name)
    assert sorted(p.name for p in folder.iterdir()) == sorted([
        "ROLLBACK.md", "healthchecks.json", "manifest.json", "notification_policies.json",
        "records.json", "records.zone", "rulesets.json", "settings.json"])
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["zone"]["id"] == ZONE_ID and manifest["zone"]["name"] == "shop.example"
    assert manifest["counts"] == {"records": 18, "settings": 16, "rulesets": 1, "rules": 1,
                                  "health_checks": 1, "notification_policies": 1}
    assert manifest["tool_version"] and manifest["created"].endswith("Z")
    zone_file, _ = parse_bind((folder / "records.zone").read_text(), "shop.example")
    live = {(r["name"], r["type"], r["content"].lower()) for r in iter_records(fake, ZONE_ID)}
    assert {(r.name, r.type, r.content.lower()) for r in zone_file} == live
    assert json.loads((folder / "settings.json").read_text())["ssl"] == "strict"
    runbook = (folder / "ROLLBACK.md").read_text()
    assert f"launchready restore {folder.as_posix()} --stack shop --yes" in runbook
    for path in folder.iterdir():
        assert CANARY not in path.read_text()
    assert [p.name for p in (tmp_path / "backups").iterdir()] == [folder.name]  # no leftovers


@pytest.mark.slow
def test_restore_into_an_empty_zone_reproduces_records_and_settings(
    fake: FakeCloudflare, empty: FakeCloudflare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _populate(fake)
    folder = _backup(fake, tmp_path, monkeypatch)
    stacks = str(tmp_path / "stacks")
    args = ["restore", str(folder), "--stack", "shop", "--zone-id", OTHER_ZONE,
            "--stacks-dir", stacks]

    dry = _cli(args, empty, monkeypatch)
    assert dry.exit_code == 0, dry.output
    assert "would create: record A shop.example '192.0.2.10'" in dry.stdout  # the change list
    assert "dry run: nothing was changed" in dry.stderr  # what to do next
    assert "dry run" not in dry.stdout
    assert list(iter_records(empty, OTHER_ZONE)) == []
    assert not [r for r in empty.log if r.method != "GET"]

    applied = _cli([*args, "--yes"], empty, monkeypatch)
    assert applied.exit_code == 0, applied.output
    assert _records(empty, OTHER_ZONE) == _records(fake, ZONE_ID)
    assert empty.zones[OTHER_ZONE].settings == fake.zones[ZONE_ID].settings
    restored = empty.zones[OTHER_ZONE].entrypoint("http_ratelimit")
    original = fake.zones[ZONE_ID].entrypoint("http_ratelimit")
    assert restored is not None and original is not None
    assert [(r["ref"], r["expression"], r["ratelimit"]) for r in restored["rules"]] == [
        (r["ref"], r["expression"], r["ratelimit"]) for r in original["rules"]]
    assert [h["name"] for h in empty.zones[OTHER_ZONE].healthchecks.values()] == ["home"]

    writes = len([r for r in empty.log if r.method != "GET"])
    again = _cli([*args, "--yes"], empty, monkeypatch)
    assert again.exit_code == 0 and "0 created, 0 updated, 0 deleted" in again.output
    assert len([r for r in empty.log if r.method != "GET"]) == writes  # idempotent: no writes


def test_restore_updates_changed_records_and_prunes_only_when_asked(
    fake: FakeCloudflare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    zone = seed_zone(fake)
    folder = _backup(fake, tmp_path, monkeypatch)
    api = next(r for r in zone.records.values() if r["name"] == "api.shop.example")
    api["content"] = "hijacked.example"
    fake.add_record(zone.id, "extra", "A", "192.0.2.77")
    zone.settings["ssl"] = "flexible"
    args = ["restore", str(folder), "--stack", "shop", "--stacks-dir", str(tmp_path / "stacks"),
            "--yes"]

    result = _cli(args, fake, monkeypatch)
    assert result.exit_code == 0, result.output
    assert "update: record CNAME api.shop.example 'app-backend.fly.dev'" in result.output
    assert "update: setting ssl" in result.output
    assert zone.records[api["id"]]["content"] == "app-backend.fly.dev"  # same record, updated
    assert any(r["name"] == "extra.shop.example" for r in zone.records.values())

    result = _cli([*args, "--prune"], fake, monkeypatch)
    assert result.exit_code == 0 and "delete: record A extra.shop.example" in result.output
    assert not any(r["name"] == "extra.shop.example" for r in zone.records.values())


def test_restore_refusals(fake: FakeCloudflare, tmp_path: Path,
                          monkeypatch: pytest.MonkeyPatch) -> None:
    zone = seed_zone(fake)
    folder = _backup(fake, tmp_path, monkeypatch)
    stacks = str(tmp_path / "stacks")
    base = ["restore", str(folder), "--stack", "shop", "--stacks-dir", stacks, "--yes"]

    other = fake.add_zone("other.example", zone_id=OTHER_ZONE)
    result = _cli([*base, "--zone-id", other.id], fake, monkeypatch)
    assert result.exit_code == 2 and "the backup is of shop.example" in result.output

    fake.add_token("read-only-token", label="ro", scopes={"zone:read", "dns:read",
                                                          "settings:read", "rulesets:read"})
    next(iter(zone.records.values()))["content"] = "192.0.2.200"  # something to write
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "read-only-token")
    monkeypatch.setenv("CLOUDFLARE_BASE_URL", fake.base_url)
    result = CliRunner().invoke(app, base)
    assert result.exit_code == 1 and "lacks the DNS:Edit permission" in result.output

    settings = folder / "settings.json"
    settings.write_text(settings.read_text().replace('"full"', '"off"'))
    result = _cli(base, fake, monkeypatch)
    assert result.exit_code == 2 and "does not match its checksum" in result.output
    with pytest.raises(BackupError, match="no manifest"):
        load_backup(tmp_path)


def test_rollback_runbook_renders_every_command() -> None:
    zone = Zone(id=ZONE_ID, name="shop.example", status="active", plan="pro")
    text = render_rollback(zone, stack="shop", folder=Path("backups/shop/20261204T171500Z"),
                           created=datetime(2026, 12, 4, 17, 15, tzinfo=UTC),
                           dnssec_status="active")
    assert "{{" not in text and "{%" not in text
    for command in (
        "launchready restore backups/shop/20261204T171500Z --stack shop --yes",
        "launchready restore backups/shop/20261204T171500Z --stack shop\n",
        "pulumi stack history --stack shop",
        "pulumi stack export --stack shop --version <good version> --file state-good.json",
        "pulumi stack import --stack shop --file state-good.json",
        "pulumi refresh --stack shop",
        "launchready drift --stack shop",
    ):
        assert command in text
    assert "2026-12-04 17:15:00 UTC" in text and "it was `active`" in text


def _alerts(fake: FakeCloudflare, zone_id: str) -> str:
    """The zone's own alert policy (naming its health check), an account-wide one, a billing one."""
    (check_id,) = fake.zones[zone_id].healthchecks
    policies = fake.policies[ACCOUNT_ID]
    policies["p2"] = {
        "id": "p2", "name": "shop health", "alert_type": "health_check_status_notification",
        "enabled": True, "description": "", "mechanisms": {"email": [{"id": "ops@shop.example"}]},
        "filters": {"health_check_id": [check_id], "status": ["Unhealthy"]}}
    policies["p3"] = {
        "id": "p3", "name": "billing", "alert_type": "billing_usage_alert", "enabled": True,
        "description": "", "filters": {}, "mechanisms": {"email": [{"id": "cfo@shop.example"}]}}
    return check_id


def _policies(fake: FakeCloudflare) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in fake.policies[ACCOUNT_ID].values()}


@pytest.mark.slow
def test_restore_brings_back_the_zones_alert_policies_and_dnssec(
    fake: FakeCloudflare, empty: FakeCloudflare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _populate(fake)
    _alerts(fake, ZONE_ID)
    fake.zones[ZONE_ID].dnssec = {"status": "active"}
    folder = _backup(fake, tmp_path, monkeypatch)
    args = ["restore", str(folder), "--stack", "shop", "--zone-id", OTHER_ZONE,
            "--stacks-dir", str(tmp_path / "stacks"), "--yes"]

    result = _cli(args, empty, monkeypatch)
    assert result.exit_code == 0, result.output
    restored = _policies(empty)
    assert sorted(restored) == ["shop health", "uptime"]  # billing is another concern's
    (new_check,) = empty.zones[OTHER_ZONE].healthchecks
    assert restored["shop health"]["filters"] == {"health_check_id": [new_check],
                                                  "status": ["Unhealthy"]}
    assert restored["shop health"]["mechanisms"] == {"email": [{"id": "ops@shop.example"}]}
    assert empty.zones[OTHER_ZONE].dnssec["status"] == "active"
    assert "update: DNSSEC enabled" in result.stdout and "new DS record" in result.stderr
    assert "note: 1 other account notification policy" in result.stderr
    assert "note:" not in result.stdout

    writes = len([r for r in empty.log if r.method != "GET"])
    again = _cli(args, empty, monkeypatch)
    assert again.exit_code == 0 and "0 created, 0 updated, 0 deleted" in again.output
    assert len([r for r in empty.log if r.method != "GET"]) == writes

    # In place: the zone's policy is put back; the account-wide one is only reported.
    by_name = _policies(fake)
    by_name["shop health"]["enabled"] = False
    by_name["uptime"]["enabled"] = False
    same_zone = ["restore", str(folder), "--stack", "shop", "--stacks-dir",
                 str(tmp_path / "stacks"), "--yes"]
    result = _cli(same_zone, fake, monkeypatch)
    assert result.exit_code == 0, result.output
    assert "update: notification policy shop health" in result.output
    assert _policies(fake)["shop health"]["enabled"] is True
    assert _policies(fake)["uptime"]["enabled"] is False
    assert "note: notification policy uptime covers every health check" in result.output


def test_restore_never_switches_dnssec_off(fake: FakeCloudflare, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    zone = seed_zone(fake)
    folder = _backup(fake, tmp_path, monkeypatch)  # DNSSEC disabled at backup time
    zone.dnssec = {"status": "active"}
    result = _cli(["restore", str(folder), "--stack", "shop", "--stacks-dir",
                   str(tmp_path / "stacks"), "--yes"], fake, monkeypatch)
    assert result.exit_code == 0, result.output
    assert zone.dnssec["status"] == "active"
    assert "note: DNSSEC is active but was disabled at backup time" in result.output
    assert not [r for r in fake.log if r.method == "PATCH" and r.path.endswith("/dnssec")]


def test_restore_help_names_everything_it_restores_and_the_dry_run() -> None:
    text = " ".join(CliRunner().invoke(app, ["restore", "--help"], env={"COLUMNS": "200"}).output.split())
    for part in ("records", "settings", "rulesets", "health checks", "notification policies", "DNSSEC"):
        assert part in text, part
    assert "Without --yes it only shows the changes" in text


def test_backup_and_restore_take_base_url_and_zone_id_like_drift(
        fake: FakeCloudflare, empty: FakeCloudflare, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    seed_zone(fake)
    stacks = tmp_path / "stacks"
    stacks.mkdir()
    (stacks / "Pulumi.shop.yaml").write_text(STACK % "ffffffffffffffffffffffffffffffff")
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", CANARY)
    monkeypatch.delenv("CLOUDFLARE_BASE_URL", raising=False)
    common = ["--stack", "shop", "--stacks-dir", str(stacks)]
    backed = CliRunner().invoke(app, ["backup", *common, "--out", str(tmp_path / "b"),
                                      "--base-url", fake.base_url, "--zone-id", ZONE_ID])
    assert backed.exit_code == 0, backed.output
    folder = latest_backup(tmp_path / "b")
    assert folder is not None
    restored = CliRunner().invoke(app, ["restore", str(folder), *common, "--yes",
                                        "--base-url", empty.base_url, "--zone-id", OTHER_ZONE])
    assert restored.exit_code == 0, restored.output
    assert _records(empty, OTHER_ZONE) == _records(fake, ZONE_ID)
    assert CANARY not in backed.output + restored.output

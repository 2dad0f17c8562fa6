"""The token from the stack's secret: a fake `pulumi` on PATH prints a canary; it never shows."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from launchready.cli import app
from launchready.cloudflare.client import CloudflareAccessError, project_dir, resolve_token
from launchready.testbed.cloudflare_api import FakeCloudflare

from .conftest import CANARY, ZONE_ID, seed_zone

STACK = """config:
  launchready:site:
    domain: shop.example
    zone: {zone_id: ZONE}
    plan: business
    origin: {addresses: [192.0.2.10]}
""".replace("ZONE", ZONE_ID)
PASSPHRASE = "pp-canary-7b6a5f4e3d2c1b0a"


def fake_pulumi(bin_dir: Path, body: str) -> Path:
    """A `pulumi` executable that logs its cwd and arguments, then runs ``body`` (sh)."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    script = bin_dir / "pulumi"
    script.write_text(f'#!/bin/sh\necho "$PWD|$*" >> "{bin_dir}/calls.log"\n{body}\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A Pulumi project (Pulumi.yaml + stacks/), no token in the environment, PATH = our bin."""
    (tmp_path / "Pulumi.yaml").write_text("name: launchready\nruntime: python\n")
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.shop.yaml").write_text(STACK)
    monkeypatch.delenv("CLOUDFLARE_API_TOKEN", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    return tmp_path


def test_project_dir_is_found_above_the_stacks_dir(project: Path) -> None:
    assert project_dir(project / "stacks") == project
    assert project_dir(project) == project


@pytest.mark.integration
def test_backup_reads_the_token_from_the_stack_secret(project: Path, fake: FakeCloudflare,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    seed_zone(fake)
    fake_pulumi(project / "bin", f'echo "{CANARY}"')
    monkeypatch.setenv("CLOUDFLARE_BASE_URL", fake.base_url)
    monkeypatch.chdir(project)
    result = CliRunner().invoke(app, ["backup", "--stack", "shop", "--stacks-dir",
                                      str(project / "stacks")])
    assert result.exit_code == 0, result.output
    assert CANARY not in result.output
    assert {r.token for r in fake.log} == {"full"}  # every call carried the canary token
    calls = (project / "bin" / "calls.log").read_text().splitlines()
    assert calls == [f"{project}|config get cloudflare:apiToken --stack shop"]
    for path in (project / "backups").rglob("*"):
        if path.is_file():
            assert CANARY not in path.read_text()


def test_a_failing_pulumi_is_explained_and_scrubbed(project: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", PASSPHRASE)
    fake_pulumi(project / "bin",
                f'echo "error: could not decrypt {CANARY} with passphrase $PULUMI_CONFIG_PASSPHRASE"'
                ' >&2\nexit 255')
    result = CliRunner().invoke(app, ["drift", "--stack", "shop", "--stacks-dir",
                                      str(project / "stacks")])
    assert result.exit_code == 3
    assert "pulumi config get cloudflare:apiToken --stack shop` failed" in result.stderr
    assert "could not decrypt" in result.stderr and "CLOUDFLARE_API_TOKEN" in result.stderr
    assert PASSPHRASE not in result.output and "[redacted" in result.stderr


def test_without_pulumi_the_error_names_both_ways(project: Path) -> None:
    with pytest.raises(CloudflareAccessError) as caught:
        resolve_token("shop", project / "stacks")
    message = str(caught.value)
    assert "CLOUDFLARE_API_TOKEN" in message
    assert "pulumi config set --secret cloudflare:apiToken --stack shop" in message
    assert "not on PATH" in message
    assert "adopt --apply" not in message  # no such option: adopt only reads
    assert "the Edit permissions too for restore" in message


def test_an_empty_value_and_a_hung_pulumi_are_errors(project: Path) -> None:
    fake_pulumi(project / "bin", "exit 0")
    with pytest.raises(CloudflareAccessError, match="the stack has no such value"):
        resolve_token("shop", project / "stacks")
    fake_pulumi(project / "bin", "/bin/sleep 30")  # a grandchild holding the pipes
    with pytest.raises(CloudflareAccessError, match=r"did not finish in 0\.5 s"):
        resolve_token("shop", project / "stacks", timeout=0.5)


def test_the_environment_wins_and_pulumi_is_not_run(project: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    fake_pulumi(project / "bin", 'echo "from-pulumi"')
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", CANARY)
    assert resolve_token("shop", project / "stacks") == CANARY
    assert not (project / "bin" / "calls.log").exists()
    monkeypatch.delenv("CLOUDFLARE_API_TOKEN")
    assert resolve_token("shop", project / "stacks") == "from-pulumi"
    assert os.environ.get("CLOUDFLARE_API_TOKEN") is None  # read, not exported


@pytest.mark.integration
def test_verify_reads_each_stacks_secret_for_the_cloudflare_checks(
        project: Path, fake: FakeCloudflare, monkeypatch: pytest.MonkeyPatch) -> None:
    zone = seed_zone(fake)
    fake.add_health_check(zone.id, name="home", address="shop.example", type="HTTPS",
                          http_config={"path": "/health"})
    stack = STACK + ("    monitoring:\n      monitors: [{name: home, path: /health}]\n"
                     "      alerts: {emails: [ops@shop.example]}\n")
    (project / "stacks" / "Pulumi.shop.yaml").write_text(stack)
    (project / "stacks" / "Pulumi.other.yaml").write_text(stack)
    fake_pulumi(project / "bin", f'case "$*" in *"--stack shop"*) echo "{CANARY}";; '
                                 '*) echo "error: no value for cloudflare:apiToken" >&2; exit 1;; esac')
    monkeypatch.setenv("CLOUDFLARE_BASE_URL", fake.base_url)
    result = CliRunner().invoke(app, ["verify", "--stack", "shop", "--stack", "other", "--only",
                                      "cloudflare.", "--format", "json", "--stacks-dir",
                                      str(project / "stacks")])
    assert CANARY not in result.output
    assert "note: cloudflare.* checks of stack other skipped" in result.stderr
    shop, other = (json.loads(result.stdout)["domains"])
    by_id = {c["id"]: c for c in shop["checks"]}
    assert by_id["cloudflare.healthchecks"]["status"] == "pass"  # read with the shop secret
    assert {c["status"] for c in other["checks"]} == {"skipped"}
    assert "cloudflare:apiToken secret" in other["checks"][0]["summary"]

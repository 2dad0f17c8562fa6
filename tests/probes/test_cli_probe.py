"""``launchready probe`` end to end: a stack file, a real app on loopback, exit codes, --plan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from launchready.cli import app
from tests.apps.common import CANARIES, ENV
from tests.probes.conftest import APP_SECTION

pytestmark = pytest.mark.integration
runner = CliRunner()


def write_stack(directory: Path, base_url: str, **app_overrides: object) -> Path:
    site = {
        "domain": "example.com",
        "zone": {"account_id": "0" * 32},
        "canonical_host": "www",
        "origin": {"addresses": ["192.0.2.10"]},
        "app": {**APP_SECTION, "base_url": base_url, **app_overrides},
    }
    (directory / "Pulumi.client.yaml").write_text(yaml.safe_dump({"config": {"launchready:site": site}}))
    return directory


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)


def probe(*args: str) -> tuple[int, str]:
    outcome = runner.invoke(app, ["probe", "--stack", "client", *args])
    return outcome.exit_code, outcome.stdout


def no_canary(text: str) -> None:
    for canary in CANARIES:
        assert canary not in text


@pytest.mark.parametrize("fmt", ["json", "junit", "table"])
def test_vulnerable_app_exits_1_in_every_format(
    env: None, tmp_path: Path, vulnerable_url: str, fmt: str
) -> None:
    code, out = probe("--stacks-dir", str(write_stack(tmp_path, vulnerable_url)), "--format", fmt)
    assert code == 1
    no_canary(out)
    if fmt == "json":
        results = json.loads(out)["domains"][0]["checks"]
        assert {r["id"]: r["status"] for r in results}["app.auth"] == "fail"


def test_hardened_app_exits_0(env: None, tmp_path: Path, fresh_hardened_url: str) -> None:
    # the spec's base_url points nowhere; --base-url overrides it
    stacks = write_stack(tmp_path, "http://127.0.0.1:9")
    code, out = probe(
        "--stacks-dir",
        str(stacks),
        "--base-url",
        fresh_hardened_url,
        "--probe-rate-limits",
        "--format",
        "json",
    )
    assert code == 0, out
    statuses = {r["id"]: r["status"] for r in json.loads(out)["domains"][0]["checks"]}
    assert set(statuses.values()) == {"pass"}
    no_canary(out)


def test_plan_sends_nothing_and_redacts_credentials(env: None, tmp_path: Path) -> None:
    # nothing listens on the target: a plan must not need it
    code, out = probe(
        "--stacks-dir",
        str(write_stack(tmp_path, "http://127.0.0.1:9")),
        "--plan",
        "--probe-rate-limits",
        "--format",
        "json",
    )
    assert code == 0
    plan = json.loads(out)
    methods = {(r["probe"], r["method"]) for r in plan["requests"]}
    assert ("cors", "OPTIONS") in methods and ("webhooks", "POST") in methods
    bursts = [r for r in plan["requests"] if r["probe"] == "rate_limit"]
    assert len(bursts) == 2 * 5 + 2 * 30  # login limit 5, chat limit 30: each burst 2x its limit
    authorized = [r["headers"]["Authorization"] for r in plan["requests"] if "Authorization" in r["headers"]]
    assert authorized and all("redacted" in value for value in authorized)
    no_canary(out)


def test_plan_table(env: None, tmp_path: Path) -> None:
    code, out = probe("--stacks-dir", str(write_stack(tmp_path, "http://127.0.0.1:9")), "--plan")
    assert code == 0 and "nothing sent" in out


def test_stack_without_app_section_is_a_usage_error(tmp_path: Path) -> None:
    site = {"domain": "example.com", "zone": {"account_id": "0" * 32}, "origin": {"addresses": ["192.0.2.1"]}}
    (tmp_path / "Pulumi.client.yaml").write_text(yaml.safe_dump({"config": {"launchready:site": site}}))
    outcome = runner.invoke(app, ["probe", "--stack", "client", "--stacks-dir", str(tmp_path)])
    assert outcome.exit_code == 2
    assert "no app section" in outcome.stderr


def test_bad_base_url_and_unknown_check_are_usage_errors(tmp_path: Path) -> None:
    stacks = str(write_stack(tmp_path, "http://127.0.0.1:9"))
    assert probe("--stacks-dir", stacks, "--base-url", "ftp://x")[0] == 2
    code, out = probe("--stacks-dir", stacks, "--base-url", "https://admin:hunter2secret@example.com")
    assert code == 2 and "hunter2secret" not in out
    assert probe("--stacks-dir", stacks, "--only", "dns.")[0] == 2
    assert probe("--stacks-dir", stacks, "--budget", "0")[0] == 2


def test_literal_token_in_stack_file_is_refused_without_echoing_it(tmp_path: Path) -> None:
    token = ENV["APP_TOKEN_A"]
    identities = {**APP_SECTION["identities"], "b": {"token_env": token}}
    stacks = str(write_stack(tmp_path, "http://127.0.0.1:9", identities=identities))
    outcome = runner.invoke(app, ["probe", "--stack", "client", "--stacks-dir", stacks])
    assert outcome.exit_code == 2
    assert "identities.b.token_env" in outcome.stderr and "literal token" in outcome.stderr
    assert token not in outcome.stderr + outcome.stdout


def test_unreachable_app_exits_3(env: None, tmp_path: Path) -> None:
    code, _ = probe(
        "--stacks-dir",
        str(write_stack(tmp_path, "http://127.0.0.1:9")),
        "--timeout",
        "0.5",
        "--format",
        "json",
    )
    assert code == 3


def test_verify_carries_the_app_probes_into_its_report(
    env: None, tmp_path: Path, vulnerable_url: str
) -> None:
    stacks = str(write_stack(tmp_path, vulnerable_url))
    outcome = runner.invoke(
        app, ["verify", "--stack", "client", "--stacks-dir", stacks, "--only", "app.", "--format", "json"]
    )
    assert outcome.exit_code == 1, outcome.stdout
    checks = json.loads(outcome.stdout)["domains"][0]["checks"]
    assert {c["id"]: c["status"] for c in checks}["app.object_access"] == "fail"
    assert {c["id"] for c in checks} >= {"app.auth", "app.cors", "app.webhooks", "app.exposed_secrets"}
    no_canary(outcome.stdout)

"""`launchready new` writes a stack that validates for every plan and email preset."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from typer.testing import CliRunner

from launchready.cli import app
from launchready.spec import LIMITS, load_stack

runner = CliRunner()
PLANS = ["free", "pro", "business", "enterprise"]
PROVIDERS = ["google_workspace", "microsoft_365", "custom", "none"]


@pytest.mark.parametrize(("plan", "provider"), list(itertools.product(PLANS, PROVIDERS)))
def test_new_stack_validates(tmp_path: Path, plan: str, provider: str) -> None:
    result = runner.invoke(app, ["new", "client.example", "--stack", "c", "--plan", plan,
                                 "--email-provider", provider, "--tenant", "contoso",
                                 "--stacks-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    spec = load_stack("c", tmp_path)
    assert spec.plan == plan and spec.email.provider == provider
    assert len(spec.firewall.rate_limits) == min(3, LIMITS[plan].rate_limit_rules)
    covered = {p for rule in spec.firewall.rate_limits for p in rule.paths}
    assert {"/login", "/api/chat", "/api/tools"} <= covered
    assert bool(spec.monitoring.monitors) == (plan != "free")
    assert spec.tls.ssl_mode == "strict" and spec.tls.min_version == "1.2"


def test_new_refuses_to_overwrite(tmp_path: Path) -> None:
    args = ["new", "client.example", "--stack", "c", "--stacks-dir", str(tmp_path)]
    assert runner.invoke(app, args).exit_code == 0
    path = tmp_path / "Pulumi.c.yaml"
    path.write_text(path.read_text() + "# hand edit\n")
    again = runner.invoke(app, args)
    assert again.exit_code == 2
    assert "exists; pass --force" in again.output
    assert path.read_text().endswith("# hand edit\n")
    assert runner.invoke(app, [*args, "--force"]).exit_code == 0
    assert not path.read_text().endswith("# hand edit\n")


def test_new_rejects_bad_domain(tmp_path: Path) -> None:
    result = runner.invoke(app, ["new", "not a domain", "--stacks-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_new_idn_domain(tmp_path: Path) -> None:
    result = runner.invoke(app, ["new", "bücher.example", "--stacks-dir", str(tmp_path),
                                 "--email-provider", "none", "--origin", "203.0.113.9"])
    assert result.exit_code == 0, result.output
    spec = load_stack("xn--bcher-kva-example", tmp_path)
    assert spec.domain == "xn--bcher-kva.example"
    assert spec.origin.addresses == ["203.0.113.9"]


def test_new_with_ci_refuses_before_writing_anything(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    workflow = tmp_path / ".github" / "workflows" / "launchready-c.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text("# the team's own pipeline\n")
    args = ["new", "client.example", "--stack", "c", "--ci", "github"]
    refused = runner.invoke(app, args)
    assert refused.exit_code == 2
    assert "launchready-c.yml exists; pass --force" in refused.output
    assert not (tmp_path / "stacks" / "Pulumi.c.yaml").exists()  # no half-scaffolded client
    assert workflow.read_text() == "# the team's own pipeline\n"
    forced = runner.invoke(app, [*args, "--force"])
    assert forced.exit_code == 0, forced.output
    assert "wrote stacks/Pulumi.c.yaml" in forced.output
    assert "client.example" in workflow.read_text()


@pytest.mark.parametrize("stack", ["../escape", "a/b", "has space", ".."])
def test_new_rejects_a_stack_name_pulumi_would_not_take(tmp_path: Path, stack: str) -> None:
    stacks = tmp_path / "stacks"
    result = runner.invoke(app, ["new", "client.example", "--stack", stack, "--stacks-dir", str(stacks)])
    assert result.exit_code == 2, result.output
    assert "is not a Pulumi stack name" in result.output
    assert "Traceback" not in result.output
    assert not tmp_path.joinpath("escape.yaml").exists() and not stacks.exists()


def test_new_says_the_next_command_for_the_stacks_dir_it_wrote_to(tmp_path: Path) -> None:
    result = runner.invoke(app, ["new", "client.example", "-s", "c", "--stacks-dir", str(tmp_path)],
                           env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    assert f"next: launchready plan --stack c --stacks-dir {tmp_path}" in " ".join(result.output.split())


def test_new_into_a_stacks_dir_that_is_a_file_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    blocker = tmp_path / "stacks"
    blocker.write_text("")
    result = runner.invoke(app, ["new", "client.example", "--stacks-dir", str(blocker)])
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert "error: cannot write the scaffold" in result.output


def test_new_keeps_both_zone_id_and_account_id(tmp_path: Path) -> None:
    zone, account = "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"
    both = runner.invoke(app, ["new", "client.example", "-s", "both", "--stacks-dir", str(tmp_path),
                               "--zone-id", zone, "--account-id", account])
    assert both.exit_code == 0, both.output
    spec = load_stack("both", tmp_path)
    assert (spec.zone.zone_id, spec.zone.account_id) == (zone, account)
    only_zone = runner.invoke(app, ["new", "client.example", "-s", "zone", "--stacks-dir", str(tmp_path),
                                    "--zone-id", zone], env={"COLUMNS": "300"})
    assert only_zone.exit_code == 0, only_zone.output
    assert load_stack("zone", tmp_path).zone.account_id is None
    assert "zone.account_id is not set: the health-check alert policy" in only_zone.output

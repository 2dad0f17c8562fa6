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

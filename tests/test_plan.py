"""The offline plan API, its JSON desired state, and the ``launchready plan`` command."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from launchready.cli import app
from launchready.exitcodes import ExitCode
from launchready.plan import plan_spec, plan_stack, to_json
from launchready.spec import CONFIG_KEY, SpecError, parse_site
from tests.pulumi_mocks import STACKS, example_site

runner = CliRunner()


def _write_stack(directory: Path, name: str, site: object) -> None:
    document = {"config": {CONFIG_KEY: site, "cloudflare:apiToken": {"secure": "v1:abc"}}}
    (directory / f"Pulumi.{name}.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")


def test_json_shape_is_stable_and_sorted() -> None:
    resources = plan_stack("example", STACKS)
    document = json.loads(to_json(resources))
    assert isinstance(document, list) and len(document) == len(resources) == 47
    assert all(set(entry) == {"type", "name", "parent", "inputs"} for entry in document)
    names = [entry["name"] for entry in document]
    assert names == sorted(names) and len(set(names)) == len(names)
    # Same spec, same bytes: the desired state is deterministic across runs in one process.
    assert to_json(plan_stack("example", STACKS)) == to_json(resources)
    ssl = next(e for e in document if e["name"] == "example-com-tls-ssl")
    assert ssl == {
        "type": "cloudflare:index/zoneSetting:ZoneSetting",
        "name": "example-com-tls-ssl",
        "parent": "example-com-tls",
        "inputs": {"settingId": "ssl", "value": "strict", "zoneId": "${example-com-zone.id}"},
    }


def test_plans_are_isolated_from_each_other() -> None:
    first = plan_spec(parse_site(example_site()))
    other = example_site()
    other["domain"] = "other.example"
    second = plan_spec(parse_site(other), stack="other")
    assert all(r.name.startswith("other-example") for r in second)
    assert not {r.name for r in first} & {r.name for r in second}
    assert plan_spec(parse_site(example_site())) == first


def test_plan_works_from_async_code() -> None:
    async def caller() -> int:
        return len(plan_stack("example", STACKS))

    assert asyncio.run(caller()) == 47


def test_webhook_url_never_appears_in_the_plan(tmp_path: Path) -> None:
    canary = "https://hooks.slack.example.com/services/T1/B2/CANARY-0b7f3e9a1c5d"
    site = example_site()
    site["monitoring"]["alerts"]["webhooks"] = [{"name": "pager", "url": canary}]
    _write_stack(tmp_path, "canary", site)
    text = to_json(plan_stack("canary", tmp_path))
    assert "CANARY-0b7f3e9a1c5d" not in text
    assert "redacted" in text
    result = runner.invoke(app, ["plan", "-s", "canary", "--stacks-dir", str(tmp_path)])
    assert result.exit_code == 0
    assert "CANARY-0b7f3e9a1c5d" not in result.output
    assert "v1:abc" not in text  # stack secrets are never read into a plan


def test_missing_stack_is_a_spec_error(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="no stack files"):
        plan_stack("nope", tmp_path)


def test_cli_plan_json() -> None:
    result = runner.invoke(app, ["plan", "--stack", "example", "--format", "json",
                                 "--stacks-dir", str(STACKS)])
    assert result.exit_code == ExitCode.OK, result.output
    document = json.loads(result.stdout)
    assert result.stdout.strip() == to_json(plan_stack("example", STACKS))
    phases = sorted(e["inputs"]["phase"] for e in document
                    if e["type"] == "cloudflare:index/ruleset:Ruleset")
    assert len(phases) == len(set(phases)) == 6


def test_cli_plan_table() -> None:
    result = runner.invoke(app, ["plan", "--stack", "example", "--stacks-dir", str(STACKS)])
    assert result.exit_code == ExitCode.OK, result.output
    out = result.stdout
    assert "35 Cloudflare resources, 12 components" in out
    assert "ssl = strict" in out
    assert "http_ratelimit: 3 rules (chat_send, login, tool_calls)" in out
    assert "A example.com -> 192.0.2.10 (ttl 1, proxied)" in out
    assert "example.com (full), protected" in out


def test_cli_malformed_stack_exits_2_with_key_paths(tmp_path: Path) -> None:
    site = example_site()
    site["plan"] = "gold"
    site["firewall"]["rate_limits"][1]["requests_per_period"] = "many"
    site["cache"]["bypass"] = ["/x"]
    _write_stack(tmp_path, "bad", site)
    result = runner.invoke(app, ["plan", "--stack", "bad", "--stacks-dir", str(tmp_path)])
    assert result.exit_code == ExitCode.USAGE
    assert result.stdout == ""
    err = result.stderr
    assert "3 problems" in err
    assert "launchready:site.plan:" in err
    assert "launchready:site.firewall.rate_limits[1].requests_per_period:" in err
    assert "launchready:site.cache.bypass: unknown key" in err
    assert "Traceback" not in result.output


def test_cli_plan_limit_violation_names_the_plan(tmp_path: Path) -> None:
    site = example_site()
    site["plan"] = "pro"
    _write_stack(tmp_path, "pro", site)
    result = runner.invoke(app, ["plan", "-s", "pro", "--stacks-dir", str(tmp_path)])
    assert result.exit_code == ExitCode.USAGE
    assert "launchready:site.firewall.rate_limits:" in result.stderr
    assert "business plan or higher" in result.stderr
    assert "Traceback" not in result.output


def test_cli_unknown_stack_lists_the_existing_ones() -> None:
    result = runner.invoke(app, ["plan", "--stack", "nope", "--stacks-dir", str(STACKS)])
    assert result.exit_code == ExitCode.USAGE
    assert "stacks here: example" in result.stderr


@pytest.mark.parametrize("plan", ["free", "pro", "business", "enterprise"])
@pytest.mark.parametrize("provider", ["google_workspace", "microsoft_365", "custom", "none"])
def test_new_stack_plans_cleanly(tmp_path: Path, plan: str, provider: str) -> None:
    created = runner.invoke(app, ["new", "client.example", "--stack", "c", "--plan", plan,
                                  "--email-provider", provider, "--tenant", "contoso",
                                  "--stacks-dir", str(tmp_path)])
    assert created.exit_code == 0, created.output
    result = runner.invoke(app, ["plan", "-s", "c", "-f", "json", "--stacks-dir", str(tmp_path)])
    assert result.exit_code == ExitCode.OK, result.output
    document = json.loads(result.stdout)
    phases = [e["inputs"]["phase"] for e in document if e["type"] == "cloudflare:index/ruleset:Ruleset"]
    assert len(phases) == len(set(phases))
    limits = [e for e in document if e["inputs"].get("phase") == "http_ratelimit"]
    assert len(limits[0]["inputs"]["rules"]) == {"free": 1, "pro": 2}.get(plan, 3)
    checks = [e for e in document if e["type"] == "cloudflare:index/healthcheck:Healthcheck"]
    assert bool(checks) == (plan != "free")

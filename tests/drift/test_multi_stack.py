"""`launchready drift --stack a --stack b`: one call, several zones, one exit code by precedence."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from launchready.cli import app
from launchready.cli.drift import StackDrift, exit_code
from launchready.cloudflare import drift
from launchready.cloudflare.client import make_client
from launchready.exitcodes import ExitCode
from launchready.plan import plan_stack
from launchready.testbed.cloudflare_api import FakeCloudflare
from tests.drift.seed import apply_plan

pytestmark = pytest.mark.integration

CANARY = "cfcanary-multi-5e4d3c2b1a0f9e8d7c6b5a493827"
ACCOUNT = "0123456789abcdef0123456789abcdef"
ZONES = {"shop": ("shop.example", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1"),
         "blog": ("blog.example", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa2"),
         "gone": ("gone.example", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa3")}
STACK = """config:
  launchready:site:
    domain: {domain}
    zone: {{zone_id: {zone_id}}}
    plan: business
    origin: {{addresses: [192.0.2.10]}}
"""


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FakeCloudflare, Path]]:
    """shop and blog seeded in sync from their plans; gone's zone does not exist."""
    stacks = tmp_path_factory.mktemp("stacks")
    for stack, (domain, zone_id) in ZONES.items():
        (stacks / f"Pulumi.{stack}.yaml").write_text(STACK.format(domain=domain, zone_id=zone_id))
    with FakeCloudflare() as api:
        api.add_token(CANARY, label="ci")
        client = make_client(CANARY, api.base_url, max_retries=0)
        for stack in ("shop", "blog"):
            domain, zone_id = ZONES[stack]
            zone = api.add_zone(domain, zone_id=zone_id, plan="business", account_id=ACCOUNT)
            apply_plan(client, zone, drift.desired_from_plan(plan_stack(stack, stacks)))
        yield api, stacks


def run(world: tuple[FakeCloudflare, Path], *stacks: str, fmt: str = "json") -> Any:
    api, folder = world
    args = ["drift", "--stacks-dir", str(folder), "--base-url", api.base_url, "--retries", "0",
            "--format", fmt]
    for stack in stacks:
        args += ["--stack", stack]
    result = CliRunner().invoke(app, args, env={"CLOUDFLARE_API_TOKEN": CANARY})
    assert CANARY not in result.stdout + result.stderr
    return result


def test_several_stacks_in_sync_then_one_drifts_then_one_unreadable(
        world: tuple[FakeCloudflare, Path]) -> None:
    api, _ = world
    result = run(world, "shop", "blog")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert [(s["stack"], s["in_sync"], s["error"], s["zone"]) for s in data["stacks"]] == [
        ("shop", True, None, "shop.example"), ("blog", True, None, "blog.example")]

    table = run(world, "shop", "blog", fmt="table")
    assert table.exit_code == 0
    assert "stack shop: zone shop.example is in sync" in table.stdout
    assert "stack blog: zone blog.example is in sync" in table.stdout

    blog = api.zones[ZONES["blog"][1]]
    blog.settings["always_use_https"] = "off"
    try:
        result = run(world, "shop", "blog")
        assert result.exit_code == 1
        shop_out, blog_out = json.loads(result.stdout)["stacks"]
        assert shop_out["in_sync"] is True and blog_out["in_sync"] is False
        assert [(i["kind"], i["key"]) for i in blog_out["items"]] == [
            ("setting.changed", "always_use_https")]

        # drift wins over a stack that could not be read
        result = run(world, "gone", "blog")
        assert result.exit_code == 1
        gone_out = json.loads(result.stdout)["stacks"][0]
        assert gone_out["in_sync"] is None and "not found" in gone_out["error"]
        assert "stack gone: could not compare" in result.stderr
    finally:
        blog.settings["always_use_https"] = "on"

    result = run(world, "shop", "gone")
    assert result.exit_code == 3
    assert [s["in_sync"] for s in json.loads(result.stdout)["stacks"]] == [True, None]


def test_single_stack_keeps_the_old_json_shape(world: tuple[FakeCloudflare, Path]) -> None:
    result = run(world, "shop", "shop")  # repeated names are compared once
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["zone"] == "shop.example" and data["in_sync"] is True and "stacks" not in data


def test_every_stack_file_is_checked_before_anything_runs(world: tuple[FakeCloudflare, Path]) -> None:
    api, _ = world
    before = len(api.log)
    result = run(world, "shop", "missing", "other-missing")
    assert result.exit_code == 2
    assert "'missing'" in result.stderr and "'other-missing'" in result.stderr
    assert len(api.log) == before  # no API call was made

    result = CliRunner().invoke(app, ["drift", "--stack", "shop", "--stack", "blog", "--zone-id",
                                      ZONES["shop"][1]], env={"CLOUDFLARE_API_TOKEN": CANARY})
    assert result.exit_code == 2 and "single --stack" in result.stderr


def test_exit_code_precedence() -> None:
    report = drift.DriftReport("z", "id", ())
    drifted = drift.DriftReport("z", "id", (drift.DriftItem("setting.changed", "r", "k", 1, 2,
                                                            "high", "n"),))
    ok, bad, unread = StackDrift("a", report), StackDrift("b", drifted), StackDrift("c", error="x")
    assert exit_code([ok]) is ExitCode.OK
    assert exit_code([ok, unread]) is ExitCode.COULD_NOT_RUN
    assert exit_code([unread, bad, ok]) is ExitCode.FAILED

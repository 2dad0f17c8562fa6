"""Drift end to end: the fake Cloudflare API over real HTTP, the official SDK, the reader.

The fake zone is seeded from the example stack's plan (so it starts in sync), then one thing
is changed through the API per scenario, as a person in the dashboard would. The takeover
check resolves through the loopback DNS server. The `launchready drift` command is run with
typer's CliRunner for its exit codes; a canary token must never appear in its output.
"""

from __future__ import annotations

import copy
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from launchready.cli import app
from launchready.cloudflare import drift
from launchready.cloudflare.client import make_client
from launchready.cloudflare.reader import read_zone_state
from launchready.plan import plan_stack
from launchready.testbed.cloudflare_api import READ_SCOPES, FakeCloudflare, FakeZone
from launchready.testbed.dns_server import DnsServer
from launchready.verify.resolver import DnsClient, parse_nameserver
from tests.drift.seed import apply_plan

pytestmark = pytest.mark.integration

STACKS = Path(__file__).resolve().parents[2] / "stacks"
CANARY = "cfcanary-9f8e7d6c5b4a39281706f5e4d3c2b1a0"
ACCOUNT = "0123456789abcdef0123456789abcdef"
runner = CliRunner()


@pytest.fixture(scope="module")
def desired() -> drift.Desired:
    return drift.desired_from_plan(plan_stack("example", STACKS))


@pytest.fixture(scope="module")
def seeded(desired: drift.Desired) -> Iterator[tuple[FakeCloudflare, FakeZone, Any]]:
    """One server per module, seeded once through the API; its state is kept as a snapshot."""
    with FakeCloudflare() as api:
        api.add_token(CANARY, label="ci")
        zone = api.add_zone("example.com", plan="business", account_id=ACCOUNT)
        apply_plan(make_client(CANARY, api.base_url, max_retries=0), zone, desired)
        yield api, zone, copy.deepcopy(_state(api, zone))


def _state(api: FakeCloudflare, zone: FakeZone) -> tuple[Any, ...]:
    return (zone.settings, zone.records, zone.rulesets, zone.healthchecks, zone.dnssec, api.policies)


@pytest.fixture
def fake(seeded: tuple[FakeCloudflare, FakeZone, Any]) -> tuple[FakeCloudflare, FakeZone]:
    """The seeded zone, back in sync: each test's dashboard edit starts from the snapshot."""
    api, zone, snapshot = seeded
    (zone.settings, zone.records, zone.rulesets, zone.healthchecks, zone.dnssec,
     api.policies) = copy.deepcopy(snapshot)
    return api, zone


def call(api: FakeCloudflare, method: str, path: str, body: Any = None) -> Any:
    client = make_client(CANARY, api.base_url, max_retries=0)
    options: dict[str, Any] = {"cast_to": object} if body is None else {"cast_to": object, "body": body}
    response = getattr(client, method)(path, **options)
    assert response["success"], response
    return response["result"]


def live_report(api: FakeCloudflare, zone: FakeZone, desired: drift.Desired,
                lookup: DnsClient | None = None) -> drift.DriftReport:
    state = read_zone_state(make_client(CANARY, api.base_url, max_retries=0), zone.id)
    return drift.detect_drift(desired, state, lookup)


def record_id(api: FakeCloudflare, zone: FakeZone, name: str) -> str:
    records = call(api, "get", f"/zones/{zone.id}/dns_records?name={name}")
    return str(records[0]["id"])


# --------------------------------------------------------------------------- scenarios


def test_seeded_zone_is_in_sync(fake: tuple[FakeCloudflare, FakeZone], desired: drift.Desired) -> None:
    api, zone = fake
    report = live_report(api, zone, desired)
    assert report.in_sync, [i.to_dict() for i in report.items]
    assert report.compared["records"] == 16 and report.zone == "example.com"


def test_setting_changed_in_dashboard(fake: tuple[FakeCloudflare, FakeZone],
                                      desired: drift.Desired) -> None:
    api, zone = fake
    call(api, "patch", f"/zones/{zone.id}/settings/min_tls_version", {"value": "1.0"})
    [item] = live_report(api, zone, desired).items
    assert (item.kind, item.key) == ("setting.changed", "min_tls_version")
    assert (item.desired, item.live) == ("1.2", "1.0")


def test_record_added_in_dashboard(fake: tuple[FakeCloudflare, FakeZone], desired: drift.Desired) -> None:
    api, zone = fake
    added = call(api, "post", f"/zones/{zone.id}/dns_records",
                 {"name": "staging", "type": "A", "content": "198.51.100.20", "ttl": 300})
    [item] = live_report(api, zone, desired).items
    assert (item.kind, item.resource) == ("record.unmanaged", f"live:{added['id']}")
    assert item.live["name"] == "staging.example.com" and item.live["ttl"] == 300


def test_record_changed_in_dashboard(fake: tuple[FakeCloudflare, FakeZone], desired: drift.Desired) -> None:
    api, zone = fake
    rid = record_id(api, zone, "api.example.com")
    call(api, "patch", f"/zones/{zone.id}/dns_records/{rid}", {"content": "evil-backend.example.net"})
    [item] = live_report(api, zone, desired).items
    assert (item.kind, item.resource) == ("record.changed", "example-com-dns-host-api")
    assert (item.desired["content"], item.live["content"]) == ("app-backend.fly.dev",
                                                               "evil-backend.example.net")
    assert item.live["id"] == rid


def test_ruleset_rule_added_in_dashboard(fake: tuple[FakeCloudflare, FakeZone],
                                         desired: drift.Desired) -> None:
    api, zone = fake
    path = f"/zones/{zone.id}/rulesets/phases/http_ratelimit/entrypoint"
    ruleset = call(api, "get", path)
    extra = {"ref": "dashboard_search", "action": "block",
             "expression": 'starts_with(http.request.uri.path, "/search")',
             "ratelimit": {"characteristics": ["cf.colo.id", "ip.src"], "period": 60,
                           "requests_per_period": 100, "mitigation_timeout": 60}}
    call(api, "put", path, {"rules": [*ruleset["rules"], extra]})
    [item] = live_report(api, zone, desired).items
    assert (item.kind, item.key) == ("rule.added", "http_ratelimit/dashboard_search")
    assert item.live["expression"] == extra["expression"]


def test_health_check_deleted(fake: tuple[FakeCloudflare, FakeZone], desired: drift.Desired) -> None:
    api, zone = fake
    checks = call(api, "get", f"/zones/{zone.id}/healthchecks")
    login = next(c for c in checks if c["name"] == "login")
    call(api, "delete", f"/zones/{zone.id}/healthchecks/{login['id']}")
    [item] = live_report(api, zone, desired).items
    assert (item.kind, item.key, item.severity) == ("healthcheck.missing", "login", "high")


def test_dangling_unmanaged_cname(fake: tuple[FakeCloudflare, FakeZone], desired: drift.Desired) -> None:
    api, zone = fake
    gone = call(api, "post", f"/zones/{zone.id}/dns_records",
                {"name": "old-shop", "type": "CNAME", "content": "shop-gone.example.net"})
    fine = call(api, "post", f"/zones/{zone.id}/dns_records",
                {"name": "blog", "type": "CNAME", "content": "blog.example.net"})
    with DnsServer({"blog.example.net": [("A", "192.0.2.80")]}) as dns_server:
        lookup = DnsClient([parse_nameserver(dns_server.nameserver)], timeout=1.0)
        report = live_report(api, zone, desired, lookup)
    by_resource = {i.resource: i for i in report.items}
    assert set(by_resource) == {f"live:{gone['id']}", f"live:{fine['id']}"}
    risk = by_resource[f"live:{gone['id']}"]
    assert (risk.kind, risk.severity, risk.live["target_rcode"]) == ("record.takeover_risk", "high",
                                                                     "NXDOMAIN")
    assert by_resource[f"live:{fine['id']}"].kind == "record.unmanaged"


# --------------------------------------------------------------------------- the command


def run_drift(api_url: str, zone_id: str, *extra: str, token: str | None = CANARY) -> Any:
    env = {"CLOUDFLARE_API_TOKEN": token} if token is not None else {"CLOUDFLARE_API_TOKEN": ""}
    return runner.invoke(app, ["drift", "--stack", "example", "--stacks-dir", str(STACKS),
                               "--base-url", api_url, "--zone-id", zone_id, "--retries", "0",
                               *extra], env=env)


def assert_no_canary(result: Any) -> None:
    assert CANARY not in result.stdout and CANARY not in result.stderr
    assert CANARY[8:24] not in result.stdout + result.stderr


def test_cli_exit_0_when_in_sync(fake: tuple[FakeCloudflare, FakeZone]) -> None:
    api, zone = fake
    result = run_drift(api.base_url, zone.id)
    assert result.exit_code == 0, result.stderr
    assert "in sync" in result.stdout
    assert_no_canary(result)


def test_cli_exit_1_on_drift_with_json(fake: tuple[FakeCloudflare, FakeZone]) -> None:
    api, zone = fake
    call(api, "patch", f"/zones/{zone.id}/settings/always_use_https", {"value": "off"})
    result = run_drift(api.base_url, zone.id, "--format", "json")
    assert result.exit_code == 1, result.stderr
    data = json.loads(result.stdout)
    assert data["in_sync"] is False
    assert [(i["kind"], i["key"], i["live"]) for i in data["items"]] == [
        ("setting.changed", "always_use_https", "off")]
    table = run_drift(api.base_url, zone.id)
    assert table.exit_code == 1 and "always_use_https" in table.stdout
    assert_no_canary(result)
    assert_no_canary(table)


def test_cli_exit_2_on_stack_file_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["drift", "--stack", "nope", "--stacks-dir", str(tmp_path)],
                           env={"CLOUDFLARE_API_TOKEN": CANARY})
    assert result.exit_code == 2
    assert "no stack named 'nope'" in result.stderr
    broken = tmp_path / "Pulumi.broken.yaml"
    broken.write_text("config:\n  launchready:site:\n    domain: example.com\n")
    result = runner.invoke(app, ["drift", "--stack", "broken", "--stacks-dir", str(tmp_path)],
                           env={"CLOUDFLARE_API_TOKEN": CANARY})
    assert result.exit_code == 2 and "zone" in result.stderr
    assert_no_canary(result)


def test_cli_exit_3_on_bad_token(fake: tuple[FakeCloudflare, FakeZone]) -> None:
    api, zone = fake
    wrong = CANARY[::-1]
    result = run_drift(api.base_url, zone.id, token=wrong)
    assert result.exit_code == 3
    assert "rejected" in result.stderr and "CLOUDFLARE_API_TOKEN" in result.stderr
    assert wrong not in result.stdout + result.stderr


def test_cli_exit_3_on_under_scoped_token(fake: tuple[FakeCloudflare, FakeZone]) -> None:
    api, zone = fake
    narrow = "narrowtoken-0a1b2c3d4e5f60718293a4b5c6d7e8f9"
    api.add_token(narrow, label="narrow", scopes=READ_SCOPES - {"rulesets:read"})
    result = run_drift(api.base_url, zone.id, token=narrow)
    assert result.exit_code == 3
    assert "Zone WAF:Read" in result.stderr
    assert narrow not in result.stdout + result.stderr


def test_cli_exit_3_without_token_or_api(fake: tuple[FakeCloudflare, FakeZone]) -> None:
    api, zone = fake
    result = run_drift(api.base_url, zone.id, token=None)
    assert result.exit_code == 3 and "CLOUDFLARE_API_TOKEN" in result.stderr
    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = run_drift(f"http://127.0.0.1:{port}/client/v4", zone.id)
    assert result.exit_code == 3 and "cannot reach" in result.stderr
    assert_no_canary(result)

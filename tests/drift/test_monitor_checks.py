"""verify's monitor-state checks over hand-built zone states."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from launchready.cloudflare.checks import monitor_checks
from launchready.cloudflare.state import HealthCheck, HttpConfig, NotificationPolicy, Zone, ZoneState
from launchready.spec import load_stack
from launchready.spec.models import SiteSpec
from launchready.verify.model import Level, Status

STACKS = Path(__file__).resolve().parents[2] / "stacks"


@pytest.fixture(scope="module")
def spec() -> SiteSpec:
    return load_stack("example", STACKS)


def hc(name: str, path: str, status: str = "healthy", **extra: object) -> HealthCheck:
    return HealthCheck(id=f"id-{name}", name=name, address="www.example.com", type="HTTPS",
                       status=status, http_config=HttpConfig(path=path), **extra)  # type: ignore[arg-type]


def healthy_state(**policy: object) -> ZoneState:
    checks = (hc("home", "/"), hc("login", "/login"), hc("api-health", "/api/health"))
    fields: dict[str, object] = {
        "id": "p1", "name": "launchready alerts", "alert_type": "health_check_status_notification",
        "filters": {"health_check_id": tuple(c.id for c in checks), "status": ("Healthy", "Unhealthy")},
        "mechanisms": {"email": ("oncall@example.com",)},
    }
    fields.update(policy)
    return ZoneState(zone=Zone("z" * 32, "example.com", "active", "business"), health_checks=checks,
                     notification_policies=(NotificationPolicy(**fields),))  # type: ignore[arg-type]


def by_status(results: list) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for r in results:
        out.setdefault(r.id, []).append(r.status.value)
    return out


def test_all_monitors_healthy_and_covered(spec: SiteSpec) -> None:
    results = monitor_checks(spec, healthy_state())
    assert by_status(results) == {"cloudflare.healthchecks": ["pass"] * 3,
                                  "cloudflare.notifications": ["pass"]}
    assert all(r.level is Level.REQUIRED and r.fix == "" for r in results)
    assert {r.target for r in results[:3]} == {"https://www.example.com/", "https://www.example.com/login",
                                               "https://www.example.com/api/health"}


def test_unhealthy_missing_suspended_and_unknown(spec: SiteSpec) -> None:
    state = healthy_state()
    checks = (hc("home", "/", "unhealthy"), hc("renamed", "/login", suspended=True),
              hc("api-health", "/api/health", "unknown"))
    results = monitor_checks(spec, dataclasses.replace(state, health_checks=checks))
    statuses = [(r.evidence["monitor"], r.status) for r in results if r.id == "cloudflare.healthchecks"]
    # "renamed" still matches the login monitor by host and path
    assert statuses == [("home", Status.FAIL), ("login", Status.FAIL), ("api-health", Status.WARN)]
    assert "unhealthy" in results[0].summary and results[0].fix
    missing = monitor_checks(spec, dataclasses.replace(state, health_checks=checks[:1]))
    assert [r.status for r in missing[:3]] == [Status.FAIL] * 3
    assert missing[1].summary == "no Cloudflare health check for monitor login"


@pytest.mark.parametrize(("policy", "expected"), [
    ({"enabled": False}, "disabled"),
    ({"mechanisms": {}}, "no email/webhook/pagerduty target"),
    ({"filters": {"status": ("Healthy",)}}, "does not alert on Unhealthy"),
    ({"alert_type": "universal_ssl_event_type"}, "no health_check_status_notification policy"),
])
def test_notification_policy_that_does_not_work(spec: SiteSpec, policy: dict, expected: str) -> None:
    result = monitor_checks(spec, healthy_state(**policy))[-1]
    assert result.id == "cloudflare.notifications" and result.status is Status.FAIL
    assert expected in result.summary and result.fix


def test_policy_must_cover_every_monitor(spec: SiteSpec) -> None:
    partial = healthy_state(filters={"health_check_id": ("id-home",)})
    result = monitor_checks(spec, partial)[-1]
    assert result.status is Status.FAIL and result.evidence["uncovered"] == ["api-health", "login"]
    # a policy without a health check filter covers every health check
    assert monitor_checks(spec, healthy_state(filters={}))[-1].status is Status.PASS


def test_no_monitors_skips(spec: SiteSpec) -> None:
    bare = spec.model_copy(update={"monitoring": spec.monitoring.model_copy(update={"monitors": []})})
    assert [r.status for r in monitor_checks(bare, healthy_state())] == [Status.SKIPPED, Status.SKIPPED]

"""Every app probe against two real apps on loopback: it must fail the vulnerable one and pass
the hardened one, and no token, secret or planted key may appear in any result."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from launchready.probes import ProbeOptions, SsrfCanary, run_app_probes
from launchready.verify.model import CheckResult, Status
from launchready.verify.report import render
from launchready.verify.runner import DomainReport, VerifyReport
from tests.apps.common import CANARIES, ENV, SK_LIVE, SK_TEST, SSRF_CANARY, CanaryListener
from tests.probes.conftest import assert_no_canary, site

pytestmark = pytest.mark.integration

APP_CHECKS = {
    "app.auth",
    "app.object_access",
    "app.function_access",
    "app.cors",
    "app.rate_limit",
    "app.webhooks",
    "app.input_validation",
    "app.prompt_injection",
    "app.ssrf",
    "app.exposed_secrets",
}


def run(url: str, **options: Any) -> dict[str, CheckResult]:
    results = run_app_probes(site(url), ProbeOptions(env=ENV, timeout=3, **options))
    assert_no_canary(results)
    return {r.id: r for r in results}


@pytest.fixture(scope="module")
def vulnerable(vulnerable_url: str, ssrf_canary: CanaryListener) -> dict[str, CheckResult]:
    return run(vulnerable_url, probe_rate_limits=True, ssrf_canary=SsrfCanary(ssrf_canary.url, SSRF_CANARY))


def test_every_probe_fails_the_vulnerable_app(vulnerable: dict[str, CheckResult]) -> None:
    assert set(vulnerable) == APP_CHECKS
    assert {i: r.status for i, r in vulnerable.items()} == dict.fromkeys(APP_CHECKS, Status.FAIL)
    assert all(r.fix for r in vulnerable.values())


def test_every_probe_passes_the_hardened_app(fresh_hardened_url: str, ssrf_canary: CanaryListener) -> None:
    hits = ssrf_canary.hits
    canary = SsrfCanary(ssrf_canary.url, SSRF_CANARY)
    results = run(fresh_hardened_url, probe_rate_limits=True, ssrf_canary=canary)
    assert ssrf_canary.hits == hits  # the hardened tool never fetched the planted URL
    assert {i: r.status for i, r in results.items()} == dict.fromkeys(APP_CHECKS, Status.PASS), {
        i: r.summary for i, r in results.items() if r.status is not Status.PASS
    }


def test_auth_names_the_forgeries_the_vulnerable_app_accepted(vulnerable: dict[str, CheckResult]) -> None:
    failures = vulnerable["app.auth"].evidence["failures"]
    billing = {f["variant"] for f in failures if f["route"] == "GET /api/billing"}
    # billing wants *a* token but never verifies it
    assert billing == {"expired JWT", "alg none JWT", "JWT signed with a wrong key"}
    admin = {f["variant"] for f in failures if f["route"] == "GET /api/admin/users"}
    assert "no credentials" in admin


def test_object_access_covers_path_query_and_body(vulnerable: dict[str, CheckResult]) -> None:
    routes = vulnerable["app.object_access"].evidence["routes"]
    assert [r["verdict"] for r in routes] == ["b read a's object"] * 3
    assert [r["b_status"] for r in routes] == [200, 200, 200]


def test_webhook_cases_per_scheme(vulnerable: dict[str, CheckResult]) -> None:
    failed = {e["scheme"]: set(e["failed"]) for e in vulnerable["app.webhooks"].evidence["endpoints"]}
    assert {"missing signature", "garbage signature", "signed with a wrong secret"} <= failed["stripe"]
    assert failed["github"] == {"replay of the valid event"}
    assert failed["slack"] == {
        "replay of the valid event",
        "stale timestamp (now-360s)",
        "future timestamp (now+360s)",
    }
    assert failed["standard_webhooks"] == failed["slack"]
    assert "missing signature" in failed["svix"]
    assert failed["generic_hmac"] >= {"garbage signature", "signed with a wrong secret"}
    assert "missing signature" not in failed["generic_hmac"]


def test_input_validation_reports_5xx_and_stack_traces(vulnerable: dict[str, CheckResult]) -> None:
    cases = {(c["endpoint"], c["case"]): c for c in vulnerable["app.input_validation"].evidence["cases"]}
    malformed = cases[("POST /api/chat", "malformed JSON")]
    assert malformed["status"] == 500 and malformed["stack_trace"]
    assert cases[("POST /api/chat", "HTML/script in the message")]["verdict"] == "reflected raw"
    assert cases[("POST /api/chat", "unexpected fields role/is_admin/tenant_id")]["verdict"] == "accepted"


def test_prompt_injection_leak_is_reported_redacted(vulnerable: dict[str, CheckResult]) -> None:
    result = vulnerable["app.prompt_injection"]
    assert any(c["canary_leaked"] for c in result.evidence["cases"])
    assert "redacted" in result.evidence["canary"]


def test_ssrf_names_what_the_vulnerable_tool_fetched(vulnerable: dict[str, CheckResult]) -> None:
    result = vulnerable["app.ssrf"]
    cases = {c["payload"]: c for c in result.evidence["cases"]}
    fetched = {url for url, c in cases.items() if c["verdict"] == "fetched"}
    # the canary via its plain URL and via the 0x7f000001 spelling, and a local file
    assert any(url.startswith("http://127.0.0.1:") for url in fetched)
    assert any(url.startswith("http://0x7f000001:") for url in fetched)
    assert cases["file:///etc/passwd"]["seen"] == ["an /etc/passwd line"]
    assert all(c["seen"] for c in cases.values() if c["verdict"] == "fetched")
    assert "redacted" in result.evidence["canary"]
    # never reached off the machine: the metadata address got the app's own "unreachable" 502
    assert cases["http://169.254.169.254/latest/meta-data/"]["status"] == 502
    assert "root:" not in str(result.to_dict())


def test_exposed_secrets_tells_live_from_test_keys(vulnerable: dict[str, CheckResult]) -> None:
    evidence = vulnerable["app.exposed_secrets"].evidence
    by_rule = {f["rule_id"]: f for f in evidence["findings"]}
    assert by_rule["stripe-live-secret-key"]["severity"] == "critical"
    assert by_rule["stripe-test-key"]["severity"] == "warning"
    assert by_rule["stripe-live-secret-key"]["redacted"].startswith(SK_LIVE[:4])
    assert SK_TEST not in str(evidence)
    # found through the source map's sourcesContent, with the original file name
    assert {"openai-api-key", "aws-access-key-id", "supabase-service-role-jwt"} <= set(by_rule)
    assert any("app.js.map -> src/config.ts" in f["source"] for f in evidence["findings"])
    assert evidence["third_party_hosts"] == ["cdn.thirdparty.test"]
    assert any(m.endswith("/static/app.js.map") for m in evidence["source_maps_public"])


def test_cors_failures_name_the_reflected_origins(vulnerable: dict[str, CheckResult]) -> None:
    failures = vulnerable["app.cors"].evidence["failures"]
    reflected = {f["origin"] for f in failures if f["problem"].startswith("untrusted origin reflected")}
    assert {"null", "https://evil.attacker.test", "https://www.example.com.attacker.test"} <= reflected
    assert {
        "https://attackerwww.example.com",
        "http://www.example.com",
        "https://wwwaexampleacom",
    } <= reflected


def test_rate_limit_is_skipped_without_the_flag(hardened_url: str) -> None:
    results = run(hardened_url, only=("app.rate_limit",))
    assert results["app.rate_limit"].status is Status.SKIPPED
    assert "--probe-rate-limits" in results["app.rate_limit"].summary


def test_rate_limit_reports_where_limiting_began(fresh_hardened_url: str) -> None:
    result = run(fresh_hardened_url, probe_rate_limits=True, only=("app.rate_limit",))["app.rate_limit"]
    login = result.evidence["login_per_ip"]
    chat = result.evidence["chat_per_identity"]
    assert login["throttled_at"] == 6 and login["sent"] == 6  # limit 5, stopped at the first 429
    assert chat["throttled_at"] == 31 and chat["b_after_a_throttled"] == 200
    assert login["retry_after_seconds"] and "ratelimit-policy" in login["headers"]
    assert login["spoofed_x_forwarded_for_status"] == 429


def test_missing_identity_tokens_are_an_error_not_a_failure(hardened_url: str) -> None:
    results = run_app_probes(site(hardened_url), ProbeOptions(env={}, timeout=3))
    by_id = {r.id: r for r in results}
    assert by_id["app.object_access"].status is Status.ERROR
    assert "APP_TOKEN_A" in by_id["app.object_access"].summary
    assert by_id["app.auth"].status is Status.PASS  # needs no token


def test_unreachable_app_is_an_error_for_every_probe() -> None:
    options = ProbeOptions(env=ENV, timeout=0.5, probe_rate_limits=True)
    results = run_app_probes(site("http://127.0.0.1:9"), options)
    assert {r.id: r.status for r in results} == dict.fromkeys(APP_CHECKS, Status.ERROR)


def test_budget_exhaustion_is_reported_as_error(hardened_url: str) -> None:
    results = run_app_probes(site(hardened_url), ProbeOptions(env=ENV, timeout=3, budget=20))
    errors = [r for r in results if r.status is Status.ERROR]
    assert errors and all("budget of 20" in r.summary for r in errors)


@pytest.mark.parametrize("fmt", ["json", "junit", "markdown", "html"])
def test_report_renderers_never_show_a_secret(vulnerable: dict[str, CheckResult], fmt: str) -> None:
    report = VerifyReport(
        domains=(DomainReport("example.com", "stack test", tuple(vulnerable.values()), 1.0),),
        duration_s=1.0,
        started_at=dt.datetime.now(dt.UTC),
    )
    text = render(report, fmt)
    assert "app.webhooks" in text
    for canary in CANARIES:
        assert canary not in text

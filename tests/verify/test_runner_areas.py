"""The runner's other areas: Cloudflare state through the API fake, skips with reasons."""

from __future__ import annotations

import time

import pytest

from launchready.testbed.cloudflare_api import FakeCloudflare
from launchready.testbed.web import SilentServer
from launchready.verify.dnsclient import DnsAnswer, Rcode
from launchready.verify.model import Status
from launchready.verify.report import render
from launchready.verify.runner import Target, VerifyOptions, domain_target, run_verify
from tests.verify.conftest import good_spec

TOKEN = "CANARY" + "cloudflareTOKEN0123456789abcdef"  # joined: the repo passes its own secret scan


@pytest.mark.integration
def test_cloudflare_checks_read_the_zone_through_the_api(monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeCloudflare() as fake:
        fake.add_token(TOKEN)
        fake.add_zone("good.test")
        monkeypatch.setenv("CLOUDFLARE_BASE_URL", fake.base_url)
        options = VerifyOptions(only=("cloudflare.",), cloudflare_token=TOKEN, timeout=2.0)
        report = run_verify([Target("good.test", good_spec(), "good")], options)
    results = {r.id: r for r in report.domains[0].results}
    # The spec has three monitors and the zone no health check.
    assert results["cloudflare.healthchecks"].status is Status.FAIL
    assert "cloudflare.notifications" in results
    for fmt in ("json", "junit", "markdown", "html", "table"):
        assert TOKEN not in render(report, fmt)


@pytest.mark.integration
def test_a_refused_token_is_error_and_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeCloudflare() as fake:
        monkeypatch.setenv("CLOUDFLARE_BASE_URL", fake.base_url)
        options = VerifyOptions(only=("cloudflare.",), cloudflare_token=TOKEN, timeout=2.0)
        report = run_verify([Target("good.test", good_spec(), "good")], options)
    statuses = {r.id: r.status for r in report.domains[0].results}
    assert statuses == {"cloudflare.healthchecks": Status.ERROR, "cloudflare.notifications": Status.ERROR}
    assert TOKEN not in render(report, "json")
    assert TOKEN[:12] not in repr(options)


def test_checks_that_cannot_run_say_why() -> None:
    report = run_verify([domain_target("good.test")], VerifyOptions(only=("app.", "cloudflare.")))
    results = report.domains[0].results
    assert {r.status for r in results} == {Status.SKIPPED}
    reasons = {r.id: r.summary for r in results}
    assert reasons["app.auth"] == "needs --stack with an app section"
    assert "CLOUDFLARE_API_TOKEN" in reasons["cloudflare.healthchecks"]
    assert report.exit_code == 3  # nothing was observed


class _DeadDns:
    """Every lookup times out: the name server is unreachable."""

    def query(self, name: str, rdtype: str) -> DnsAnswer:
        return DnsAnswer(name, rdtype, Rcode.TIMEOUT, error="no answer within 1s")


def test_an_unreachable_name_server_is_could_not_run_not_a_pass() -> None:
    report = run_verify([domain_target("good.test")],
                        VerifyOptions(only=("dns.", "http."), timeout=1.0), lookup=_DeadDns())
    results = {r.id: r for r in report.domains[0].results}
    canonical = results["http.canonical_redirect"]
    assert canonical.status is Status.ERROR, canonical.summary
    assert "could not resolve" in canonical.summary
    assert report.exit_code == 3


@pytest.mark.integration
def test_cloudflare_reads_stop_at_the_run_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    with SilentServer() as silent:
        monkeypatch.setenv("CLOUDFLARE_BASE_URL", f"http://127.0.0.1:{silent.port}/client/v4")
        options = VerifyOptions(only=("cloudflare.",), cloudflare_token=TOKEN, timeout=5.0,
                                deadline=0.5)
        started = time.monotonic()
        report = run_verify([Target("good.test", good_spec(), "good")], options)
        took = time.monotonic() - started
    assert took < 2.0, took
    results = report.domains[0].results
    assert {r.status for r in results} == {Status.ERROR}
    assert all("deadline" in r.summary for r in results)


@pytest.mark.integration
def test_cloudflare_reads_use_verify_timeout_per_request(monkeypatch: pytest.MonkeyPatch) -> None:
    with SilentServer() as silent:
        monkeypatch.setenv("CLOUDFLARE_BASE_URL", f"http://127.0.0.1:{silent.port}/client/v4")
        options = VerifyOptions(only=("cloudflare.",), cloudflare_token=TOKEN, timeout=0.3)
        started = time.monotonic()
        report = run_verify([Target("good.test", good_spec(), "good")], options)
        took = time.monotonic() - started
    assert took < 4.0, took  # 3 attempts of 0.3 s plus at most a few seconds of backoff
    results = report.domains[0].results
    assert {r.status for r in results} == {Status.ERROR}
    assert all("did not answer in time" in r.summary for r in results)

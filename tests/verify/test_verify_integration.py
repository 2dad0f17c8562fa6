"""verify end to end against real servers on loopback: every scenario classified, the good site clean."""

from __future__ import annotations

import json
import time
import xml.etree.ElementTree as ET

import pytest

from launchready.verify.model import Status
from launchready.verify.report import render
from launchready.verify.runner import DomainReport, Target, VerifyReport, domain_target, run_verify
from tests.verify.conftest import CANARY_COOKIE, Fleet, good_spec

pytestmark = pytest.mark.integration

SCENARIOS = ["nohsts", "shorthsts", "twohop", "loop", "elsewhere", "ftp", "temporary", "pathless", "headers",
             "unsafe", "mixed", "cookie", "huge", "nohttps", "silent", "dangling"]


@pytest.fixture(scope="module")
def report(fleet: Fleet) -> VerifyReport:
    targets = [Target("good.test", good_spec(), "good")]
    targets += [domain_target(f"{name}.test") for name in SCENARIOS]
    targets += [domain_target("unknown.test"), domain_target("straße.test")]
    return run_verify(targets, fleet.options(only=("dns.", "http.", "tls.", "email.")))


def domain(report: VerifyReport, name: str) -> DomainReport:
    return next(d for d in report.domains if d.domain == name)


def status(report: VerifyReport, name: str, check_id: str) -> tuple[Status, str, str]:
    found = [r for r in domain(report, name).results if r.id == check_id]
    assert found, f"{check_id} not run for {name}"
    worst = max(found, key=lambda r: [Status.PASS, Status.SKIPPED, Status.WARN, Status.ERROR,
                                      Status.FAIL].index(r.status))
    return worst.status, worst.summary, json.dumps(worst.evidence)


def test_the_good_site_passes_every_check(report: VerifyReport) -> None:
    good = domain(report, "good.test")
    bad = [(r.id, r.status.value, r.summary) for r in good.results if r.status is not Status.PASS]
    # The spec sends no mail: DKIM, MTA-STS and TLS-RPT do not apply.
    assert bad == [("email.dkim", "skipped", "skipped: the domain sends no mail"),
                   ("email.mta_sts", "skipped", "no MTA-STS record (the spec does not ask for it)"),
                   ("email.tls_rpt", "skipped", "no TLS-RPT record (the spec does not ask for it)")]
    ids = {r.id for r in good.results}
    assert {"dns.resolves", "dns.dnssec", "http.canonical_redirect", "http.monitor_urls",
            "tls.certificate"} <= ids
    assert report.exit_code != 0  # the scenarios fail; the good site alone would exit 0


@pytest.mark.parametrize(("name", "check_id", "expected", "phrase"), [
    ("nohsts.test", "http.hsts", Status.FAIL, "no Strict-Transport-Security"),
    ("shorthsts.test", "http.hsts", Status.FAIL, "max-age 300"),
    ("twohop.test", "http.canonical_redirect", Status.FAIL, "2 hops"),
    ("loop.test", "http.canonical_redirect", Status.FAIL, "loop"),
    ("elsewhere.test", "http.canonical_redirect", Status.FAIL, "another site (elsewhere.example)"),
    ("ftp.test", "http.canonical_redirect", Status.FAIL, "non-HTTP scheme"),
    ("temporary.test", "http.canonical_redirect", Status.FAIL, "302"),
    ("pathless.test", "http.canonical_redirect", Status.FAIL, "drops the path"),
    ("headers.test", "http.csp", Status.FAIL, "no Content-Security-Policy"),
    ("headers.test", "http.frame_options", Status.FAIL, "X-Frame-Options"),
    ("headers.test", "http.content_type_options", Status.FAIL, "missing"),
    ("unsafe.test", "http.csp", Status.FAIL, "'unsafe-inline' and 'unsafe-eval'"),
    ("mixed.test", "http.mixed_content", Status.FAIL, "http://cdn.mixed.test/app.js"),
    ("cookie.test", "http.cookies", Status.FAIL, "session without Secure"),
    ("nohttps.test", "http.https_redirect", Status.FAIL, "instead of redirecting to https"),
    ("dangling.test", "dns.dangling", Status.FAIL, "gone.shops.test"),
    ("unknown.test", "dns.resolves", Status.FAIL, "NXDOMAIN"),
    ("cookie.test", "email.dmarc", Status.FAIL, "no DMARC record"),
])
def test_each_scenario_fails_the_right_check_with_its_cause(report: VerifyReport, name: str, check_id: str,
                                                            expected: Status, phrase: str) -> None:
    got, summary, evidence = status(report, name, check_id)
    assert got is expected, summary
    assert phrase in summary + evidence


def test_scenarios_do_not_fail_unrelated_checks(report: VerifyReport) -> None:
    for name, check_id in [("nohsts.test", "http.csp"), ("mixed.test", "http.hsts"),
                           ("cookie.test", "http.canonical_redirect"), ("twohop.test", "http.hsts")]:
        assert status(report, name, check_id)[0] is Status.PASS


def test_a_silent_server_is_error_never_fail(report: VerifyReport) -> None:
    silent = domain(report, "silent.test")
    web = [r for r in silent.results if r.id.startswith(("http.", "tls."))]
    assert web and all(r.status is Status.ERROR for r in web), [(r.id, r.status) for r in web]
    assert any("within 1s" in r.summary or "timed out" in r.summary for r in web)


def test_a_100mb_body_is_capped(report: VerifyReport) -> None:
    huge = domain(report, "huge.test")
    mixed = next(r for r in huge.results if r.id == "http.mixed_content")
    assert mixed.status is Status.PASS and mixed.evidence["body_truncated"] is True
    assert huge.duration_s < 15


def test_idn_domain_is_checked_in_a_label_form(report: VerifyReport) -> None:
    assert status(report, "xn--strae-oqa.test", "dns.resolves")[0] is Status.PASS


def test_the_run_is_concurrent_and_bounded(report: VerifyReport) -> None:
    # 19 domains, a silent server with a 1 s timeout, a 100 MB body: well under the 30 s deadline.
    assert report.duration_s < 20


def test_every_format_renders_and_no_cookie_value_leaks(report: VerifyReport) -> None:
    for fmt in ("table", "json", "junit", "markdown", "html"):
        text = render(report, fmt)
        assert CANARY_COOKIE not in text, fmt
        assert "good.test" in text
    data = json.loads(render(report, "json"))
    assert set(data) == {"domains", "duration_s"}
    first = data["domains"][0]
    assert set(first) == {"domain", "checks", "summary"}
    assert {"id", "category", "level", "status", "summary", "evidence", "fix"} <= set(first["checks"][0])
    junit = ET.fromstring(render(report, "junit"))
    cases = junit.findall(".//testcase")
    assert len(cases) == sum(len(d.results) for d in report.domains)
    assert junit.findall(".//failure") and junit.findall(".//error")


def test_deadline_turns_unfinished_work_into_errors(fleet: Fleet) -> None:
    started = time.monotonic()
    options = fleet.options(only=("http.",), timeout=5.0, deadline=1.0)
    result = run_verify([domain_target("silent.test")], options)
    assert time.monotonic() - started < 8
    assert all(r.status in (Status.ERROR, Status.SKIPPED) for r in result.domains[0].results)
    assert result.exit_code == 3

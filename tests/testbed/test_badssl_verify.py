"""Every badssl-style scenario, run through the real verify pipeline (DNS, HTTP, TLS on loopback).

The scenario table names the check that must not pass and a phrase its result must contain;
the good site must pass every HTTP and TLS check.
"""

from __future__ import annotations

import pytest

from launchready.testbed.scenarios import SCENARIOS, BadSsl
from launchready.verify.http import parse_connect_to
from launchready.verify.model import Status
from launchready.verify.resolver import Nameserver
from launchready.verify.runner import VerifyOptions, domain_target, run_verify

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def reports():
    with BadSsl() as bed:
        host, port = bed.nameserver.rsplit(":", 1)
        options = VerifyOptions(
            nameservers=(Nameserver(host, int(port)),),
            overrides=tuple(parse_connect_to(arg) for arg in bed.connect_to_args()),
            ca_bundle=bed.ca_bundle, only=("http.", "tls."), timeout=1.0, deadline=30.0,
        )
        names = ["good", *(s.name for s in SCENARIOS)]
        report = run_verify([domain_target(f"{name}.badssl.test") for name in names], options)
    return {domain.domain.split(".")[0]: domain for domain in report.domains}


def test_good_site_passes_every_http_and_tls_check(reports) -> None:
    results = reports["good"].results
    assert {r.id for r in results} >= {"tls.certificate", "tls.expiry", "tls.protocols", "tls.tls13",
                                       "http.https_redirect", "http.canonical_redirect", "http.hsts",
                                       "http.csp", "http.cookies", "http.mixed_content"}
    assert [(r.id, r.summary) for r in results if r.status is not Status.PASS] == []
    # TLS is checked per host and address: the apex and www each get their four results.
    assert {r.target.split("@")[0] for r in results if r.id == "tls.certificate"} == {
        "good.badssl.test", "www.good.badssl.test"}


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_scenario_is_classified_by_the_pipeline(reports, scenario) -> None:
    results = [r for r in reports[scenario.name].results if r.id == scenario.check]
    assert results, f"{scenario.check} did not run"
    expected = Status.WARN if scenario.name in ("short-lived", "tls-v1-2") else Status.FAIL
    for verdict in results:
        assert verdict.status is expected, verdict
        assert scenario.cause in verdict.summary + " " + repr(dict(verdict.evidence)), verdict

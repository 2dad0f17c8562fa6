"""The issue's email scenarios, each classified by the right check with evidence naming the cause.

Every scenario runs in process (``RecordsLookup``) and through the loopback testbed DNS server
with the real DNS client (``integration``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from launchready.testbed.dns_server import DnsServer, Fault
from launchready.verify.mail import CHECK_IDS, EmailExpectation, check_email
from launchready.verify.model import CheckResult, Status
from launchready.verify.resolver import DnsClient, parse_nameserver
from tests.verify.mail_fakes import RecordData, RecordsLookup
from tests.verify.mail_scenarios import (
    DOMAIN,
    EXPECT,
    GOOD_POLICY,
    SCENARIOS,
    Scenario,
    good_records,
    http_get_for,
)

Runner = Callable[[RecordData, tuple[str, ...], EmailExpectation, str], dict[str, CheckResult]]


def _by_id(results: list[CheckResult]) -> dict[str, CheckResult]:
    assert [r.id for r in results] == list(CHECK_IDS)
    return {r.id: r for r in results}


def run_memory(
    records: RecordData, timeouts: tuple[str, ...], expect: EmailExpectation, policy: str
) -> dict[str, CheckResult]:
    return _by_id(check_email(DOMAIN, RecordsLookup(records, timeouts), expect, http_get_for(policy)))


def run_dns(
    records: RecordData, timeouts: tuple[str, ...], expect: EmailExpectation, policy: str
) -> dict[str, CheckResult]:
    faults: dict[str | tuple[str, str], Fault | str] = dict.fromkeys(timeouts, Fault.TIMEOUT)
    with DnsServer(records, faults=faults) as server:
        client = DnsClient([parse_nameserver(server.nameserver)], timeout=0.3)
        return _by_id(check_email(DOMAIN, client, expect, http_get_for(policy)))


BACKENDS = [
    pytest.param(run_memory, id="memory"),
    pytest.param(run_dns, id="dns", marks=pytest.mark.integration),
]


@pytest.mark.parametrize("run", BACKENDS)
def test_good_setup_passes_every_email_check(run: Runner) -> None:
    results = run(good_records(), (), EXPECT, GOOD_POLICY)
    assert {i: r.status for i, r in results.items()} == dict.fromkeys(CHECK_IDS, Status.PASS), {
        i: r.summary for i, r in results.items()
    }
    spf = results["email.spf"].evidence
    assert spf["lookups"] == 2
    assert spf["chain"] == [DOMAIN, "_spf.provider.test", "_spf2.provider.test"]
    dkim = results["email.dkim"].evidence["selectors"]
    assert dkim["sel1"]["bits"] == 2048
    assert dkim["sel2"]["key_type"] == "ed25519"
    assert dkim["sel2"]["cname"] == "sel2.dkim.provider.test"
    assert all(r.fix == "" for r in results.values())


@pytest.mark.parametrize("run", BACKENDS)
@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_scenario_is_classified(run: Runner, scenario: Scenario) -> None:
    results = run(scenario.records(), scenario.timeouts, scenario.expect, scenario.policy)
    got = results[scenario.check]
    assert got.status is scenario.status, got.summary
    assert scenario.summary in got.summary
    for key, value in scenario.evidence.items():
        assert got.evidence[key] == value, (key, got.evidence)
    assert got.fix and "\n" not in got.fix
    assert all(json.dumps(r.to_dict()) for r in results.values())  # reports serialise evidence as JSON
    others = {i: r.status for i, r in results.items() if i != scenario.check}
    if scenario.expect is EXPECT and not scenario.timeouts:
        # The fault stays where it is: every other check still passes.
        assert set(others.values()) == {Status.PASS}, {i: r.summary for i, r in results.items()}


@pytest.mark.integration
def test_timeouts_are_errors_never_fails_and_nothing_hangs() -> None:
    every_name = tuple(good_records())
    started = time.monotonic()
    results = run_dns(good_records(), every_name, EXPECT, GOOD_POLICY)
    assert time.monotonic() - started < 5
    statuses = {i: r.status for i, r in results.items()}
    assert Status.FAIL not in statuses.values(), statuses
    assert statuses["email.spf"] is Status.ERROR
    assert statuses["email.mx"] is Status.ERROR


@pytest.mark.integration
def test_shared_include_is_fetched_once_per_run() -> None:
    """One DNS cache per run: a provider include shared by many domains is asked once."""
    records = good_records()
    for i in range(5):
        records[f"d{i}.test"] = [("TXT", "v=spf1 include:_spf.provider.test -all"), ("MX", "0 .")]
    with DnsServer(records) as server:
        client = DnsClient([parse_nameserver(server.nameserver)], timeout=0.5)
        for i in range(5):
            results = _by_id(check_email(f"d{i}.test", client, EmailExpectation.baseline(), http_get_for("")))
            assert results["email.spf"].status is Status.PASS
        assert server.count("_spf.provider.test", "TXT") == 1


def test_baseline_for_a_bare_domain() -> None:
    records = good_records()
    results = run_memory(records, (), EmailExpectation.baseline(), GOOD_POLICY)
    assert results["email.dkim"].status is Status.SKIPPED
    assert "selector" in results["email.dkim"].summary
    assert {r.status for i, r in results.items() if i != "email.dkim"} == {Status.PASS}


def test_baseline_requires_dmarc_enforcement_and_rua() -> None:
    records = good_records()
    records[f"_dmarc.{DOMAIN}"] = [("TXT", "v=DMARC1; p=quarantine")]
    result = run_memory(records, (), EmailExpectation.baseline(), GOOD_POLICY)["email.dmarc"]
    assert result.status is Status.FAIL and "rua" in result.summary


def test_null_mx_domain_that_sends_no_mail() -> None:
    records: RecordData = {
        DOMAIN: [("MX", "0 ."), ("TXT", "v=spf1 -all")],
        f"_dmarc.{DOMAIN}": [("TXT", "v=DMARC1; p=reject; sp=reject; rua=mailto:d@mail.test")],
    }
    expect = EmailExpectation(
        sends_mail=False,
        mx_hosts=(".",),
        spf_all="-all",
        dmarc_policy="reject",
        dmarc_subdomain_policy="reject",
        mta_sts=False,
        tls_rpt=False,
        source="spec",
    )
    results = run_memory(records, (), expect, "")
    statuses = {i: r.status for i, r in results.items()}
    assert statuses == {
        "email.mx": Status.PASS,
        "email.spf": Status.PASS,
        "email.dkim": Status.SKIPPED,
        "email.dmarc": Status.PASS,
        "email.mta_sts": Status.SKIPPED,
        "email.tls_rpt": Status.SKIPPED,
    }
    assert results["email.mx"].summary == "null MX: the domain accepts no mail"


def test_null_mx_fails_when_the_spec_receives_mail() -> None:
    records = good_records()
    records[DOMAIN] = [("MX", "0 ."), ("TXT", "v=spf1 -all")]
    result = run_memory(records, (), EXPECT, GOOD_POLICY)["email.mx"]
    assert result.status is Status.FAIL


def test_collection_runs_independent_lookups_concurrently() -> None:
    """Wall time follows the longest dependency chain, not the number of lookups."""
    delay = 0.1

    class Slow(RecordsLookup):
        def query(self, name: str, rdtype: str) -> Any:
            time.sleep(delay)
            return super().query(name, rdtype)

    lookup = Slow(good_records())
    started = time.monotonic()
    check_email(DOMAIN, lookup, EXPECT, http_get_for(GOOD_POLICY))
    elapsed = time.monotonic() - started
    # The longest chain is TXT mail.test -> TXT _spf -> TXT _spf2: 3 x delay. Asked one after
    # another, the 15 questions would take 15 x delay.
    assert len(lookup.queries) >= 15
    assert elapsed < 8 * delay, elapsed


def test_bare_null_mx_domain_skips_inbound_hardening() -> None:
    records: RecordData = {
        DOMAIN: [("MX", "0 ."), ("TXT", "v=spf1 -all")],
        f"_dmarc.{DOMAIN}": [("TXT", "v=DMARC1; p=reject; rua=mailto:d@mail.test")],
    }
    results = run_memory(records, (), EmailExpectation.baseline(), "")
    assert results["email.mta_sts"].status is Status.SKIPPED
    assert "null MX" in results["email.tls_rpt"].summary
    assert results["email.mx"].status is Status.PASS and results["email.spf"].status is Status.PASS

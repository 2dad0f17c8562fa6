"""The RFC 7208 test suite (pyspf's ``rfc7208-tests.yml``, committed under tests/data) through check_host().

Every test runs twice: against an in-process Lookup built from the suite's ``zonedata``, and
(``integration``) through the loopback testbed DNS server with the real DNS client, one server
per scenario section. Where the suite allows several results any of them passes; explanations
are compared where the suite gives one (``DEFAULT`` = no exp= text). Type SPF records are
ignored, as RFC 7208 says; the driver copies them to TXT where a name has no TXT (pyspf's rule).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from launchready.testbed.dns_server import DnsServer, Fault
from launchready.verify.mail.spf import check_host
from launchready.verify.resolver import DnsClient, parse_nameserver
from tests.verify.mail_fakes import ZoneLookup, load_zonedata

SUITE = Path(__file__).resolve().parent.parent / "data" / "rfc7208-tests.yml"


def _cases() -> list[Any]:
    cases = []
    with SUITE.open("rb") as handle:
        for scenario in yaml.safe_load_all(handle):
            zone = load_zonedata(scenario["zonedata"])
            for name, test in scenario["tests"].items():
                cases.append(pytest.param(zone, test, id=f"{scenario['description']}::{name}"))
    return cases


CASES = _cases()


def test_suite_is_complete() -> None:
    assert len(CASES) == 203


@pytest.mark.parametrize(("zone", "test"), CASES)
def test_rfc7208(zone: dict[str, Any], test: dict[str, Any]) -> None:
    outcome = check_host(test["host"], test["mailfrom"], ZoneLookup(zone), helo=test["helo"])
    expected = test["result"] if isinstance(test["result"], list) else [test["result"]]
    assert outcome.result.value in expected, outcome.reason
    if "explanation" in test:
        assert (outcome.explanation or "DEFAULT") == test["explanation"]


# --------------------------------------------------------------------------- through the real DNS server

_QUERIED = ("A", "AAAA", "MX", "TXT", "PTR")


def _server_data(zone: dict[str, Any]) -> tuple[dict[str, list[tuple[str, Any]]], dict[Any, Fault]]:
    """The suite's zone as testbed records; ``TIMEOUT`` times out each type not answered before it."""
    records: dict[str, list[tuple[str, Any]]] = {}
    faults: dict[Any, Fault] = {}
    for name, entries in zone.items():
        seen: set[str] = set()
        for rdtype, value in entries:
            if rdtype == "TIMEOUT":
                faults.update({(name, t): Fault.TIMEOUT for t in _QUERIED if t not in seen})
                break
            seen.add(rdtype)
            if value == "TIMEOUT":
                faults[(name, rdtype)] = Fault.TIMEOUT
            elif rdtype == "MX":
                host = str(value[1]).rstrip(".")
                records.setdefault(name, []).append(
                    ("MX", f"{value[0]} {host}." if host else f"{value[0]} .")
                )
            elif rdtype == "TXT" and value == []:
                continue  # a TXT record with no strings cannot be sent on the wire
            elif rdtype in ("A", "AAAA", "PTR", "CNAME", "TXT"):
                text = (
                    value
                    if rdtype == "TXT"
                    else f"{value}".rstrip(".") + ("." if rdtype in ("PTR", "CNAME") else "")
                )
                records.setdefault(name, []).append((rdtype, text))
    return records, faults


def _sections() -> list[Any]:
    with SUITE.open("rb") as handle:
        return [pytest.param(s, id=s["description"]) for s in yaml.safe_load_all(handle)]


@pytest.mark.integration
@pytest.mark.parametrize("scenario", _sections())
def test_rfc7208_through_the_testbed_dns_server(scenario: dict[str, Any]) -> None:
    zone = load_zonedata(scenario["zonedata"])
    records, faults = _server_data(zone)
    failures: list[tuple[Any, ...]] = []
    with DnsServer(records, faults=faults) as server:
        for name, test in scenario["tests"].items():
            client = DnsClient([parse_nameserver(server.nameserver)], timeout=0.2)
            outcome = check_host(test["host"], test["mailfrom"], client, helo=test["helo"])
            expected = test["result"] if isinstance(test["result"], list) else [test["result"]]
            if outcome.result.value not in expected:
                failures.append((name, outcome.result.value, expected, outcome.reason))
            elif "explanation" in test and (outcome.explanation or "DEFAULT") != test["explanation"]:
                failures.append((name, outcome.explanation, test["explanation"]))
    assert not failures

"""The RFC 7208 test suite (pyspf's ``rfc7208-tests.yml``, committed under tests/data) through check_host().

Every scenario runs against an in-process Lookup built from the suite's ``zonedata``; where the
suite allows several results any of them passes; explanations are compared where the suite
gives one (``DEFAULT`` = no exp= text).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from launchready.verify.mail.spf import check_host
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

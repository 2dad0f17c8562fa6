"""The example stack's sandbox through the real verify pipeline: clean when good, each fault caught."""

from __future__ import annotations

from pathlib import Path

import pytest

from launchready.spec import load_stack
from launchready.testbed.scenarios import FAULT_CHECKS, Sandbox, SandboxFault
from launchready.verify.http import parse_connect_to
from launchready.verify.model import Status
from launchready.verify.resolver import Nameserver
from launchready.verify.runner import VerifyOptions, run_verify, stack_target

pytestmark = pytest.mark.integration

STACKS = Path(__file__).resolve().parents[2] / "stacks"
AREAS = ("dns.", "email.", "tls.", "http.")


def verify(box: Sandbox) -> dict[str, list]:
    host, port = box.nameserver.rsplit(":", 1)
    options = VerifyOptions(nameservers=(Nameserver(host, int(port)),),
                            overrides=tuple(parse_connect_to(a) for a in box.connect_to_args),
                            ca_bundle=box.ca_bundle, only=AREAS, timeout=1.0, deadline=30.0)
    report = run_verify([stack_target("example", STACKS)], options)
    by_id: dict[str, list] = {}
    for result in report.domains[0].results:
        by_id.setdefault(result.id, []).append(result)
    return by_id


def test_good_sandbox_passes_dns_email_tls_and_http() -> None:
    with Sandbox(load_stack("example", STACKS)) as box:
        results = verify(box)
    assert len(results) >= 26
    assert [(i, r.summary) for i, rs in results.items() for r in rs if r.status is not Status.PASS] == []


def test_each_fault_trips_its_check_and_nothing_else() -> None:
    faults = [f for f, check in FAULT_CHECKS.items()
              if check.startswith(AREAS) and f is not SandboxFault.EXPIRED_CERT]
    with Sandbox(load_stack("example", STACKS), faults=faults) as box:
        results = verify(box)
    unhappy = {i for i, rs in results.items() if any(r.status is not Status.PASS for r in rs)}
    assert unhappy == {FAULT_CHECKS[f] for f in faults}
    assert {r.status for r in results["tls.expiry"]} == {Status.WARN}

"""Hypothesis: the sandbox of a random valid spec passes every verify check that applies.

The sandbox serves the spec's intended state (records from ``planned_records``, headers,
HSTS, redirects and the MTA-STS policy from the spec), so verify, judging by the same spec,
must find nothing wrong: no fail, warn or error.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings

from launchready.spec import parse_site
from launchready.verify.model import Status
from tests.cross.common import verify_sandbox
from tests.cross.specs import sites

pytestmark = [pytest.mark.integration, pytest.mark.slow]

EXTERNAL_RUA = {
    "domain": "shop.example", "zone": {"account_id": "0" * 32}, "origin": {"hostname": "app.fly.dev"},
    "email": {"provider": "google_workspace", "dmarc": {"rua": ["mailto:reports@dmarc.example.net"]}},
}
"""DMARC reports to another domain need its consent (RFC 7489 §7.1); the sandbox gives it."""


@settings(max_examples=8, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(site=sites())
@example(site=EXTERNAL_RUA)
def test_sandbox_of_a_random_spec_passes_verify(site: dict[str, Any]) -> None:
    spec = parse_site(site)
    results = verify_sandbox(spec)
    unhappy = [(r.id, r.status.value, r.summary) for r in results
               if r.status in (Status.FAIL, Status.ERROR, Status.WARN)
               # The sandbox answers web hosts with its loopback address; an unproxied origin's
               # own addresses cannot be served from here.
               and not (r.id == "dns.resolves" and not spec.origin.proxied)]
    assert unhappy == []


def test_tls_13_only_spec_is_served_and_verified_as_such() -> None:
    # tls.min_version 1.3 becomes the zone's min_tls_version: the edge refuses TLS 1.2, the
    # sandbox must do the same, and verify must judge that by the spec, not the baseline.
    spec = parse_site({**EXTERNAL_RUA, "tls": {"min_version": "1.3"}})
    results = verify_sandbox(spec)
    protocols = [r for r in results if r.id == "tls.protocols"]
    assert protocols and all(r.status is Status.PASS for r in protocols), protocols
    assert all(r.evidence["offered"]["1.2"] is False for r in protocols), protocols

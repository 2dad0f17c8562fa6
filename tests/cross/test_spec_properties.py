"""Hypothesis over small random valid specs, across module boundaries.

- plan -> seed the fake Cloudflare API through the SDK -> read back -> drift: in sync; then
  that zone -> adopt -> spec -> plan: the same records under the same logical names as the
  original plan, and the import file names exactly those resources;
- that zone -> backup -> restore into a new zone of the same name -> drift: in sync;
- a launch-ready spec (strict TLS, HSTS >= 6 months, proxied web records) -> plan -> the
  policy pack: no violation.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings

from launchready.cloudflare import drift
from launchready.cloudflare.adopt import adopt_zone
from launchready.cloudflare.backup import backup_zone, load_backup, restore_backup
from launchready.cloudflare.client import make_client
from launchready.cloudflare.reader import read_zone_state
from launchready.plan import PlannedResource, plan_spec
from launchready.spec import parse_site
from launchready.spec.records import planned_records
from launchready.testbed.cloudflare_api import FakeCloudflare
from tests.cross.common import TOKEN, drift_after_up, fake_cloudflare, policy_violations
from tests.cross.specs import sites

DNS = "cloudflare:index/dnsRecord:DnsRecord"
SLOW = settings(max_examples=8, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.fixture(scope="module")
def api() -> Iterator[FakeCloudflare]:
    with fake_cloudflare() as fake:
        yield fake


@SLOW
@given(site=sites(strict=True))
def test_launch_ready_spec_passes_the_policy_pack(site: dict[str, Any]) -> None:
    assert policy_violations(plan_spec(parse_site(site))) == {}


def _records(plan: list[PlannedResource]) -> dict[str, tuple[Any, ...]]:
    """Logical name -> what Cloudflare stores for a planned DNS record."""
    out = {}
    for res in plan:
        if res.type == DNS:
            i = res.inputs
            out[res.name] = (i["name"], i["type"], i.get("content"), i.get("data"), i.get("priority"),
                             i.get("proxied", False), i["ttl"])
    return out


MTA_STS_SITE = {
    "domain": "shop.example", "zone": {"account_id": "0" * 32}, "origin": {"hostname": "app.fly.dev"},
    "email": {"provider": "google_workspace", "mta_sts": {"mode": "testing"},
              "tls_rpt": {"rua": ["mailto:tls@example.net"]}},
}
"""Adopt used to turn the MTA-STS records into plain records, renaming both."""


@pytest.mark.integration
@SLOW
@given(site=sites())
@example(site=MTA_STS_SITE)
def test_seeded_zone_has_no_drift_and_adopts_back_to_the_same_plan(
        api: FakeCloudflare, site: dict[str, Any]) -> None:
    spec = parse_site(site)
    original = plan_spec(spec)
    report = drift_after_up(api, spec, original)
    assert report.in_sync, [i.to_dict() for i in report.items]

    live = read_zone_state(make_client(TOKEN, api.base_url, max_retries=0), report.zone_id)
    adoption = adopt_zone(spec.domain, live.records, zone_id=live.zone.id, plan=spec.plan)
    adopted = _records(plan_spec(adoption.spec))
    imported = {e.name for e in adoption.imports if e.type == DNS}
    assert imported == set(adopted)
    assert [str(u) for u in adoption.unmanaged] == []
    if spec.canonical_host == "apex":
        # Adopt cannot see the canonical host in DNS and writes apex (it says so); with that,
        # every record comes back under its original logical name, unchanged.
        assert adopted == _records(original)
        assert adoption.creates == [] and adoption.changes == []


@pytest.mark.integration
@pytest.mark.slow
@settings(max_examples=8, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(site=sites())
def test_backup_restored_into_a_new_zone_has_no_drift(
        api: FakeCloudflare, site: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> None:
    spec = parse_site(site)
    resources = plan_spec(spec)
    seeded = drift_after_up(api, spec, resources)
    client = make_client(TOKEN, api.base_url, max_retries=0)
    folder = backup_zone(client, seeded.zone_id, tmp_path_factory.mktemp("backup"), stack="cross")
    target = api.add_zone(spec.domain, plan=spec.plan, account_id=uuid.uuid4().hex)
    summary = restore_backup(client, load_backup(folder), target.id)
    assert summary.errors == []
    report = drift.compare(drift.desired_from_plan(resources), read_zone_state(client, target.id))
    assert report.in_sync, [i.to_dict() for i in report.items]


@settings(max_examples=40, deadline=None, derandomize=True)
@given(site=sites())
def test_planned_host_targets_are_in_the_form_cloudflare_returns(site: dict[str, Any]) -> None:
    # Cloudflare stores CNAME/MX/NS targets without the trailing dot and the reader compares
    # that form; a dot in the plan is a diff on every preview.
    spec = parse_site(site)
    for record in planned_records(spec):
        if record.type in ("CNAME", "MX", "NS"):
            assert record.content == "." or not record.content.endswith("."), record

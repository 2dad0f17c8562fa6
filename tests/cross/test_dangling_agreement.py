"""Verify's dns.dangling and drift's takeover risk judge a CNAME's target the same way.

A web host's CNAME is dangling when its target has no address; a CNAME at a service name
(a label starting with ``_``: DKIM keys, ACME delegations) points at a name that holds a TXT
record and no address by design, so only a target that does not exist (NXDOMAIN) leaves
it open to takeover.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from launchready.cloudflare import drift
from launchready.cloudflare.state import DnsRecord, Zone, ZoneState
from launchready.verify.checks_dns import check_dangling
from launchready.verify.dnsclient import DnsAnswer, Rcode
from launchready.verify.expectations import baseline
from launchready.verify.model import Status
from launchready.verify.observations import DomainObservations

DOMAIN = "shop.example"
TARGET = "target.provider.example"
ANSWERS = {
    "address": (Rcode.NOERROR, ("192.0.2.7",)),
    "txt-only": (Rcode.NOERROR, ()),
    "nxdomain": (Rcode.NXDOMAIN, ()),
}
CASES = [
    ("status.shop.example", "address", False),
    ("status.shop.example", "txt-only", True),
    ("status.shop.example", "nxdomain", True),
    ("s1._domainkey.shop.example", "address", False),
    ("s1._domainkey.shop.example", "txt-only", False),
    ("s1._domainkey.shop.example", "nxdomain", True),
    ("_acme-challenge.www.shop.example", "txt-only", False),
    ("_acme-challenge.www.shop.example", "nxdomain", True),
]


def verify_says_dangling(name: str, target: str) -> bool:
    rcode, records = ANSWERS[target]
    dns = {(name, "CNAME"): DnsAnswer(name, "CNAME", Rcode.NOERROR, (TARGET,))}
    for rdtype in ("A", "AAAA"):
        dns[(TARGET, rdtype)] = DnsAnswer(TARGET, rdtype, rcode, records if rdtype == "A" else ())
    expect = replace(baseline(DOMAIN), dangling_names=(name,))
    result = check_dangling(DomainObservations(DOMAIN, dns), expect)
    assert result.status in (Status.PASS, Status.FAIL), result.summary
    return result.status is Status.FAIL


def drift_says_takeover(name: str, target: str) -> bool:
    rcode, records = ANSWERS[target]
    live = ZoneState(
        zone=Zone(id="z" * 32, name=DOMAIN, status="active", plan="pro", account_id="a" * 32),
        settings={}, records=(DnsRecord(id="r1", name=name, type="CNAME", content=TARGET),),
        rulesets={}, health_checks=(), notification_policies=(), dnssec_status=None)
    desired = drift.Desired()
    assert drift.takeover_candidates(desired, live) == [TARGET]
    resolved = {TARGET: DnsAnswer(TARGET, "A", rcode, records)}
    [item] = drift.compare(desired, live, resolved).items
    return item.kind == "record.takeover_risk"


@pytest.mark.parametrize(("name", "target", "dangling"), CASES)
def test_verify_and_drift_agree_on_dangling_cnames(name: str, target: str, dangling: bool) -> None:
    assert (verify_says_dangling(name, target), drift_says_takeover(name, target)) == (dangling, dangling)

"""A fake Cloudflare API on loopback, a canary token, and a populated zone like a real client's."""

from __future__ import annotations

from collections.abc import Iterator

import cloudflare
import pytest

from launchready.cloudflare.client import make_client
from launchready.testbed.cloudflare_api import FakeCloudflare, FakeZone

CANARY = "cfcanary-Zk3Q9v7LmT2xR8bW4nP6yH1sD5fJ0gA"
"""The API token in every test: it must never show up in output, logs, errors or files."""
ZONE_ID = "0123456789abcdef0123456789abcdef"
ACCOUNT_ID = "fedcba9876543210fedcba9876543210"
DKIM_KEY = (
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAp6hJDpLVLBsa9vgCwvamR2R/ZhRdVWFt4W8PbO/kcKX7Fic"
    "VmTD3zP42foI2W6JO901ibvUHZOF7W8bwUuydqsXQERuhx6cj+fNOBsPyNxgxmfPZBubM5UMP8ohYH82YXMqKjS6JCnM"
    "6C4CmDKka+k2E+kkIIMxdxwrHJAYqB18EPpa/+yQezPOctcUxYq7qVbf1clvPlkoIwjTaujcrrnWL9w6Uepdbm9Oa62d1"
    "xByGvNJHYVNenhpNIDu96LAKWSASzHR1Qg2mj+v7u0KSd7hX+7Glb5di07uSBOliQ15ij4ywVNJAcBWs5ppTm8rg/7cTQ"
    "PFLjafDozpQ1U1QZQIDAQAB"
)


@pytest.fixture
def fake() -> Iterator[FakeCloudflare]:
    api = FakeCloudflare()
    api.add_token(CANARY, label="full")
    with api:
        yield api


@pytest.fixture
def client(fake: FakeCloudflare) -> cloudflare.Cloudflare:
    return make_client(CANARY, fake.base_url, max_retries=3, timeout=5)


def seed_zone(fake: FakeCloudflare, name: str = "shop.example", zone_id: str = ZONE_ID) -> FakeZone:
    """A hand-built zone as a client hands it over: web, mail, CAA, extras, a comment."""
    zone = fake.add_zone(name, zone_id=zone_id, account_id=ACCOUNT_ID, plan="business")
    add = fake.add_record
    add(zone.id, "@", "A", "192.0.2.10", proxied=True)
    add(zone.id, "@", "AAAA", "2001:db8::10", proxied=True)
    add(zone.id, "www", "CNAME", name, proxied=True)
    add(zone.id, "@", "MX", "aspmx.l.google.com", priority=1, ttl=3600)
    add(zone.id, "@", "MX", "alt1.aspmx.l.google.com", priority=5, ttl=3600)
    add(zone.id, "@", "TXT", "v=spf1 ip4:198.51.100.0/24 include:_spf.google.com -all")
    add(zone.id, "@", "TXT", "google-site-verification=abc123")
    add(zone.id, "google._domainkey", "TXT", f"v=DKIM1; k=rsa; p={DKIM_KEY}")
    add(zone.id, "s1._domainkey", "CNAME", "s1.domainkey.u123.wl.sendgrid.net")
    add(zone.id, "_dmarc", "TXT", "v=DMARC1; p=quarantine; rua=mailto:dmarc@shop.example")
    add(zone.id, "_smtp._tls", "TXT", "v=TLSRPTv1; rua=mailto:tls@shop.example")
    add(zone.id, "@", "CAA", data={"flags": 0, "tag": "issue", "value": "letsencrypt.org"})
    add(zone.id, "@", "CAA", data={"flags": 0, "tag": "issuewild", "value": "pki.goog"})
    add(zone.id, "api", "CNAME", "app-backend.fly.dev", proxied=True, comment="backend")
    add(zone.id, "status", "CNAME", "stats.uptimerobot.com", ttl=300)
    add(zone.id, "mail", "A", "198.51.100.25", ttl=3600)
    add(zone.id, "_sip._tcp", "SRV", "5 5060 sip.shop.example", priority=10)
    add(zone.id, "legacy", "NS", "ns1.other-dns.example")
    return zone

"""The fake Cloudflare API speaks the v4 envelope over real HTTP, to the official SDK and to httpx."""

from __future__ import annotations

import time

import cloudflare
import httpx
import pytest

from launchready.cloudflare.client import make_client
from launchready.testbed.cloudflare_api import FakeCloudflare

from .conftest import CANARY, ZONE_ID, seed_zone

pytestmark = pytest.mark.integration


def _get(fake: FakeCloudflare, path: str, token: str = CANARY, **params: object) -> httpx.Response:
    return httpx.get(fake.base_url + path, params=params,  # type: ignore[arg-type]
                     headers={"Authorization": f"Bearer {token}"}, timeout=5)


def test_envelope_and_pagination_of_250_records(fake: FakeCloudflare) -> None:
    zone = fake.add_zone("big.example", zone_id=ZONE_ID)
    for i in range(250):
        fake.add_record(zone.id, f"h{i:03d}", "A", f"192.0.2.{i % 250}")

    page = _get(fake, f"/zones/{ZONE_ID}/dns_records", page=3, per_page=100).json()
    assert page["success"] is True and page["errors"] == [] and page["messages"] == []
    assert page["result_info"] == {"page": 3, "per_page": 100, "count": 50,
                                   "total_count": 250, "total_pages": 3}
    assert len(page["result"]) == 50

    client = make_client(CANARY, fake.base_url, timeout=5)
    names = {r.name for r in client.dns.records.list(zone_id=ZONE_ID, per_page=100)}
    assert len(names) == 250
    pages = [r.query for r in fake.requests("GET", "/dns_records") if "per_page=100" in r.query]
    assert len(pages) == 5  # the test's page 3, then the SDK's pages 1, 2, 3 and the empty 4th


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"name": "www", "type": "A", "content": "not-an-ip", "ttl": 1}, 9005),
        ({"name": "x", "type": "TXT", "content": "hi", "proxied": True}, 9004),
        ({"name": "x", "type": "A", "content": "192.0.2.1", "ttl": 5}, 1004),
        ({"name": "x", "type": "MX", "content": "mx.example"}, 1004),
        ({"name": "www", "type": "A", "content": "192.0.2.1"}, 81053),  # www is a CNAME
        ({"name": "@", "type": "TXT", "content": "google-site-verification=abc123"}, 81058),
    ],
)
def test_bad_input_gets_cloudflare_error_codes(fake: FakeCloudflare, body: dict[str, object],
                                               code: int) -> None:
    seed_zone(fake)
    response = httpx.post(f"{fake.base_url}/zones/{ZONE_ID}/dns_records", json=body,
                          headers={"Authorization": f"Bearer {CANARY}"}, timeout=5)
    assert response.status_code == 400
    envelope = response.json()
    assert envelope["success"] is False and envelope["result"] is None
    assert [e["code"] for e in envelope["errors"]] == [code]


def test_bad_token_is_401_code_10000_and_never_logged(fake: FakeCloudflare) -> None:
    seed_zone(fake)
    response = _get(fake, f"/zones/{ZONE_ID}", token="wrong-" + CANARY)
    assert response.status_code == 401
    assert response.json()["errors"] == [{"code": 10000, "message": "Authentication error"}]
    assert fake.log[-1].token is None
    assert CANARY not in repr(fake.log)


def test_under_scoped_token_is_403_per_endpoint(fake: FakeCloudflare) -> None:
    seed_zone(fake)
    fake.add_token("dns-only-token", label="dns", scopes={"zone:read", "dns:read"})
    assert _get(fake, f"/zones/{ZONE_ID}/dns_records", token="dns-only-token").status_code == 200
    settings = _get(fake, f"/zones/{ZONE_ID}/settings", token="dns-only-token")
    assert settings.status_code == 403 and settings.json()["errors"][0]["code"] == 10000
    checks = _get(fake, f"/zones/{ZONE_ID}/healthchecks", token="dns-only-token")
    assert checks.status_code == 403 and checks.json()["errors"][0]["code"] == 9109
    assert [r.token for r in fake.log] == ["dns", "dns", "dns"]


def test_429_with_retry_after_is_retried_by_the_sdk(fake: FakeCloudflare) -> None:
    seed_zone(fake)
    client = make_client(CANARY, fake.base_url, max_retries=3, timeout=5)
    fake.fail_next(1, status=429, retry_after="1.2")
    started = time.monotonic()
    zone = client.zones.get(zone_id=ZONE_ID)
    waited = time.monotonic() - started
    assert zone is not None and zone.name == "shop.example"
    assert [r.status for r in fake.requests("GET", f"/zones/{ZONE_ID}")] == [429, 200]
    # The SDK's own first backoff is 0.375-0.5 s; only honouring Retry-After waits 1.2 s.
    assert waited >= 1.2

    fake.fail_next(2, status=429, retry_after=None)  # no header: exponential backoff
    assert client.zones.get(zone_id=ZONE_ID) is not None
    assert [r.status for r in fake.requests("GET", f"/zones/{ZONE_ID}")][-3:] == [429, 429, 200]


def test_5xx_is_retried_and_exhausted_retries_raise(fake: FakeCloudflare) -> None:
    seed_zone(fake)
    fake.fail_next(1, status=503, retry_after="0.05")
    client = make_client(CANARY, fake.base_url, max_retries=1, timeout=5)
    assert client.zones.get(zone_id=ZONE_ID) is not None
    fake.fail_next(2, status=429, retry_after="0.05")
    with pytest.raises(cloudflare.RateLimitError):
        client.zones.get(zone_id=ZONE_ID)


def test_records_crud_settings_rulesets_healthchecks_policies(fake: FakeCloudflare) -> None:
    zone = seed_zone(fake)
    client = make_client(CANARY, fake.base_url, timeout=5)
    created = client.post(f"/zones/{ZONE_ID}/dns_records", cast_to=object,
                          body={"name": "new", "type": "A", "content": "192.0.2.50", "ttl": 300})
    record_id = created["result"]["id"]  # type: ignore[index]
    client.patch(f"/zones/{ZONE_ID}/dns_records/{record_id}", cast_to=object,
                 body={"content": "192.0.2.51"})
    assert zone.records[record_id]["content"] == "192.0.2.51"
    assert zone.records[record_id]["ttl"] == 300
    client.delete(f"/zones/{ZONE_ID}/dns_records/{record_id}", cast_to=object)
    assert record_id not in zone.records

    client.patch(f"/zones/{ZONE_ID}/settings/ssl", cast_to=object, body={"value": "strict"})
    assert zone.settings["ssl"] == "strict"
    with pytest.raises(cloudflare.BadRequestError):
        client.patch(f"/zones/{ZONE_ID}/settings/ssl", cast_to=object, body={"value": "loose"})

    rules = [{"ref": "login", "action": "block", "expression": 'http.request.uri.path eq "/x"'}]
    client.put(f"/zones/{ZONE_ID}/rulesets/phases/http_ratelimit/entrypoint", cast_to=object,
               body={"rules": rules})
    entry = client.rulesets.phases.get("http_ratelimit", zone_id=ZONE_ID)
    assert entry.rules is not None and [r.ref for r in entry.rules] == ["login"]
    with pytest.raises(cloudflare.BadRequestError):  # one entrypoint per phase
        client.post(f"/zones/{ZONE_ID}/rulesets", cast_to=object,
                     body={"phase": "http_ratelimit", "kind": "zone", "name": "dup", "rules": rules})

    check = client.post(f"/zones/{ZONE_ID}/healthchecks", cast_to=object,
                        body={"name": "home", "address": "shop.example", "type": "HTTPS"})
    check_id = check["result"]["id"]  # type: ignore[index]
    fake.set_health_status(ZONE_ID, check_id, "unhealthy")
    assert [h.status for h in client.healthchecks.list(zone_id=ZONE_ID)] == ["unhealthy"]

    client.post(f"/accounts/{zone.account_id}/alerting/v3/policies", cast_to=object,
                body={"name": "down", "alert_type": "health_check_status_notification",
                      "mechanisms": {"email": [{"id": "oncall@shop.example"}]},
                      "filters": {"health_check_id": [check_id]}})
    policies = list(client.alerting.policies.list(account_id=zone.account_id))
    assert [p.name for p in policies] == ["down"]

    client.patch(f"/zones/{ZONE_ID}/dnssec", cast_to=object, body={"status": "active"})
    assert client.dns.dnssec.get(zone_id=ZONE_ID).status == "active"  # type: ignore[union-attr]
    new = client.zones.create(account={"id": zone.account_id}, name="new.example")
    assert new is not None and new.status == "pending"
    with pytest.raises(cloudflare.BadRequestError):
        client.zones.create(account={"id": zone.account_id}, name="new.example")


def test_bind_export_and_import(fake: FakeCloudflare) -> None:
    seed_zone(fake)
    client = make_client(CANARY, fake.base_url, timeout=5)
    text = client.dns.records.export(zone_id=ZONE_ID)
    assert "api.shop.example.\t1\tIN\tCNAME\tapp-backend.fly.dev. ; backend cf_tags=cf-proxied:true" in text
    empty = fake.add_zone("shop.example", zone_id="f" * 32)
    result = client.dns.records.import_(zone_id=empty.id, file=text)
    assert result is not None and result.recs_added == len(fake.zones[ZONE_ID].records)
    again = client.dns.records.import_(zone_id=empty.id, file=text)
    assert again is not None and again.recs_added == 0  # identical records are not duplicated


def test_security_header_patch_and_managed_phase_entrypoint() -> None:
    """An HSTS object is a valid setting value; a zone entrypoint never writes into a managed ruleset."""
    import requests

    from launchready.testbed.cloudflare_api import FakeCloudflare

    with FakeCloudflare() as fake:
        token = "cf-test-token-security-header"
        fake.add_token(token)
        zone = fake.add_zone("patch.example").id
        base = fake.base_url
        headers = {"Authorization": f"Bearer {token}"}
        hsts = {"strict_transport_security": {"enabled": True, "max_age": 31536000,
                                              "include_subdomains": True, "nosniff": True,
                                              "preload": False}}
        ok = requests.patch(f"{base}/zones/{zone}/settings/security_header", headers=headers,
                            json={"value": hsts}, timeout=5)
        assert ok.status_code == 200, ok.text
        assert ok.json()["result"]["value"] == hsts
        bad = requests.patch(f"{base}/zones/{zone}/settings/ssl", headers=headers,
                             json={"value": {"x": 1}}, timeout=5)
        assert bad.status_code == 400 and bad.json()["success"] is False
        phase = "http_request_firewall_managed"
        put = requests.put(f"{base}/zones/{zone}/rulesets/phases/{phase}/entrypoint",
                           headers=headers, json={"rules": []}, timeout=5)
        assert put.status_code == 200, put.text
        assert put.json()["result"]["kind"] == "zone"

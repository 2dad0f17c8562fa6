"""The reader turns the live zone into state dataclasses; failures name the missing permission."""

from __future__ import annotations

import logging
import socket

import cloudflare
import httpx
import pytest

from launchready.cloudflare.client import (
    CloudflareAccessError,
    CloudflareError,
    CloudflareNotFound,
    make_client,
    status_error,
    verify_token,
)
from launchready.cloudflare.reader import read_zone_state, unquote_txt
from launchready.cloudflare.state import DnsRecord, HttpConfig
from launchready.testbed.cloudflare_api import FakeCloudflare

from .conftest import ACCOUNT_ID, CANARY, ZONE_ID, seed_zone

pytestmark = pytest.mark.integration


def _populate(fake: FakeCloudflare) -> str:
    zone = seed_zone(fake)
    zone.settings["ssl"] = "strict"
    zone.dnssec = {"status": "active"}
    check = fake.add_health_check(
        zone.id, name="home", address="shop.example", type="HTTPS", status="unhealthy",
        http_config={"path": "/health", "expected_codes": ["200"], "method": "GET"})
    zone.healthchecks[check["id"]]["failure_reason"] = "timeout"
    ruleset = {"rules": [{"ref": "login", "action": "block", "description": "login",
                          "expression": 'http.request.uri.path eq "/login"',
                          "ratelimit": {"period": 10, "requests_per_period": 5}}]}
    fake.handle("PUT", f"/client/v4/zones/{zone.id}/rulesets/phases/http_ratelimit/entrypoint",
                {"authorization": f"Bearer {CANARY}", "content-type": "application/json"},
                __import__("json").dumps(ruleset).encode())
    fake.policies[ACCOUNT_ID]["p1"] = {
        "id": "p1", "name": "uptime", "alert_type": "health_check_status_notification",
        "enabled": True, "filters": {"health_check_id": [check["id"]], "status": ["Unhealthy"]},
        "mechanisms": {"email": [{"id": "oncall@shop.example"}]}, "description": ""}
    return str(check["id"])


def test_reads_the_whole_zone(fake: FakeCloudflare, client: cloudflare.Cloudflare) -> None:
    check_id = _populate(fake)
    state = read_zone_state(client, "Shop.Example.")
    assert state.zone.id == ZONE_ID and state.zone.plan == "business"
    assert state.zone.account_id == ACCOUNT_ID
    assert len(state.records) == 18
    assert state.settings["ssl"] == "strict" and state.settings["min_tls_version"] == "1.0"
    assert list(state.rulesets) == ["http_ratelimit"]  # the managed ruleset is not the zone's
    rule = state.rulesets["http_ratelimit"].rule("login")
    assert rule is not None and rule.ratelimit == {"period": 10, "requests_per_period": 5}
    check = state.health_check("home")
    assert check is not None and check.status == "unhealthy" and check.id == check_id
    assert check.http_config == HttpConfig(path="/health", expected_codes=("200",), method="GET",
                                           port=443)
    (policy,) = state.notification_policies
    assert policy.health_check_ids == (check_id,) and policy.mechanisms == {
        "email": ("oncall@shop.example",)}
    assert state.dnssec_status == "active"

    by_id = read_zone_state(client, ZONE_ID, parts={"records"})
    assert by_id.records == state.records and by_id.settings == {}


def test_record_shapes(fake: FakeCloudflare, client: cloudflare.Cloudflare) -> None:
    seed_zone(fake)
    every = read_zone_state(client, ZONE_ID, parts={"records"}).records
    records = {(r.name, r.type): r for r in every}
    assert records[("api.shop.example", "CNAME")] == DnsRecord(
        id=records[("api.shop.example", "CNAME")].id, name="api.shop.example", type="CNAME",
        content="app-backend.fly.dev", ttl=1, proxied=True, comment="backend")
    srv = records[("_sip._tcp.shop.example", "SRV")]
    assert srv.priority == 10 and srv.data == {"priority": 10, "weight": 5, "port": 5060,
                                                "target": "sip.shop.example"}
    caa = [r for r in every if r.type == "CAA"]
    assert {r.content for r in caa} == {'0 issue "letsencrypt.org"', '0 issuewild "pki.goog"'}
    assert all(isinstance(r.data and r.data["flags"], int) for r in caa)


def test_unknown_domain_is_not_found(fake: FakeCloudflare, client: cloudflare.Cloudflare) -> None:
    seed_zone(fake)
    with pytest.raises(CloudflareNotFound, match=r"no zone named other\.example"):
        read_zone_state(client, "other.example")


@pytest.mark.parametrize(
    ("scopes", "permission"),
    [
        ({"zone:read", "dns:read"}, "Zone Settings:Read"),
        ({"zone:read", "settings:read"}, "DNS:Read"),
        ({"zone:read", "settings:read", "dns:read"}, "Zone WAF:Read"),
        ({"zone:read", "settings:read", "dns:read", "rulesets:read"}, "Health Checks:Read"),
        ({"zone:read", "settings:read", "dns:read", "rulesets:read", "healthchecks:read"},
         "Notifications:Read"),
    ],
)
def test_under_scoped_token_names_the_permission(fake: FakeCloudflare, scopes: set[str],
                                                 permission: str) -> None:
    seed_zone(fake)
    token = "scoped-" + CANARY
    fake.add_token(token, label="scoped", scopes=scopes)
    client = make_client(token, fake.base_url, max_retries=0, timeout=5)
    with pytest.raises(CloudflareAccessError) as caught:
        read_zone_state(client, ZONE_ID)
    assert caught.value.permission is not None and caught.value.permission.startswith(permission)
    assert permission in str(caught.value) and caught.value.status == 403
    assert CANARY not in str(caught.value)


def test_bad_token_is_a_clear_error_without_the_token(
    fake: FakeCloudflare, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    seed_zone(fake)
    bad = "bad-" + CANARY
    client = make_client(bad, fake.base_url, max_retries=0, timeout=5)
    with caplog.at_level(logging.DEBUG), pytest.raises(CloudflareAccessError) as caught:
        read_zone_state(client, ZONE_ID)
    message = str(caught.value)
    assert "rejected as invalid or expired" in message and "10000" in message
    assert "Zone:Read" in message
    out = capsys.readouterr()
    for text in (message, repr(caught.value), caplog.text, out.out, out.err, repr(fake.log)):
        assert CANARY not in text
    with pytest.raises(CloudflareAccessError):
        verify_token(client)


def test_token_and_base_url_from_the_environment(fake: FakeCloudflare,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    seed_zone(fake)
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", CANARY)
    monkeypatch.setenv("CLOUDFLARE_BASE_URL", fake.base_url)
    monkeypatch.setenv("CLOUDFLARE_API_KEY", "global-key-must-not-be-used")
    monkeypatch.setenv("CLOUDFLARE_EMAIL", "someone@example.com")
    client = make_client()
    assert verify_token(client) == "active"
    assert fake.log[-1].token == "full"  # the bearer token authenticated, not a global key


def test_no_token_explains_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLOUDFLARE_API_TOKEN", raising=False)
    with pytest.raises(CloudflareAccessError, match="CLOUDFLARE_API_TOKEN"):
        make_client()


def test_unreachable_api_is_an_error_not_a_hang() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = make_client(CANARY, f"http://127.0.0.1:{port}/client/v4", max_retries=0, timeout=2)
    with pytest.raises(CloudflareError, match="cannot reach the Cloudflare API") as caught:
        read_zone_state(client, ZONE_ID)
    assert CANARY not in str(caught.value)


def test_rate_limit_after_retries_is_reported(fake: FakeCloudflare) -> None:
    seed_zone(fake)
    client = make_client(CANARY, fake.base_url, max_retries=1, timeout=5)
    fake.fail_next(2, status=429, retry_after="0.05")
    with pytest.raises(CloudflareError, match="still rate limited after 1 retries"):
        read_zone_state(client, ZONE_ID, parts={"records"})


@pytest.mark.parametrize(
    ("raw", "text"),
    [('"v=spf1 -all"', "v=spf1 -all"), ('"abc" "def"', "abcdef"), ("plain", "plain"),
     ('"say \\"hi\\""', 'say "hi"'), ('"odd" text', '"odd" text')],
)
def test_unquote_txt(raw: str, text: str) -> None:
    assert unquote_txt(raw) == text


def test_a_token_echoed_by_the_api_is_scrubbed() -> None:
    client = make_client(CANARY, "http://127.0.0.1:9/client/v4", max_retries=0)
    response = httpx.Response(400, request=httpx.Request("GET", "http://127.0.0.1:9/x"))
    body = {"errors": [{"code": 6111, "message": f"Invalid format for Authorization: Bearer {CANARY}"}]}
    exc = cloudflare.APIStatusError("bad", response=response, body=body)
    error = status_error(client, exc, "read DNS records", "DNS:Read")
    assert CANARY not in str(error) and "6111" in str(error) and "[redacted len=" in str(error)


def test_scrub_redacts_real_tokens_but_not_every_letter_of_a_nonsense_one() -> None:
    from launchready.cloudflare.client import scrub

    token = "cf-canary-" + "token-0123456789abcdef"  # joined: no secret-shaped literal in source
    assert token not in scrub(f"bad token {token} for example.com", None, token)
    assert scrub("zone example.com not found", None, "x") == "zone example.com not found"

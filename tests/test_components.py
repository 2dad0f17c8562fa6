"""The components' resource graph, from the real program under the SDK mock engine."""

from __future__ import annotations

import json
import logging
import runpy
from typing import Any

import pulumi
import pytest

from launchready.plan import PlannedResource, plan_stack, run_offline
from launchready.program import main
from launchready.spec import CONFIG_KEY, SpecError
from tests.pulumi_mocks import (
    DNS_RECORD,
    STACKS,
    ZONE_SETTING,
    by_name,
    example_site,
    of_type,
    plan_raw,
    rules_by_ref,
    rulesets_by_phase,
)

ZONE_ID = "${example-com-zone.id}"
ACCOUNT = "0123456789abcdef0123456789abcdef"


@pytest.fixture(scope="module")
def example() -> list[PlannedResource]:
    return plan_stack("example", STACKS)


@pytest.fixture(scope="module")
def names(example: list[PlannedResource]) -> dict[str, PlannedResource]:
    return by_name(example)


def test_component_tree_and_type_tokens(example: list[PlannedResource]) -> None:
    components = {r.name: (r.type, r.parent) for r in example if r.type.startswith("launchready:")}
    assert components == {
        "example-com": ("launchready:index:SiteZone", None),
        "example-com-dns": ("launchready:index:DnsRecords", "example-com"),
        "example-com-email": ("launchready:index:EmailAuthRecords", "example-com"),
        "example-com-caa": ("launchready:index:CaaRecords", "example-com"),
        "example-com-dnssec": ("launchready:index:Dnssec", "example-com"),
        "example-com-tls": ("launchready:index:TlsSettings", "example-com"),
        "example-com-redirect": ("launchready:index:CanonicalRedirect", "example-com"),
        "example-com-firewall": ("launchready:index:Firewall", "example-com"),
        "example-com-ratelimit": ("launchready:index:RateLimits", "example-com"),
        "example-com-cache": ("launchready:index:CacheRules", "example-com"),
        "example-com-headers": ("launchready:index:SecurityHeaders", "example-com"),
        "example-com-monitoring": ("launchready:index:Monitoring", "example-com"),
    }
    counts: dict[str, int] = {}
    for resource in example:
        counts[resource.type] = counts.get(resource.type, 0) + 1
        # Children are named after their parent, and every one has a parent component.
        if resource.parent is not None:
            assert resource.name.startswith(resource.parent + "-"), resource.name
    assert {t: n for t, n in counts.items() if t.startswith("cloudflare:")} == {
        "cloudflare:index/zone:Zone": 1,
        "cloudflare:index/dnsRecord:DnsRecord": 16,  # 6 web, 7 email, 3 CAA
        "cloudflare:index/zoneDnssec:ZoneDnssec": 1,
        "cloudflare:index/zoneSetting:ZoneSetting": 6,
        "cloudflare:index/ruleset:Ruleset": 6,
        "cloudflare:index/healthcheck:Healthcheck": 3,
        "cloudflare:index/notificationPolicyWebhooks:NotificationPolicyWebhooks": 1,
        "cloudflare:index/notificationPolicy:NotificationPolicy": 1,
    }


def test_zone_is_created_protected_in_the_account(names: dict[str, PlannedResource]) -> None:
    zone = names["example-com-zone"]
    assert zone.type == "cloudflare:index/zone:Zone"
    assert zone.parent == "example-com"
    assert zone.inputs == {"account": {"id": ACCOUNT}, "name": "example.com", "type": "full"}
    assert zone.protect is True


def test_tls_settings_exact(example: list[PlannedResource]) -> None:
    settings = {r.inputs["settingId"]: r for r in of_type(example, ZONE_SETTING)}
    assert {k: r.inputs["value"] for k, r in settings.items()} == {
        "ssl": "strict",
        "min_tls_version": "1.2",
        "tls_1_3": "on",
        "always_use_https": "on",
        "automatic_https_rewrites": "on",
        "security_header": {
            "strict_transport_security": {
                "enabled": True,
                "max_age": 31536000,
                "include_subdomains": True,
                "nosniff": True,
                "preload": False,
            }
        },
    }
    assert all(r.inputs["zoneId"] == ZONE_ID for r in settings.values())
    assert settings["tls_1_3"].name == "example-com-tls-tls-1-3"
    # snake_case inside value: camelCase keys cause a perpetual diff (pulumi-cloudflare#1579).
    assert "strictTransportSecurity" not in json.dumps(settings["security_header"].inputs)


def test_exactly_one_ruleset_per_phase(example: list[PlannedResource]) -> None:
    phases = rulesets_by_phase(example)
    assert sorted(phases) == [
        "http_ratelimit",
        "http_request_cache_settings",
        "http_request_dynamic_redirect",
        "http_request_firewall_custom",
        "http_request_firewall_managed",
        "http_response_headers_transform",
    ]
    for ruleset in phases.values():
        assert ruleset.inputs["kind"] == "zone"
        assert ruleset.inputs["zoneId"] == ZONE_ID
        refs = [rule["ref"] for rule in ruleset.inputs["rules"]]
        assert all(refs) and len(refs) == len(set(refs))


def test_canonical_redirect(example: list[PlannedResource]) -> None:
    ruleset = rulesets_by_phase(example)["http_request_dynamic_redirect"]
    assert ruleset.name == "example-com-redirect-ruleset"
    assert ruleset.inputs["rules"] == [{
        "ref": "canonical_host",
        "description": "example.com -> www.example.com (301, path and query kept)",
        "expression": 'http.host eq "example.com"',
        "action": "redirect",
        "enabled": True,
        "actionParameters": {
            "fromValue": {
                "statusCode": 301,
                "preserveQueryString": True,
                "targetUrl": {
                    "expression": 'concat("https://www.example.com", http.request.uri.path)'
                },
            }
        },
    }]


def test_rate_limits_exact(example: list[PlannedResource]) -> None:
    rules = rules_by_ref(rulesets_by_phase(example)["http_ratelimit"])
    assert list(rules) == ["chat_send", "login", "tool_calls"]  # by ref, not file order
    expected = {
        "login": (
            '(starts_with(http.request.uri.path, "/api/auth/login") or '
            'starts_with(http.request.uri.path, "/api/auth/reset")) '
            'and http.request.method in {"POST"}', 5, 600),
        "chat_send": (
            'starts_with(http.request.uri.path, "/api/chat") and http.request.method in {"POST"}',
            30, 120),
        "tool_calls": (
            'starts_with(http.request.uri.path, "/api/tools") and http.request.method in {"POST"}',
            20, 300),
    }
    for ref, (expression, requests, timeout) in expected.items():
        rule = rules[ref]
        assert rule["expression"] == expression
        assert rule["action"] == "block"
        assert rule["ratelimit"] == {
            "characteristics": ["cf.colo.id", "ip.src"],
            "period": 60,
            "requestsPerPeriod": requests,
            "mitigationTimeout": timeout,
        }
        assert rule["actionParameters"] == {
            "response": {
                "statusCode": 429,
                "contentType": "application/json",
                "content": json.dumps({"error": "rate_limited", "retry_after": timeout},
                                      separators=(",", ":")),
            }
        }


def test_managed_and_custom_waf(example: list[PlannedResource]) -> None:
    phases = rulesets_by_phase(example)
    managed = rules_by_ref(phases["http_request_firewall_managed"])
    assert {ref: (r["action"], r["expression"], r["actionParameters"]) for ref, r in managed.items()} == {
        "managed_cloudflare": ("execute", "true", {"id": "efb7b8c949ac4650a09736fc376e9aee"}),
        "managed_owasp": ("execute", "true", {"id": "4814384a9e5d4991b9815dcfc25d2f1f"}),
        "managed_free": ("execute", "true", {"id": "77454fe2d30c4220b5701f6fdfb893ba"}),
    }
    custom = phases["http_request_firewall_custom"].inputs["rules"]
    assert [r["ref"] for r in custom] == ["launchready_healthcheck_skip", "admin_allowlist"]
    skip, admin = custom
    assert skip["action"] == "skip"
    assert skip["actionParameters"] == {"ruleset": "current", "phases": ["http_ratelimit"]}
    assert skip["expression"] == (
        'starts_with(http.user_agent, "Cloudflare-Healthchecks/") '
        'and http.host in {"www.example.com"} '
        'and http.request.uri.path in {"/" "/api/health" "/login"} '
        'and http.request.method in {"GET"}'
    )
    assert admin["action"] == "block"
    assert admin["expression"] == (
        '(starts_with(http.request.uri.path, "/admin") or '
        'starts_with(http.request.uri.path, "/api/admin")) '
        "and not ip.src in {198.51.100.0/24 203.0.113.7}"
    )
    assert "actionParameters" not in admin


def test_cache_rules_exact(example: list[PlannedResource]) -> None:
    rules = rulesets_by_phase(example)["http_request_cache_settings"].inputs["rules"]
    assert [r["ref"] for r in rules] == ["static_assets", "bypass_private"]  # bypass wins: last
    static, bypass = rules
    assert static["action"] == bypass["action"] == "set_cache_settings"
    assert static["expression"] == (
        'http.request.uri.path.extension in {"css" "gif" "ico" "jpeg" "jpg" "js" "mjs" "png" '
        '"svg" "webp" "woff" "woff2"}'
    )
    assert static["actionParameters"] == {
        "cache": True, "edgeTtl": {"mode": "override_origin", "default": 86400}
    }
    assert bypass["expression"] == (
        '(starts_with(http.request.uri.path, "/admin") or '
        'starts_with(http.request.uri.path, "/api/") or '
        'starts_with(http.request.uri.path, "/auth/") or '
        'starts_with(http.request.uri.path, "/login")) or http.cookie contains "session="'
    )
    assert bypass["actionParameters"] == {"cache": False}


def test_security_headers_map(example: list[PlannedResource]) -> None:
    (rule,) = rulesets_by_phase(example)["http_response_headers_transform"].inputs["rules"]
    assert (rule["action"], rule["expression"], rule["ref"]) == ("rewrite", "true", "security_headers")
    assert rule["actionParameters"]["headers"] == {
        "Content-Security-Policy": {
            "operation": "set",
            "value": "default-src 'self'; script-src 'self'; connect-src 'self' "
                     "https://api.example.com; object-src 'none'; base-uri 'self'; "
                     "frame-ancestors 'none'",
        },
        "X-Frame-Options": {"operation": "set", "value": "DENY"},
        "Referrer-Policy": {"operation": "set", "value": "strict-origin-when-cross-origin"},
        "X-Content-Type-Options": {"operation": "set", "value": "nosniff"},
        "Permissions-Policy": {
            "operation": "set", "value": "camera=(), microphone=(), geolocation=(), payment=()"
        },
    }


def _record_view(r: PlannedResource) -> tuple[Any, ...]:
    i = r.inputs
    return (i["type"], i["name"], i.get("content", i.get("data")), i.get("proxied"), i["ttl"],
            i.get("priority"))


def test_dns_records_exact(names: dict[str, PlannedResource], example: list[PlannedResource]) -> None:
    web = {r.name: _record_view(r) for r in of_type(example, DNS_RECORD) if r.parent == "example-com-dns"}
    assert web == {
        "example-com-dns-a-apex-f3cf0e6a": ("A", "example.com", "192.0.2.10", True, 1, None),
        "example-com-dns-aaaa-apex-89ce0f1e": ("AAAA", "example.com", "2001:db8::10", True, 1, None),
        "example-com-dns-host-www": ("CNAME", "www.example.com", "example.com", True, 1, None),
        "example-com-dns-host-api": ("CNAME", "api.example.com", "app-backend.fly.dev", True, 1, None),
        "example-com-dns-host-status": (
            "CNAME", "status.example.com", "stats.uptimerobot.com", False, 1, None),
        "example-com-dns-txt-apex-e3eec4d5": (
            "TXT", "example.com", "google-site-verification=abc123example", None, 1, None),
    }
    for record in of_type(example, DNS_RECORD):
        assert record.inputs["zoneId"] == ZONE_ID
        if record.inputs.get("proxied"):
            assert record.inputs["ttl"] == 1
        # A/AAAA/CNAME share a host name: a type change must delete first.
        assert record.delete_before_replace == (record.inputs["type"] in ("A", "AAAA", "CNAME"))


def test_email_and_caa_records(example: list[PlannedResource]) -> None:
    email = sorted(_record_view(r) for r in of_type(example, DNS_RECORD) if r.parent == "example-com-email")
    dkim = next(v for v in email if v[1] == "google._domainkey.example.com")
    assert dkim[2].startswith("v=DKIM1; k=rsa; p=MIIBIjANBgkq")
    assert [v for v in email if v is not dkim] == [
        ("CNAME", "mta-sts.example.com", "www.example.com", True, 1, None),
        ("MX", "example.com", "smtp.google.com", None, 1, 1),
        ("TXT", "_dmarc.example.com",
         "v=DMARC1; p=reject; sp=reject; rua=mailto:dmarc-reports@example.com", None, 1, None),
        ("TXT", "_mta-sts.example.com", "v=STSv1; id=ac6f47000000", None, 1, None),
        ("TXT", "_smtp._tls.example.com", "v=TLSRPTv1; rua=mailto:tls-reports@example.com",
         None, 1, None),
        ("TXT", "example.com", "v=spf1 include:_spf.google.com include:sendgrid.net -all",
         None, 1, None),
    ]
    caa = sorted(r.inputs["data"]["tag"] + " " + r.inputs["data"]["value"]
                 for r in of_type(example, DNS_RECORD) if r.parent == "example-com-caa")
    assert caa == ["iodef mailto:security@example.com", "issue letsencrypt.org", "issue pki.goog"]
    assert all(r.inputs["data"]["flags"] == 0 and "content" not in r.inputs
               for r in of_type(example, DNS_RECORD) if r.parent == "example-com-caa")


def test_dnssec(names: dict[str, PlannedResource]) -> None:
    dnssec = names["example-com-dnssec-zone-dnssec"]
    assert dnssec.type == "cloudflare:index/zoneDnssec:ZoneDnssec"
    assert dnssec.inputs == {"zoneId": ZONE_ID, "status": "active"}


def test_health_checks_and_alert_policy(
    example: list[PlannedResource], names: dict[str, PlannedResource]
) -> None:
    healthchecks = of_type(example, "cloudflare:index/healthcheck:Healthcheck")
    checks = {r.inputs["name"]: r.inputs for r in healthchecks}
    assert {name: c["httpConfig"]["path"] for name, c in checks.items()} == {
        "home": "/", "login": "/login", "api-health": "/api/health"
    }
    for check in checks.values():
        assert (check["type"], check["address"], check["interval"]) == ("HTTPS", "www.example.com", 60)
        assert check["httpConfig"]["expectedCodes"] == ["200"]
        assert check["httpConfig"]["method"] == "GET"
        assert check["httpConfig"]["header"] == {"Host": ["www.example.com"]}
    policy = names["example-com-monitoring-alert-policy"].inputs
    assert policy["accountId"] == ACCOUNT
    assert policy["alertType"] == "health_check_status_notification"
    assert policy["mechanisms"] == {
        "emails": [{"id": "oncall@example.com"}],
        "webhooks": [{"id": "${example-com-monitoring-webhook-slack-oncall.id}"}],
    }
    assert policy["filters"]["healthCheckIds"] == [
        "${example-com-monitoring-api-health.id}",
        "${example-com-monitoring-home.id}",
        "${example-com-monitoring-login.id}",
    ]
    webhook = names["example-com-monitoring-webhook-slack-oncall"].inputs
    assert webhook["accountId"] == ACCOUNT and webhook["name"] == "slack-oncall"
    assert "hooks.slack.example.com" not in webhook["url"]  # secret: redacted in the plan


def test_existing_zone_without_account_skips_the_alert_policy(caplog: pytest.LogCaptureFixture) -> None:
    site = example_site()
    site["zone"] = {"zone_id": "f" * 32}
    with caplog.at_level(logging.WARNING, logger="launchready.plan"):
        resources = plan_raw(site)
    types = {r.type for r in resources}
    assert "cloudflare:index/zone:Zone" not in types
    assert "cloudflare:index/notificationPolicy:NotificationPolicy" not in types
    assert "cloudflare:index/notificationPolicyWebhooks:NotificationPolicyWebhooks" not in types
    assert len(of_type(resources, "cloudflare:index/healthcheck:Healthcheck")) == 3
    assert all(r.inputs["zoneId"] == "f" * 32 for r in of_type(resources, DNS_RECORD))
    assert any("no notification policy" in m and "zone.account_id" in m for m in caplog.messages)


def test_free_plan_graph() -> None:
    site = {
        "domain": "Shop.Example.org",
        "zone": {"account_id": "a" * 32},
        "origin": {"hostname": "shop.pages.dev"},
        "firewall": {
            "rate_limits": [{"ref": "login", "description": "login", "paths": ["/login"],
                             "requests_per_period": 5, "period": 10, "mitigation_timeout": 10}],
        },
        "headers": {"enabled": False},
        "dnssec": False,
    }
    resources = plan_raw(site)
    phases = rulesets_by_phase(resources)
    assert sorted(phases) == [
        "http_ratelimit", "http_request_cache_settings", "http_request_dynamic_redirect",
        "http_request_firewall_managed",
    ]
    (limit,) = phases["http_ratelimit"].inputs["rules"]
    assert "actionParameters" not in limit  # custom 429 body needs Pro
    assert limit["expression"] == 'starts_with(http.request.uri.path, "/login")'
    assert phases["http_request_firewall_managed"].inputs["rules"][0]["ref"] == "managed_free"
    redirect = phases["http_request_dynamic_redirect"].inputs["rules"][0]
    assert redirect["expression"] == 'http.host eq "www.shop.example.org"'
    assert redirect["actionParameters"]["fromValue"]["targetUrl"]["expression"] == (
        'concat("https://shop.example.org", http.request.uri.path)'
    )
    apex = by_name(resources)["shop-example-org-dns-host-apex"].inputs
    assert (apex["type"], apex["content"], apex["proxied"], apex["ttl"]) == (
        "CNAME", "shop.pages.dev", True, 1)
    # Sends no mail: null MX, SPF -all, DMARC reject.
    mail = {(r.inputs["type"], r.inputs.get("content"))
            for r in resources if r.parent == "shop-example-org-email"}
    assert mail == {("MX", "."), ("TXT", "v=spf1 -all"), ("TXT", "v=DMARC1; p=reject; sp=reject")}
    types = {r.type for r in resources}
    assert "cloudflare:index/zoneDnssec:ZoneDnssec" not in types
    assert "launchready:index:Monitoring" not in types


def test_rule_variants() -> None:
    site = example_site()
    site["firewall"]["custom_rules"] += [
        {"ref": "bad_bots", "description": "bots", "action": "managed_challenge",
         "expression": 'http.user_agent contains "evil"'},
        {"ref": "partner", "description": "partner api", "action": "skip",
         "expression": "ip.src eq 192.0.2.1"},
    ]
    site["firewall"]["rate_limits"][0]["action"] = "managed_challenge"
    site["firewall"]["skip_healthchecks"] = False
    site["records"].append({"name": "_sip._tcp", "type": "SRV", "content": "5 5060 sip.example.net.",
                            "priority": 10})
    resources = plan_raw(site)
    phases = rulesets_by_phase(resources)
    custom = phases["http_request_firewall_custom"].inputs["rules"]
    assert [r["ref"] for r in custom] == ["partner", "admin_allowlist", "bad_bots"]
    assert custom[0]["actionParameters"] == {"ruleset": "current"}
    assert custom[2]["expression"] == 'http.user_agent contains "evil"'
    login = rules_by_ref(phases["http_ratelimit"])["login"]
    assert login["action"] == "managed_challenge"
    assert login["ratelimit"]["mitigationTimeout"] == 0
    assert "actionParameters" not in login
    (srv,) = [r for r in of_type(resources, DNS_RECORD) if r.inputs["type"] == "SRV"]
    assert srv.inputs["data"] == {"priority": 10, "weight": 5, "port": 5060, "target": "sip.example.net"}
    assert srv.inputs["name"] == "_sip._tcp.example.com"
    assert "content" not in srv.inputs


def test_user_caa_record_is_structured() -> None:
    site = example_site()
    site["records"].append({"name": "shop", "type": "CAA", "content": '0 issue "sectigo.com"'})
    resources = plan_raw(site)
    (caa,) = [r for r in of_type(resources, DNS_RECORD)
              if r.parent == "example-com-dns" and r.inputs["type"] == "CAA"]
    assert caa.inputs["data"] == {"flags": 0, "tag": "issue", "value": "sectigo.com"}
    assert caa.inputs["name"] == "shop.example.com"


@pytest.mark.parametrize(("rtype", "content", "expected"), [
    ("SRV", "sip.example.net", "SRV content must be <weight> <port> <target>"),
    ("CAA", "letsencrypt.org", 'CAA content must be <flags> <tag> "<value>"'),
])
def test_unstructured_caa_or_srv_content_is_a_spec_error(
    rtype: str, content: str, expected: str
) -> None:
    site = example_site()
    site["records"].append({"name": "x", "type": rtype, "content": content, "priority": 1})
    with pytest.raises(SpecError) as caught:
        plan_raw(site)
    (problem,) = caught.value.problems
    assert problem.path == "launchready:site.records[3].content"
    assert problem.message.startswith(expected)


def test_pulumi_main_file_reads_config_and_builds_the_same_graph() -> None:
    # What `pulumi up` runs: the top-level __main__.py, reading launchready:site from config.
    site = example_site()
    entry = str(STACKS.parent / "__main__.py")
    via_config = run_offline(lambda: runpy.run_path(entry), stack="example",
                             config={CONFIG_KEY: json.dumps(site)})
    assert via_config == plan_raw(site)


def test_program_entry_reports_every_spec_problem() -> None:
    site = example_site()
    site["tls"]["min_version"] = "1.5"
    site["firewall"]["rate_limits"][0]["periods"] = 7
    with pytest.raises(pulumi.RunError) as caught:
        run_offline(main, stack="example", config={CONFIG_KEY: json.dumps(site)})
    message = str(caught.value)
    assert "2 problems" in message
    assert "launchready:site.tls.min_version" in message
    assert "launchready:site.firewall.rate_limits[0].periods: unknown key" in message

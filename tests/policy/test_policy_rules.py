"""Each launch-ready policy rule accepts the passing resources and rejects exactly the failing ones."""

from __future__ import annotations

from typing import Any

import pytest

from launchready import policy_rules as pr
from launchready.policy_rules import DNS_RECORD, RULESET, UNKNOWN, ZONE_SETTING, Resource

ZONE = "0123456789abcdef0123456789abcdef"


def setting(setting_id: str, value: Any) -> tuple[str, dict[str, Any]]:
    return ZONE_SETTING, {"zoneId": ZONE, "settingId": setting_id, "value": value}


def record(name: str, rtype: str, content: str, **extra: Any) -> tuple[str, dict[str, Any]]:
    props = {"zoneId": ZONE, "name": name, "type": rtype, "content": content, "ttl": 1.0, **extra}
    return DNS_RECORD, props


def hsts(**overrides: Any) -> dict[str, Any]:
    value = {"enabled": True, "max_age": 31536000.0, "include_subdomains": True,
             "nosniff": True, "preload": False}
    value.update(overrides)
    return {"strict_transport_security": value}


# (rule check, passing resources, failing resources)
RESOURCE_CASES = [
    (pr.check_ssl_strict,
     [setting("ssl", "strict"), setting("min_tls_version", "1.0"), record("a.example.com", "A", "192.0.2.1")],
     [setting("ssl", "full"), setting("ssl", "flexible"), setting("ssl", "off")]),
    (pr.check_min_tls,
     [setting("min_tls_version", "1.2"), setting("min_tls_version", "1.3"), setting("ssl", "off")],
     [setting("min_tls_version", "1.0"), setting("min_tls_version", "1.1")]),
    (pr.check_always_https,
     [setting("always_use_https", "on"), setting("ssl", "strict")],
     [setting("always_use_https", "off")]),
    (pr.check_hsts,
     [setting("security_header", hsts()), setting("security_header", hsts(max_age=15552000.0)),
      setting("ssl", "strict")],
     [setting("security_header", hsts(max_age=86400.0)),
      setting("security_header", hsts(enabled=False)),
      setting("security_header", {"strictTransportSecurity": {"enabled": True, "maxAge": 31536000}}),
      setting("security_header", {"strict_transport_security": {"enabled": True, "maxAge": 31536000}}),
      setting("security_header", {}),
      setting("security_header", "on")]),
    (pr.check_proxied_ttl,
     [record("www.example.com", "CNAME", "example.com", proxied=True),
      record("status.example.com", "CNAME", "x.example.net", proxied=False, ttl=300.0),
      setting("ssl", "strict")],
     [record("www.example.com", "CNAME", "example.com", proxied=True, ttl=300.0)]),
    (pr.check_origin_not_exposed,
     [record("example.com", "A", "192.0.2.1", proxied=True, comment="launchready: origin.addresses"),
      record("www.example.com", "CNAME", "example.com", proxied=True),
      record("status.example.com", "CNAME", "stats.uptimerobot.com", proxied=False,
             comment="launchready: records"),
      record("example.com", "TXT", "v=spf1 -all", comment="launchready: email.spf")],
     [record("example.com", "A", "192.0.2.1", proxied=False, comment="launchready: origin.addresses"),
      record("example.com", "AAAA", "2001:db8::1", proxied=False, comment="launchready: origin.addresses"),
      record("www.example.com", "CNAME", "example.com", proxied=False)]),
]


@pytest.mark.parametrize(("check", "passing", "failing"), RESOURCE_CASES,
                         ids=[case[0].__name__ for case in RESOURCE_CASES])
def test_resource_rule_rejects_exactly_the_failing(check, passing, failing) -> None:
    for rtype, props in passing:
        assert check(rtype, props, {}) == [], props
    for rtype, props in failing:
        messages = check(rtype, props, {})
        assert len(messages) >= 1, props
        assert all("Fix:" in m for m in messages)


def test_every_resource_rule_is_in_the_pack() -> None:
    assert {rule.check for rule in pr.RESOURCE_RULES} == {case[0] for case in RESOURCE_CASES}


def test_hsts_camel_case_message_explains_the_perpetual_diff() -> None:
    rtype, props = setting("security_header", {"strictTransportSecurity": {"maxAge": 31536000}})
    [message] = pr.check_hsts(rtype, props, {})
    assert "snake_case" in message and "1579" in message


def test_unknown_values_are_not_judged() -> None:
    assert pr.check_ssl_strict(*setting("ssl", UNKNOWN), {}) == []
    assert pr.check_hsts(*setting("security_header", hsts(max_age=UNKNOWN)), {}) == []
    rtype, props = record("www.example.com", "CNAME", "example.com", proxied=UNKNOWN)
    assert pr.check_origin_not_exposed(rtype, props, {}) == []


def test_origin_exposure_config_knobs() -> None:
    rtype, props = record("example.com", "A", "192.0.2.1", proxied=False)
    assert pr.check_origin_not_exposed(rtype, props, {}) == []  # apex without the origin comment
    assert pr.check_origin_not_exposed(rtype, props, {"webHostnames": ["Example.com."]}) != []
    allowed = {"webHostnames": ["example.com"], "allowUnproxied": ["example.com"]}
    assert pr.check_origin_not_exposed(rtype, props, allowed) == []
    www_type, www = record("www.example.com", "CNAME", "example.com", proxied=False)
    assert pr.check_origin_not_exposed(www_type, www, allowed) != []


# --------------------------------------------------------------------------- stack rules


def res(pair: tuple[str, dict[str, Any]], urn: str = "") -> Resource:
    return Resource(pair[0], pair[1], urn)


def ruleset(phase: str, rules: list[dict[str, Any]], urn: str, zone: Any = ZONE, kind: str = "zone"
            ) -> Resource:
    return Resource(RULESET, {"zoneId": zone, "kind": kind, "name": phase, "phase": phase,
                              "rules": rules}, urn)


def rl_rule(ref: str, path: str, enabled: bool = True) -> dict[str, Any]:
    return {"ref": ref, "action": "block", "enabled": enabled,
            "expression": f'starts_with(http.request.uri.path, "{path}")',
            "ratelimit": {"characteristics": ["cf.colo.id", "ip.src"], "period": 60.0,
                          "requestsPerPeriod": 5.0, "mitigationTimeout": 600.0}}


def good_stack() -> list[Resource]:
    return [
        res(setting("ssl", "strict"), "urn:ssl"),
        res(setting("min_tls_version", "1.2"), "urn:tls"),
        res(setting("always_use_https", "on"), "urn:https"),
        res(setting("security_header", hsts()), "urn:hsts"),
        res(record("_dmarc.example.com", "TXT", '"v=DMARC1; p=reject; rua=mailto:d@example.com"'),
            "urn:dmarc"),
        ruleset("http_ratelimit", [rl_rule("login", "/api/auth/login"), rl_rule("chat_send", "/api/chat")],
                "urn:rl"),
        ruleset("http_request_firewall_custom", [], "urn:custom"),
    ]


def test_a_launch_ready_stack_passes_every_stack_rule() -> None:
    stack = good_stack()
    for rule in pr.STACK_RULES:
        assert rule.check(stack, {}) == [], rule.name


def test_one_ruleset_per_phase_flags_the_duplicate() -> None:
    stack = [*good_stack(), ruleset("http_ratelimit", [rl_rule("x", "/x")], "urn:rl2"),
             ruleset("http_ratelimit", [], "urn:custom-kind", kind="custom"),
             ruleset("http_ratelimit", [], "urn:other-zone", zone="f" * 32)]
    [violation] = pr.check_one_ruleset_per_phase(stack, {})
    assert violation.urn == "urn:rl2"
    assert "one Ruleset" in violation.message


def test_unknown_zone_ids_group_as_the_created_zone() -> None:
    stack = [ruleset("http_ratelimit", [], "urn:a", zone=UNKNOWN),
             ruleset("http_ratelimit", [], "urn:b", zone=UNKNOWN)]
    assert [v.urn for v in pr.check_one_ruleset_per_phase(stack, {})] == ["urn:b"]


@pytest.mark.parametrize("content", ["v=spf1 -all", "v=DMARC1", '"p=reject; v=DMARC1"'])
def test_dmarc_invalid_record_is_flagged_with_its_urn(content: str) -> None:
    stack = [r for r in good_stack() if r.urn != "urn:dmarc"]
    stack.append(res(record("_dmarc.example.com", "TXT", content), "urn:bad"))
    [violation] = pr.check_dmarc(stack, {})
    assert violation.urn == "urn:bad"


def test_dmarc_missing_is_flagged() -> None:
    stack = [r for r in good_stack() if r.urn != "urn:dmarc"]
    [violation] = pr.check_dmarc(stack, {})
    assert violation.urn is None and "DMARC" in violation.message


def test_rate_limits_must_cover_login_and_chat() -> None:
    only_login = [r for r in good_stack() if r.urn != "urn:rl"]
    only_login.append(ruleset("http_ratelimit", [rl_rule("login", "/login"),
                                                 rl_rule("chat", "/api/chat", enabled=False)], "urn:rl"))
    [violation] = pr.check_rate_limits(only_login, {})
    assert "covers the chat path(s)" in violation.message
    # a custom-phase rule mentioning chat does not count as rate limiting
    none = [r for r in good_stack() if r.urn != "urn:rl"]
    none.append(ruleset("http_request_firewall_custom", [rl_rule("chat", "/api/chat")], "urn:c2"))
    assert "login, chat" in pr.check_rate_limits(none, {})[0].message
    # the knob changes what must be covered
    assert pr.check_rate_limits(only_login, {"paths": ["login"]}) == []


def test_tls_settings_must_be_managed_per_zone() -> None:
    stack = [r for r in good_stack() if r.urn != "urn:hsts"]
    [violation] = pr.check_tls_settings_managed(stack, {})
    assert "security_header" in violation.message and ZONE in violation.message

"""What the components tell Cloudflare to serve = what verify expects = what the sandbox serves.

The plan is read the way Cloudflare's edge applies it: the ``security_header`` zone setting
becomes the Strict-Transport-Security header (and, with nosniff, X-Content-Type-Options), the
response-header transform rule adds its map, the dynamic redirect sends the other host to
the canonical one, CAA ``data`` lists the issuers, the DMARC and ``_mta-sts`` TXT records
carry the policy and the policy id. Verify's ``Expectation`` (from the same
spec) and the sandbox's web sites must agree with that, field for field.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from launchready.cloudflare.drift import snake
from launchready.plan import PlannedResource, plan_spec
from launchready.spec import SiteSpec, load_stack, parse_site
from launchready.testbed.scenarios import Sandbox
from launchready.verify.expectations import from_spec
from launchready.verify.mail.expectation import EmailExpectation
from tests.cross.specs import sites

STACKS = Path(__file__).resolve().parents[2] / "stacks"
SETTING = "cloudflare:index/zoneSetting:ZoneSetting"
RULESET = "cloudflare:index/ruleset:Ruleset"
DNS = "cloudflare:index/dnsRecord:DnsRecord"
HEALTHCHECK = "cloudflare:index/healthcheck:Healthcheck"


def edge(plan: list[PlannedResource], domain: str) -> dict[str, Any]:
    """Headers, redirect and apex CAA issuers as Cloudflare would serve the plan."""
    headers: dict[str, str] = {}
    out: dict[str, Any] = {"headers": headers, "redirect": None, "caa": set(), "hsts": None,
                           "monitors": set(), "skip_hosts": set(), "mta_sts_id": None,
                           "dmarc": None}
    for res in plan:
        inputs = snake(res.inputs)
        if res.type == SETTING and inputs["setting_id"] == "security_header":
            hsts = inputs["value"]["strict_transport_security"]
            if hsts["enabled"]:
                out["hsts"] = (hsts["max_age"], hsts["include_subdomains"], hsts["preload"])
                value = f"max-age={hsts['max_age']}"
                value += "; includeSubDomains" if hsts["include_subdomains"] else ""
                value += "; preload" if hsts["preload"] else ""
                headers["Strict-Transport-Security"] = value
                if hsts["nosniff"]:
                    headers["X-Content-Type-Options"] = "nosniff"
        elif res.type == RULESET and inputs["phase"] == "http_response_headers_transform":
            for rule in inputs["rules"]:
                for name, op in rule["action_parameters"]["headers"].items():
                    assert op["operation"] == "set"
                    headers[name] = op["value"]
        elif res.type == RULESET and inputs["phase"] == "http_request_dynamic_redirect":
            [rule] = [r for r in inputs["rules"] if r["ref"] == "canonical_host"]
            source = re.fullmatch(r'http\.host eq "([^"]+)"', rule["expression"])
            params = rule["action_parameters"]["from_value"]
            target = re.fullmatch(r'concat\("https://([^"]+)", http\.request\.uri\.path\)',
                                  params["target_url"]["expression"])
            assert source and target, rule
            out["redirect"] = (source[1], target[1], params["status_code"],
                               params["preserve_query_string"])
        elif res.type == HEALTHCHECK:
            http = inputs["http_config"]
            assert http["header"]["Host"] == [inputs["address"]]
            out["monitors"].add((inputs["name"], f"https://{inputs['address']}{http['path']}",
                                 http["method"], tuple(http["expected_codes"])))
        elif (res.type == RULESET and inputs["phase"] == "http_request_firewall_custom"
              and inputs["rules"][0]["ref"] == "launchready_healthcheck_skip"):
            hosts = re.search(r"http\.host in \{([^}]*)\}", inputs["rules"][0]["expression"])
            assert hosts, inputs["rules"][0]
            out["skip_hosts"] = set(re.findall(r'"([^"]*)"', hosts[1]))
        elif res.type == DNS and inputs["type"] == "TXT" and inputs["name"] == f"_mta-sts.{domain}":
            out["mta_sts_id"] = inputs["content"].removeprefix("v=STSv1; id=")
        elif res.type == DNS and inputs["type"] == "TXT" and inputs["name"] == f"_dmarc.{domain}":
            tags = dict(t.strip().split("=", 1) for t in inputs["content"].split(";"))
            out["dmarc"] = (tags["p"], tags.get("sp", tags["p"]))
        elif (res.type == DNS and inputs["type"] == "CAA" and inputs["name"] == domain
              and inputs["data"]["tag"] == "issue"):
            out["caa"].add(inputs["data"]["value"])
    return out


def check_agreement(spec: SiteSpec) -> None:
    served = edge(plan_spec(spec), spec.domain)
    expect = from_spec(spec, "cross")

    # verify's expectation
    assert expect.canonical_host == spec.canonical_fqdn
    assert served["redirect"] == (spec.other_fqdn, expect.canonical_host, 301, True)
    if expect.hsts is None:
        assert served["hsts"] is None
    else:
        assert served["hsts"] == (expect.hsts.min_max_age, expect.hsts.include_subdomains,
                                  expect.hsts.preload)
    assert expect.csp == served["headers"].get("Content-Security-Policy")
    assert set(expect.caa_issuers or ()) == served["caa"]
    mail = EmailExpectation.from_spec(spec)
    assert served["dmarc"] == (mail.dmarc_policy, mail.dmarc_subdomain_policy)
    assert served["mta_sts_id"] == mail.mta_sts_id
    if spec.monitoring.monitors:
        assert served["monitors"] == {(m.name, m.url, m.method, m.expected_codes)
                                      for m in expect.monitors}
        # The health-check skip rule matches http.host: lower-case A-labels, no trailing dot.
        assert served["skip_hosts"] == {urlsplit(m.url).hostname for m in expect.monitors}

    # the sandbox's sites
    box = Sandbox(spec)
    try:
        canonical, other, *_ = box.build_sites()
    finally:
        box.__exit__(None, None, None)
    assert canonical.host == spec.canonical_fqdn and canonical.redirect is None
    assert (other.host, other.redirect, other.redirect_status) == (
        spec.other_fqdn, f"https://{spec.canonical_fqdn}{{path}}", 301)
    assert canonical.headers == served["headers"]


def test_example_stack_components_verify_and_sandbox_agree() -> None:
    check_agreement(load_stack("example", STACKS))


header_choices = st.fixed_dictionaries({
    "enabled": st.booleans(),
    "x_frame_options": st.sampled_from(["DENY", "SAMEORIGIN"]),
    "referrer_policy": st.sampled_from(["no-referrer", "strict-origin-when-cross-origin"]),
    "extra": st.dictionaries(st.sampled_from(["Cross-Origin-Opener-Policy", "X-Robots-Tag"]),
                             st.sampled_from(["same-origin", "noindex"]), max_size=2),
})
NO_HEADERS = {"domain": "shop.example", "zone": {"account_id": "0" * 32},
              "origin": {"addresses": ["198.51.100.4"]}, "headers": {"enabled": False}}
"""HSTS nosniff still sends X-Content-Type-Options when the transform rule is off."""
IDN_MONITOR = {"domain": "bücher.example", "zone": {"account_id": "0" * 32}, "plan": "pro",
               "origin": {"addresses": ["198.51.100.4"]},
               "monitoring": {"monitors": [{"name": "status", "path": "/status",
                                            "host": "Status.Bücher.example."}],
                              "alerts": {"emails": ["oncall@example.net"]}}}
"""A monitor host written as a U-label with case and a trailing dot."""


@settings(max_examples=10, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(site=sites(), headers=header_choices, hsts_on=st.booleans(), nosniff=st.booleans())
@example(site=NO_HEADERS, headers={"enabled": False}, hsts_on=True, nosniff=True)
@example(site=IDN_MONITOR, headers={"enabled": True}, hsts_on=True, nosniff=True)
def test_random_specs_components_verify_and_sandbox_agree(
        site: dict[str, Any], headers: dict[str, Any], hsts_on: bool, nosniff: bool) -> None:
    tls = dict(site.get("tls") or {})
    tls["hsts"] = {**tls.get("hsts", {}), "enabled": hsts_on, "nosniff": nosniff}
    check_agreement(parse_site({**site, "headers": headers, "tls": tls}))

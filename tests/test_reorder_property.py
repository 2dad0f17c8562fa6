"""Reordering a stack file's lists changes nothing: same logical names, same inputs.

Logical names come from identity keys and rules are ordered by ref, so a list's order in
the YAML never reaches Cloudflare (list-position naming would replace live records).
"""

from __future__ import annotations

import functools
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from launchready.plan import PlannedResource
from tests.pulumi_mocks import example_site, plan_raw

DKIM_KEY = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAp6hJDpLV"


def rich_site() -> dict[str, Any]:
    """The example stack with several entries in every list whose order could leak."""
    site = example_site()
    site["records"] += [
        {"name": "_owner.api", "type": "TXT", "content": "owner=team-api"},
        {"name": "@", "type": "MX", "content": "backup-mx.example.net", "priority": 20},
        {"name": "lb", "type": "A", "content": "192.0.2.21"},
        {"name": "lb", "type": "A", "content": "192.0.2.22"},
    ]
    site["email"]["dkim"] += [
        {"selector": "s1", "public_key": DKIM_KEY},
        {"selector": "sendgrid", "cname": "s1.domainkey.u123.wl.sendgrid.net"},
    ]
    site["caa"]["issuers"] += ["digicert.com", "sectigo.com"]
    site["caa"]["wildcard_issuers"] = ["letsencrypt.org", "digicert.com"]
    site["firewall"]["custom_rules"] += [
        {"ref": "bad_bots", "description": "bots", "action": "managed_challenge",
         "expression": 'http.user_agent contains "evil"'},
        {"ref": "wp_probe", "description": "WordPress probes", "paths": ["/wp-login.php", "/xmlrpc.php"]},
        {"ref": "partner", "description": "partner", "action": "skip", "expression": "ip.src eq 192.0.2.1"},
    ]
    site["firewall"]["rate_limits"][0]["paths"].append("/api/auth/verify")
    site["monitoring"]["monitors"].append(
        {"name": "status", "path": "/status", "host": "status.example.com", "method": "HEAD"}
    )
    site["monitoring"]["alerts"]["emails"].append("cto@example.com")
    site["origin"]["addresses"].append("192.0.2.11")
    return site


def fingerprint(resources: list[PlannedResource]) -> set[tuple[str, str, str | None, str]]:
    return {(r.type, r.name, r.parent, json.dumps(r.inputs, sort_keys=True)) for r in resources}


@functools.cache
def expected() -> frozenset[tuple[str, str, str | None, str]]:
    return frozenset(fingerprint(plan_raw(rich_site())))


def _lists(site: dict[str, Any]) -> dict[str, list[Any]]:
    """Every reorderable list, addressed by a path for the strategy below."""
    return {
        "records": site["records"],
        "dkim": site["email"]["dkim"],
        "caa": site["caa"]["issuers"],
        "caa_wild": site["caa"]["wildcard_issuers"],
        "custom_rules": site["firewall"]["custom_rules"],
        "rate_limits": site["firewall"]["rate_limits"],
        "login_paths": site["firewall"]["rate_limits"][0]["paths"],
        "monitors": site["monitoring"]["monitors"],
        "emails": site["monitoring"]["alerts"]["emails"],
        "addresses": site["origin"]["addresses"],
        "allow_ips": site["firewall"]["custom_rules"][0]["allow_ips"],
    }


@st.composite
def reordered_site(draw: st.DrawFn) -> dict[str, Any]:
    site = rich_site()
    for key, items in _lists(site).items():
        permuted = draw(st.permutations(list(items)), label=key)
        items[:] = permuted
    return site


def test_the_rich_site_is_actually_rich() -> None:
    # Guards the property below against trivially passing on single-element lists.
    assert all(len(items) >= 2 for items in _lists(rich_site()).values())
    names = {name for _, name, _, _ in expected()}
    assert "example-com-dns-a-lb-" in " ".join(names)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reordered_site())
def test_any_reordering_plans_the_same_resources(site: dict[str, Any]) -> None:
    assert fingerprint(plan_raw(site)) == expected()

"""Hypothesis strategies for small, valid site specs (as the ``launchready:site`` mapping).

Each draw exercises the values whose shape changes between modules: proxied records (ttl 1),
long TXT values (split at 255 characters on the wire), CAA ``data``, SRV and MX priorities,
trailing dots, IDN domains (A-labels), null MX, www or apex canonical, IP or hostname origins.
"""

from __future__ import annotations

import base64
from typing import Any

from cryptography.hazmat.primitives import serialization
from hypothesis import strategies as st

from launchready.scaffold import _rate_limits
from launchready.spec import LIMITS
from launchready.testbed.ca import cached_key

DOMAINS = ("shop.example", "bücher.example", "xn--caf-dma.example", "a-b.example.org")
LABELS = ("api", "app", "blog", "docs", "lb", "cdn", "status", "files", "mail2", "edge")
# A real RSA-2048 public key: 392 base64 characters, so the DKIM TXT exceeds 255.
LONG_KEY = base64.b64encode(cached_key("rsa2048", "dkim").public_key().public_bytes(
    serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).decode()

ipv4 = st.ip_addresses(v=4, network="198.51.100.0/24").map(str)
ipv6 = st.ip_addresses(v=6, network="2001:db8::/112").map(str)
ttl = st.sampled_from([1, 60, 300, 3600, 86400])
hostname = st.sampled_from(["app.fly.dev", "backend.example.net.", "Origin.Example.NET",
                            "xn--bcher-kva.example.net"])
txt = st.one_of(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789=-_ ", min_size=1, max_size=40)
    .map(str.strip).filter(bool),
    st.just("google-site-verification=" + "x" * 300),
)


def _record(rtype: str, label: str) -> st.SearchStrategy[dict[str, Any]]:
    if rtype == "A":
        return st.builds(lambda c, p, t: {"name": label, "type": "A", "content": c, "proxied": p, "ttl": t},
                         ipv4, st.booleans(), ttl)
    if rtype == "AAAA":
        return st.builds(lambda c, p, t: {"name": label, "type": "AAAA", "content": c, "proxied": p,
                                          "ttl": t}, ipv6, st.booleans(), ttl)
    if rtype == "CNAME":
        return st.builds(lambda c, p: {"name": label, "type": "CNAME", "content": c, "proxied": p},
                         hostname, st.booleans())
    if rtype == "TXT":
        return st.builds(lambda c, t: {"name": f"_{label}", "type": "TXT", "content": c, "ttl": t},
                         txt, ttl)
    if rtype == "MX":
        return st.builds(lambda h, p: {"name": label, "type": "MX", "content": h, "priority": p},
                         st.sampled_from(["mx.example.net", "mx2.example.net."]),
                         st.integers(0, 50))
    if rtype == "CAA":
        return st.builds(lambda ca: {"name": label, "type": "CAA", "content": f'0 issue "{ca}"'},
                         st.sampled_from(["letsencrypt.org", "sectigo.com"]))
    if rtype == "SRV":
        return st.builds(lambda port, prio: {"name": f"_sip._tcp.{label}", "type": "SRV",
                                             "content": f"5 {port} sip.example.net",
                                             "priority": prio},
                         st.integers(1, 65535), st.integers(0, 100))
    return st.just({"name": label, "type": "NS", "content": "ns1.example.net"})


@st.composite
def records(draw: st.DrawFn) -> list[dict[str, Any]]:
    labels = draw(st.lists(st.sampled_from(LABELS), max_size=5, unique=True))
    types = ("A", "AAAA", "CNAME", "TXT", "MX", "CAA", "SRV", "NS")
    return [draw(_record(draw(st.sampled_from(types)), label)) for label in labels]


@st.composite
def email(draw: st.DrawFn) -> dict[str, Any]:
    provider = draw(st.sampled_from(["google_workspace", "microsoft_365", "custom", "none"]))
    out: dict[str, Any] = {"provider": provider,
                           "dmarc": {"policy": draw(st.sampled_from(["quarantine", "reject"])),
                                     "rua": ["mailto:dmarc@example.net"]}}
    if provider == "custom":
        out["mx"] = [{"host": "mx1.provider.example", "priority": 10}]
    if provider == "microsoft_365" and draw(st.booleans()):
        out["tenant"] = "contoso"
    elif provider != "none" and draw(st.booleans()):
        out["dkim"] = [draw(st.sampled_from([
            {"selector": "s1", "public_key": LONG_KEY},
            {"selector": "s1", "cname": "s1.domainkey.u123.wl.sendgrid.net."},
        ]))]
    if provider != "none" and draw(st.booleans()):
        out["mta_sts"] = {"mode": draw(st.sampled_from(["testing", "enforce"]))}
        out["tls_rpt"] = {"rua": ["mailto:tls@example.net"]}
    return out


@st.composite
def rate_limits(draw: st.DrawFn, plan: str) -> list[dict[str, Any]]:
    limits = LIMITS[plan]  # type: ignore[index]
    count = draw(st.integers(0, min(3, limits.rate_limit_rules)))
    out = []
    for n in range(count):
        out.append({
            "ref": f"rl{n}", "description": f"rule {n}",
            "paths": draw(st.lists(st.sampled_from(["/login", "/api/chat", "/api/tools", "/x"]),
                                   min_size=1, max_size=3, unique=True)),
            "methods": ["POST"] if limits.rate_limit_methods and draw(st.booleans()) else [],
            "requests_per_period": draw(st.integers(1, 100)),
            "period": draw(st.sampled_from(sorted(limits.rate_limit_periods))),
            "mitigation_timeout": draw(st.sampled_from(
                sorted({10, min(60, limits.max_mitigation_timeout), limits.max_mitigation_timeout}))),
        })
    return out


def scaffold_rate_limits(plan: str) -> list[dict[str, Any]]:
    """The login/chat/tools rules `launchready new` packs into ``plan``, in spec keys."""
    return [{"ref": r["ref"], "description": r["description"], "paths": r["paths"],
             "methods": r["methods"], "requests_per_period": r["requests"], "period": r["period"],
             "mitigation_timeout": r["timeout"]} for r in _rate_limits(plan)]  # type: ignore[arg-type]


@st.composite
def sites(draw: st.DrawFn, *, strict: bool = False) -> dict[str, Any]:
    """A valid site mapping; ``strict`` = the launch-ready choices the policy pack demands."""
    plan = draw(st.sampled_from(["free", "pro", "business", "enterprise"]))
    if draw(st.booleans()):
        origin: dict[str, Any] = {"addresses": draw(st.lists(st.one_of(ipv4, ipv6), min_size=1,
                                                              max_size=2, unique=True))}
    else:
        origin = {"hostname": draw(hostname)}
    origin["proxied"] = True if strict else draw(st.booleans())
    preload = draw(st.booleans())
    hsts = {"max_age": draw(st.integers(31536000 if preload else 15552000, 63072000)),
            "include_subdomains": True if preload else draw(st.booleans()), "preload": preload}
    site: dict[str, Any] = {
        "domain": draw(st.sampled_from(DOMAINS)),
        "zone": {"account_id": "0" * 32},
        "plan": plan,
        "canonical_host": draw(st.sampled_from(["apex", "www"])),
        "origin": origin,
        "records": [r for r in draw(records()) if not strict or r["type"] not in ("A", "AAAA", "CNAME")
                    or r.get("proxied")],
        "tls": {"min_version": "1.2" if strict else draw(st.sampled_from(["1.2", "1.3"])),
                "hsts": hsts},
        "email": draw(email()),
        "dnssec": draw(st.booleans()),
        "caa": {"issuers": draw(st.lists(st.sampled_from(["letsencrypt.org", "pki.goog", "sectigo.com"]),
                                         min_size=1, max_size=3, unique=True)),
                "wildcard_issuers": draw(st.lists(st.sampled_from(["letsencrypt.org", "digicert.com"]),
                                                  max_size=2, unique=True)),
                **({"iodef": "mailto:security@example.net"} if draw(st.booleans()) else {})},
        "firewall": {"rate_limits": scaffold_rate_limits(plan) if strict else draw(rate_limits(plan))},
    }
    if LIMITS[plan].health_checks and draw(st.booleans()):  # type: ignore[index]
        site["monitoring"] = {
            "monitors": [{"name": "home", "path": "/"},
                         {"name": "health", "path": "/api/health", "method": "HEAD",
                          "expected_codes": ["2xx"]}][: draw(st.integers(1, 2))],
            "alerts": {"emails": ["oncall@example.net"]},
        }
    return site

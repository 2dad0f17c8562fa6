"""A loopback fleet for the verify tests: one DNS server, one CA, one HTTPS+HTTP server.

Every scenario is its own domain under ``.test``; web hosts resolve (through the testbed DNS
server) to 127.0.0.1 and ``--connect-to`` style overrides send ports 443/80 to the server's
ephemeral ports, so nothing needs root.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from launchready.spec.loader import parse_site
from launchready.spec.models import SiteSpec
from launchready.testbed import DnsServer
from launchready.testbed.ca import LocalCA
from launchready.testbed.web import Route, SilentServer, Site, WebServer, security_headers
from launchready.verify.http import ResolveOverride
from launchready.verify.resolver import Nameserver
from launchready.verify.runner import VerifyOptions

CANARY_COOKIE = "CANARYsessionVALUE0123456789"
SOA = "ns1.test. hostmaster.test. 1 7200 3600 1209600 300"
CF_NS = [("NS", "ada.ns.cloudflare.com"), ("NS", "bob.ns.cloudflare.com")]
GOOD_CAA = [("CAA", f'0 issue "{ca}"') for ca in ("letsencrypt.org", "pki.goog", "ssl.com", "digicert.com")]
GOOD_CSP = ("default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'self'; "
            "frame-ancestors 'none'; form-action 'self'; upgrade-insecure-requests")


def good_spec(domain: str = "good.test") -> SiteSpec:
    return parse_site({
        "domain": domain,
        "zone": {"account_id": "0123456789abcdef0123456789abcdef"},
        "plan": "pro",
        "origin": {"addresses": ["127.0.0.1"], "proxied": True},
        "records": [{"name": "status", "type": "CNAME", "content": "status-page.hosted.test"}],
        "monitoring": {"monitors": [{"name": "home", "path": "/"},
                                    {"name": "login", "path": "/login"},
                                    {"name": "api-health", "path": "/api/health"}],
                       "alerts": {"emails": ["oncall@good.test"]}},
    })


def _zone(domain: str, *, www: bool = True, extra: dict[str, list[tuple[str, str]]] | None = None,
          ) -> dict[str, list[tuple[str, str]]]:
    zone: dict[str, list[tuple[str, str]]] = {
        domain: [("SOA", SOA), ("A", "127.0.0.1"), *CF_NS, *GOOD_CAA],
    }
    if www:
        zone[f"www.{domain}"] = [("CNAME", domain)]
    zone.update(extra or {})
    return zone


def _redirect_to(host: str) -> str:
    return f"https://{host}{{path}}"


@dataclass
class Fleet:
    dns: DnsServer
    web: WebServer
    ca: LocalCA
    silent: SilentServer

    def options(self, **changes: object) -> VerifyOptions:
        overrides = []
        for host in self.web.sites:
            overrides.append(ResolveOverride(host, 443, "127.0.0.1", self.web.https_port))
            overrides.append(ResolveOverride(host, 80, "127.0.0.1", self.web.http_port))
        for host in ("silent.test", "www.silent.test"):
            for port in (443, 80):
                overrides.append(ResolveOverride(host, port, "127.0.0.1", self.silent.port))
        base: dict[str, object] = {
            "nameservers": (Nameserver(self.dns.host, self.dns.port),),
            "overrides": tuple(overrides), "ca_bundle": str(self.ca.root_path),
            "timeout": 1.0, "deadline": 30.0, "concurrency": 16,
            "only": ("dns.", "http."),
        }
        base.update(changes)
        return VerifyOptions(**base)  # type: ignore[arg-type]


def _sites(ca: LocalCA) -> list[Site]:
    def cert(*hosts: str):
        return ca.issue(list(hosts))

    good_headers = security_headers(csp=GOOD_CSP, hsts="max-age=31536000; includeSubDomains")
    monitor_routes = {"/login": Route(body="<!doctype html><title>login</title>"),
                      "/api/health": Route(body='{"ok": true}', content_type="application/json")}
    sites = [
        Site("good.test", cert("good.test", "www.good.test"), headers=good_headers,
             cookies=[f"session={CANARY_COOKIE}; Path=/; Secure; HttpOnly; SameSite=Lax"],
             routes=monitor_routes),
        Site("www.good.test", cert("good.test", "www.good.test"), headers=good_headers,
             redirect=_redirect_to("good.test")),
    ]

    def pair(domain: str, apex: Site | None = None, www: Site | None = None) -> None:
        names = (domain, f"www.{domain}")
        apex = apex or Site(domain, headers=security_headers())
        www = www or Site(f"www.{domain}", headers=security_headers(), redirect=_redirect_to(domain))
        apex.cert, www.cert = cert(*names), cert(*names)
        sites.extend([apex, www])

    pair("nohsts.test", Site("nohsts.test", headers=security_headers(hsts=None)))
    pair("shorthsts.test", Site("shorthsts.test", headers=security_headers(hsts="max-age=300")))
    pair("twohop.test", www=Site("www.twohop.test", headers=security_headers(), routes={
        "/launchready-check": Route(status=301, location="https://www.twohop.test/hop?probe=1"),
        "/hop": Route(status=301, location="https://twohop.test/launchready-check?probe=1"),
    }))
    pair("loop.test", Site("loop.test", redirect=_redirect_to("www.loop.test")),
         Site("www.loop.test", redirect=_redirect_to("loop.test")))
    pair("elsewhere.test", www=Site("www.elsewhere.test", redirect="https://elsewhere.example{path}"))
    pair("ftp.test", www=Site("www.ftp.test", redirect="ftp://files.ftp.test{path}"))
    pair("temporary.test", www=Site("www.temporary.test", redirect=_redirect_to("temporary.test"),
                                    redirect_status=302))
    pair("pathless.test", www=Site("www.pathless.test", redirect="https://pathless.test/"))
    pair("headers.test", Site("headers.test", headers={"Strict-Transport-Security": "max-age=31536000"}))
    pair("unsafe.test", Site("unsafe.test", headers=security_headers(
        csp="default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'")))
    pair("mixed.test", Site("mixed.test", headers=security_headers(),
                            home='<!doctype html><script src="http://cdn.mixed.test/app.js"></script>'
                                 '<img src="http://cdn.mixed.test/a.png">'))
    pair("cookie.test", Site("cookie.test", headers=security_headers(),
                             cookies=[f"session={CANARY_COOKIE}; Path=/"]))
    pair("huge.test", Site("huge.test", headers=security_headers(),
                           routes={"/": Route(stream_bytes=100 * 1024 * 1024)}))
    pair("nohttps.test", Site("nohttps.test", headers=security_headers(), http_redirect=False))
    return sites


def _zones() -> list[dict[str, list[tuple[str, str]]]]:
    good = _zone("good.test", extra={"status.good.test": [("CNAME", "status-page.hosted.test")]})
    good["good.test"] += [("DS", "12345 13 2 " + "ab" * 32), ("MX", "0 ."), ("TXT", "v=spf1 -all")]
    good["_dmarc.good.test"] = [("TXT", "v=DMARC1; p=reject; sp=reject; rua=mailto:dmarc@good.test")]
    zones = [good, {"status-page.hosted.test": [("A", "127.0.0.1")]}]
    for name in ("nohsts", "shorthsts", "twohop", "loop", "elsewhere", "ftp", "temporary", "pathless",
                 "headers", "unsafe", "mixed", "cookie", "huge", "nohttps", "silent"):
        zones.append(_zone(f"{name}.test"))
    zones.append(_zone("dangling.test", extra={"shop.dangling.test": [("CNAME", "gone.shops.test")]}))
    zones.append({"xn--strae-oqa.test": [("SOA", SOA), ("A", "127.0.0.1"), *CF_NS]})
    return zones


@pytest.fixture(scope="session")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    ca = LocalCA(Path(tmp_path_factory.mktemp("ca")))
    with DnsServer(_zones(), signed=["good.test"], faults={"slowdns.test": "timeout"}) as dns, \
            WebServer(_sites(ca)) as web, SilentServer() as silent:
        yield Fleet(dns, web, ca, silent)

"""Scenarios: badssl.com-style broken sites, and a sandbox serving a site spec's intended state.

``BadSsl`` starts, on loopback, one web server per TLS profile and a DNS server: every scenario
of ``SCENARIOS`` is a small domain ``<name>.badssl.test`` (apex = the site, www redirects to
it) next to a fully good ``good.badssl.test``; each scenario names the check that must not
pass and a phrase its result contains.

``Sandbox(spec, faults=[...])`` turns a ``SiteSpec`` into DNS zone data (from
``planned_records``) and a good web site (security headers, HSTS and monitor URLs from the
spec, the MTA-STS policy file), with optional deliberate faults (``FAULT_CHECKS`` says which
check each one trips), for the demo and end-to-end tests. Web hosts resolve to the sandbox's
loopback address, so ``--nameserver`` alone is enough when the sandbox could bind ports
443/80 (root or CAP_NET_BIND_SERVICE; it picks a private 127.x.y.z address); otherwise it
uses ephemeral ports and ``connect_to_args`` map 443/80 to them. Outside names the spec
depends on (SPF includes, MX hosts, CNAME targets, other domains' consent to receive DMARC
reports) are answered with documentation-range stand-ins; AAAA origin records are left out
(the sandbox serves IPv4 loopback only).
DNSSEC is simulated: a DS record and the AD bit, no signatures.
"""

from __future__ import annotations

import base64
import random
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from types import TracebackType

from cryptography.hazmat.primitives import serialization

from launchready.spec.models import SiteSpec
from launchready.spec.records import mta_sts_policy, planned_records
from launchready.testbed.ca import IssuedCert, LocalCA, Validity, cached_key
from launchready.testbed.dns_server import DnsServer, RecordText
from launchready.testbed.web import Route, SilentServer, Site, TlsVersionName, WebServer, security_headers

BADSSL_DOMAIN = "badssl.test"
OTHER_SITE = "elsewhere.example"
HUGE_BODY_BYTES = 100 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    check: str
    """The check id that must not pass."""
    cause: str
    """A phrase the failing result's evidence (or summary) contains."""
    profile: str = "modern"
    """Which server: ``modern`` (TLS 1.2-1.3), ``legacy`` (1.0-1.3), ``tls12`` (1.2 only)."""

    @property
    def host(self) -> str:
        return f"{self.name}.{BADSSL_DOMAIN}"


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("expired", "tls.expiry", "certificate has expired"),
    Scenario("not-yet-valid", "tls.expiry", "not yet valid"),
    Scenario("short-lived", "tls.expiry", "expires in"),
    Scenario("wrong-host", "tls.certificate", "host name mismatch"),
    Scenario("self-signed", "tls.certificate", "self-signed certificate"),
    Scenario("untrusted-root", "tls.certificate", "unable to get local issuer certificate"),
    Scenario("incomplete-chain", "tls.certificate", "sends no intermediate"),
    Scenario("rsa1024", "tls.certificate", "weak key: RSA 1024"),
    Scenario("sha1", "tls.certificate", "weak signature hash: sha1"),
    Scenario("tls-v1-0", "tls.protocols", "TLS 1.0", profile="legacy"),
    Scenario("tls-v1-1", "tls.protocols", "TLS 1.1", profile="legacy11"),
    Scenario("tls-v1-2", "tls.tls13", "not offered", profile="tls12"),
    Scenario("no-hsts", "http.hsts", "Strict-Transport-Security"),
    Scenario("short-hsts", "http.hsts", "300"),
    Scenario("two-hop", "http.canonical_redirect", "hop.two-hop.badssl.test"),
    Scenario("redirect-loop", "http.canonical_redirect", "loop"),
    Scenario("other-host", "http.canonical_redirect", "elsewhere.example"),
    Scenario("missing-headers", "http.csp", "Content-Security-Policy"),
    Scenario("mixed-content", "http.mixed_content", "http://"),
    Scenario("insecure-cookie", "http.cookies", "session"),
)
"""Each is classified by the real verify pipeline in ``tests/testbed/test_badssl_verify.py``."""

PROFILES: dict[str, tuple[TlsVersionName, TlsVersionName]] = {
    "modern": ("1.2", "1.3"), "legacy": ("1.0", "1.3"), "legacy11": ("1.1", "1.3"),
    "tls12": ("1.2", "1.2"),
}

MIXED_HOME = ('<!doctype html><title>mixed</title>'
              '<script src="http://cdn.elsewhere.example/app.js"></script>'
              '<img src="http://cdn.elsewhere.example/logo.png">')


class BadSsl:
    """Every scenario plus ``good.badssl.test`` on loopback, with a DNS server for them.

    Each scenario is its own little domain: the apex ``<name>.badssl.test`` is the site and
    ``www.<name>.badssl.test`` redirects to it (so HTTP checks have a canonical host), both
    resolving to 127.0.0.1 through ``nameserver``. Servers listen on ephemeral ports, so
    ``connect_to_args`` send ports 443/80 of every host to the right server. ``ca_bundle``
    trusts the main root; ``untrusted`` is a second CA that nothing trusts.
    """

    def __init__(self, directory: Path | None = None) -> None:
        self._own_dir = directory is None
        self.directory = Path(directory or tempfile.mkdtemp(prefix="launchready-badssl-"))
        self.ca = LocalCA(self.directory, "launchready badssl root")
        self.untrusted = LocalCA(self.directory, "launchready untrusted root")
        self.servers: dict[str, WebServer] = {}
        self.silent = SilentServer()
        self.dns: DnsServer | None = None
        self._sites: dict[str, list[Site]] = {profile: [] for profile in PROFILES}
        self._build()

    @property
    def ca_bundle(self) -> str:
        return str(self.ca.root_path)

    @property
    def nameserver(self) -> str:
        if self.dns is None:
            raise RuntimeError("BadSsl is not started")
        return self.dns.nameserver

    def _build(self) -> None:
        good = f"good.{BADSSL_DOMAIN}"
        names = [good, f"www.{good}"]
        cert = self.ca.issue(names)
        self._sites["modern"] += [
            Site(good, cert, headers=security_headers(),
                 cookies=["session=ok; Path=/; Secure; HttpOnly; SameSite=Lax"],
                 routes=_monitor_routes()),
            Site(names[1], cert, headers=security_headers(), redirect=f"https://{good}{{path}}"),
        ]
        for scenario in SCENARIOS:
            self._sites[scenario.profile] += self._pair(scenario)

    def _issue(self, scenario: Scenario, names: list[str]) -> IssuedCert:
        match scenario.name:
            case "expired":
                return self.ca.issue(names, validity="expired")
            case "not-yet-valid":
                return self.ca.issue(names, validity="not_yet_valid")
            case "short-lived":
                return self.ca.issue(names, validity="short_lived")
            case "wrong-host":
                return self.ca.issue([f"other.{BADSSL_DOMAIN}"])
            case "self-signed":
                return self.ca.issue(names, self_signed=True)
            case "untrusted-root":
                return self.untrusted.issue(names)
            case "rsa1024":
                return self.ca.issue(names, key="rsa1024")
            case "sha1":
                return self.ca.issue(names, digest="sha1")
        return self.ca.issue(names)

    def _pair(self, scenario: Scenario) -> list[Site]:
        """The scenario's apex site, its www redirect and any extra hop, one fault each."""
        apex, www = scenario.host, f"www.{scenario.host}"
        names = [apex, www]
        cert = self._issue(scenario, names)
        chain = scenario.name != "incomplete-chain"
        site = Site(apex, cert, send_chain=chain, headers=security_headers())
        other = Site(www, cert, send_chain=chain, headers=security_headers(),
                     redirect=f"https://{apex}{{path}}")
        extra: list[Site] = []
        match scenario.name:
            case "no-hsts":
                site.headers = security_headers(hsts=None)
            case "short-hsts":
                site.headers = security_headers(hsts="max-age=300")
            case "two-hop":
                hop = f"hop.{apex}"
                other.redirect = f"https://{hop}{{path}}"
                extra.append(Site(hop, self.ca.issue([hop]), headers=security_headers(),
                                  redirect=f"https://{apex}{{path}}"))
            case "redirect-loop":
                site.redirect = f"https://{www}{{path}}"
            case "other-host":
                other.redirect = f"https://{OTHER_SITE}{{path}}"
            case "missing-headers":
                site.headers = {"Strict-Transport-Security": "max-age=31536000; includeSubDomains"}
            case "mixed-content":
                site.home = MIXED_HOME
            case "insecure-cookie":
                site.cookies = ["session=abc123; Path=/"]
        return [site, other, *extra]

    def hosts(self) -> list[str]:
        return [host for sites in self._sites.values() for host in (s.host for s in sites)]

    def __enter__(self) -> BadSsl:
        for profile, sites in self._sites.items():
            tls_min, tls_max = PROFILES[profile]
            server = WebServer(sites, tls_min=tls_min, tls_max=tls_max)
            server.start()
            self.servers[profile] = server
        self.silent.__enter__()
        zones: dict[str, list[tuple[str, RecordText]]] = {
            BADSSL_DOMAIN: [("SOA", f"ns.{BADSSL_DOMAIN} hostmaster.{BADSSL_DOMAIN} 1 7200 3600 "
                                    "1209600 300"), ("NS", f"ns.{BADSSL_DOMAIN}")],
            f"ns.{BADSSL_DOMAIN}": [("A", "127.0.0.1")],
        }
        for host in [*self.hosts(), OTHER_SITE]:  # the other site exists, it just is not ours
            zones[host] = [("A", "127.0.0.1")]
        self.dns = DnsServer(zones)
        self.dns.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.dns is not None:
            self.dns.stop()
        for server in self.servers.values():
            server.stop()
        self.silent.__exit__(exc_type, exc, tb)
        if self._own_dir:
            shutil.rmtree(self.directory, ignore_errors=True)

    def endpoint(self, name: str) -> tuple[str, str, int]:
        """``(host, address, port)`` of a scenario's apex by name (``good`` for the good site)."""
        if name == "good":
            server = self.servers["modern"]
            return f"good.{BADSSL_DOMAIN}", server.host, server.https_port
        scenario = next(s for s in SCENARIOS if s.name == name)
        server = self.servers[scenario.profile]
        return scenario.host, server.host, server.https_port

    def connect_to_args(self) -> list[str]:
        """``HOST:443:127.0.0.1:PORT`` and ``HOST:80:...`` for every host, each to its server."""
        return [arg for server in self.servers.values() for arg in server.connect_to_args()]


def _monitor_routes() -> dict[str, Route]:
    return {
        "/login": Route(body="<!doctype html><title>login</title>"),
        "/api/health": Route(body='{"ok": true}', content_type="application/json"),
        "/slow": Route(body="slow", delay=1.0),
        "/down": Route(status=503, body="down", content_type="text/plain"),
        "/huge": Route(stream_bytes=HUGE_BODY_BYTES),  # HTML, so a client really reads it
    }


# --------------------------------------------------------------------------- sandbox


class SandboxFault(StrEnum):
    """Deliberate faults a sandbox can carry (each makes one check not pass)."""

    SHORT_HSTS = "short_hsts"  # http.hsts
    MISSING_CSP = "missing_csp"  # http.csp
    INSECURE_COOKIE = "insecure_cookie"  # http.cookies
    MIXED_CONTENT = "mixed_content"  # http.mixed_content
    EXPIRING_CERT = "expiring_cert"  # tls.expiry warns (10 days left)
    EXPIRED_CERT = "expired_cert"  # tls.expiry fails
    LEGACY_TLS = "legacy_tls"  # tls.protocols (TLS 1.0/1.1 offered)
    MONITOR_DOWN = "monitor_down"  # http.monitor_urls (last monitor answers 503)
    DMARC_NONE = "dmarc_none"  # email.dmarc (p=none, weaker than the spec)
    TWO_SPF = "two_spf"  # email.spf (two SPF records)
    DKIM_MISSING = "dkim_missing"  # email.dkim
    NO_CAA = "no_caa"  # dns.caa


FAULT_CHECKS: dict[SandboxFault, str] = {
    SandboxFault.SHORT_HSTS: "http.hsts",
    SandboxFault.MISSING_CSP: "http.csp",
    SandboxFault.INSECURE_COOKIE: "http.cookies",
    SandboxFault.MIXED_CONTENT: "http.mixed_content",
    SandboxFault.EXPIRING_CERT: "tls.expiry",
    SandboxFault.EXPIRED_CERT: "tls.expiry",
    SandboxFault.LEGACY_TLS: "tls.protocols",
    SandboxFault.MONITOR_DOWN: "http.monitor_urls",
    SandboxFault.DMARC_NONE: "email.dmarc",
    SandboxFault.TWO_SPF: "email.spf",
    SandboxFault.DKIM_MISSING: "email.dkim",
    SandboxFault.NO_CAA: "dns.caa",
}
"""The check each fault is meant to trip (the demo's "what to look for")."""

SPF_INCLUDE_TEXT = "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all"
MAIL_HOST_ADDRESS = "192.0.2.25"
NAME_SERVERS = ("ada.ns.cloudflare.com", "bob.ns.cloudflare.com")


def _dkim_public_key() -> str:
    key = cached_key("rsa2048", "dkim")
    der = key.public_key().public_bytes(serialization.Encoding.DER,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


def _external_report_domains(spec: SiteSpec) -> list[str]:
    """Domains receiving this domain's DMARC reports that must consent (RFC 7489 §7.1)."""
    domains = (uri.removeprefix("mailto:").rpartition("@")[2].lower()
               for uri in (*spec.email.dmarc.rua, *spec.email.dmarc.ruf))
    return sorted({d for d in domains if d != spec.domain and not d.endswith("." + spec.domain)})


def _private_loopback() -> str:
    return f"127.{random.randint(64, 250)}.{random.randint(1, 250)}.{random.randint(2, 250)}"


class Sandbox:
    """DNS + HTTPS on loopback serving ``spec``'s intended state, with optional ``faults``.

    Use as a context manager; then ``nameserver``, ``resolve_args``, ``ca_bundle``,
    ``address``, ``https_port`` and ``zones`` describe it.
    """

    def __init__(self, spec: SiteSpec, faults: Iterable[SandboxFault | str] = (), *,
                 directory: Path | None = None, dns_delay: float = 0.0,
                 privileged_ports: bool = True) -> None:
        self.spec = spec
        self.faults = frozenset(SandboxFault(f) for f in faults)
        self._own_dir = directory is None
        self.directory = Path(directory or tempfile.mkdtemp(prefix="launchready-sandbox-"))
        self.ca = LocalCA(self.directory, "launchready sandbox root")
        self._dns_delay = dns_delay
        self._privileged = privileged_ports
        self.address = "127.0.0.1"
        self.web: WebServer | None = None
        self.dns: DnsServer | None = None
        self.zones: dict[str, list[tuple[str, RecordText]]] = {}

    # -- what it serves ----------------------------------------------------------

    def web_hosts(self) -> list[str]:
        spec = self.spec
        hosts = [spec.canonical_fqdn, spec.other_fqdn]
        if spec.email.mta_sts:
            hosts.append(f"{spec.email.mta_sts.policy_host}.{spec.domain}")
        hosts += [spec.fqdn(r.name) for r in spec.records if r.proxied]
        hosts += [m.host for m in spec.monitoring.monitors if m.host]
        return list(dict.fromkeys(hosts))

    def build_zones(self, address: str) -> dict[str, list[tuple[str, RecordText]]]:
        """Zone data: the spec's records, web hosts pointed at ``address`` (the way Cloudflare
        answers proxied names), and stand-ins for the outside names they depend on."""
        spec, faults = self.spec, self.faults
        zones: dict[str, list[tuple[str, RecordText]]] = {}

        def add(name: str, rdtype: str, value: RecordText) -> None:
            zones.setdefault(name, []).append((rdtype, value))

        web = set(self.web_hosts())
        outside: set[str] = set()
        add(spec.domain, "SOA", f"{NAME_SERVERS[0]} dns.cloudflare.com 1 10000 2400 604800 300")
        for ns in NAME_SERVERS:
            add(spec.domain, "NS", ns)
            outside.add(ns)
        for record in planned_records(spec):
            if record.type in ("A", "AAAA", "CNAME") and (record.proxied or record.name in web):
                continue  # answered below with the sandbox address
            if record.type == "CAA" and SandboxFault.NO_CAA in faults:
                continue
            if record.source == "email.dkim" and SandboxFault.DKIM_MISSING in faults:
                continue
            content = record.content
            if record.source == "email.dmarc" and SandboxFault.DMARC_NONE in faults:
                content = content.replace("p=reject", "p=none").replace("p=quarantine", "p=none")
            if record.type in ("MX", "SRV"):
                add(record.name, record.type, f"{record.priority} {content}")
                if content != ".":
                    outside.add(content)
            else:
                add(record.name, record.type, content)
                if record.type == "CNAME":
                    outside.add(content)
        for host in web:
            add(host, "A", address)
        if SandboxFault.TWO_SPF in faults:
            add(spec.domain, "TXT", "v=spf1 include:_spf.sandbox.invalid ~all")
        for include in spec.email.spf.includes:
            add(include, "TXT", SPF_INCLUDE_TEXT)
        for target in _external_report_domains(spec):
            add(f"{spec.domain}._report._dmarc.{target}", "TXT", "v=DMARC1")
        for dkim in spec.email.dkim:
            if dkim.cname and SandboxFault.DKIM_MISSING not in faults:
                add(dkim.cname, "TXT", f"v=DKIM1; k=rsa; p={_dkim_public_key()}")
        for name in sorted(outside - set(zones)):
            add(name, "A", MAIL_HOST_ADDRESS)
        if spec.dnssec:
            add(spec.domain, "DS", "2371 13 2 " + "5e" * 32)
        return zones

    def build_sites(self) -> list[Site]:
        spec, faults = self.spec, self.faults
        validity: Validity = "valid"
        if SandboxFault.EXPIRED_CERT in faults:
            validity = "expired"
        elif SandboxFault.EXPIRING_CERT in faults:
            validity = "short_lived"
        cert = self.ca.issue(self.web_hosts(), validity=validity, stem=spec.domain)
        headers = dict(spec.headers.as_map()) if spec.headers.enabled else {}
        hsts = spec.tls.hsts
        if hsts.enabled:
            value = f"max-age={300 if SandboxFault.SHORT_HSTS in faults else hsts.max_age}"
            value += "; includeSubDomains" if hsts.include_subdomains else ""
            value += "; preload" if hsts.preload else ""
            headers["Strict-Transport-Security"] = value
            if hsts.nosniff:  # Cloudflare's security_header setting sends this with HSTS
                headers["X-Content-Type-Options"] = "nosniff"
        if SandboxFault.MISSING_CSP in faults:
            headers.pop("Content-Security-Policy", None)
        routes: dict[str, Route] = {}
        for monitor in spec.monitoring.monitors:
            code = next((int(c) for c in monitor.expected_codes if c.isdigit()), 200)
            if monitor.path != "/":  # the home page answers "/" itself
                routes[monitor.path] = Route(status=code, body=f"{monitor.name} ok",
                                             content_type="text/plain; charset=utf-8")
        if SandboxFault.MONITOR_DOWN in faults and spec.monitoring.monitors:
            last = spec.monitoring.monitors[-1]
            routes[last.path] = Route(status=503, body="unavailable", content_type="text/plain")
        home = MIXED_HOME if SandboxFault.MIXED_CONTENT in faults else (
            f"<!doctype html><title>{spec.domain}</title><p>{spec.domain} sandbox</p>")
        cookie = ("session=sandbox; Path=/" if SandboxFault.INSECURE_COOKIE in faults
                  else "session=sandbox; Path=/; Secure; HttpOnly; SameSite=Lax")
        canonical = Site(spec.canonical_fqdn, cert, headers=headers, home=home, cookies=[cookie],
                         routes=routes)
        other = Site(spec.other_fqdn, cert, headers=headers,
                     redirect=f"https://{spec.canonical_fqdn}{{path}}")
        sites = [canonical, other]
        for host in self.web_hosts()[2:]:
            site = Site(host, cert, headers=headers, routes=dict(routes))
            if spec.email.mta_sts and host.startswith(f"{spec.email.mta_sts.policy_host}."):
                site.routes["/.well-known/mta-sts.txt"] = Route(
                    body=mta_sts_policy(spec), content_type="text/plain; charset=utf-8")
            sites.append(site)
        return sites

    # -- lifecycle ---------------------------------------------------------------

    def _start_web(self, sites: list[Site]) -> WebServer:
        # The zone's min_tls_version, as Cloudflare's edge applies it.
        tls_min: TlsVersionName = ("1.0" if SandboxFault.LEGACY_TLS in self.faults
                                   else self.spec.tls.min_version)
        if self._privileged:
            for _ in range(5):
                address = _private_loopback()
                server = WebServer(sites, host=address, https_port=443, http_port=80, tls_min=tls_min)
                try:
                    server.start()
                except OSError:  # not allowed to bind 443/80 here, or the address is taken
                    continue
                return server
        server = WebServer(sites, tls_min=tls_min)
        server.start()
        return server

    def __enter__(self) -> Sandbox:
        self.web = self._start_web(self.build_sites())
        self.address = self.web.host
        self.zones = self.build_zones(self.address)
        self.dns = DnsServer(self.zones, delay=self._dns_delay,
                             signed=[self.spec.domain] if self.spec.dnssec else [])
        self.dns.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.dns is not None:
            self.dns.stop()
        if self.web is not None:
            self.web.stop()
        if self._own_dir:
            shutil.rmtree(self.directory, ignore_errors=True)

    @property
    def nameserver(self) -> str:
        if self.dns is None:
            raise RuntimeError("the sandbox is not started")
        return self.dns.nameserver

    @property
    def https_port(self) -> int:
        return self.web.https_port if self.web else 0

    @property
    def http_port(self) -> int:
        return self.web.http_port if self.web else 0

    @property
    def standard_ports(self) -> bool:
        """True when the sandbox holds 443/80, so plain https:// URLs reach it."""
        return self.https_port == 443 and self.http_port == 80

    @property
    def resolve_args(self) -> list[str]:
        """``HOST:PORT:ADDR`` for every web host on the HTTPS and HTTP ports actually bound."""
        if self.web is None:
            raise RuntimeError("the sandbox is not started")
        return self.web.resolve_args(self.web_hosts())

    @property
    def connect_to_args(self) -> list[str]:
        """``HOST:443:ADDR:PORT`` / ``HOST:80:ADDR:PORT``: right whatever ports were bound."""
        if self.web is None:
            raise RuntimeError("the sandbox is not started")
        return self.web.connect_to_args(self.web_hosts())

    @property
    def ca_bundle(self) -> str:
        return str(self.ca.root_path)

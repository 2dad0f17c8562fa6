"""The sandbox serves the example stack's intended state (DNS + HTTPS) and its deliberate faults."""

from __future__ import annotations

import http.client
import socket
import ssl
from pathlib import Path

import dns.resolver
import pytest

from launchready.spec import load_stack
from launchready.spec.records import mta_sts_policy
from launchready.testbed.scenarios import Sandbox, SandboxFault
from launchready.verify.model import Status
from launchready.verify.tls import collect_tls, evaluate_tls

pytestmark = pytest.mark.integration

STACKS = Path(__file__).resolve().parents[2] / "stacks"


@pytest.fixture(scope="module")
def spec():
    return load_stack("example", STACKS)


def resolver_for(box: Sandbox) -> dns.resolver.Resolver:
    resolver = dns.resolver.Resolver(configure=False)
    host, port = box.nameserver.rsplit(":", 1)
    resolver.nameservers = [host]
    resolver.port = int(port)
    resolver.lifetime = 2
    return resolver


def fetch(box: Sandbox, host: str, path: str) -> http.client.HTTPResponse:
    ctx = ssl.create_default_context(cafile=box.ca_bundle)
    conn = http.client.HTTPSConnection(host, box.https_port, timeout=3, context=ctx)
    conn.sock = ctx.wrap_socket(socket.create_connection((box.address, box.https_port), timeout=3),
                                server_hostname=host)
    conn.request("GET", path)
    return conn.getresponse()


def test_example_stack_sandbox_serves_the_spec(spec) -> None:
    with Sandbox(spec) as box:
        resolver = resolver_for(box)

        def records(name: str, rdtype: str) -> list[str]:
            return sorted(r.to_text() for r in resolver.resolve(name, rdtype))

        assert records("www.example.com", "A") == [box.address]
        assert records("example.com", "A") == [box.address]
        assert records("example.com", "MX") == ["1 smtp.google.com."]
        assert '"v=spf1 include:_spf.google.com include:sendgrid.net -all"' in records("example.com", "TXT")
        assert records("_spf.google.com", "TXT")[0].startswith('"v=spf1 ')
        assert records("_dmarc.example.com", "TXT")[0].startswith('"v=DMARC1; p=reject')
        assert records("smtp.google.com", "A")
        assert records("example.com", "CAA") == ['0 iodef "mailto:security@example.com"',
                                                 '0 issue "letsencrypt.org"', '0 issue "pki.goog"']
        assert records("example.com", "DS")
        dkim = resolver.resolve("google._domainkey.example.com", "TXT")[0]
        assert len(dkim.strings) > 1  # the 2048-bit key is split into 255-byte strings
        assert resolver.resolve("example.com", "A").response.flags & dns.flags.AD
        # every resolve arg points at the sandbox
        assert all(arg.endswith(":" + box.address) for arg in box.resolve_args)
        assert f"www.example.com:{box.https_port}:{box.address}" in box.resolve_args
        assert f"www.example.com:443:{box.address}:{box.https_port}" in box.connect_to_args

        home = fetch(box, "www.example.com", "/")
        assert home.status == 200
        assert home.getheader("Strict-Transport-Security") == "max-age=31536000; includeSubDomains"
        assert "frame-ancestors 'none'" in home.getheader("Content-Security-Policy")
        assert "Secure" in home.getheader("Set-Cookie")
        apex = fetch(box, "example.com", "/login?next=1")
        assert apex.status == 301 and apex.getheader("Location") == "https://www.example.com/login?next=1"
        for path in ("/login", "/api/health"):
            assert fetch(box, "www.example.com", path).status == 200
        policy = fetch(box, "mta-sts.example.com", "/.well-known/mta-sts.txt")
        assert policy.read().decode() == mta_sts_policy(spec)

        results = evaluate_tls(collect_tls("www.example.com", box.address, box.https_port,
                                           timeout=3, ca_bundle=box.ca_bundle))
        assert {r.status for r in results} == {Status.PASS}


def test_faults_change_what_is_served(spec) -> None:
    faults = [SandboxFault.SHORT_HSTS, SandboxFault.MISSING_CSP, SandboxFault.DMARC_NONE,
              SandboxFault.DKIM_MISSING, SandboxFault.EXPIRING_CERT, SandboxFault.MONITOR_DOWN,
              SandboxFault.INSECURE_COOKIE, "legacy_tls"]
    with Sandbox(spec, faults=faults) as box:
        resolver = resolver_for(box)
        assert resolver.resolve("_dmarc.example.com", "TXT")[0].to_text().startswith('"v=DMARC1; p=none')
        with pytest.raises(dns.resolver.NXDOMAIN):
            resolver.resolve("google._domainkey.example.com", "TXT")
        home = fetch(box, "www.example.com", "/")
        assert home.getheader("Strict-Transport-Security").startswith("max-age=300")
        assert home.getheader("Content-Security-Policy") is None
        assert home.getheader("Set-Cookie") == "session=sandbox; Path=/"
        assert fetch(box, "www.example.com", "/api/health").status == 503
        results = {r.id: r for r in evaluate_tls(collect_tls(
            "www.example.com", box.address, box.https_port, timeout=3, ca_bundle=box.ca_bundle))}
        assert results["tls.expiry"].status is Status.WARN
        assert results["tls.protocols"].status is Status.FAIL


def test_sandbox_without_privileged_ports_uses_ephemeral_ones(spec) -> None:
    with Sandbox(spec, privileged_ports=False) as box:
        assert box.address == "127.0.0.1" and not box.standard_ports
        assert fetch(box, "www.example.com", "/").status == 200


def test_unknown_fault_is_a_clear_error(spec) -> None:
    with pytest.raises(ValueError):
        Sandbox(spec, faults=["no_such_fault"])

"""HTTP/HTTPS test servers: SNI virtual hosting, redirects, headers, lazy huge bodies, silence."""

from __future__ import annotations

import http.client
import socket
import ssl
from pathlib import Path

import pytest

from launchready.testbed.ca import LocalCA
from launchready.testbed.scenarios import HUGE_BODY_BYTES, BadSsl
from launchready.testbed.web import Route, SilentServer, Site, WebServer, security_headers

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> LocalCA:
    return LocalCA(tmp_path_factory.mktemp("web-ca"))


@pytest.fixture(scope="module")
def server(ca: LocalCA):
    sites = [
        Site("a.test", ca.issue(["a.test"]), headers=security_headers(),
             cookies=["session=1; Secure; HttpOnly; SameSite=Lax"],
             routes={"/down": Route(status=503, body="down"),
                     "/huge": Route(stream_bytes=HUGE_BODY_BYTES)}),
        Site("b.test", ca.issue(["b.test"]), redirect="https://a.test{path}", redirect_status=308),
        Site("plain.test", ca.issue(["plain.test"]), http_redirect=False),
    ]
    with WebServer(sites) as srv:
        yield srv


def client_context(ca: LocalCA) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(ca.root_path))


def get(server: WebServer, host: str, path: str = "/", *, ca: LocalCA | None = None,
        method: str = "GET") -> http.client.HTTPResponse:
    if ca is None:
        conn: http.client.HTTPConnection = http.client.HTTPConnection(
            server.host, server.http_port, timeout=3)
    else:
        conn = http.client.HTTPSConnection(server.host, server.https_port, timeout=3,
                                           context=client_context(ca))
    conn.request(method, path, headers={"Host": host})
    return conn.getresponse()


def peer_names(server: WebServer, ca: LocalCA, sni: str) -> list[str]:
    ctx = ssl.create_default_context(cafile=str(ca.root_path))
    ctx.check_hostname = False
    with socket.create_connection((server.host, server.https_port), timeout=3) as raw, \
            ctx.wrap_socket(raw, server_hostname=sni) as tls:
        cert = tls.getpeercert()
    return [value for kind, value in cert["subjectAltName"] if kind == "DNS"]


def test_sni_picks_each_hosts_certificate(server: WebServer, ca: LocalCA) -> None:
    assert peer_names(server, ca, "a.test") == ["a.test"]
    assert peer_names(server, ca, "b.test") == ["b.test"]
    assert peer_names(server, ca, "unknown.test") == ["a.test"]  # default: first site


def test_https_answer_carries_site_headers_and_cookies(server: WebServer, ca: LocalCA) -> None:
    ctx = client_context(ca)
    conn = http.client.HTTPSConnection("a.test", server.https_port, timeout=3, context=ctx)
    conn.sock = ctx.wrap_socket(socket.create_connection((server.host, server.https_port), timeout=3),
                                server_hostname="a.test")
    conn.request("GET", "/")
    response = conn.getresponse()
    assert response.status == 200
    assert response.getheader("Strict-Transport-Security") == "max-age=31536000; includeSubDomains"
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    assert response.getheader("Set-Cookie") == "session=1; Secure; HttpOnly; SameSite=Lax"
    assert b"launchready testbed" in response.read()


def test_http_redirects_to_https_same_host_keeping_path(server: WebServer) -> None:
    response = get(server, "a.test", "/x/y?q=1")
    assert response.status == 301
    assert response.getheader("Location") == f"https://a.test:{server.https_port}/x/y?q=1"
    assert response.getheader("Strict-Transport-Security") is None  # HSTS only over HTTPS
    served = get(server, "plain.test")
    assert served.status == 200


def tls_get(server: WebServer, ca: LocalCA, host: str, path: str) -> http.client.HTTPResponse:
    ctx = client_context(ca)
    conn = http.client.HTTPSConnection(host, server.https_port, timeout=3, context=ctx)
    conn.sock = ctx.wrap_socket(socket.create_connection((server.host, server.https_port), timeout=3),
                                server_hostname=host)
    conn.request("GET", path)
    return conn.getresponse()


def test_redirect_site_routes_and_unknown_host(server: WebServer, ca: LocalCA) -> None:
    moved = tls_get(server, ca, "b.test", "/p?x=1")
    assert moved.status == 308 and moved.getheader("Location") == "https://a.test/p?x=1"
    assert tls_get(server, ca, "a.test", "/down").status == 503
    assert tls_get(server, ca, "a.test", "/missing").status == 404
    unknown = get(server, "nobody.test")
    assert unknown.status == 421


def test_huge_body_is_streamed_lazily(server: WebServer, ca: LocalCA) -> None:
    response = tls_get(server, ca, "a.test", "/huge")
    assert int(response.getheader("Content-Length")) == HUGE_BODY_BYTES
    first = response.read(1024 * 1024)
    assert len(first) == 1024 * 1024
    response.close()  # hanging up mid-body must not disturb the server
    assert tls_get(server, ca, "a.test", "/").status == 200


def test_resolve_args_cover_both_ports(server: WebServer) -> None:
    args = server.resolve_args(["a.test"])
    assert args == [f"a.test:{server.https_port}:127.0.0.1", f"a.test:{server.http_port}:127.0.0.1"]
    assert server.connect_to_args(["a.test"]) == [f"a.test:443:127.0.0.1:{server.https_port}",
                                                  f"a.test:80:127.0.0.1:{server.http_port}"]


def test_silent_server_accepts_and_never_answers() -> None:
    with SilentServer() as silent, \
            socket.create_connection((silent.host, silent.port), timeout=1) as sock:
        sock.settimeout(0.3)
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        with pytest.raises(TimeoutError):
            sock.recv(1)


def test_https_server_without_certificates_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="at least one site with a certificate"):
        WebServer([Site("x.test")]).start()


def test_badssl_two_hop_redirect(tmp_path: Path) -> None:
    with BadSsl(tmp_path) as bed:
        host, address, port = bed.endpoint("two-hop")
        host = f"www.{host}"
        ctx = ssl.create_default_context(cafile=bed.ca_bundle)
        hops = []
        for _ in range(4):
            conn = http.client.HTTPSConnection(host, port, timeout=3, context=ctx)
            conn.sock = ctx.wrap_socket(socket.create_connection((address, port), timeout=3),
                                        server_hostname=host)
            conn.request("GET", "/?b=1")
            response = conn.getresponse()
            location = response.getheader("Location")
            hops.append((host, response.status))
            if not location:
                break
            assert location.endswith("/?b=1")
            host = location.split("/")[2]
        assert hops == [("www.two-hop.badssl.test", 301), ("hop.two-hop.badssl.test", 301),
                        ("two-hop.badssl.test", 200)]


def test_good_site_huge_and_slow_endpoints_through_the_verify_client(tmp_path: Path) -> None:
    """The bad-input endpoints: a 100 MB body is cut at the cap, a slow answer times out."""
    import time

    from launchready.verify.http import HttpClient, parse_connect_to

    with BadSsl(tmp_path) as bed:
        client = HttpClient(overrides=[parse_connect_to(a) for a in bed.connect_to_args()],
                            ca_bundle=bed.ca_bundle, timeout=0.5, max_body=256 * 1024)
        start = time.monotonic()
        huge = client.fetch("https://good.badssl.test/huge")
        assert time.monotonic() - start < 5
        assert huge.response is not None and huge.response.body_truncated
        slow = client.fetch("https://good.badssl.test/slow")
        assert slow.response is None and slow.error
        assert client.fetch("https://good.badssl.test/down").response.status == 503

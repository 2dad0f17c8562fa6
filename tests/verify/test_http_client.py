"""The HTTP collector on its own: pinning, caps, timeouts and hostile answers."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from launchready.testbed.ca import LocalCA
from launchready.testbed.web import Route, SilentServer, Site, WebServer
from launchready.verify.dnsclient import DnsAnswer, Rcode
from launchready.verify.http import HttpClient, ResolveOverride, parse_connect_to, parse_resolve


def test_parse_resolve_and_connect_to() -> None:
    assert parse_resolve("Example.com:443:192.0.2.1") == ResolveOverride("example.com", 443, "192.0.2.1")
    assert parse_resolve("example.com:443:[2001:db8::1]").address == "2001:db8::1"
    assert parse_connect_to("a.test:443:127.0.0.1:8443").endpoint == ("127.0.0.1", 8443)
    assert parse_resolve("Straße.test:443:127.0.0.1").host == "xn--strae-oqa.test"
    for bad in ("example.com", "example.com:x:1.2.3.4", "example.com:443:not-an-ip", ":443:1.2.3.4"):
        with pytest.raises(ValueError):
            parse_resolve(bad)
    with pytest.raises(ValueError):
        parse_connect_to("a.test:443:127.0.0.1")


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    ca = LocalCA(tmp_path_factory.mktemp("http-ca"))
    site = Site("site.test", ca.issue(["site.test"]), http_redirect=False, routes={
        "/big": Route(stream_bytes=100 * 1024 * 1024, content_type="text/plain"),
        "/slow": Route(body="late", delay=3.0),
        "/js": Route(body="x", content_type="application/octet-stream"),
    })
    with WebServer([site]) as server:
        yield server


def client_for(port: int, **kw: object) -> HttpClient:
    return HttpClient(None, overrides=[ResolveOverride("site.test", 80, "127.0.0.1", port)], **kw)  # type: ignore[arg-type]


@pytest.mark.integration
def test_connect_to_keeps_the_host_header(plain: WebServer) -> None:
    exchange = client_for(plain.http_port).fetch("http://site.test/")
    assert exchange.response is not None and exchange.response.status == 200  # 421 if Host were wrong
    assert exchange.response.address == f"127.0.0.1:{plain.http_port}"


@pytest.mark.integration
def test_a_100mb_body_is_read_only_up_to_the_cap(plain: WebServer) -> None:
    started = time.monotonic()
    exchange = client_for(plain.http_port, max_body=256 * 1024).fetch("http://site.test/big")
    assert exchange.response is not None
    assert exchange.response.body_truncated and len(exchange.response.body) == 256 * 1024
    assert time.monotonic() - started < 3


@pytest.mark.integration
def test_non_text_bodies_are_not_read(plain: WebServer) -> None:
    exchange = client_for(plain.http_port).fetch("http://site.test/js")
    assert exchange.response is not None and exchange.response.body == ""


@pytest.mark.integration
def test_a_slow_answer_is_an_error_after_the_timeout(plain: WebServer) -> None:
    started = time.monotonic()
    exchange = client_for(plain.http_port, timeout=0.5).fetch("http://site.test/slow")
    assert exchange.response is None and "within 0.5s" in (exchange.error or "")
    assert time.monotonic() - started < 2


@pytest.mark.integration
def test_a_silent_server_is_an_error_not_a_hang() -> None:
    with SilentServer() as silent:
        started = time.monotonic()
        exchange = client_for(silent.port, timeout=0.5).fetch("http://site.test/")
    assert exchange.response is None and "no answer" in (exchange.error or "")
    assert time.monotonic() - started < 2


def test_an_unresolvable_or_refused_host_is_an_error() -> None:
    client = HttpClient(None, overrides=[ResolveOverride("site.test", 80, "127.0.0.1", 9)], timeout=0.5)
    exchange = client.fetch("http://site.test/")
    assert exchange.response is None and exchange.error
    assert client.fetch("gopher://site.test/").error == "not an http(s) URL: 'gopher://site.test/'"


@pytest.fixture
def raw_server() -> Iterator[tuple[int, list[bytes]]]:
    """Answers every connection with the next canned byte string (hostile servers)."""
    answers: list[bytes] = []
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1)
                try:
                    conn.recv(65536)
                    conn.sendall(answers.pop(0) if answers else b"")
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield sock.getsockname()[1], answers
    stop.set()
    thread.join(2)
    sock.close()


@pytest.mark.integration
def test_invalid_header_bytes_and_garbage_are_clear_results(raw_server: tuple[int, list[bytes]]) -> None:
    port, answers = raw_server
    client = client_for(port, timeout=1.0)
    answers.append(b"HTTP/1.1 200 OK\r\nX-Bad: \xff\xfe\x01\x1b[31m\r\nContent-Type: text/html\r\n"
                   b"Content-Length: 2\r\nConnection: close\r\n\r\nok")
    exchange = client.fetch("http://site.test/")
    assert exchange.response is not None and exchange.response.status == 200
    assert exchange.response.header("x-bad") is not None and exchange.response.body == "ok"
    answers.append(b"this is not HTTP at all\r\n\r\n")
    garbage = client.fetch("http://site.test/")
    assert garbage.response is None and garbage.error
    answers.append(b"HTTP/1.1 301 Moved\r\nLocation: javascript:alert(1)\r\nContent-Length: 0\r\n\r\n")
    chain = client.follow("http://site.test/")
    assert chain.stop == "redirect to a non-HTTP scheme (javascript:)"


class _Dns:
    def __init__(self, rcode: Rcode) -> None:
        self.rcode = rcode

    def query(self, name: str, rdtype: str) -> DnsAnswer:
        return DnsAnswer(name, rdtype, self.rcode, error="boom" if self.rcode is Rcode.SERVFAIL else None)


def test_a_failed_lookup_is_not_reported_as_an_unresolvable_name() -> None:
    failed = HttpClient(_Dns(Rcode.SERVFAIL), timeout=1).fetch("https://site.test/")
    assert failed.error == "could not resolve site.test (A: boom; AAAA: boom)"
    missing = HttpClient(_Dns(Rcode.NXDOMAIN), timeout=1).fetch("https://site.test/")
    assert missing.error is not None and "does not resolve" in missing.error


def test_connect_to_errors_quote_the_whole_value_and_its_form() -> None:
    with pytest.raises(ValueError) as short:
        parse_connect_to("a.test:1:2")
    assert str(short.value) == ("'a.test:1:2': expected HOST:PORT:ADDR:PORT, "
                                "e.g. example.com:443:127.0.0.1:8443")
    with pytest.raises(ValueError) as bad_ip:
        parse_connect_to("a.test:443:not-ip:8443")
    assert str(bad_ip.value) == "'a.test:443:not-ip:8443': 'not-ip' is not an IP address"

"""HTTP and HTTPS servers on loopback that serve configurable "sites" by host name.

One ``WebServer`` listens on an HTTPS port and (optionally) an HTTP port of one loopback
address and serves any number of ``Site``s: the certificate is chosen by SNI
(``SSLContext.sni_callback``), the answer by the Host header. A host without a site gets the
first site's certificate (a natural "wrong host") and a 421.

TLS versions are per server (OpenSSL fixes them before SNI is known), so a site that must
offer TLS 1.0/1.1 lives on its own ``WebServer(tls_min="1.0")``. Offering 1.0/1.1 needs
``@SECLEVEL=0`` on OpenSSL 3 (checked on OpenSSL 3.0: 1.0 and 1.1 then negotiate on
loopback); the testbed's server contexts always use it so that weak keys and SHA-1
certificates can be served at all.

Also here: ``SilentServer`` (accepts TCP, never answers) for timeout tests. Bodies of
``Route(stream_bytes=...)`` are generated lazily, so a 100 MB answer costs no memory.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal

from launchready.testbed.ca import IssuedCert

TlsVersionName = Literal["1.0", "1.1", "1.2", "1.3"]
TLS_VERSIONS: dict[TlsVersionName, ssl.TLSVersion] = {
    "1.0": ssl.TLSVersion.TLSv1,
    "1.1": ssl.TLSVersion.TLSv1_1,
    "1.2": ssl.TLSVersion.TLSv1_2,
    "1.3": ssl.TLSVersion.TLSv1_3,
}
LENIENT_CIPHERS = "DEFAULT:@SECLEVEL=0"
_CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True)
class Route:
    """One path's answer."""

    status: int = 200
    body: str = ""
    content_type: str = "text/html; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()
    location: str | None = None
    delay: float = 0.0
    """Seconds to wait before answering (slow monitor URLs)."""
    stream_bytes: int = 0
    """When set, the body is this many bytes generated lazily (the 100 MB endpoint)."""


@dataclass(slots=True)
class Site:
    """What one host name serves. ``headers`` go on every HTTPS answer (HSTS, CSP, ...)."""

    host: str
    cert: IssuedCert | None = None
    send_chain: bool = True
    """False serves the leaf without its intermediate (an incomplete chain)."""
    headers: dict[str, str] = field(default_factory=dict)
    home: str = "<!doctype html><title>ok</title><p>launchready testbed</p>"
    cookies: list[str] = field(default_factory=list)
    """Set-Cookie values sent with the home page."""
    routes: dict[str, Route] = field(default_factory=dict)
    redirect: str | None = None
    """Every request on this host redirects here; ``{path}`` is replaced by path and query."""
    redirect_status: int = 301
    http_redirect: bool = True
    """http:// answers 301 to https:// on the same host (False serves the site over HTTP)."""

    def answer(self, path: str, *, tls: bool, https_port: int) -> Route:
        """The route for one request (redirects first, then the path table, then home)."""
        if not tls and self.http_redirect:
            port = "" if https_port == 443 else f":{https_port}"
            return Route(status=301, location=f"https://{self.host}{port}{path}")
        if self.redirect is not None:
            return Route(status=self.redirect_status, location=self.redirect.replace("{path}", path))
        bare = path.split("?", 1)[0]
        if bare == "/":  # the home page carries the site's cookies, even when routed
            cookies = tuple(("Set-Cookie", cookie) for cookie in self.cookies)
            route = self.routes.get("/") or Route(body=self.home)
            return replace(route, headers=route.headers + cookies)
        if bare in self.routes:
            return self.routes[bare]
        return Route(status=404, body="not found", content_type="text/plain; charset=utf-8")


def server_context(cert: IssuedCert, *, send_chain: bool = True, tls_min: TlsVersionName = "1.2",
                   tls_max: TlsVersionName = "1.3") -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.set_ciphers(LENIENT_CIPHERS)
    with warnings.catch_warnings():  # TLS 1.0/1.1 are deprecated; offering them is the scenario
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = TLS_VERSIONS[tls_min]
        ctx.maximum_version = TLS_VERSIONS[tls_max]
    ctx.load_cert_chain(str(cert.chain_path if send_chain else cert.leaf_path), str(cert.key_path))
    return ctx


class _Handler(BaseHTTPRequestHandler):
    server: _SiteHttpServer
    protocol_version = "HTTP/1.1"
    server_version = "launchready-testbed"

    def version_string(self) -> str:
        return self.server_version

    def do_GET(self) -> None:
        self._serve(body=True)

    def do_HEAD(self) -> None:
        self._serve(body=False)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(min(length, 1 << 20))
        self._serve(body=True)

    def _serve(self, *, body: bool) -> None:
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0].strip("[]").lower().rstrip(".")
        site = self.server.owner.sites.get(host)
        if site is None:
            route = Route(status=421, body=f"no site for {host!r}", content_type="text/plain")
        else:
            route = site.answer(self.path, tls=self.server.tls, https_port=self.server.owner.https_port)
        if route.delay:
            time.sleep(route.delay)
        payload = route.body.encode()
        self.send_response(route.status)
        self.send_header("Content-Type", route.content_type)
        self.send_header("Content-Length", str(route.stream_bytes or len(payload)))
        if route.location is not None:
            self.send_header("Location", route.location)
        if site is not None and self.server.tls:
            for name, value in site.headers.items():
                self.send_header(name, value)
        for name, value in route.headers:
            self.send_header(name, value)
        self.end_headers()
        if not body:
            return
        if route.stream_bytes:
            self._stream(route.stream_bytes)
        else:
            self.wfile.write(payload)

    def _stream(self, size: int) -> None:
        chunk = b"x" * _CHUNK
        sent = 0
        try:
            while sent < size:
                piece = chunk[: min(_CHUNK, size - sent)]
                self.wfile.write(piece)
                sent += len(piece)
        except (OSError, ssl.SSLError):
            self.close_connection = True  # the client stopped reading: that is the point

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read results, not access logs."""


class _SiteHttpServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], owner: WebServer, context: ssl.SSLContext | None):
        self.owner = owner
        self.context = context
        self.tls = context is not None
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.address_family = family
        super().__init__(address, _Handler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        """TLS handshake here, in the connection's own thread, so a slow client blocks nobody."""
        if self.context is not None:
            request.settimeout(10)
            try:
                request = self.context.wrap_socket(request, server_side=True)
            except (OSError, ssl.SSLError):
                return  # a probe with a version we do not offer, or a client that gave up
        try:
            super().finish_request(request, client_address)
        except (OSError, ssl.SSLError):
            return

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up mid-answer are normal here; stay quiet."""


class WebServer:
    """Context manager serving ``sites`` over HTTPS (and HTTP unless ``http=False``).

    ``host`` is the loopback address to bind; ports default to ephemeral ones (read
    ``https_port``/``http_port``). Binding 443/80 on a private 127.x.y.z address needs root or
    CAP_NET_BIND_SERVICE; ``Sandbox`` tries that and falls back to ephemeral ports.
    """

    def __init__(self, sites: Iterable[Site], *, host: str = "127.0.0.1", https_port: int = 0,
                 http_port: int = 0, http: bool = True, tls_min: TlsVersionName = "1.2",
                 tls_max: TlsVersionName = "1.3") -> None:
        self.sites: dict[str, Site] = {}
        self.host = host
        self.tls_min: TlsVersionName = tls_min
        self.tls_max: TlsVersionName = tls_max
        self._ports = (https_port, http_port)
        self._want_http = http
        self._contexts: dict[str, ssl.SSLContext] = {}
        self._servers: list[_SiteHttpServer] = []
        self._threads: list[threading.Thread] = []
        self.https_port = 0
        self.http_port = 0
        for site in sites:
            self.add_site(site)

    def add_site(self, site: Site) -> None:
        """Serve one more host (also while running)."""
        host = site.host.lower().rstrip(".")
        self.sites[host] = site
        if site.cert is not None:
            self._contexts[host] = server_context(site.cert, send_chain=site.send_chain,
                                                  tls_min=self.tls_min, tls_max=self.tls_max)

    def _sni(self, sock: ssl.SSLObject | ssl.SSLSocket, server_name: str | None,
             _ctx: ssl.SSLContext) -> None:
        chosen = self._contexts.get((server_name or "").lower().rstrip("."))
        if chosen is not None:
            sock.context = chosen

    def _default_context(self) -> ssl.SSLContext:
        if not self._contexts:
            raise ValueError("an HTTPS server needs at least one site with a certificate")
        first = next(iter(self._contexts.values()))
        first.sni_callback = self._sni
        return first

    def start(self) -> None:
        """Bind and serve; on a bind error nothing is left listening and OSError propagates."""
        context = self._default_context()
        https = _SiteHttpServer((self.host, self._ports[0]), self, context)
        if self._want_http:
            try:
                plain = _SiteHttpServer((self.host, self._ports[1]), self, None)
            except OSError:
                https.server_close()
                raise
            self._servers.append(plain)
            self.http_port = int(plain.server_address[1])
        self._servers.insert(0, https)
        self.https_port = int(https.server_address[1])
        for server in self._servers:
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                                      daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers.clear()
        self._threads.clear()

    def __enter__(self) -> WebServer:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def url(self, host: str, path: str = "/", *, tls: bool = True) -> str:
        port = self.https_port if tls else self.http_port
        default = 443 if tls else 80
        suffix = "" if port == default else f":{port}"
        return f"{'https' if tls else 'http'}://{host}{suffix}{path}"

    def resolve_args(self, hosts: Iterable[str] | None = None) -> list[str]:
        """curl ``--resolve`` form ``HOST:PORT:ADDR`` for the ports actually listening.

        Equivalent to plain https:// URLs only when the server holds 443/80; otherwise use
        ``connect_to_args``.
        """
        out = []
        for host in hosts if hosts is not None else self.sites:
            for port in (self.https_port, self.http_port):
                if port:
                    out.append(f"{host}:{port}:{self._bracketed}")
        return out

    def connect_to_args(self, hosts: Iterable[str] | None = None) -> list[str]:
        """curl ``--connect-to`` form ``HOST:443:ADDR:PORT`` (and ``:80:`` for HTTP)."""
        out = []
        for host in hosts if hosts is not None else self.sites:
            for standard, port in ((443, self.https_port), (80, self.http_port)):
                if port:
                    out.append(f"{host}:{standard}:{self._bracketed}:{port}")
        return out

    @property
    def _bracketed(self) -> str:
        return f"[{self.host}]" if ":" in self.host else self.host


class SilentServer:
    """Accepts TCP connections and never says a word (the "server that hangs" case)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._sock = socket.socket(family, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        self.host = host
        self.port = int(self._sock.getsockname()[1])
        self._held: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        self._sock.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._held.append(conn)

    def __enter__(self) -> SilentServer:
        self._sock.listen(64)
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for conn in self._held:
            with contextlib.suppress(OSError):
                conn.close()
        self._sock.close()


def security_headers(*, hsts: str | None = "max-age=31536000; includeSubDomains",
                     csp: str | None = "default-src 'self'; script-src 'self'; object-src 'none'; "
                                       "frame-ancestors 'none'",
                     extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A launch-ready header set; pass ``None`` to leave one out."""
    headers = {
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    }
    if hsts is not None:
        headers["Strict-Transport-Security"] = hsts
    if csp is not None:
        headers["Content-Security-Policy"] = csp
    headers.update(extra or {})
    return headers

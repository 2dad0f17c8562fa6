"""The HTTP collector: one request per hop, a size cap on bodies, a timeout on every step.

Connections go where the run says, not where the system resolver says: a ``--resolve
HOST:PORT:ADDR`` override first (like curl's), then the run's own DNS client (so ``--nameserver``
covers HTTP too). SNI, certificate host name and the Host header always stay the URL's host.
Redirects are never followed by requests; ``follow`` records each hop so checks can judge the
chain. Failures come back as data (``HttpExchange.error``), never as exceptions.

``AddressBook`` and ``PinnedAdapter`` are public so the app probes' session connects exactly
where verify does (one implementation of the before-cutover flags).
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.util import connection as urllib3_connection

from launchready.verify.dnsclient import Lookup
from launchready.verify.observations import HttpExchange, HttpResponse, RedirectChain
from launchready.verify.resolver import to_ascii

USER_AGENT = "launchready-verify/0.1 (+https://github.com/launchready)"
DEFAULT_MAX_BODY = 1024 * 1024
_CHUNK = 16 * 1024
_TEXT_TYPES = ("text/", "application/xhtml", "application/json", "application/xml")

Endpoint = tuple[str, int]
AddressFor = Callable[[str, int], "Endpoint | None"]


class ResolveFailed(Exception):
    """The name's A/AAAA lookups failed (timeout, SERVFAIL): unknown, unlike a name with no address."""


@dataclass(frozen=True, slots=True)
class ResolveOverride:
    """Connections to ``host:port`` go to ``address`` (and ``connect_port``, default the same port)."""

    host: str
    port: int
    address: str
    connect_port: int | None = None

    @property
    def endpoint(self) -> Endpoint:
        return (self.address, self.connect_port or self.port)


_RESOLVE_FORM = "HOST:PORT:ADDR, e.g. example.com:443:192.0.2.10"
_CONNECT_TO_FORM = "HOST:PORT:ADDR:PORT, e.g. example.com:443:127.0.0.1:8443"


def parse_resolve(text: str) -> ResolveOverride:
    """``HOST:PORT:ADDR`` (ADDR may be ``[IPv6]`` or a bare IPv6 address); ValueError with a reason."""
    return _parse_host_port_addr(text.strip(), text, _RESOLVE_FORM)


def parse_connect_to(text: str) -> ResolveOverride:
    """curl's ``--connect-to`` form ``HOST:PORT:ADDR:PORT2`` (ADDR an IP; ``[IPv6]`` allowed)."""
    head, sep, port2 = text.strip().rpartition(":")
    if not sep or not port2.isdigit() or not 0 < int(port2) < 65536:
        raise ValueError(f"{text!r}: expected {_CONNECT_TO_FORM}")
    base = _parse_host_port_addr(head, text, _CONNECT_TO_FORM)
    return ResolveOverride(base.host, base.port, base.address, int(port2))


def _parse_host_port_addr(part: str, text: str, form: str) -> ResolveOverride:
    """``HOST:PORT:ADDR`` out of ``part``; errors quote the whole option value ``text`` and its ``form``."""
    host, sep, rest = part.partition(":")
    port_text, sep2, address = rest.partition(":")
    if not sep or not sep2 or not host:
        raise ValueError(f"{text!r}: expected {form}")
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"{text!r}: port must be 1-65535")
    address = address.strip("[]")
    try:
        ipaddress.ip_address(address)
    except ValueError:
        raise ValueError(f"{text!r}: {address!r} is not an IP address") from None
    try:
        name = to_ascii(host).rstrip(".")
    except ValueError as exc:
        raise ValueError(f"{text!r}: {exc}") from None
    return ResolveOverride(name, int(port_text), address)


class AddressBook:
    """Where a connection to ``host:port`` really goes, the same way for every HTTP user.

    An override (``--resolve`` / ``--connect-to``) first, then an IP literal as is, then the
    run's DNS client (``--nameserver``); without one, the name is left to the system resolver.
    Callable as an ``AddressFor``, so it plugs straight into ``PinnedAdapter``.
    """

    def __init__(self, lookup: Lookup | None = None, overrides: Sequence[ResolveOverride] = ()) -> None:
        self.lookup = lookup
        self.overrides: dict[tuple[str, int], Endpoint] = {(o.host, o.port): o.endpoint for o in overrides}

    def __call__(self, host: str, port: int) -> Endpoint | None:
        """None when the name does not resolve (no A/AAAA record); ``ResolveFailed`` when the
        lookups themselves failed, so a DNS outage is never mistaken for an unserved name."""
        host = host.strip("[]").lower().rstrip(".")
        if (host, port) in self.overrides:
            return self.overrides[(host, port)]
        try:
            ipaddress.ip_address(host)
        except ValueError:
            pass
        else:
            return (host, port)
        if self.lookup is None:
            return (host, port)  # leave it to the system resolver
        failures = []
        for rdtype in ("A", "AAAA"):
            answer = self.lookup.query(host, rdtype)
            if answer.records:
                return (answer.records[0], port)
            if not answer.ok:
                failures.append(f"{rdtype}: {answer.error or answer.rcode.name}")
        if failures:
            raise ResolveFailed(f"could not resolve {host} ({'; '.join(failures)})")
        return None


class HttpClient:
    """Fetches URLs the way the checks need; safe to share between threads."""

    def __init__(
        self,
        lookup: Lookup | None = None,
        *,
        overrides: Sequence[ResolveOverride] = (),
        ca_bundle: str | None = None,
        timeout: float = 5.0,
        max_body: int = DEFAULT_MAX_BODY,
    ) -> None:
        self.lookup = lookup
        self._addresses = AddressBook(lookup, overrides)
        self.overrides = self._addresses.overrides
        self.ca_bundle = ca_bundle
        self.timeout = timeout
        self.max_body = max_body

    def address_for(self, host: str, port: int) -> Endpoint | None:
        """Where a connection to host:port goes; None when the name does not resolve."""
        return self._addresses(host, port)

    def fetch(self, url: str, *, method: str = "GET", read_body: bool = True,
              allow_unverified: bool = True) -> HttpExchange:
        """One request, no redirects; a certificate that does not verify is retried unverified
        so header checks still see the answer (``tls_verified`` says so; TLS checks judge it)."""
        exchange = self._fetch(url, method, read_body, verify=True)
        if allow_unverified and exchange.error and exchange.error.startswith("TLS:"):
            retry = self._fetch(url, method, read_body, verify=False)
            if retry.response is not None:
                return retry
        return exchange

    def follow(self, url: str, *, max_hops: int = 10, read_body: bool = True) -> RedirectChain:
        """Every hop until a final answer, an error, a loop, a non-HTTP Location or ``max_hops``."""
        hops: list[HttpExchange] = []
        seen = {url}
        current = url
        while True:
            exchange = self.fetch(current, read_body=read_body)
            hops.append(exchange)
            response = exchange.response
            if response is None or not response.is_redirect:
                return RedirectChain(url, tuple(hops))
            target = urljoin(current, (response.location or "").strip())
            scheme = urlsplit(target).scheme.lower()
            if scheme not in ("http", "https"):
                stop = f"redirect to a non-HTTP scheme ({scheme or 'none'}:)"
                return RedirectChain(url, tuple(hops), stop=stop)
            if target in seen:
                return RedirectChain(url, tuple(hops), stop=f"redirect loop: {target} was already visited")
            if len(hops) >= max_hops:
                return RedirectChain(url, tuple(hops), stop=f"more than {max_hops} redirects")
            seen.add(target)
            current = target

    # -- internals -------------------------------------------------------------------

    def _fetch(self, url: str, method: str, read_body: bool, *, verify: bool) -> HttpExchange:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return HttpExchange(url, error=f"not an http(s) URL: {url!r}")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            endpoint = self.address_for(parts.hostname, port)
        except ResolveFailed as exc:
            return HttpExchange(url, error=str(exc))
        if endpoint is None:
            return HttpExchange(url, error=f"{parts.hostname} does not resolve (no A/AAAA record)")
        address = _show(endpoint)
        session = requests.Session()
        session.trust_env = False  # no proxies or netrc credentials from the environment
        adapter = PinnedAdapter(self._addresses)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        started = time.monotonic()
        try:
            response = session.request(
                method, url, allow_redirects=False, stream=True,
                timeout=(self.timeout, self.timeout),
                verify=(self.ca_bundle or True) if verify else False,
                headers={"User-Agent": USER_AGENT, "Accept": "text/html,*/*;q=0.8"},
            )
            try:
                elapsed_ms = (time.monotonic() - started) * 1000
                headers = tuple((str(k), str(v)) for k, v in response.raw.headers.items())
                body, truncated = "", False
                if read_body and method != "HEAD" and not _redirect(response.status_code):
                    body, truncated = self._read_body(response, started)
            finally:
                response.close()
        except requests.exceptions.SSLError as exc:
            return HttpExchange(url, error=f"TLS: {_reason(exc)}")
        except requests.exceptions.ConnectTimeout:
            return HttpExchange(url, error=f"connect to {address} timed out after {self.timeout:g}s")
        except (requests.exceptions.ReadTimeout, TimeoutError):
            return HttpExchange(url, error=f"no answer from {address} within {self.timeout:g}s")
        except requests.exceptions.RequestException as exc:
            return HttpExchange(url, error=f"{type(exc).__name__}: {_reason(exc)}")
        except Exception as exc:  # a hostile or broken server must not surface as a traceback
            return HttpExchange(url, error=f"{type(exc).__name__}: {exc}")
        return HttpExchange(url, HttpResponse(
            url=url, status=response.status_code, headers=headers, body=body, body_truncated=truncated,
            elapsed_ms=round(elapsed_ms, 1), address=address, tls_verified=verify,
        ))

    def _read_body(self, response: requests.Response, started: float) -> tuple[str, bool]:
        """Text bodies only, at most ``max_body`` bytes and three timeouts seconds."""
        content_type = response.headers.get("content-type", "text/html").lower()
        if not content_type.startswith(_TEXT_TYPES):
            return "", False
        chunks: list[bytes] = []
        size = 0
        truncated = False
        deadline = started + 3 * self.timeout
        for chunk in response.raw.stream(_CHUNK, decode_content=True):
            chunks.append(chunk)
            size += len(chunk)
            if size >= self.max_body or time.monotonic() > deadline:
                truncated = True
                break
        data = b"".join(chunks)[: self.max_body]
        encoding = response.encoding if "charset=" in content_type and response.encoding else "utf-8"
        try:
            return data.decode(encoding, errors="replace"), truncated
        except LookupError:
            return data.decode("utf-8", errors="replace"), truncated


def _redirect(status: int) -> bool:
    return status in (301, 302, 303, 307, 308)


def _reason(exc: BaseException) -> str:
    """The innermost useful message of requests' nested exceptions."""
    inner: Any = exc.args[0] if exc.args else exc
    reason = getattr(inner, "reason", None)
    if reason is not None:
        inner = reason
    text = str(inner)
    if "Failed to establish a new connection:" in text:
        text = text.split("Failed to establish a new connection:", 1)[1].strip()
    return text.replace("\n", " ")[:300]


def _show(endpoint: Endpoint) -> str:
    address, port = endpoint
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def _connect(conn: HTTPConnection, address_for: AddressFor) -> socket.socket:
    try:
        endpoint = address_for(conn.host, conn.port or 80)
    except ResolveFailed as exc:
        raise NewConnectionError(conn, str(exc)) from None
    if endpoint is None:
        raise NewConnectionError(conn, f"{conn.host} does not resolve (no A/AAAA record)")
    try:
        return urllib3_connection.create_connection(
            endpoint, conn.timeout, source_address=conn.source_address,
            socket_options=conn.socket_options,
        )
    except TimeoutError as exc:
        raise ConnectTimeoutError(conn, f"connect to {_show(endpoint)} timed out") from exc
    except OSError as exc:
        raise NewConnectionError(conn, f"cannot connect to {_show(endpoint)}: {exc}") from exc


class PinnedAdapter(HTTPAdapter):
    """A requests adapter whose connections dial ``address_for(host, port)`` but speak to ``host``.

    This is how ``--resolve`` / ``--connect-to`` / ``--nameserver`` reach every HTTP user (the
    verify collector and the app probes): mount it on a ``requests.Session`` for ``http://`` and
    ``https://`` and URLs stay as they are, so SNI, the certificate host name check and the Host
    header all keep the URL's host while the TCP connection goes to the chosen address. It never
    retries (``max_retries=0``); when ``address_for`` returns None the request fails with a
    connection error naming the host.
    """

    def __init__(self, address_for: AddressFor) -> None:
        self._address_for = address_for
        super().__init__(max_retries=0)

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False,
                         **pool_kwargs: Any) -> None:
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        address_for = self._address_for

        class _Http(HTTPConnection):
            def _new_conn(self) -> socket.socket:
                return _connect(self, address_for)

        class _Https(HTTPSConnection):
            def _new_conn(self) -> socket.socket:
                return _connect(self, address_for)

        class _HttpPool(HTTPConnectionPool):
            ConnectionCls = _Http

        class _HttpsPool(HTTPSConnectionPool):
            ConnectionCls = _Https

            def _validate_conn(self, conn: Any) -> None:
                # urllib3 warns on every unverified request; ours are deliberate (headers are
                # still judged behind a bad certificate) and recorded as tls_verified=False.
                # A per-request catch_warnings() would mutate process-wide state per thread.
                HTTPConnectionPool._validate_conn(self, conn)
                if conn.is_closed:
                    conn.connect()

        self.poolmanager.pool_classes_by_scheme = {"http": _HttpPool, "https": _HttpsPool}


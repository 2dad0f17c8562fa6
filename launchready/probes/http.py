"""A bounded HTTP client for the app probes.

Probes talk to someone's live application, so every request goes through here: a per-run
budget, a timeout on every request, no redirect ever followed off the target host, writes
only to the (method, path) pairs the spec lists, bodies read up to a cap, and a record of
every request so ``--plan`` can list them without sending anything. Headers that may carry a
token or signature are redacted in the record.
"""

from __future__ import annotations

import json as jsonlib
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import requests

from launchready.redact import redact

READ_ONLY = frozenset({"GET", "HEAD", "OPTIONS"})
SAFE_HEADERS = frozenset(
    {
        "origin",
        "content-type",
        "accept",
        "access-control-request-method",
        "access-control-request-headers",
        "x-github-event",
        "x-github-delivery",
        "webhook-id",
        "webhook-timestamp",
        "svix-id",
        "svix-timestamp",
        "x-slack-request-timestamp",
        "user-agent",
    }
)
USER_AGENT = "launchready-probe/0.1 (+launch readiness check)"


class BudgetExhausted(Exception):
    """The run's request budget is spent; the probe reports an error instead of sending more."""


class DeadlineReached(Exception):
    """The run's deadline has passed; the probe reports an error instead of sending more."""


class UnsafeRequest(Exception):
    """A probe tried to write somewhere the spec does not list: a bug, never sent."""


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request and what came back; status 0 means no response (error, or plan mode)."""

    method: str
    url: str
    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    """Response headers, names lower-cased."""
    body: bytes = b""
    error: str = ""
    truncated: bool = False

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def answered(self) -> bool:
        return self.status > 0


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """What a request was (or would be, in plan mode), safe to print."""

    probe: str
    method: str
    url: str
    headers: Mapping[str, str]
    body_bytes: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "probe": self.probe,
            "method": self.method,
            "url": self.url,
            "headers": dict(self.headers),
            "body_bytes": self.body_bytes,
        }


def _safe_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: (v if k.lower() in SAFE_HEADERS else redact(v)) for k, v in headers.items()}


class ProbeClient:
    """Sends (or, with ``dry_run``, only records) the probes' requests against one target."""

    def __init__(
        self,
        base_url: str,
        *,
        budget: int = 500,
        timeout: float = 5.0,
        dry_run: bool = False,
        writable: Iterable[tuple[str, str]] = (),
        max_body: int = 2_000_000,
        session: requests.Session | None = None,
        deadline: float | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"base URL must be http(s)://host[:port], got {base_url!r}")
        self._origin = (parts.scheme, parts.netloc.lower())
        self._prefix = parts.path
        self.budget = budget
        self.timeout = timeout
        self.deadline = deadline
        """``time.monotonic()`` after which nothing is sent; each request waits at most the time left."""
        self.dry_run = dry_run
        self.max_body = max_body
        self._writable = {(m.upper(), p) for m, p in writable}
        self._session = session or requests.Session()
        self._session.trust_env = False  # never route probes through an ambient proxy
        self.records: list[RequestRecord] = []

    @property
    def sent(self) -> int:
        return len(self.records)

    def url_for(self, path: str) -> str:
        """Absolute URL for a spec path (kept under the base URL's prefix)."""
        return f"{self.base_url}{path}" if path.startswith("/") else urljoin(self.base_url + "/", path)

    def on_target(self, url: str) -> bool:
        parts = urlsplit(url)
        return (parts.scheme, parts.netloc.lower()) == self._origin

    def request(
        self,
        probe: str,
        method: str,
        path_or_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        data: bytes | None = None,
        follow: bool = False,
    ) -> Exchange:
        """One bounded request; network failures come back as an Exchange with ``error``."""
        method = method.upper()
        url = path_or_url if "://" in path_or_url else self.url_for(path_or_url)
        if not self.on_target(url):
            return Exchange(method, url, 0, error="not fetched: outside the target host")
        if method not in READ_ONLY and (method, self._path_of(url)) not in self._writable:
            raise UnsafeRequest(f"{method} {self._path_of(url)} is not a write the spec lists")
        if params:
            url = f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"
        send_headers = {"User-Agent": USER_AGENT, **(headers or {})}
        if json is not None:
            data = jsonlib.dumps(json).encode()
            send_headers.setdefault("Content-Type", "application/json")
        exchange = self._send(probe, method, url, send_headers, data)
        hops = 0
        while follow and method in ("GET", "HEAD") and exchange.status in (301, 302, 303, 307, 308):
            location = exchange.header("location")
            hops += 1
            if not location or hops > 3:
                break
            target = urljoin(exchange.url, location)
            if not self.on_target(target):
                break  # reported as the 3xx it is; never followed off the host
            exchange = self._send(probe, method, target, send_headers, None)
        return exchange

    def _path_of(self, url: str) -> str:
        path = urlsplit(url).path
        return path[len(self._prefix) :] if self._prefix and path.startswith(self._prefix) else path

    def _send(
        self, probe: str, method: str, url: str, headers: Mapping[str, str], data: bytes | None
    ) -> Exchange:
        if len(self.records) >= self.budget:
            raise BudgetExhausted(f"request budget of {self.budget} spent")
        timeout = self.timeout
        if self.deadline is not None and not self.dry_run:
            timeout = min(timeout, self.deadline - time.monotonic())
            if timeout <= 0:
                raise DeadlineReached("run deadline reached")
        self.records.append(RequestRecord(probe, method, url, _safe_headers(headers), len(data or b"")))
        if self.dry_run:
            return Exchange(method, url, 0, error="plan only: not sent")
        deadline = time.monotonic() + timeout
        try:
            with self._session.request(
                method,
                url,
                headers=dict(headers),
                data=data,
                timeout=(timeout, timeout),
                allow_redirects=False,
                stream=True,
            ) as resp:
                body, truncated = self._read(resp, deadline, timeout)
                resp_headers = {k.lower(): v for k, v in resp.headers.items()}
                return Exchange(method, url, resp.status_code, resp_headers, body, truncated=truncated)
        except requests.RequestException as exc:
            return Exchange(method, url, 0, error=f"{type(exc).__name__}: {_first_line(exc)}")
        except TimeoutError as exc:
            return Exchange(method, url, 0, error=f"timed out: {exc}")

    def _read(self, resp: requests.Response, deadline: float, timeout: float) -> tuple[bytes, bool]:
        chunks: list[bytes] = []
        size = 0
        for chunk in resp.iter_content(65536):
            chunks.append(chunk)
            size += len(chunk)
            if size > self.max_body:
                return b"".join(chunks)[: self.max_body], True
            if time.monotonic() > deadline:
                raise TimeoutError(f"body not read within {timeout:g}s")
        return b"".join(chunks), False


def _first_line(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]

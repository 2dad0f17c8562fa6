"""What the collectors saw, as frozen data: the only input of the pure evaluators.

Nothing here talks to the network, so checks can be tested by building an observation by
hand and changing one field (the Observatory way).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from launchready.verify.dnsclient import DnsAnswer


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """One HTTP answer; redirects are never followed here, each hop is its own response."""

    url: str
    status: int
    headers: tuple[tuple[str, str], ...] = ()
    """In order, repeated names kept (Set-Cookie); values decoded as latin-1 like http.client."""
    body: str = ""
    """Decoded text of at most the size cap; empty for HEAD and non-text bodies."""
    body_truncated: bool = False
    elapsed_ms: float = 0.0
    address: str = ""
    """The address actually connected to (after ``--resolve`` and the run's resolver)."""
    tls_verified: bool = True
    """False when the certificate did not verify and the answer was fetched without checking it."""

    def header(self, name: str) -> str | None:
        """The first value of a header, case-insensitively."""
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return None

    def header_values(self, name: str) -> list[str]:
        wanted = name.lower()
        return [value for key, value in self.headers if key.lower() == wanted]

    @property
    def location(self) -> str | None:
        return self.header("location")

    @property
    def is_redirect(self) -> bool:
        return self.status in (301, 302, 303, 307, 308) and self.location is not None


@dataclass(frozen=True, slots=True)
class HttpExchange:
    """A request and what came of it: a response, or an error with a reason (never both)."""

    url: str
    response: HttpResponse | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class RedirectChain:
    """Every hop from ``start`` until a non-redirect answer, an error, a loop or the hop limit."""

    start: str
    hops: tuple[HttpExchange, ...] = ()
    stop: str = ""
    """Why following stopped early: ``loop``, ``too many redirects``, ``non-HTTP scheme …``; empty when
    the chain ended on a final answer or an error (see the last hop)."""

    @property
    def error(self) -> str | None:
        """The observation failure that ended the chain, if any."""
        if self.hops and self.hops[-1].error:
            return self.hops[-1].error
        return None

    @property
    def first(self) -> HttpResponse | None:
        return self.hops[0].response if self.hops else None

    def evidence(self) -> list[str]:
        """One line per hop, e.g. ``301 http://a/ -> https://a/``."""
        lines = []
        for hop in self.hops:
            if hop.response is None:
                lines.append(f"error {hop.url}: {hop.error}")
            elif hop.response.is_redirect:
                lines.append(f"{hop.response.status} {hop.url} -> {hop.response.location}")
            else:
                lines.append(f"{hop.response.status} {hop.url}")
        if self.stop:
            lines.append(f"stopped: {self.stop}")
        return lines


@dataclass(frozen=True, slots=True)
class WebObservations:
    """The HTTP side of one domain."""

    canonical_host: str
    other_host: str
    http_canonical: RedirectChain
    """From ``http://<canonical>/``."""
    http_other: RedirectChain
    """From ``http://<other>/``."""
    https_other: RedirectChain
    """From ``https://<other>/<probe path>?<probe query>``: the canonical redirect."""
    home: RedirectChain
    """From ``https://<canonical>/``: headers, cookies, the home page body."""
    monitors: Mapping[str, HttpExchange] = field(default_factory=dict)
    """Monitor name → its single request (no redirects followed)."""


@dataclass(frozen=True, slots=True)
class DomainObservations:
    domain: str
    dns: Mapping[tuple[str, str], DnsAnswer] = field(default_factory=dict)
    """(name, rdtype) → answer, for every lookup the DNS checks need."""
    web: WebObservations | None = None
    """None when the HTTP checks were not selected."""

    def answer(self, name: str, rdtype: str) -> DnsAnswer | None:
        return self.dns.get((name, rdtype))

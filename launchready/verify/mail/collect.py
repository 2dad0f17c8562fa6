"""Collect phase of the mail checks: every DNS answer and policy file they need, fetched concurrently.

Each check has a collector: a generator that yields batches of requests and reads the answers
from the shared ``Gathered`` store before yielding its next batch (an SPF include's record is
needed before its own includes are known). ``gather`` runs all collectors at once, so the wall
time is the longest chain of dependent requests, not the number of requests. Evaluators then
read the frozen snapshot only, so they are pure and unit-testable offline.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass, field

from launchready.verify.dnsclient import DnsAnswer, Lookup, Rcode


class Pending(Exception):
    """Raised by a snapshot lookup for an answer the collect phase has not fetched yet."""

    def __init__(self, name: str, rdtype: str) -> None:
        super().__init__(f"{name} {rdtype}")
        self.query = (name, rdtype)


@dataclass(frozen=True, slots=True)
class DnsQuery:
    name: str
    rdtype: str


@dataclass(frozen=True, slots=True)
class HttpFetch:
    url: str


Request = DnsQuery | HttpFetch
FetchResult = tuple[int, str] | str
"""``(status, body_text)`` or, when nothing could be fetched, the reason as a string."""
HttpGet = Callable[[str], FetchResult]
"""Fetch a URL over verified HTTPS with a timeout and a body cap; return the reason or raise on failure."""
Collector = Iterator[Sequence[Request]]


def name_key(name: str) -> str:
    return name.rstrip(".").lower()


@dataclass
class Gathered:
    """Answers gathered so far; frozen in spirit once ``gather`` returns."""

    domain: str
    dns: dict[tuple[str, str], DnsAnswer] = field(default_factory=dict)
    http: dict[str, FetchResult] = field(default_factory=dict)

    def has(self, request: Request) -> bool:
        if isinstance(request, DnsQuery):
            return (name_key(request.name), request.rdtype) in self.dns
        return request.url in self.http

    def answer(self, name: str, rdtype: str) -> DnsAnswer:
        """The answer, or an ERROR answer saying it was never collected (a collector bug, not a verdict)."""
        found = self.dns.get((name_key(name), rdtype))
        if found is None:
            return DnsAnswer(name_key(name), rdtype, Rcode.ERROR, error="not collected")
        return found

    def fetched(self, url: str) -> FetchResult:
        return self.http.get(url, "not fetched")

    def snapshot(self) -> SnapshotLookup:
        return SnapshotLookup(self.dns)


class SnapshotLookup:
    """A ``Lookup`` over gathered answers; an unknown question raises ``Pending`` and is remembered."""

    def __init__(self, answers: Mapping[tuple[str, str], DnsAnswer]) -> None:
        self._answers = answers
        self.missing: list[DnsQuery] = []

    def query(self, name: str, rdtype: str) -> DnsAnswer:
        found = self._answers.get((name_key(name), rdtype))
        if found is None:
            self.missing.append(DnsQuery(name_key(name), rdtype))
            raise Pending(name, rdtype)
        return found


def _ask(lookup: Lookup, query: DnsQuery) -> DnsAnswer:
    try:
        return lookup.query(query.name, query.rdtype)
    except Exception as exc:  # the protocol says never raise; a broken Lookup must not kill the run
        return DnsAnswer(query.name, query.rdtype, Rcode.ERROR, error=f"{type(exc).__name__}: {exc}")


def _fetch(http_get: HttpGet, fetch: HttpFetch) -> FetchResult:
    try:
        return http_get(fetch.url)
    except Exception as exc:  # any transport failure is an observation failure with a reason
        return f"{type(exc).__name__}: {exc}"


def gather(
    domain: str,
    collectors: Iterable[Callable[[Gathered], Collector]],
    lookup: Lookup,
    http_get: HttpGet,
    executor: Executor,
    *,
    deadline: float | None = None,
) -> Gathered:
    """Drive every collector to completion, running independent requests concurrently.

    ``deadline`` (seconds) bounds the whole phase: requests still unanswered then are recorded
    as errors ("no answer before the deadline"), so a stuck step never hangs the run.
    """
    store = Gathered(domain)
    in_flight: dict[Request, Future[DnsAnswer | FetchResult]] = {}
    waiting: dict[int, tuple[Collector, set[Request]]] = {}
    ends = None if deadline is None else time.monotonic() + deadline

    def advance(index: int, gen: Collector) -> None:
        for batch in gen:
            needed = {request for request in batch if not store.has(request)}
            if not needed:
                continue
            for request in needed - in_flight.keys():
                if isinstance(request, DnsQuery):
                    in_flight[request] = executor.submit(_ask, lookup, request)
                else:
                    in_flight[request] = executor.submit(_fetch, http_get, request)
            waiting[index] = (gen, needed)
            return
        waiting.pop(index, None)

    def record(request: Request, value: DnsAnswer | FetchResult) -> None:
        if isinstance(request, DnsQuery):
            if not isinstance(value, DnsAnswer):
                value = DnsAnswer(request.name, request.rdtype, Rcode.ERROR, error=str(value))
            store.dns[(name_key(request.name), request.rdtype)] = value
        else:
            store.http[request.url] = value if not isinstance(value, DnsAnswer) else "no answer"

    for index, make in enumerate(collectors):
        advance(index, make(store))
    while waiting:
        left = None if ends is None else max(0.0, ends - time.monotonic())
        done, _ = wait(list(in_flight.values()), timeout=left, return_when=FIRST_COMPLETED)
        if not done:  # the deadline passed: give up on everything outstanding
            for request, future in in_flight.items():
                future.cancel()
                record(request, f"no answer before the deadline ({deadline:.2f}s)")
            in_flight.clear()
        for request, future in list(in_flight.items()):
            if future in done:
                del in_flight[request]
                try:
                    record(request, future.result())
                except BaseException as exc:  # cancelled by a shutting-down pool: an error, not a crash
                    record(request, f"not run: {type(exc).__name__}")
        for index, (gen, needed) in list(waiting.items()):
            if all(store.has(request) for request in needed):
                advance(index, gen)
    return store

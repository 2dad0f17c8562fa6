"""Collect everything the DNS and HTTP checks need for one domain, concurrently.

Questions are submitted to the run's bounded step pool; every wait is bounded by the step
budget and the run deadline, and whatever did not finish in time is recorded as an
observation failure (so the checks say ``error``, never hang and never ``fail``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, Future, wait
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlsplit

from launchready.verify.checks_http import PROBE_PATH, PROBE_QUERY
from launchready.verify.dnsclient import DnsAnswer, Lookup, Rcode
from launchready.verify.expectations import Expectation, other_of, with_canonical
from launchready.verify.http import HttpClient
from launchready.verify.observations import (
    DomainObservations,
    HttpExchange,
    RedirectChain,
    WebObservations,
)

T = TypeVar("T")
_LATE = "no answer before the step deadline"


def _late_chain(url: str) -> RedirectChain:
    return RedirectChain(url, (HttpExchange(url, error=_LATE),))


@dataclass(frozen=True, slots=True)
class Collector:
    """The shared machinery of a run: resolver, HTTP client, step pool and time limits."""

    lookup: Lookup
    http: HttpClient
    pool: Executor
    step_timeout: float
    """Longest wait for one step (a DNS question, a redirect chain)."""
    deadline: float
    """``time.monotonic()`` value after which nothing more is waited for."""

    def budget(self) -> float:
        return max(0.0, min(self.step_timeout, self.deadline - time.monotonic()))

    def run_all(self, jobs: dict[str, Callable[[], T]], on_timeout: Callable[[str], T]) -> dict[str, T]:
        """Run jobs concurrently on the pool; a job still running at the budget gets ``on_timeout``."""
        futures: dict[str, Future[T]] = {key: self.pool.submit(job) for key, job in jobs.items()}
        done, _ = wait(futures.values(), timeout=self.budget())
        out: dict[str, T] = {}
        for key, future in futures.items():
            if future in done and future.exception() is None:
                out[key] = future.result()
            else:
                future.cancel()
                out[key] = on_timeout(key)
        return out


def dns_questions(expect: Expectation, selected: set[str]) -> set[tuple[str, str]]:
    apex = expect.domain
    questions: set[tuple[str, str]] = set()
    if "dns.resolves" in selected:
        for host in (apex, f"www.{apex}"):
            questions |= {(host, "A"), (host, "AAAA")}
    if "dns.ns" in selected:
        questions.add((apex, "NS"))
    if "dns.caa" in selected:
        questions.add((apex, "CAA"))
    if "dns.dnssec" in selected:
        questions |= {(apex, "DS"), (apex, "SOA")}
    if "dns.dangling" in selected:
        questions |= {(name, "CNAME") for name in expect.dangling_names}
    return questions


def _ask(collector: Collector, questions: Iterable[tuple[str, str]]) -> dict[tuple[str, str], DnsAnswer]:
    keys = {f"{name} {rdtype}": (name, rdtype) for name, rdtype in questions}
    jobs = {key: _query(collector.lookup, *question) for key, question in keys.items()}
    answers = collector.run_all(jobs, lambda key: DnsAnswer(*keys[key], Rcode.TIMEOUT, error=_LATE))
    return {keys[key]: answer for key, answer in answers.items()}


def _query(lookup: Lookup, name: str, rdtype: str) -> Callable[[], DnsAnswer]:
    return lambda: lookup.query(name, rdtype)


def collect_dns(collector: Collector, expect: Expectation, selected: set[str]
                ) -> dict[tuple[str, str], DnsAnswer]:
    answers = _ask(collector, dns_questions(expect, selected))
    if "dns.dangling" in selected:
        targets = {a.records[0] for (name, rdtype), a in answers.items() if rdtype == "CNAME" and a.records}
        answers.update(_ask(collector, {(t, rdtype) for t in targets for rdtype in ("A", "AAAA")}))
    return answers


def detect_canonical(collector: Collector, expect: Expectation) -> tuple[Expectation, RedirectChain | None]:
    """The baseline's canonical host: www when the apex sends visitors there, else the apex."""
    if expect.canonical_host is not None:
        return expect, None
    apex, www = expect.domain, f"www.{expect.domain}"
    start = f"https://{apex}/"
    chain = collector.run_all({start: lambda: collector.http.follow(start)}, _late_chain)[start]
    first = chain.first
    to_www = first is not None and first.is_redirect and urlsplit(first.location or "").hostname == www
    apex_unserved = bool(chain.hops[0].error and "does not resolve" in chain.hops[0].error)
    canonical = www if to_www or apex_unserved else apex
    return with_canonical(expect, canonical), (chain if canonical == apex else None)


def collect_web(collector: Collector, expect: Expectation) -> tuple[WebObservations, Expectation]:
    expect, home = detect_canonical(collector, expect)
    canonical = expect.canonical_host or expect.domain
    other = other_of(expect.domain, canonical)
    http = collector.http
    chains: dict[str, Callable[[], RedirectChain]] = {
        "http_canonical": lambda: http.follow(f"http://{canonical}/", read_body=False),
        "http_other": lambda: http.follow(f"http://{other}/", read_body=False),
        "https_other": lambda: http.follow(f"https://{other}{PROBE_PATH}?{PROBE_QUERY}", read_body=False),
    }
    if home is None:
        chains["home"] = lambda: http.follow(f"https://{canonical}/")
    starts = {"http_canonical": f"http://{canonical}/", "http_other": f"http://{other}/",
              "https_other": f"https://{other}{PROBE_PATH}?{PROBE_QUERY}", "home": f"https://{canonical}/"}
    results = collector.run_all(chains, lambda key: _late_chain(starts[key]))
    urls = {m.name: m.url for m in expect.monitors}
    monitors = collector.run_all(
        {m.name: _fetch(http, m.url, m.method, bool(m.expected_body)) for m in expect.monitors},
        lambda name: HttpExchange(urls[name], error=_LATE),
    )
    web = WebObservations(
        canonical_host=canonical, other_host=other,
        http_canonical=results["http_canonical"], http_other=results["http_other"],
        https_other=results["https_other"], home=home or results["home"], monitors=monitors,
    )
    return web, expect


def _fetch(http: HttpClient, url: str, method: str, read_body: bool) -> Callable[[], HttpExchange]:
    return lambda: http.fetch(url, method=method, read_body=read_body)


def collect_domain(collector: Collector, expect: Expectation, selected: set[str]
                   ) -> tuple[DomainObservations, Expectation]:
    """DNS and web observations for the selected DNS/HTTP checks; the expectation with its
    canonical host filled in (detected from the live redirects for a bare domain)."""
    web = None
    if any(check.startswith("http.") for check in selected):
        web, expect = collect_web(collector, expect)
    dns = collect_dns(collector, expect, selected) if any(c.startswith("dns.") for c in selected) else {}
    return DomainObservations(expect.domain, dns, web), expect

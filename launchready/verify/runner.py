"""Run verify over many domains at once: bounded concurrency, one DNS cache, one deadline.

``run_verify(targets, options)`` is the library entry point (the CLI and the demo call it).
Domains run on their own small pool; every network step of every domain goes through one
shared step pool of ``options.concurrency`` workers, so the machine is never flooded however
many domains are asked for. Progress goes to an observer callback, never printed from here.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from launchready.cloudflare import checks as cloudflare_checks
from launchready.cloudflare.client import CloudflareError, make_client
from launchready.cloudflare.reader import read_zone_state
from launchready.exitcodes import ExitCode
from launchready.probes.runner import ProbeOptions, run_app_probes
from launchready.spec.loader import DEFAULT_STACKS_DIR, load_stack
from launchready.spec.models import SiteSpec
from launchready.verify import catalogue, checks_backup, checks_dns, checks_http, mail, tls
from launchready.verify.collect import Collector, collect_domain
from launchready.verify.dnsclient import Lookup
from launchready.verify.expectations import Expectation, baseline, from_spec, other_of
from launchready.verify.http import DEFAULT_MAX_BODY, HttpClient, ResolveOverride
from launchready.verify.model import CheckResult, Status
from launchready.verify.resolver import DnsClient, Nameserver
from launchready.verify.results import errored, result, skipped

TLS_IDS = ("tls.certificate", "tls.expiry", "tls.protocols", "tls.tls13")

EVALUATORS = {**checks_dns.CHECKS, **checks_http.CHECKS}
"""The registry of DNS and HTTP checks, keyed by catalogue id."""


@dataclass(frozen=True, slots=True)
class VerifyOptions:
    nameservers: tuple[Nameserver, ...] = ()
    """Ask these instead of the system resolvers (``--nameserver``)."""
    overrides: tuple[ResolveOverride, ...] = ()
    """``--resolve`` / ``--connect-to``: where connections to a host:port really go."""
    ca_bundle: str | None = None
    only: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    timeout: float = 5.0
    """Per network step: a DNS question, a connect, a read, a handshake."""
    deadline: float = 300.0
    """The whole run; whatever has not finished by then is reported as ``error``."""
    concurrency: int = 16
    probe_rate_limits: bool = False
    cloudflare_token: str | None = field(default=None, repr=False)
    stack_tokens: Mapping[str, str] = field(default_factory=dict, repr=False)
    """Per stack, the token read from its ``cloudflare:apiToken`` secret (no env token)."""
    max_body: int = DEFAULT_MAX_BODY
    backups_dir: Path = Path("backups")
    """Where ``launchready backup`` wrote each stack's folders (``<dir>/<stack>/<stamp>``)."""
    backup_max_age_days: float = checks_backup.DEFAULT_MAX_AGE_DAYS


@dataclass(frozen=True, slots=True)
class Target:
    """One thing to verify: a domain against the baseline, or a stack's domain against its spec."""

    domain: str
    spec: SiteSpec | None = None
    stack: str | None = None

    @property
    def label(self) -> str:
        return f"{self.domain} (stack {self.stack})" if self.stack else self.domain

    def expectation(self) -> Expectation:
        if self.spec is not None:
            return from_spec(self.spec, self.stack or self.domain)
        return baseline(self.domain)


def domain_target(text: str) -> Target:
    """A bare domain (IDN allowed); ValueError with a reason when it is not a domain name."""
    return Target(baseline(text).domain)


def stack_target(stack: str, stacks_dir: Path = DEFAULT_STACKS_DIR) -> Target:
    """A stack file's site spec; raises ``SpecError`` for a missing or malformed stack."""
    spec = load_stack(stack, stacks_dir)
    return Target(spec.domain, spec, stack)


@dataclass(frozen=True, slots=True)
class DomainReport:
    domain: str
    source: str
    """``baseline`` or ``stack <name>``: what the domain was judged against."""
    results: tuple[CheckResult, ...]
    duration_s: float

    def summary(self) -> dict[str, int]:
        counts = Counter(r.status.value for r in self.results)
        return {status.value: counts.get(status.value, 0) for status in Status}

    @property
    def gates(self) -> bool:
        return any(r.gates for r in self.results)


@dataclass(frozen=True, slots=True)
class VerifyReport:
    domains: tuple[DomainReport, ...]
    duration_s: float
    started_at: dt.datetime
    settings: dict[str, Any] = field(default_factory=dict)
    """How the run was made (name servers, overrides, deadline), shown in handover reports."""

    @property
    def exit_code(self) -> ExitCode:
        results = [r for d in self.domains for r in d.results]
        if any(r.gates for r in results):
            return ExitCode.FAILED
        observed = [r for r in results if r.status is not Status.SKIPPED]
        if not observed or all(r.status is Status.ERROR for r in observed):
            return ExitCode.COULD_NOT_RUN
        return ExitCode.OK


@dataclass(frozen=True, slots=True)
class Progress:
    """What the observer hears: a domain started or finished (``report`` set when finished)."""

    target: Target
    index: int
    total: int
    report: DomainReport | None = None


Observer = Callable[[Progress], None]


def selected_ids(options: VerifyOptions) -> list[str]:
    return [c.id for c in catalogue.select(list(options.only), list(options.skip))]


def run_verify(targets: Sequence[Target], options: VerifyOptions | None = None, *,
               observer: Observer | None = None, lookup: Lookup | None = None) -> VerifyReport:
    """Verify every target concurrently and return the report (never raises for network trouble)."""
    options = options or VerifyOptions()
    started = time.monotonic()
    started_at = dt.datetime.now(dt.UTC)
    deadline = started + options.deadline
    lookup = lookup or DnsClient(options.nameservers, timeout=options.timeout)
    http = HttpClient(lookup, overrides=options.overrides, ca_bundle=options.ca_bundle,
                      timeout=options.timeout, max_body=options.max_body)
    workers = max(1, options.concurrency)
    step_pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="verify-step")
    domain_workers = max(1, min(workers, len(targets)))
    domain_pool = ThreadPoolExecutor(max_workers=domain_workers, thread_name_prefix="verify-domain")
    area_pool = ThreadPoolExecutor(max_workers=5 * domain_workers, thread_name_prefix="verify-area")
    collector = Collector(lookup, http, step_pool, step_timeout=max(4 * options.timeout, 1.0),
                          deadline=deadline)
    ids = selected_ids(options)
    futures: list[Future[DomainReport]] = []
    try:
        for index, target in enumerate(targets):
            futures.append(domain_pool.submit(_verify_one, target, index, len(targets), ids, options,
                                              collector, area_pool, observer))
        wait(futures, timeout=max(0.0, deadline - time.monotonic()) + options.timeout)
    finally:
        domain_pool.shutdown(wait=False, cancel_futures=True)
        area_pool.shutdown(wait=False, cancel_futures=True)
        step_pool.shutdown(wait=False, cancel_futures=True)
    reports = []
    for target, future in zip(targets, futures, strict=True):
        if future.done() and not future.cancelled() and future.exception() is None:
            reports.append(future.result())
        else:
            reason = "the run deadline was reached before this domain finished"
            if future.done() and not future.cancelled() and future.exception() is not None:
                reason = f"internal error: {future.exception()!r}"
            reports.append(DomainReport(target.domain, target.expectation().source,
                                        tuple(errored(i, reason) for i in ids), 0.0))
    settings = {
        "nameservers": [str(ns) for ns in options.nameservers] or "system resolvers",
        "overrides": _shown([f"{o.host}:{o.port} -> {o.endpoint[0]}:{o.endpoint[1]}"
                             for o in options.overrides]),
        "ca_bundle": options.ca_bundle or "system roots",
        "only": list(options.only), "skip": list(options.skip),
        "timeout_s": options.timeout, "deadline_s": options.deadline,
    }
    return VerifyReport(tuple(reports), round(time.monotonic() - started, 3), started_at, settings)


def _shown(items: list[str], limit: int = 6) -> list[str]:
    return items if len(items) <= limit else [*items[:limit], f"and {len(items) - limit} more"]


def _verify_one(target: Target, index: int, total: int, ids: list[str], options: VerifyOptions,
                collector: Collector, areas: ThreadPoolExecutor, observer: Observer | None) -> DomainReport:
    """One domain: each area (DNS+HTTP, TLS, email, app, Cloudflare) runs at the same time."""
    if observer:
        observer(Progress(target, index, total))
    started = time.monotonic()
    expect = target.expectation()
    selected = set(ids)
    jobs: dict[str, Callable[[], list[CheckResult]]] = {}
    if any(i in EVALUATORS for i in ids):
        jobs["dns/http"] = lambda: _local_results(collector, expect, selected, ids)
    if any(i.startswith("tls.") for i in ids):
        jobs["tls."] = lambda: tls_results(collector, expect, options)
    if any(i.startswith("email.") for i in ids):
        jobs["email."] = lambda: email_results(collector, expect)
    if any(i.startswith("app.") for i in ids):
        jobs["app."] = lambda: app_results(expect, options, collector.lookup, collector.deadline)
    if any(i.startswith("cloudflare.") for i in ids):
        jobs["cloudflare."] = lambda: cloudflare_results(expect, options, target.stack,
                                                         deadline=collector.deadline)
    if any(i.startswith("backup.") for i in ids):
        jobs["backup."] = lambda: checks_backup.backup_results(
            target.stack, expect.domain, options.backups_dir, dt.datetime.now(dt.UTC),
            options.backup_max_age_days)
    futures = {area: areas.submit(job) for area, job in jobs.items()}
    wait(futures.values(), timeout=max(0.0, collector.deadline - time.monotonic()) + options.timeout)
    results: list[CheckResult] = []
    for area, future in futures.items():
        if future.done() and future.exception() is None:
            results += future.result()
            continue
        reason = "the run deadline was reached"
        if future.done():
            reason = f"internal error: {future.exception()!r}"
        results += [errored(i, reason) for i in ids if _in_area(i, area)]
    produced = {r.id for r in results}
    results = [r for r in results if r.id in selected]
    results += [skipped(i, _why_not_run(i, expect, options)) for i in ids if i not in produced]
    order = {check_id: n for n, check_id in enumerate(ids)}
    results.sort(key=lambda r: order[r.id])
    report = DomainReport(expect.domain, expect.source, tuple(results),
                          round(time.monotonic() - started, 3))
    if observer:
        observer(Progress(target, index, total, report))
    return report


def _in_area(check_id: str, area: str) -> bool:
    return check_id in EVALUATORS if area == "dns/http" else check_id.startswith(area)


def _local_results(collector: Collector, expect: Expectation, selected: set[str], ids: list[str]
                   ) -> list[CheckResult]:
    obs, expect = collect_domain(collector, expect, selected)
    return [_evaluate(check_id, obs, expect) for check_id in ids if check_id in EVALUATORS]


def _evaluate(check_id: str, obs: Any, expect: Expectation) -> CheckResult:
    try:
        return EVALUATORS[check_id](obs, expect)
    except Exception as exc:  # a bug in one check must not hide the others
        return result(check_id, Status.ERROR, f"internal error in the check: {exc!r}")


def _why_not_run(check_id: str, expect: Expectation, options: VerifyOptions) -> str:
    if check_id.startswith("app."):
        if expect.spec is None or expect.spec.app is None:
            return "needs --stack with an app section"
        if check_id == "app.rate_limit" and not options.probe_rate_limits:
            return "bursts are sent only with --probe-rate-limits"
    if check_id.startswith("cloudflare.") and not options.cloudflare_token:
        return ("needs a Cloudflare API token (CLOUDFLARE_API_TOKEN or the stack's "
                "cloudflare:apiToken secret) and --stack")
    if check_id.startswith("backup.") and expect.spec is None:
        return "needs --stack (backups are per stack)"
    return "not available in this build"


# --------------------------------------------------------------------------- other areas


def tls_results(collector: Collector, expect: Expectation, options: VerifyOptions) -> list[CheckResult]:
    """tls.* for every address of the canonical and the other host, each handshake on its own."""
    canonical = expect.canonical_host or expect.domain
    endpoints: dict[str, tuple[str, str, int]] = {}
    for host in (canonical, other_of(expect.domain, canonical)):
        override = collector.http.overrides.get((host, 443))
        if override is not None:
            endpoints[f"{host}@{override[0]}"] = (host, *override)
            continue
        for rdtype in ("A", "AAAA"):
            for address in collector.lookup.query(host, rdtype).records:
                endpoints[f"{host}@{address}"] = (host, address, 443)
    if not endpoints:
        return [errored(i, f"{canonical} has no address to connect to") for i in TLS_IDS]
    jobs = {key: _tls_job(endpoint, options) for key, endpoint in endpoints.items()}
    observations = collector.run_all(jobs, lambda key: tls.TlsObservation(
        *endpoints[key], error="no handshake before the step deadline"))
    min_version = expect.spec.tls.min_version if expect.spec is not None else "1.2"
    out: list[CheckResult] = []
    for observation in observations.values():
        out += tls.evaluate_tls(observation, min_version=min_version)
    return out


def _tls_job(endpoint: tuple[str, str, int], options: VerifyOptions) -> Callable[[], tls.TlsObservation]:
    return lambda: tls.collect_tls(*endpoint, timeout=options.timeout, ca_bundle=options.ca_bundle)


def email_results(collector: Collector, expect: Expectation) -> list[CheckResult]:
    """email.* from the mail package, sharing this run's resolver, HTTP client and step pool."""
    if expect.spec is not None:
        expectation = mail.EmailExpectation.from_spec(expect.spec)
    else:
        expectation = mail.EmailExpectation.baseline()

    def http_get(url: str) -> tuple[int, str] | str:
        exchange = collector.http.fetch(url, allow_unverified=False)
        if exchange.response is None:
            return exchange.error or "no answer"
        return (exchange.response.status, exchange.response.body)

    remaining = max(0.0, collector.deadline - time.monotonic())
    return mail.check_email(expect.domain, collector.lookup, expectation, http_get,
                            executor=collector.pool, deadline=remaining)


def app_results(expect: Expectation, options: VerifyOptions, lookup: Lookup | None = None,
                deadline: float | None = None) -> list[CheckResult]:
    """app.* through the run's overrides, CA bundle and (cached) resolver: where every other check goes."""
    if expect.spec is None or expect.spec.app is None:
        return []
    probe_options = ProbeOptions(
        probe_rate_limits=options.probe_rate_limits, timeout=options.timeout, lookup=lookup,
        overrides=options.overrides, nameservers=options.nameservers, ca_bundle=options.ca_bundle,
        deadline=deadline,
    )
    return run_app_probes(expect.spec, probe_options)


def cloudflare_results(expect: Expectation, options: VerifyOptions, stack: str | None = None, *,
                       deadline: float | None = None) -> list[CheckResult]:
    """cloudflare.* read the live zone through the API (a token) and compare it with the spec.

    Each request waits at most ``--timeout`` and nothing is sent or retried after the run's
    ``deadline`` (monotonic time), so a silent API cannot hold the run past ``--deadline``.
    """
    token = options.cloudflare_token or options.stack_tokens.get(stack or "")
    if expect.spec is None or not token:
        return []
    spec = expect.spec
    try:
        client = make_client(token, timeout=options.timeout, deadline=deadline)
        state = read_zone_state(client, spec.zone.zone_id or spec.domain,
                                parts={"healthchecks", "notifications"})
    except CloudflareError as exc:  # messages are token-free by construction (cloudflare.client)
        return [errored(i, f"Cloudflare API: {exc}") for i in ("cloudflare.healthchecks",
                                                              "cloudflare.notifications")]
    return cloudflare_checks.monitor_checks(spec, state)

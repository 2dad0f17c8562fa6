"""Run every app probe against one site and return CheckResults for the shared reports.

One bounded client per run (budget, timeouts, write allowlist from the spec). A probe that
runs out of budget or cannot reach the app reports ``error`` with a reason, never ``fail``.
The rate-limit burst runs last so its throttling cannot spoil the other probes' answers.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

import requests

from launchready.probes.auth import probe_auth, probe_function_access, probe_object_access
from launchready.probes.context import ProbeContext, SsrfCanary
from launchready.probes.cors import probe_cors
from launchready.probes.http import BudgetExhausted, DeadlineReached, ProbeClient, RequestRecord
from launchready.probes.inputs import probe_input_validation, probe_prompt_injection
from launchready.probes.ratelimit import probe_rate_limits
from launchready.probes.secrets_probe import probe_exposed_secrets
from launchready.probes.ssrf import probe_ssrf
from launchready.probes.webhooks import probe_webhooks
from launchready.spec.app import AppSpec
from launchready.spec.models import SiteSpec
from launchready.verify.dnsclient import Lookup
from launchready.verify.http import AddressBook, PinnedAdapter, ResolveOverride
from launchready.verify.model import CheckResult, Status
from launchready.verify.resolver import DnsClient, Nameserver
from launchready.verify.results import result

DEFAULT_BUDGET = 600
DEFAULT_TIMEOUT = 5.0


@dataclass(frozen=True)
class ProbeOptions:
    base_url: str | None = None
    """Overrides the spec's app.base_url (e.g. a staging URL or a local server)."""
    probe_rate_limits: bool = False
    """Bursts are sent only when this is set; otherwise app.rate_limit is skipped."""
    budget: int = DEFAULT_BUDGET
    timeout: float = DEFAULT_TIMEOUT
    env: Mapping[str, str] | None = None
    """Where token / signing-secret / canary env vars are read; None means os.environ."""
    dry_run: bool = False
    """Record the requests (see ``plan_app_probes``) without sending any."""
    only: tuple[str, ...] = field(default_factory=tuple)
    """Run only checks whose id starts with one of these (all when empty)."""
    overrides: tuple[ResolveOverride, ...] = ()
    """``--resolve`` / ``--connect-to``: where connections to a host:port really go (URLs, SNI,
    Host and the certificate check keep the target's name)."""
    nameservers: tuple[Nameserver, ...] = ()
    """``--nameserver``: resolve the target through these instead of the system resolvers."""
    lookup: Lookup | None = None
    """A resolver to share (verify passes its run's cached client); wins over ``nameservers``."""
    ca_bundle: str | None = None
    """PEM file of extra trusted roots (a staging edge or a local testbed with a private CA)."""
    ssrf_canary: SsrfCanary | None = None
    """A URL only the app's side can reach and the text it serves; proves an SSRF fetch."""
    deadline: float | None = None
    """``time.monotonic()`` after which no request is sent (verify's or probe's ``--deadline``);
    each request waits at most the time left, and a probe cut short reports ``error``."""


def probe_session(options: ProbeOptions) -> requests.Session:
    """A session that connects where verify would: the same ``PinnedAdapter`` and address rules."""
    lookup = options.lookup
    if lookup is None and options.nameservers:
        lookup = DnsClient(options.nameservers, timeout=options.timeout)
    adapter = PinnedAdapter(AddressBook(lookup, options.overrides))
    session = requests.Session()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    if options.ca_bundle:
        session.verify = options.ca_bundle
    return session


def base_url_for(spec: SiteSpec, options: ProbeOptions) -> str:
    app = spec.app or AppSpec()
    return (options.base_url or app.base_url or f"https://{spec.canonical_fqdn}").rstrip("/")


def writable_routes(app: AppSpec) -> set[tuple[str, str]]:
    """Every (method, path) the spec lists as something the probes may POST/PUT/... to."""
    out: set[tuple[str, str]] = {(r.method, r.path) for r in app.sensitive_routes}
    out |= {("POST", hook.path) for hook in app.webhooks}
    out |= {(c.method, c.path) for c in app.chat}
    if app.rate_limits:
        out |= {(t.method, t.path) for t in (app.rate_limits.login, app.rate_limits.chat_send) if t}
    # Object routes carry the id in the path; writes there use the filled-in path.
    ids = app.identities
    if ids and ids.a.object_id:
        for route in app.object_routes:
            out.add((route.method, route.path.replace("{" + route.placeholder + "}", ids.a.object_id)))
    return out


def _probes(options: ProbeOptions) -> list[tuple[str, Callable[[ProbeContext], CheckResult]]]:
    return [
        ("app.exposed_secrets", probe_exposed_secrets),
        ("app.auth", probe_auth),
        ("app.object_access", probe_object_access),
        ("app.function_access", probe_function_access),
        ("app.cors", probe_cors),
        ("app.webhooks", probe_webhooks),
        ("app.input_validation", probe_input_validation),
        ("app.prompt_injection", probe_prompt_injection),
        ("app.ssrf", probe_ssrf),
        ("app.rate_limit", lambda ctx: probe_rate_limits(ctx, options.probe_rate_limits)),
    ]


def _run(spec: SiteSpec, options: ProbeOptions) -> tuple[list[CheckResult], ProbeClient]:
    app = spec.app or AppSpec()
    client = ProbeClient(
        base_url_for(spec, options),
        budget=options.budget,
        timeout=options.timeout,
        dry_run=options.dry_run,
        writable=writable_routes(app),
        session=probe_session(options),
        deadline=options.deadline,
    )
    ctx = ProbeContext(
        app=app,
        host=spec.canonical_fqdn,
        client=client,
        env=os.environ if options.env is None else options.env,
        ssrf_canary=options.ssrf_canary,
    )
    results: list[CheckResult] = []
    for check_id, probe in _probes(options):
        if options.only and not any(check_id.startswith(prefix) for prefix in options.only):
            continue
        try:
            results.append(probe(ctx))
        except BudgetExhausted as exc:
            results.append(
                result(
                    check_id,
                    Status.ERROR,
                    f"not finished: {exc}",
                    {"requests_sent": client.sent},
                    "Raise --budget, or list fewer routes in the spec.",
                )
            )
        except DeadlineReached as exc:
            results.append(
                result(
                    check_id,
                    Status.ERROR,
                    str(exc),
                    {"requests_sent": client.sent},
                    "Raise --deadline, or check why the app answers slowly.",
                )
            )
    return results, client


def run_app_probes(spec: SiteSpec, options: ProbeOptions | None = None) -> list[CheckResult]:
    """All app.* results for a site whose spec has an ``app`` section ([] without one)."""
    if spec.app is None:
        return []
    results, _ = _run(spec, options or ProbeOptions())
    return results


def plan_app_probes(spec: SiteSpec, options: ProbeOptions | None = None) -> list[RequestRecord]:
    """Every request a run would send (headers redacted), sending none.

    Requests that depend on answers (scripts found on the entry page, where a burst stops)
    cannot be known in advance: the plan shows the entry page fetch and each burst in full.
    """
    if spec.app is None:
        return []
    base = options or ProbeOptions()
    _, client = _run(spec, replace(base, dry_run=True))
    return client.records

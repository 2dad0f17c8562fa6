"""What a domain should look like: from its site spec (``--stack``) or the launch-ready baseline.

The evaluators never read the spec directly; they read an ``Expectation``, so the same check
judges a managed stack and a bare domain someone asked about.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from launchready.spec.models import SiteSpec, normalize_domain

BASELINE_HSTS_MAX_AGE = 15_552_000
"""Six months: Mozilla Observatory's and testssl's threshold (internet.nl and hstspreload want a year)."""

CLOUDFLARE_NS_SUFFIX = ".ns.cloudflare.com"

WELL_KNOWN_NAMES = ("www", "mail", "api", "app", "status", "blog", "shop", "docs", "help",
                    "mta-sts", "autodiscover", "cdn", "dev", "staging")
"""Host labels checked for dangling CNAMEs even when no spec lists them."""

CLOUDFLARE_CAA_ISSUERS = frozenset({"letsencrypt.org", "pki.goog", "ssl.com", "digicert.com",
                                    "comodoca.com", "sectigo.com"})
"""CAs Cloudflare adds CAA records for (Universal/Advanced certificates); extra ones are tolerated."""

SESSION_COOKIE_HINTS = ("session", "sess", "sid", "auth", "token", "jwt", "login", "remember")


@dataclass(frozen=True, slots=True)
class HstsExpectation:
    min_max_age: int
    include_subdomains: bool
    preload: bool


@dataclass(frozen=True, slots=True)
class MonitorExpectation:
    name: str
    url: str
    method: str = "GET"
    expected_codes: tuple[str, ...] = ("200",)
    """Exact codes or classes such as ``2xx``."""
    expected_body: str | None = None
    max_response_ms: int = 1500


@dataclass(frozen=True, slots=True)
class Expectation:
    domain: str
    """A-label form, no trailing dot."""
    source: str
    """``stack <name>`` or ``baseline``: shown in reports so a reader knows what was asked."""
    canonical_host: str | None
    """The host every web host should land on; None = detect it (baseline)."""
    dangling_names: tuple[str, ...]
    """Names whose CNAME target must resolve."""
    cloudflare_ns: bool = False
    origin_addresses: tuple[str, ...] = ()
    """Addresses the canonical host must resolve to (unproxied spec origins only)."""
    dnssec: bool = True
    caa_issuers: tuple[str, ...] | None = None
    """Issuers the spec allows; None = any CAA record is fine (baseline)."""
    hsts: HstsExpectation | None = field(
        default_factory=lambda: HstsExpectation(BASELINE_HSTS_MAX_AGE, False, False))
    """None when the spec turns HSTS off (the check is then skipped)."""
    csp: str | None = None
    """The CSP the spec sets at the edge, for comparison with what is served."""
    monitors: tuple[MonitorExpectation, ...] = ()
    session_cookies: tuple[str, ...] = ()
    """Cookie names known to carry a session (HttpOnly required)."""
    spec: SiteSpec | None = None
    """The full spec, for the mail, TLS, app and Cloudflare checks that need more."""


def other_of(domain: str, canonical: str) -> str:
    return f"www.{domain}" if canonical == domain else domain


def from_spec(spec: SiteSpec, stack: str) -> Expectation:
    # Provider-hosted DKIM CNAMEs are left out: their targets hold a TXT key and no address,
    # and email.dkim follows them to that key (a missing target fails there).
    names = {spec.fqdn(r.name) for r in spec.records if r.type == "CNAME"}
    names |= {f"{label}.{spec.domain}" for label in WELL_KNOWN_NAMES}
    if spec.email.mta_sts:
        names.add(f"{spec.email.mta_sts.policy_host}.{spec.domain}")
    hsts = spec.tls.hsts
    monitors = tuple(
        MonitorExpectation(m.name, spec.monitor_url(m), m.method, tuple(m.expected_codes),
                           m.expected_body, m.max_response_ms)
        for m in spec.monitoring.monitors
    ) or (MonitorExpectation("home", f"https://{spec.canonical_fqdn}/"),)
    return Expectation(
        domain=spec.domain,
        source=f"stack {stack}",
        canonical_host=spec.canonical_fqdn,
        dangling_names=tuple(sorted(names)),
        cloudflare_ns=True,
        origin_addresses=() if spec.origin.proxied else tuple(spec.origin.addresses),
        dnssec=spec.dnssec,
        caa_issuers=tuple(spec.caa.issuers),
        hsts=HstsExpectation(hsts.max_age, hsts.include_subdomains, hsts.preload) if hsts.enabled else None,
        csp=spec.headers.content_security_policy if spec.headers.enabled else None,
        monitors=monitors,
        session_cookies=tuple(spec.cache.bypass_cookies),
        spec=spec,
    )


def baseline(domain: str) -> Expectation:
    """Launch-ready defaults for a domain without a stack file; ValueError for a bad name."""
    name = normalize_domain(domain)
    return Expectation(
        domain=name,
        source="baseline",
        canonical_host=None,
        dangling_names=tuple(f"{label}.{name}" for label in WELL_KNOWN_NAMES),
    )


def with_canonical(expect: Expectation, canonical: str) -> Expectation:
    """The baseline once the canonical host is known (detected from the live redirects)."""
    monitors = expect.monitors or (MonitorExpectation("home", f"https://{canonical}/"),)
    return replace(expect, canonical_host=canonical, monitors=monitors)

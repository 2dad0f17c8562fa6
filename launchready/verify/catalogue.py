"""The one table of checks: id, scorecard category, level, and what it asks.

Required vs advisory lives here and nowhere else. ``launchready checks`` prints this table.
Adding a check = a row here + its evaluate function registered under the same id + tests.
"""

from __future__ import annotations

from dataclasses import dataclass

from launchready.verify.model import Category, Level


@dataclass(frozen=True, slots=True)
class CheckInfo:
    id: str
    category: Category
    level: Level
    title: str


R, A = Level.REQUIRED, Level.ADVISORY
C = Category

_ROWS: tuple[tuple[str, Category, Level, str], ...] = (
    # DNS
    ("dns.resolves", C.DNS, R, "apex and canonical host resolve to addresses"),
    ("dns.ns", C.DNS, R, "the zone has NS records (Cloudflare's when managed there)"),
    ("dns.dangling", C.DNS, R, "no CNAME points at a target that does not resolve"),
    ("dns.dnssec", C.DNS, A, "DS at the parent and signed answers"),
    ("dns.caa", C.DNS, A, "CAA present and allows exactly the spec's issuers"),
    # Email
    ("email.mx", C.EMAIL, R, "MX hosts resolve (or a null MX when the domain sends no mail)"),
    ("email.spf", C.EMAIL, R, "one valid SPF record within 10 lookups / 2 void lookups"),
    ("email.dkim", C.EMAIL, R, "each DKIM selector publishes a strong key"),
    ("email.dmarc", C.EMAIL, R, "one DMARC record enforcing the spec's policy with rua"),
    ("email.mta_sts", C.EMAIL, A, "MTA-STS TXT id and a policy file covering the MX hosts"),
    ("email.tls_rpt", C.EMAIL, A, "TLS-RPT record with a report destination"),
    # TLS (per address)
    ("tls.certificate", C.TLS, R, "chain to a trusted root, host name matches, key strength"),
    ("tls.expiry", C.TLS, R, "certificate valid now and for at least 21 more days"),
    ("tls.protocols", C.TLS, R, "TLS 1.2 offered, TLS 1.0/1.1 refused"),
    ("tls.tls13", C.TLS, A, "TLS 1.3 offered"),
    # HTTP
    ("http.https_redirect", C.REDIRECTS, R, "http:// redirects to https:// on the same host"),
    ("http.canonical_redirect", C.REDIRECTS, R,
     "non-canonical host → canonical in one 301/308 hop, path and query kept"),
    ("http.hsts", C.REDIRECTS, R, "HSTS max-age and flags as the spec asks"),
    ("http.csp", C.HEADERS, R, "CSP present, no unsafe-inline/unsafe-eval in script-src"),
    ("http.frame_options", C.HEADERS, R, "X-Frame-Options or CSP frame-ancestors"),
    ("http.content_type_options", C.HEADERS, R, "X-Content-Type-Options: nosniff"),
    ("http.referrer_policy", C.HEADERS, A, "a private Referrer-Policy"),
    ("http.permissions_policy", C.HEADERS, A, "Permissions-Policy present"),
    ("http.mixed_content", C.HEADERS, R, "the home page loads nothing over http://"),
    ("http.cookies", C.HEADERS, R, "cookies set Secure, HttpOnly and SameSite"),
    ("http.monitor_urls", C.MONITORING, R, "each monitored URL answers an expected code in time"),
    # Cloudflare state (needs an API token)
    ("cloudflare.healthchecks", C.MONITORING, R, "each spec monitor exists as a healthy health check"),
    ("cloudflare.notifications", C.MONITORING, R, "a notification policy covers the health checks"),
    # Backup (a stack's backups folder, written by `launchready backup`)
    ("backup.recent", C.BACKUP, A, "a backup with a rollback runbook, younger than the maximum age"),
    # Application probes
    ("app.auth", C.AUTH, R, "sensitive routes refuse missing, malformed, expired and alg:none tokens"),
    ("app.object_access", C.AUTH, R, "identity B cannot read identity A's objects"),
    ("app.function_access", C.AUTH, R, "a non-admin identity gets 403 on admin routes"),
    ("app.cors", C.CORS, R, "untrusted origins are not reflected; no * with credentials"),
    ("app.rate_limit", C.RATE_LIMIT, R, "bursts on login and chat send get 429, per IP and per identity"),
    ("app.webhooks", C.WEBHOOKS, R, "unsigned, mis-signed, stale and replayed webhooks are refused"),
    ("app.input_validation", C.INPUT, R, "chat and tool endpoints reject malformed input with 4xx"),
    ("app.prompt_injection", C.INPUT, A, "injection text causes no 5xx and no system-prompt leak"),
    ("app.ssrf", C.INPUT, R, "tool endpoints refuse internal, loopback, metadata and non-http URLs"),
    ("app.exposed_secrets", C.SECRETS, R, "no secret in the entry page, its scripts or source maps"),
)

CATALOGUE: dict[str, CheckInfo] = {row[0]: CheckInfo(*row) for row in _ROWS}


def info(check_id: str) -> CheckInfo:
    """Look a check up; an unknown id is a programming error, not user input."""
    return CATALOGUE[check_id]


def select(only: list[str] | None = None, skip: list[str] | None = None) -> list[CheckInfo]:
    """Checks whose id starts with one of ``only`` (all when empty) and none of ``skip``."""
    chosen = []
    for check in CATALOGUE.values():
        if only and not any(check.id.startswith(prefix) for prefix in only):
            continue
        if skip and any(check.id.startswith(prefix) for prefix in skip):
            continue
        chosen.append(check)
    return chosen

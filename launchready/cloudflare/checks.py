"""Verify's Cloudflare monitor-state checks: pure functions over a read ``ZoneState``.

``cloudflare.healthchecks``: each spec monitor exists as a health check and is healthy.
``cloudflare.notifications``: an enabled health-check alert policy with a delivery mechanism
covers those health checks. Reading the zone (and deciding whether a token is available) is
the caller's job; these only judge what was read.
"""

from __future__ import annotations

from launchready.cloudflare.state import HealthCheck, NotificationPolicy, ZoneState
from launchready.spec.models import Monitor, SiteSpec
from launchready.verify.model import CheckResult, Status
from launchready.verify.results import result

HEALTHCHECKS = "cloudflare.healthchecks"
NOTIFICATIONS = "cloudflare.notifications"
ALERT_TYPE = "health_check_status_notification"


def find_health_check(spec: SiteSpec, monitor: Monitor, state: ZoneState) -> HealthCheck | None:
    """The health check for a monitor: same name, else same host and path."""
    by_name = state.health_check(monitor.name)
    if by_name is not None:
        return by_name
    host = monitor.host or spec.canonical_fqdn
    for check in state.health_checks:
        path = check.http_config.path if check.http_config else None
        if path == monitor.path and check.address.rstrip(".").lower() == host:
            return check
    return None


def check_health_checks(spec: SiteSpec, state: ZoneState) -> list[CheckResult]:
    """One result per spec monitor (``target`` = its URL)."""
    monitors = spec.monitoring.monitors
    if not monitors:
        return [result(HEALTHCHECKS, Status.SKIPPED, "the spec defines no monitors", {})]
    out = []
    for monitor in monitors:
        url = spec.monitor_url(monitor)
        check = find_health_check(spec, monitor, state)
        if check is None:
            out.append(result(
                HEALTHCHECKS, Status.FAIL, f"no Cloudflare health check for monitor {monitor.name}",
                {"monitor": monitor.name, "url": url,
                 "health_checks": sorted(h.name for h in state.health_checks)},
                "run `pulumi up` to create it (health checks need the Pro plan or higher)", url))
            continue
        evidence: dict[str, object] = {"monitor": monitor.name, "url": url, "health_check": check.name,
                                       "id": check.id, "status": check.status,
                                       "suspended": check.suspended}
        if check.suspended:
            out.append(result(HEALTHCHECKS, Status.FAIL, f"health check {check.name} is suspended",
                               evidence, "resume it (suspended: false) so the URL is watched", url))
        elif check.status == "unhealthy":
            out.append(result(HEALTHCHECKS, Status.FAIL, f"health check {check.name} is unhealthy",
                               evidence, f"{url} fails Cloudflare's probe: fix the origin or the "
                               "monitor's expected codes", url))
        elif check.status == "unknown":
            out.append(result(HEALTHCHECKS, Status.WARN,
                               f"health check {check.name} has no status yet", evidence,
                               "wait one interval after creating it, then verify again", url))
        else:
            out.append(result(HEALTHCHECKS, Status.PASS, f"health check {check.name} is healthy",
                               evidence, target=url))
    return out


def _alerts_on_unhealthy(policy: NotificationPolicy) -> bool:
    statuses = {s.lower() for s in policy.filters.get("status", ())}
    return not statuses or "unhealthy" in statuses


def _delivers(policy: NotificationPolicy) -> bool:
    return any(targets for targets in policy.mechanisms.values())


def _why_not_working(policy: NotificationPolicy) -> str:
    if not policy.enabled:
        return "disabled"
    if not _delivers(policy):
        return "no email/webhook/pagerduty target"
    return "does not alert on Unhealthy"


def check_notifications(spec: SiteSpec, state: ZoneState) -> CheckResult:
    """Every monitor's health check is covered by a working health-check alert policy."""
    monitors = spec.monitoring.monitors
    if not monitors:
        return result(NOTIFICATIONS, Status.SKIPPED, "the spec defines no monitors", {})
    checks = {m.name: find_health_check(spec, m, state) for m in monitors}
    ids = {c.id: c.name for c in checks.values() if c is not None}
    candidates = [p for p in state.notification_policies if p.alert_type == ALERT_TYPE]
    working = [p for p in candidates if p.enabled and _delivers(p) and _alerts_on_unhealthy(p)]
    covered: set[str] = set()
    for policy in working:
        scope = set(policy.health_check_ids)
        covered |= set(ids) if not scope else scope & set(ids)  # no filter = every health check
    uncovered = sorted(ids[i] for i in set(ids) - covered)
    evidence: dict[str, object] = {
        "policies": [{"name": p.name, "enabled": p.enabled,
                      "mechanisms": sorted(k for k, v in p.mechanisms.items() if v),
                      "health_check_ids": list(p.health_check_ids),
                      "statuses": list(p.filters.get("status", ()))} for p in candidates],
        "covered": sorted(ids[i] for i in covered), "uncovered": uncovered,
        "monitors_without_health_check": sorted(n for n, c in checks.items() if c is None),
    }
    fix = ("keep monitoring.alerts (emails or webhooks) in the stack and run `pulumi up`; the "
           "policy must be enabled, alert on Unhealthy and list every health check")
    if not candidates:
        return result(NOTIFICATIONS, Status.FAIL,
                       f"no {ALERT_TYPE} policy: health check failures alert no one", evidence, fix)
    if not working:
        reasons = sorted({_why_not_working(p) for p in candidates})
        return result(NOTIFICATIONS, Status.FAIL,
                       f"health check alert policies exist but none works ({'; '.join(reasons)})",
                       evidence, fix)
    if uncovered:
        return result(NOTIFICATIONS, Status.FAIL,
                       f"no alert policy covers the health check(s) {', '.join(uncovered)}",
                       evidence, fix)
    if not ids:
        return result(NOTIFICATIONS, Status.FAIL,
                       "an alert policy exists but none of the spec's monitors has a health check",
                       evidence, "run `pulumi up` to create the health checks")
    return result(NOTIFICATIONS, Status.PASS,
                   f"{len(working)} alert polic{'y' if len(working) == 1 else 'ies'} cover "
                   f"{len(ids)} health check(s)", evidence)


def monitor_checks(spec: SiteSpec, state: ZoneState) -> list[CheckResult]:
    """Both monitor-state checks, as verify runs them when a Cloudflare token is available."""
    return [*check_health_checks(spec, state), check_notifications(spec, state)]

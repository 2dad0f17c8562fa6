"""Rules that span fields or depend on the Cloudflare plan, checked before any API call.

Each rule yields ``(key path, message)``; a message says which limit was hit and, for plan
limits, which plan lifts it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from launchready.spec.limits import LIMITS, PLAN_ORDER, PlanLimits
from launchready.spec.records import structured_data

if TYPE_CHECKING:
    from launchready.spec.models import SiteSpec

Loc = tuple[str | int, ...]
Problem = tuple[Loc, str]

_REGEX_OPERATOR = re.compile(r"\s(matches|~)\s")


def consistency_problems(spec: SiteSpec) -> list[Problem]:
    problems: list[Problem] = []
    for rule in (_records, _record_shapes, _hsts, _mta_sts, _firewall_limits, _rate_limits,
                 _monitoring_limits):
        problems.extend(rule(spec))
    return problems


def _lifted_by(test: Callable[[PlanLimits], bool]) -> str:
    for plan in PLAN_ORDER:
        if test(LIMITS[plan]):
            return f"the {plan} plan or higher lifts it"
    return "no plan lifts it"


def _records(spec: SiteSpec) -> Iterator[Problem]:
    # Names the program itself publishes, so user records are checked against them too.
    generated: dict[str, set[str]] = {}

    def add(name: str, rtype: str) -> None:
        generated.setdefault(name, set()).add(rtype)

    origin_types = {"CNAME"} if spec.origin.hostname else {"A", "AAAA"}
    for rtype in origin_types:
        add(spec.domain, rtype)
    add(f"www.{spec.domain}", "CNAME")
    add(spec.domain, "MX")
    add(spec.domain, "TXT")
    if spec.caa.issuers:
        add(spec.domain, "CAA")
    if spec.email.mta_sts:
        add(f"{spec.email.mta_sts.policy_host}.{spec.domain}", "CNAME")

    seen: Counter[tuple[str, str, str, int | None]] = Counter()
    by_name: dict[str, set[str]] = {}
    for rec in spec.records:
        by_name.setdefault(spec.fqdn(rec.name), set()).add(rec.type)

    for index, rec in enumerate(spec.records):
        loc: Loc = ("records", index)
        fqdn = spec.fqdn(rec.name)
        if not (fqdn == spec.domain or fqdn.endswith("." + spec.domain)):
            yield (*loc, "name"), f"{rec.name!r} is outside the zone {spec.domain}"
            continue
        identity = (fqdn, rec.type, rec.content.lower(), rec.priority)
        seen[identity] += 1
        if seen[identity] == 2:
            yield loc, f"duplicate record {rec.type} {fqdn} {rec.content!r}"
        others = (by_name.get(fqdn, set()) | generated.get(fqdn, set())) - {"CNAME"}
        if rec.type == "CNAME":
            if fqdn == spec.domain:
                yield loc, (
                    "a CNAME at the apex cannot sit beside the other apex records "
                    "(origin, MX, SPF, CAA); set origin.hostname instead, which Cloudflare "
                    "flattens"
                )
            elif others or fqdn in generated:
                yield loc, (
                    f"a CNAME at {fqdn} cannot sit beside other records of that name "
                    f"({', '.join(sorted(others | generated.get(fqdn, set())))})"
                )
        elif fqdn in generated and "CNAME" in generated[fqdn] and rec.type in ("A", "AAAA"):
            yield loc, f"{fqdn} is already published by the program (origin/www/MTA-STS host)"
        if rec.proxied and rec.name.startswith("*") and spec.plan != "enterprise":
            yield (*loc, "proxied"), "wildcard records can be proxied on the enterprise plan only"


def _record_shapes(spec: SiteSpec) -> Iterator[Problem]:
    # Cloudflare takes CAA and SRV only as structured data; the content must parse into it.
    for index, rec in enumerate(spec.records):
        try:
            structured_data(rec.type, rec.content, rec.priority)
        except ValueError as exc:
            yield ("records", index, "content"), str(exc)


def _hsts(spec: SiteSpec) -> Iterator[Problem]:
    hsts = spec.tls.hsts
    if hsts.preload and (not hsts.include_subdomains or hsts.max_age < 31536000):
        yield ("tls", "hsts", "preload"), (
            "the HSTS preload list requires include_subdomains: true and max_age >= 31536000"
        )


def _mta_sts(spec: SiteSpec) -> Iterator[Problem]:
    # RFC 8461 §3.2: a policy names at least one MX; without one, senders reject it as invalid.
    if spec.email.mta_sts and not any(mx.host != "." for mx in spec.email.mx):
        yield ("email", "mta_sts"), (
            "MTA-STS needs at least one MX host in email.mx (its policy lists them); "
            "add the MX hosts or remove mta_sts"
        )


def _firewall_limits(spec: SiteSpec) -> Iterator[Problem]:
    limits = LIMITS[spec.plan]
    fw = spec.firewall
    if (fw.managed.cloudflare or fw.managed.owasp) and not limits.extra_managed_rulesets:
        which = "cloudflare" if fw.managed.cloudflare else "owasp"
        yield ("firewall", "managed", which), (
            f"the Cloudflare Managed and OWASP rulesets are not on the {spec.plan} plan; "
            + _lifted_by(lambda lim: lim.extra_managed_rulesets)
        )
    count = len(fw.custom_rules) + (1 if fw.skip_healthchecks and spec.monitoring.monitors else 0)
    if count > limits.custom_rules:
        yield ("firewall", "custom_rules"), (
            f"{count} custom rules (including the health-check skip) exceed the {spec.plan} "
            f"plan's {limits.custom_rules}; "
            + _lifted_by(lambda lim: lim.custom_rules >= count)
        )
    refs = Counter(rule.ref for rule in fw.custom_rules)
    for index, rule in enumerate(fw.custom_rules):
        if refs[rule.ref] > 1:
            yield ("firewall", "custom_rules", index, "ref"), f"ref {rule.ref!r} is used twice"
        if rule.expression and _REGEX_OPERATOR.search(f" {rule.expression} ") and not limits.regex:
            yield ("firewall", "custom_rules", index, "expression"), (
                f"regex matching (matches / ~) is not on the {spec.plan} plan; "
                + _lifted_by(lambda lim: lim.regex)
                + "; or use eq, in, starts_with or wildcard"
            )


def _rate_limits(spec: SiteSpec) -> Iterator[Problem]:
    limits = LIMITS[spec.plan]
    rules = spec.firewall.rate_limits
    if len(rules) > limits.rate_limit_rules:
        count = len(rules)
        yield ("firewall", "rate_limits"), (
            f"{count} rate-limit rules exceed the {spec.plan} plan's {limits.rate_limit_rules}; "
            + _lifted_by(lambda lim: lim.rate_limit_rules >= count)
            + "; or merge paths into fewer rules"
        )
    refs = Counter(rule.ref for rule in rules)
    for index, rule in enumerate(rules):
        loc: Loc = ("firewall", "rate_limits", index)
        if refs[rule.ref] > 1:
            yield (*loc, "ref"), f"ref {rule.ref!r} is used twice"
        if rule.period not in limits.rate_limit_periods:
            allowed = ", ".join(str(p) for p in sorted(limits.rate_limit_periods))
            period = rule.period
            yield (*loc, "period"), (
                f"period {period} s is not offered on the {spec.plan} plan (allowed: {allowed}); "
                + _lifted_by(lambda lim: period in lim.rate_limit_periods)  # noqa: B023 (called at once)
            )
        if rule.mitigation_timeout > limits.max_mitigation_timeout or rule.mitigation_timeout < 10:
            timeout = rule.mitigation_timeout
            yield (*loc, "mitigation_timeout"), (
                f"mitigation_timeout {timeout} s is outside 10..{limits.max_mitigation_timeout} s "
                f"on the {spec.plan} plan; "
                + _lifted_by(lambda lim: 10 <= timeout <= lim.max_mitigation_timeout)  # noqa: B023
            )
        if rule.methods and not limits.rate_limit_methods:
            yield (*loc, "methods"), (
                f"matching on the request method is not on the {spec.plan} plan; "
                + _lifted_by(lambda lim: lim.rate_limit_methods)
                + "; or drop methods and match paths only"
            )
        extra = set(rule.characteristics) - limits.rate_limit_characteristics
        if extra:
            yield (*loc, "characteristics"), (
                f"counting by {', '.join(sorted(extra))} is not on the {spec.plan} plan "
                f"(allowed: {', '.join(sorted(limits.rate_limit_characteristics))}); "
                + _lifted_by(lambda lim: extra <= lim.rate_limit_characteristics)  # noqa: B023
            )
        if "ip.src" not in rule.characteristics:
            yield (*loc, "characteristics"), "rate limits must count per client: include ip.src"


def _monitoring_limits(spec: SiteSpec) -> Iterator[Problem]:
    limits = LIMITS[spec.plan]
    monitors = spec.monitoring.monitors
    count = len(monitors)
    if count > limits.health_checks:
        message = (
            "health checks are not on the free plan"
            if limits.health_checks == 0
            else f"{count} health checks exceed the {spec.plan} plan's {limits.health_checks}"
        )
        yield ("monitoring", "monitors"), (
            message + "; " + _lifted_by(lambda lim: lim.health_checks >= count)
            + "; or remove monitoring.monitors and use an external uptime service"
        )
    names = Counter(m.name for m in monitors)
    for index, monitor in enumerate(monitors):
        if names[monitor.name] > 1:
            yield ("monitoring", "monitors", index, "name"), f"name {monitor.name!r} is used twice"
    if monitors and not (spec.monitoring.alerts.emails or spec.monitoring.alerts.webhooks):
        yield ("monitoring", "alerts"), (
            "monitors need somewhere to alert: add alerts.emails or alerts.webhooks"
        )

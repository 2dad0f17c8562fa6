"""The launch-ready policy rules, as pure functions over Pulumi resource inputs.

``policy/__main__.py`` wraps each rule in a pulumi_policy ``ResourceValidationPolicy`` or
``StackValidationPolicy``; keeping the logic here (no pulumi_policy import) lets the rules be
unit-tested with plain dicts. Inputs arrive as the engine delivers them: wire camelCase keys
(``settingId``, ``zoneId``), numbers as floats, and ``ZoneSetting.value`` passed through untouched.
A value the engine cannot know during preview is ``UNKNOWN``; a rule never judges it.

Every message says what is wrong *and* how to fix it in the stack file.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

ZONE_SETTING: Final = "cloudflare:index/zoneSetting:ZoneSetting"
DNS_RECORD: Final = "cloudflare:index/dnsRecord:DnsRecord"
RULESET: Final = "cloudflare:index/ruleset:Ruleset"

HSTS_MIN_AGE: Final = 15552000
"""Six months in seconds: the launch-ready floor for HSTS max-age."""

RATE_LIMIT_PHASE: Final = "http_ratelimit"
ENTRYPOINT_KINDS: Final = frozenset({"zone", "root"})
"""Ruleset kinds Cloudflare allows once per phase (custom rulesets may repeat)."""
REQUIRED_SETTINGS: Final = ("ssl", "min_tls_version", "always_use_https", "security_header")
DEFAULT_RATE_LIMITED: Final = ("login", "chat")


class _Unknown:
    """Marker for an input only known after ``pulumi up`` (an output of another resource)."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Final = _Unknown()

Props = Mapping[str, Any]
Config = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Resource:
    """One resource of the stack, as a stack-level rule sees it."""

    type: str
    props: Props
    urn: str = ""


@dataclass(frozen=True, slots=True)
class Violation:
    message: str
    urn: str | None = None
    """The offending resource; None when the problem is something missing from the stack."""


ResourceCheck = Callable[[str, Props, Config], list[str]]
StackCheck = Callable[[Sequence[Resource], Config], list[Violation]]


@dataclass(frozen=True, slots=True)
class ResourceRule:
    name: str
    description: str
    check: ResourceCheck
    config_schema: Mapping[str, Mapping[str, Any]] | None = None


@dataclass(frozen=True, slots=True)
class StackRule:
    name: str
    description: str
    check: StackCheck
    config_schema: Mapping[str, Mapping[str, Any]] | None = None


# --------------------------------------------------------------------------- helpers


def _known(value: Any) -> bool:
    return value is not UNKNOWN and value is not None


def _setting(resource_type: str, props: Props, setting_id: str) -> tuple[bool, Any]:
    """(applies, value) for a ZoneSetting with this id."""
    if resource_type != ZONE_SETTING or props.get("settingId") != setting_id:
        return False, None
    return True, props.get("value")


def _text(value: Any) -> str:
    """TXT content without the surrounding quotes the API sometimes adds."""
    text = str(value).strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1].replace('" "', "")
    return text


def _names(config: Config, key: str) -> set[str]:
    raw = config.get(key) or []
    return {str(item).strip().rstrip(".").lower() for item in raw}


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        return float(value)
    except ValueError:
        return None


# --------------------------------------------------------------------------- resource rules


def check_ssl_strict(resource_type: str, props: Props, config: Config) -> list[str]:
    applies, value = _setting(resource_type, props, "ssl")
    if not applies or value is UNKNOWN or value == "strict":
        return []
    return [f"SSL mode is {value!r}: Cloudflare would accept any origin certificate (or none). "
            "Fix: set launchready:site.tls.ssl_mode: strict and give the origin a valid certificate "
            "(a Cloudflare Origin CA certificate works)."]


def check_min_tls(resource_type: str, props: Props, config: Config) -> list[str]:
    applies, value = _setting(resource_type, props, "min_tls_version")
    if not applies or value is UNKNOWN or value in ("1.2", "1.3"):
        return []
    return [f"minimum TLS version is {value!r}; TLS 1.0/1.1 are deprecated (RFC 8996). "
            "Fix: set launchready:site.tls.min_version: \"1.2\" (or \"1.3\")."]


def check_always_https(resource_type: str, props: Props, config: Config) -> list[str]:
    applies, value = _setting(resource_type, props, "always_use_https")
    if not applies or value is UNKNOWN or value == "on":
        return []
    return [f"Always Use HTTPS is {value!r}, so plain http:// is served. "
            "Fix: set launchready:site.tls.always_use_https: true."]


def check_hsts(resource_type: str, props: Props, config: Config) -> list[str]:
    applies, value = _setting(resource_type, props, "security_header")
    if not applies or value is UNKNOWN:
        return []
    fix = ("Fix: set launchready:site.tls.hsts {enabled: true, max_age: 31536000} "
           f"(at least {HSTS_MIN_AGE} s = 6 months).")
    if not isinstance(value, Mapping):
        return [f"security_header value is {value!r}, not an object with strict_transport_security. {fix}"]
    if "strictTransportSecurity" in value or any(
        key in value.get("strict_transport_security", {}) for key in ("maxAge", "includeSubdomains")
    ):
        return ["security_header uses camelCase keys (strictTransportSecurity/maxAge); Cloudflare "
                "stores snake_case, so every preview shows a diff (pulumi/pulumi-cloudflare#1579). "
                "Fix: write strict_transport_security, max_age, include_subdomains inside value."]
    hsts = value.get("strict_transport_security")
    if not isinstance(hsts, Mapping):
        return [f"security_header has no strict_transport_security object. {fix}"]
    problems = []
    enabled = hsts.get("enabled")
    if _known(enabled) and enabled is not True:
        problems.append(f"HSTS is disabled. {fix}")
    age = hsts.get("max_age")
    if age is not UNKNOWN:
        seconds = _number(age)
        if seconds is None or seconds < HSTS_MIN_AGE:
            problems.append(f"HSTS max_age is {age!r}, below 6 months. {fix}")
    return problems


def check_proxied_ttl(resource_type: str, props: Props, config: Config) -> list[str]:
    if resource_type != DNS_RECORD or props.get("proxied") is not True:
        return []
    ttl = props.get("ttl")
    if ttl is UNKNOWN or _number(ttl) == 1:
        return []
    return [f"{props.get('name')} is proxied with ttl {ttl!r}; Cloudflare ignores the TTL of proxied "
            "records and reports 1, so every preview shows a diff. Fix: set ttl: 1 (automatic) "
            "on proxied records."]


WEB_TYPES: Final = frozenset({"A", "AAAA", "CNAME"})
ORIGIN_COMMENT: Final = "launchready: origin"
"""Comment the DNS component puts on records generated from ``origin`` (apex and www)."""


def check_origin_not_exposed(resource_type: str, props: Props, config: Config) -> list[str]:
    """A/AAAA/CNAME web hostnames must be proxied: unproxied, they publish the origin address."""
    if resource_type != DNS_RECORD or props.get("type") not in WEB_TYPES:
        return []
    proxied = props.get("proxied")
    if proxied is UNKNOWN or proxied is True:
        return []
    name = str(props.get("name") or "").rstrip(".").lower()
    comment = props.get("comment")
    is_web = (
        name.startswith("www.")
        or name == "www"
        or name in _names(config, "webHostnames")
        or (isinstance(comment, str) and comment.startswith(ORIGIN_COMMENT))
    )
    if not is_web or name in _names(config, "allowUnproxied"):
        return []
    return [f"web hostname {name} ({props.get('type')} {props.get('content')}) is not proxied, so "
            "DNS hands out the origin address and attackers can bypass Cloudflare's WAF and rate "
            "limits. Fix: set launchready:site.origin.proxied: true (or proxied: true on the record); "
            "if the host must stay DNS-only, list it in the policy config allowUnproxied."]


# --------------------------------------------------------------------------- stack rules


def _zone_key(props: Props) -> str:
    """Group by zone; an id unknown during preview is the zone this stack creates."""
    zone = props.get("zoneId")
    if zone is None:
        zone = props.get("accountId")
    return "(zone created by this stack)" if not _known(zone) else str(zone)


def check_one_ruleset_per_phase(resources: Sequence[Resource], config: Config) -> list[Violation]:
    by_phase: dict[tuple[str, str], list[Resource]] = defaultdict(list)
    for res in resources:
        if res.type != RULESET:
            continue
        kind = res.props.get("kind", "zone")
        phase = res.props.get("phase")
        if kind not in ENTRYPOINT_KINDS or not _known(phase):
            continue
        by_phase[(_zone_key(res.props), str(phase))].append(res)
    out = []
    for (zone, phase), group in sorted(by_phase.items()):
        if len(group) < 2:
            continue
        for extra in group[1:]:
            out.append(Violation(
                f"{len(group)} rulesets for phase {phase} in zone {zone}; Cloudflare allows one "
                "entrypoint ruleset per zone and phase, and each apply overwrites the phase. "
                f"Fix: put all {phase} rules in one Ruleset, each with a stable ref.",
                extra.urn or None,
            ))
    return out


def check_dmarc(resources: Sequence[Resource], config: Config) -> list[Violation]:
    for res in resources:
        if res.type != DNS_RECORD or res.props.get("type") != "TXT":
            continue
        name = str(res.props.get("name") or "").lower()
        if not (name == "_dmarc" or name.startswith("_dmarc.")):
            continue
        content = res.props.get("content")
        if content is UNKNOWN:
            return []
        tags = [tag.strip().lower() for tag in _text(content).split(";")]
        if tags and tags[0] == "v=dmarc1" and any(
            tag in ("p=none", "p=quarantine", "p=reject") for tag in tags
        ):
            return []
        return [Violation(f"the _dmarc record {content!r} is not a valid DMARC record (needs "
                          "v=DMARC1 first and a p= policy). Fix: let launchready generate it from "
                          "launchready:site.email.dmarc.", res.urn or None)]
    return [Violation("no DMARC record (TXT at _dmarc): anyone can send mail as the domain. "
                      "Fix: keep launchready:site.email.dmarc (default policy reject) so the stack "
                      "publishes it.")]


def check_rate_limits(resources: Sequence[Resource], config: Config) -> list[Violation]:
    required = [str(p).lower() for p in (config.get("paths") or DEFAULT_RATE_LIMITED)]
    covered: set[str] = set()
    for res in resources:
        if res.type != RULESET or res.props.get("phase") != RATE_LIMIT_PHASE:
            continue
        rules = res.props.get("rules")
        if not isinstance(rules, Sequence) or isinstance(rules, str):
            continue
        for rule in rules:
            if not isinstance(rule, Mapping) or rule.get("enabled") is False:
                continue
            texts = [rule.get("expression"), (rule.get("ratelimit") or {}).get("countingExpression")]
            if any(t is UNKNOWN for t in texts):
                return []
            blob = " ".join(str(t) for t in texts if t).lower()
            covered.update(p for p in required if p in blob)
    missing = [p for p in required if p not in covered]
    if not missing:
        return []
    return [Violation(
        f"no enabled rate-limit rule (phase {RATE_LIMIT_PHASE}) covers the {', '.join(missing)} "
        "path(s); brute force and cost abuse go unthrottled. Fix: add launchready:site.firewall."
        "rate_limits entries whose paths include them (e.g. /api/auth/login, /api/chat).")]


def check_tls_settings_managed(resources: Sequence[Resource], config: Config) -> list[Violation]:
    """Each zone the stack touches manages the mandatory settings (else dashboard defaults apply)."""
    zones: dict[str, set[str]] = defaultdict(set)
    for res in resources:
        if res.type not in (ZONE_SETTING, DNS_RECORD, RULESET) or res.props.get("zoneId") is None:
            continue
        settings = zones[_zone_key(res.props)]
        if res.type == ZONE_SETTING and _known(res.props.get("settingId")):
            settings.add(str(res.props["settingId"]))
    out = []
    for zone, settings in sorted(zones.items()):
        missing = [s for s in REQUIRED_SETTINGS if s not in settings]
        if missing:
            out.append(Violation(
                f"zone {zone} does not manage the setting(s) {', '.join(missing)}, so whatever the "
                "dashboard holds applies. Fix: keep launchready:site.tls in the stack (the TLS "
                "component sets them all)."))
    return out


# --------------------------------------------------------------------------- the pack

_NAME_LIST = {"type": "array", "items": {"type": "string"}}

RESOURCE_RULES: Final[tuple[ResourceRule, ...]] = (
    ResourceRule("ssl-strict", "SSL/TLS mode is Full (strict)", check_ssl_strict),
    ResourceRule("min-tls-1-2", "minimum TLS version is 1.2 or higher", check_min_tls),
    ResourceRule("always-use-https", "Always Use HTTPS is on", check_always_https),
    ResourceRule("hsts-6-months", "HSTS enabled, max-age >= 6 months, snake_case value keys", check_hsts),
    ResourceRule("proxied-ttl-auto", "proxied DNS records use ttl 1 (automatic)", check_proxied_ttl),
    ResourceRule(
        "no-exposed-origin",
        "web hostnames (apex, www, origin records) are proxied unless explicitly allowed",
        check_origin_not_exposed,
        {"webHostnames": _NAME_LIST, "allowUnproxied": _NAME_LIST},
    ),
)

STACK_RULES: Final[tuple[StackRule, ...]] = (
    StackRule("one-ruleset-per-phase", "exactly one entrypoint ruleset per (zone, phase)",
              check_one_ruleset_per_phase),
    StackRule("dmarc-record", "the stack publishes a DMARC record", check_dmarc),
    StackRule("rate-limit-login-chat", "rate-limit rules cover the login and chat paths",
              check_rate_limits, {"paths": {**_NAME_LIST, "default": list(DEFAULT_RATE_LIMITED)}}),
    StackRule("tls-settings-managed", "each zone manages ssl, min TLS, HTTPS-only and HSTS",
              check_tls_settings_managed),
)

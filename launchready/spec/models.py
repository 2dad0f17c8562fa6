"""The site spec: what "launch ready" means for one client domain.

Read from the stack config key ``launchready:site``. Unknown keys are rejected everywhere so a
typo never silently turns a protection off. Field-level rules live here; rules that span
fields or depend on the Cloudflare plan live in ``consistency.py`` so every problem can be
reported at once with its key path.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import ipaddress
import re
from typing import Annotated, Any, Literal

import idna
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from launchready.spec.app import AppSpec
from launchready.spec.limits import Plan
from launchready.spec.presets import apply_email_preset

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_SLUG = re.compile(r"^[a-z][a-z0-9_-]{0,47}$")
Slug = Annotated[
    str,
    Field(
        pattern=_SLUG.pattern,
        description="lower-case identifier: letters, digits, '-' and '_', starting with a letter",
    ),
]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def normalize_domain(value: str) -> str:
    """Lower-case A-label form (IDNA 2008), no trailing dot."""
    raw = value.strip().rstrip(".").lower()
    if not raw:
        raise ValueError("domain is empty")
    if raw.isascii():
        ascii_name = raw  # already A-labels; LDH is checked below
    else:
        try:
            ascii_name = idna.encode(raw, uts46=True).decode("ascii")
        except idna.IDNAError as exc:
            raise ValueError(f"not a valid domain name ({exc})") from None
    labels = ascii_name.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise ValueError("expected a registrable domain such as example.com")
    return ascii_name


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


# --------------------------------------------------------------------------- zone & origin


class ZoneRef(StrictModel):
    """Which Cloudflare zone to manage: an existing one, or create one in an account."""

    zone_id: str | None = Field(
        default=None, description="id of an existing zone (32 hex chars); adopt it"
    )
    account_id: str | None = Field(
        default=None, description="account to create the zone in when zone_id is not given"
    )

    @model_validator(mode="after")
    def _one_of(self) -> ZoneRef:
        if not self.zone_id and not self.account_id:
            raise ValueError("give zone_id (existing zone) or account_id (create the zone)")
        for key in ("zone_id", "account_id"):
            value = getattr(self, key)
            if value is not None and not re.fullmatch(r"[0-9a-f]{32}", value):
                raise ValueError(f"{key} must be 32 lower-case hex characters")
        return self


class Origin(StrictModel):
    """Where the canonical site is served from; records for apex and www point here."""

    addresses: list[str] = Field(
        default_factory=list, description="origin IPv4/IPv6 addresses (A/AAAA records)"
    )
    hostname: str | None = Field(
        default=None,
        description="origin host name (CNAME; flattened at the apex), e.g. app.fly.dev",
    )
    proxied: bool = Field(default=True, description="serve through Cloudflare (orange cloud)")

    @field_validator("addresses")
    @classmethod
    def _ips(cls, value: list[str]) -> list[str]:
        for item in value:
            if not _is_ip(item):
                raise ValueError(f"{item!r} is not an IPv4 or IPv6 address")
        return value

    @field_validator("hostname")
    @classmethod
    def _host(cls, value: str | None) -> str | None:
        return None if value is None else normalize_domain(value)

    @model_validator(mode="after")
    def _one_of(self) -> Origin:
        if bool(self.addresses) == bool(self.hostname):
            raise ValueError("give exactly one of addresses (IPs) or hostname")
        return self


RecordType = Literal["A", "AAAA", "CNAME", "TXT", "MX", "CAA", "SRV", "NS"]


class DnsRecord(StrictModel):
    """One extra DNS record. Its identity is (name, type, content), never its list position."""

    name: str = Field(description="'@' for the apex, a relative label such as 'api', or a FQDN")
    type: RecordType
    content: str = Field(description="address, target host or text; MX/SRV priority goes in priority")
    ttl: int = Field(default=1, description="1 = automatic, otherwise 60..86400 seconds")
    proxied: bool = Field(default=False, description="only A, AAAA and CNAME can be proxied")
    priority: int | None = Field(default=None, ge=0, le=65535, description="MX/SRV priority")
    comment: str | None = Field(default=None, max_length=100)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        value = value.strip().rstrip(".").lower()
        if value in ("", "@"):
            return "@"
        labels = value.split(".")
        for label in labels:
            if label == "*" or label.startswith("_"):
                continue
            if not _LABEL.match(label):
                raise ValueError(f"{value!r} is not a valid record name")
        return value

    @field_validator("ttl")
    @classmethod
    def _ttl(cls, value: int) -> int:
        if value != 1 and not 60 <= value <= 86400:
            raise ValueError("ttl must be 1 (automatic) or between 60 and 86400 seconds")
        return value

    @model_validator(mode="after")
    def _shape(self) -> DnsRecord:
        if self.proxied and self.type not in ("A", "AAAA", "CNAME"):
            raise ValueError(f"a {self.type} record cannot be proxied (only A, AAAA, CNAME)")
        if self.type == "A" and not isinstance(
            ipaddress.ip_address(_ip_or_raise(self.content)), ipaddress.IPv4Address
        ):
            raise ValueError(f"A record content {self.content!r} is not an IPv4 address")
        if self.type == "AAAA" and not isinstance(
            ipaddress.ip_address(_ip_or_raise(self.content)), ipaddress.IPv6Address
        ):
            raise ValueError(f"AAAA record content {self.content!r} is not an IPv6 address")
        if self.type in ("MX", "SRV") and self.priority is None:
            raise ValueError(f"{self.type} records need a priority")
        if self.proxied and self.ttl != 1:
            # Cloudflare ignores the TTL of proxied records; 1 keeps plan and live state equal.
            object.__setattr__(self, "ttl", 1)
        return self


def _ip_or_raise(value: str) -> str:
    if not _is_ip(value):
        raise ValueError(f"{value!r} is not an IP address")
    return value


# --------------------------------------------------------------------------- TLS


class Hsts(StrictModel):
    enabled: bool = True
    max_age: int = Field(
        default=31536000,
        ge=0,
        le=63072000,
        description="seconds; launch-ready wants at least 15552000 (6 months)",
    )
    include_subdomains: bool = True
    preload: bool = False
    nosniff: bool = True


class Tls(StrictModel):
    ssl_mode: Literal["strict", "full"] = Field(
        default="strict", description="SSL/TLS encryption mode; 'strict' = Full (strict)"
    )
    min_version: Literal["1.0", "1.1", "1.2", "1.3"] = "1.2"
    tls_1_3: Literal["on", "off", "zrt"] = "on"
    always_use_https: bool = True
    automatic_https_rewrites: bool = True
    hsts: Hsts = Field(default_factory=Hsts)


# --------------------------------------------------------------------------- email


class MxHost(StrictModel):
    host: str = Field(description="mail exchanger host name; '.' for a null MX (RFC 7505)")
    priority: int = Field(ge=0, le=65535)

    @field_validator("host")
    @classmethod
    def _host(cls, value: str) -> str:
        return "." if value.strip() == "." else normalize_domain(value)


class Spf(StrictModel):
    includes: list[str] = Field(default_factory=list, description="include: mechanisms")
    ip4: list[str] = Field(default_factory=list)
    ip6: list[str] = Field(default_factory=list)
    all: Literal["-all", "~all"] = Field(
        default="-all", description="'+all' and '?all' are never launch ready"
    )

    @field_validator("ip4", "ip6")
    @classmethod
    def _nets(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or network") from None
        return value

    def record(self) -> str:
        parts = ["v=spf1"]
        parts += [f"ip4:{net}" for net in self.ip4]
        parts += [f"ip6:{net}" for net in self.ip6]
        parts += [f"include:{inc}" for inc in self.includes]
        parts.append(self.all)
        return " ".join(parts)


class Dkim(StrictModel):
    selector: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    key_type: Literal["rsa", "ed25519"] = "rsa"
    public_key: str | None = Field(
        default=None, description="base64 public key (the p= value); published as TXT"
    )
    cname: str | None = Field(
        default=None, description="provider-hosted key: publish a CNAME to this target"
    )

    @field_validator("public_key")
    @classmethod
    def _b64(cls, value: str | None) -> str | None:
        if value is None:
            return None
        compact = "".join(value.split())
        try:
            raw = base64.b64decode(compact, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("public_key must be base64 (the p= value of the DKIM record)") from None
        if not raw:
            raise ValueError("public_key is empty")
        return compact

    @field_validator("cname")
    @classmethod
    def _target(cls, value: str | None) -> str | None:
        # The form Cloudflare stores and returns (no trailing dot), so plans do not diff.
        # Not normalize_domain: provider targets carry labels such as _domainkey.
        if value is None:
            return None
        target = value.strip().rstrip(".").lower()
        if not target or any(c.isspace() for c in target):
            raise ValueError(f"{value!r} is not a host name")
        return target

    @model_validator(mode="after")
    def _one_of(self) -> Dkim:
        if bool(self.public_key) == bool(self.cname):
            raise ValueError("give exactly one of public_key (TXT) or cname (provider-hosted)")
        return self

    def record(self) -> str:
        return f"v=DKIM1; k={self.key_type}; p={self.public_key}"


def _mailto(value: str) -> str:
    value = value.strip()
    address = value.removeprefix("mailto:")
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", address):
        raise ValueError(f"{value!r} is not a mailto: address")
    return f"mailto:{address}"


class Dmarc(StrictModel):
    policy: Literal["none", "quarantine", "reject"] = "reject"
    subdomain_policy: Literal["none", "quarantine", "reject"] | None = None
    rua: list[str] = Field(default_factory=list, description="aggregate report addresses")
    ruf: list[str] = Field(default_factory=list, description="forensic report addresses")
    pct: int = Field(default=100, ge=0, le=100)
    adkim: Literal["r", "s"] = "r"
    aspf: Literal["r", "s"] = "r"

    @field_validator("rua", "ruf")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        return [_mailto(item) for item in value]

    def record(self) -> str:
        tags = [f"v=DMARC1; p={self.policy}"]
        if self.subdomain_policy:
            tags.append(f"sp={self.subdomain_policy}")
        if self.rua:
            tags.append("rua=" + ",".join(self.rua))
        if self.ruf:
            tags.append("ruf=" + ",".join(self.ruf))
        if self.pct != 100:
            tags.append(f"pct={self.pct}")
        if self.adkim != "r":
            tags.append(f"adkim={self.adkim}")
        if self.aspf != "r":
            tags.append(f"aspf={self.aspf}")
        return "; ".join(tags)


class MtaSts(StrictModel):
    mode: Literal["enforce", "testing", "none"] = "enforce"
    max_age: int = Field(default=604800, ge=86400, le=31557600)
    policy_id: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9]{1,32}$",
        description="id= of the _mta-sts TXT; derived from the policy when omitted",
    )
    policy_host: str = Field(
        default="mta-sts", description="label that serves /.well-known/mta-sts.txt"
    )


class TlsRpt(StrictModel):
    rua: list[str] = Field(min_length=1, description="mailto: or https: report destinations")

    @field_validator("rua")
    @classmethod
    def _dest(cls, value: list[str]) -> list[str]:
        return [v if v.startswith("https://") else _mailto(v) for v in value]

    def record(self) -> str:
        return "v=TLSRPTv1; rua=" + ",".join(self.rua)


EmailProvider = Literal["google_workspace", "microsoft_365", "custom", "none"]


class Email(StrictModel):
    """Mail for the domain. A preset fills MX/SPF/DKIM; anything given here overrides it.

    ``provider: none`` is the "sends no mail" mode: null MX, ``v=spf1 -all``, DMARC reject.
    """

    provider: EmailProvider = "none"
    tenant: str | None = Field(
        default=None,
        description="Microsoft 365 tenant (the x in x.onmicrosoft.com) for DKIM CNAMEs",
    )
    mx: list[MxHost] = Field(default_factory=list)
    spf: Spf = Field(default_factory=Spf)
    dkim: list[Dkim] = Field(default_factory=list)
    dmarc: Dmarc = Field(default_factory=Dmarc)
    mta_sts: MtaSts | None = None
    tls_rpt: TlsRpt | None = None

    @field_validator("tenant")
    @classmethod
    def _tenant(cls, value: str | None) -> str | None:
        if value is not None and not _LABEL.match(value.lower()):
            raise ValueError(f"{value!r} is not a tenant name: give the x of x.onmicrosoft.com, "
                             "e.g. contoso")
        return value.lower() if value else value

    @model_validator(mode="before")
    @classmethod
    def _preset(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        domain = data.pop("__domain__", None)
        return apply_email_preset(data, domain)

    @property
    def sends_mail(self) -> bool:
        return self.provider != "none"


# --------------------------------------------------------------------------- CAA, firewall


class Caa(StrictModel):
    issuers: list[str] = Field(
        default_factory=lambda: ["letsencrypt.org", "pki.goog", "ssl.com", "digicert.com"],
        description="CAs allowed to issue (Cloudflare's Universal SSL CAs by default)",
    )
    wildcard_issuers: list[str] = Field(
        default_factory=list, description="issuewild; empty = same as issuers"
    )
    iodef: str | None = Field(default=None, description="mailto: or https: for CA reports")


class ManagedRulesets(StrictModel):
    free: bool = Field(default=True, description="Cloudflare Free Managed Ruleset (every plan)")
    cloudflare: bool = Field(default=False, description="Cloudflare Managed Ruleset (Pro+)")
    owasp: bool = Field(default=False, description="OWASP Core Ruleset (Pro+)")


class CustomRule(StrictModel):
    """A WAF custom rule: a raw expression, or paths outside an IP allowlist."""

    ref: Slug
    description: str
    action: Literal["block", "managed_challenge", "js_challenge", "skip"] = "block"
    expression: str | None = Field(default=None, description="raw Cloudflare rule expression")
    paths: list[str] = Field(
        default_factory=list, description="path prefixes matched with starts_with"
    )
    allow_ips: list[str] = Field(
        default_factory=list, description="source IPs/networks exempt from this rule"
    )

    @field_validator("paths")
    @classmethod
    def _paths(cls, value: list[str]) -> list[str]:
        return [_path(p) for p in value]

    @field_validator("allow_ips")
    @classmethod
    def _nets(cls, value: list[str]) -> list[str]:
        return Spf._nets(value)

    @model_validator(mode="after")
    def _one_of(self) -> CustomRule:
        if bool(self.expression) == bool(self.paths):
            raise ValueError("give exactly one of expression or paths")
        return self


def _path(value: str) -> str:
    if not value.startswith("/") or any(c in value for c in ' "\\'):
        raise ValueError(f"{value!r} must be a URL path starting with '/' (no spaces or quotes)")
    return value


class RateLimit(StrictModel):
    """A rate-limiting rule on the paths that cost money or guard accounts."""

    ref: Slug
    description: str
    paths: list[str] = Field(min_length=1, description="path prefixes counted by this rule")
    methods: list[Literal["GET", "POST", "PUT", "PATCH", "DELETE"]] = Field(
        default_factory=list, description="restrict to these methods (Business and up)"
    )
    requests_per_period: int = Field(ge=1, le=1_000_000)
    period: int = Field(description="seconds: 10, 60, 120, 300, 600 or 3600 (plan-dependent)")
    mitigation_timeout: int = Field(default=60, description="block duration in seconds")
    action: Literal["block", "managed_challenge"] = "block"
    characteristics: list[str] = Field(
        default_factory=lambda: ["cf.colo.id", "ip.src"],
        description="what a counter is keyed on; per-IP on every plan",
    )

    @field_validator("paths")
    @classmethod
    def _paths(cls, value: list[str]) -> list[str]:
        return [_path(p) for p in value]


class Firewall(StrictModel):
    managed: ManagedRulesets = Field(default_factory=ManagedRulesets)
    custom_rules: list[CustomRule] = Field(default_factory=list)
    rate_limits: list[RateLimit] = Field(default_factory=list)
    skip_healthchecks: bool = Field(
        default=True,
        description="let Cloudflare's own health checks past custom and rate-limit rules",
    )


class Cache(StrictModel):
    bypass_paths: list[str] = Field(
        default_factory=lambda: ["/api/", "/auth/", "/login", "/admin"],
        description="never cached: authenticated and API paths",
    )
    bypass_cookies: list[str] = Field(
        default_factory=lambda: ["session"],
        description="requests carrying these cookies bypass the cache",
    )
    static_extensions: list[str] = Field(
        default_factory=lambda: ["css", "js", "mjs", "png", "jpg", "jpeg", "gif", "svg", "webp",
                                 "ico", "woff", "woff2"],
    )
    static_edge_ttl: int = Field(default=86400, ge=60, le=31536000)

    @field_validator("bypass_paths")
    @classmethod
    def _paths(cls, value: list[str]) -> list[str]:
        return [_path(p) for p in value]

    @field_validator("static_extensions")
    @classmethod
    def _ext(cls, value: list[str]) -> list[str]:
        for ext in value:
            if not re.fullmatch(r"[a-z0-9]{1,10}", ext):
                raise ValueError(f"{ext!r} is not a file extension (letters/digits, no dot)")
        return value


class SecurityHeaders(StrictModel):
    """Response headers set at the edge by a transform rule."""

    enabled: bool = True
    content_security_policy: str = (
        "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'self'; "
        "frame-ancestors 'none'; form-action 'self'; upgrade-insecure-requests"
    )
    x_frame_options: Literal["DENY", "SAMEORIGIN"] = "DENY"
    referrer_policy: Literal[
        "no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"
    ] = "strict-origin-when-cross-origin"
    x_content_type_options: Literal["nosniff"] = "nosniff"
    permissions_policy: str = "camera=(), microphone=(), geolocation=(), payment=()"
    extra: dict[str, str] = Field(default_factory=dict, description="more headers to set")

    def as_map(self) -> dict[str, str]:
        headers = {
            "Content-Security-Policy": self.content_security_policy,
            "X-Frame-Options": self.x_frame_options,
            "Referrer-Policy": self.referrer_policy,
            "X-Content-Type-Options": self.x_content_type_options,
            "Permissions-Policy": self.permissions_policy,
        }
        headers.update(self.extra)
        return headers


# --------------------------------------------------------------------------- monitoring


class Monitor(StrictModel):
    name: Slug
    path: str = "/"
    host: str | None = Field(default=None, description="defaults to the canonical host")
    method: Literal["GET", "HEAD"] = "GET"
    expected_codes: list[str] = Field(default_factory=lambda: ["200"])
    expected_body: str | None = None
    interval: int = Field(default=60, ge=15, le=3600, description="seconds between checks")
    timeout: int = Field(default=5, ge=1, le=10)
    retries: int = Field(default=2, ge=0, le=5)
    max_response_ms: int = Field(
        default=1500, ge=50, description="verify warns when the answer is slower"
    )

    @field_validator("path")
    @classmethod
    def _p(cls, value: str) -> str:
        return _path(value)

    @field_validator("host")
    @classmethod
    def _h(cls, value: str | None) -> str | None:
        # Health check address, Host header, skip-rule http.host and verify URL all need the
        # form Cloudflare compares: lower-case A-labels, no trailing dot.
        return None if value is None else normalize_domain(value)

    @field_validator("expected_codes")
    @classmethod
    def _codes(cls, value: list[str]) -> list[str]:
        for code in value:
            if not re.fullmatch(r"[1-5]([0-9]{2}|xx)", code):
                raise ValueError(f"{code!r} is not an HTTP status code such as 200 or 2xx")
        return value


class WebhookTarget(StrictModel):
    name: Slug
    url: str = Field(pattern=r"^https://", description="HTTPS endpoint Cloudflare posts alerts to")


class Alerts(StrictModel):
    emails: list[str] = Field(default_factory=list)
    webhooks: list[WebhookTarget] = Field(default_factory=list)

    @field_validator("emails")
    @classmethod
    def _emails(cls, value: list[str]) -> list[str]:
        return [_mailto(v).removeprefix("mailto:") for v in value]


class Monitoring(StrictModel):
    monitors: list[Monitor] = Field(default_factory=list)
    alerts: Alerts = Field(default_factory=Alerts)


# --------------------------------------------------------------------------- site


class SiteSpec(StrictModel):
    """One client domain, launch ready."""

    domain: str = Field(description="the registrable domain, e.g. example.com (IDN allowed)")
    zone: ZoneRef
    plan: Plan = "free"
    canonical_host: Literal["apex", "www"] = Field(
        default="apex", description="the host every other web host redirects to"
    )
    origin: Origin
    records: list[DnsRecord] = Field(default_factory=list)
    tls: Tls = Field(default_factory=Tls)
    email: Email = Field(default_factory=Email)
    caa: Caa = Field(default_factory=Caa)
    dnssec: bool = True
    firewall: Firewall = Field(default_factory=Firewall)
    cache: Cache = Field(default_factory=Cache)
    headers: SecurityHeaders = Field(default_factory=SecurityHeaders)
    monitoring: Monitoring = Field(default_factory=Monitoring)
    app: AppSpec | None = Field(default=None, description="application probes (verify)")

    @field_validator("domain")
    @classmethod
    def _domain(cls, value: str) -> str:
        return normalize_domain(value)

    @model_validator(mode="before")
    @classmethod
    def _email_context(cls, data: Any) -> Any:
        # The email preset needs the domain (M365 MX host); pass it down explicitly.
        if isinstance(data, dict) and isinstance(data.get("email"), dict):
            email = dict(data["email"])
            domain = data.get("domain")
            if isinstance(domain, str):
                with contextlib.suppress(ValueError):
                    email["__domain__"] = normalize_domain(domain)
            data = {**data, "email": email}
        return data

    # -- derived names used by components and verify alike ------------------------

    @property
    def canonical_fqdn(self) -> str:
        return self.domain if self.canonical_host == "apex" else f"www.{self.domain}"

    @property
    def other_fqdn(self) -> str:
        return f"www.{self.domain}" if self.canonical_host == "apex" else self.domain

    def fqdn(self, name: str) -> str:
        """'@' -> apex, 'api' -> api.<domain>, a FQDN inside the zone stays as it is."""
        if name == "@":
            return self.domain
        if name == self.domain or name.endswith("." + self.domain):
            return name
        return f"{name}.{self.domain}"

    def monitor_url(self, monitor: Monitor) -> str:
        return f"https://{monitor.host or self.canonical_fqdn}{monitor.path}"

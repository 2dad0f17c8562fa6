"""The ``app`` section of the site spec: what the application probes exercise.

Kept separate so verify's web checks and the probes can evolve without touching the
Cloudflare-facing models. Tokens and signing secrets never live here: the spec names the
environment variable that holds each one, and a value that looks like a literal token is
rejected so nobody commits one by mistake.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

BURST_HARD_CAP = 200
"""No rate-limit burst ever sends more requests than this, whatever the spec says."""

_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]{0,63}$")
_TOKEN_SHAPES = (
    re.compile(r"^(AKIA|ASIA|AGPA|AIDA|AROA)[A-Z0-9]{12,}$"),  # AWS access key ids
    re.compile(r"^[A-Z0-9]{20,}$"),  # a long run of upper-case/digits with no separator
    re.compile(r"^(gh[pousr]_|github_pat_|xox[bpar]-|[sr]k_|sk-|whsec_|sb_secret_|cf[ua]t_|cfk_|eyJ)"),
)


def _env_name(value: str) -> str:
    # The error messages never repeat the value: it may be a real token pasted by mistake.
    if any(shape.match(value) for shape in _TOKEN_SHAPES) or value.lower().startswith("bearer "):
        raise ValueError(
            "looks like a literal token or secret; put the NAME of an environment variable "
            "here (e.g. APP_TOKEN_A) and keep the value out of the stack file"
        )
    if not _ENV_NAME.match(value):
        raise ValueError(
            "expected an environment variable NAME: upper-case letters, digits and '_' "
            "(e.g. APP_TOKEN_A), at most 64 characters"
        )
    return value


EnvName = Annotated[
    str,
    AfterValidator(_env_name),
    Field(description="name of an environment variable that holds the value (never the value)"),
]


def _path(value: str) -> str:
    if not value.startswith("/") or "://" in value or any(ch.isspace() for ch in value):
        raise ValueError("expected an absolute path such as /api/admin (no scheme, host or spaces)")
    return value


Path = Annotated[str, AfterValidator(_path)]
Method = Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]


class AppModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Identity(AppModel):
    """A test account; its token comes from the environment at run time."""

    token_env: EnvName = Field(description="env var holding this identity's bearer token")
    object_id: str | None = Field(
        default=None,
        description="an object this identity owns (identity A): used for the object-access probe",
        max_length=200,
    )
    object_marker: str | None = Field(
        default=None,
        description="text known to be in that object; must never show up in another identity's reply",
        max_length=200,
    )


class Identities(AppModel):
    a: Identity = Field(description="ordinary user A: owns the probed objects")
    b: Identity = Field(description="ordinary user B: must not reach A's objects")
    admin: Identity | None = Field(default=None, description="an admin, to confirm admin routes work")


class SensitiveRoute(AppModel):
    """A route that must refuse callers without a valid session."""

    method: Method = "GET"
    path: Path
    kind: Literal["admin", "history", "billing", "webhook", "tool", "other"] = "other"
    body: dict[str, Any] | None = Field(default=None, description="sample JSON body for non-GET routes")


class ObjectRoute(AppModel):
    """A route that takes an object id; ``{placeholder}`` marks where the id goes."""

    method: Method = "GET"
    path: str = Field(description="e.g. /api/conversations/{conversation_id}")
    query: dict[str, str] = Field(
        default_factory=dict, description="query parameters; may hold the placeholder"
    )
    body: dict[str, Any] | None = Field(default=None, description="JSON body; string values may hold it")
    placeholder: str = Field(default="conversation_id", pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,40}$")

    @field_validator("path")
    @classmethod
    def _p(cls, value: str) -> str:
        return _path(value)

    @model_validator(mode="after")
    def _has_placeholder(self) -> ObjectRoute:
        marker = "{" + self.placeholder + "}"
        where = [self.path, *self.query.values(), repr(self.body or {})]
        if not any(marker in part for part in where):
            raise ValueError(f"the route never uses {marker} in its path, query or body")
        return self


class Cors(AppModel):
    allowed_origins: list[str] = Field(
        default_factory=list, description="exact origins allowed to call the API from a browser"
    )
    paths: list[Path] = Field(
        default_factory=lambda: ["/"], description="public paths to probe besides the sensitive routes"
    )

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            if not re.match(r"^https?://[^/\s]+$", origin):
                raise ValueError(f"origin {origin!r} must be scheme://host[:port] with no path")
        return value


class RateTarget(AppModel):
    method: Method = "POST"
    path: Path
    body: dict[str, Any] | None = Field(
        default=None, description="JSON body template; '{n}' in a string becomes the request number"
    )
    limit: int | None = Field(
        default=None,
        ge=1,
        le=BURST_HARD_CAP,
        description="this target's limit per window (default: rate_limits.limit)",
    )


class RateLimits(AppModel):
    """Expected limits; the probe sends a bounded burst and stops at the first 429."""

    login: RateTarget | None = Field(default=None, description="login, burst per IP without credentials")
    chat_send: RateTarget | None = Field(default=None, description="chat send, burst per identity")
    limit: int = Field(ge=1, le=BURST_HARD_CAP, description="requests allowed per window")
    window_seconds: int = Field(default=60, ge=1, le=86400)
    burst: int | None = Field(
        default=None,
        ge=1,
        le=BURST_HARD_CAP,
        description=f"requests per burst; default and maximum 2 x limit, never above {BURST_HARD_CAP}",
    )

    @model_validator(mode="after")
    def _burst(self) -> RateLimits:
        if self.burst is not None:
            for target in (self.login, self.chat_send):
                if target is not None and self.burst > 2 * (target.limit or self.limit):
                    raise ValueError(f"burst may be at most 2 x the limit of {target.path}")
        return self

    def limit_for(self, target: RateTarget) -> int:
        return target.limit or self.limit

    def burst_for(self, target: RateTarget) -> int:
        """Requests to send at ``target``: the spec's burst, at most 2 x its limit and the hard cap."""
        cap = 2 * self.limit_for(target)
        return min(self.burst or cap, cap, BURST_HARD_CAP)


class Webhook(AppModel):
    path: Path
    scheme: Literal["stripe", "github", "slack", "standard_webhooks", "svix", "generic_hmac"]
    secret_env: EnvName | None = Field(
        default=None,
        description="env var holding the STAGING signing secret; enables the stale/tamper/replay cases",
    )
    header: str | None = Field(default=None, description="generic_hmac: the signature header")
    algorithm: Literal["sha1", "sha256", "sha512"] = "sha256"
    encoding: Literal["hex", "base64"] = "hex"
    prefix: str = Field(default="", description="generic_hmac: text before the digest, e.g. 'sha256='")

    @model_validator(mode="after")
    def _generic(self) -> Webhook:
        if self.scheme == "generic_hmac" and not self.header:
            raise ValueError("generic_hmac needs 'header' (the signature header name)")
        if self.scheme != "generic_hmac" and self.header:
            raise ValueError(f"'header' is fixed by the {self.scheme} scheme; set it only for generic_hmac")
        return self


class ChatEndpoint(AppModel):
    """A chat or tool endpoint and a payload it accepts."""

    method: Literal["POST", "PUT", "PATCH"] = "POST"
    path: Path
    sample: dict[str, Any] = Field(description="a valid JSON payload the endpoint accepts")
    message_field: str = Field(default="message", description="the free-text field in the sample")
    identity: Literal["a", "b", "none"] = Field(default="a", description="whose token to send")
    max_message_chars: int | None = Field(
        default=None, ge=1, description="documented limit; the oversized case sends more than this"
    )
    url_field: str | None = Field(
        default=None,
        description="a field of the sample the tool fetches as a URL (e.g. 'url'); when set, the SSRF "
        "probe (app.ssrf) sends loopback, cloud-metadata, file:// and gopher:// URLs in it",
    )

    @model_validator(mode="after")
    def _field(self) -> ChatEndpoint:
        for name in (self.message_field, self.url_field):
            if name is not None and not isinstance(self.sample.get(name), str):
                raise ValueError(f"sample must hold a string field {name!r}")
        return self


class AppSpec(AppModel):
    """What the application probes check; everything optional probes only what is listed."""

    base_url: str | None = Field(
        default=None, description="where the app is served; defaults to https://<canonical host>"
    )
    entry_path: Path = Field(default="/", description="the page whose scripts are scanned for secrets")
    auth_header: str = Field(default="Authorization", pattern=r"^[A-Za-z0-9-]+$")
    auth_scheme: str = Field(
        default="Bearer",
        description="prefix before the token: 'Bearer' sends 'Bearer <token>'; one ending in '=' "
        "(a cookie, with auth_header Cookie) is joined without a space; '' sends the token bare",
    )
    identities: Identities | None = None
    sensitive_routes: list[SensitiveRoute] = Field(default_factory=list)
    object_routes: list[ObjectRoute] = Field(default_factory=list)
    cors: Cors = Field(default_factory=Cors)
    rate_limits: RateLimits | None = None
    webhooks: list[Webhook] = Field(default_factory=list)
    chat: list[ChatEndpoint] = Field(default_factory=list)
    system_prompt_canary: str | None = Field(
        default=None, min_length=8, description="a unique string planted in the system prompt"
    )
    system_prompt_canary_env: EnvName | None = Field(
        default=None, description="env var holding the canary, when it should not sit in the stack file"
    )

    @field_validator("base_url")
    @classmethod
    def _base(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^/\s?#@]+(/[^\s?#]*)?$", value):
            raise ValueError("expected http(s)://host[:port][/prefix] (no user:password@ in the URL)")
        return value.rstrip("/") if value else value

    @model_validator(mode="after")
    def _needs(self) -> AppSpec:
        if self.object_routes and (self.identities is None or not self.identities.a.object_id):
            raise ValueError("object_routes need identities.a.object_id (an object A owns)")
        if self.system_prompt_canary and self.system_prompt_canary_env:
            raise ValueError("set system_prompt_canary or system_prompt_canary_env, not both")
        return self

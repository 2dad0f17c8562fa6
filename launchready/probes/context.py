"""What every probe shares: the spec, the bounded client, tokens from the environment, and
the small judgements (refused? crashed? stack trace?) the probes all make the same way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from launchready.probes.http import Exchange, ProbeClient
from launchready.redact import redact
from launchready.spec.app import AppSpec

Who = Literal["a", "b", "admin"]
MAX_CASES = 40
"""Evidence lists at most this many cases per check, so reports stay readable."""

_STACK_TRACE = (
    re.compile(r"Traceback \(most recent call last\)"),
    re.compile(r'File "[^"]+", line \d+'),
    re.compile(r"\bat [\w$.<>]+ \([^)]*:\d+:\d+\)"),  # node / V8
    re.compile(r"\bat [\w$.]+\([\w$]+\.java:\d+\)"),
    re.compile(r"(?i)\b(stack ?trace|exception in thread|unhandled exception)\b"),
    re.compile(r"\bon line \d+ in \S+\.php\b|\bPHP (Fatal|Warning)"),
    re.compile(r"\bgoroutine \d+ \[running\]"),
)


@dataclass(frozen=True, slots=True)
class SsrfCanary:
    """A URL only the app's side can reach (a loopback or internal listener) and the text it serves.

    The SSRF probe plants the URL; seeing ``text`` in the tool's answer proves the fetch. The
    text is treated as a secret: evidence shows it redacted.
    """

    url: str
    text: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class ProbeContext:
    app: AppSpec
    host: str
    """The canonical host name, used to build the CORS trick origins."""
    client: ProbeClient
    env: Mapping[str, str]
    ssrf_canary: SsrfCanary | None = None

    def env_name(self, who: Who) -> str | None:
        ids = self.app.identities
        if ids is None:
            return None
        identity = {"a": ids.a, "b": ids.b, "admin": ids.admin}[who]
        return identity.token_env if identity else None

    def token(self, who: Who) -> str | None:
        name = self.env_name(who)
        value = self.env.get(name, "").strip() if name else ""
        return value or None

    def auth(self, token: str | None) -> dict[str, str]:
        if token is None:
            return {}
        scheme = self.app.auth_scheme.strip()
        # "Bearer" -> "Bearer <token>"; "session=" (a cookie) -> "session=<token>"; "" -> the bare token
        joined = f"{scheme}{token}" if not scheme or scheme.endswith("=") else f"{scheme} {token}"
        return {self.app.auth_header: joined}

    def canary(self) -> str | None:
        if self.app.system_prompt_canary:
            return self.app.system_prompt_canary
        name = self.app.system_prompt_canary_env
        return (self.env.get(name) or None) if name else None


def stack_trace_markers(text: str) -> list[str]:
    """Names of the stack-trace shapes found in a body (the body itself is never quoted)."""
    return [pattern.pattern[:40] for pattern in _STACK_TRACE if pattern.search(text)]


def snippet(exchange: Exchange) -> str:
    """A response body as evidence: length and fingerprint only, never its content."""
    return redact(exchange.text.strip()) if exchange.body else ""


def kind_of(exchange: Exchange) -> str:
    """Classify an answer: accepted (2xx), refused (401/403), crashed (5xx), redirect, other."""
    status = exchange.status
    if status == 0:
        return "no response"
    if 200 <= status < 300:
        return "accepted"
    if status in (401, 403):
        return "refused"
    if status >= 500:
        return "crashed"
    if 300 <= status < 400:
        return "redirect"
    return "other 4xx"


def fill(value: Any, marker: str, replacement: str) -> Any:
    """Replace ``marker`` in every string of a JSON-like value."""
    if isinstance(value, str):
        return value.replace(marker, replacement)
    if isinstance(value, list):
        return [fill(item, marker, replacement) for item in value]
    if isinstance(value, dict):
        return {key: fill(item, marker, replacement) for key, item in value.items()}
    return value


def no_response_summary(exchanges: list[Exchange]) -> str:
    errors = sorted({ex.error for ex in exchanges if ex.error})
    return "; ".join(errors[:3]) or "no answers"

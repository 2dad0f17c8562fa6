"""Build the official Cloudflare SDK client and turn its failures into clear, token-free errors.

Retries are the SDK's own: it retries 408/409/429/5xx and connection errors with exponential
backoff and honours ``Retry-After`` (up to 60 s); we only set how many times. Pagination is the
SDK's auto-pagination. What we add is the error mapping: a 401/403 names the token permission
the failed call needs, and every message passes through ``scrub`` so the token never leaks.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import cloudflare

from launchready.redact import redact

TOKEN_ENV = "CLOUDFLARE_API_TOKEN"
BASE_URL_ENV = "CLOUDFLARE_BASE_URL"
DEFAULT_BASE_URL = "https://api.cloudflare.com/client/v4"
DEFAULT_MAX_RETRIES = 4
DEFAULT_TIMEOUT = 20.0


class CloudflareError(Exception):
    """The Cloudflare API could not be used; the message is safe to print."""

    def __init__(self, message: str, *, status: int | None = None, codes: tuple[int, ...] = ()):
        super().__init__(message)
        self.status = status
        self.codes = codes


class CloudflareAccessError(CloudflareError):
    """Missing, invalid or under-scoped token; ``permission`` is what the failed call needs."""

    def __init__(self, message: str, *, permission: str | None = None, status: int | None = None,
                 codes: tuple[int, ...] = ()):
        super().__init__(message, status=status, codes=codes)
        self.permission = permission


class CloudflareNotFound(CloudflareError):
    """The zone, record or object named does not exist (or the token cannot see it)."""


def make_client(
    token: str | None = None,
    base_url: str | None = None,
    *,
    max_retries: int = DEFAULT_MAX_RETRIES,
    timeout: float = DEFAULT_TIMEOUT,
) -> cloudflare.Cloudflare:
    """An SDK client authenticated by an API token only (never a global key from the env)."""
    token = token or os.environ.get(TOKEN_ENV)
    if not token:
        raise CloudflareAccessError(
            f"no Cloudflare API token: set {TOKEN_ENV} (a token scoped to the zone with "
            "Zone:Read, DNS:Read, Zone Settings:Read, Zone WAF:Read, Health Checks:Read, "
            "Notifications:Read; Edit permissions for adopt --apply and restore)"
        )
    url = base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
    client = cloudflare.Cloudflare(
        api_token=token, base_url=url, max_retries=max_retries, timeout=timeout
    )
    # The SDK prefers X-Auth-Email/X-Auth-Key from the environment over the token; we never
    # want a global key to be used behind the user's back.
    client.api_email = None
    client.api_key = None
    client.user_service_key = None
    return client


def scrub(text: str, client: cloudflare.Cloudflare | None = None, *secrets: str) -> str:
    """Replace the client's token (and any other secret given) by its redacted form."""
    values = [s for s in (*secrets, getattr(client, "api_token", None)) if s]
    for value in values:
        text = text.replace(value, redact(value))
    return text


@contextmanager
def api_errors(client: cloudflare.Cloudflare, action: str, permission: str) -> Iterator[None]:
    """Translate SDK exceptions raised while doing ``action`` into ``CloudflareError``s.

    ``permission`` is the token permission the call needs, e.g. ``DNS:Read``.
    """
    try:
        yield
    except cloudflare.APIStatusError as exc:
        raise status_error(client, exc, action, permission) from None
    except cloudflare.APITimeoutError:
        raise CloudflareError(
            f"{action}: the Cloudflare API at {client.base_url} did not answer in time "
            f"(after {client.max_retries} retries)"
        ) from None
    except cloudflare.APIConnectionError as exc:
        cause = scrub(str(exc.__cause__ or exc), client)
        raise CloudflareError(
            f"{action}: cannot reach the Cloudflare API at {client.base_url}: {cause}"
        ) from None


def status_error(
    client: cloudflare.Cloudflare, exc: cloudflare.APIStatusError, action: str, permission: str
) -> CloudflareError:
    status = exc.status_code
    errors = _errors(exc.body)
    codes = tuple(code for code, _ in errors)
    detail = scrub("; ".join(f"{code} {message}" for code, message in errors), client)
    said = f" (Cloudflare {status}" + (f", error {detail})" if detail else ")")
    if status == 401:
        return CloudflareAccessError(
            f"{action}: the API token was rejected as invalid or expired{said}; create a token "
            f"with {permission} and set {TOKEN_ENV}",
            permission=permission, status=status, codes=codes,
        )
    if status == 403 or 9109 in codes:
        return CloudflareAccessError(
            f"{action}: the API token lacks the {permission} permission for this zone{said}; "
            f"add {permission} to the token in the dashboard (My Profile → API Tokens)",
            permission=permission, status=status, codes=codes,
        )
    if status == 404:
        return CloudflareNotFound(f"{action}: not found{said}", status=status, codes=codes)
    if status == 429:
        return CloudflareError(
            f"{action}: still rate limited after {client.max_retries} retries{said}; "
            "try again in a few minutes",
            status=status, codes=codes,
        )
    return CloudflareError(f"{action}: the API refused the request{said}", status=status,
                           codes=codes)


def _errors(body: object) -> list[tuple[int, str]]:
    if not isinstance(body, dict):
        return []
    found = body.get("errors")
    if not isinstance(found, list):
        return []
    out = []
    for item in found:
        if isinstance(item, dict):
            code = item.get("code")
            out.append((code if isinstance(code, int) else 0, str(item.get("message", ""))))
    return out


def verify_token(client: cloudflare.Cloudflare) -> str:
    """The token's status (``active``…), or a ``CloudflareAccessError`` naming the problem."""
    with api_errors(client, "check the API token", "a valid API token"):
        body: Any = client.get("/user/tokens/verify", cast_to=object)
    result = body.get("result") if isinstance(body, dict) else None
    status = str(result.get("status") or "") if isinstance(result, dict) else ""
    if status != "active":
        raise CloudflareAccessError(f"the API token is {status or 'not active'}",
                                    permission="a valid API token")
    return status

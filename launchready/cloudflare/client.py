"""Build the official Cloudflare SDK client and turn its failures into clear, token-free errors.

The token comes from ``CLOUDFLARE_API_TOKEN``, else from the stack's own secret
(``pulumi config get cloudflare:apiToken``, the key the provider itself reads), so a team that
keeps the token in the stack does not need to export it as well.

Retries are the SDK's own: it retries 408/409/429/5xx and connection errors with exponential
backoff and honours ``Retry-After`` (up to 60 s); we only set how many times. Pagination is the
SDK's auto-pagination. What we add is the error mapping: a 401/403 names the token permission
the failed call needs, and every message passes through ``scrub`` so the token never leaks.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import cloudflare

from launchready.redact import redact

TOKEN_ENV = "CLOUDFLARE_API_TOKEN"
BASE_URL_ENV = "CLOUDFLARE_BASE_URL"
DEFAULT_BASE_URL = "https://api.cloudflare.com/client/v4"
DEFAULT_MAX_RETRIES = 4
DEFAULT_TIMEOUT = 20.0
PULUMI_TOKEN_KEY = "cloudflare:apiToken"
PULUMI_TIMEOUT = 30.0
_PULUMI_SECRETS = ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_ACCESS_TOKEN")
"""Environment values that a failing ``pulumi`` might echo; scrubbed like the token."""
_SCOPES = ("a token scoped to the zone with Zone:Read, DNS:Read, Zone Settings:Read, Zone WAF:Read, "
           "Health Checks:Read, Notifications:Read; the Edit permissions too for restore")


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
        raise CloudflareAccessError(f"no Cloudflare API token: set {TOKEN_ENV} ({_SCOPES})")
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


def resolve_token(stack: str | None, stacks_dir: Path, *,
                  timeout: float = PULUMI_TIMEOUT) -> str:
    """``CLOUDFLARE_API_TOKEN``, else the stack's ``cloudflare:apiToken`` secret via ``pulumi``.

    Raises ``CloudflareAccessError`` naming both ways to provide a token when neither works.
    """
    token = os.environ.get(TOKEN_ENV)
    if token:
        return token
    both_ways = (f"set {TOKEN_ENV}, or keep the token in the stack as a secret: `pulumi config "
                 f"set --secret {PULUMI_TOKEN_KEY} --stack {stack or '<stack>'}` ({_SCOPES})")
    if stack is None:
        raise CloudflareAccessError(f"no Cloudflare API token: {both_ways}")
    binary = shutil.which("pulumi")
    if binary is None:
        raise CloudflareAccessError(
            f"no Cloudflare API token: {TOKEN_ENV} is not set and the pulumi CLI (to read the "
            f"stack's {PULUMI_TOKEN_KEY} secret) is not on PATH; {both_ways}")
    project = project_dir(stacks_dir)
    if project is None:
        raise CloudflareAccessError(
            f"no Cloudflare API token: {TOKEN_ENV} is not set and no Pulumi.yaml was found at or "
            f"above {stacks_dir} to read the stack's secret from; {both_ways}")
    return _pulumi_config_get(binary, stack, project, timeout, both_ways)


def project_dir(stacks_dir: Path) -> Path | None:
    """The Pulumi project folder (holding ``Pulumi.yaml``): the stacks folder or a parent."""
    start = stacks_dir.resolve()
    for folder in (start, *start.parents):
        if (folder / "Pulumi.yaml").is_file() or (folder / "Pulumi.yml").is_file():
            return folder
    return None


def _pulumi_config_get(binary: str, stack: str, cwd: Path, timeout: float, both_ways: str) -> str:
    command = f"pulumi config get {PULUMI_TOKEN_KEY} --stack {stack}"
    try:
        # Own session: a timeout kills pulumi and anything it started; no stdin, so a
        # passphrase prompt fails at once instead of waiting.
        proc = subprocess.Popen(
            [binary, "config", "get", PULUMI_TOKEN_KEY, "--stack", stack], cwd=cwd,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            start_new_session=True)
    except OSError as exc:
        raise CloudflareAccessError(f"`{command}` could not start ({exc.strerror or exc}); "
                                    f"{both_ways}") from None
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise CloudflareAccessError(
            f"`{command}` did not finish in {timeout:g} s (is the state backend reachable and "
            f"PULUMI_CONFIG_PASSPHRASE set?); {both_ways}") from None
    value = out.strip()
    if proc.returncode == 0 and value:
        return value
    secrets = [value, *(os.environ.get(name, "") for name in _PULUMI_SECRETS)]
    said = scrub(" ".join(err.split())[:300], None, *secrets) or f"exit status {proc.returncode}"
    if proc.returncode == 0:
        said = "the stack has no such value"
    raise CloudflareAccessError(f"`{command}` failed in {cwd}: {said}; {both_ways}")


MIN_SCRUB_LENGTH = 6
"""Shortest value ``scrub`` replaces."""


def scrub(text: str, client: cloudflare.Cloudflare | None = None, *secrets: str) -> str:
    """Replace the client's token (and any other secret given) by its redacted form.

    Values shorter than ``MIN_SCRUB_LENGTH`` are left alone: no real token is that short, and
    replacing every "x" of a message for a token "x" only makes the message unreadable.
    """
    values = [s for s in (*secrets, getattr(client, "api_token", None))
              if s and len(s) >= MIN_SCRUB_LENGTH]
    for value in sorted(values, key=len, reverse=True):
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

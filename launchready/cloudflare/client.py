"""Build the official Cloudflare SDK client and turn its failures into clear, token-free errors.

The token comes from ``CLOUDFLARE_API_TOKEN``, else from the stack's own secret
(``pulumi config get cloudflare:apiToken``, the key the provider itself reads), so a team that
keeps the token in the stack does not need to export it as well.

Retries are the SDK's own: it retries 408/409/429/5xx and connection errors with exponential
backoff and honours ``Retry-After``; we set how many times, the per-request timeout, and two
bounds so a run's length stays predictable: a ``Retry-After`` longer than ``MAX_RETRY_AFTER`` is
not waited for (the error says what the API asked), and an optional deadline (monotonic time)
shortens each attempt to the time left and stops retrying once it passes. Against a silent
server a call takes at most about ``timeout * (max_retries + 1)`` plus a few seconds of backoff.
Pagination is the SDK's auto-pagination. What we add is the error mapping: a 401/403 names the
token permission the failed call needs, and every message passes through ``scrub`` so the
token never leaks.
"""

from __future__ import annotations

import email.utils
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import cloudflare
import httpx

from launchready.redact import redact

TOKEN_ENV = "CLOUDFLARE_API_TOKEN"
BASE_URL_ENV = "CLOUDFLARE_BASE_URL"
DEFAULT_BASE_URL = "https://api.cloudflare.com/client/v4"
DEFAULT_MAX_RETRIES = 2
DEFAULT_TIMEOUT = 10.0
MAX_RETRY_AFTER = 10.0
"""Longest ``Retry-After`` waited for; a longer ask ends the call with an error saying so."""
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


class CloudflareDeadline(CloudflareError):
    """The caller's deadline passed before the API answered."""


def check_base_url(url: str) -> str:
    """``url`` if it is an http(s) URL with a host; else ``ValueError`` saying what is wrong.

    Shared by every command that takes ``--base-url`` (or reads ``CLOUDFLARE_BASE_URL``), so a
    typo is a usage error instead of a connection failure.
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"{url!r} is not an http(s) URL (expected e.g. {DEFAULT_BASE_URL})")
    try:
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        host = None
    if not host or any(c.isspace() for c in url.strip()):
        raise ValueError(f"{url!r} has no valid host (expected e.g. {DEFAULT_BASE_URL})")
    return url.strip()


def retry_after(headers: httpx.Headers | None) -> float | None:
    """Seconds a response asks the client to wait (``Retry-After``, seconds or HTTP date)."""
    value = headers.get("retry-after") if headers is not None else None
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        parsed = email.utils.parsedate_tz(value)
        return float(email.utils.mktime_tz(parsed) - time.time()) if parsed else None


class _BoundedCloudflare(cloudflare.Cloudflare):
    """The SDK client, with a cap on ``Retry-After`` waits and an optional deadline."""

    deadline: float | None = None
    """``time.monotonic()`` value after which no request is sent and no retry waited for."""

    def _remaining(self) -> float | None:
        return None if self.deadline is None else self.deadline - time.monotonic()

    def _prepare_options(self, options: Any) -> Any:
        # Called before every attempt: stop at the deadline, and never wait past it.
        remaining = self._remaining()
        if remaining is not None:
            if remaining <= 0:
                raise CloudflareDeadline("the run deadline was reached before the Cloudflare "
                                         f"API at {self.base_url} answered")
            per_attempt = self.timeout if isinstance(self.timeout, float | int) else DEFAULT_TIMEOUT
            options.timeout = min(float(per_attempt), remaining)
        return super()._prepare_options(options)

    def _should_retry(self, response: httpx.Response) -> bool:
        asked = retry_after(response.headers)
        if asked is not None and asked > MAX_RETRY_AFTER:
            return False  # the error names the wait; sleeping it would stall the run
        return super()._should_retry(response)

    def _calculate_retry_timeout(self, remaining_retries: int, options: Any,
                                 response_headers: httpx.Headers | None = None) -> float:
        wait = super()._calculate_retry_timeout(remaining_retries, options, response_headers)
        remaining = self._remaining()
        return wait if remaining is None else max(0.0, min(wait, remaining))


def make_client(
    token: str | None = None,
    base_url: str | None = None,
    *,
    max_retries: int = DEFAULT_MAX_RETRIES,
    timeout: float = DEFAULT_TIMEOUT,
    deadline: float | None = None,
) -> cloudflare.Cloudflare:
    """An SDK client authenticated by an API token only (never a global key from the env).

    ``timeout`` is per attempt; ``deadline`` (``time.monotonic()``) bounds every call made with
    the client, retries and waits included.
    """
    token = token or os.environ.get(TOKEN_ENV)
    if not token:
        raise CloudflareAccessError(f"no Cloudflare API token: set {TOKEN_ENV} ({_SCOPES})")
    url = base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
    try:
        url = check_base_url(url)
    except ValueError as exc:
        raise CloudflareError(f"Cloudflare API base URL: {exc}") from None
    client = _BoundedCloudflare(
        api_token=token, base_url=url, max_retries=max_retries, timeout=timeout
    )
    client.deadline = deadline
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
    except CloudflareDeadline as exc:
        raise CloudflareDeadline(f"{action}: {exc}") from None
    except cloudflare.APITimeoutError:
        deadline = getattr(client, "deadline", None)
        if deadline is not None and time.monotonic() >= deadline:
            raise CloudflareDeadline(f"{action}: the run deadline was reached before the "
                                     f"Cloudflare API at {client.base_url} answered") from None
        per_attempt = client.timeout if isinstance(client.timeout, float | int) else DEFAULT_TIMEOUT
        raise CloudflareError(
            f"{action}: the Cloudflare API at {client.base_url} did not answer in time "
            f"({client.max_retries + 1} attempt(s) of {per_attempt:g} s each; "
            "--timeout and --retries change this)"
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
    asked = retry_after(exc.response.headers)
    if asked is not None and asked > MAX_RETRY_AFTER:
        return CloudflareError(
            f"{action}: the API asked to wait {asked:g} s before retrying (Retry-After){said}; "
            f"launchready waits at most {MAX_RETRY_AFTER:g} s, so it stopped: try again later",
            status=status, codes=codes,
        )
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

"""The Cloudflare API options shared by ``drift``, ``adopt``, ``backup`` and ``restore``.

One definition of ``--base-url``, ``--timeout`` and ``--retries`` (and one check of the base
URL, through ``cloudflare.client.check_base_url``) so the four commands behave alike.
"""

from __future__ import annotations

import os
from typing import Annotated

import typer

from launchready.cloudflare.client import (
    BASE_URL_ENV,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    check_base_url,
)
from launchready.exitcodes import ExitCode

BaseUrl = Annotated[str | None, typer.Option(
    "--base-url", help=f"Cloudflare API base URL (default: ${BASE_URL_ENV} or the public API)")]
Timeout = Annotated[float, typer.Option(
    "--timeout", min=0.1, max=300, help="seconds per API request; a silent API fails after about "
    "timeout x (retries + 1) plus a few seconds of backoff")]
Retries = Annotated[int, typer.Option(
    "--retries", min=0, max=10, help="API retries on 429/5xx/connection errors (a Retry-After "
    "above 10 s is not waited for)")]

__all__ = ["DEFAULT_MAX_RETRIES", "DEFAULT_TIMEOUT", "BaseUrl", "Retries", "Timeout",
           "checked_base_url"]


def checked_base_url(value: str | None) -> str | None:
    """``--base-url`` (else ``$CLOUDFLARE_BASE_URL``) checked before any work: exit 2 if malformed."""
    where, url = ("--base-url", value) if value is not None else (
        f"${BASE_URL_ENV}", os.environ.get(BASE_URL_ENV) or None)
    if url is None:
        return None
    try:
        return check_base_url(url)
    except ValueError as exc:
        typer.echo(f"{where}: {exc}", err=True)
        raise typer.Exit(ExitCode.USAGE) from None

"""``launchready drift``: each stack's offline plan against its live Cloudflare zone.

Several ``--stack`` options compare several stacks in one call: plans are made one at a time
(the Pulumi mock engine is process-wide), API reads and comparisons run concurrently
(``--jobs``). Exit codes: 0 every stack in sync, 1 drift found in any stack (even if another
could not be read: drift is the finding to act on), 2 a stack file error (checked for every
stack before anything runs), 3 a stack could not be compared and none drifted (API
unreachable, bad or under-scoped token, zone not visible, plan failed).

JSON: one stack prints its report as before (``{zone, zone_id, in_sync, compared, items}``);
several print ``{"stacks": [{stack, in_sync, error, zone, zone_id, compared, items}]}`` in
the order given, ``in_sync`` null and ``error`` set for a stack that could not be compared.

The token comes from ``CLOUDFLARE_API_TOKEN``, else each stack's ``cloudflare:apiToken``
secret (pulumi CLI); it is never printed: every message is scrubbed of it.
"""

from __future__ import annotations

import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from launchready.cli.cfapi import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    BaseUrl,
    Retries,
    Timeout,
    checked_base_url,
)
from launchready.cloudflare.client import (
    TOKEN_ENV,
    CloudflareError,
    make_client,
    resolve_token,
    scrub,
)
from launchready.cloudflare.drift import DriftReport, desired_from_plan, detect_drift
from launchready.cloudflare.reader import read_zone_state
from launchready.exitcodes import ExitCode
from launchready.spec import SiteSpec, SpecError, load_stack
from launchready.spec.loader import DEFAULT_STACKS_DIR
from launchready.verify.dnsclient import Lookup
from launchready.verify.resolver import DnsClient, parse_nameserver

_PLAN_LOCK = threading.Lock()
"""The mock engine keeps process-wide settings: one plan at a time."""


class OutputFormat(StrEnum):
    table = "table"
    json = "json"


def register(app: typer.Typer) -> None:
    """Add this area's commands to the root app."""
    app.command("drift")(drift)


def _fail(code: ExitCode, message: str) -> typer.Exit:
    secret = os.environ.get(TOKEN_ENV, "")
    typer.echo(scrub(message, None, secret) if secret else message, err=True)
    return typer.Exit(code)


@dataclass(frozen=True, slots=True)
class StackDrift:
    """One stack's outcome: a report, or why it could not be compared (token-free)."""

    stack: str
    report: DriftReport | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        if self.report is None:
            return {"stack": self.stack, "in_sync": None, "error": self.error, "items": []}
        return {"stack": self.stack, "error": None, **self.report.to_dict()}


@dataclass(frozen=True, slots=True)
class _Settings:
    stacks_dir: Path
    zone_id: str | None
    base_url: str | None
    retries: int
    timeout: float
    lookup: Lookup


def drift_stack(stack: str, spec: SiteSpec, settings: _Settings) -> StackDrift:
    """Plan, read and compare one stack; every failure becomes a scrubbed ``error``."""
    token = ""
    try:
        token = resolve_token(stack, settings.stacks_dir)
        client = make_client(token, base_url=settings.base_url, max_retries=settings.retries,
                             timeout=settings.timeout)
    except CloudflareError as exc:
        return StackDrift(stack, error=scrub(str(exc), None, token))
    try:
        from launchready.plan import plan_spec  # heavy (pulumi): only when drift runs

        with _PLAN_LOCK:
            desired = desired_from_plan(plan_spec(spec, stack=stack))
    except Exception as exc:  # the program failed under the mock engine: a message, not a traceback
        return StackDrift(stack, error=scrub(f"planning {stack} failed: {type(exc).__name__}: {exc}",
                                             client))
    try:
        live = read_zone_state(client, settings.zone_id or spec.zone.zone_id or spec.domain)
    except CloudflareError as exc:
        return StackDrift(stack, error=scrub(str(exc), client))
    except Exception as exc:  # an API answer the SDK could not parse: still no traceback
        return StackDrift(stack, error=scrub(f"reading the zone failed: {type(exc).__name__}: {exc}",
                                             client))
    return StackDrift(stack, report=detect_drift(desired, live, settings.lookup))


def exit_code(outcomes: list[StackDrift]) -> ExitCode:
    """Drift anywhere wins (1); else any stack not compared (3); else in sync (0)."""
    if any(o.report is not None and not o.report.in_sync for o in outcomes):
        return ExitCode.FAILED
    if any(o.report is None for o in outcomes):
        return ExitCode.COULD_NOT_RUN
    return ExitCode.OK


def drift(
    stack: Annotated[list[str], typer.Option(
        "--stack", "-s", help="stack name (stacks/Pulumi.<stack>.yaml); repeat for several")],
    output: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="table for people, json for tools")
    ] = OutputFormat.table,
    stacks_dir: Annotated[
        Path, typer.Option("--stacks-dir", help="directory holding the stack files")
    ] = DEFAULT_STACKS_DIR,
    zone_id: Annotated[
        str | None, typer.Option("--zone-id", help="zone to compare (one stack only; default: the "
                                 "spec's zone_id, else the zone named like the domain)")
    ] = None,
    base_url: BaseUrl = None,
    nameserver: Annotated[
        list[str] | None, typer.Option("--nameserver", help="resolver for the takeover check "
                                       "(IP or IP:PORT; default: the system's)")
    ] = None,
    retries: Retries = DEFAULT_MAX_RETRIES,
    timeout: Timeout = DEFAULT_TIMEOUT,
    jobs: Annotated[
        int, typer.Option("--jobs", min=1, max=32, help="stacks compared at the same time")
    ] = 4,
) -> None:
    """Compare what `pulumi up` would create (the offline plan) with the live zone: settings,
    DNS records (missing, changed, unmanaged, dangling CNAMEs = takeover risk), rulesets per
    phase (rules added in the dashboard), health checks, alert policies, DNSSEC.

    Exit codes: 0 in sync, 1 drift in any stack, 2 stack-file error, 3 a stack could not be
    compared (and none drifted).

    Example: CLOUDFLARE_API_TOKEN=... launchready drift --stack shop --stack blog --format json
    """
    # Cheap checks first (arguments, every stack file), then plans and the API.
    stacks = list(dict.fromkeys(stack))
    if zone_id and len(stacks) > 1:
        raise _fail(ExitCode.USAGE, "--zone-id names one zone: give it with a single --stack")
    base_url = checked_base_url(base_url)
    try:
        servers = [parse_nameserver(n) for n in nameserver or ()]
    except ValueError as exc:
        raise _fail(ExitCode.USAGE, f"--nameserver: {exc}") from None
    specs: dict[str, SiteSpec] = {}
    problems = []
    for name in stacks:
        try:
            specs[name] = load_stack(name, stacks_dir)
        except SpecError as exc:
            problems.append(exc.render())
    if problems:
        raise _fail(ExitCode.USAGE, "\n".join(problems))
    settings = _Settings(stacks_dir, zone_id, base_url, retries, timeout,
                         DnsClient(servers or None, timeout=3.0))
    with ThreadPoolExecutor(max_workers=min(jobs, len(stacks)),
                            thread_name_prefix="drift") as pool:
        outcomes = list(pool.map(lambda n: drift_stack(n, specs[n], settings), stacks))
    code = exit_code(outcomes)
    if len(outcomes) == 1 and outcomes[0].report is None:
        raise _fail(code, f"drift: {outcomes[0].error}")
    if output is OutputFormat.json:
        data: Any = (outcomes[0].report.to_dict() if len(outcomes) == 1 and outcomes[0].report
                     else {"stacks": [o.to_dict() for o in outcomes]})
        typer.echo(json.dumps(data, indent=2, sort_keys=True, default=str))
    else:
        console = Console()
        if not console.is_terminal:
            console.width = 200
        for outcome in outcomes:
            if outcome.report is not None:
                console.print(render_table(outcome.report, outcome.stack))
    for outcome in outcomes:
        if outcome.error is not None:
            typer.echo(f"drift: stack {outcome.stack}: could not compare: {outcome.error}", err=True)
    raise typer.Exit(code)


def _short(value: Any, limit: int = 70) -> str:
    if value is None:
        return "—"
    if isinstance(value, dict):  # live records carry empty fields; the table shows what is set
        value = {k: v for k, v in value.items() if v not in (None, "", [], {})}
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_table(report: DriftReport, stack: str) -> Table | str:
    compared = ", ".join(f"{n} {area.replace('_', ' ')}" for area, n in report.compared.items())
    if report.in_sync:
        return f"stack {stack}: zone {report.zone} is in sync with the plan ({compared})"
    table = Table(title=f"drift for stack {stack} on zone {report.zone}: {len(report.items)} "
                        f"difference(s) (compared {compared})", title_justify="left")
    for column in ("severity", "kind", "key", "desired", "live", "what to do"):
        table.add_column(column, overflow="fold")
    for item in report.items:
        table.add_row(item.severity, item.kind, item.key, _short(item.desired), _short(item.live),
                      item.note)
    return table

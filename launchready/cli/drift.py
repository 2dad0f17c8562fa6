"""``launchready drift``: the stack's offline plan against the live Cloudflare zone.

Exit codes: 0 in sync, 1 drift found, 2 stack-file error, 3 the API could not be used
(unreachable, bad or under-scoped token, zone not visible). The token comes from
``CLOUDFLARE_API_TOKEN`` and is never printed: every message is scrubbed of it.
"""

from __future__ import annotations

import json
import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from launchready.cloudflare.client import TOKEN_ENV, CloudflareError, make_client, scrub
from launchready.cloudflare.drift import DriftReport, desired_from_plan, detect_drift
from launchready.cloudflare.reader import read_zone_state
from launchready.exitcodes import ExitCode
from launchready.spec import SpecError, load_stack
from launchready.spec.loader import DEFAULT_STACKS_DIR
from launchready.verify.resolver import DnsClient, parse_nameserver


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


def drift(
    stack: Annotated[str, typer.Option("--stack", "-s", help="stack name (stacks/Pulumi.<stack>.yaml)")],
    output: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="table for people, json for tools")
    ] = OutputFormat.table,
    stacks_dir: Annotated[
        Path, typer.Option("--stacks-dir", help="directory holding the stack files")
    ] = DEFAULT_STACKS_DIR,
    zone_id: Annotated[
        str | None, typer.Option("--zone-id", help="zone to compare (default: the spec's zone_id, "
                                 "else the zone named like the domain)")
    ] = None,
    base_url: Annotated[
        str | None, typer.Option("--base-url", help="Cloudflare API base URL (default: "
                                 "$CLOUDFLARE_BASE_URL or the public API)")
    ] = None,
    nameserver: Annotated[
        list[str] | None, typer.Option("--nameserver", help="resolver for the takeover check "
                                       "(IP or IP:PORT; default: the system's)")
    ] = None,
    retries: Annotated[
        int, typer.Option("--retries", min=0, max=10, help="API retries on 429/5xx/connection errors")
    ] = 4,
) -> None:
    """Compare what `pulumi up` would create (the offline plan) with the live zone: settings,
    DNS records (missing, changed, unmanaged, dangling CNAMEs = takeover risk), rulesets per
    phase (rules added in the dashboard), health checks, alert policies, DNSSEC.

    Example: CLOUDFLARE_API_TOKEN=... launchready drift --stack example --format json
    """
    # Cheap checks first (arguments, stack file, token present), then plan, then the API.
    try:
        servers = [parse_nameserver(n) for n in nameserver or ()]
    except ValueError as exc:
        raise _fail(ExitCode.USAGE, f"--nameserver: {exc}") from None
    try:
        spec = load_stack(stack, stacks_dir)
    except SpecError as exc:
        raise _fail(ExitCode.USAGE, exc.render()) from None
    try:
        client = make_client(base_url=base_url, max_retries=retries)
    except CloudflareError as exc:
        raise _fail(ExitCode.COULD_NOT_RUN, f"drift: {exc}") from None
    try:
        from launchready.plan import plan_spec  # heavy (pulumi): only when drift runs

        desired = desired_from_plan(plan_spec(spec, stack=stack))
    except Exception as exc:  # the program failed under the mock engine: a message, not a traceback
        raise _fail(ExitCode.COULD_NOT_RUN, f"drift: planning {stack} failed: "
                                            f"{type(exc).__name__}: {exc}") from None
    try:
        live = read_zone_state(client, zone_id or spec.zone.zone_id or spec.domain)
    except CloudflareError as exc:
        raise _fail(ExitCode.COULD_NOT_RUN, f"drift: {exc}") from None
    except Exception as exc:  # an API answer the SDK could not parse: still no traceback
        raise _fail(ExitCode.COULD_NOT_RUN, f"drift: reading the zone failed: "
                                            f"{type(exc).__name__}: {exc}") from None
    report = detect_drift(desired, live, DnsClient(servers or None, timeout=3.0))
    if output is OutputFormat.json:
        typer.echo(json.dumps(report.to_dict(), indent=2, sort_keys=True, default=str))
    else:
        console = Console()
        if not console.is_terminal:
            console.width = 200
        console.print(render_table(report, stack))
    raise typer.Exit(ExitCode.OK if report.in_sync else ExitCode.FAILED)


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

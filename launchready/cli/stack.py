"""Stack-file commands: scaffold a new client stack, print the spec's JSON Schema."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console

from launchready.exitcodes import ExitCode
from launchready.fsutil import FileExistsRefused
from launchready.scaffold import NewStack, scaffold, workflow_path
from launchready.spec import SpecError, loader
from launchready.spec.models import normalize_domain

err = Console(stderr=True)

PlanOpt = Literal["free", "pro", "business", "enterprise"]
ProviderOpt = Literal["google_workspace", "microsoft_365", "custom", "none"]


def register(app: typer.Typer) -> None:
    app.command("new")(new)
    app.command("schema")(schema)


def new(
    domain: Annotated[str, typer.Argument(help="the client's domain, e.g. client.com")],
    stack: Annotated[str | None, typer.Option(
        "--stack", "-s", help="stack name (default: from the domain)")] = None,
    email_provider: Annotated[ProviderOpt, typer.Option(help="mail preset")] = "google_workspace",
    plan: Annotated[PlanOpt, typer.Option(help="the zone's Cloudflare plan")] = "pro",
    canonical: Annotated[Literal["apex", "www"], typer.Option(help="canonical web host")] = "apex",
    origin: Annotated[str | None, typer.Option(help="origin IP or host name")] = None,
    zone_id: Annotated[str | None, typer.Option(help="adopt this existing zone")] = None,
    account_id: Annotated[str | None, typer.Option(
        help="the Cloudflare account: alert policies live there, and the zone is created there "
             "without --zone-id")] = None,
    tenant: Annotated[str | None, typer.Option(help="Microsoft 365 tenant for DKIM")] = None,
    ci: Annotated[Literal["none", "github"], typer.Option(
        help="github: also write .github/workflows/launchready-<stack>.yml")] = "none",
    stacks_dir: Annotated[Path, typer.Option(help="where stack files live")] = Path("stacks"),
    force: Annotated[bool, typer.Option(help="overwrite an existing stack file (and workflow)")] = False,
) -> None:
    """Scaffold stacks/Pulumi.<stack>.yaml with launch-ready defaults for DOMAIN."""
    try:
        ascii_domain = normalize_domain(domain)
    except ValueError as exc:
        err.print(f"[red]error:[/] {domain!r}: {exc}")
        raise typer.Exit(ExitCode.USAGE) from None
    name = stack or re.sub(r"[^a-z0-9-]", "-", ascii_domain)
    options = NewStack(ascii_domain, name, plan, email_provider, canonical, origin, zone_id,
                       account_id, tenant)
    workflow = workflow_path(name) if ci == "github" else None
    try:
        result = scaffold(options, stacks_dir, force=force, workflow=workflow)
    except (SpecError, FileExistsRefused) as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(ExitCode.USAGE) from None
    except OSError as exc:
        err.print(f"[red]error:[/] cannot write the scaffold: {exc.filename or stacks_dir}: "
                  f"{exc.strerror or exc}", highlight=False)
        raise typer.Exit(ExitCode.USAGE) from None
    for path in result.written:
        typer.echo(f"wrote {path}")
    for todo in result.todos:
        err.print(f"[yellow]todo:[/] {todo}")
    where = "" if stacks_dir == loader.DEFAULT_STACKS_DIR else f" --stacks-dir {stacks_dir}"
    err.print(f"next: launchready plan --stack {name}{where}", highlight=False)


def schema() -> None:
    """Print the JSON Schema of the site spec (launchready:site) for editors and CI."""
    typer.echo(loader.site_json_schema_text())

"""``launchready verify`` and ``launchready checks``: a thin layer over ``launchready.verify``."""

from __future__ import annotations

import json
import os
import shutil
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from launchready.cli.common import parse_each, usage_error
from launchready.cloudflare.client import TOKEN_ENV, CloudflareError, resolve_token
from launchready.exitcodes import ExitCode
from launchready.fsutil import unwritable_reason, write_atomic
from launchready.spec.loader import DEFAULT_STACKS_DIR, SpecError
from launchready.verify import catalogue
from launchready.verify.http import parse_connect_to, parse_resolve
from launchready.verify.report import render, render_table
from launchready.verify.resolver import parse_nameserver
from launchready.verify.runner import Progress as DomainProgress
from launchready.verify.runner import (
    Target,
    VerifyOptions,
    VerifyReport,
    domain_target,
    run_verify,
    stack_target,
)


class Format(StrEnum):
    table = "table"
    json = "json"
    junit = "junit"
    markdown = "markdown"
    html = "html"


def register(app: typer.Typer) -> None:
    app.command("verify")(verify)
    app.command("checks")(checks)






def verify(
    domains: Annotated[list[str] | None, typer.Argument(
        help="domains to check against the launch-ready baseline (IDN allowed)", show_default=False)] = None,
    stack: Annotated[list[str] | None, typer.Option(
        "--stack", "-s", help="check a stack's domain against its site spec (repeatable)")] = None,
    stacks_dir: Annotated[Path, typer.Option(
        help="where Pulumi.<stack>.yaml files live")] = DEFAULT_STACKS_DIR,
    nameserver: Annotated[list[str] | None, typer.Option(
        help="ask this DNS server instead of the system resolvers: IP or IP:PORT (repeatable)")] = None,
    resolve: Annotated[list[str] | None, typer.Option(
        help="HOST:PORT:ADDR - connect there, keeping SNI and Host as HOST (like curl)")] = None,
    connect_to: Annotated[list[str] | None, typer.Option(
        help="HOST:PORT:ADDR:PORT2 - like --resolve, to another port too (like curl)")] = None,
    ca_bundle: Annotated[Path | None, typer.Option(help="PEM file of trusted roots (private CAs)")] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="output format")] = Format.table,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="write the report to this file (atomically) instead of stdout")] = None,
    only: Annotated[list[str] | None, typer.Option(help="run only checks whose id starts with this")] = None,
    skip: Annotated[list[str] | None, typer.Option(help="skip checks whose id starts with this")] = None,
    timeout: Annotated[float, typer.Option(help="seconds per network step")] = 5.0,
    deadline: Annotated[float, typer.Option(help="seconds for the whole run")] = 300.0,
    concurrency: Annotated[int, typer.Option(help="network steps in flight at once")] = 16,
    probe_rate_limits: Annotated[bool, typer.Option(
        help="send request bursts to test the app's rate limits (app.rate_limit)")] = False,
    backups_dir: Annotated[Path, typer.Option(
        help="where `launchready backup` writes (<dir>/<stack>/<stamp>); the report links the "
             "newest backup")] = Path("backups"),
    backup_max_age_days: Annotated[float, typer.Option(
        min=0, help="backup.recent warns when the newest backup is older than this")] = 7.0,
) -> None:
    """Check live DNS, email, TLS and HTTP (and app/Cloudflare state) against the spec or baseline.

    Exit codes: 0 no required check failed, 1 a required check failed, 2 usage or stack-file
    error, 3 nothing could be checked.

    Example: launchready verify --stack example --format html --output report.html
    """
    if not domains and not stack:
        raise usage_error("give at least one DOMAIN or --stack NAME")
    if timeout <= 0 or deadline <= 0 or concurrency < 1:
        raise usage_error("--timeout and --deadline must be positive and --concurrency at least 1")
    if ca_bundle is not None and not ca_bundle.is_file():
        raise usage_error(f"--ca-bundle {ca_bundle}: no such file")
    if output is not None and (why := unwritable_reason(output)):
        raise usage_error(f"--output {output}: {why}")
    for prefix in [*(only or []), *(skip or [])]:
        if not catalogue.select([prefix]):
            raise usage_error(f"no check id starts with {prefix!r}; see `launchready checks`")
    if not catalogue.select(list(only or []), list(skip or [])):
        raise usage_error("--only and --skip leave no check to run; see `launchready checks`")
    targets: list[Target] = []
    for domain in domains or []:
        try:
            targets.append(domain_target(domain))
        except ValueError as exc:
            raise usage_error(f"{domain!r}: {exc}") from None
    for name in stack or []:
        try:
            targets.append(stack_target(name, stacks_dir))
        except SpecError as exc:
            raise usage_error(exc.render()) from None
    # A domain given twice (e.g. bücher.example and xn--bcher-kva.example) is verified once.
    unique: dict[tuple[str, str | None], Target] = {}
    for target in targets:
        unique.setdefault((target.domain, target.stack), target)
    targets = list(unique.values())
    nameservers = parse_each(nameserver, parse_nameserver)
    overrides = parse_each(resolve, parse_resolve) + parse_each(connect_to, parse_connect_to)
    env_token = os.environ.get(TOKEN_ENV) or None
    wants_cloudflare = any(c.id.startswith("cloudflare.") for c in catalogue.select(only, skip))
    stack_tokens = (_stack_tokens(stack or [], stacks_dir)
                    if wants_cloudflare and not env_token else {})
    options = VerifyOptions(
        nameservers=tuple(nameservers), overrides=tuple(overrides),
        ca_bundle=str(ca_bundle) if ca_bundle else None,
        only=tuple(only or ()), skip=tuple(skip or ()), timeout=timeout, deadline=deadline,
        concurrency=concurrency, probe_rate_limits=probe_rate_limits,
        cloudflare_token=env_token, stack_tokens=stack_tokens,
        backups_dir=backups_dir, backup_max_age_days=backup_max_age_days,
    )
    try:
        report = _run_with_progress(targets, options)
    except KeyboardInterrupt:
        raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
    if output is not None:
        try:
            write_atomic(output, render(report, fmt.value))
        except OSError as exc:
            raise usage_error(f"--output {output}: {exc.strerror or exc}") from None
        Console(stderr=True).print(f"report written to {output}", highlight=False)
    elif fmt is Format.table:
        render_table(report, Console())
    else:
        sys.stdout.write(render(report, fmt.value))
    raise typer.Exit(int(report.exit_code))


def _stack_tokens(stacks: list[str], stacks_dir: Path) -> dict[str, str]:
    """Each stack's ``cloudflare:apiToken`` secret, when the pulumi CLI is there to read it.

    Without pulumi the cloudflare.* checks are skipped with their usual reason; a stack whose
    secret cannot be read gets a (token-free) note on stderr and is skipped the same way.
    """
    if shutil.which("pulumi") is None:
        return {}
    tokens: dict[str, str] = {}
    for name in dict.fromkeys(stacks):
        try:
            tokens[name] = resolve_token(name, stacks_dir)
        except CloudflareError as exc:
            Console(stderr=True).print(f"note: cloudflare.* checks of stack {name} skipped: {exc}",
                                       highlight=False, markup=False)
    return tokens


def _run_with_progress(targets: list[Target], options: VerifyOptions) -> VerifyReport:
    """A progress bar on stderr when it is a terminal; silent otherwise (pipes, CI logs)."""
    stderr = Console(stderr=True)
    if not stderr.is_terminal:
        return run_verify(targets, options)
    with Progress(TextColumn("verify"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.description}"), console=stderr, transient=True) as bar:
        task = bar.add_task("", total=len(targets))

        def observer(event: DomainProgress) -> None:
            if event.report is not None:
                bar.update(task, advance=1, description=event.target.label)

        return run_verify(targets, options, observer=observer)


def checks(
    fmt: Annotated[Literal["table", "json"], typer.Option(
        "--format", "-f", help="table for people, json for tools")] = "table",
) -> None:
    """List every check: id, scorecard category, level (required gates the exit code) and what it asks."""
    rows = list(catalogue.CATALOGUE.values())
    if fmt == "json":
        typer.echo(json.dumps([{"id": c.id, "category": c.category.value, "level": c.level.value,
                                "title": c.title} for c in rows], indent=2))
        return
    table = Table(header_style="bold")
    for column in ("id", "scorecard category", "level", "asks"):
        table.add_column(column)
    for check in rows:
        table.add_row(check.id, check.category.value, check.level.value, check.title)
    Console().print(table)

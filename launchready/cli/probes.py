"""``launchready probe``: run only the app security probes of a stack (a thin layer over
``launchready.probes``), or list the requests they would send with ``--plan``."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import typer
from rich.console import Console
from rich.table import Table

from launchready.cli.common import parse_each, usage_error
from launchready.exitcodes import ExitCode
from launchready.probes import ProbeOptions, SsrfCanary, plan_app_probes, run_app_probes
from launchready.probes.http import RequestRecord
from launchready.probes.runner import DEFAULT_BUDGET, base_url_for
from launchready.spec.loader import DEFAULT_STACKS_DIR, SpecError, load_stack
from launchready.verify import catalogue
from launchready.verify.http import parse_connect_to, parse_resolve
from launchready.verify.report import render, render_table
from launchready.verify.resolver import parse_nameserver
from launchready.verify.runner import DomainReport, VerifyReport

SSRF_CANARY_ENV = "LAUNCHREADY_SSRF_CANARY"


class Format(StrEnum):
    table = "table"
    json = "json"
    junit = "junit"


def register(app: typer.Typer) -> None:
    """Add this area's commands to the root app."""
    app.command("probe")(probe)






def _ssrf_canary(url: str) -> SsrfCanary:
    """The canary text comes from the environment, so it stays out of shell history and logs."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        raise usage_error("--ssrf-canary: expected http(s)://host[:port]/path, with no user:password@")
    text = os.environ.get(SSRF_CANARY_ENV, "").strip()
    if len(text) < 8:
        raise usage_error(f"--ssrf-canary needs ${SSRF_CANARY_ENV}: the text that URL serves (8+ characters)")
    return SsrfCanary(url, text)


def probe(
    stack: Annotated[str, typer.Option("--stack", "-s", help="the stack whose app section to probe")],
    stacks_dir: Annotated[Path, typer.Option(help="directory of Pulumi.<stack>.yaml")] = DEFAULT_STACKS_DIR,
    base_url: Annotated[
        str | None, typer.Option(help="probe this URL instead of app.base_url (e.g. staging)")
    ] = None,
    probe_rate_limits: Annotated[
        bool, typer.Option(help="send bounded request bursts to test rate limits (app.rate_limit)")
    ] = False,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="output format")] = Format.table,
    plan: Annotated[bool, typer.Option(help="list the requests the probes would send; send nothing")] = False,
    budget: Annotated[int, typer.Option(help="most requests this run may send")] = DEFAULT_BUDGET,
    timeout: Annotated[float, typer.Option(help="seconds per request")] = 5.0,
    deadline: Annotated[float, typer.Option(
        help="seconds for the whole run: nothing is sent after it; checks not reached are errors")] = 300.0,
    only: Annotated[list[str] | None, typer.Option(help="run only checks whose id starts with this")] = None,
    nameserver: Annotated[list[str] | None, typer.Option(
        help="resolve the app's host through this DNS server: IP or IP:PORT (repeatable)")] = None,
    resolve: Annotated[list[str] | None, typer.Option(
        help="HOST:PORT:ADDR - connect there, keeping SNI and Host as HOST (like curl)")] = None,
    connect_to: Annotated[list[str] | None, typer.Option(
        help="HOST:PORT:ADDR:PORT2 - like --resolve, to another port too (like curl)")] = None,
    ca_bundle: Annotated[Path | None, typer.Option(help="PEM file of trusted roots (private CAs)")] = None,
    ssrf_canary: Annotated[str | None, typer.Option(
        help=f"a URL only the app's network can reach, serving the text in ${SSRF_CANARY_ENV}; "
        "the SSRF probe plants it and fails the tool if that text comes back")] = None,
) -> None:
    """Probe the app: auth, object/function access, CORS, webhooks, input validation, prompt
    injection, SSRF on tool endpoints, exposed secrets (and rate limits with --probe-rate-limits).

    Tokens and signing secrets come from the environment variables the spec names.
    Exit codes: 0 no required check failed, 1 a required check failed, 2 usage or stack-file
    error, 3 nothing could be checked.

    --resolve, --connect-to, --nameserver and --ca-bundle work as for `launchready verify`:
    probe a new edge or a local testbed before DNS points at it.

    Example: launchready probe --stack example --base-url https://staging.example.com --plan
    """
    if budget < 1 or timeout <= 0 or deadline <= 0:
        raise usage_error("--budget must be at least 1, --timeout and --deadline positive")
    if ca_bundle is not None and not ca_bundle.is_file():
        raise usage_error(f"--ca-bundle {ca_bundle}: no such file")
    nameservers = parse_each(nameserver, parse_nameserver)
    overrides = parse_each(resolve, parse_resolve) + parse_each(connect_to, parse_connect_to)
    canary = _ssrf_canary(ssrf_canary) if ssrf_canary is not None else None
    for prefix in only or []:
        if not prefix.startswith("app") or not catalogue.select([prefix]):
            raise usage_error(f"no app check id starts with {prefix!r}; see `launchready checks`")
    try:
        spec = load_stack(stack, stacks_dir)
    except SpecError as exc:
        raise usage_error(exc.render()) from None
    if spec.app is None:
        raise usage_error(f"stack {stack!r} has no app section (launchready:site.app) to probe")
    options = ProbeOptions(
        base_url=base_url, probe_rate_limits=probe_rate_limits, budget=budget, timeout=timeout,
        only=tuple(only or ()), overrides=tuple(overrides), nameservers=tuple(nameservers),
        ca_bundle=str(ca_bundle) if ca_bundle else None, ssrf_canary=canary,
        deadline=time.monotonic() + deadline,
    )  # fmt: skip
    target = base_url_for(spec, options)
    parts = urlsplit(target)
    if parts.scheme not in ("http", "https") or not parts.hostname or " " in target or "@" in parts.netloc:
        raise usage_error("--base-url: expected http(s)://host[:port][/prefix], with no user:password@")
    if plan:
        _print_plan(plan_app_probes(spec, options), target, fmt)
        raise typer.Exit(int(ExitCode.OK))
    started, clock = dt.datetime.now(dt.UTC), time.monotonic()
    try:
        results = run_app_probes(spec, options)
    except KeyboardInterrupt:
        raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
    took = time.monotonic() - clock
    report = VerifyReport(
        domains=(DomainReport(spec.domain, f"stack {stack} (app probes at {target})", tuple(results), took),),
        duration_s=took,
        started_at=started,
        settings={
            "base_url": target, "probe_rate_limits": probe_rate_limits, "budget": budget,
            "timeout_s": timeout, "deadline_s": deadline,
            "nameservers": [str(ns) for ns in nameservers] or "system resolvers",
            "overrides": [f"{o.host}:{o.port} -> {o.endpoint[0]}:{o.endpoint[1]}" for o in overrides],
            "ca_bundle": str(ca_bundle) if ca_bundle else "system roots",
        },
    )
    if fmt is Format.table:
        render_table(report, Console())
    else:
        sys.stdout.write(render(report, fmt.value))
    raise typer.Exit(int(report.exit_code))


def _print_plan(records: list[RequestRecord], target: str, fmt: Format) -> None:
    if fmt is Format.json:
        sys.stdout.write(json.dumps({"target": target, "requests": [r.to_dict() for r in records]}, indent=2))
        sys.stdout.write("\n")
        return
    if fmt is not Format.table:
        raise usage_error("--plan prints a table or json")
    title = f"{len(records)} requests planned against {target} (nothing sent)"
    table = Table(title=title, header_style="bold")
    for column in ("#", "probe", "method", "url", "body bytes"):
        table.add_column(column)
    for n, record in enumerate(records, 1):
        table.add_row(str(n), record.probe, record.method, record.url, str(record.body_bytes))
    Console().print(table)
    Console(stderr=True).print(
        "Requests that depend on answers (assets found on the entry page) are not listed; "
        "bursts are listed in full but stop at the first 429.",
        highlight=False,
    )

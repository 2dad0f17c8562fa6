"""``launchready demo``: a real scorecard on a fresh machine, no Cloudflare account needed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from launchready.exitcodes import ExitCode
from launchready.fsutil import unwritable_reason, write_atomic
from launchready.spec import SpecError, load_stack
from launchready.spec.loader import DEFAULT_STACKS_DIR
from launchready.verify.report import render, render_table


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    stack: Annotated[str, typer.Option("--stack", "-s",
                                       help="stack whose intended state the sandbox serves")] = "example",
    stacks_dir: Annotated[Path, typer.Option(help="where stack files live")] = DEFAULT_STACKS_DIR,
    report: Annotated[Path, typer.Option(help="HTML handover report to write")] = Path(
        "out/demo-report.html"),
) -> None:
    """Serve STACK's intended state on loopback (DNS + HTTPS, a few deliberate faults) and verify it.

    Exits 0 when the run completed (the deliberate faults are expected to fail), 3 when it could not run.
    """
    from launchready.demo import run_demo  # starts servers: import only when asked

    err = Console(stderr=True)
    if why := unwritable_reason(report):
        err.print(f"[red]error:[/] --report {report}: {why}", highlight=False)
        raise typer.Exit(ExitCode.USAGE)
    try:
        spec = load_stack(stack, stacks_dir)
    except SpecError as exc:
        err.print(exc.render(), highlight=False)
        raise typer.Exit(ExitCode.USAGE) from None
    err.print(f"sandbox: serving stack {stack!r} ({spec.domain}) on loopback …", highlight=False)
    try:
        run = run_demo(spec, stack)
    except OSError as exc:
        err.print(f"[red]error:[/] could not start the sandbox: {exc}", highlight=False)
        raise typer.Exit(ExitCode.COULD_NOT_RUN) from None
    render_table(run.report, Console())
    try:
        write_atomic(report, render(run.report, "html"))
    except OSError as exc:
        err.print(f"[red]error:[/] --report {report}: {exc.strerror or exc}", highlight=False)
        raise typer.Exit(ExitCode.USAGE) from None
    faults = ", ".join(f.value for f in run.faults)
    err.print(
        f"\nThe sandbox carried deliberate faults ({faults}); the failures above are them.\n"
        f"verify would exit {int(run.report.exit_code)} here. Handover report: {report}\n"
        f"The sandbox has stopped. The same run against the live domain: "
        f"launchready verify --stack {stack}",
        highlight=False,
    )

"""``launchready scan-secrets`` and ``launchready scan-logs``: find what must not be shipped or logged.

Exit codes: 1 when anything is found that no allowlist accepts, 0 when clean (allowed findings
are counted, not failed), 2 on bad usage (missing path, bad allow or baseline file), 3 when
nothing was found but part of the target could not be scanned (git failed, a cap was hit).
Values are shown only as ``launchready.redact.redact`` output.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from launchready.exitcodes import ExitCode
from launchready.secrets import allow, gitscan
from launchready.secrets.allow import Allowlist
from launchready.secrets.findings import Finding, ScanReport, sort_findings
from launchready.secrets.logs import DEFAULT_SAMPLES, LogKind, LogReport, scan_log_stream, scan_logs
from launchready.secrets.tree import scan_path

err = Console(stderr=True)


class OutputFormat(StrEnum):
    table = "table"
    json = "json"


def register(app: typer.Typer) -> None:
    """Add this area's commands to the root app."""
    app.command("scan-secrets")(scan_secrets)
    app.command("scan-logs")(scan_logs_command)


def _stdout() -> Console:
    console = Console()
    if not console.is_terminal:
        console.width = max(console.width, 160)  # piped into a file or CI log: do not wrap
    return console


def _exit_code(found: bool, errors: list[str]) -> ExitCode:
    if found:
        return ExitCode.FAILED
    return ExitCode.COULD_NOT_RUN if errors else ExitCode.OK


def _part(report: ScanReport) -> dict[str, Any]:
    data = report.to_dict()
    del data["findings"]
    return data


def _load_allowlist(path: Path, allow_file: Path | None, baseline: Path | None) -> Allowlist:
    """The allow file (given, or found at PATH) and baseline; a bad one is a usage error (exit 2)."""
    where = allow_file
    try:
        if where is None:
            where = allow.find_allow_file(path)
        elif not where.is_file():
            raise allow.AllowFileError("no such file")
        allowlist = allow.load_allow_file(where) if where is not None else Allowlist()
        where = baseline
        if baseline is not None:
            if not baseline.is_file():
                raise allow.AllowFileError("no such file")
            allowlist = replace(allowlist, baseline=allow.read_baseline(baseline))
    except allow.AllowFileError as exc:
        err.print(escape(f"scan-secrets: {where}: {exc}"), highlight=False, soft_wrap=True)
        raise typer.Exit(ExitCode.USAGE) from None
    return allowlist


def _nonempty_path(command: str, text: str) -> Path:
    """An empty argument is a slip (an unset shell variable), not a request to scan the cwd."""
    if not text.strip():
        err.print(f"{command}: empty path: give a file or folder (use . for the current folder)",
                  highlight=False)
        raise typer.Exit(ExitCode.USAGE)
    return Path(text)


def scan_secrets(
    path: Annotated[str, typer.Argument(help="working tree, build output directory or file")],
    no_git: Annotated[bool, typer.Option("--no-git", help="skip the git history")] = False,
    output: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="table for people, json for tools")
    ] = OutputFormat.table,
    git_timeout: Annotated[
        float, typer.Option("--git-timeout", min=1, help="seconds before the history scan stops")
    ] = gitscan.DEFAULT_TIMEOUT,
    allow_file: Annotated[
        Path | None,
        typer.Option(
            "--allow-file", help="allow entries, TOML or YAML (default: .launchready-secrets.toml in PATH)"
        ),
    ] = None,
    baseline: Annotated[
        Path | None, typer.Option("--baseline", help="allow the fingerprints in this baseline file")
    ] = None,
    write_baseline: Annotated[
        Path | None,
        typer.Option("--write-baseline", help="record every finding not otherwise allowed as the baseline"),
    ] = None,
    show_allowed: Annotated[
        bool, typer.Option("--show-allowed", help="list allowed findings in the table too")
    ] = False,
) -> None:
    """Scan files (and, for a git repository, every commit's added lines) for secrets.

    Findings on a line marked `launchready: allow-secret` (or `gitleaks:allow`, `pragma: allowlist
    secret`), matched by the allow file or in the baseline are reported as allowed and do not fail.

    Examples: launchready scan-secrets ./dist --no-git --format json;
    launchready scan-secrets . --write-baseline .secrets-baseline.json (adopt the gate), then
    launchready scan-secrets . --baseline .secrets-baseline.json (only new secrets fail)
    """
    root = _nonempty_path("scan-secrets", path)
    if not root.exists():
        err.print(escape(f"scan-secrets: {root}: no such file or directory"), highlight=False)
        raise typer.Exit(ExitCode.USAGE)
    allowlist = _load_allowlist(root, allow_file, baseline)
    tree = scan_path(root)
    history: ScanReport | None = None
    if not no_git and root.is_dir() and gitscan.is_git_repository(root):
        history = gitscan.scan_git_history(root, timeout=git_timeout)
    findings = allowlist.apply(sort_findings([*tree.findings, *(history.findings if history else ())]))
    errors = [*tree.errors, *(history.errors if history else ())]
    if tree.truncated:
        errors.append(f"file scan stopped at a cap after {tree.scanned} files (see skipped)")
    if write_baseline is not None:
        findings = _write_baseline(write_baseline, findings)

    blocking = [f for f in findings if not f.allowed]
    allowed = [f for f in findings if f.allowed]
    if output is OutputFormat.json:
        typer.echo(
            json.dumps(
                {
                    "path": str(root),
                    "findings": [f.to_dict() for f in blocking],
                    "allowed": [f.to_dict() for f in allowed],
                    "tree": _part(tree),
                    "history": _part(history) if history else None,
                },
                indent=2,
            )
        )
    else:
        _print_findings(blocking, allowed, tree, history, show_allowed=show_allowed)
    for message in errors:
        err.print(f"[yellow]warning:[/] {escape(message)}", highlight=False)
    raise typer.Exit(_exit_code(bool(blocking), errors))


def _write_baseline(target: Path, findings: list[Finding]) -> list[Finding]:
    """Write the baseline and return the findings as the new baseline now allows them."""
    recorded = [f for f in findings if f.allowed in ("", allow.BASELINE_REASON)]
    try:
        count = allow.write_baseline(target, recorded)
    except OSError as exc:
        err.print(escape(f"scan-secrets: {target}: cannot write: {exc.strerror or exc}"), soft_wrap=True)
        raise typer.Exit(ExitCode.USAGE) from None
    err.print(escape(f"baseline: {count} fingerprints written to {target}"), highlight=False, soft_wrap=True)
    fingerprints = frozenset(f.fingerprint for f in recorded)
    return Allowlist(baseline=fingerprints).apply(findings)


def _allowed_summary(allowed: list[Finding]) -> str:
    by_kind = Counter(f.allowed.split(":", 1)[0] for f in allowed)
    return f"{len(allowed)} allowed ({', '.join(f'{kind}: {n}' for kind, n in sorted(by_kind.items()))})"


def _print_findings(
    findings: list[Finding],
    allowed: list[Finding],
    tree: ScanReport,
    history: ScanReport | None,
    *,
    show_allowed: bool,
) -> None:
    console = _stdout()
    covered = _count(tree.scanned, "file")
    if history is not None:
        covered += f", {_count(history.scanned, 'commit')}"
    summary = f"{_count(len(findings), 'secret')} found" if findings else "no secrets found"
    summary += f" ({covered})"
    if allowed:
        summary += f"; {_allowed_summary(allowed)}"
    shown = [*findings, *(allowed if show_allowed else ())]
    if not shown:
        console.print(escape(summary), highlight=False)
        return
    table = Table(title=escape(summary), title_justify="left")
    table.add_column("severity")
    table.add_column("rule")
    table.add_column("where", overflow="fold")
    table.add_column("commit")
    table.add_column("value (redacted)", overflow="fold")
    table.add_column("fingerprint")
    if show_allowed:
        table.add_column("allowed because", overflow="fold")
    for finding in shown:
        cells = [
            str(finding.severity),
            finding.rule_id,
            escape(f"{finding.source}:{finding.line}"),
            finding.commit[:12],
            escape(finding.redacted),
            finding.fingerprint,
        ]
        table.add_row(*cells, *([escape(finding.allowed)] if show_allowed else []))
    console.print(table)


def scan_logs_command(
    target: Annotated[str, typer.Argument(help="log file, directory of logs, or - for standard input")],
    output: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="table for people, json for tools")
    ] = OutputFormat.table,
    samples: Annotated[
        int, typer.Option("--samples", min=0, max=50, help="redacted samples shown per kind")
    ] = DEFAULT_SAMPLES,
) -> None:
    """Count bearer tokens, Authorization/Cookie headers, API keys, emails and phone numbers in logs.

    Example: kubectl logs deploy/api | launchready scan-logs - --format json
    """
    if target == "-":
        if sys.stdin.isatty():  # nothing piped in: say why it waits instead of seeming to hang
            err.print("scan-logs: reading logs from the terminal; pipe them in "
                      "(… | launchready scan-logs -) or end with Ctrl-D", highlight=False)
        report = LogReport(max_samples=samples)
        scan_log_stream(typer.get_binary_stream("stdin"), "<stdin>", report)
    else:
        path = _nonempty_path("scan-logs", target)
        if not path.exists():
            err.print(escape(f"scan-logs: {path}: no such file or directory"), highlight=False)
            raise typer.Exit(ExitCode.USAGE)
        report = scan_logs(path, max_samples=samples)
    if output is OutputFormat.json:
        typer.echo(json.dumps(report.to_dict(), indent=2))
    else:
        _print_log_report(report)
    errors = list(report.errors)
    if report.truncated:
        errors.append(f"log scan stopped at a cap after {report.files} files (see skipped)")
    for message in errors:
        err.print(f"[yellow]warning:[/] {escape(message)}", highlight=False)
    raise typer.Exit(_exit_code(report.total > 0, errors))


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _print_log_report(report: LogReport) -> None:
    console = _stdout()
    covered = f"{_count(report.files, 'file')}, {_count(report.bytes_scanned, 'byte')}"
    if not report.total:
        console.print(f"nothing to redact found ({covered})", highlight=False)
        return
    table = Table(title=f"{report.total} values that logs must not hold ({covered})", title_justify="left")
    table.add_column("kind")
    table.add_column("count", justify="right")
    table.add_column("samples (redacted)", overflow="fold")
    for kind in LogKind:
        if not report.counts[kind]:
            continue
        shown = "\n".join(
            f"{hit.source}:{hit.line} {hit.redacted}"
            + (f" ({hit.rule_id})" if hit.rule_id != str(kind) else "")
            for hit in report.samples.get(kind, [])
        )
        table.add_row(str(kind), str(report.counts[kind]), escape(shown))
    console.print(table)

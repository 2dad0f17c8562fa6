"""Renderers over a ``VerifyReport``: rich table, JSON, JUnit XML, Markdown and HTML handover.

They only read results; nothing here observes or judges. Evidence is shown as collected (the
checks never put a secret in it: cookies appear by name and flags, never by value); control
characters from hostile servers are escaped so a header cannot rewrite a terminal or a report.
"""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from rich.console import Console
from rich.table import Table
from rich.text import Text

from launchready.verify.checks_backup import CHECK_ID as BACKUP_CHECK
from launchready.verify.model import Category, CheckResult, Level, Status
from launchready.verify.runner import VerifyReport

_STYLE = {Status.PASS: "green", Status.WARN: "yellow", Status.FAIL: "bold red",
          Status.ERROR: "magenta", Status.SKIPPED: "dim"}
_MARK = {Status.PASS: "✔ pass", Status.WARN: "! warn", Status.FAIL: "✘ fail",
         Status.ERROR: "? error", Status.SKIPPED: "- skip"}
_EVIDENCE_LIMIT = 2000


def clean(text: str) -> str:
    """Printable text: control characters (ANSI escapes, NUL, CR) become visible escapes."""
    return "".join(ch if ch.isprintable() or ch == " " else ch.encode("unicode_escape").decode()
                   for ch in text)


def evidence_text(result: CheckResult, limit: int = _EVIDENCE_LIMIT) -> str:
    text = clean(json.dumps(result.evidence, sort_keys=True, default=str, ensure_ascii=False))
    return text if len(text) <= limit else text[:limit] + "…"


def by_category(results: Iterable[CheckResult]) -> list[tuple[Category, list[CheckResult]]]:
    """Results grouped by scorecard row, rows in the order their first check appears (catalogue order)."""
    groups: dict[Category, list[CheckResult]] = {}
    for item in results:
        groups.setdefault(item.category, []).append(item)
    return list(groups.items())


def category_status(results: Iterable[CheckResult]) -> Status:
    """A scorecard row's verdict: the worst status among its checks (fail > error > warn > pass)."""
    statuses = {r.status for r in results}
    for status in (Status.FAIL, Status.ERROR, Status.WARN, Status.PASS):
        if status in statuses:
            return status
    return Status.SKIPPED


# --------------------------------------------------------------------------- table


def render_table(report: VerifyReport, console: Console) -> None:
    """One table per domain; each scorecard row is a section heading followed by its checks."""
    for domain in report.domains:
        counts = ", ".join(f"{n} {s}" for s, n in domain.summary().items() if n)
        console.print(Text.assemble((clean(domain.domain), "bold"), f"  ({domain.source}; {counts}; "
                                    f"{domain.duration_s:.1f}s)"))
        table = Table(show_header=True, header_style="bold", expand=False)
        table.add_column("status", no_wrap=True)
        table.add_column("check", no_wrap=True)
        table.add_column("result", ratio=1)
        for category, results in by_category(domain.results):
            row_status = category_status(results)
            table.add_row(Text(_MARK[row_status], _STYLE[row_status]), Text(category.value, "bold cyan"), "",
                          end_section=False)
            for item in results:
                line = Text()
                if item.level is Level.ADVISORY:
                    line.append("advisory ", style="dim")
                if item.target:
                    line.append(f"[{clean(item.target)}] ", style="dim")
                line.append(clean(item.summary))
                if item.fix and item.status is not Status.PASS:
                    line.append(f"\nfix: {clean(item.fix)}", style="dim")
                table.add_row(Text("  " + _MARK[item.status], _STYLE[item.status]), "  " + item.id, line)
            table.add_section()
        console.print(table)
    verdict = {0: "no required check failed", 1: "a required check failed",
               3: "nothing could be checked"}.get(int(report.exit_code), "")
    console.print(f"{len(report.domains)} domain(s) in {report.duration_s:.1f}s: {verdict}")


# --------------------------------------------------------------------------- JSON


def report_dict(report: VerifyReport) -> dict[str, Any]:
    return {
        "domains": [
            {"domain": d.domain, "checks": [r.to_dict() for r in d.results], "summary": d.summary()}
            for d in report.domains
        ],
        "duration_s": report.duration_s,
    }


def render_json(report: VerifyReport) -> str:
    return json.dumps(report_dict(report), indent=2, ensure_ascii=False, default=str) + "\n"


# --------------------------------------------------------------------------- JUnit


def render_junit(report: VerifyReport) -> str:
    """One testsuite per domain, one testcase per result; warn passes with its summary as output."""
    suites = ET.Element("testsuites", name="launchready verify", time=f"{report.duration_s:.3f}")
    for domain in report.domains:
        counts = domain.summary()
        suite = ET.SubElement(suites, "testsuite", name=clean(domain.domain), tests=str(len(domain.results)),
                              failures=str(counts["fail"]), errors=str(counts["error"]),
                              skipped=str(counts["skipped"]), time=f"{domain.duration_s:.3f}")
        for item in domain.results:
            name = item.id + (f" [{clean(item.target)}]" if item.target else "")
            area = item.id.split(".")[0]
            case = ET.SubElement(suite, "testcase", classname=f"{clean(domain.domain)}.{area}", name=name)
            detail = f"{clean(item.summary)}\nevidence: {evidence_text(item)}"
            if item.fix:
                detail += f"\nfix: {clean(item.fix)}"
            if item.status is Status.FAIL:
                element = ET.SubElement(case, "failure", message=clean(item.summary), type=item.level.value)
                element.text = detail
            elif item.status is Status.ERROR:
                element = ET.SubElement(case, "error", message=clean(item.summary), type="not observed")
                element.text = detail
            elif item.status is Status.SKIPPED:
                ET.SubElement(case, "skipped", message=clean(item.summary))
            else:
                ET.SubElement(case, "system-out").text = detail
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


# --------------------------------------------------------------------------- handover


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("launchready", "templates"),
                      autoescape=select_autoescape(["html", "html.j2"]), trim_blocks=True,
                      lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["clean"] = clean
    env.filters["evidence"] = evidence_text
    return env


def _context(report: VerifyReport) -> dict[str, Any]:
    domains = []
    for domain in report.domains:
        # Every scorecard row, in the checklist's order: a row this run did not check is shown
        # as such, so a handover never reads as complete when it is not.
        groups = dict(by_category(domain.results))
        rows = [{"category": category.value, "status": category_status(groups.get(category, [])).value,
                 "results": groups.get(category, [])} for category in Category]
        domains.append({"report": domain, "rows": rows, "summary": domain.summary(),
                        "to_fix": [r for r in domain.results if r.status in (Status.FAIL, Status.WARN)],
                        "backup": _backup_context(domain.results)})
    return {
        "domains": domains,
        "generated": report.started_at.strftime("%Y-%m-%d %H:%M UTC"),
        "duration_s": report.duration_s,
        "settings": report.settings,
        "exit_code": int(report.exit_code),
        "marks": {s.value: _MARK[s] for s in Status},
    }


def _backup_context(results: Iterable[CheckResult]) -> dict[str, Any] | None:
    """The handover's "Backup and rollback" lines, from ``backup.recent``'s evidence."""
    found = next((r for r in results if r.id == BACKUP_CHECK), None)
    if found is None or found.status is Status.SKIPPED:
        return None
    evidence = found.evidence
    counts = evidence.get("counts") or {}
    return {
        "status": found.status.value,
        "summary": found.summary,
        "fix": found.fix,
        "stack": evidence.get("stack", ""),
        "folder": evidence.get("folder"),
        "created": evidence.get("created"),
        "age_days": evidence.get("age_days"),
        "zone": evidence.get("zone"),
        "counts": ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in counts.items()),
        "runbook": evidence.get("runbook"),
    }


def render_markdown(report: VerifyReport) -> str:
    return _environment().get_template("report.md.j2").render(_context(report))


def render_html(report: VerifyReport) -> str:
    return _environment().get_template("report.html.j2").render(_context(report))


def render(report: VerifyReport, fmt: str) -> str:
    """Any text format by name (``table`` is written to a console by ``render_table``)."""
    renderers = {"json": render_json, "junit": render_junit, "markdown": render_markdown, "html": render_html}
    if fmt == "table":
        buffer = io.StringIO()
        render_table(report, Console(file=buffer, width=140, force_terminal=False, color_system=None))
        return buffer.getvalue()
    return renderers[fmt](report)

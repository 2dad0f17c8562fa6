"""The README's main job: the example stack's sandbox, verified, fails exactly where it was broken."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from launchready.cli import app
from launchready.demo import DEFAULT_FAULTS, run_demo
from launchready.spec import load_stack
from launchready.testbed.scenarios import FAULT_CHECKS
from launchready.verify.model import Status

pytestmark = pytest.mark.integration


def test_demo_fails_exactly_the_faulted_checks(stacks_dir: Path) -> None:
    spec = load_stack("example", stacks_dir)
    run = run_demo(spec, "example")
    (domain,) = run.report.domains
    not_passing = {r.id for r in domain.results if r.status is not Status.PASS}
    assert not_passing == {FAULT_CHECKS[f] for f in DEFAULT_FAULTS}
    assert int(run.report.exit_code) == 1


def test_clean_sandbox_passes_everything(stacks_dir: Path) -> None:
    spec = load_stack("example", stacks_dir)
    run = run_demo(spec, "example", faults=())
    (domain,) = run.report.domains
    assert {r.status for r in domain.results} == {Status.PASS}
    assert int(run.report.exit_code) == 0


def test_demo_command_writes_report(stacks_dir: Path, tmp_path: Path) -> None:
    report = tmp_path / "demo.html"
    result = CliRunner().invoke(app, ["demo", "--stacks-dir", str(stacks_dir),
                                      "--report", str(report)])
    assert result.exit_code == 0, result.output
    assert "http.hsts" in result.stdout
    html = report.read_text()
    assert "<html" in html.lower() and "example.com" in html


def test_an_unwritable_report_path_is_a_usage_error(stacks_dir: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder\n")
    result = CliRunner().invoke(app, ["demo", "--stacks-dir", str(stacks_dir),
                                      "--report", str(blocker / "demo.html")])
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)  # a clean exit, not a traceback
    assert "error: --report" in result.output

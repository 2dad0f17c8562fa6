"""The app probes stop at the run's deadline: nothing sent after it, unreached checks are errors."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from launchready.cli import app
from launchready.probes import ProbeOptions, run_app_probes
from launchready.probes.http import DeadlineReached, ProbeClient
from launchready.testbed.web import SilentServer
from launchready.verify.model import Status
from launchready.verify.runner import Target, VerifyOptions, run_verify
from tests.apps.common import ENV
from tests.probes.conftest import site
from tests.probes.test_cli_probe import write_stack

pytestmark = pytest.mark.integration


def test_client_sends_nothing_after_the_deadline() -> None:
    client = ProbeClient("http://127.0.0.1:9", deadline=time.monotonic() - 1)
    with pytest.raises(DeadlineReached, match="run deadline reached"):
        client.request("app.auth", "GET", "/")
    assert client.sent == 0


def test_a_request_waits_at_most_the_time_left() -> None:
    with SilentServer() as silent:
        client = ProbeClient(f"http://127.0.0.1:{silent.port}", timeout=5.0,
                             deadline=time.monotonic() + 0.3)
        started = time.monotonic()
        exchange = client.request("app.auth", "GET", "/")
        took = time.monotonic() - started
    assert not exchange.answered and took < 1.5, took


def test_probes_against_a_silent_app_end_at_the_deadline() -> None:
    with SilentServer() as silent:
        options = ProbeOptions(timeout=0.5, budget=40, env=ENV, deadline=time.monotonic() + 0.6)
        started = time.monotonic()
        results = run_app_probes(site(f"http://127.0.0.1:{silent.port}"), options)
        took = time.monotonic() - started
    assert took < 2.0, took
    assert Status.FAIL not in {r.status for r in results}
    assert any(r.status is Status.ERROR and r.summary == "run deadline reached" for r in results)


def test_verify_deadline_bounds_the_app_probes() -> None:
    with SilentServer() as silent:
        spec = site(f"http://127.0.0.1:{silent.port}")
        options = VerifyOptions(only=("app.",), timeout=3.0, deadline=0.5)
        started = time.monotonic()
        report = run_verify([Target(spec.domain, spec, "client")], options)
        took = time.monotonic() - started
    assert took < 2.0, took  # before, the area waited deadline + timeout and the probes ran on
    statuses = {r.status for r in report.domains[0].results}
    assert Status.FAIL not in statuses and Status.ERROR in statuses


def test_probe_command_takes_deadline(tmp_path: Path, hardened_url: str,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    started = time.monotonic()
    outcome = CliRunner().invoke(app, ["probe", "--stack", "client", "--stacks-dir",
                                       str(write_stack(tmp_path, hardened_url)),
                                       "--deadline", "0.05", "--format", "json"])
    took = time.monotonic() - started
    assert took < 1.5, took
    checks = json.loads(outcome.stdout)["domains"][0]["checks"]
    assert "fail" not in {c["status"] for c in checks}
    assert any(c["summary"] == "run deadline reached" for c in checks)
    assert outcome.exit_code in (0, 3)


def test_probe_command_refuses_a_non_positive_deadline(tmp_path: Path) -> None:
    outcome = CliRunner().invoke(app, ["probe", "--stack", "client", "--stacks-dir",
                                       str(write_stack(tmp_path, "http://127.0.0.1:9")),
                                       "--deadline", "0"])
    assert outcome.exit_code == 2 and "--deadline" in outcome.stderr

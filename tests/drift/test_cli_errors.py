"""`launchready drift` turns unexpected failures into exit 3 with a message scrubbed of the token."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from launchready.cli import app
from launchready.cli import drift as drift_cli

STACKS = Path(__file__).resolve().parents[2] / "stacks"
CANARY = "cfcanary-0123456789abcdefCANARY0123456789"


def test_unexpected_reader_failure_is_exit_3_without_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(client: Any, zone: str) -> Any:
        raise RuntimeError(f"unparseable answer for request with Bearer {CANARY}")

    monkeypatch.setattr(drift_cli, "read_zone_state", broken)
    result = CliRunner().invoke(app, ["drift", "--stack", "example", "--stacks-dir", str(STACKS),
                                      "--base-url", "http://127.0.0.1:9/client/v4"],
                                env={"CLOUDFLARE_API_TOKEN": CANARY})
    assert result.exit_code == 3
    assert "reading the zone failed: RuntimeError: unparseable answer" in result.stderr
    assert CANARY not in result.stdout + result.stderr
    assert "[redacted" in result.stderr


def test_bad_nameserver_is_a_usage_error() -> None:
    result = CliRunner().invoke(app, ["drift", "--stack", "example", "--stacks-dir", str(STACKS),
                                      "--nameserver", "not-an-ip"], env={"CLOUDFLARE_API_TOKEN": CANARY})
    assert result.exit_code == 2 and "--nameserver" in result.stderr

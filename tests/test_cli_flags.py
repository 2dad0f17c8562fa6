"""The same flag is spelled the same way on every command (`-s`, `-f`, `--stacks-dir`)."""

from __future__ import annotations

import enum
import typing
from typing import Any

import typer
from typer.testing import CliRunner

from launchready.cli import app

runner = CliRunner()


def _options(command: Any) -> dict[str, list[str]]:
    """Long flag -> every spelling of it."""
    return {p.opts[0]: list(p.opts) for p in command.params if p.param_type_name == "option"}


def _annotation(command: Any, flag: str) -> Any:
    return next(p.type_descriptor.annotation for p in command.params if flag in p.opts)


def test_stack_format_and_stacks_dir_are_spelled_alike_everywhere() -> None:
    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    with_stack = set()
    for name, command in commands.items():
        options = _options(command)
        if "--stack" in options:
            with_stack.add(name)
            assert "-s" in options["--stack"], name
            assert "--stacks-dir" in options, name
        if "--format" in options:
            assert "-f" in options["--format"], name
            kind = _annotation(command, "--format")
            listed = typing.get_origin(kind) is typing.Literal or (
                isinstance(kind, type) and issubclass(kind, enum.Enum))
            assert listed, f"{name}: --format should list its values in --help"
    assert {"new", "plan", "verify", "probe", "demo", "drift", "adopt", "backup", "restore"} <= with_stack


def test_checks_refuses_an_unknown_format_as_a_usage_error() -> None:
    result = runner.invoke(app, ["checks", "--format", "xml"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_commands_that_call_the_cloudflare_api_share_base_url_and_zone_id() -> None:
    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    for name in ("drift", "adopt", "backup", "restore"):
        assert "--base-url" in _options(commands[name]), name
        assert "--zone-id" in _options(commands[name]), name

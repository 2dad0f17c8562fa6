"""Helpers every command shares: usage errors and flag-value parsing."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from launchready.exitcodes import ExitCode

T = TypeVar("T")


def usage_error(message: str) -> typer.Exit:
    """Print ``error: message`` on stderr (markup-escaped: messages quote user input such as
    ``[::1]:53``) and return the exit-2 exception for the caller to raise."""
    Console(stderr=True).print(f"[red]error:[/red] {escape(message)}", highlight=False)
    return typer.Exit(int(ExitCode.USAGE))


def parse_each(values: list[str] | None, parse: Callable[[str], T]) -> list[T]:
    """Parse every value of a repeatable flag; the first bad one is a usage error naming it."""
    out = []
    for value in values or []:
        try:
            out.append(parse(value))
        except ValueError as exc:
            raise usage_error(str(exc)) from None
    return out

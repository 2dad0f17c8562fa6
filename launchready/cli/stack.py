"""Stack-file commands: scaffold a new client stack, print the spec's JSON Schema."""

from __future__ import annotations

import typer

from launchready.spec import loader


def register(app: typer.Typer) -> None:
    app.command("schema")(schema)


def schema() -> None:
    """Print the JSON Schema of the site spec (launchready:site) for editors and CI."""
    typer.echo(loader.site_json_schema_text())

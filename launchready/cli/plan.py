"""``launchready plan``: what ``pulumi up`` would create for a stack, offline."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from launchready.exitcodes import ExitCode
from launchready.spec import SpecError
from launchready.spec.loader import DEFAULT_STACKS_DIR

if TYPE_CHECKING:
    from launchready.plan import PlannedResource


class OutputFormat(StrEnum):
    table = "table"
    json = "json"


def register(app: typer.Typer) -> None:
    """Add this area's commands to the root app."""
    app.command("plan")(plan)


def plan(
    stack: Annotated[str, typer.Option("--stack", "-s", help="stack name (stacks/Pulumi.<stack>.yaml)")],
    output: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="table for people, json for tools")
    ] = OutputFormat.table,
    stacks_dir: Annotated[
        Path, typer.Option("--stacks-dir", help="directory holding the stack files")
    ] = DEFAULT_STACKS_DIR,
) -> None:
    """Run the Pulumi program offline (SDK mock engine: no Pulumi CLI, no credentials, no
    network) and print every resource `pulumi up` would create.

    Example: launchready plan --stack example --format json > desired.json
    """
    try:
        # pulumi + pulumi_cloudflare take over a second to import: only for this command.
        from launchready.plan import plan_stack

        resources = plan_stack(stack, stacks_dir)
    except SpecError as exc:
        typer.echo(exc.render(), err=True)
        raise typer.Exit(ExitCode.USAGE) from None
    except Exception as exc:  # a failing program is reported, never as a traceback
        typer.echo(f"plan failed: {type(exc).__name__}: {exc}", err=True)
        raise typer.Exit(ExitCode.COULD_NOT_RUN) from None
    if output is OutputFormat.json:
        from launchready.plan import to_json

        typer.echo(to_json(resources))
    else:
        console = Console()
        if not console.is_terminal:
            console.width = 400  # piped into a file or CI log: one line per resource
        console.print(render_table(resources, stack))


def render_table(resources: list[PlannedResource], stack: str) -> Table:
    custom = [r for r in resources if not r.type.startswith("launchready:")]
    table = Table(
        title=f"plan for stack {stack}: {len(custom)} Cloudflare resources, "
        f"{len(resources) - len(custom)} components",
        title_justify="left",
    )
    table.add_column("type")
    table.add_column("logical name", overflow="fold")
    table.add_column("parent", overflow="fold")
    table.add_column("key inputs", overflow="fold")
    for resource in resources:
        table.add_row(short_type(resource.type), resource.name, resource.parent or "",
                      _clip(summary(resource)))
    return table


def _clip(text: str, limit: int = 120) -> str:
    """Long values (DKIM keys, CSPs) are cut in the table; the JSON format has them whole."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def short_type(token: str) -> str:
    """``cloudflare:index/dnsRecord:DnsRecord`` -> ``cloudflare:DnsRecord``."""
    package, _, rest = token.partition(":")
    return f"{package}:{rest.rsplit(':', 1)[-1]}"


def _compact(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _record_data(data: dict[str, Any]) -> str:
    if {"flags", "tag", "value"} <= data.keys():
        return f'{int(data["flags"])} {data["tag"]} "{data["value"]}"'
    return _compact(data)


def summary(resource: PlannedResource) -> str:
    """The few inputs a reviewer checks for each resource type."""
    i = resource.inputs
    kind = resource.type.rsplit(":", 1)[-1]
    if kind == "Zone":
        return f"{i.get('name')} ({i.get('type')})" + (", protected" if resource.protect else "")
    if kind == "ZoneSetting":
        return f"{i.get('settingId')} = {_compact(i.get('value'))}"
    if kind == "DnsRecord":
        target = i["content"] if "content" in i else _record_data(i.get("data", {}))
        flags = [f"ttl {int(i.get('ttl', 1))}"]
        if i.get("proxied"):
            flags.append("proxied")
        if "priority" in i:
            flags.append(f"priority {int(i['priority'])}")
        return f"{i.get('type')} {i.get('name')} -> {target} ({', '.join(flags)})"
    if kind == "Ruleset":
        refs = [str(r.get("ref")) for r in i.get("rules", [])]
        return f"{i.get('phase')}: {len(refs)} rule{'s' if len(refs) != 1 else ''} ({', '.join(refs)})"
    if kind == "Healthcheck":
        http = i.get("httpConfig", {})
        codes = "/".join(http.get("expectedCodes", []))
        return (f"{i.get('type')} {i.get('address')}{http.get('path', '')} expect {codes} "
                f"every {int(i.get('interval', 0))} s")
    if kind == "NotificationPolicy":
        mechanisms = i.get("mechanisms", {})
        return (f"{i.get('alertType')} -> {len(mechanisms.get('emails', []))} email(s), "
                f"{len(mechanisms.get('webhooks', []))} webhook(s)")
    if kind == "NotificationPolicyWebhooks":
        return f"{i.get('name')}: {i.get('url')}"
    if kind == "ZoneDnssec":
        return f"status {i.get('status')}"
    return ""

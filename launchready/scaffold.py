"""`launchready new`: a launch-ready stack file for a new client domain, valid for its plan."""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import yaml

from launchready.fsutil import FileExistsRefused, write_atomic
from launchready.pipeline import render_github_workflow
from launchready.spec import LIMITS, Plan, SiteSpec, parse_site
from launchready.spec.loader import CONFIG_KEY, stack_path
from launchready.spec.models import EmailProvider, normalize_domain

PLACEHOLDER_ACCOUNT = "0" * 32
PLACEHOLDER_ORIGIN = "192.0.2.1"  # TEST-NET-1: never routable, obviously a placeholder


@dataclass(frozen=True, slots=True)
class NewStack:
    domain: str
    stack: str
    plan: Plan = "pro"
    email_provider: EmailProvider = "google_workspace"
    canonical: str = "apex"
    origin: str | None = None
    zone_id: str | None = None
    account_id: str | None = None
    tenant: str | None = None


@dataclass(frozen=True, slots=True)
class Scaffolded:
    path: Path
    text: str
    spec: SiteSpec
    todos: list[str]
    written: list[Path]
    """The stack file, then the workflow when one was asked for."""


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("launchready", "templates"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # YAML, not HTML; values go through tojson
    )


def _rate_limits(plan: Plan) -> list[dict[str, Any]]:
    """Login, chat send and tool calls, packed into what the plan allows."""
    limits = LIMITS[plan]
    period = 60 if 60 in limits.rate_limit_periods else 10
    timeout = min(600, limits.max_mitigation_timeout)
    methods = ["POST"] if limits.rate_limit_methods else []
    rules: list[dict[str, Any]] = [
        {"ref": "login", "description": "Login, signup and password reset, per IP",
         "paths": ["/api/auth/", "/login"], "requests": 5 if period == 60 else 3},
        {"ref": "chat_send", "description": "Chat send, per IP",
         "paths": ["/api/chat"], "requests": 30 if period == 60 else 10},
        {"ref": "tool_calls", "description": "Tool calls, per IP",
         "paths": ["/api/tools"], "requests": 20 if period == 60 else 5},
    ]
    while len(rules) > limits.rate_limit_rules:
        # Merge the last rule into the one before: same counter, union of paths.
        last = rules.pop()
        rules[-1] = {**rules[-1], "paths": rules[-1]["paths"] + last["paths"],
                     "description": rules[-1]["description"].replace(", per IP", "")
                     + f" and {last['description'].lower()}"}
    return [{**r, "methods": methods, "period": period, "timeout": timeout} for r in rules]


def render_stack(options: NewStack) -> tuple[str, list[str]]:
    domain = normalize_domain(options.domain)
    limits = LIMITS[options.plan]
    todos: list[str] = []
    origin = options.origin or PLACEHOLDER_ORIGIN
    if not options.origin:
        todos.append("origin.addresses is a placeholder (192.0.2.1): set your origin")
    if not options.zone_id and not options.account_id:
        todos.append("zone.account_id is a placeholder: set your Cloudflare account id")
    elif not options.account_id and limits.health_checks >= 3:
        todos.append("zone.account_id is not set: the health-check alert policy is account-scoped "
                     "and is left out until you add it (--account-id)")
    if options.email_provider in ("google_workspace", "custom") or (
        options.email_provider == "microsoft_365" and not options.tenant
    ):
        todos.append("email: add the DKIM selector(s) your provider gives you")
    try:
        ipaddress.ip_address(origin)
        origin_is_ip = True
    except ValueError:
        origin_is_ip = False
    text = _environment().get_template("stack.yaml.j2").render(
        domain=domain,
        stack=options.stack,
        today=dt.date.today().isoformat(),
        zone_id=options.zone_id,
        account_id=options.account_id or PLACEHOLDER_ACCOUNT,
        account_placeholder=not options.account_id,
        plan=options.plan,
        canonical=options.canonical,
        origin=origin,
        origin_is_ip=origin_is_ip,
        origin_placeholder=not options.origin,
        email_provider=options.email_provider,
        tenant=options.tenant,
        extra_managed=limits.extra_managed_rulesets,
        rate_limits=_rate_limits(options.plan),
        monitors=limits.health_checks >= 3,
    )
    return text, todos


def workflow_path(stack: str, root: Path = Path(".")) -> Path:
    return root / ".github" / "workflows" / f"launchready-{stack}.yml"


def scaffold(options: NewStack, stacks_dir: Path, *, force: bool = False,
             workflow: Path | None = None) -> Scaffolded:
    """Render, prove the result validates, then write the stack (and the CI ``workflow`` if given).

    Every target is checked before anything is written, so a refusal leaves no half-scaffolded
    client behind (a stack file without its workflow, which a re-run would then refuse).
    """
    text, todos = render_stack(options)
    document = yaml.safe_load(text)
    spec = parse_site(document["config"][CONFIG_KEY], source="(generated stack)")
    path = stack_path(options.stack, stacks_dir)
    files = {path: text}
    if workflow is not None:
        files[workflow] = render_github_workflow(options.stack, normalize_domain(options.domain))
    existing = [str(target) for target in files if target.exists()]
    if existing and not force:
        raise FileExistsRefused(f"{' and '.join(existing)} exist{'s' if len(existing) == 1 else ''}; "
                                "pass --force to overwrite")
    for target, content in files.items():
        write_atomic(target, content, overwrite=force)
    return Scaffolded(path, text, spec, todos, list(files))

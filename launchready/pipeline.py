"""The deploy pipeline: a GitHub Actions workflow per stack, rendered from templates/.

Preview with the policy pack on pull requests, ``pulumi up`` then ``launchready verify`` on
main, ``launchready drift`` nightly. The template uses ``[[ ]]`` for its own values so GitHub's
``${{ }}`` expressions pass through untouched.
"""

from __future__ import annotations

import hashlib
import json
import re

import jinja2

from launchready.spec.models import normalize_domain

_STACK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("launchready", "templates"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # YAML, not HTML; the only free-form values are validated first
        variable_start_string="[[",
        variable_end_string="]]",
    )


def nightly_cron(stack: str) -> str:
    """A fixed time between 02:00 and 04:59 UTC derived from the stack name, so many stacks'
    drift runs spread out instead of all hitting the Cloudflare API at once."""
    digest = int(hashlib.sha256(stack.encode()).hexdigest(), 16)
    return f"{digest % 60} {2 + (digest // 60) % 3} * * *"


def render_github_workflow(stack: str, domain: str) -> str:
    """The workflow text for ``.github/workflows/launchready-<stack>.yml``.

    Raises ValueError for a stack name that is not a Pulumi stack name, or a bad domain.
    """
    if not _STACK.match(stack):
        raise ValueError(f"{stack!r} is not a valid stack name (letters, digits, '-', '_', '.')")
    watched = [f"stacks/Pulumi.{stack}.yaml", "Pulumi.yaml", "__main__.py", "launchready/**",
               "policy/**", "pyproject.toml"]
    return _environment().get_template("github-workflow.yml.j2").render(
        stack=stack,
        domain=normalize_domain(domain),
        cron=nightly_cron(stack),
        watched=json.dumps(watched),
    )

"""The ``launchready`` command: a thin typer layer over the library.

Each area registers its commands from its own module; logic lives in the packages.
"""

from __future__ import annotations

import typer

from launchready.cli import demo, drift, keep, plan, probes, scan, stack, verify

app = typer.Typer(
    name="launchready",
    help="Take a client's domain to launch-ready on Cloudflare, and prove it.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)



@app.callback()
def _root() -> None:
    """Take a client's domain to launch-ready on Cloudflare, and prove it."""


for _module in (stack, plan, verify, demo, probes, scan, drift, keep):
    _module.register(app)


def main() -> None:
    app()

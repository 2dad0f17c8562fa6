"""The README's main job on a fresh machine: verify a local sandbox of a stack's intended state.

The sandbox (DNS + HTTPS on loopback, ``launchready.testbed``) serves what ``pulumi up`` would
publish for the stack, plus a few deliberate faults, so a newcomer sees a real scorecard with
real failures and their fixes — without a Cloudflare account or the internet.
"""

from __future__ import annotations

from dataclasses import dataclass

from launchready.spec import SiteSpec
from launchready.testbed.scenarios import Sandbox, SandboxFault
from launchready.verify.http import parse_connect_to
from launchready.verify.resolver import parse_nameserver
from launchready.verify.runner import Target, VerifyOptions, VerifyReport, run_verify

DEFAULT_FAULTS = (
    SandboxFault.SHORT_HSTS,
    SandboxFault.INSECURE_COOKIE,
    SandboxFault.DMARC_NONE,
    SandboxFault.MONITOR_DOWN,
)


@dataclass(frozen=True, slots=True)
class DemoRun:
    report: VerifyReport
    faults: tuple[SandboxFault, ...]
    nameserver: str


def run_demo(spec: SiteSpec, stack: str, faults: tuple[SandboxFault, ...] = DEFAULT_FAULTS,
             *, timeout: float = 3.0, deadline: float = 60.0) -> DemoRun:
    """Start the sandbox, verify the stack against it, stop the sandbox."""
    with Sandbox(spec, faults) as sandbox:
        options = VerifyOptions(
            nameservers=(parse_nameserver(sandbox.nameserver),),
            overrides=tuple(parse_connect_to(arg) for arg in sandbox.connect_to_args),
            ca_bundle=sandbox.ca_bundle,
            timeout=timeout,
            deadline=deadline,
            # App probes and Cloudflare state need a real app and an API token; the sandbox
            # zone has no backups.
            skip=("app.", "cloudflare.", "backup."),
        )
        report = run_verify([Target(spec.domain, spec, stack)], options)
        return DemoRun(report, faults, sandbox.nameserver)

"""Every stack `launchready new` can write is launch ready to every module that reads it.

For each plan and email preset: the offline plan passes the policy pack, a fake zone seeded
from the plan (through the API and read back by the reader) shows no drift, and the
stack never publishes an MTA-STS policy without MX hosts.
"""

from __future__ import annotations

import itertools

import pytest

from launchready.plan import plan_spec
from launchready.scaffold import NewStack
from launchready.spec import SpecError, parse_site
from launchready.spec.records import mta_sts_policy
from tests.cross.common import (
    drift_after_up,
    fake_cloudflare,
    policy_violations,
    scaffolded,
    scaffolded_document,
)

PLANS = ("free", "pro", "business", "enterprise")
PROVIDERS = ("google_workspace", "microsoft_365", "custom", "none")


def options(plan: str, provider: str, variant: int) -> NewStack:
    """Alternate apex/www, IP/hostname origin and ASCII/IDN domain across the matrix."""
    domain = ("bücher-" if variant % 2 else "client-") + f"{plan}-{provider.replace('_', '-')}.example"
    if variant % 2:
        return NewStack(domain=domain, stack="c", plan=plan, email_provider=provider,  # type: ignore[arg-type]
                        canonical="www", origin="app.fly.dev", tenant="contoso")
    return NewStack(domain=domain, stack="c", plan=plan, email_provider=provider,  # type: ignore[arg-type]
                    canonical="apex", origin="203.0.113.7")


MATRIX = [(plan, provider, n) for n, (plan, provider) in enumerate(itertools.product(PLANS, PROVIDERS))]


def test_plan_passes_policy_and_seeded_zone_has_no_drift() -> None:
    with fake_cloudflare() as api:
        for plan, provider, variant in MATRIX:
            spec = scaffolded(options(plan, provider, variant))
            resources = plan_spec(spec)
            assert policy_violations(resources) == {}, (plan, provider)
            report = drift_after_up(api, spec, resources)
            assert report.in_sync, (plan, provider, [i.to_dict() for i in report.items])
            assert report.compared["records"] >= 8


@pytest.mark.parametrize("provider", PROVIDERS)
def test_published_mta_sts_policy_is_valid(provider: str) -> None:
    # RFC 8461 §3.2: a policy needs at least one mx: line, so a stack that publishes
    # MTA-STS must also say where its mail goes.
    for plan in PLANS:
        spec = scaffolded(options(plan, provider, 0))
        if spec.email.mta_sts:
            assert "\r\nmx: " in mta_sts_policy(spec), (plan, provider)


def test_mta_sts_without_an_mx_host_is_a_spec_error() -> None:
    site = scaffolded_document(options("pro", "none", 0))
    with pytest.raises(SpecError, match="MTA-STS needs at least one MX host"):
        parse_site({**site, "email": {**site["email"], "mta_sts": {"mode": "enforce"}}})

"""Shared helpers for the cross-module tests: one spec, read by every module that reads specs."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import yaml

from launchready import policy_rules
from launchready.cloudflare import drift
from launchready.cloudflare.client import make_client
from launchready.cloudflare.reader import read_zone_state
from launchready.plan import PlannedResource
from launchready.scaffold import NewStack, render_stack
from launchready.spec import SiteSpec, parse_site
from launchready.spec.loader import CONFIG_KEY
from launchready.testbed.cloudflare_api import FakeCloudflare
from launchready.testbed.scenarios import Sandbox
from launchready.verify.http import parse_connect_to
from launchready.verify.model import CheckResult
from launchready.verify.resolver import Nameserver
from launchready.verify.runner import Target, VerifyOptions, run_verify
from tests.drift.seed import apply_plan

TOKEN = "cftoken-" + "5a" * 16
AREAS = ("dns.", "email.", "tls.", "http.")


def scaffolded_document(options: NewStack) -> dict[str, Any]:
    """The ``launchready:site`` mapping `launchready new` writes for ``options``."""
    text, _ = render_stack(options)
    site = yaml.safe_load(text)["config"][CONFIG_KEY]
    assert isinstance(site, dict)
    return site


def scaffolded(options: NewStack) -> SiteSpec:
    return parse_site(scaffolded_document(options), source="(generated stack)")


def policy_violations(plan: Sequence[PlannedResource]) -> dict[str, list[str]]:
    """Every policy-pack message for a plan, by rule name (resource and stack rules)."""
    found: dict[str, list[str]] = {}
    for rule in policy_rules.RESOURCE_RULES:
        for res in plan:
            for message in rule.check(res.type, res.inputs, {}):
                found.setdefault(rule.name, []).append(message)
    resources = [policy_rules.Resource(r.type, r.inputs, r.name) for r in plan]
    for stack_rule in policy_rules.STACK_RULES:
        for violation in stack_rule.check(resources, {}):
            found.setdefault(stack_rule.name, []).append(violation.message)
    return found


@contextmanager
def fake_cloudflare() -> Iterator[FakeCloudflare]:
    with FakeCloudflare() as api:
        api.add_token(TOKEN, label="cross")
        yield api


def drift_after_up(api: FakeCloudflare, spec: SiteSpec, plan: Sequence[PlannedResource]
                   ) -> drift.DriftReport:
    """Seed a new fake zone from ``plan`` through the API, read it back, compare with the plan."""
    desired = drift.desired_from_plan(plan)
    # A fresh account per zone: alert policies are account-wide and matched by name.
    zone = api.add_zone(spec.domain, plan=spec.plan, account_id=uuid.uuid4().hex)
    client = make_client(TOKEN, api.base_url, max_retries=0)
    apply_plan(client, zone, desired)
    return drift.compare(desired, read_zone_state(client, zone.id))


def verify_sandbox(spec: SiteSpec) -> list[CheckResult]:
    """The spec's own sandbox (no faults) through the real verify pipeline, judged by the spec."""
    with Sandbox(spec) as box:
        host, port = box.nameserver.rsplit(":", 1)
        options = VerifyOptions(nameservers=(Nameserver(host, int(port)),),
                                overrides=tuple(parse_connect_to(a) for a in box.connect_to_args),
                                ca_bundle=box.ca_bundle, only=AREAS, timeout=1.0, deadline=30.0)
        report = run_verify([Target(spec.domain, spec, "cross")], options)
    return list(report.domains[0].results)

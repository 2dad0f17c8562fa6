"""The pack against real plans: the example stack passes, a weakened one fails the right rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from launchready import policy_rules
from launchready.plan import PlannedResource, plan_spec
from launchready.spec import load_stack

STACKS = Path(__file__).resolve().parents[2] / "stacks"


def violations(plan: list[PlannedResource]) -> dict[str, list[str]]:
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


def test_example_stack_passes_every_rule() -> None:
    assert violations(plan_spec(load_stack("example", STACKS))) == {}


@pytest.mark.slow
def test_weakened_stack_fails_exactly_the_weakened_rules() -> None:
    spec = load_stack("example", STACKS)
    weak = spec.model_copy(update={
        "tls": spec.tls.model_copy(update={"ssl_mode": "full", "min_version": "1.1"}),
        "origin": spec.origin.model_copy(update={"proxied": False}),
        "firewall": spec.firewall.model_copy(update={"rate_limits": spec.firewall.rate_limits[:1]}),
    })
    found = violations(plan_spec(weak))
    assert set(found) == {"ssl-strict", "min-tls-1-2", "no-exposed-origin", "rate-limit-login-chat"}
    # apex A, apex AAAA and www CNAME all expose the origin
    assert len(found["no-exposed-origin"]) == 3

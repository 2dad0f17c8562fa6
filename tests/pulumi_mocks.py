"""Helpers for tests that run the real program under the Pulumi SDK's mock engine."""

from __future__ import annotations

import copy
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from launchready.plan import PlannedResource, plan_spec
from launchready.spec import CONFIG_KEY, parse_site

STACKS = Path(__file__).resolve().parent.parent / "stacks"

RULESET = "cloudflare:index/ruleset:Ruleset"
DNS_RECORD = "cloudflare:index/dnsRecord:DnsRecord"
ZONE_SETTING = "cloudflare:index/zoneSetting:ZoneSetting"


def example_site() -> dict[str, Any]:
    """A fresh copy of the example stack's ``launchready:site`` mapping."""
    document = yaml.safe_load((STACKS / "Pulumi.example.yaml").read_text(encoding="utf-8"))
    return copy.deepcopy(document["config"][CONFIG_KEY])


def plan_raw(site: dict[str, Any]) -> list[PlannedResource]:
    return plan_spec(parse_site(site))


def by_name(resources: list[PlannedResource]) -> dict[str, PlannedResource]:
    return {r.name: r for r in resources}


def of_type(resources: list[PlannedResource], token: str) -> list[PlannedResource]:
    return [r for r in resources if r.type == token]


def rulesets_by_phase(resources: list[PlannedResource]) -> dict[str, PlannedResource]:
    """Phase -> its Ruleset; fails when a phase has more than one (Cloudflare's entrypoint rule)."""
    rulesets = of_type(resources, RULESET)
    counts = Counter(r.inputs["phase"] for r in rulesets)
    duplicated = {phase: n for phase, n in counts.items() if n > 1}
    assert not duplicated, f"more than one Ruleset per phase: {duplicated}"
    return {r.inputs["phase"]: r for r in rulesets}


def rules_by_ref(ruleset: PlannedResource) -> dict[str, dict[str, Any]]:
    return {rule["ref"]: rule for rule in ruleset.inputs["rules"]}

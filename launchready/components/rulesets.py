"""The single entrypoint Ruleset of a phase.

Cloudflare allows one zone entrypoint ruleset per phase, and applying it replaces every rule
of that phase; so each phase is owned by exactly one component, which puts all of the
phase's rules into this one resource, each with a stable ``ref``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import pulumi
import pulumi_cloudflare as cloudflare

Rule = dict[str, Any]


def rule(
    *,
    ref: str,
    description: str,
    expression: str,
    action: str,
    action_parameters: dict[str, Any] | None = None,
    **extra: Any,
) -> Rule:
    """A RulesetRule as a plain mapping; ``ref`` keeps its identity across edits."""
    out: Rule = {
        "ref": ref,
        "description": description,
        "expression": expression,
        "action": action,
        "enabled": True,
    }
    if action_parameters is not None:
        out["action_parameters"] = action_parameters
    out.update(extra)
    return out


def phase_ruleset(
    owner: pulumi.ComponentResource,
    name: str,
    *,
    zone_id: pulumi.Input[str],
    phase: str,
    description: str,
    rules: Sequence[Rule],
) -> cloudflare.Ruleset:
    """The zone's entrypoint ruleset for ``phase``, holding all of its rules."""
    refs = [r["ref"] for r in rules]
    if len(refs) != len(set(refs)):
        raise ValueError(f"duplicate rule refs in phase {phase}: {sorted(refs)}")
    return cloudflare.Ruleset(
        name,
        zone_id=zone_id,
        kind="zone",
        name=description,
        description=description,
        phase=phase,
        # Plain mappings: the SDK translates their keys to the wire shape like typed args.
        rules=cast("list[cloudflare.RulesetRuleArgsDict]", [dict(r) for r in rules]),
        opts=pulumi.ResourceOptions(parent=owner),
    )

"""The launch-ready policy pack: pulumi_policy wrappers around ``launchready.policy_rules``.

Pulumi runs this file as ``__main__``; only then is the ``PolicyPack`` built (its constructor
starts the analyzer's gRPC server and blocks). Importing the module under another name, as the
tests do, just builds the policy objects.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyPack,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    _DictProxy,  # the proxies' raw target is the only way to see unknowns without raising
    _ListProxy,
)

try:
    from launchready import policy_rules
except ImportError:  # the pack run from a checkout where launchready is not installed
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from launchready import policy_rules

_UNKNOWNS = frozenset({
    UNKNOWN_ARCHIVE_VALUE, UNKNOWN_ARRAY_VALUE, UNKNOWN_ASSET_VALUE, UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE, UNKNOWN_OBJECT_VALUE, UNKNOWN_STRING_VALUE,
})


def plain(value: Any) -> Any:
    """Engine props (unknown-checking proxies) as plain data, unknowns as ``UNKNOWN``.

    The rules decide for themselves what an unknown means, instead of the whole policy being
    skipped at the first unknown value the proxy raises on.
    """
    if isinstance(value, _DictProxy | _ListProxy):
        value = value["__target"]
    if isinstance(value, str):
        return policy_rules.UNKNOWN if value in _UNKNOWNS else value
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


def _schema(rule: policy_rules.ResourceRule | policy_rules.StackRule) -> PolicyConfigSchema | None:
    if rule.config_schema is None:
        return None
    return PolicyConfigSchema(properties={k: dict(v) for k, v in rule.config_schema.items()})


def resource_policy(rule: policy_rules.ResourceRule) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report_violation: Any) -> None:
        for message in rule.check(args.resource_type, plain(args.props), dict(args.get_config())):
            report_violation(message, None)

    return ResourceValidationPolicy(
        name=rule.name, description=rule.description, validate=validate,
        enforcement_level=EnforcementLevel.MANDATORY, config_schema=_schema(rule),
    )


def stack_policy(rule: policy_rules.StackRule) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report_violation: Any) -> None:
        resources = [policy_rules.Resource(r.resource_type, plain(r.props), r.urn)
                     for r in args.resources]
        for violation in rule.check(resources, dict(args.get_config())):
            report_violation(violation.message, violation.urn)

    return StackValidationPolicy(
        name=rule.name, description=rule.description, validate=validate,
        enforcement_level=EnforcementLevel.MANDATORY, config_schema=_schema(rule),
    )


POLICIES = [resource_policy(rule) for rule in policy_rules.RESOURCE_RULES] + [
    stack_policy(rule) for rule in policy_rules.STACK_RULES
]

if __name__ == "__main__":
    PolicyPack(name="launchready", policies=POLICIES, enforcement_level=EnforcementLevel.MANDATORY)

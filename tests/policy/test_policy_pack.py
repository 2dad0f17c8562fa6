"""The pack itself: policy/__main__.py loads under pulumi_policy and wires every rule.

The file is imported under a non-``__main__`` name, so no analyzer gRPC server starts.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

pulumi_policy = pytest.importorskip("pulumi_policy")
from pulumi_policy import (  # noqa: E402
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy  # noqa: E402

from launchready import policy_rules  # noqa: E402

POLICY_DIR = Path(__file__).resolve().parents[2] / "policy"


@pytest.fixture(scope="module")
def pack() -> ModuleType:
    spec = importlib.util.spec_from_file_location("launchready_policy_pack", POLICY_DIR / "__main__.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _opts() -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])


def _validate_resource(policy: Any, rtype: str, props: dict[str, Any]) -> list[str]:
    messages: list[str] = []
    args = ResourceValidationArgs(rtype, unknown_checking_proxy(props), "urn:x", "x", _opts(), None)
    policy.validate(args, lambda message, urn=None: messages.append(message))
    return messages


def test_pack_files() -> None:
    meta = yaml.safe_load((POLICY_DIR / "PulumiPolicy.yaml").read_text())
    assert meta["runtime"] == "python"
    assert "pulumi-policy" in (POLICY_DIR / "requirements.txt").read_text()


def test_every_rule_becomes_a_mandatory_policy(pack: ModuleType) -> None:
    names = [p.name for p in pack.POLICIES]
    expected = [r.name for r in policy_rules.RESOURCE_RULES] + [r.name for r in policy_rules.STACK_RULES]
    assert names == expected
    assert all(p.enforcement_level == pulumi_policy.EnforcementLevel.MANDATORY for p in pack.POLICIES)


def test_resource_policy_reports_through_pulumi_policy(pack: ModuleType) -> None:
    ssl = next(p for p in pack.POLICIES if p.name == "ssl-strict")
    props = {"zoneId": "z", "settingId": "ssl", "value": "full"}
    [message] = _validate_resource(ssl, policy_rules.ZONE_SETTING, props)
    assert "strict" in message
    assert _validate_resource(ssl, policy_rules.ZONE_SETTING, {**props, "value": "strict"}) == []
    # unknown during preview: not judged, and no UnknownValueError escapes
    assert _validate_resource(ssl, policy_rules.ZONE_SETTING, {**props, "value": UNKNOWN_STRING_VALUE}) == []


def test_stack_policy_sees_unknown_zone_ids(pack: ModuleType) -> None:
    policy = next(p for p in pack.POLICIES if p.name == "one-ruleset-per-phase")

    def ruleset(urn: str) -> PolicyResource:
        props = unknown_checking_proxy({"zoneId": UNKNOWN_STRING_VALUE, "kind": "zone",
                                        "phase": "http_ratelimit", "rules": []})
        return PolicyResource(policy_rules.RULESET, props, urn, urn, _opts(), None, None, [], {})

    reported: list[tuple[str, str | None]] = []
    args = StackValidationArgs([ruleset("urn:a"), ruleset("urn:b")])
    policy.validate(args, lambda message, urn=None: reported.append((message, urn)))
    assert [urn for _, urn in reported] == ["urn:b"]


def test_plain_unwraps_proxies(pack: ModuleType) -> None:
    proxied = unknown_checking_proxy({"a": [{"b": UNKNOWN_STRING_VALUE, "c": 1.0}], "d": "x"})
    assert pack.plain(proxied) == {"a": [{"b": policy_rules.UNKNOWN, "c": 1.0}], "d": "x"}


def test_main_guard_keeps_import_side_effect_free(pack: ModuleType) -> None:
    source = (POLICY_DIR / "__main__.py").read_text()
    # PolicyPack(...) starts a gRPC server and blocks: only Pulumi's runner (run_name
    # "__main__") may reach it; importing the pack above must not.
    assert 'if __name__ == "__main__":\n    PolicyPack(' in source
    assert pack.__name__ != "__main__"

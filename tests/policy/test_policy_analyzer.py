"""The policy pack served the way the Pulumi CLI runs it: ``python -m pulumi.policy <engine>
policy/__main__.py`` starts the analyzer's gRPC server on loopback and prints its port; the
test then plays the engine's part (Configure, Analyze, AnalyzeStack) over real gRPC.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

grpc = pytest.importorskip("grpc")
from google.protobuf import empty_pb2, struct_pb2  # noqa: E402
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc  # noqa: E402
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE  # noqa: E402

from launchready import policy_rules  # noqa: E402
from launchready.plan import plan_stack  # noqa: E402

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
MANDATORY = analyzer_pb2.EnforcementLevel.Value("MANDATORY")


@pytest.fixture(scope="module")
def analyzer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    # Run from an unrelated directory, as the CLI does from the project's.
    cwd = tmp_path_factory.mktemp("pack-run")
    proc = subprocess.Popen(
        [sys.executable, "-m", "pulumi.policy", "127.0.0.1:1", str(REPO / "policy" / "__main__.py")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip().isdigit(), proc.stderr.read() if proc.stderr else line
        with grpc.insecure_channel(f"127.0.0.1:{int(line)}") as channel:
            grpc.channel_ready_future(channel).result(timeout=10)
            yield analyzer_pb2_grpc.AnalyzerStub(channel)
    finally:
        proc.kill()
        proc.wait(timeout=10)


def struct(props: dict[str, Any]) -> struct_pb2.Struct:
    out = struct_pb2.Struct()
    out.update(props)
    return out


def analyze(stub: Any, rtype: str, props: dict[str, Any]) -> list[Any]:
    request = analyzer_pb2.AnalyzeRequest(type=rtype, properties=struct(props), name="r",
                                          urn=f"urn:pulumi:s::p::{rtype}::r")
    return list(stub.Analyze(request, timeout=10).diagnostics)


def test_pack_info_lists_every_rule(analyzer: Any) -> None:
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty(), timeout=10)
    assert info.name == "launchready"
    expected = [r.name for r in policy_rules.RESOURCE_RULES] + [r.name for r in policy_rules.STACK_RULES]
    assert [p.name for p in info.policies] == expected
    assert {p.enforcementLevel for p in info.policies} == {MANDATORY}


def test_analyze_rejects_exactly_the_failing_resource(analyzer: Any) -> None:
    setting = {"zoneId": "z", "settingId": "ssl"}
    [diagnostic] = analyze(analyzer, policy_rules.ZONE_SETTING, {**setting, "value": "flexible"})
    assert diagnostic.policyName == "ssl-strict" and diagnostic.enforcementLevel == MANDATORY
    assert "Fix: set launchready:site.tls.ssl_mode: strict" in diagnostic.message
    assert analyze(analyzer, policy_rules.ZONE_SETTING, {**setting, "value": "strict"}) == []
    assert analyze(analyzer, policy_rules.ZONE_SETTING, {**setting, "value": UNKNOWN_STRING_VALUE}) == []


def test_config_knob_allows_an_unproxied_host(analyzer: Any) -> None:
    record = {"zoneId": "z", "name": "www.example.com", "type": "CNAME", "content": "example.com",
              "ttl": 1, "proxied": False}
    [diagnostic] = analyze(analyzer, policy_rules.DNS_RECORD, record)
    assert diagnostic.policyName == "no-exposed-origin"
    config = analyzer_pb2.PolicyConfig(enforcementLevel=MANDATORY,
                                       properties=struct({"allowUnproxied": ["www.example.com"]}))
    analyzer.Configure(analyzer_pb2.ConfigureAnalyzerRequest(
        policyConfig={"no-exposed-origin": config}), timeout=10)
    try:
        assert analyze(analyzer, policy_rules.DNS_RECORD, record) == []
    finally:
        analyzer.Configure(analyzer_pb2.ConfigureAnalyzerRequest(), timeout=10)


def stack_request(resources: list[tuple[str, str, dict[str, Any]]]) -> Any:
    return analyzer_pb2.AnalyzeStackRequest(resources=[
        analyzer_pb2.AnalyzerResource(type=rtype, name=name, urn=f"urn:pulumi:s::p::{rtype}::{name}",
                                      properties=struct(props))
        for rtype, name, props in resources])


def test_example_plan_passes_and_a_duplicate_ruleset_fails(analyzer: Any) -> None:
    plan = [(r.type, r.name, r.inputs) for r in plan_stack("example", REPO / "stacks")
            if r.type.startswith("cloudflare:")]
    assert list(analyzer.AnalyzeStack(stack_request(plan), timeout=30).diagnostics) == []
    for rtype, name, props in plan:
        assert analyze(analyzer, rtype, props) == [], name
    duplicate = next(p for p in plan if p[1] == "example-com-ratelimit-ruleset")
    diagnostics = list(analyzer.AnalyzeStack(
        stack_request([*plan, (duplicate[0], "extra-ratelimit", duplicate[2])]), timeout=30).diagnostics)
    assert [(d.policyName, d.urn.rsplit("::", 1)[1]) for d in diagnostics] == [
        ("one-ruleset-per-phase", "extra-ratelimit")]

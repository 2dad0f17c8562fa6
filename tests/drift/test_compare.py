"""Drift as a pure comparison: the example stack's plan vs live zones built from it.

Each scenario starts from a zone in sync with the plan and changes one thing, as someone in the
dashboard would; the report must name exactly that change with its evidence.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest

from launchready.cloudflare import drift
from launchready.cloudflare.state import DnsRecord, RulesetRule, ZoneState
from launchready.plan import PlannedResource, plan_stack
from launchready.verify.dnsclient import DnsAnswer, Rcode
from tests.drift.livestate import live_from_plan


@pytest.fixture(scope="module")
def plan(stacks_dir_module: Path) -> list[PlannedResource]:
    return plan_stack("example", stacks_dir_module)


@pytest.fixture(scope="module")
def stacks_dir_module() -> Path:
    return Path(__file__).resolve().parents[2] / "stacks"


@pytest.fixture(scope="module")
def desired(plan: list[PlannedResource]) -> drift.Desired:
    return drift.desired_from_plan(plan)


@pytest.fixture
def live(plan: list[PlannedResource]) -> ZoneState:
    return live_from_plan(plan)


def only(report: drift.DriftReport) -> drift.DriftItem:
    assert len(report.items) == 1, [i.to_dict() for i in report.items]
    return report.items[0]


class FakeLookup:
    """In-process ``Lookup``: fixed answers, records every question."""

    def __init__(self, answers: dict[tuple[str, str], DnsAnswer]) -> None:
        self.answers = answers
        self.asked: list[tuple[str, str]] = []

    def query(self, name: str, rdtype: str) -> DnsAnswer:
        self.asked.append((name, rdtype))
        return self.answers.get((name, rdtype), DnsAnswer(name, rdtype, Rcode.NXDOMAIN))


def test_zone_in_sync_reports_no_drift(desired: drift.Desired, live: ZoneState) -> None:
    report = drift.compare(desired, live)
    assert report.in_sync and report.items == ()
    assert report.compared == {"settings": 6, "records": 16, "rulesets": 6, "health_checks": 3,
                               "notification_policies": 1}


def test_setting_changed_in_dashboard(desired: drift.Desired, live: ZoneState) -> None:
    live = dataclasses.replace(live, settings={**live.settings, "ssl": "full"})
    item = only(drift.compare(desired, live))
    assert (item.kind, item.key, item.desired, item.live, item.severity) == (
        "setting.changed", "ssl", "strict", "full", "high")
    assert item.resource == "example-com-tls-ssl"


def test_hsts_max_age_lowered_names_the_field(desired: drift.Desired, live: ZoneState) -> None:
    header = live.settings["security_header"]
    lowered = {"strict_transport_security": {**header["strict_transport_security"], "max_age": 86400}}
    live = dataclasses.replace(live, settings={**live.settings, "security_header": lowered})
    item = only(drift.compare(desired, live))
    assert item.kind == "setting.changed" and "strict_transport_security.max_age" in item.note
    assert item.live == lowered


def test_record_added_in_dashboard(desired: drift.Desired, live: ZoneState) -> None:
    added = DnsRecord(id="new1", name="test.example.com", type="A", content="192.0.2.99")
    item = only(drift.compare(desired, dataclasses.replace(live, records=(*live.records, added))))
    assert (item.kind, item.resource, item.key) == (
        "record.unmanaged", "live:new1", "test.example.com A 192.0.2.99")
    assert item.live["content"] == "192.0.2.99"


def test_record_changed_in_dashboard(desired: drift.Desired, live: ZoneState) -> None:
    records = tuple(dataclasses.replace(r, content="other-backend.fly.dev")
                    if r.name == "api.example.com" else r for r in live.records)
    item = only(drift.compare(desired, dataclasses.replace(live, records=records)))
    assert (item.kind, item.resource) == ("record.changed", "example-com-dns-host-api")
    assert item.desired["content"] == "app-backend.fly.dev"
    assert item.live["content"] == "other-backend.fly.dev"


def test_proxy_switched_off_is_high(desired: drift.Desired, live: ZoneState) -> None:
    records = tuple(dataclasses.replace(r, proxied=False, ttl=300)
                    if r.name == "www.example.com" else r for r in live.records)
    item = only(drift.compare(desired, dataclasses.replace(live, records=records)))
    assert item.kind == "record.changed" and item.severity == "high"
    assert item.desired == {"proxied": True, "ttl": 1} and item.live == {"proxied": False, "ttl": 300}


def test_record_deleted(desired: drift.Desired, live: ZoneState) -> None:
    records = tuple(r for r in live.records if not r.name.startswith("_dmarc."))
    item = only(drift.compare(desired, dataclasses.replace(live, records=records)))
    assert item.kind == "record.missing" and item.key.startswith("_dmarc.example.com TXT")


def test_txt_quoting_and_name_case_are_not_drift(desired: drift.Desired, live: ZoneState) -> None:
    def requote(r: DnsRecord) -> DnsRecord:
        if r.type != "TXT":
            return r
        half = len(r.content) // 2
        return dataclasses.replace(r, content=f'"{r.content[:half]}" "{r.content[half:]}"')
    records = tuple(requote(r) for r in live.records)
    assert drift.compare(desired, dataclasses.replace(live, records=records)).in_sync


def test_cloudflare_universal_ssl_caa_records_are_tolerated(desired: drift.Desired,
                                                            live: ZoneState) -> None:
    extra = (DnsRecord(id="cf1", name="example.com", type="CAA", content='0 issue "ssl.com"',
                       data={"flags": 0, "tag": "issue", "value": "ssl.com"}),
             DnsRecord(id="cf2", name="example.com", type="CAA", content='0 issuewild "comodoca.com"'))
    assert drift.compare(desired, dataclasses.replace(live, records=live.records + extra)).in_sync
    rogue = DnsRecord(id="x", name="example.com", type="CAA", content='0 issue "rogue-ca.example"')
    item = only(drift.compare(desired, dataclasses.replace(live, records=(*live.records, rogue))))
    assert item.kind == "record.unmanaged"


def test_ruleset_rule_added_in_dashboard(desired: drift.Desired, live: ZoneState) -> None:
    ruleset = live.rulesets["http_ratelimit"]
    rule = RulesetRule(id="r-new", ref="r-new", action="block",
                       expression='starts_with(http.request.uri.path, "/api/search")',
                       ratelimit={"period": 10, "requests_per_period": 100})
    live = dataclasses.replace(live, rulesets={
        **live.rulesets, "http_ratelimit": dataclasses.replace(ruleset, rules=(*ruleset.rules, rule))})
    item = only(drift.compare(desired, live))
    assert (item.kind, item.key, item.resource) == (
        "rule.added", "http_ratelimit/r-new", "example-com-ratelimit-ruleset")
    assert item.live["expression"] == rule.expression


def test_ruleset_rule_disabled_and_edited(desired: drift.Desired, live: ZoneState) -> None:
    ruleset = live.rulesets["http_ratelimit"]
    rules = tuple(dataclasses.replace(r, enabled=False, ratelimit={**r.ratelimit, "period": 10})
                  if r.ref == "login" else r for r in ruleset.rules)
    live = dataclasses.replace(live, rulesets={
        **live.rulesets, "http_ratelimit": dataclasses.replace(ruleset, rules=rules)})
    item = only(drift.compare(desired, live))
    assert (item.kind, item.key, item.severity) == ("rule.changed", "http_ratelimit/login", "high")
    assert item.desired == {"enabled": True, "ratelimit.period": 60}
    assert item.live == {"enabled": False, "ratelimit.period": 10}


def test_ruleset_deleted_and_unowned_phase(desired: drift.Desired, live: ZoneState) -> None:
    rulesets = dict(live.rulesets)
    rulesets.pop("http_request_dynamic_redirect")
    rulesets["http_request_origin"] = dataclasses.replace(
        live.rulesets["http_ratelimit"], id="orig", phase="http_request_origin")
    report = drift.compare(desired, dataclasses.replace(live, rulesets=rulesets))
    assert [(i.kind, i.key) for i in report.items] == [
        ("ruleset.missing", "http_request_dynamic_redirect"),
        ("ruleset.unmanaged", "http_request_origin")]


def test_health_check_deleted(desired: drift.Desired, live: ZoneState) -> None:
    checks = tuple(h for h in live.health_checks if h.name != "login")
    item = only(drift.compare(desired, dataclasses.replace(live, health_checks=checks)))
    assert (item.kind, item.key, item.resource, item.severity) == (
        "healthcheck.missing", "login", "example-com-monitoring-login", "high")


def test_health_check_path_changed(desired: drift.Desired, live: ZoneState) -> None:
    checks = tuple(dataclasses.replace(h, http_config=dataclasses.replace(h.http_config, path="/x"))
                   if h.name == "home" else h for h in live.health_checks)
    item = only(drift.compare(desired, dataclasses.replace(live, health_checks=checks)))
    assert item.kind == "healthcheck.changed"
    assert item.desired == {"http_config.path": "/"} and item.live == {"http_config.path": "/x"}


def test_notification_policy_disabled_and_narrowed(desired: drift.Desired, live: ZoneState) -> None:
    [policy] = live.notification_policies
    narrowed = dataclasses.replace(policy, enabled=False, filters={
        **policy.filters, "health_check_id": policy.filters["health_check_id"][:1]})
    item = only(drift.compare(desired, dataclasses.replace(live, notification_policies=(narrowed,))))
    assert item.kind == "notification.changed"
    assert item.desired["enabled"] is True and item.live["enabled"] is False
    assert len(item.desired["filters.health_check_id"]) == 3
    assert item.live["filters.health_check_id"] == list(policy.filters["health_check_id"][:1])


def test_notification_policy_deleted(desired: drift.Desired, live: ZoneState) -> None:
    item = only(drift.compare(desired, dataclasses.replace(live, notification_policies=())))
    assert item.kind == "notification.missing"


def test_dangling_unmanaged_cname_is_a_takeover_risk(desired: drift.Desired, live: ZoneState) -> None:
    dangling = DnsRecord(id="old1", name="old-shop.example.com", type="CNAME",
                         content="shop-gone.myshopify.example.net")
    healthy = DnsRecord(id="ok1", name="blog.example.com", type="CNAME", content="blog.example.net")
    live = dataclasses.replace(live, records=(*live.records, dangling, healthy))
    lookup = FakeLookup({("blog.example.net", "A"):
                         DnsAnswer("blog.example.net", "A", Rcode.NOERROR, ("192.0.2.7",))})
    report = drift.detect_drift(desired, live, lookup)
    assert sorted(lookup.asked) == [("blog.example.net", "A"), ("shop-gone.myshopify.example.net", "A")]
    kinds = {i.resource: i for i in report.items}
    risk = kinds["live:old1"]
    assert (risk.kind, risk.severity) == ("record.takeover_risk", "high")
    assert risk.live["target_rcode"] == "NXDOMAIN" and "no longer resolves" in risk.note
    assert kinds["live:ok1"].kind == "record.unmanaged"
    # Without a lookup both are reported, neither judged.
    assert [i.kind for i in drift.compare(desired, live).items] == ["record.unmanaged"] * 2


def test_unresolvable_target_is_not_called_a_takeover(desired: drift.Desired, live: ZoneState) -> None:
    record = DnsRecord(id="t1", name="x.example.com", type="CNAME", content="slow.example.net")
    lookup = FakeLookup({("slow.example.net", "A"): DnsAnswer("slow.example.net", "A", Rcode.TIMEOUT)})
    item = only(drift.detect_drift(desired, dataclasses.replace(live, records=(*live.records, record)),
                                   lookup))
    assert item.kind == "record.unmanaged" and "TIMEOUT" in item.note


def test_nodata_a_retries_aaaa(desired: drift.Desired, live: ZoneState) -> None:
    record = DnsRecord(id="v6", name="v6.example.com", type="CNAME", content="v6only.example.net")
    lookup = FakeLookup({
        ("v6only.example.net", "A"): DnsAnswer("v6only.example.net", "A", Rcode.NOERROR),
        ("v6only.example.net", "AAAA"): DnsAnswer("v6only.example.net", "AAAA", Rcode.NOERROR,
                                                  ("2001:db8::7",)),
    })
    item = only(drift.detect_drift(desired, dataclasses.replace(live, records=(*live.records, record)),
                                   lookup))
    assert item.kind == "record.unmanaged"


def test_dnssec_disabled(desired: drift.Desired, live: ZoneState) -> None:
    assert drift.compare(desired, dataclasses.replace(live, dnssec_status="pending")).in_sync
    item = only(drift.compare(desired, dataclasses.replace(live, dnssec_status="disabled")))
    assert (item.kind, item.live) == ("dnssec.changed", "disabled")


def test_report_json_shape(desired: drift.Desired, live: ZoneState) -> None:
    live = dataclasses.replace(live, settings={**live.settings, "min_tls_version": "1.0"})
    data = drift.compare(desired, live).to_dict()
    assert data["in_sync"] is False and data["zone"] == "example.com"
    assert data["items"][0]["kind"] == "setting.changed"


def test_differences_subset_semantics() -> None:
    assert drift.differences({"a": 1.0, "b": {"c": "x"}}, {"a": 1, "b": {"c": "x", "extra": 2}}) == []
    assert drift.differences({"a": [1, 2]}, {"a": [1]}) == [("a", [1, 2], [1])]
    assert drift.differences({"id": "${res.id}"}, {"id": "abc"}) == []
    assert drift.snake({"actionParameters": {"X-Frame-Options": 1, "edgeTtl": 2.0}}) == {
        "action_parameters": {"X-Frame-Options": 1, "edge_ttl": 2}}


def test_targets_resolve_concurrently() -> None:
    class SlowLookup:
        def query(self, name: str, rdtype: str) -> DnsAnswer:
            time.sleep(0.2)
            return DnsAnswer(name, rdtype, Rcode.NXDOMAIN)

    targets = [f"t{i}.example.net" for i in range(8)]
    started = time.perf_counter()
    answers = drift.resolve_targets(SlowLookup(), targets)
    assert time.perf_counter() - started < 1.0  # sequentially this takes 1.6 s
    assert sorted(answers) == targets and {a.rcode for a in answers.values()} == {Rcode.NXDOMAIN}


def test_edited_record_pairs_with_its_own_kind(desired: drift.Desired, live: ZoneState) -> None:
    """An edited SPF is "changed" even beside an unrelated new TXT at the same name."""
    spf = next(r for r in live.records if r.content.startswith("v=spf1"))
    records = [r for r in live.records if r is not spf]
    records += [dataclasses.replace(spf, content="v=spf1 include:evil.example.net ~all"),
                DnsRecord(id="v1", name="example.com", type="TXT", content="stripe-verification=123")]
    report = drift.compare(desired, dataclasses.replace(live, records=tuple(records)))
    kinds = {(i.kind, i.resource) for i in report.items}
    assert kinds == {("record.changed", "example-com-email-txt-apex-34a4190e"),
                     ("record.unmanaged", "live:v1")}


def test_deleted_caa_is_missing_not_paired_with_cloudflares_own(desired: drift.Desired,
                                                                 live: ZoneState) -> None:
    records = [r for r in live.records if "pki.goog" not in r.content]
    records.append(DnsRecord(id="cf", name="example.com", type="CAA", content='0 issue "ssl.com"'))
    item = only(drift.compare(desired, dataclasses.replace(live, records=tuple(records))))
    assert item.kind == "record.missing" and "pki.goog" in item.key

"""Adopt round trip: live zone → stack spec + import file → offline plan → the same records."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from launchready.cli import app
from launchready.cloudflare.adopt import AdoptError, adopt_zone
from launchready.cloudflare.bind import parse_bind
from launchready.cloudflare.state import DnsRecord
from launchready.plan import plan_stack
from launchready.spec import load_stack
from launchready.testbed.cloudflare_api import FakeCloudflare, iter_records

from .conftest import CANARY, ZONE_ID, seed_zone

DNS = "cloudflare:index/dnsRecord:DnsRecord"
DOMAIN = "shop.example"


def _run(args: list[str], fake: FakeCloudflare | None, monkeypatch: pytest.MonkeyPatch) -> Any:
    if fake is None:
        monkeypatch.delenv("CLOUDFLARE_API_TOKEN", raising=False)
    else:
        monkeypatch.setenv("CLOUDFLARE_API_TOKEN", CANARY)
        monkeypatch.setenv("CLOUDFLARE_BASE_URL", fake.base_url)
    result = CliRunner().invoke(app, args)
    assert CANARY not in result.output
    return result


def _desired(resource_inputs: dict[str, Any]) -> tuple[Any, ...]:
    """A planned DnsRecord's identity in live-record terms (numbers back to ints)."""
    data = resource_inputs.get("data")
    if data is not None:
        data = {k: int(v) if isinstance(v, float) else v for k, v in data.items()}
        data.pop("priority", None)
    priority = resource_inputs.get("priority")
    if resource_inputs["type"] == "SRV":
        priority = int(resource_inputs["data"]["priority"])
    return (resource_inputs["name"], resource_inputs["type"],
            None if data is not None else resource_inputs["content"],
            json.dumps(data, sort_keys=True) if data is not None else None,
            int(priority) if priority is not None else None,
            bool(resource_inputs.get("proxied", False)))


def _live(record: dict[str, Any]) -> tuple[Any, ...]:
    data = dict(record["data"]) if record.get("data") else None
    if data is not None:
        data.pop("priority", None)
    return (record["name"], record["type"], None if data is not None else record["content"],
            json.dumps(data, sort_keys=True) if data is not None else None,
            record.get("priority"), record["proxied"])


def _assert_round_trip(fake: FakeCloudflare, stacks: Path, import_file: Path) -> None:
    """Every live record is imported once, under the name the program gives its twin."""
    live = {r["id"]: r for r in iter_records(fake, ZONE_ID)}
    planned = {r.name: r for r in plan_stack("shop", stacks) if r.type == DNS}
    imports = json.loads(import_file.read_text())
    assert imports["nameTable"] == {}
    records = [e for e in imports["resources"] if e["type"] == DNS]
    components = {e["name"]: e for e in imports["resources"] if e.get("component")}

    assert sorted(e["name"] for e in records) == sorted(planned)  # one to one, by logical name
    assert sorted(e["id"].split("/")[1] for e in records) == sorted(live)
    for entry in records:
        zone_id, record_id = entry["id"].split("/")
        assert zone_id == ZONE_ID and entry["logicalName"] == entry["name"]
        resource = planned[entry["name"]]
        assert entry["parent"] == resource.parent and entry["parent"] in components
        assert _desired(resource.inputs) == _live(live[record_id]), entry["name"]
    for component in components.values():  # parents precede children, up to the root
        parent = component.get("parent")
        assert parent is None or parent in components


@pytest.mark.integration
@pytest.mark.slow
def test_adopt_from_the_api_round_trips(fake: FakeCloudflare, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    seed_zone(fake)
    result = _run(["adopt", DOMAIN, "--stack", "shop", "--stacks-dir", str(tmp_path)], fake,
                  monkeypatch)
    assert result.exit_code == 0, result.output
    import_file = tmp_path / "shop.import.json"
    assert "18 live records adopted" in result.stdout  # what was written: stdout, like `new`
    assert "ttl 3600 → 1" in result.stderr  # the generated MX records go to automatic TTL
    assert f"next: pulumi import --stack shop --file {import_file}" in result.stderr
    assert "next:" not in result.stdout and "ttl 3600" not in result.stdout
    spec = load_stack("shop", tmp_path)
    assert spec.zone.zone_id == ZONE_ID and spec.plan == "business"
    assert spec.origin.addresses == ["192.0.2.10", "2001:db8::10"]
    assert [(m.host, m.priority) for m in spec.email.mx] == [
        ("aspmx.l.google.com", 1), ("alt1.aspmx.l.google.com", 5)]
    assert spec.email.spf.record() == "v=spf1 ip4:198.51.100.0/24 include:_spf.google.com -all"
    assert spec.email.dmarc.policy == "quarantine"
    assert spec.caa.issuers == ["letsencrypt.org"] and spec.caa.wildcard_issuers == ["pki.goog"]
    assert {r.name for r in spec.records} == {"_sip._tcp", "api", "legacy", "mail", "@", "status"}
    _assert_round_trip(fake, tmp_path, import_file)
    for path in tmp_path.iterdir():
        assert CANARY not in path.read_text()

    again = _run(["adopt", DOMAIN, "--stack", "shop", "--stacks-dir", str(tmp_path)], fake,
                 monkeypatch)
    assert again.exit_code == 2 and "already exists; pass --force" in again.output


@pytest.mark.integration
@pytest.mark.slow
def test_adopt_from_a_bind_export_matches_the_api(fake: FakeCloudflare, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    seed_zone(fake)
    export = tmp_path / "export.zone"
    export.write_text(fake.handle("GET", f"/client/v4/zones/{ZONE_ID}/dns_records/export",
                                  {"authorization": f"Bearer {CANARY}"}, b"")[2].decode())
    stacks = tmp_path / "stacks"
    result = _run(["adopt", DOMAIN, "--stack", "shop", "--zone-file", str(export),
                   "--stacks-dir", str(stacks)], fake, monkeypatch)
    assert result.exit_code == 0, result.output
    _assert_round_trip(fake, stacks, stacks / "shop.import.json")

    offline = tmp_path / "offline"
    result = _run(["adopt", DOMAIN, "--stack", "shop", "--zone-file", str(export),
                   "--zone-id", ZONE_ID, "--plan", "business", "--stacks-dir", str(offline)],
                  None, monkeypatch)
    assert result.exit_code == 0, result.output
    assert not (offline / "shop.import.json").exists()  # a zone file has no record ids
    assert load_stack("shop", offline) == load_stack("shop", stacks)


def test_existing_stack_file_is_kept_without_force(fake: FakeCloudflare, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    seed_zone(fake)
    stack_file = tmp_path / "Pulumi.shop.yaml"
    original = ("config:\n  cloudflare:apiToken:\n    secure: v1:abc\n"
                "  launchready:site: {domain: old.example}\n")
    stack_file.write_text(original)
    result = _run(["adopt", DOMAIN, "--stack", "shop", "--stacks-dir", str(tmp_path)], fake,
                  monkeypatch)
    assert result.exit_code == 2 and stack_file.read_text() == original
    assert not (tmp_path / "shop.import.json").exists()

    result = _run(["adopt", DOMAIN, "--stack", "shop", "--force", "--stacks-dir", str(tmp_path)],
                  fake, monkeypatch)
    assert result.exit_code == 0, result.output
    config = yaml.safe_load(stack_file.read_text())["config"]
    assert config["cloudflare:apiToken"] == {"secure": "v1:abc"}  # other keys survive
    assert config["launchready:site"]["domain"] == DOMAIN
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_bad_token_and_bad_zone_file_are_clear_errors(fake: FakeCloudflare, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    seed_zone(fake)
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "nope-" + CANARY)
    monkeypatch.setenv("CLOUDFLARE_BASE_URL", fake.base_url)
    result = CliRunner().invoke(app, ["adopt", DOMAIN, "--stack", "shop",
                                      "--stacks-dir", str(tmp_path)])
    assert result.exit_code == 3 and "rejected as invalid or expired" in result.output
    assert CANARY not in result.output
    broken = tmp_path / "broken.zone"
    broken.write_text("www 300 IN A not-an-address\n")
    result = _run(["adopt", DOMAIN, "--stack", "shop", "--zone-file", str(broken),
                   "--zone-id", ZONE_ID, "--stacks-dir", str(tmp_path)], None, monkeypatch)
    assert result.exit_code == 2 and "not a valid zone file" in result.output
    assert list(tmp_path.glob("Pulumi.*")) == []


def _rec(name: str, rtype: str, content: str, **kw: Any) -> DnsRecord:
    return DnsRecord(id=f"id-{name}-{rtype}-{content}"[:40], name=name, type=rtype,
                     content=content, **kw)


APEX = _rec(DOMAIN, "A", "192.0.2.10", proxied=True)


@pytest.mark.parametrize(
    ("records", "message"),
    [
        ([APEX, _rec(DOMAIN, "TXT", "v=spf1 a mx -all")], "uses a, mx"),
        ([APEX, _rec(DOMAIN, "TXT", "v=spf1 -all"), _rec(DOMAIN, "TXT", "v=spf1 ~all")],
         "2 SPF"),
        ([APEX, _rec(f"_dmarc.{DOMAIN}", "TXT", "v=DMARC1; rua=mailto:a@b.example")], "no valid p="),
        ([_rec(f"_dmarc.{DOMAIN}", "TXT", "v=DMARC1; p=reject")], "no A, AAAA or CNAME"),
    ],
)
def test_records_the_spec_cannot_carry_stop_adoption(records: list[DnsRecord],
                                                     message: str) -> None:
    with pytest.raises(AdoptError, match=message):
        adopt_zone(DOMAIN, records, zone_id=ZONE_ID)


@pytest.mark.slow
def test_role_matching_updates_in_place_instead_of_duplicating() -> None:
    records = [
        APEX,
        _rec(DOMAIN, "TXT", "v=spf1 include:_spf.google.com ip4:198.51.100.7 -all"),  # reordered
        _rec(f"_dmarc.{DOMAIN}", "TXT", "v=DMARC1; p=reject; fo=1"),  # fo= is not in the spec
        _rec(f"www.{DOMAIN}", "A", "192.0.2.99"),  # www becomes CNAME → apex (replaced)
        _rec(f"img.{DOMAIN}", "A", "192.0.2.20"),
        _rec(f"img.{DOMAIN}", "A", "192.0.2.21"),  # round robin keeps its own keys
        _rec(f"bad_label.{DOMAIN}", "A", "192.0.2.30"),
        _rec(f"x.{DOMAIN}", "PTR", "host.example"),
    ]
    adoption = adopt_zone(DOMAIN, records, zone_id=ZONE_ID)
    by_live = {rec.content: name for name, rec in adoption.matched.items()}
    assert by_live[records[1].content] == "shop-example-email-txt-apex-" + \
        by_live[records[1].content].rsplit("-", 1)[1]
    changes = {(c.name, c.field): c for c in adoption.changes}
    spf_name = by_live[records[1].content]
    assert changes[(spf_name, "content")].planned == \
        "v=spf1 ip4:198.51.100.7 include:_spf.google.com -all"
    assert changes[(by_live["v=DMARC1; p=reject; fo=1"], "content")].planned == "v=DMARC1; p=reject"
    www = by_live["192.0.2.99"]
    assert www == "shop-example-dns-host-www"
    assert changes[(www, "type (replaced, delete first)")].planned == "CNAME"
    assert any("fo=1" in w for w in adoption.warnings)
    img = sorted(n for n, r in adoption.matched.items() if r.name == f"img.{DOMAIN}")
    assert len(img) == 2 and all(n.startswith("shop-example-dns-a-img-") for n in img)
    unmanaged = {u.record.name: u.reason for u in adoption.unmanaged}
    assert "not a valid record name" in unmanaged[f"bad_label.{DOMAIN}"]
    assert "PTR" in unmanaged[f"x.{DOMAIN}"]
    # The program creates what the zone lacks: no CAA was live, so none is planned.
    assert adoption.spec.caa.issuers == []
    assert len({e.name for e in adoption.imports}) == len(adoption.imports)


def test_parse_bind_keeps_proxied_comments_and_skips_soa_ns() -> None:
    text = (
        f"{DOMAIN}.\t3600\tIN\tSOA\tns.cloudflare.com. dns.cloudflare.com. 1 2 3 4 5\n"
        f"{DOMAIN}.\t86400\tIN\tNS\tada.ns.cloudflare.com.\n"
        f"api.{DOMAIN}.\t1\tIN\tCNAME\tapp.fly.dev. ; backend cf_tags=cf-proxied:true\n"
        f"{DOMAIN}.\t300\tIN\tMX\t0 .\n"
        f'{DOMAIN}.\t1\tIN\tTXT\t"v=spf1 " "-all"\n'
        f"{DOMAIN}.\t1\tIN\tHINFO\t\"pc\" \"linux\"\n"
    )
    records, skipped = parse_bind(text, DOMAIN)
    assert [(r.name, r.type, r.content, r.proxied, r.comment, r.priority) for r in records] == [
        (f"api.{DOMAIN}", "CNAME", "app.fly.dev", True, "backend", None),
        (DOMAIN, "MX", ".", False, "", 0),
        (DOMAIN, "TXT", "v=spf1 -all", False, "", None),
    ]
    assert skipped == [f"{DOMAIN} HINFO: type not managed by launchready"]


HEALTHCHECK = "cloudflare:index/healthcheck:Healthcheck"


@pytest.mark.integration
@pytest.mark.slow
def test_adopt_brings_health_checks_into_the_spec_and_the_import_file(
        fake: FakeCloudflare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    zone = seed_zone(fake)
    home = fake.add_health_check(zone.id, name="Home_Page", address=DOMAIN, type="HTTPS",
                                 interval=120, description="made by hand",
                                 http_config={"path": "/health", "expected_codes": ["200", "3xx"]})
    api = fake.add_health_check(zone.id, name="api", address=f"api.{DOMAIN}", type="HTTPS",
                                http_config={"path": "/ready", "method": "HEAD"})
    fake.add_health_check(zone.id, name="db", address="192.0.2.50", type="TCP",
                          tcp_config={"port": 5432})
    from .conftest import ACCOUNT_ID
    fake.policies[ACCOUNT_ID]["p1"] = {
        "id": "p1", "name": "site down", "alert_type": "health_check_status_notification",
        "enabled": True, "description": "", "filters": {"health_check_id": [home["id"]]},
        "mechanisms": {"email": [{"id": "oncall@shop.example"}]}}

    result = _run(["adopt", DOMAIN, "--stack", "shop", "--stacks-dir", str(tmp_path)], fake,
                  monkeypatch)
    assert result.exit_code == 0, result.output
    assert "18 live records adopted, 2 health checks" in result.output
    assert "not adopted (stays as it is, unmanaged): health check db: TCP health checks" \
        in result.output
    assert "site down stays outside the stack" in result.output

    spec = load_stack("shop", tmp_path)
    monitors = {m.name: m for m in spec.monitoring.monitors}
    assert sorted(monitors) == ["api", "home_page"]
    assert monitors["home_page"].path == "/health" and monitors["home_page"].host is None
    assert monitors["home_page"].expected_codes == ["200", "3xx"]
    assert monitors["home_page"].interval == 120
    assert monitors["api"].host == f"api.{DOMAIN}" and monitors["api"].method == "HEAD"
    assert spec.monitoring.alerts.emails == ["oncall@shop.example"]

    planned = {r.inputs["name"]: r for r in plan_stack("shop", tmp_path) if r.type == HEALTHCHECK}
    imports = json.loads((tmp_path / "shop.import.json").read_text())["resources"]
    checks = {e["name"]: e for e in imports if e["type"] == HEALTHCHECK}
    components = {e["name"] for e in imports if e.get("component")}
    assert sorted(checks) == sorted(r.name for r in planned.values())
    for monitor, live_id in (("home_page", home["id"]), ("api", api["id"])):
        entry = checks[planned[monitor].name]
        assert entry["id"] == f"{ZONE_ID}/{live_id}"
        assert entry["parent"] == planned[monitor].parent and entry["parent"] in components
    assert "name 'Home_Page' → 'home_page'" in result.output
    assert "description 'made by hand' →" in result.output
    _assert_round_trip(fake, tmp_path, tmp_path / "shop.import.json")


def test_health_checks_the_spec_cannot_hold_stay_unmanaged() -> None:
    from launchready.cloudflare.adopt import monitoring_from_health_checks
    from launchready.cloudflare.state import HealthCheck, HttpConfig, NotificationPolicy

    check = HealthCheck("c1", "home", DOMAIN, "HTTPS", http_config=HttpConfig(path="/"))
    policy = NotificationPolicy("p", "alerts", "health_check_status_notification",
                                mechanisms={"email": ("ops@shop.example",)})
    warnings: list[str] = []
    monitoring, by_name, unmanaged = monitoring_from_health_checks(
        DOMAIN, [check], [policy], "free", warnings)
    assert monitoring is None and by_name == {}
    assert unmanaged == ["health check home: the free plan has no health checks"]

    monitoring, _, unmanaged = monitoring_from_health_checks(DOMAIN, [check], [], "pro", warnings)
    assert monitoring is None and "no enabled health-check alert policy" in unmanaged[0]

    eleven = [HealthCheck(f"c{i}", f"check{i:02d}", DOMAIN, "HTTPS", http_config=HttpConfig())
              for i in range(11)]
    monitoring, by_name, unmanaged = monitoring_from_health_checks(
        DOMAIN, eleven, [policy], "pro", warnings)
    assert monitoring is not None and len(monitoring["monitors"]) == 10
    assert unmanaged == ["health check check10: the pro plan allows 10 health checks"]

    post = HealthCheck("c2", "post", DOMAIN, "HTTPS", http_config=HttpConfig(method="POST"))
    _, _, unmanaged = monitoring_from_health_checks(DOMAIN, [post], [policy], "pro", warnings)
    assert unmanaged == ["health check post: method POST is not in the spec (GET or HEAD)"]


def test_an_import_path_that_cannot_be_written_leaves_no_stack_behind(
        fake: FakeCloudflare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seed_zone(fake)
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    stacks = tmp_path / "stacks"
    result = _run(["adopt", DOMAIN, "--stack", "shop", "--stacks-dir", str(stacks),
                   "--out-import", str(blocker / "shop.import.json")], fake, monkeypatch)
    assert result.exit_code == 2, result.output
    assert not (stacks / "Pulumi.shop.yaml").exists()  # a re-run is not refused for a half adoption

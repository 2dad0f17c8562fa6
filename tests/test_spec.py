"""The site spec: every malformed-stack case gets one clear message naming its key path."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from launchready.cli import app
from launchready.spec import CONFIG_KEY, SpecError, load_stack, parse_site, site_json_schema
from launchready.spec.records import planned_records

runner = CliRunner()


@pytest.fixture
def example(stacks_dir: Path) -> dict[str, Any]:
    document = yaml.safe_load((stacks_dir / "Pulumi.example.yaml").read_text())
    return copy.deepcopy(document["config"][CONFIG_KEY])


def problems(data: Any) -> list[str]:
    with pytest.raises(SpecError) as caught:
        parse_site(data)
    return [str(p) for p in caught.value.problems]


def test_example_stack_loads(stacks_dir: Path) -> None:
    spec = load_stack("example", stacks_dir)
    assert spec.domain == "example.com"
    assert spec.canonical_fqdn == "www.example.com"
    assert spec.email.spf.record() == "v=spf1 include:_spf.google.com include:sendgrid.net -all"
    assert [r.ref for r in spec.firewall.rate_limits] == ["login", "chat_send", "tool_calls"]


def test_wrong_type_names_path_and_allowed_values(example: dict[str, Any]) -> None:
    example["plan"] = "gold"
    example["tls"]["hsts"]["max_age"] = "a year"
    found = problems(example)
    assert any(p.startswith("launchready:site.plan:") and "'business'" in p for p in found)
    assert any(p.startswith("launchready:site.tls.hsts.max_age:") for p in found)


def test_unknown_key_lists_allowed_keys(example: dict[str, Any]) -> None:
    example["firewall"]["rate_limits"][0]["burst"] = 10
    (found,) = problems(example)
    assert found.startswith("launchready:site.firewall.rate_limits[0].burst: unknown key")
    assert "requests_per_period" in found


def test_missing_required_field(example: dict[str, Any]) -> None:
    del example["origin"]
    assert problems(example) == ["launchready:site.origin: required key is missing"]


def test_apex_cname_beside_other_records(example: dict[str, Any]) -> None:
    example["records"].append({"name": "@", "type": "CNAME", "content": "elsewhere.example.net"})
    (found,) = problems(example)
    assert found.startswith("launchready:site.records[3]: a CNAME at the apex")


def test_cname_beside_other_records_of_same_name(example: dict[str, Any]) -> None:
    example["records"].append({"name": "api", "type": "TXT", "content": "hello"})
    (found,) = problems(example)
    assert found == (
        "launchready:site.records[0]: a CNAME at api.example.com cannot sit beside other "
        "records of that name (TXT)"
    )


def test_dkim_key_not_base64(example: dict[str, Any]) -> None:
    example["email"]["dkim"][0]["public_key"] = "not base64!"
    (found,) = problems(example)
    assert found.startswith("launchready:site.email.dkim[0].public_key: public_key must be base64")


def test_rate_limit_period_not_on_plan(example: dict[str, Any]) -> None:
    example["plan"] = "pro"
    example["firewall"]["rate_limits"] = example["firewall"]["rate_limits"][:2]
    example["firewall"]["rate_limits"][0]["period"] = 600
    for rule in example["firewall"]["rate_limits"]:
        del rule["methods"]
    (found,) = problems(example)
    assert found == (
        "launchready:site.firewall.rate_limits[0].period: period 600 s is not offered on the pro "
        "plan (allowed: 10, 60); the business plan or higher lifts it"
    )


def test_plan_limits_name_the_plan_that_lifts_them(example: dict[str, Any]) -> None:
    example["plan"] = "free"
    found = "\n".join(problems(example))
    assert "3 rate-limit rules exceed the free plan's 1; the business plan or higher lifts it" in found
    assert "health checks are not on the free plan; the pro plan or higher lifts it" in found
    assert "Cloudflare Managed and OWASP rulesets are not on the free plan" in found
    assert "matching on the request method is not on the free plan" in found


def test_regex_needs_business(example: dict[str, Any]) -> None:
    example["plan"] = "pro"
    example["firewall"]["rate_limits"] = []
    example["firewall"]["custom_rules"] = [{
        "ref": "bots", "description": "x", "action": "block",
        "expression": 'http.user_agent matches "(?i)curl"',
    }]
    (found,) = problems(example)
    assert "regex matching (matches / ~) is not on the pro plan; the business plan" in found


def test_every_problem_reported_at_once(example: dict[str, Any]) -> None:
    example["plan"] = "gold"
    example["origin"] = {"addresses": ["not-an-ip"]}
    example["email"]["dmarc"]["policy"] = "block"
    assert len(problems(example)) == 3


def test_not_a_mapping() -> None:
    assert problems(["a", "list"]) == [
        "launchready:site: expected a mapping of site settings, got a list"
    ]


def test_idn_domain_is_stored_as_a_labels(example: dict[str, Any]) -> None:
    example["domain"] = "Bücher.Example"
    example["records"] = []
    spec = parse_site(example)
    assert spec.domain == "xn--bcher-kva.example"


def test_missing_stack_lists_existing(stacks_dir: Path) -> None:
    with pytest.raises(SpecError) as caught:
        load_stack("nope", stacks_dir)
    assert "no stack named 'nope' (stacks here: example" in str(caught.value)
    assert f"`launchready new DOMAIN --stack nope --stacks-dir {stacks_dir}`" in str(caught.value)


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.bad.yaml").write_text("config:\n  launchready:site: {domain: [\n")
    with pytest.raises(SpecError) as caught:
        load_stack("bad", tmp_path)
    assert "not valid YAML at line" in str(caught.value)


def test_presets_fill_and_user_overrides() -> None:
    base = {"domain": "client.example", "zone": {"zone_id": "a" * 32},
            "origin": {"hostname": "app.host.example"}}
    google = parse_site({**base, "email": {"provider": "google_workspace"}})
    assert [m.host for m in google.email.mx] == ["smtp.google.com"]
    assert google.email.spf.includes == ["_spf.google.com"]
    m365 = parse_site({**base, "email": {"provider": "microsoft_365", "tenant": "contoso"}})
    with pytest.raises(SpecError, match=r"email.tenant: 'contoso inc' is not a tenant name"):
        parse_site({**base, "email": {"provider": "microsoft_365", "tenant": "contoso inc"}})
    assert m365.email.mx[0].host == "client-example.mail.protection.outlook.com"
    assert m365.email.dkim[0].cname == (
        "selector1-client-example._domainkey.contoso.onmicrosoft.com"
    )
    none = parse_site(base)
    assert [(m.host, m.priority) for m in none.email.mx] == [(".", 0)]
    assert none.email.spf.record() == "v=spf1 -all"
    assert none.email.dmarc.policy == "reject"
    custom = parse_site({**base, "email": {"provider": "google_workspace",
                                           "spf": {"ip4": ["192.0.2.0/24"]}}})
    assert custom.email.spf.record() == "v=spf1 ip4:192.0.2.0/24 include:_spf.google.com -all"


def test_record_keys_ignore_list_order(example: dict[str, Any]) -> None:
    forward = planned_records(parse_site(example))
    example["records"].reverse()
    example["caa"]["issuers"].reverse()
    backward = planned_records(parse_site(example))
    assert [(r.key, r.content) for r in forward] == [(r.key, r.content) for r in backward]
    assert len({r.key for r in forward}) == len(forward)


def test_host_record_key_survives_type_change(example: dict[str, Any]) -> None:
    keys = {r.key for r in planned_records(parse_site(example)) if r.name == "status.example.com"}
    example["records"][1] = {"name": "status", "type": "A", "content": "192.0.2.55"}
    changed = {r.key for r in planned_records(parse_site(example)) if r.name == "status.example.com"}
    assert keys == changed == {"host-status"}


def test_schema_command_prints_json_schema() -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema == site_json_schema()
    assert schema["additionalProperties"] is False
    assert "rate_limits" in schema["$defs"]["Firewall"]["properties"]

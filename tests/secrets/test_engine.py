from __future__ import annotations

import json

import pytest

from launchready.secrets import Severity, scan_source_map, scan_text
from launchready.secrets.findings import fingerprint
from tests.secrets.fakekeys import make_assigned, make_keys, rnd, supabase_jwt


@pytest.mark.parametrize("rule_id", sorted(make_keys()))
def test_each_key_type_is_found_by_its_rule(rule_id: str) -> None:
    secret = make_keys()[rule_id]
    text = f'// header\nconst value = "{secret}";\n'
    findings = scan_text(text, "app.js")
    assert [(f.rule_id, f.line) for f in findings] == [(rule_id, 2)]
    assert secret not in repr(findings)


@pytest.mark.parametrize("rule_id", sorted(make_assigned()))
def test_assignment_rules_find_the_value(rule_id: str) -> None:
    template, secret = make_assigned()[rule_id]
    findings = scan_text(template.format(v=secret) + "\n", "settings.env")
    assert [f.rule_id for f in findings] == [rule_id]
    assert secret not in repr(findings)


def test_private_key_block_spans_lines() -> None:
    from tests.secrets.fakekeys import private_key_block

    text = "x = 1\n" + private_key_block() + "\n"
    findings = scan_text(text, "id_rsa")
    assert [(f.rule_id, f.line, f.severity) for f in findings] == [("private-key", 2, Severity.CRITICAL)]


def test_stripe_live_and_test_keys_are_different_rules_and_severities() -> None:
    keys = make_keys()
    findings = scan_text(f"{keys['stripe-live-secret-key']}\n{keys['stripe-test-key']}\n", "k.txt")
    by_rule = {f.rule_id: f.severity for f in findings}
    assert by_rule == {"stripe-live-secret-key": Severity.CRITICAL, "stripe-test-key": Severity.WARNING}


@pytest.mark.parametrize(
    "text",
    [
        f'const supabaseKey = "{supabase_jwt("anon")}";',
        f'export const apiKey = "{supabase_jwt("anon")}";',
        f'const stripe = Stripe("pk_live_{rnd(99)}");',
        f'const pk = "pk_test_{rnd(99)}";',
        f'const key = "sb_publishable_{rnd(32)}";',
        'const api_key = "<your-key>";',
        "SMTP_PASSWORD=${SMTP_PASSWORD}",
        'password = "changeme"',
        "OPENAI_API_KEY=sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "STRIPE_SECRET_KEY=sk_live_" + "a" * 24,
        "const apiKey = process.env.OPENAI_API_KEY;",
        'aws_access_key_id = "AKIAIOSFODNN7EXAMPLE"',
        'const id = "3f2b8c1e-4d5a-4b6c-8e9f-0a1b2c3d4e5f";',
        'const integrity = "sha384-oqVuAfXRKap7fdgcCY5uykM6+R9GqQ8K/uxy9rx7HNQlGYl1kPzQho1wx4JwY8wC";',
    ],
)
def test_public_values_and_placeholders_are_not_findings(text: str) -> None:
    assert scan_text(text + "\n", "app.js") == []


def test_same_secret_on_two_lines_is_reported_twice_with_one_fingerprint() -> None:
    key = make_keys()["github-token"]
    findings = scan_text(f"a={key}\nb={key}\n", "x.txt")
    assert [f.line for f in findings] == [1, 2]
    assert findings[0].fingerprint == findings[1].fingerprint


def test_minified_long_line_keyword_window() -> None:
    secret = rnd(32)
    filler = "function(a){return a+1};" * 2000
    text = filler + f'var e={{password:"{secret}"}};' + filler
    findings = scan_text(text, "main.min.js")
    assert [(f.rule_id, f.line) for f in findings] == [("generic-secret-assignment", 1)]


def test_source_map_lines_point_into_the_original_file() -> None:
    key = make_keys()["anthropic-api-key"]
    smap = {
        "version": 3,
        "sources": ["src/clean.ts", "src/config.ts"],
        "sourcesContent": ["export const x = 1;\n", f"// cfg\n\nexport const k = '{key}';\n"],
        "mappings": "",
    }
    findings = scan_source_map(json.dumps(smap), "https://app.test/main.js.map")
    assert [(f.source, f.line) for f in findings] == [("https://app.test/main.js.map -> src/config.ts", 3)]
    assert key not in json.dumps([f.to_dict() for f in findings])


def test_quoted_django_key_with_operators_is_not_taken_for_a_call() -> None:
    secret = "".join(("zh!=!gq(w^_t[", rnd(30), ")HI+$eh"))
    findings = scan_text(f"SECRET_KEY = '{secret}'\n", "settings.py")
    assert [f.rule_id for f in findings] == ["generic-secret-assignment"]


def test_indirect_reference_is_not_a_secret() -> None:
    assert scan_text("password = get_password_from_vault(name)\n", "settings.env") == []


def test_laravel_app_key_with_base64_prefix() -> None:
    import base64
    import secrets

    value = base64.b64encode(secrets.token_bytes(32)).decode()
    findings = scan_text(f"APP_KEY=base64:{value}\n", ".env")
    expected = [("generic-token-assignment", fingerprint(value))]
    assert [(f.rule_id, f.fingerprint) for f in findings] == expected


@pytest.mark.parametrize("url", ["postgres://app:{v}@db:5432/app", "redis://default:{v}@cache:6379"])
def test_database_urls_with_passwords(url: str) -> None:
    secret = rnd(18)
    findings = scan_text(f'DATABASE_URL="{url.format(v=secret)}"\n', ".env")
    expected = [("database-url-credentials", fingerprint(secret))]
    assert [(f.rule_id, f.fingerprint) for f in findings] == expected


def test_yaml_flow_mapping_closer_is_not_part_of_the_value() -> None:
    """``{secret_env: STRIPE_WHSEC}`` names an env var; a real password keeps its fingerprint."""
    assert scan_text("hooks:\n  - {path: /h, secret_env: LAUNCHREADY_STRIPE_WHSEC}\n", "site.yaml") == []
    password = rnd(24)
    [finding] = scan_text(f"db: {{user: app, password: {password}}}\n", "site.yaml")
    assert finding.fingerprint == fingerprint(password)

"""The ``app`` section of the site spec: shapes, limits, and no literal tokens in a stack file."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from launchready.probes import ProbeOptions
from launchready.probes.runner import base_url_for, writable_routes
from launchready.spec.app import BURST_HARD_CAP, AppSpec, RateLimits
from launchready.spec.loader import SpecError, parse_site
from tests.apps.common import ANON_JWT, AWS_KEY, SK_LIVE, TOKEN_A
from tests.probes.conftest import APP_SECTION, site


def problems(app: dict[str, Any]) -> str:
    with pytest.raises(SpecError) as caught:
        parse_site(
            {
                "domain": "example.com",
                "zone": {"account_id": "0" * 32},
                "origin": {"addresses": ["192.0.2.10"]},
                "app": app,
            }
        )
    return caught.value.render()


def test_the_test_section_parses_and_lists_its_writes() -> None:
    spec = site("http://127.0.0.1:8000/")
    assert spec.app is not None and spec.app.base_url == "http://127.0.0.1:8000"
    writes = writable_routes(spec.app)
    assert ("POST", "/webhooks/stripe") in writes and ("POST", "/api/chat") in writes
    assert ("POST", "/api/export") in writes and ("GET", "/api/billing") in writes


def test_base_url_defaults_to_the_canonical_host_and_can_be_overridden() -> None:
    spec = site("http://127.0.0.1:8000")
    no_base = spec.model_copy(update={"app": spec.app.model_copy(update={"base_url": None})})  # type: ignore[union-attr]
    assert base_url_for(no_base, ProbeOptions()) == "https://www.example.com"
    assert base_url_for(spec, ProbeOptions()) == "http://127.0.0.1:8000"
    assert (
        base_url_for(spec, ProbeOptions(base_url="https://staging.example.com/"))
        == "https://staging.example.com"
    )


@pytest.mark.parametrize("value", [TOKEN_A, SK_LIVE, AWS_KEY, ANON_JWT, "Bearer abc.def", "whsec_abcdefghij"])
def test_literal_tokens_are_refused_and_never_echoed(value: str) -> None:
    text = problems({"identities": {"a": {"token_env": "APP_TOKEN_A"}, "b": {"token_env": value}}})
    assert "launchready:site.app.identities.b.token_env" in text
    assert "literal token" in text
    assert value not in text


def test_env_names_must_look_like_env_names() -> None:
    text = problems({"webhooks": [{"path": "/h", "scheme": "stripe", "secret_env": "my secret"}]})
    assert "environment variable NAME" in text


def test_burst_is_bounded_by_twice_the_limit_and_the_hard_cap() -> None:
    assert "at most 2 x the limit" in problems(
        {"rate_limits": {"login": {"path": "/login", "limit": 5}, "limit": 30, "burst": 11}}
    )
    limits = RateLimits.model_validate(
        {"login": {"path": "/login"}, "chat_send": {"path": "/chat", "limit": 3}, "limit": BURST_HARD_CAP}
    )
    assert limits.login is not None and limits.chat_send is not None
    assert limits.burst_for(limits.login) == BURST_HARD_CAP
    assert limits.burst_for(limits.chat_send) == 6
    with pytest.raises(ValidationError):
        RateLimits.model_validate({"limit": BURST_HARD_CAP + 1})


@pytest.mark.parametrize(
    ("app", "message"),
    [
        ({"object_routes": [{"path": "/api/c/1"}], "identities": APP_SECTION["identities"]}, "never uses"),
        ({"object_routes": [{"path": "/api/c/{conversation_id}"}]}, "identities.a.object_id"),
        ({"webhooks": [{"path": "/h", "scheme": "generic_hmac"}]}, "needs 'header'"),
        ({"webhooks": [{"path": "/h", "scheme": "stripe", "header": "X-Sig"}]}, "fixed by the stripe scheme"),
        ({"webhooks": [{"path": "/h", "scheme": "paypal"}]}, "scheme"),
        ({"chat": [{"path": "/chat", "sample": {"text": "hi"}}]}, "string field 'message'"),
        ({"cors": {"allowed_origins": ["https://a.example.com/path"]}}, "scheme://host"),
        ({"sensitive_routes": [{"path": "api/admin"}]}, "absolute path"),
        ({"base_url": "ftp://example.com"}, "http(s)://"),
        ({"base_url": "https://user:pw@example.com"}, "no user:password@"),
        ({"system_prompt_canary": "LR-CANARY-1234", "system_prompt_canary_env": "CANARY"}, "not both"),
        ({"identites": {}}, "unknown key"),
    ],
)
def test_bad_app_sections_explain_themselves(app: dict[str, Any], message: str) -> None:
    assert message in problems(app)


def test_app_spec_is_frozen_and_documented() -> None:
    spec = AppSpec()
    with pytest.raises(ValidationError):
        spec.entry_path = "/x"  # type: ignore[misc]
    schema = AppSpec.model_json_schema()
    assert "token_env" in str(schema) and "never the value" in str(schema)

"""Fixtures: the vulnerable and hardened apps on real uvicorn servers, and a site spec for them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from launchready.spec.loader import parse_site
from launchready.spec.models import SiteSpec
from launchready.verify.model import CheckResult
from tests.apps import hardened, vulnerable
from tests.apps.common import (
    ALLOWED_ORIGIN,
    CANARIES,
    CHAT_LIMIT,
    CONV_A,
    LOGIN_LIMIT,
    MARKER_A,
    WINDOW,
    CanaryListener,
    canary_listener,
    serve,
)

APP_SECTION: dict[str, Any] = {
    "identities": {
        "a": {"token_env": "APP_TOKEN_A", "object_id": CONV_A, "object_marker": MARKER_A},
        "b": {"token_env": "APP_TOKEN_B"},
        "admin": {"token_env": "APP_TOKEN_ADMIN"},
    },
    "sensitive_routes": [
        {"path": "/api/admin/users", "kind": "admin"},
        {"path": "/api/conversations", "kind": "history"},
        {"path": "/api/billing", "kind": "billing"},
    ],
    "object_routes": [
        {"path": "/api/conversations/{conversation_id}"},
        {"path": "/api/messages", "query": {"conversation_id": "{conversation_id}"}},
        {"method": "POST", "path": "/api/export", "body": {"conversation_id": "{conversation_id}"}},
    ],
    "cors": {"allowed_origins": [ALLOWED_ORIGIN], "paths": ["/"]},
    "rate_limits": {
        "login": {
            "path": "/api/auth/login",
            "body": {"email": "probe+{n}@example.test", "password": "wrong-{n}"},
            "limit": LOGIN_LIMIT,
        },
        "chat_send": {"path": "/api/chat", "body": {"message": "hello {n}", "conversation_id": CONV_A}},
        "limit": CHAT_LIMIT,
        "window_seconds": WINDOW,
    },
    "webhooks": [
        {"path": "/webhooks/stripe", "scheme": "stripe", "secret_env": "STRIPE_WHSEC"},
        {"path": "/webhooks/github", "scheme": "github", "secret_env": "GITHUB_HOOK_SECRET"},
        {"path": "/webhooks/slack", "scheme": "slack", "secret_env": "SLACK_SIGNING_SECRET"},
        {"path": "/webhooks/standard", "scheme": "standard_webhooks", "secret_env": "STD_WEBHOOK_SECRET"},
        {"path": "/webhooks/svix", "scheme": "svix", "secret_env": "SVIX_SECRET"},
        {
            "path": "/webhooks/generic",
            "scheme": "generic_hmac",
            "secret_env": "GENERIC_HOOK_SECRET",
            "header": "X-Signature",
        },
    ],
    "chat": [
        {"path": "/api/chat", "sample": {"message": "What is my plan?", "conversation_id": CONV_A}},
        {
            "path": "/api/tools/lookup",
            "sample": {"tool": "crm_lookup", "query": "acme corp"},
            "message_field": "query",
        },
        {
            "path": "/api/tools/fetch",
            "sample": {"tool": "fetch", "url": "https://docs.example.test/pricing"},
            "message_field": "url",
            "url_field": "url",
        },
    ],
    "system_prompt_canary_env": "PROMPT_CANARY",
}


def site(base_url: str, **app_overrides: Any) -> SiteSpec:
    return parse_site(
        {
            "domain": "example.com",
            "zone": {"account_id": "0" * 32},
            "canonical_host": "www",
            "origin": {"addresses": ["192.0.2.10"]},
            "app": {**APP_SECTION, "base_url": base_url, **app_overrides},
        }
    )


def assert_no_canary(results: list[CheckResult]) -> str:
    """Render results as JSON and prove no token, secret or planted key appears in full."""
    text = json.dumps([r.to_dict() for r in results])
    for canary in CANARIES:
        assert canary not in text
    return text


@pytest.fixture(scope="session")
def ssrf_canary() -> Iterator[CanaryListener]:
    """The loopback listener whose URL the SSRF probe plants; only the app should ever fetch it."""
    with canary_listener() as listener:
        yield listener


@pytest.fixture(scope="session")
def vulnerable_url() -> Iterator[str]:
    with serve(vulnerable.create_app()) as url:
        yield url


@pytest.fixture(scope="session")
def hardened_url() -> Iterator[str]:
    with serve(hardened.create_app()) as url:
        yield url


@pytest.fixture
def fresh_hardened_url() -> Iterator[str]:
    """A hardened server with empty rate-limit counters and dedupe memory."""
    with serve(hardened.create_app(login_limit=LOGIN_LIMIT, chat_limit=CHAT_LIMIT)) as url:
        yield url

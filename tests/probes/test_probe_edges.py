"""Verdicts between the two extremes, each against a small purpose-built app on loopback:
test-mode keys warn, an IP-keyed chat limiter fails the per-identity rule, 429 without headers
warns, ``*`` CORS, a missing Vary, webhooks without a secret, injections without a canary,
inline and header-declared source maps; plus the pure helpers."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from launchready.probes import ProbeOptions, run_app_probes
from launchready.probes.auth import forged_tokens, jwt_claims
from launchready.probes.context import ProbeContext
from launchready.probes.cors import trick_origins
from launchready.probes.http import ProbeClient
from launchready.probes.ratelimit import parse_retry_after
from launchready.verify.model import CheckResult, Status
from tests.apps.common import ENV, OPENAI_KEY, SK_TEST, TOKEN_A, serve
from tests.probes.conftest import assert_no_canary, site

Handler = Callable[[Request], Any]
PAGE = '<html><head><script src="/app.js"></script></head></html>'


def probe_app(
    routes: dict[str, Handler], only: str, methods: tuple[str, ...] = ("GET",), **app: Any
) -> CheckResult:
    async def index(request: Request) -> Response:
        return HTMLResponse(PAGE)

    table = [Route("/", index)] + [Route(p, h, methods=list(methods)) for p, h in routes.items()]
    with serve(Starlette(routes=table)) as url:
        results = run_app_probes(
            site(url, **app), ProbeOptions(env=ENV, timeout=3, probe_rate_limits=True, only=(only,))
        )
    assert_no_canary(results)
    [result] = results
    return result


def js(text: str, headers: dict[str, str] | None = None) -> Handler:
    async def handler(request: Request) -> Response:
        return Response(text, media_type="application/javascript", headers=headers)

    return handler


@pytest.mark.integration
def test_a_test_mode_stripe_key_warns_not_fails() -> None:
    result = probe_app({"/app.js": js(f'var k="{SK_TEST}";')}, "app.exposed_secrets")
    assert result.status is Status.WARN
    assert [f["rule_id"] for f in result.evidence["findings"]] == ["stripe-test-key"]


@pytest.mark.integration
def test_inline_and_header_declared_source_maps_are_scanned() -> None:
    source_map = json.dumps(
        {"version": 3, "sources": ["a.ts"], "sourcesContent": [f'const k = "{OPENAI_KEY}";'], "mappings": "A"}
    )
    inline = base64.b64encode(source_map.encode()).decode()
    routes = {
        "/app.js": js(f"var a=1;\n//# sourceMappingURL=data:application/json;base64,{inline}"),
        "/b.js": js("var b=1;", headers={"SourceMap": "/maps/b.map"}),
        "/maps/b.map": js(source_map),
    }

    async def index(request: Request) -> Response:
        return HTMLResponse('<script src="/app.js"></script><script src="/b.js"></script>')

    with serve(Starlette(routes=[Route("/", index)] + [Route(p, h) for p, h in routes.items()])) as url:
        [result] = run_app_probes(site(url), ProbeOptions(env=ENV, timeout=3, only=("app.exposed_secrets",)))
    assert result.status is Status.FAIL
    sources = {f["source"] for f in result.evidence["findings"]}
    assert any("inline source map" in s for s in sources)
    assert any(s.endswith("/maps/b.map -> a.ts") for s in sources)
    assert_no_canary([result])


def limiter(key: Callable[[Request], str], limit: int, headers: dict[str, str]) -> Handler:
    hits: dict[str, int] = {}

    async def handler(request: Request) -> Response:
        who = key(request)
        hits[who] = hits.get(who, 0) + 1
        if hits[who] > limit:
            return JSONResponse({"error": "slow down"}, status_code=429, headers=headers)
        return JSONResponse({"ok": True})

    return handler


def by_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def by_token(request: Request) -> str:
    return request.headers.get("authorization", "")


RATE = {"chat_send": {"path": "/api/chat", "body": {"message": "hi {n}"}}, "login": None, "limit": 4}


@pytest.mark.integration
def test_a_chat_limit_keyed_on_the_ip_throttles_everyone_and_fails() -> None:
    handler = limiter(by_ip, 4, {"Retry-After": "7"})
    result = probe_app({"/api/chat": handler}, "app.rate_limit", ("POST",), rate_limits=RATE)
    assert result.status is Status.FAIL and "keyed on the IP" in result.summary
    assert result.evidence["chat_per_identity"]["throttled_at"] == 5


@pytest.mark.integration
def test_a_login_limit_keyed_on_x_forwarded_for_is_bypassed_and_fails() -> None:
    handler = limiter(lambda r: r.headers.get("x-forwarded-for") or by_ip(r), 3, {"Retry-After": "7"})
    rate = {"login": {"path": "/login", "body": {"user": "u{n}"}}, "limit": 3}
    result = probe_app({"/login": handler}, "app.rate_limit", ("POST",), rate_limits=rate)
    assert result.status is Status.FAIL and "X-Forwarded-For" in result.summary
    assert result.evidence["login_per_ip"]["spoofed_x_forwarded_for_status"] == 200


@pytest.mark.integration
def test_a_429_without_rate_limit_headers_warns() -> None:
    handler = limiter(by_token, 4, {})
    result = probe_app({"/api/chat": handler}, "app.rate_limit", ("POST",), rate_limits=RATE)
    assert result.status is Status.WARN and "no Retry-After" in result.summary


def cors_route(headers: Callable[[str], dict[str, str]]) -> Handler:
    async def handler(request: Request) -> Response:
        return Response("", headers=headers(request.headers.get("origin", "")))

    return handler


CORS_APP = {"sensitive_routes": [{"path": "/api/me"}], "cors": {"allowed_origins": [], "paths": []}}


@pytest.mark.integration
@pytest.mark.parametrize(
    ("headers", "status", "problem"),
    [
        (
            lambda o: {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Credentials": "true"},
            Status.FAIL,
            "* with Allow-Credentials",
        ),
        (lambda o: {"Access-Control-Allow-Origin": "*"}, Status.WARN, "* on an authenticated route"),
        (lambda o: {"Access-Control-Allow-Origin": o}, Status.FAIL, "untrusted origin reflected"),
        (lambda o: {}, Status.PASS, ""),
    ],
)
def test_cors_verdicts(headers: Callable[[str], dict[str, str]], status: Status, problem: str) -> None:
    result = probe_app({"/api/me": cors_route(headers)}, "app.cors", ("GET", "OPTIONS"), **CORS_APP)
    assert result.status is status
    assert problem in result.summary


@pytest.mark.integration
def test_an_allowed_origin_echoed_without_vary_fails() -> None:
    echo = cors_route(lambda o: {"Access-Control-Allow-Origin": o} if o == "https://app.example.com" else {})
    app = {**CORS_APP, "cors": {"allowed_origins": ["https://app.example.com"], "paths": []}}
    result = probe_app({"/api/me": echo}, "app.cors", ("GET", "OPTIONS"), **app)
    assert result.status is Status.FAIL and "without Vary" in result.summary
    assert "http://app.example.com" in result.evidence["untrusted_origins"]


@pytest.mark.integration
def test_webhooks_without_a_signing_secret_run_only_the_forger_cases() -> None:
    async def refuse(request: Request) -> Response:
        return JSONResponse({"error": "bad signature"}, status_code=400)

    hooks = [{"path": "/hook", "scheme": "stripe"}]
    result = probe_app({"/hook": refuse}, "app.webhooks", ("POST",), webhooks=hooks)
    assert result.status is Status.PASS and "stale/tamper/replay not run" in result.summary
    [endpoint] = result.evidence["endpoints"]
    assert set(endpoint["cases"]) == {"missing signature", "garbage signature", "signed with a wrong secret"}


@pytest.mark.integration
def test_a_refused_genuine_event_fails() -> None:
    async def refuse(request: Request) -> Response:
        return JSONResponse({"error": "bad signature"}, status_code=400)

    hooks = [{"path": "/hook", "scheme": "github", "secret_env": "GITHUB_HOOK_SECRET"}]
    result = probe_app({"/hook": refuse}, "app.webhooks", ("POST",), webhooks=hooks)
    assert result.status is Status.FAIL and "valid event" in result.summary


@pytest.mark.integration
def test_injection_without_a_canary_warns() -> None:
    async def chat(request: Request) -> Response:
        return JSONResponse({"reply": "ok"})

    app = {"chat": [{"path": "/chat", "sample": {"message": "hi"}}], "system_prompt_canary_env": None}
    result = probe_app({"/chat": chat}, "app.prompt_injection", ("POST",), **app)
    assert result.status is Status.WARN and "no system_prompt_canary" in result.summary


def test_trick_origins_cover_the_known_bypasses() -> None:
    origins = trick_origins("www.example.com", ["https://app.example.com"])
    assert {"null", "https://www.example.com.attacker.test", "https://attackerwww.example.com"} <= set(
        origins
    )
    assert {
        "https://app.example.com.attacker.test",
        "https://appaexampleacom",
        "http://app.example.com",
    } <= set(origins)
    assert "https://app.example.com" not in origins


@pytest.mark.parametrize(
    ("value", "seconds"), [("120", 120.0), ('"13s"', 13.0), ("1.5", 1.5), ("soon", None), (None, None)]
)
def test_retry_after_is_parsed_leniently(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value) == seconds


def test_retry_after_http_date() -> None:
    future = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 60))
    parsed = parse_retry_after(future)
    assert parsed is not None and 50 < parsed <= 60


def test_forged_tokens_reuse_the_identity_claims() -> None:
    now = 1_700_000_000
    tokens = forged_tokens(jwt_claims(TOKEN_A), now=now)
    assert tokens["no credentials"] is None
    none_token = tokens["alg none JWT"]
    assert none_token is not None and none_token.endswith(".")
    expired = jwt_claims(tokens["expired JWT"])
    assert expired is not None and expired["sub"] == "alice" and expired["exp"] < now
    wrong = tokens["JWT signed with a wrong key"]
    assert wrong is not None and wrong.split(".")[2] != TOKEN_A.split(".")[2]
    assert jwt_claims("not-a-jwt") is None


@pytest.mark.parametrize(
    ("header", "scheme", "expected"),
    [
        ("Authorization", "Bearer", "Bearer tok"),
        ("Cookie", "session=", "session=tok"),
        ("X-Api-Key", "", "tok"),
    ],
)
def test_credentials_are_sent_the_way_the_spec_says(header: str, scheme: str, expected: str) -> None:
    spec = site("http://127.0.0.1:9", auth_header=header, auth_scheme=scheme)
    assert spec.app is not None
    ctx = ProbeContext(app=spec.app, host="www.example.com", client=ProbeClient("http://127.0.0.1:9"), env={})
    assert ctx.auth("tok") == {header: expected}
    assert ctx.auth(None) == {}


@pytest.mark.integration
def test_a_webhook_route_refusing_with_400_passes_auth() -> None:
    async def hook(request: Request) -> Response:
        return JSONResponse({"error": "missing signature"}, status_code=400)

    routes = [{"method": "POST", "path": "/hook", "kind": "webhook"}]
    result = probe_app({"/hook": hook}, "app.auth", ("POST",), sensitive_routes=routes)
    assert result.status is Status.PASS, result.summary

"""The SSRF probe (app.ssrf): which URLs it plants, how it judges answers, and that it fails
the vulnerable fetch tool and passes the hardened one without ever connecting anywhere itself."""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from launchready.probes import ProbeOptions, SsrfCanary, plan_app_probes, run_app_probes
from launchready.probes.context import ProbeContext
from launchready.probes.http import ProbeClient
from launchready.probes.ssrf import fetched_markers, payloads
from launchready.spec.app import ChatEndpoint
from launchready.verify.model import CheckResult, Status
from tests.apps.common import ENV, SSRF_CANARY, CanaryListener, serve
from tests.probes.conftest import APP_SECTION, assert_no_canary, site

FETCH = {
    "path": "/api/tools/fetch",
    "sample": {"tool": "fetch", "url": "https://docs.example.test/pricing"},
    "message_field": "url",
    "url_field": "url",
}


def context(base_url: str, canary: SsrfCanary | None = None) -> ProbeContext:
    spec = site(base_url)
    assert spec.app is not None
    return ProbeContext(spec.app, "www.example.com", ProbeClient(base_url), ENV, canary)


def test_payloads_cover_loopback_spellings_metadata_file_and_gopher() -> None:
    planted = payloads(context("http://app.example.test:8080"))
    assert planted[:3] == ["http://127.0.0.1:8080/", "http://[::1]:8080/", "http://0x7f000001:8080/"]
    assert "http://169.254.169.254/latest/meta-data/" in planted
    assert "file:///etc/passwd" in planted
    assert any(url.startswith("gopher://127.0.0.1:8080/_GET%20") for url in planted)


def test_a_canary_aims_the_loopback_payloads_at_its_port_and_path() -> None:
    canary = SsrfCanary("http://127.0.0.1:4567/internal", "secret-canary-text")
    planted = payloads(context("https://app.example.test", canary))
    assert planted[0] == canary.url
    assert "http://0x7f000001:4567/internal" in planted and len(planted) == len(set(planted))
    assert "secret-canary-text" not in repr(canary)


def test_markers_name_what_was_fetched_never_quote_it() -> None:
    canary = SsrfCanary("http://127.0.0.1:1/", "CANARY-123456")
    assert fetched_markers("daemon:x:1:1\nroot:x:0:0:root:/root:/bin/bash", None) == ["an /etc/passwd line"]
    assert fetched_markers("ami-id\nhostname\ninstance-id\n", None) == ["a cloud metadata listing"]
    assert fetched_markers("<p>CANARY-123456</p>", canary) == ["the SSRF canary"]
    assert fetched_markers("page about the root user", canary) == []


def test_url_field_must_name_a_string_in_the_sample() -> None:
    with pytest.raises(ValueError, match="string field 'link'"):
        ChatEndpoint.model_validate({**FETCH, "url_field": "link"})
    assert ChatEndpoint.model_validate(FETCH).url_field == "url"


def test_plan_lists_the_payload_posts_and_sends_nothing() -> None:
    records = plan_app_probes(site("http://127.0.0.1:9"), ProbeOptions(env=ENV, only=("app.ssrf",)))
    assert len(records) == len(payloads(context("http://127.0.0.1:9")))
    assert {(r.probe, r.method, r.url) for r in records} == {("ssrf", "POST", "http://127.0.0.1:9/api/tools/fetch")}


def test_no_url_field_means_skipped() -> None:
    chat = [c for c in APP_SECTION["chat"] if "url_field" not in c]
    options = ProbeOptions(env=ENV, only=("app.ssrf",))
    [result] = run_app_probes(site("http://127.0.0.1:9", chat=chat), options)
    assert result.status is Status.SKIPPED and "url_field" in result.summary


def test_missing_token_is_an_error() -> None:
    [result] = run_app_probes(site("http://127.0.0.1:9"), ProbeOptions(env={}, only=("app.ssrf",)))
    assert result.status is Status.ERROR and "APP_TOKEN_A" in result.summary


def ssrf_against(handler: Any, canary: SsrfCanary | None = None) -> CheckResult:
    app = Starlette(routes=[Route("/api/tools/fetch", handler, methods=["POST"])])
    with serve(app) as url:
        options = ProbeOptions(env=ENV, timeout=3, only=("app.ssrf",), ssrf_canary=canary)
        [result] = run_app_probes(site(url, chat=[FETCH]), options)
    assert_no_canary([result])
    return result


@pytest.mark.integration
def test_a_blind_tool_that_accepts_internal_urls_warns() -> None:
    async def blind(request: Request) -> Response:
        await request.body()
        return JSONResponse({"queued": True})

    result = ssrf_against(blind)
    assert result.status is Status.WARN
    assert {c["verdict"] for c in result.evidence["cases"]} == {"accepted"}


@pytest.mark.integration
def test_a_5xx_that_echoes_the_fetched_page_still_fails(ssrf_canary: CanaryListener) -> None:
    async def leaky_error(request: Request) -> Response:
        url = json.loads(await request.body())["url"]
        text = SSRF_CANARY if url.startswith("http://127.0.0.1:") else "bad gateway"
        return Response(f"upstream said: {text}", status_code=502)

    result = ssrf_against(leaky_error, SsrfCanary(ssrf_canary.url, SSRF_CANARY))
    assert result.status is Status.FAIL
    assert [c["payload"] for c in result.evidence["cases"] if c["verdict"] == "fetched"] == [ssrf_canary.url]


@pytest.mark.integration
def test_the_vulnerable_tool_fails_and_the_hardened_tool_passes(
    vulnerable_url: str, hardened_url: str, ssrf_canary: CanaryListener
) -> None:
    canary = SsrfCanary(ssrf_canary.url, SSRF_CANARY)
    options = ProbeOptions(env=ENV, timeout=3, only=("app.ssrf",), ssrf_canary=canary)
    hits = ssrf_canary.hits
    [hardened] = run_app_probes(site(hardened_url), options)
    assert hardened.status is Status.PASS, hardened.summary
    assert {c["status"] for c in hardened.evidence["cases"]} == {422}
    assert ssrf_canary.hits == hits
    [vulnerable] = run_app_probes(site(vulnerable_url), options)
    assert vulnerable.status is Status.FAIL and vulnerable.fix
    assert ssrf_canary.hits > hits  # the app fetched it; the probe never connects there itself
    assert "the SSRF canary" in json.dumps(vulnerable.evidence)
    assert_no_canary([hardened, vulnerable])

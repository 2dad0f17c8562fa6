"""The bounded client's safety rules, against a real server on loopback."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from launchready.probes.http import BudgetExhausted, ProbeClient, UnsafeRequest
from tests.apps.common import TOKEN_A, serve

pytestmark = pytest.mark.integration
HITS: list[str] = []


async def hit(request: Request) -> Response:
    HITS.append(f"{request.method} {request.url.path}")
    return PlainTextResponse("ok")


async def away(request: Request) -> Response:
    return RedirectResponse("http://evil.attacker.test/steal", status_code=302)


async def home(request: Request) -> Response:
    return RedirectResponse("/ok", status_code=301)


async def slow(request: Request) -> Response:
    await asyncio.sleep(1.5)
    return PlainTextResponse("late")


async def big(request: Request) -> Response:
    return PlainTextResponse("x" * 50_000)


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    routes = [
        Route("/ok", hit, methods=["GET", "POST", "OPTIONS"]),
        Route("/away", away),
        Route("/home", home),
        Route("/slow", slow),
        Route("/big", big),
    ]
    with serve(Starlette(routes=routes)) as base:
        yield base


def test_redirects_are_followed_only_on_the_target_host(url: str) -> None:
    client = ProbeClient(url, timeout=2)
    assert client.request("t", "GET", "/home", follow=True).status == 200
    away = client.request("t", "GET", "/away", follow=True)
    assert away.status == 302 and client.sent == 3  # /home, /ok, /away: never the attacker host


def test_urls_off_the_target_are_not_fetched(url: str) -> None:
    client = ProbeClient(url, timeout=2)
    ex = client.request("t", "GET", "https://cdn.thirdparty.test/x.js")
    assert not ex.answered and "outside the target" in ex.error and client.sent == 0


def test_every_request_has_a_timeout(url: str) -> None:
    client = ProbeClient(url, timeout=0.3)
    started = time.monotonic()
    ex = client.request("t", "GET", "/slow")
    assert not ex.answered and "Timeout" in ex.error
    assert time.monotonic() - started < 1.2


def test_bodies_are_capped(url: str) -> None:
    ex = ProbeClient(url, timeout=2, max_body=1000).request("t", "GET", "/big")
    assert ex.truncated and len(ex.body) == 1000


def test_writes_only_where_the_spec_lists_them(url: str) -> None:
    client = ProbeClient(url, timeout=2, writable=[("POST", "/ok")])
    assert client.request("t", "POST", "/ok", json={"a": 1}).status == 200
    with pytest.raises(UnsafeRequest):
        client.request("t", "DELETE", "/ok")
    with pytest.raises(UnsafeRequest):
        client.request("t", "POST", "/other")


def test_budget_is_enforced(url: str) -> None:
    client = ProbeClient(url, timeout=2, budget=2)
    client.request("t", "GET", "/ok")
    client.request("t", "OPTIONS", "/ok")
    with pytest.raises(BudgetExhausted):
        client.request("t", "GET", "/ok")


def test_dry_run_records_redacted_requests_and_sends_nothing(url: str) -> None:
    before = len(HITS)
    client = ProbeClient(url, timeout=2, dry_run=True, writable=[("POST", "/ok")])
    ex = client.request(
        "t", "POST", "/ok", headers={"Authorization": f"Bearer {TOKEN_A}", "Origin": "null"}, json={}
    )
    assert ex.status == 0 and len(HITS) == before
    record = client.records[0].to_dict()
    assert record["headers"]["Origin"] == "null"
    assert TOKEN_A not in str(record) and "redacted" in record["headers"]["Authorization"]


def test_base_url_must_be_http() -> None:
    with pytest.raises(ValueError, match="http"):
        ProbeClient("ftp://example.com")

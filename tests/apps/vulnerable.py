"""A deliberately vulnerable chatbot API: every mistake the app probes look for, once.

No auth on admin/history routes; tokens decoded without verification (alg none, expired and
wrong-key JWTs pass); BOLA on path, query and body ids; BFLA; any Origin reflected with
credentials; no rate limits; webhooks unverified or verified without timestamp/replay
checks; no input validation (500 with a stack trace on bad JSON); the system prompt (with
its canary) leaks on injection; a fetch tool open to SSRF (it only ever reaches loopback);
a bundle with secrets and a public source map.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import ipaddress
import json
import socket
import traceback
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from tests.apps.common import (
    AWS_KEY,
    CONVERSATIONS,
    GITHUB_SECRET,
    OPENAI_KEY,
    SERVICE_ROLE_JWT,
    SK_LIVE,
    SK_TEST,
    SLACK_SECRET,
    STANDARD_SECRET,
    SYSTEM_PROMPT,
    jwt_parts,
)

INDEX = """<!doctype html><html><head><title>Chat</title>
<link rel="stylesheet" href="/static/app.css">
<script src="/static/app.js"></script>
<script src="https://cdn.thirdparty.test/widget.js"></script>
</head><body><div id="root"></div></body></html>"""

BUNDLE = f"""(function(){{var config={{stripeKey:"{SK_LIVE}",stripeTestKey:"{SK_TEST}"}};
window.app=config;}})();
//# sourceMappingURL=app.js.map
"""
SOURCE_MAP = json.dumps(
    {
        "version": 3,
        "file": "app.js",
        "sources": ["src/config.ts", "src/aws.ts"],
        "sourcesContent": [
            f'export const OPENAI_API_KEY = "{OPENAI_KEY}";\n'
            f'export const SUPABASE_KEY = "{SERVICE_ROLE_JWT}";\n',
            f'export const AWS_ACCESS_KEY_ID = "{AWS_KEY}";\n',
        ],
        "names": [],
        "mappings": "AAAA",
    }
)


def _claims(request: Request) -> dict[str, Any] | None:
    """Decodes the bearer JWT and trusts it: no signature, algorithm or expiry check."""
    header = request.headers.get("authorization", "")
    parts = jwt_parts(header.removeprefix("Bearer ").strip())
    return parts[1] if parts else None


async def index(request: Request) -> Response:
    return HTMLResponse(INDEX)


async def bundle(request: Request) -> Response:
    return Response(BUNDLE, media_type="application/javascript")


async def source_map(request: Request) -> Response:
    return Response(SOURCE_MAP, media_type="application/json")


async def stylesheet(request: Request) -> Response:
    return Response("body{margin:0}", media_type="text/css")


async def admin_users(request: Request) -> Response:
    return JSONResponse({"users": ["alice", "bob", "root"]})


async def history(request: Request) -> Response:
    return JSONResponse({"conversations": CONVERSATIONS})


async def billing(request: Request) -> Response:
    if _claims(request) is None:
        return JSONResponse({"error": "login required"}, status_code=401)
    return JSONResponse({"plan": "pro", "card_last4": "4242"})


def _conversation(request: Request, conv_id: str | None) -> Response:
    if _claims(request) is None:
        return JSONResponse({"error": "login required"}, status_code=401)
    conv = CONVERSATIONS.get(conv_id or "")
    if conv is None:
        return JSONResponse({"error": "not found"}, status_code=404)
    return JSONResponse({"id": conv_id, **conv})  # no owner check: BOLA


async def conversation(request: Request) -> Response:
    return _conversation(request, request.path_params["conv_id"])


async def messages(request: Request) -> Response:
    return _conversation(request, request.query_params.get("conversation_id"))


async def export(request: Request) -> Response:
    body = json.loads(await request.body())
    return _conversation(request, body.get("conversation_id"))


async def login(request: Request) -> Response:
    return JSONResponse({"error": "invalid credentials"}, status_code=401)


async def chat(request: Request) -> Response:
    try:
        payload = json.loads(await request.body())
        message = payload["message"]
        if any(word in message.lower() for word in ("ignore", "instructions", "system", "above")):
            return JSONResponse({"reply": f"Sure. My instructions: {SYSTEM_PROMPT}"})
        return JSONResponse({"reply": f"You said: {message}", "echo": payload})
    except Exception:
        return PlainTextResponse(traceback.format_exc(), status_code=500)


async def tool(request: Request) -> Response:
    try:
        payload = json.loads(await request.body())
        return JSONResponse({"result": f"found {payload['query'].upper()}", "tool": payload.get("tool")})
    except Exception:
        return PlainTextResponse(traceback.format_exc(), status_code=500)


def _loopback(host: str) -> bool:
    """Loopback in any spelling urllib would dial: 127.0.0.1, ::1, 0x7f000001, 2130706433, localhost."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        return ipaddress.ip_address(socket.inet_aton(host)).is_loopback
    except OSError:
        return False


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect must not carry the fetch off loopback


# No proxies from the environment either: a proxy would take the fetch off this machine.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


def _fetch(url: str) -> str:
    with _OPENER.open(url, timeout=2) as resp:
        return str(resp.read(65536).decode("utf-8", "replace"))


async def fetch_tool(request: Request) -> Response:
    """SSRF: fetches whatever URL it is given (file:// too) and returns the content."""
    try:
        payload = json.loads(await request.body())
        url = payload["url"]
        parts = urlsplit(url)
        if parts.scheme not in ("file", "") and not _loopback(parts.hostname or ""):
            # A test-safety net, not a defence: this app must never reach beyond the machine.
            return PlainTextResponse("fetch failed: network unreachable", status_code=502)
        content = await asyncio.to_thread(_fetch, url)
        return JSONResponse({"tool": payload.get("tool"), "content": content})
    except Exception:
        return PlainTextResponse(traceback.format_exc(), status_code=500)


async def stripe_hook(request: Request) -> Response:
    await request.body()
    return JSONResponse({"received": True})  # never verified


async def github_hook(request: Request) -> Response:
    body = await request.body()
    expected = "sha256=" + hmac.new(GITHUB_SECRET.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, request.headers.get("x-hub-signature-256", "")):
        return JSONResponse({"error": "bad signature"}, status_code=401)
    return JSONResponse({"received": True})  # no delivery-id dedupe: replays pass


async def slack_hook(request: Request) -> Response:
    body = await request.body()
    ts = request.headers.get("x-slack-request-timestamp", "")
    expected = (
        "v0=" + hmac.new(SLACK_SECRET.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    )
    if not hmac.compare_digest(expected, request.headers.get("x-slack-signature", "")):
        return JSONResponse({"error": "bad signature"}, status_code=401)
    return JSONResponse({"ok": True})  # timestamp never compared with now


async def standard_hook(request: Request) -> Response:
    body = await request.body()
    key = base64.b64decode(STANDARD_SECRET.removeprefix("whsec_"))
    msg_id, ts = request.headers.get("webhook-id", ""), request.headers.get("webhook-timestamp", "")
    mac = hmac.new(key, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()
    sent = [s.removeprefix("v1,") for s in request.headers.get("webhook-signature", "").split()]
    if base64.b64encode(mac).decode() not in sent:
        return JSONResponse({"error": "bad signature"}, status_code=401)
    return JSONResponse({"ok": True})  # no timestamp window, no id dedupe


async def svix_hook(request: Request) -> Response:
    return JSONResponse({"ok": True})


async def generic_hook(request: Request) -> Response:
    if "x-signature" not in request.headers:
        return JSONResponse({"error": "unsigned"}, status_code=401)
    return JSONResponse({"ok": True})  # any value is accepted


class ReflectAnyOrigin:
    """CORS done wrong: echo whatever Origin arrives, with credentials, on every answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        origin = dict(scope["headers"]).get(b"origin")
        if scope["method"] == "OPTIONS" and origin:
            headers = [
                (b"access-control-allow-origin", origin),
                (b"access-control-allow-credentials", b"true"),
                (b"access-control-allow-methods", b"GET, POST, PUT, DELETE"),
                (b"access-control-allow-headers", b"authorization, content-type"),
            ]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return

        async def add_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start" and origin:
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (b"access-control-allow-origin", origin),
                    (b"access-control-allow-credentials", b"true"),
                ]
            await send(message)

        await self.app(scope, receive, add_headers)


def create_app() -> ASGIApp:
    routes = [
        Route("/", index),
        Route("/static/app.js", bundle),
        Route("/static/app.js.map", source_map),
        Route("/static/app.css", stylesheet),
        Route("/api/admin/users", admin_users),
        Route("/api/conversations", history),
        Route("/api/conversations/{conv_id}", conversation),
        Route("/api/messages", messages),
        Route("/api/export", export, methods=["POST"]),
        Route("/api/billing", billing),
        Route("/api/auth/login", login, methods=["POST"]),
        Route("/api/chat", chat, methods=["POST"]),
        Route("/api/tools/lookup", tool, methods=["POST"]),
        Route("/api/tools/fetch", fetch_tool, methods=["POST"]),
        Route("/webhooks/stripe", stripe_hook, methods=["POST"]),
        Route("/webhooks/github", github_hook, methods=["POST"]),
        Route("/webhooks/slack", slack_hook, methods=["POST"]),
        Route("/webhooks/standard", standard_hook, methods=["POST"]),
        Route("/webhooks/svix", svix_hook, methods=["POST"]),
        Route("/webhooks/generic", generic_hook, methods=["POST"]),
    ]
    return ReflectAnyOrigin(Starlette(routes=routes))

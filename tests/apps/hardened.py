"""The same chatbot API, hardened: what every app probe should pass.

HS256 JWTs verified with a pinned algorithm and expiry; owner checks on every object route;
403 for non-admins; exact CORS allowlist with Vary: Origin; per-IP login and per-identity
chat limits answering 429 with Retry-After; webhooks verified with the providers' official
libraries plus id dedupe; strict schemas (4xx, no stack traces); a fetch tool limited to
https on an allowlisted host; a model stub that never repeats its system prompt; a bundle
with only publishable keys and no source map.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from collections import defaultdict, deque
from typing import Any
from urllib.parse import urlsplit

import stripe
from slack_sdk.signature import SignatureVerifier
from standardwebhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tests.apps.common import (
    ALLOWED_ORIGIN,
    ANON_JWT,
    CHAT_LIMIT,
    CONVERSATIONS,
    GENERIC_SECRET,
    GITHUB_SECRET,
    JWT_KEY,
    LOGIN_LIMIT,
    MAX_MESSAGE,
    PUBLISHABLE,
    SLACK_SECRET,
    STANDARD_SECRET,
    STRIPE_SECRET,
    SVIX_SECRET,
    WINDOW,
    jwt_parts,
)

INDEX = """<!doctype html><html><head><title>Chat</title>
<link rel="stylesheet" href="/static/app.css">
<script src="/static/app.js"></script>
</head><body><div id="root"></div></body></html>"""
FETCH_HOSTS = frozenset({"docs.example.test"})
"""The only hosts the fetch tool may read: https, this allowlist, nothing else (no SSRF)."""
MARKUP = re.compile(r"<\s*[A-Za-z/!]")
BUNDLE = f"""(function(){{window.app={{
stripePublishableKey:"{PUBLISHABLE}",supabaseAnonKey:"{ANON_JWT}"}};}})();
"""


def claims_of(request: Request) -> dict[str, Any] | None:
    """Verified claims: HS256 only, signature checked in constant time, not expired."""
    header = request.headers.get("authorization", "")
    if not header.startswith("Bearer "):
        return None
    parts = jwt_parts(header.removeprefix("Bearer ").strip())
    if parts is None:
        return None
    head, claims, signing_input, signature = parts
    if head.get("alg") != "HS256":
        return None
    expected = (
        base64.urlsafe_b64encode(hmac.new(JWT_KEY, signing_input.encode(), hashlib.sha256).digest())
        .rstrip(b"=")
        .decode()
    )
    if not hmac.compare_digest(expected, signature):
        return None
    if not isinstance(claims.get("exp"), int) or claims["exp"] < time.time():
        return None
    return claims


def refuse(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


class Limiter:
    """Sliding window: at most ``limit`` hits per key per ``window`` seconds."""

    def __init__(self, limit: int, window: int) -> None:
        self.limit, self.window = limit, window
        self.hits: dict[str, deque[float]] = defaultdict(deque)

    def check(self, key: str) -> Response | None:
        now = time.monotonic()
        hits = self.hits[key]
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            retry = int(hits[0] + self.window - now) + 1
            return refuse(
                429,
                "too many requests",
                {
                    "Retry-After": str(retry),
                    "RateLimit-Policy": f"{self.limit};w={self.window}",
                    "RateLimit": f"limit={self.limit}, remaining=0, reset={retry}",
                },
            )
        hits.append(now)
        return None


class Dedupe:
    def __init__(self) -> None:
        self.seen: set[str] = set()

    def first(self, key: str) -> bool:
        if key in self.seen:
            return False
        self.seen.add(key)
        return True


def create_app(*, login_limit: int = LOGIN_LIMIT, chat_limit: int = CHAT_LIMIT) -> ASGIApp:
    login_limiter = Limiter(login_limit, WINDOW)
    chat_limiter = Limiter(chat_limit, WINDOW)
    seen = Dedupe()

    async def index(request: Request) -> Response:
        return HTMLResponse(INDEX)

    async def bundle(request: Request) -> Response:
        return Response(BUNDLE, media_type="application/javascript")

    async def stylesheet(request: Request) -> Response:
        return Response("body{margin:0}", media_type="text/css")

    def authed(request: Request) -> dict[str, Any] | Response:
        claims = claims_of(request)
        return refuse(401, "login required") if claims is None else claims

    async def admin_users(request: Request) -> Response:
        claims = authed(request)
        if isinstance(claims, Response):
            return claims
        if claims.get("role") != "admin":
            return refuse(403, "admins only")
        return JSONResponse({"users": ["alice", "bob", "root"]})

    async def history(request: Request) -> Response:
        claims = authed(request)
        if isinstance(claims, Response):
            return claims
        own = {k: v for k, v in CONVERSATIONS.items() if v["owner"] == claims["sub"]}
        return JSONResponse({"conversations": own})

    async def billing(request: Request) -> Response:
        claims = authed(request)
        if isinstance(claims, Response):
            return claims
        return JSONResponse({"plan": "pro"})

    def owned(request: Request, conv_id: Any) -> Response:
        claims = authed(request)
        if isinstance(claims, Response):
            return claims
        conv = CONVERSATIONS.get(conv_id) if isinstance(conv_id, str) else None
        if conv is None or conv["owner"] != claims["sub"]:
            return refuse(404, "not found")
        return JSONResponse({"id": conv_id, **conv})

    async def conversation(request: Request) -> Response:
        return owned(request, request.path_params["conv_id"])

    async def messages(request: Request) -> Response:
        return owned(request, request.query_params.get("conversation_id"))

    async def export(request: Request) -> Response:
        payload = await json_object(request)
        if isinstance(payload, Response):
            return payload
        return owned(request, payload.get("conversation_id"))

    async def login(request: Request) -> Response:
        host = request.client.host if request.client else "unknown"
        if limited := login_limiter.check(host):
            return limited
        return refuse(401, "invalid credentials")

    async def json_object(request: Request) -> dict[str, Any] | Response:
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return refuse(415, "JSON only")
        try:
            payload = json.loads(await request.body())
        except ValueError:
            return refuse(400, "malformed JSON")
        return payload if isinstance(payload, dict) else refuse(422, "expected a JSON object")

    def validate(payload: dict[str, Any], schema: dict[str, tuple[type, int]]) -> Response | None:
        if extra := set(payload) - set(schema):
            return refuse(422, f"unexpected fields: {', '.join(sorted(extra))}")
        for name, (kind, max_len) in schema.items():
            value = payload.get(name)
            if not isinstance(value, kind):
                return refuse(422, f"{name} is required and must be a {kind.__name__}")
            if isinstance(value, str) and not 0 < len(value) <= max_len:
                return refuse(413 if len(value) > max_len else 422, f"{name} must be 1..{max_len} characters")
            if isinstance(value, str) and MARKUP.search(value):
                return refuse(422, f"{name} must not contain markup")
        return None

    async def chat(request: Request) -> Response:
        claims = authed(request)
        if isinstance(claims, Response):
            return claims
        if limited := chat_limiter.check(str(claims["sub"])):
            return limited
        payload = await json_object(request)
        if isinstance(payload, Response):
            return payload
        if problem := validate(payload, {"message": (str, MAX_MESSAGE), "conversation_id": (str, 64)}):
            return problem
        return JSONResponse({"reply": "I can help with questions about your account."})

    async def tool(request: Request) -> Response:
        claims = authed(request)
        if isinstance(claims, Response):
            return claims
        payload = await json_object(request)
        if isinstance(payload, Response):
            return payload
        if problem := validate(payload, {"tool": (str, 32), "query": (str, 200)}):
            return problem
        if payload["tool"] != "crm_lookup":
            return refuse(422, "unknown tool")
        return JSONResponse({"result": "1 customer found"})

    async def fetch_tool(request: Request) -> Response:
        claims = authed(request)
        if isinstance(claims, Response):
            return claims
        payload = await json_object(request)
        if isinstance(payload, Response):
            return payload
        if problem := validate(payload, {"tool": (str, 32), "url": (str, 512)}):
            return problem
        parts = urlsplit(payload["url"])
        allowed = parts.scheme == "https" and parts.hostname in FETCH_HOSTS and parts.port in (None, 443)
        if not allowed or parts.username or parts.password or " " in payload["url"]:
            return refuse(422, "url must be https on an allowed host")
        # The allowlisted host is fictional: the test app answers as if it had fetched the page,
        # so it never touches the network.
        return JSONResponse({"result": "1 page fetched"})

    async def stripe_hook(request: Request) -> Response:
        body = await request.body()
        try:
            event = stripe.Webhook.construct_event(
                body, request.headers.get("stripe-signature", ""), STRIPE_SECRET
            )
        except (ValueError, stripe.SignatureVerificationError):
            return refuse(400, "bad signature")
        return JSONResponse({"ok": True}) if seen.first("stripe:" + event["id"]) else refuse(409, "duplicate")

    async def github_hook(request: Request) -> Response:
        body = await request.body()
        expected = "sha256=" + hmac.new(GITHUB_SECRET.encode(), body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, request.headers.get("x-hub-signature-256", "")):
            return refuse(401, "bad signature")
        delivery = request.headers.get("x-github-delivery", "")
        return (
            JSONResponse({"ok": True})
            if delivery and seen.first("gh:" + delivery)
            else refuse(409, "duplicate")
        )

    async def slack_hook(request: Request) -> Response:
        body = await request.body()
        if not SignatureVerifier(SLACK_SECRET).is_valid_request(body, dict(request.headers)):
            return refuse(401, "bad signature")
        event_id = str(json.loads(body).get("event_id", ""))
        return (
            JSONResponse({"ok": True})
            if event_id and seen.first("slack:" + event_id)
            else refuse(409, "duplicate")
        )

    def standard(secret: str, prefix: str) -> Any:
        async def hook(request: Request) -> Response:
            body = await request.body()
            headers = {k.replace(f"{prefix}-", "webhook-", 1): v for k, v in request.headers.items()}
            try:
                Webhook(secret).verify(body, headers)
            except WebhookVerificationError:
                return refuse(401, "bad signature")
            return (
                JSONResponse({"ok": True})
                if seen.first(prefix + headers["webhook-id"])
                else refuse(409, "dup")
            )

        return hook

    async def generic_hook(request: Request) -> Response:
        body = await request.body()
        expected = hmac.new(GENERIC_SECRET.encode(), body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, request.headers.get("x-signature", "")):
            return refuse(401, "bad signature")
        event_id = str(json.loads(body).get("id", ""))
        return (
            JSONResponse({"ok": True})
            if event_id and seen.first("gen:" + event_id)
            else refuse(409, "duplicate")
        )

    routes = [
        Route("/", index),
        Route("/static/app.js", bundle),
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
        Route("/webhooks/standard", standard(STANDARD_SECRET, "webhook"), methods=["POST"]),
        Route("/webhooks/svix", standard(SVIX_SECRET, "svix"), methods=["POST"]),
        Route("/webhooks/generic", generic_hook, methods=["POST"]),
    ]
    return ExactCors(Starlette(routes=routes), allowed={ALLOWED_ORIGIN})


class ExactCors:
    """CORS from an exact allowlist: echo only listed origins, always with Vary: Origin."""

    def __init__(self, app: ASGIApp, allowed: set[str]) -> None:
        self.app, self.allowed = app, allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        origin = dict(scope["headers"]).get(b"origin", b"").decode("latin-1")
        trusted = origin in self.allowed
        cors = [(b"vary", b"Origin")]
        if trusted:
            cors += [
                (b"access-control-allow-origin", origin.encode()),
                (b"access-control-allow-credentials", b"true"),
            ]
        if scope["method"] == "OPTIONS" and origin:
            if trusted:
                cors += [
                    (b"access-control-allow-methods", b"GET, POST"),
                    (b"access-control-allow-headers", b"authorization, content-type"),
                    (b"access-control-max-age", b"600"),
                ]
            await send({"type": "http.response.start", "status": 204 if trusted else 403, "headers": cors})
            await send({"type": "http.response.body", "body": b""})
            return

        async def add(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *cors]
            await send(message)

        await self.app(scope, receive, add)

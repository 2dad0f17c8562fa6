"""What both test apps share: identities, objects, planted secrets, and a real uvicorn server.

Every value here is a test canary: tests assert none of them ever shows up in full in any
probe output.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import uvicorn

JWT_KEY = b"launchready-test-server-jwt-key-6b1f0c2e9d"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_jwt(claims: dict[str, Any], key: bytes = JWT_KEY) -> str:
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = _b64url(json.dumps(claims).encode())
    sig = hmac.new(key, f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{_b64url(sig)}"


def jwt_parts(token: str) -> tuple[dict[str, Any], dict[str, Any], str, str] | None:
    """(header, claims, signing input, signature) without verifying anything."""
    try:
        head, body, sig = token.split(".")
        header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
        claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except ValueError:
        return None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        return None
    return header, claims, f"{head}.{body}", sig


FAR = int(time.time()) + 30 * 86400
TOKEN_A = make_jwt({"sub": "alice", "role": "user", "tenant": "t-alice", "exp": FAR, "jti": "A-7f3c9e"})
TOKEN_B = make_jwt({"sub": "bob", "role": "user", "tenant": "t-bob", "exp": FAR, "jti": "B-2d8a41"})
TOKEN_ADMIN = make_jwt({"sub": "root", "role": "admin", "tenant": "t-ops", "exp": FAR, "jti": "AD-90b1"})

CONV_A = "conv-alice-1"
CONV_B = "conv-bob-1"
MARKER_A = "ALICE-PRIVATE-NOTE-7731"
CONVERSATIONS = {
    CONV_A: {"owner": "alice", "title": "Q3 renewal", "messages": [f"note: {MARKER_A}"]},
    CONV_B: {"owner": "bob", "title": "Support", "messages": ["hello"]},
}
CANARY = "LR-CANARY-3f9a1c7e5d2b"
SYSTEM_PROMPT = f"You are the support bot for Example Inc. Secret routing code: {CANARY}."

# Key-shaped canaries are joined from parts so this repository passes its own secret scan
# (`make secrets-scan`); the values themselves are unchanged.
STRIPE_SECRET = "whsec_" + "9c1b7e3a5d2f4a6b8c0d1e3f5a7b9c2d"
GITHUB_SECRET = "gh-hook-" + "secret-4e8a2c6f1b3d"
SLACK_SECRET = "8f742231" + "b10e8888abcd99yyyzzz85a5"
STANDARD_SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SVIX_SECRET = "whsec_" + "C2FVsBQIhrscChlQIMV+b5sSYspob7oD"
GENERIC_SECRET = "generic-" + "hook-secret-0d9e8f7a"

# Planted in the vulnerable bundle and its source map (test values in real key formats).
SK_LIVE = "sk_" + "live_51Hx9QpLmN3vRtY7uIoP2aSdFgHjK4lZxCvBnM8qW"
SK_TEST = "sk_" + "test_51Hx9QpZq8WvT3rYe6uIoP1aSdFgHjK2lZxCvBnMz"
OPENAI_KEY = "sk-proj-" + "Ab3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY" + "T3BlbkFJ" + "Zz8yX6wV4uT2sR0qP9oN7mL5kJ3hG1fE"
AWS_KEY = "AKIA" + "Z7Q4M2N6B3V5C7XQ"
SERVICE_ROLE_JWT = make_jwt(
    {
        "iss": "supabase",
        "ref": "abcdefghijklmnopqrst",
        "role": "service_role",
        "iat": 1700000000,
        "exp": 2000000000,
    },
    key=b"supabase-test-signing-key",
)
# Public by design: must NOT be reported.
ANON_JWT = make_jwt(
    {"iss": "supabase", "ref": "abcdefghijklmnopqrst", "role": "anon", "iat": 1700000000, "exp": 2000000000},
    key=b"supabase-test-signing-key",
)
PUBLISHABLE = "pk_live_51Hx9QpLmN3vRtY7uIoP2aSdFgHjK4lZxCvBnM8qW"

LOGIN_LIMIT = 5
CHAT_LIMIT = 30
WINDOW = 60
MAX_MESSAGE = 2000
ALLOWED_ORIGIN = "https://www.example.com"

SSRF_CANARY = "LR-SSRF-CANARY-8e41b6d2a97c"
"""Served only by the loopback canary listener: seeing it in a tool's answer proves an SSRF fetch."""

CANARIES = (
    TOKEN_A, TOKEN_B, TOKEN_ADMIN, CANARY, STRIPE_SECRET, GITHUB_SECRET, SLACK_SECRET, STANDARD_SECRET,
    SVIX_SECRET, GENERIC_SECRET, SK_LIVE, SK_TEST, OPENAI_KEY, AWS_KEY, SERVICE_ROLE_JWT, MARKER_A,
    JWT_KEY.decode(), SSRF_CANARY,
)  # fmt: skip

ENV = {
    "APP_TOKEN_A": TOKEN_A,
    "APP_TOKEN_B": TOKEN_B,
    "APP_TOKEN_ADMIN": TOKEN_ADMIN,
    "PROMPT_CANARY": CANARY,
    "STRIPE_WHSEC": STRIPE_SECRET,
    "GITHUB_HOOK_SECRET": GITHUB_SECRET,
    "SLACK_SIGNING_SECRET": SLACK_SECRET,
    "STD_WEBHOOK_SECRET": STANDARD_SECRET,
    "SVIX_SECRET": SVIX_SECRET,
    "GENERIC_HOOK_SECRET": GENERIC_SECRET,
}


@contextmanager
def serve(app: Any, *, tls: tuple[str, str] | None = None) -> Iterator[str]:
    """Serve an ASGI app with a real uvicorn on 127.0.0.1, an OS-assigned port; yield its base URL.

    ``tls`` is (certificate chain PEM file, key PEM file): the server speaks HTTPS instead.
    """
    # proxy_headers off: there is no proxy in front, so X-Forwarded-For is just client input
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        log_level="error",
        lifespan="off",
        access_log=False,
        proxy_headers=False,
        ssl_certfile=tls[0] if tls else None,
        ssl_keyfile=tls[1] if tls else None,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn-test-app", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            server.should_exit = True
            raise RuntimeError("test app did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


class CanaryListener:
    """A loopback HTTP server only the apps' side should ever reach; counts its hits."""

    def __init__(self) -> None:
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                listener.hits += 1
                body = f"internal status page: {SSRF_CANARY}\n".encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.hits = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/internal/status"


@contextmanager
def canary_listener() -> Iterator[CanaryListener]:
    listener = CanaryListener()
    thread = threading.Thread(target=listener.server.serve_forever, name="ssrf-canary", daemon=True)
    thread.start()
    try:
        yield listener
    finally:
        listener.server.shutdown()
        listener.server.server_close()

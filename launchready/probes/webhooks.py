"""Webhook signatures: forged, stale, tampered and replayed events must be refused.

The signers below implement each provider's documented scheme with hmac/hashlib (tests
check them against the official verifiers: stripe, slack-sdk, standardwebhooks). Without the
staging signing secret only the cases a forger could send are run (no, garbage and wrong-key
signatures); with it, also a valid event (must be accepted), its replay, a tampered body, and
stale / future timestamps where the scheme carries one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from launchready.probes.context import MAX_CASES, ProbeContext, kind_of
from launchready.spec.app import Webhook
from launchready.verify.model import CheckResult, Status
from launchready.verify.results import result

PROBE = "webhooks"
SKEW = 360
"""Seconds off now for the stale/future cases: past every scheme's 300 s tolerance."""
TIMESTAMPED = frozenset({"stripe", "slack", "standard_webhooks", "svix"})
REJECTS_FUTURE = frozenset({"slack", "standard_webhooks", "svix"})
"""Stripe's library only refuses timestamps that are too old, so no future case for it."""


@dataclass(frozen=True, slots=True)
class Signed:
    headers: dict[str, str]
    signature_header: str
    """The header carrying the MAC: dropped for the 'missing' case, garbled for 'garbage'."""


def _mac(key: bytes, message: bytes, algorithm: str = "sha256") -> bytes:
    return hmac.new(key, message, getattr(hashlib, algorithm)).digest()


def sign_stripe(secret: str, body: bytes, timestamp: int) -> Signed:
    digest = _mac(secret.encode(), f"{timestamp}.".encode() + body).hex()
    return Signed({"Stripe-Signature": f"t={timestamp},v1={digest}"}, "Stripe-Signature")


def sign_github(secret: str, body: bytes, delivery: str) -> Signed:
    digest = _mac(secret.encode(), body).hex()
    headers = {
        "X-Hub-Signature-256": f"sha256={digest}",
        "X-GitHub-Delivery": delivery,
        "X-GitHub-Event": "ping",
    }
    return Signed(headers, "X-Hub-Signature-256")


def sign_slack(secret: str, body: bytes, timestamp: int) -> Signed:
    digest = _mac(secret.encode(), f"v0:{timestamp}:".encode() + body).hex()
    headers = {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": f"v0={digest}"}
    return Signed(headers, "X-Slack-Signature")


def standard_webhooks_key(secret: str) -> bytes:
    """``whsec_`` + base64 → the raw HMAC key (the prefix is optional, as in the libraries)."""
    return base64.b64decode(secret.removeprefix("whsec_"))


def sign_standard(secret: str, body: bytes, msg_id: str, timestamp: int, prefix: str = "webhook") -> Signed:
    mac = _mac(standard_webhooks_key(secret), f"{msg_id}.{timestamp}.".encode() + body)
    headers = {
        f"{prefix}-id": msg_id,
        f"{prefix}-timestamp": str(timestamp),
        f"{prefix}-signature": "v1," + base64.b64encode(mac).decode(),
    }
    return Signed(headers, f"{prefix}-signature")


def sign_generic(secret: str, body: bytes, hook: Webhook) -> Signed:
    assert hook.header is not None  # the spec model requires it for generic_hmac
    mac = _mac(secret.encode(), body, hook.algorithm)
    digest = mac.hex() if hook.encoding == "hex" else base64.b64encode(mac).decode()
    return Signed({hook.header: hook.prefix + digest}, hook.header)


def sign(hook: Webhook, secret: str, body: bytes, msg_id: str, timestamp: int) -> Signed:
    """Headers a genuine sender would attach for this endpoint's scheme."""
    signers: dict[str, Callable[[], Signed]] = {
        "stripe": lambda: sign_stripe(secret, body, timestamp),
        "github": lambda: sign_github(secret, body, msg_id),
        "slack": lambda: sign_slack(secret, body, timestamp),
        "standard_webhooks": lambda: sign_standard(secret, body, msg_id, timestamp),
        "svix": lambda: sign_standard(secret, body, msg_id, timestamp, prefix="svix"),
        "generic_hmac": lambda: sign_generic(secret, body, hook),
    }
    return signers[hook.scheme]()


def random_secret(scheme: str) -> str:
    """A well-formed secret nobody configured: signatures made with it must be refused."""
    if scheme in ("standard_webhooks", "svix"):
        return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    if scheme == "stripe":
        return "whsec_" + secrets.token_hex(16)
    return secrets.token_hex(16)


def event_body(scheme: str, msg_id: str, timestamp: int) -> bytes:
    event: dict[str, Any] = {"id": msg_id, "type": "launchready.probe", "created": timestamp}
    if scheme == "stripe":
        event.update({"object": "event", "data": {"object": {"id": "launchready_probe"}}})
    if scheme == "slack":
        event.update({"event_id": msg_id, "event": {"type": "launchready_probe"}})
    return json.dumps(event, separators=(",", ":")).encode()


def _new_id(scheme: str) -> str:
    return ("evt_lr_" if scheme == "stripe" else "msg_lr_") + secrets.token_hex(12)


def _garble(signed: Signed, scheme: str) -> dict[str, str]:
    garbage = {
        "stripe": "t=0,v1=launchready-garbage",
        "github": "sha256=launchready-garbage",
        "slack": "v0=launchready-garbage",
        "standard_webhooks": "v1,bGF1bmNocmVhZHktZ2FyYmFnZQ==",
        "svix": "v1,bGF1bmNocmVhZHktZ2FyYmFnZQ==",
    }.get(scheme, "launchready-garbage")
    return {**signed.headers, signed.signature_header: garbage}


def _expect_refusal(status: int) -> str:
    if status == 0:
        return "no response"
    if 200 <= status < 300:
        return "accepted"
    if 400 <= status < 500:
        return "refused"
    return "crashed" if status >= 500 else "other"


def probe_endpoint(ctx: ProbeContext, hook: Webhook, now: int | None = None) -> dict[str, Any]:
    """Every case for one endpoint: {case: {status, verdict}} plus the failing case names."""
    now = int(time.time()) if now is None else now
    cases: dict[str, dict[str, Any]] = {}

    def post(case: str, headers: dict[str, str], body: bytes, want: str = "refused") -> int:
        ex = ctx.client.request(
            PROBE, "POST", hook.path, headers={"Content-Type": "application/json", **headers}, data=body
        )
        verdict = _expect_refusal(ex.status) if want == "refused" else kind_of(ex)
        ok = verdict == want
        cases[case] = {"status": ex.status, "verdict": verdict, "ok": ok}
        if ex.error:
            cases[case]["error"] = ex.error
        return ex.status

    def fresh(secret: str, timestamp: int = now) -> tuple[bytes, Signed]:
        msg_id = _new_id(hook.scheme)
        body = event_body(hook.scheme, msg_id, timestamp)
        return body, sign(hook, secret, body, msg_id, timestamp)

    forger_secret = random_secret(hook.scheme)
    body, signed = fresh(forger_secret)
    missing = {k: v for k, v in signed.headers.items() if k != signed.signature_header}
    post("missing signature", missing, body)
    post("garbage signature", _garble(signed, hook.scheme), body)
    post("signed with a wrong secret", signed.headers, body)

    secret = ctx.env.get(hook.secret_env, "") if hook.secret_env else ""
    if secret:
        body, signed = fresh(secret)
        post("valid event", signed.headers, body, want="accepted")
        post("replay of the valid event", signed.headers, body)
        body, signed = fresh(secret)
        post("tampered body", signed.headers, body.replace(b"launchready.probe", b"launchready.tampered"))
        if hook.scheme in TIMESTAMPED:
            body, signed = fresh(secret, now - SKEW)
            post(f"stale timestamp (now-{SKEW}s)", signed.headers, body)
        if hook.scheme in REJECTS_FUTURE:
            body, signed = fresh(secret, now + SKEW)
            post(f"future timestamp (now+{SKEW}s)", signed.headers, body)
    return {
        "endpoint": f"POST {hook.path}",
        "scheme": hook.scheme,
        "signing_secret": "from " + hook.secret_env if secret and hook.secret_env else "not set",
        "cases": cases,
        "failed": [
            name for name, case in cases.items() if not case["ok"] and case["verdict"] != "no response"
        ],
    }


_FIXES = {
    "missing signature": "verify the signature on every request and refuse requests without one",
    "garbage signature": "verify the signature on every request and refuse requests without one",
    "signed with a wrong secret": "verify with the endpoint's own signing secret (constant-time compare)",
    "tampered body": "verify the MAC over the raw request body, before parsing",
    "replay of the valid event": "remember processed event ids and refuse a second delivery",
    "valid event": "check the staging signing secret; a genuine event was refused",
}


def probe_webhooks(ctx: ProbeContext) -> CheckResult:
    hooks = ctx.app.webhooks
    if not hooks:
        return result("app.webhooks", Status.SKIPPED, "no webhooks in the spec")
    endpoints = [probe_endpoint(ctx, hook) for hook in hooks]
    failing = [e for e in endpoints if e["failed"]]
    answered = any(c["status"] for e in endpoints for c in e["cases"].values())
    without_secret = [e["endpoint"] for e in endpoints if e["signing_secret"] == "not set"]
    evidence: dict[str, Any] = {"endpoints": endpoints[:MAX_CASES]}
    if not answered:
        return result("app.webhooks", Status.ERROR, "no webhook endpoint answered", evidence)
    if failing:
        names = sorted({name for e in failing for name in e["failed"]})
        fixes = sorted(
            {_FIXES.get(n, "check the timestamp: refuse events older or newer than 5 minutes") for n in names}
        )
        return result(
            "app.webhooks",
            Status.FAIL,
            f"{len(failing)} of {len(endpoints)} webhook endpoint(s) mishandled: " + ", ".join(names),
            evidence,
            "Webhooks: " + "; ".join(fixes) + ".",
        )
    note = (
        f" (no signing secret for {', '.join(without_secret)}: stale/tamper/replay not run)"
        if without_secret
        else ""
    )
    return result(
        "app.webhooks",
        Status.PASS,
        f"{len(endpoints)} webhook endpoint(s) refused forged events{note}",
        evidence,
    )

"""Rate limits: a bounded burst must meet a 429, per IP (login) and per identity (chat send).

This is the only probe that sends load, so it runs only when asked (``--probe-rate-limits``).
Each burst is at most 2 x the spec's limit (never above the hard cap) and stops at the first
429. Per identity: A's burst must throttle A and must not throttle B (a limiter keyed only
on the IP throttles every user behind one office NAT together). Once login is throttled, one
more request with a spoofed ``X-Forwarded-For`` must still get 429.
"""

from __future__ import annotations

import re
import secrets
import time
from email.utils import parsedate_to_datetime
from typing import Any

from launchready.probes.context import ProbeContext, fill
from launchready.probes.http import Exchange
from launchready.spec.app import RateLimits, RateTarget
from launchready.verify.model import CheckResult, Status
from launchready.verify.results import result

PROBE = "rate_limit"
LIMIT_HEADERS = (
    "retry-after",
    "ratelimit",
    "ratelimit-policy",
    "ratelimit-limit",
    "ratelimit-remaining",
    "ratelimit-reset",
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait; lenient about ``"13s"``-style values some APIs send. None when unreadable."""
    if not value:
        return None
    text = value.strip().strip('"')
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*s?", text)
    if match:
        return float(match.group(1))
    try:  # the HTTP-date form (RFC 9110 §10.2.3)
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def burst(
    ctx: ProbeContext, target: RateTarget, size: int, token: str | None
) -> tuple[int | None, Exchange | None, int]:
    """Send up to ``size`` requests; (request number of the first 429, that answer, requests sent)."""
    sent = 0
    for n in range(1, size + 1):
        body = fill(target.body, "{n}", str(n)) if target.body is not None else None
        ex = ctx.client.request(PROBE, target.method, target.path, headers=ctx.auth(token), json=body)
        sent += 1
        if ex.status == 429:
            return n, ex, sent
        if not ex.answered and not ctx.client.dry_run:
            return None, ex, sent
    return None, None, sent


def _spoofed_ip_request(ctx: ProbeContext, target: RateTarget) -> int:
    """One more request claiming another client IP: a limiter keyed on a client-sent header
    is bypassed by rotating it (behind a proxy, trust only the header the proxy sets)."""
    fake = f"203.0.113.{secrets.randbelow(254) + 1}"  # TEST-NET-3: never a real client
    body = fill(target.body, "{n}", "spoofed") if target.body is not None else None
    headers = {"X-Forwarded-For": fake, "X-Real-IP": fake}
    return ctx.client.request(PROBE, target.method, target.path, headers=headers, json=body).status


def _headers_seen(ex: Exchange) -> dict[str, str]:
    return {name: str(ex.header(name)) for name in LIMIT_HEADERS if ex.header(name) is not None}


def _measure(ctx: ProbeContext, target: RateTarget, limits: RateLimits, token: str | None) -> dict[str, Any]:
    size = limits.burst_for(target)
    at, ex, sent = burst(ctx, target, size, token)
    out: dict[str, Any] = {
        "target": f"{target.method} {target.path}",
        "burst": size,
        "sent": sent,
        "expected_limit": limits.limit_for(target),
        "window_seconds": limits.window_seconds,
    }
    if at is None:
        out["throttled_at"] = None
        if ex is not None and not ex.answered:
            out["error"] = ex.error
        return out
    assert ex is not None
    headers = _headers_seen(ex)
    out["throttled_at"] = at
    out["headers"] = headers
    out["retry_after_seconds"] = parse_retry_after(headers.get("retry-after"))
    return out


def probe_rate_limits(ctx: ProbeContext, enabled: bool) -> CheckResult:
    limits = ctx.app.rate_limits
    if limits is None or (limits.login is None and limits.chat_send is None):
        return result("app.rate_limit", Status.SKIPPED, "no rate_limits (login / chat_send) in the spec")
    targets = [t for t in (limits.login, limits.chat_send) if t is not None]
    if not enabled:
        return result(
            "app.rate_limit",
            Status.SKIPPED,
            f"sends up to {max(limits.burst_for(t) for t in targets)} requests per target; "
            "run with --probe-rate-limits",
        )
    problems: list[str] = []
    notes: list[str] = []
    errors: list[str] = []
    evidence: dict[str, Any] = {}
    if limits.login is not None:
        login = _measure(ctx, limits.login, limits, None)
        evidence["login_per_ip"] = login
        _judge_one("login (per IP)", login, problems, notes, errors)
        if login.get("throttled_at") is not None:
            spoofed = _spoofed_ip_request(ctx, limits.login)
            login["spoofed_x_forwarded_for_status"] = spoofed
            if spoofed != 429:
                problems.append("login (per IP): a spoofed X-Forwarded-For got past the limit")
    if limits.chat_send is not None:
        token_a, token_b = ctx.token("a"), ctx.token("b")
        if token_a is None or token_b is None:
            evidence["chat_per_identity"] = {"error": "identity tokens not set"}
            errors.append(f"chat send not probed: set {ctx.env_name('a')} and {ctx.env_name('b')}")
        else:
            chat = _measure(ctx, limits.chat_send, limits, token_a)
            evidence["chat_per_identity"] = chat
            _judge_one("chat send (identity A)", chat, problems, notes, errors)
            if chat.get("throttled_at") is not None:
                body = fill(limits.chat_send.body, "{n}", "b") if limits.chat_send.body is not None else None
                other = ctx.client.request(
                    PROBE,
                    limits.chat_send.method,
                    limits.chat_send.path,
                    headers=ctx.auth(token_b),
                    json=body,
                )
                chat["b_after_a_throttled"] = other.status
                if other.status == 429:
                    problems.append(
                        "A's burst also throttled B: the chat limit is keyed on the IP, not the identity"
                    )
    fix = (
        "Limit login/reset per client IP (the address your proxy sets, e.g. CF-Connecting-IP, never a "
        "client-sent header) and chat send/tool calls per identity; answer 429 with Retry-After."
    )
    if problems:
        return result("app.rate_limit", Status.FAIL, "; ".join(problems + errors), evidence, fix)
    if errors:
        return result("app.rate_limit", Status.ERROR, "; ".join(errors + notes), evidence)
    if notes:
        return result("app.rate_limit", Status.WARN, "; ".join(notes), evidence, fix)
    where = ", ".join(
        f"{k.replace('_', ' ')} at request {v['throttled_at']}"
        for k, v in evidence.items()
        if v.get("throttled_at")
    )
    return result("app.rate_limit", Status.PASS, f"throttled with 429: {where}", evidence)


def _judge_one(
    label: str, measured: dict[str, Any], problems: list[str], notes: list[str], errors: list[str]
) -> None:
    if "error" in measured:
        errors.append(f"{label}: burst stopped, no answer ({measured['error']})")
        return
    at = measured.get("throttled_at")
    if at is None:
        problems.append(
            f"{label}: no 429 after {measured['sent']} requests (expected limit {measured['expected_limit']})"
        )
        return
    if not measured.get("headers"):
        notes.append(f"{label}: 429 at request {at} but no Retry-After / RateLimit / X-RateLimit headers")

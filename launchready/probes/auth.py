"""Broken authentication, object-level (BOLA) and function-level (BFLA) access.

OWASP API2/API1/API5: each sensitive route is called with no credentials and with forged
tokens (malformed, expired, ``alg: none``, signed with the wrong key); identity B asks for
identity A's object; a non-admin identity calls the admin routes. Forged JWTs reuse A's
claims when A's token is a JWT, so a server that skips verification meets a real subject.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from typing import Any

from launchready.probes.context import MAX_CASES, ProbeContext, fill, kind_of, no_response_summary, snippet
from launchready.probes.http import Exchange
from launchready.spec.app import ObjectRoute
from launchready.verify.model import CheckResult, Status
from launchready.verify.results import result

PROBE = "auth"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def jwt_claims(token: str | None) -> dict[str, Any] | None:
    """The payload of a JWT without verifying it (only to copy its claims into forgeries)."""
    if not token or token.count(".") != 2:
        return None
    payload = token.split(".")[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except ValueError:
        return None
    return claims if isinstance(claims, dict) else None


def forge_jwt(claims: dict[str, Any], *, alg: str, key: bytes | None = None) -> str:
    """A compact JWT: ``alg: none`` has an empty signature, HS256 is signed with ``key``."""
    header = _b64url(json.dumps({"alg": alg, "typ": "JWT"}, separators=(",", ":")).encode())
    body = _b64url(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = f"{header}.{body}"
    if alg == "none":
        return signing_input + "."
    if alg != "HS256" or key is None:
        raise ValueError("only alg none and HS256 (with a key) are forged")
    mac = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64url(mac)}"


def forged_tokens(base_claims: dict[str, Any] | None, now: float | None = None) -> dict[str, str | None]:
    """The credential variants every sensitive route must refuse (None = no credentials)."""
    now = time.time() if now is None else now
    claims = dict(base_claims or {"sub": "launchready-probe", "role": "user"})
    live = {**claims, "iat": int(now), "exp": int(now) + 3600}
    expired = {**claims, "iat": int(now) - 7200, "exp": int(now) - 3600}
    return {
        "no credentials": None,
        "malformed token": "launchready.not-a-token",
        "expired JWT": forge_jwt(expired, alg="HS256", key=secrets.token_bytes(32)),
        "alg none JWT": forge_jwt(live, alg="none"),
        "JWT signed with a wrong key": forge_jwt(live, alg="HS256", key=secrets.token_bytes(32)),
    }


def _case(route: str, variant: str, ex: Exchange, verdict: str) -> dict[str, Any]:
    case: dict[str, Any] = {"route": route, "variant": variant, "status": ex.status, "verdict": verdict}
    if ex.error:
        case["error"] = ex.error
    if verdict in ("accepted", "crashed", "leaked") and ex.body:
        case["body"] = snippet(ex)
    return case


def _leaks(ctx: ProbeContext, ex: Exchange) -> bool:
    ids = ctx.app.identities
    marker = ids.a.object_marker if ids else None
    return bool(marker and marker in ex.text)


def probe_auth(ctx: ProbeContext) -> CheckResult:
    routes = ctx.app.sensitive_routes
    if not routes:
        return result("app.auth", Status.SKIPPED, "no sensitive routes in the spec (app.sensitive_routes)")
    variants = forged_tokens(jwt_claims(ctx.token("a")))
    cases: list[dict[str, Any]] = []
    exchanges: list[Exchange] = []
    for route in routes:
        label = f"{route.method} {route.path}"
        for variant, token in variants.items():
            ex = ctx.client.request(PROBE, route.method, route.path, headers=ctx.auth(token), json=route.body)
            exchanges.append(ex)
            verdict = kind_of(ex)
            if route.kind == "webhook" and verdict == "other 4xx":
                verdict = "refused"  # a webhook answers a missing signature with 400, not 401
            if verdict == "refused" and _leaks(ctx, ex):
                verdict = "leaked"
            cases.append(_case(label, variant, ex, verdict))
    return _judge_auth(cases, exchanges, len(routes), len(variants))


def _judge_auth(
    cases: list[dict[str, Any]], exchanges: list[Exchange], n_routes: int, n_variants: int
) -> CheckResult:
    bad = [c for c in cases if c["verdict"] in ("accepted", "crashed", "leaked")]
    odd = [c for c in cases if c["verdict"] in ("redirect", "other 4xx")]
    evidence = {"routes": n_routes, "variants": n_variants, "requests": len(cases)}
    if not any(ex.answered for ex in exchanges):
        return result(
            "app.auth", Status.ERROR, f"no route answered: {no_response_summary(exchanges)}", evidence
        )
    fix = "Check the session server-side on every sensitive route: verify the JWT signature with a pinned "
    fix += "algorithm, reject alg none and expired tokens, answer 401/403 with no data."
    if bad:
        per_route: dict[str, int] = {}
        for case in bad:
            per_route[case["route"]] = per_route.get(case["route"], 0) + 1
        shown = [f"{route} ({n} of {n_variants})" for route, n in per_route.items()]
        return result(
            "app.auth",
            Status.FAIL,
            f"{len(bad)} of {len(cases)} unauthenticated/forged calls were not refused: "
            + ", ".join(shown[:5]),
            {**evidence, "failures": bad[:MAX_CASES]},
            fix,
        )
    if odd:
        return result(
            "app.auth",
            Status.WARN,
            f"every call was refused, but {len(odd)} without 401/403 (redirect or other 4xx)",
            {**evidence, "unusual": odd[:MAX_CASES]},
            "Answer unauthenticated API calls with 401 (or 403), not a redirect or another status.",
        )
    return result(
        "app.auth", Status.PASS, f"all {len(cases)} unauthenticated/forged calls got 401/403", evidence
    )


def object_request(ctx: ProbeContext, route: ObjectRoute, object_id: str, token: str | None) -> Exchange:
    marker = "{" + route.placeholder + "}"
    body = fill(route.body, marker, object_id) if route.body is not None else None
    path = route.path.replace(marker, object_id)
    params = {k: v.replace(marker, object_id) for k, v in route.query.items()}
    return ctx.client.request(PROBE, route.method, path, headers=ctx.auth(token), params=params, json=body)


def probe_object_access(ctx: ProbeContext) -> CheckResult:
    ids = ctx.app.identities
    if not ctx.app.object_routes or ids is None or not ids.a.object_id:
        return result(
            "app.object_access", Status.SKIPPED, "no object_routes / identities.a.object_id in the spec"
        )
    token_a, token_b = ctx.token("a"), ctx.token("b")
    if token_a is None or token_b is None:
        unset = [str(ctx.env_name(who)) for who in ("a", "b") if ctx.token(who) is None]
        return result(
            "app.object_access",
            Status.ERROR,
            f"identity tokens not set: {', '.join(unset)}",
            {"unset_env": unset},
            "Export the test identities' tokens in the environment variables the spec names.",
        )
    object_id, marker = ids.a.object_id, ids.a.object_marker
    cases: list[dict[str, Any]] = []
    for route in ctx.app.object_routes:
        label = f"{route.method} {route.path}"
        own = object_request(ctx, route, object_id, token_a)
        other = object_request(ctx, route, object_id, token_b)
        case: dict[str, Any] = {"route": label, "a_status": own.status, "b_status": other.status}
        if not own.answered or not other.answered:
            case["verdict"] = "no response"
            case["error"] = own.error or other.error
        elif other.status >= 500:
            case["verdict"] = "crashed"
        elif 200 <= other.status < 300:
            case["verdict"] = "b read a's object"
        elif (marker and marker in other.text) or (own.status < 300 and own.body and other.body == own.body):
            case["verdict"] = "refused but a's content in the body"
        elif other.status in (401, 403, 404):
            case["verdict"] = "refused" if 200 <= own.status < 300 else "refused (a's own call failed)"
        else:
            case["verdict"] = "other"
        if case["verdict"] not in ("refused", "no response") and other.body:
            case["b_body"] = snippet(other)
        cases.append(case)
    return _judge_objects(cases, object_id)


def _judge_objects(cases: list[dict[str, Any]], object_id: str) -> CheckResult:
    evidence: dict[str, Any] = {"object_id": object_id, "routes": cases[:MAX_CASES]}
    bad = [
        c
        for c in cases
        if c["verdict"] in ("b read a's object", "refused but a's content in the body", "crashed")
    ]
    if bad:
        return result(
            "app.object_access",
            Status.FAIL,
            f"identity B reached A's object on {len(bad)} of {len(cases)} routes: "
            + ", ".join(c["route"] for c in bad[:4]),
            evidence,
            "Load objects by (id AND the session's owner/tenant) on every route, path, query and body; "
            "answer 404 for objects the caller does not own.",
        )
    if all(c["verdict"] == "no response" for c in cases):
        return result("app.object_access", Status.ERROR, "no object route answered", evidence)
    unsure = [c for c in cases if c["verdict"] != "refused"]
    if unsure:
        return result(
            "app.object_access",
            Status.WARN,
            f"B was refused, but {len(unsure)} route(s) unconfirmed (A's own call failed or odd status)",
            evidence,
            "Make identities.a.object_id an object A can read, so a refusal to B means something.",
        )
    return result(
        "app.object_access", Status.PASS, f"B was refused A's object on all {len(cases)} routes", evidence
    )


def probe_function_access(ctx: ProbeContext) -> CheckResult:
    admin_routes = [r for r in ctx.app.sensitive_routes if r.kind == "admin"]
    if not admin_routes:
        return result("app.function_access", Status.SKIPPED, "no sensitive route of kind 'admin' in the spec")
    users = [(who, ctx.token(who)) for who in ("a", "b")]
    present = [(who, token) for who, token in users if token is not None]
    if not present:
        names = [ctx.env_name("a"), ctx.env_name("b")]
        return result(
            "app.function_access",
            Status.ERROR,
            f"no ordinary identity token set ({', '.join(str(n) for n in names)})",
            {"unset_env": names},
            "Export the test identities' tokens in the environment variables the spec names.",
        )
    admin_token = ctx.token("admin")
    cases: list[dict[str, Any]] = []
    for route in admin_routes:
        label = f"{route.method} {route.path}"
        for who, token in present:
            ex = ctx.client.request(PROBE, route.method, route.path, headers=ctx.auth(token), json=route.body)
            verdict = {"refused": "refused", "other 4xx": "refused" if ex.status == 404 else "other"}.get(
                kind_of(ex), kind_of(ex)
            )
            case: dict[str, Any] = {"route": label, "identity": who, "status": ex.status, "verdict": verdict}
            if verdict in ("accepted", "crashed"):
                case["body"] = snippet(ex)
            cases.append(case)
        if admin_token is not None:
            ex = ctx.client.request(
                PROBE, route.method, route.path, headers=ctx.auth(admin_token), json=route.body
            )
            cases.append(
                {
                    "route": label,
                    "identity": "admin",
                    "status": ex.status,
                    "verdict": "admin allowed" if 200 <= ex.status < 300 else "admin refused",
                }
            )
    return _judge_functions(cases)


def _judge_functions(cases: list[dict[str, Any]]) -> CheckResult:
    users = [c for c in cases if c["identity"] != "admin"]
    bad = [c for c in users if c["verdict"] in ("accepted", "crashed")]
    evidence = {"calls": cases[:MAX_CASES]}
    if bad:
        return result(
            "app.function_access",
            Status.FAIL,
            f"a non-admin identity got through {len(bad)} admin call(s): "
            + ", ".join(sorted({c["route"] for c in bad})[:4]),
            evidence,
            "Check the caller's role server-side on every admin route and answer 403 to non-admins.",
        )
    if not any(c["status"] for c in users):
        return result("app.function_access", Status.ERROR, "no admin route answered", evidence)
    unsure = [c for c in cases if c["verdict"] not in ("refused", "admin allowed")]
    if unsure:
        return result(
            "app.function_access",
            Status.WARN,
            f"non-admins were not let in, but {len(unsure)} answer(s) were unexpected "
            "(redirect, odd status, or the admin identity refused)",
            evidence,
            "Answer non-admins with 403 and make sure the admin identity can use its routes.",
        )
    return result(
        "app.function_access",
        Status.PASS,
        f"non-admins got 403/404 on all {len(users)} admin calls",
        evidence,
    )

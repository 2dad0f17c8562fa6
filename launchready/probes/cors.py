"""CORS: untrusted origins must not be reflected; allowed ones get an exact echo.

The trick origins follow nuclei's cors-misconfig template and ZAP rule 40040: an arbitrary
domain, ``null``, suffix and prefix look-alikes, the http scheme of an allowed origin and a
dot-replaced host (catches an unescaped ``.`` in an allow regex). Each is sent as a preflight
(OPTIONS, Access-Control-Request-Method: POST, -Headers: authorization) and as a simple GET.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from launchready.probes.context import MAX_CASES, ProbeContext, no_response_summary
from launchready.probes.http import Exchange
from launchready.verify.model import CheckResult, Status
from launchready.verify.results import result

PROBE = "cors"
MAX_PATHS = 6


def trick_origins(host: str, allowed: list[str]) -> list[str]:
    """Origins a correct allowlist refuses, built from the site's host and its allowed origins."""
    hosts = [host] + [urlsplit(o).netloc for o in allowed if urlsplit(o).netloc != host]
    origins = ["https://evil.attacker.test", "null"]
    for name in hosts[:3]:
        origins += [f"https://{name}.attacker.test", f"https://attacker{name}"]
        if "." in name:
            origins.append(f"https://{name.replace('.', 'a')}")
    origins += [f"http://{urlsplit(o).netloc}" for o in allowed if o.startswith("https://")][:2]
    seen: list[str] = []
    for origin in origins:
        if origin not in seen and origin not in allowed:
            seen.append(origin)
    return seen


def _paths(ctx: ProbeContext) -> list[tuple[str, bool]]:
    """(path, authenticated) pairs: sensitive routes first, then the spec's public paths."""
    out: list[tuple[str, bool]] = []
    for route in ctx.app.sensitive_routes:
        if "{" not in route.path and (route.path, True) not in out:
            out.append((route.path, True))
    for path in ctx.app.cors.paths:
        if all(path != p for p, _ in out):
            out.append((path, False))
    return out[:MAX_PATHS]


def _send(ctx: ProbeContext, path: str, origin: str, preflight: bool) -> Exchange:
    if preflight:
        headers = {
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization",
        }
        return ctx.client.request(PROBE, "OPTIONS", path, headers=headers)
    return ctx.client.request(PROBE, "GET", path, headers={"Origin": origin})


def _vary_has_origin(ex: Exchange) -> bool:
    vary = ex.header("vary") or ""
    return any(part.strip().lower() in ("origin", "*") for part in vary.split(","))


def probe_cors(ctx: ProbeContext) -> CheckResult:
    allowed = list(ctx.app.cors.allowed_origins)
    paths = _paths(ctx)
    untrusted = trick_origins(ctx.host, allowed)
    failures: list[dict[str, Any]] = []
    warnings: list[dict[str, Any]] = []
    exchanges: list[Exchange] = []
    for path, authenticated in paths:
        for preflight in (True, False):
            kind = "preflight" if preflight else "simple"
            for origin in untrusted:
                ex = _send(ctx, path, origin, preflight)
                exchanges.append(ex)
                acao = ex.header("access-control-allow-origin")
                creds = (ex.header("access-control-allow-credentials") or "").strip().lower() == "true"
                case = {
                    "path": path,
                    "request": kind,
                    "origin": origin,
                    "status": ex.status,
                    "allow_origin": acao,
                    "allow_credentials": creds,
                }
                if acao is not None and acao.strip() == origin:
                    failures.append(
                        {
                            **case,
                            "problem": "untrusted origin reflected" + (" with credentials" if creds else ""),
                        }
                    )
                elif acao is not None and acao.strip() == "*":
                    if creds:
                        failures.append({**case, "problem": "* with Allow-Credentials: true"})
                    elif authenticated:
                        warnings.append({**case, "problem": "* on an authenticated route"})
            for origin in allowed:
                ex = _send(ctx, path, origin, preflight)
                exchanges.append(ex)
                acao = ex.header("access-control-allow-origin")
                case = {
                    "path": path,
                    "request": kind,
                    "origin": origin,
                    "status": ex.status,
                    "allow_origin": acao,
                }
                if acao is not None and acao.strip() == origin and not _vary_has_origin(ex):
                    failures.append({**case, "problem": "allowed origin echoed without Vary: Origin"})
                elif ex.answered and acao is None and kind == "preflight":
                    warnings.append({**case, "problem": "allowed origin got no Access-Control-Allow-Origin"})
    evidence: dict[str, Any] = {
        "paths": [p for p, _ in paths],
        "untrusted_origins": untrusted,
        "allowed_origins": allowed,
        "requests": len(exchanges),
    }
    if not any(ex.answered for ex in exchanges):
        return result(
            "app.cors", Status.ERROR, f"no CORS request answered: {no_response_summary(exchanges)}", evidence
        )
    fix = (
        "Answer CORS from an exact allowlist of origins (no reflection, no regex, never null), "
        "send Vary: Origin, and never combine * with credentials."
    )
    if failures:
        problems = sorted({f["problem"] for f in failures})
        return result(
            "app.cors",
            Status.FAIL,
            f"{len(failures)} CORS problem(s): {'; '.join(problems)}",
            {**evidence, "failures": failures[:MAX_CASES], "warnings": warnings[:MAX_CASES]},
            fix,
        )
    if warnings:
        return result(
            "app.cors",
            Status.WARN,
            f"{len(warnings)} CORS warning(s): {'; '.join(sorted({w['problem'] for w in warnings}))}",
            {**evidence, "warnings": warnings[:MAX_CASES]},
            fix,
        )
    return result(
        "app.cors",
        Status.PASS,
        f"{len(untrusted)} untrusted origins refused on {len(paths)} path(s); allowed ones echoed + Vary",
        evidence,
    )

"""SSRF on tool endpoints (OWASP API7: server-side request forgery).

A tool that fetches a URL for the model (``app.chat[].url_field``) is asked to fetch loopback
(plain, ``[::1]`` and the ``0x7f000001`` filter bypass), the cloud metadata address,
``file:///etc/passwd`` and a ``gopher://`` smuggle. These are only strings in the JSON body:
the probe itself never connects to any of them. A 4xx refusal passes. A 2xx whose body shows
what was fetched (a canary served at a URL we control, a passwd line, a metadata listing)
fails; a 2xx or 5xx without such proof is a warning, because a blind fetch cannot be ruled out.
Bodies are never quoted in evidence: only which marker was seen.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote, urlsplit

from launchready.probes.context import MAX_CASES, ProbeContext, SsrfCanary, kind_of, stack_trace_markers
from launchready.probes.http import Exchange
from launchready.redact import redact
from launchready.spec.app import ChatEndpoint
from launchready.verify.model import CheckResult, Status
from launchready.verify.results import result

PROBE = "ssrf"
CHECK = "app.ssrf"
METADATA_URL = "http://169.254.169.254/latest/meta-data/"
FILE_URL = "file:///etc/passwd"
_MARKERS = (
    ("an /etc/passwd line", re.compile(r"root:[^:\s]*:0:0:")),
    ("a cloud metadata listing", re.compile(r"\b(ami-id|instance-id|security-credentials)\b")),
    ("a Redis INFO reply", re.compile(r"\bredis_version:")),
)
FIX = (
    "Fetch only https URLs on an allowlist of hosts; resolve the name yourself and refuse loopback, "
    "private, link-local (169.254.0.0/16) and metadata addresses, non-http schemes and redirects; "
    "answer 4xx when a URL is refused."
)


def payloads(ctx: ProbeContext) -> list[str]:
    """The URL strings to plant, loopback ones aimed at the canary's port when there is one."""
    canary = ctx.ssrf_canary
    if canary is not None:
        parts = urlsplit(canary.url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        path = parts.path or "/"
    else:
        base = urlsplit(ctx.client.base_url)
        port = base.port or (443 if base.scheme == "https" else 80)
        path = "/"
    smuggled = quote(f"GET {path} HTTP/1.0\r\n\r\n", safe="")
    found = [
        *([canary.url] if canary is not None else []),
        f"http://127.0.0.1:{port}{path}",
        f"http://[::1]:{port}{path}",
        f"http://0x7f000001:{port}{path}",
        METADATA_URL,
        FILE_URL,
        f"gopher://127.0.0.1:{port}/_{smuggled}",
    ]
    return list(dict.fromkeys(found))


def fetched_markers(body: str, canary: SsrfCanary | None) -> list[str]:
    """Names of the signs that the app fetched a payload and returned what it got."""
    seen = ["the SSRF canary"] if canary is not None and canary.text in body else []
    return seen + [name for name, pattern in _MARKERS if pattern.search(body)]


def _endpoints(ctx: ProbeContext) -> list[ChatEndpoint]:
    return [endpoint for endpoint in ctx.app.chat if endpoint.url_field]


def _send(ctx: ProbeContext, endpoint: ChatEndpoint, url: str) -> Exchange:
    token = None if endpoint.identity == "none" else ctx.token(endpoint.identity)
    headers = {"Content-Type": "application/json", **ctx.auth(token)}
    payload = {**endpoint.sample, str(endpoint.url_field): url}
    return ctx.client.request(PROBE, endpoint.method, endpoint.path, headers=headers,
                              data=json.dumps(payload).encode())


def _case(ctx: ProbeContext, endpoint: ChatEndpoint, url: str) -> dict[str, Any]:
    ex = _send(ctx, endpoint, url)
    verdict = kind_of(ex)
    case: dict[str, Any] = {"endpoint": f"{endpoint.method} {endpoint.path}", "payload": url,
                            "status": ex.status}
    if verdict in ("refused", "other 4xx"):
        verdict = "refused"
    elif verdict in ("accepted", "crashed") and (markers := fetched_markers(ex.text, ctx.ssrf_canary)):
        verdict = "fetched"
        case["seen"] = markers
    case["verdict"] = verdict
    if traces := stack_trace_markers(ex.text):
        case["stack_trace"] = traces
    if ex.error:
        case["error"] = ex.error
    return case


def probe_ssrf(ctx: ProbeContext) -> CheckResult:
    endpoints = _endpoints(ctx)
    if not endpoints:
        return result(CHECK, Status.SKIPPED, "no tool endpoint names a url_field in the spec (app.chat)")
    unset = sorted({str(ctx.env_name(e.identity)) for e in endpoints
                    if e.identity != "none" and ctx.token(e.identity) is None})
    if unset:
        return result(CHECK, Status.ERROR, f"identity token not set: {', '.join(unset)}",
                      {"unset_env": unset}, "Export the test identity tokens the spec names.")
    cases = [_case(ctx, endpoint, url) for endpoint in endpoints for url in payloads(ctx)]
    evidence: dict[str, Any] = {
        "canary": redact(ctx.ssrf_canary.text) if ctx.ssrf_canary else "not configured",
        "cases": cases[:MAX_CASES],
    }
    if not any(c["status"] for c in cases):
        return result(CHECK, Status.ERROR, "no tool endpoint answered", evidence)
    fetched = [c for c in cases if c["verdict"] == "fetched"]
    if fetched:
        shown = sorted({c["payload"] for c in fetched})
        return result(CHECK, Status.FAIL,
                      f"the tool fetched {len(fetched)} internal URL(s) and returned the content: "
                      + ", ".join(shown[:4]), evidence, FIX)
    loose = [c for c in cases if c["verdict"] != "refused"]
    if loose:
        kinds = sorted({c["verdict"] for c in loose})
        return result(CHECK, Status.WARN,
                      f"{len(loose)} of {len(cases)} internal URLs were not refused with 4xx "
                      f"({', '.join(kinds)}); no fetched content seen, but a blind fetch is possible",
                      evidence, FIX)
    return result(CHECK, Status.PASS, f"all {len(cases)} internal and non-http URLs were refused with 4xx",
                  evidence)

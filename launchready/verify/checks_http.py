"""HTTP checks: pure functions ``(observations, expectation) -> CheckResult``.

They judge the recorded hops, headers and home page body. A connection that failed or timed
out is ``error``; only an answer that breaks the rule is ``fail``. Cookie values are never
copied into evidence, only names and flags.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

from launchready.verify.expectations import BASELINE_HSTS_MAX_AGE, SESSION_COOKIE_HINTS, Expectation
from launchready.verify.model import CheckResult
from launchready.verify.observations import (
    DomainObservations,
    HttpResponse,
    RedirectChain,
    WebObservations,
)
from launchready.verify.results import errored, failed, passed, skipped, warned

Evaluator = Callable[[DomainObservations, Expectation], CheckResult]

PROBE_PATH = "/launchready-check"
PROBE_QUERY = "probe=1"
"""Requested on the non-canonical host to see that path and query survive the redirect."""

PERMANENT = (301, 308)
_PRIVATE_REFERRER = {"no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"}
_UNSAFE_REFERRER = {"unsafe-url", "origin", "origin-when-cross-origin", "no-referrer-when-downgrade"}


def _host(url: str | None) -> str:
    return (urlsplit(url or "").hostname or "").lower().rstrip(".")


def _not_served(chain: RedirectChain) -> bool:
    """The host has no address at all (a definitive DNS observation, not a failure to observe)."""
    first = chain.hops[0] if chain.hops else None
    return bool(first is not None and first.error and "does not resolve" in first.error)


def _web(obs: DomainObservations, check_id: str) -> WebObservations | CheckResult:
    if obs.web is None:
        return skipped(check_id, "HTTP observations were not collected")
    return obs.web


def home_response(web: WebObservations) -> HttpResponse | None:
    """The canonical home page: the last answer still on the canonical host."""
    last = None
    for hop in web.home.hops:
        if hop.response is None or _host(hop.url) != web.canonical_host:
            break
        last = hop.response
    return last


def _home_or_result(obs: DomainObservations, check_id: str) -> HttpResponse | CheckResult:
    web = _web(obs, check_id)
    if isinstance(web, CheckResult):
        return web
    response = home_response(web)
    if response is None:
        reason = web.home.error or "no answer on the canonical host"
        return errored(check_id, f"https://{web.canonical_host}/: {reason}",
                       {"hops": web.home.evidence()})
    return response


# --------------------------------------------------------------------------- redirects


def check_https_redirect(obs: DomainObservations, expect: Expectation) -> CheckResult:
    cid = "http.https_redirect"
    web = _web(obs, cid)
    if isinstance(web, CheckResult):
        return web
    evidence: dict[str, Any] = {}
    problems: list[str] = []
    errors: list[str] = []
    for host, chain in ((web.canonical_host, web.http_canonical), (web.other_host, web.http_other)):
        evidence[host] = chain.evidence()
        if host == web.other_host and _not_served(chain):
            continue  # dns/canonical checks report a missing host
        first = chain.first
        if first is None:
            errors.append(f"http://{host}/: {chain.error}")
            continue
        target = first.location or ""
        allowed = {host} if host == web.canonical_host else {host, web.canonical_host}
        if not first.is_redirect:
            problems.append(f"http://{host}/ answers {first.status} instead of redirecting to https://")
        elif urlsplit(target).scheme.lower() != "https":
            problems.append(f"http://{host}/ redirects to {target}, not https://")
        elif _host(target) not in allowed:
            problems.append(f"http://{host}/ first redirects to another host ({_host(target)})")
    if problems:
        return failed(cid, "; ".join(problems), evidence,
                      "turn on Always Use HTTPS (the spec's tls.always_use_https) so http:// goes to https://")
    if errors:
        return errored(cid, "; ".join(errors), evidence)
    return passed(cid, "http:// redirects to https:// on the same host", evidence)


def check_canonical_redirect(obs: DomainObservations, expect: Expectation) -> CheckResult:
    cid = "http.canonical_redirect"
    web = _web(obs, cid)
    if isinstance(web, CheckResult):
        return web
    chain = web.https_other
    canonical, other = web.canonical_host, web.other_host
    evidence: dict[str, Any] = {"canonical": canonical, "hops": chain.evidence()}
    fix = f"redirect https://{other}/* to https://{canonical}/* with one 301 (path and query kept)"
    # The canonical host itself must stay put.
    home_first = web.home.first
    if home_first is not None and home_first.is_redirect and _host(home_first.location) != canonical:
        evidence["canonical_hops"] = web.home.evidence()
        away = _host(home_first.location)
        what = f"redirect loop: {canonical} redirects back to {other}" if away == other else \
            f"the canonical host {canonical} redirects away to {home_first.location}"
        return failed(cid, what, evidence, f"serve the site on {canonical}; only {other} should redirect")
    if _not_served(chain):
        if expect.spec is None:
            return passed(cid, f"{other} is not served (no address), nothing to redirect", evidence)
        return failed(cid, f"{other} does not resolve, so visitors typing it get nothing", evidence, fix)
    first = chain.first
    if first is None:
        return errored(cid, f"{chain.start}: {chain.error}", evidence)
    if not first.is_redirect:
        summary = f"{other} answers {first.status} instead of redirecting to {canonical}"
        return failed(cid, summary, evidence, fix)
    target = first.location or ""
    parts = urlsplit(target)
    landed = _host(target)
    if parts.scheme.lower() not in ("http", "https"):
        return failed(cid, f"{other} redirects to a non-HTTP scheme: {target}", evidence, fix)
    if landed not in (canonical, other):
        return failed(cid, f"{other} redirects to another site ({landed or target})", evidence, fix)
    hops_to_canonical = next((n for n, hop in enumerate(chain.hops) if _host(hop.url) == canonical),
                             len(chain.hops))
    back = [hop.url for hop in chain.hops[hops_to_canonical:] if _host(hop.url) == other]
    if chain.stop.startswith("redirect loop") or back:
        return failed(cid, f"redirect loop between {other} and {canonical}", evidence, fix)
    if chain.stop:
        return failed(cid, f"{chain.stop} from {other}", evidence, fix)
    if landed != canonical or hops_to_canonical > 1:
        return failed(cid, f"{other} reaches {canonical} in {hops_to_canonical} hops, not one",
                      evidence, fix)
    if parts.scheme.lower() != "https":
        return failed(cid, f"{other} redirects to {parts.scheme}://{canonical}, not https", evidence, fix)
    if first.status not in PERMANENT:
        return failed(cid, f"{other} redirects with {first.status} (temporary), not 301/308", evidence, fix)
    if parts.path != PROBE_PATH or parts.query != PROBE_QUERY:
        return failed(cid, f"the redirect drops the path or query ({PROBE_PATH}?{PROBE_QUERY} -> "
                           f"{parts.path or '/'}{'?' + parts.query if parts.query else ''})", evidence, fix)
    return passed(cid, f"{other} -> {canonical} in one {first.status}, path and query kept", evidence)


def parse_hsts(value: str) -> dict[str, Any] | None:
    """``{"max_age": int, "include_subdomains": bool, "preload": bool}``; None when invalid."""
    out: dict[str, Any] = {"max_age": None, "include_subdomains": False, "preload": False}
    for part in value.split(";"):
        name, _, arg = part.strip().partition("=")
        name = name.strip().lower()
        if name == "max-age":
            arg = arg.strip().strip('"')
            if not arg.isdigit() or out["max_age"] is not None:
                return None
            out["max_age"] = int(arg)
        elif name == "includesubdomains":
            out["include_subdomains"] = True
        elif name == "preload":
            out["preload"] = True
    return out if out["max_age"] is not None else None


def check_hsts(obs: DomainObservations, expect: Expectation) -> CheckResult:
    cid = "http.hsts"
    if expect.hsts is None:
        return skipped(cid, "the spec turns HSTS off (tls.hsts.enabled: false)")
    web = _web(obs, cid)
    if isinstance(web, CheckResult):
        return web
    first = web.home.first
    if first is None:
        return errored(cid, f"https://{web.canonical_host}/: {web.home.error}")
    value = first.header("strict-transport-security")
    want = expect.hsts
    evidence: dict[str, Any] = {"url": first.url, "header": value, "min_max_age": want.min_max_age}
    fix = (f"send Strict-Transport-Security: max-age={want.min_max_age}"
           + ("; includeSubDomains" if want.include_subdomains else "")
           + ("; preload" if want.preload else "") + " on HTTPS answers")
    if value is None:
        summary = f"no Strict-Transport-Security header on https://{web.canonical_host}/"
        return failed(cid, summary, evidence, fix)
    parsed = parse_hsts(value)
    if parsed is None:
        return failed(cid, f"Strict-Transport-Security is invalid: {value!r}", evidence, fix)
    evidence.update(parsed)
    problems = []
    if parsed["max_age"] < want.min_max_age:
        problems.append(f"max-age {parsed['max_age']} is below {want.min_max_age}")
    if want.include_subdomains and not parsed["include_subdomains"]:
        problems.append("includeSubDomains missing")
    if want.preload and not parsed["preload"]:
        problems.append("preload missing")
    if want.preload and web.other_host == expect.domain:
        problems += _apex_preload_problems(web, evidence)
    if problems:
        return failed(cid, "HSTS " + "; ".join(problems), evidence, fix)
    if not first.tls_verified:
        return warned(cid, "HSTS is sent, but browsers ignore it while the certificate does not verify",
                      evidence, "fix the certificate (see tls.certificate)")
    if parsed["max_age"] < BASELINE_HSTS_MAX_AGE:
        # The spec may ramp HSTS up on purpose; meeting it is not yet the launch-ready bar.
        return warned(cid, f"HSTS max-age {parsed['max_age']} meets the spec but is below the "
                           f"launch-ready {BASELINE_HSTS_MAX_AGE} (6 months)", evidence,
                      f"raise launchready:site.tls.hsts.max_age to at least {BASELINE_HSTS_MAX_AGE}")
    return passed(cid, f"HSTS max-age={parsed['max_age']}"
                       + ("; includeSubDomains" if parsed["include_subdomains"] else "")
                       + ("; preload" if parsed["preload"] else ""), evidence)


def _apex_preload_problems(web: WebObservations, evidence: dict[str, Any]) -> list[str]:
    """hstspreload.org also wants the apex's own HTTPS answer (here its redirect) to carry HSTS."""
    apex = web.https_other.first
    if apex is None:
        return []  # http.canonical_redirect reports an apex that does not answer
    value = apex.header("strict-transport-security")
    evidence["apex_header"] = value
    parsed = parse_hsts(value or "")
    if parsed is None or not (parsed["preload"] and parsed["include_subdomains"]):
        return [f"the apex {web.other_host} answers without HSTS includeSubDomains; preload "
                "(the preload list requires it)"]
    return []


# --------------------------------------------------------------------------- headers


def parse_csp(value: str) -> dict[str, list[str]]:
    """Directive → source list; the first occurrence of a directive wins (CSP3 §2.2.1)."""
    out: dict[str, list[str]] = {}
    for part in value.split(";"):
        tokens = part.split()
        if tokens:
            out.setdefault(tokens[0].lower(), [t.lower() for t in tokens[1:]])
    return out


def _normalise_csp(value: str) -> list[tuple[str, tuple[str, ...]]]:
    return sorted((k, tuple(v)) for k, v in parse_csp(value).items())


def check_csp(obs: DomainObservations, expect: Expectation) -> CheckResult:
    cid = "http.csp"
    home = _home_or_result(obs, cid)
    if isinstance(home, CheckResult):
        return home
    value = home.header("content-security-policy")
    evidence: dict[str, Any] = {"url": home.url, "header": value}
    fix = "send a Content-Security-Policy whose script-src has no 'unsafe-inline'/'unsafe-eval' (use nonces)"
    if not value:
        return failed(cid, "no Content-Security-Policy header", evidence, fix)
    directives = parse_csp(value)
    source = "script-src" if "script-src" in directives else "default-src"
    scripts = directives.get(source)
    if scripts is None:
        summary = "CSP has neither script-src nor default-src: scripts are unrestricted"
        return failed(cid, summary, evidence, fix)
    evidence["effective"] = f"{source} {' '.join(scripts)}"
    has_nonce = any(s.startswith(("'nonce-", "'sha256-", "'sha384-", "'sha512-")) for s in scripts)
    unsafe = [s for s in ("'unsafe-eval'",) if s in scripts]
    if "'unsafe-inline'" in scripts and not has_nonce:
        unsafe.insert(0, "'unsafe-inline'")
    if unsafe:
        return failed(cid, f"CSP {source} allows {' and '.join(unsafe)}", evidence, fix)
    wide = [s for s in scripts if s in ("*", "http:", "https:", "data:")]
    if wide:
        return warned(cid, f"CSP {source} allows scripts from anywhere ({' '.join(wide)})", evidence,
                      "list the script hosts explicitly instead of a scheme or *")
    if expect.csp and _normalise_csp(expect.csp) != _normalise_csp(value):
        evidence["expected"] = expect.csp
        return warned(cid, "CSP is safe but differs from the spec's headers.content_security_policy",
                      evidence, "deploy the spec's CSP (pulumi up) or update the spec")
    return passed(cid, f"CSP restricts scripts ({source})", evidence)


def check_frame_options(obs: DomainObservations, expect: Expectation) -> CheckResult:
    cid = "http.frame_options"
    home = _home_or_result(obs, cid)
    if isinstance(home, CheckResult):
        return home
    xfo = home.header("x-frame-options")
    ancestors = parse_csp(home.header("content-security-policy") or "").get("frame-ancestors")
    evidence = {"x-frame-options": xfo,
                "frame-ancestors": " ".join(ancestors) if ancestors is not None else None}
    if ancestors:
        return passed(cid, f"CSP frame-ancestors {' '.join(ancestors)}", evidence)
    if xfo and xfo.strip().upper() in ("DENY", "SAMEORIGIN"):
        return passed(cid, f"X-Frame-Options: {xfo.strip().upper()}", evidence)
    fix = "send X-Frame-Options: DENY (or CSP frame-ancestors 'none')"
    if xfo:
        return failed(cid, f"X-Frame-Options {xfo!r} is not DENY or SAMEORIGIN", evidence, fix)
    return failed(cid, "no X-Frame-Options and no CSP frame-ancestors: the site can be framed", evidence, fix)


def check_content_type_options(obs: DomainObservations, expect: Expectation) -> CheckResult:
    cid = "http.content_type_options"
    home = _home_or_result(obs, cid)
    if isinstance(home, CheckResult):
        return home
    value = home.header("x-content-type-options")
    evidence = {"x-content-type-options": value}
    if value and value.strip().lower() == "nosniff":
        return passed(cid, "X-Content-Type-Options: nosniff", evidence)
    what = f"is {value!r}" if value else "is missing"
    return failed(cid, f"X-Content-Type-Options {what}", evidence, "send X-Content-Type-Options: nosniff")


def check_referrer_policy(obs: DomainObservations, expect: Expectation) -> CheckResult:
    cid = "http.referrer_policy"
    home = _home_or_result(obs, cid)
    if isinstance(home, CheckResult):
        return home
    value = home.header("referrer-policy")
    evidence = {"referrer-policy": value}
    fix = "send Referrer-Policy: strict-origin-when-cross-origin (or stricter)"
    if not value:
        return warned(cid, "no Referrer-Policy (browsers default to strict-origin-when-cross-origin)",
                      evidence, fix)
    known = [t.strip().lower() for t in value.split(",") if t.strip().lower()
             in _PRIVATE_REFERRER | _UNSAFE_REFERRER]
    policy = known[-1] if known else None  # the last recognised token wins
    if policy in _PRIVATE_REFERRER:
        return passed(cid, f"Referrer-Policy: {policy}", evidence)
    if policy in _UNSAFE_REFERRER:
        return failed(cid, f"Referrer-Policy {policy} leaks full URLs to other sites", evidence, fix)
    return failed(cid, f"Referrer-Policy {value!r} is not a valid policy", evidence, fix)


def check_permissions_policy(obs: DomainObservations, expect: Expectation) -> CheckResult:
    cid = "http.permissions_policy"
    home = _home_or_result(obs, cid)
    if isinstance(home, CheckResult):
        return home
    value = home.header("permissions-policy")
    evidence = {"permissions-policy": value}
    if value and value.strip():
        return passed(cid, "Permissions-Policy present", evidence)
    return failed(cid, "no Permissions-Policy header", evidence,
                  "send Permissions-Policy: camera=(), microphone=(), geolocation=(), payment=()")


# --------------------------------------------------------------------------- page content


_ACTIVE = {("script", "src"), ("iframe", "src"), ("frame", "src"), ("object", "data"),
           ("embed", "src"), ("form", "action")}
_PASSIVE = {("img", "src"), ("audio", "src"), ("video", "src"), ("source", "src"), ("track", "src"),
            ("video", "poster"), ("img", "srcset"), ("source", "srcset")}


class _Subresources(HTMLParser):
    """Collects (tag, attribute, url) for every http:// subresource."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str, str, bool]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): (v or "") for k, v in attrs}
        for attr, raw in values.items():
            key = (tag, attr)
            if tag == "link" and attr == "href":
                rel = values.get("rel", "").lower().split()
                if not rel:
                    continue
                active = bool({"stylesheet", "preload", "modulepreload", "import"} & set(rel))
                if not active and "icon" not in rel:
                    continue
            elif key in _ACTIVE:
                active = True
            elif key in _PASSIVE:
                active = False
            else:
                continue
            for url in _urls(raw, attr):
                if url.lower().startswith("http://"):
                    self.found.append((tag, attr, url, active))


def _urls(raw: str, attr: str) -> Iterable[str]:
    if attr == "srcset":
        return [item.strip().split()[0] for item in raw.split(",") if item.strip()]
    return [raw.strip()]


def find_mixed_content(html: str) -> list[tuple[str, str, str, bool]]:
    parser = _Subresources()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # html.parser is lenient; a pathological page must not end the run
        pass
    return parser.found


def check_mixed_content(obs: DomainObservations, expect: Expectation) -> CheckResult:
    cid = "http.mixed_content"
    home = _home_or_result(obs, cid)
    if isinstance(home, CheckResult):
        return home
    content_type = (home.header("content-type") or "").lower()
    if "html" not in content_type:
        summary = f"the home page is not HTML ({content_type or 'no content type'})"
        return passed(cid, summary, {"url": home.url})
    found = find_mixed_content(home.body)
    active = [f"<{t} {a}> {u}" for t, a, u, is_active in found if is_active]
    passive = [f"<{t} {a}> {u}" for t, a, u, is_active in found if not is_active]
    evidence: dict[str, Any] = {"url": home.url, "active": active[:20], "passive": passive[:20],
                                "body_truncated": home.body_truncated}
    fix = "load every script, style, frame and image over https:// (or protocol-relative)"
    upgraded = "upgrade-insecure-requests" in parse_csp(home.header("content-security-policy") or "")
    if active and not upgraded:
        return failed(cid, f"{len(active)} active http:// subresource(s) on the home page, e.g. {active[0]}",
                      evidence, fix)
    if active or passive:
        note = " (CSP upgrade-insecure-requests upgrades them)" if upgraded else ""
        sample = (active or passive)[0]
        return warned(cid, f"{len(active) + len(passive)} http:// subresource(s), e.g. {sample}{note}",
                      evidence, fix)
    suffix = " (first part of a truncated body)" if home.body_truncated else ""
    return passed(cid, f"no http:// subresources on the home page{suffix}", evidence)


def parse_set_cookie(value: str) -> tuple[str, dict[str, str]]:
    """Cookie name and lower-cased attributes; the value is dropped on purpose (it may be a secret)."""
    head, *attributes = value.split(";")
    name = head.split("=", 1)[0].strip()
    attrs: dict[str, str] = {}
    for attribute in attributes:
        key, _, arg = attribute.strip().partition("=")
        if key:
            attrs[key.strip().lower()] = arg.strip().lower()
    return name, attrs


def _cookie_responses(web: WebObservations) -> list[HttpResponse]:
    responses = [hop.response for hop in (*web.home.hops, *web.https_other.hops) if hop.response]
    responses += [m.response for m in web.monitors.values() if m.response]
    return [r for r in responses if r.url.lower().startswith("https://")]


def check_cookies(obs: DomainObservations, expect: Expectation) -> CheckResult:
    cid = "http.cookies"
    web = _web(obs, cid)
    if isinstance(web, CheckResult):
        return web
    responses = _cookie_responses(web)
    if not responses:
        return errored(cid, f"no HTTPS answer from {web.canonical_host} to read cookies from",
                       {"hops": web.home.evidence()})
    cookies: dict[str, dict[str, Any]] = {}
    fails: list[str] = []
    warns: list[str] = []
    session_names = {n.lower() for n in expect.session_cookies}
    for response in responses:
        for header in response.header_values("set-cookie"):
            name, attrs = parse_set_cookie(header)
            if not name or name in cookies or attrs.get("max-age") == "0":
                continue
            samesite = attrs.get("samesite")
            flags = {"secure": "secure" in attrs, "httponly": "httponly" in attrs, "samesite": samesite}
            cookies[name] = flags
            session = name.lower() in session_names or any(h in name.lower() for h in SESSION_COOKIE_HINTS)
            if not flags["secure"]:
                fails.append(f"{name} without Secure")
            if not flags["httponly"]:
                (fails if session else warns).append(f"{name} without HttpOnly")
            if samesite is None:
                warns.append(f"{name} without SameSite")
            elif samesite not in ("strict", "lax", "none"):
                fails.append(f"{name} with invalid SameSite={samesite}")
    evidence = {"cookies": cookies}
    fix = "set cookies with Secure; HttpOnly; SameSite=Lax (or Strict)"
    if fails:
        return failed(cid, "; ".join(fails), evidence, fix)
    if warns:
        return warned(cid, "; ".join(warns), evidence, fix)
    if not cookies:
        return passed(cid, "no cookies set on the pages checked", evidence)
    return passed(cid, f"{len(cookies)} cookie(s) set with Secure, HttpOnly and SameSite", evidence)


# --------------------------------------------------------------------------- monitors


def code_matches(status: int, codes: Iterable[str]) -> bool:
    for code in codes:
        code = code.lower()
        if code.endswith("xx") and str(status)[0] == code[0]:
            return True
        if code == str(status):
            return True
    return False


def check_monitor_urls(obs: DomainObservations, expect: Expectation) -> CheckResult:
    cid = "http.monitor_urls"
    web = _web(obs, cid)
    if isinstance(web, CheckResult):
        return web
    if not expect.monitors:
        return skipped(cid, "no monitored URLs")
    evidence: dict[str, Any] = {}
    fails: list[str] = []
    errors: list[str] = []
    slow: list[str] = []
    for monitor in expect.monitors:
        exchange = web.monitors.get(monitor.name)
        if exchange is None or exchange.response is None:
            reason = exchange.error if exchange else "not requested"
            evidence[monitor.name] = {"url": monitor.url, "error": reason}
            errors.append(f"{monitor.name}: {reason}")
            continue
        response = exchange.response
        evidence[monitor.name] = {"url": monitor.url, "status": response.status, "ms": response.elapsed_ms,
                                  "expected": list(monitor.expected_codes)}
        if not code_matches(response.status, monitor.expected_codes):
            fails.append(f"{monitor.name} answered {response.status} "
                         f"(expected {'/'.join(monitor.expected_codes)})")
        elif monitor.expected_body and monitor.expected_body not in response.body:
            fails.append(f"{monitor.name} body lacks {monitor.expected_body!r}")
        elif response.elapsed_ms > monitor.max_response_ms:
            slow.append(f"{monitor.name} took {response.elapsed_ms:.0f} ms (> {monitor.max_response_ms} ms)")
    if fails:
        return failed(cid, "; ".join(fails + errors), evidence,
                      "fix the route or the monitor's expected_codes in the spec")
    if errors:
        return errored(cid, "; ".join(errors), evidence)
    if slow:
        return warned(cid, "; ".join(slow), evidence, "find why the route is slow, or raise max_response_ms")
    return passed(cid, f"{len(expect.monitors)} monitored URL(s) answer as expected", evidence)


CHECKS: dict[str, Evaluator] = {
    "http.https_redirect": check_https_redirect,
    "http.canonical_redirect": check_canonical_redirect,
    "http.hsts": check_hsts,
    "http.csp": check_csp,
    "http.frame_options": check_frame_options,
    "http.content_type_options": check_content_type_options,
    "http.referrer_policy": check_referrer_policy,
    "http.permissions_policy": check_permissions_policy,
    "http.mixed_content": check_mixed_content,
    "http.cookies": check_cookies,
    "http.monitor_urls": check_monitor_urls,
}

"""HTTP evaluators, Observatory-style: start from a good observation, change one field."""

from __future__ import annotations

from dataclasses import replace

import pytest

from launchready.verify.checks_http import CHECKS, find_mixed_content, parse_hsts
from launchready.verify.expectations import HstsExpectation, MonitorExpectation, baseline, with_canonical
from launchready.verify.model import Status
from launchready.verify.observations import (
    DomainObservations,
    HttpExchange,
    HttpResponse,
    RedirectChain,
    WebObservations,
)

APEX, WWW = "shop.test", "www.shop.test"
GOOD_HEADERS = (
    ("Content-Type", "text/html; charset=utf-8"),
    ("Strict-Transport-Security", "max-age=31536000; includeSubDomains"),
    ("Content-Security-Policy", "default-src 'self'; script-src 'self'; frame-ancestors 'none'"),
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("Permissions-Policy", "camera=()"),
    ("Set-Cookie", "session=s3cr3t-value; Secure; HttpOnly; SameSite=Lax"),
)


def response(url: str, status: int = 200, headers: tuple[tuple[str, str], ...] = (), body: str = "",
             location: str | None = None, **kw: object) -> HttpResponse:
    if location is not None:
        headers = (*headers, ("Location", location))
    return HttpResponse(url, status, headers, body, **kw)  # type: ignore[arg-type]


def hop(url: str, **kw: object) -> HttpExchange:
    return HttpExchange(url, response(url, **kw))  # type: ignore[arg-type]


def chain(*hops: HttpExchange, stop: str = "") -> RedirectChain:
    return RedirectChain(hops[0].url, tuple(hops), stop)


def good_web(**changes: object) -> WebObservations:
    web = WebObservations(
        canonical_host=APEX, other_host=WWW,
        http_canonical=chain(hop(f"http://{APEX}/", status=301, location=f"https://{APEX}/"),
                             hop(f"https://{APEX}/", headers=GOOD_HEADERS)),
        http_other=chain(hop(f"http://{WWW}/", status=301, location=f"https://{WWW}/")),
        https_other=chain(hop(f"https://{WWW}/launchready-check?probe=1", status=301,
                              location=f"https://{APEX}/launchready-check?probe=1"),
                          hop(f"https://{APEX}/launchready-check?probe=1", status=404)),
        home=chain(hop(f"https://{APEX}/", headers=GOOD_HEADERS, body="<!doctype html><p>hi")),
        monitors={"home": hop(f"https://{APEX}/", headers=GOOD_HEADERS, elapsed_ms=40.0)},
    )
    return replace(web, **changes)  # type: ignore[arg-type]


def expect(**changes: object):
    base = with_canonical(baseline(APEX), APEX)
    return replace(base, **changes)


def run(check_id: str, web: WebObservations | None = None, **expect_changes: object):
    obs = DomainObservations(APEX, {}, web if web is not None else good_web())
    return CHECKS[check_id](obs, expect(**expect_changes))


def with_home_headers(*headers: tuple[str, str], drop: str = "", body: str = "<p>hi") -> WebObservations:
    kept = tuple(h for h in GOOD_HEADERS if h[0].lower() != drop.lower()) + headers
    return good_web(home=chain(hop(f"https://{APEX}/", headers=kept, body=body)))


@pytest.mark.parametrize("check_id", sorted(CHECKS))
def test_a_good_site_passes_every_http_check(check_id: str) -> None:
    result = run(check_id)
    assert result.status is Status.PASS, result.summary
    assert result.fix == ""


def test_no_web_observations_is_skipped_not_pass() -> None:
    obs = DomainObservations(APEX, {}, None)
    assert CHECKS["http.csp"](obs, expect()).status is Status.SKIPPED


# --- redirects -------------------------------------------------------------------------


def test_http_that_does_not_redirect_fails() -> None:
    web = good_web(http_canonical=chain(hop(f"http://{APEX}/", headers=GOOD_HEADERS)))
    result = run("http.https_redirect", web)
    assert result.status is Status.FAIL and "answers 200" in result.summary


def test_http_first_hop_to_another_host_fails() -> None:
    web = good_web(http_canonical=chain(hop(f"http://{APEX}/", status=301, location="https://cdn.test/")))
    assert "another host (cdn.test)" in run("http.https_redirect", web).summary


def test_http_unreachable_is_error_not_fail() -> None:
    web = good_web(http_canonical=chain(HttpExchange(f"http://{APEX}/", error="no answer within 1s")))
    result = run("http.https_redirect", web)
    assert result.status is Status.ERROR and "no answer" in result.summary


@pytest.mark.parametrize(("hops", "stop", "phrase"), [
    ([hop(f"https://{WWW}/launchready-check?probe=1", headers=GOOD_HEADERS)], "", "answers 200"),
    ([hop(f"https://{WWW}/launchready-check?probe=1", status=302,
          location=f"https://{APEX}/launchready-check?probe=1")], "", "302 (temporary)"),
    ([hop(f"https://{WWW}/launchready-check?probe=1", status=301, location=f"https://{APEX}/")],
     "", "drops the path or query"),
    ([hop(f"https://{WWW}/launchready-check?probe=1", status=301, location="https://evil.test/x")],
     "", "another site (evil.test)"),
    ([hop(f"https://{WWW}/launchready-check?probe=1", status=301, location=f"https://{WWW}/hop?probe=1"),
      hop(f"https://{WWW}/hop?probe=1", status=301, location=f"https://{APEX}/launchready-check?probe=1"),
      hop(f"https://{APEX}/launchready-check?probe=1")], "", "in 2 hops"),
    ([hop(f"https://{WWW}/launchready-check?probe=1", status=301,
          location=f"https://{APEX}/launchready-check?probe=1"),
      hop(f"https://{APEX}/launchready-check?probe=1", status=301,
          location=f"https://{WWW}/launchready-check?probe=1")],
     "redirect loop: https://www.shop.test/launchready-check?probe=1 was already visited", "loop"),
    ([hop(f"https://{WWW}/launchready-check?probe=1", status=301, location="ftp://files.test/")],
     "redirect to a non-HTTP scheme (ftp:)", "non-HTTP"),
])
def test_canonical_redirect_faults(hops: list[HttpExchange], stop: str, phrase: str) -> None:
    result = run("http.canonical_redirect", good_web(https_other=chain(*hops, stop=stop)))
    assert result.status is Status.FAIL
    assert phrase in result.summary
    assert result.evidence["hops"]  # each hop is shown


def test_canonical_host_redirecting_back_is_a_loop() -> None:
    web = good_web(home=chain(hop(f"https://{APEX}/", status=301, location=f"https://{WWW}/")))
    assert "loop" in run("http.canonical_redirect", web).summary


def test_unserved_other_host_passes_for_baseline_but_fails_for_a_spec() -> None:
    web = good_web(https_other=chain(HttpExchange(f"https://{WWW}/", error=f"{WWW} does not resolve (no A)")))
    assert run("http.canonical_redirect", web).status is Status.PASS
    from tests.verify.conftest import good_spec

    assert run("http.canonical_redirect", web, spec=good_spec()).status is Status.FAIL


# --- HSTS and headers ----------------------------------------------------------------------


def test_parse_hsts() -> None:
    assert parse_hsts("max-age=300; includeSubDomains") == {"max_age": 300, "include_subdomains": True,
                                                           "preload": False}
    assert parse_hsts("includeSubDomains") is None
    assert parse_hsts("max-age=1; max-age=2") is None
    assert parse_hsts('max-age="600"')["max_age"] == 600  # type: ignore[index]


def test_hsts_missing_short_and_flags() -> None:
    def first(value: str | None) -> WebObservations:
        headers = tuple(h for h in GOOD_HEADERS if h[0] != "Strict-Transport-Security")
        if value is not None:
            headers += (("Strict-Transport-Security", value),)
        return good_web(home=chain(hop(f"https://{APEX}/", headers=headers)))

    assert "no Strict-Transport-Security" in run("http.hsts", first(None)).summary
    short = run("http.hsts", first("max-age=300"))
    assert short.status is Status.FAIL and "max-age 300 is below 15552000" in short.summary
    assert short.evidence["max_age"] == 300
    want = HstsExpectation(31536000, include_subdomains=True, preload=True)
    no_preload = first("max-age=31536000; includeSubDomains")
    assert "preload missing" in run("http.hsts", no_preload, hsts=want).summary
    assert run("http.hsts", first(None), hsts=None).status is Status.SKIPPED


def test_hsts_below_the_launch_ready_floor_warns_even_when_the_spec_asks_for_less() -> None:
    headers = tuple(h for h in GOOD_HEADERS if h[0] != "Strict-Transport-Security")
    web = good_web(home=chain(hop(f"https://{APEX}/",
                                  headers=(*headers, ("Strict-Transport-Security", "max-age=86400")))))
    ramping = HstsExpectation(3600, include_subdomains=False, preload=False)
    result = run("http.hsts", web, hsts=ramping)
    assert result.status is Status.WARN
    assert "meets the spec but is below the launch-ready 15552000" in result.summary


def test_hsts_over_an_unverified_certificate_warns() -> None:
    unverified = response(f"https://{APEX}/", headers=GOOD_HEADERS, tls_verified=False)
    web = good_web(home=chain(HttpExchange(f"https://{APEX}/", unverified)))
    assert run("http.hsts", web).status is Status.WARN


@pytest.mark.parametrize(("csp", "status", "phrase"), [
    (None, Status.FAIL, "no Content-Security-Policy"),
    ("script-src 'self' 'unsafe-inline'", Status.FAIL, "'unsafe-inline'"),
    ("default-src 'self' 'unsafe-eval'", Status.FAIL, "'unsafe-eval'"),
    ("img-src 'self'", Status.FAIL, "neither script-src nor default-src"),
    ("script-src 'self' 'unsafe-inline' 'nonce-abc'", Status.PASS, "restricts"),
    ("default-src 'self' 'unsafe-inline'; script-src 'self'", Status.PASS, "script-src"),
    ("script-src https:", Status.WARN, "anywhere"),
])
def test_csp(csp: str | None, status: Status, phrase: str) -> None:
    headers = ((("Content-Security-Policy", csp),) if csp else ())
    result = run("http.csp", with_home_headers(*headers, drop="Content-Security-Policy"))
    assert result.status is status and phrase in result.summary


def test_csp_differing_from_the_spec_warns() -> None:
    result = run("http.csp", csp="default-src 'none'; script-src 'self'")
    assert result.status is Status.WARN and result.evidence["expected"]


def test_frame_options() -> None:
    no_fa = (("Content-Security-Policy", "default-src 'self'"),)
    xfo_only = with_home_headers(*no_fa, drop="Content-Security-Policy")
    assert run("http.frame_options", xfo_only).status is Status.PASS
    gone = with_home_headers(*no_fa, ("X-Frame-Options", "ALLOW-FROM https://x.test"), drop="X-Frame-Options")
    web = replace(gone, home=chain(hop(f"https://{APEX}/", headers=tuple(
        h for h in gone.home.hops[0].response.headers  # type: ignore[union-attr]
        if h[0] != "Content-Security-Policy" or h[1] == "default-src 'self'"))))
    assert "not DENY or SAMEORIGIN" in run("http.frame_options", web).summary


def test_missing_headers_fail_with_the_header_named() -> None:
    assert "X-Content-Type-Options is missing" in run(
        "http.content_type_options", with_home_headers(drop="X-Content-Type-Options")).summary
    assert run("http.permissions_policy", with_home_headers(drop="Permissions-Policy")).status is Status.FAIL
    assert run("http.referrer_policy", with_home_headers(drop="Referrer-Policy")).status is Status.WARN
    unsafe = with_home_headers(("Referrer-Policy", "unsafe-url"), drop="Referrer-Policy")
    assert run("http.referrer_policy", unsafe).status is Status.FAIL
    fallback = with_home_headers(("Referrer-Policy", "no-referrer, bogus, strict-origin"),
                                 drop="Referrer-Policy")
    assert run("http.referrer_policy", fallback).status is Status.PASS


def test_header_checks_error_when_the_home_page_did_not_answer() -> None:
    web = good_web(home=chain(HttpExchange(f"https://{APEX}/", error="connect timed out")))
    for check_id in ("http.csp", "http.frame_options", "http.mixed_content", "http.hsts"):
        assert run(check_id, web).status is Status.ERROR


# --- content ---------------------------------------------------------------------------


def test_mixed_content() -> None:
    html = ('<script src="http://cdn.test/a.js"></script><link rel="stylesheet" href="http://cdn.test/s.css">'
            '<link rel="canonical" href="http://shop.test/"><img src="http://cdn.test/i.png">'
            '<img srcset="https://ok.test/1.png 1x, http://cdn.test/2.png 2x"><a href="http://x.test/">')
    found = find_mixed_content(html)
    assert [(t, a, active) for t, a, _, active in found] == [
        ("script", "src", True), ("link", "href", True), ("img", "src", False), ("img", "srcset", False)]
    result = run("http.mixed_content", with_home_headers(body=html))
    assert result.status is Status.FAIL and "http://cdn.test/a.js" in result.summary
    passive = run("http.mixed_content", with_home_headers(body='<img src="HTTP://cdn.test/i.png">'))
    assert passive.status is Status.WARN
    assert find_mixed_content("<script src='http://x") == []  # broken HTML: no crash


def test_cookie_flags_and_no_values_in_evidence() -> None:
    def cookies(*values: str) -> WebObservations:
        headers = tuple(h for h in GOOD_HEADERS if h[0] != "Set-Cookie")
        headers += tuple(("Set-Cookie", v) for v in values)
        return good_web(home=chain(hop(f"https://{APEX}/", headers=headers)))

    bad = run("http.cookies", cookies("session=s3cr3t-value; Path=/"))
    assert bad.status is Status.FAIL
    assert "session without Secure" in bad.summary and "session without HttpOnly" in bad.summary
    assert "s3cr3t" not in str(bad.evidence) + bad.summary
    analytics = run("http.cookies", cookies("_ga=1.2; Secure; SameSite=Lax"))
    assert analytics.status is Status.WARN and "HttpOnly" in analytics.summary
    assert run("http.cookies", cookies("sid=1; Secure; HttpOnly; SameSite=Bogus")).status is Status.FAIL
    assert run("http.cookies", cookies()).status is Status.PASS


def test_monitor_urls() -> None:
    monitors = (MonitorExpectation("home", f"https://{APEX}/", expected_codes=("2xx",), max_response_ms=100),
                MonitorExpectation("health", f"https://{APEX}/api/health", expected_body="ok"))
    web = good_web(monitors={"home": hop(f"https://{APEX}/", elapsed_ms=20.0),
                             "health": hop(f"https://{APEX}/api/health", body='{"ok": true}')})
    assert run("http.monitor_urls", web, monitors=monitors).status is Status.PASS
    slow = good_web(monitors={**web.monitors, "home": hop(f"https://{APEX}/", elapsed_ms=900.0)})
    assert run("http.monitor_urls", slow, monitors=monitors).status is Status.WARN
    down = good_web(monitors={**web.monitors, "health": hop(f"https://{APEX}/api/health", status=503)})
    result = run("http.monitor_urls", down, monitors=monitors)
    assert result.status is Status.FAIL and "503" in result.summary
    gone = good_web(monitors={**web.monitors, "health": HttpExchange("x", error="no answer within 1s")})
    assert run("http.monitor_urls", gone, monitors=monitors).status is Status.ERROR


def test_preload_needs_hsts_on_the_apex_when_www_is_canonical() -> None:
    preload = (("Strict-Transport-Security", "max-age=63072000; includeSubDomains; preload"),)
    www_home = chain(hop(f"https://{WWW}/", headers=preload))
    bare_redirect = chain(hop(f"https://{APEX}/launchready-check?probe=1", status=301,
                              location=f"https://{WWW}/launchready-check?probe=1"))
    web = good_web(canonical_host=WWW, other_host=APEX, home=www_home, https_other=bare_redirect)
    want = HstsExpectation(31536000, include_subdomains=True, preload=True)
    result = run("http.hsts", web, hsts=want, canonical_host=WWW)
    assert result.status is Status.FAIL and "the apex shop.test" in result.summary
    with_hsts = chain(hop(f"https://{APEX}/launchready-check?probe=1", status=301, headers=preload,
                          location=f"https://{WWW}/launchready-check?probe=1"))
    fixed = good_web(canonical_host=WWW, other_host=APEX, home=www_home, https_other=with_hsts)
    assert run("http.hsts", fixed, hsts=want, canonical_host=WWW).status is Status.PASS

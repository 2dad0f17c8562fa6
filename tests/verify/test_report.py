"""Renderers over a hand-built report: formats, grouping, hostile text, atomic writes."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET

import pytest

from launchready.verify.model import Status
from launchready.verify.report import by_category, category_status, clean, render
from launchready.verify.results import failed, passed, result, skipped
from launchready.verify.runner import DomainReport, VerifyReport

HOSTILE = "\x1b[31mred\x1b[0m <script>alert(1)</script> \x00\x01 | `tick`"


def sample() -> VerifyReport:
    results = (
        passed("dns.resolves", "shop.test resolves", {"shop.test": {"A": ["192.0.2.1"]}}),
        failed("http.csp", f"CSP allows {HOSTILE}", {"header": HOSTILE}, "send a CSP"),
        result("http.hsts", Status.ERROR, "could not check: timeout"),
        result("tls.expiry", Status.WARN, "expires in 10 days", {"days_left": 10}, "renew",
               target="shop.test@192.0.2.1"),
        skipped("app.auth", "needs --stack with an app section"),
        failed("dns.dnssec", "not signed", {}, "enable DNSSEC"),
    )
    domain = DomainReport("shop.test", "baseline", results, 1.25)
    return VerifyReport((domain,), 1.5, dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC),
                        {"nameservers": "system resolvers", "overrides": [], "ca_bundle": "system roots"})


def test_exit_code_gates_only_on_required_failures() -> None:
    report = sample()
    assert int(report.exit_code) == 1
    advisory_only = DomainReport("a.test", "baseline", (failed("dns.dnssec", "x", {}, "y"),
                                                       passed("dns.ns", "ok")), 0.1)
    assert int(VerifyReport((advisory_only,), 0.1, report.started_at).exit_code) == 0
    errors_only = DomainReport("a.test", "baseline", (result("dns.ns", Status.ERROR, "timeout"),), 0.1)
    assert int(VerifyReport((errors_only,), 0.1, report.started_at).exit_code) == 3


def test_grouping_keeps_catalogue_order_and_worst_status() -> None:
    groups = by_category(sample().domains[0].results)
    assert [c.value for c, _ in groups][:2] == ["DNS resolves correctly", "Security headers and cookies"]
    assert category_status(groups[0][1]) is Status.FAIL  # dns.dnssec failed (advisory)


def test_json_shape_is_exact() -> None:
    data = json.loads(render(sample(), "json"))
    assert data["duration_s"] == 1.5
    (domain,) = data["domains"]
    assert domain["summary"] == {"pass": 1, "warn": 1, "fail": 2, "error": 1, "skipped": 1}
    assert domain["checks"][3]["target"] == "shop.test@192.0.2.1"
    assert all(set(c) >= {"id", "category", "level", "status", "summary", "evidence", "fix"}
               for c in domain["checks"])


def test_junit_is_valid_xml_with_one_case_per_result() -> None:
    root = ET.fromstring(render(sample(), "junit"))
    suite = root.find("testsuite")
    assert suite is not None and suite.get("failures") == "2" and suite.get("errors") == "1"
    assert len(suite.findall("testcase")) == 6
    assert len(suite.findall("testcase/skipped")) == 1
    failure = suite.find("testcase/failure")
    assert failure is not None and "fix: send a CSP" in (failure.text or "")


@pytest.mark.parametrize("fmt", ["table", "markdown", "html", "junit", "json"])
def test_hostile_text_cannot_inject(fmt: str) -> None:
    text = render(sample(), fmt)
    assert "\x1b" not in text and "\x00" not in text and "\x01" not in text
    if fmt == "html":
        assert "<script>alert(1)</script>" not in text and "&lt;script&gt;" in text


def test_handover_reports_carry_scorecard_fixes_date_and_target() -> None:
    for fmt in ("markdown", "html"):
        text = render(sample(), fmt)
        for needle in ("shop.test", "2026-12-04 12:00 UTC", "Scorecard", "What to fix", "enable DNSSEC",
                       "Security headers and cookies", "shop.test@192.0.2.1", "system resolvers"):
            assert needle in text, (fmt, needle)


def test_clean_escapes_control_characters() -> None:
    assert clean("a\x1b[0mb\r\n") == "a\\x1b[0mb\\r\\n"
    assert clean("straße ✓") == "straße ✓"


def test_handover_lists_every_scorecard_row_and_says_which_were_not_checked() -> None:
    from launchready.verify.model import Category

    for fmt in ("markdown", "html"):
        text = render(sample(), fmt)
        for category in Category:
            assert category.value in text, (fmt, category)
        # CORS had no check in this run: the handover must say so rather than omit the row.
        end = "</tr>" if fmt == "html" else "\n"

        def row(name: str, text: str = text, end: str = end) -> str:
            start = text.index(name)
            return text[start:text.index(end, start)]

        assert "not checked in this run" in row(Category.CORS.value), fmt
        assert "not checked" not in row(Category.DNS.value), fmt

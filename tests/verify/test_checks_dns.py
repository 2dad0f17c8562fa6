"""DNS evaluators: a good set of answers, then one answer changed at a time."""

from __future__ import annotations

from dataclasses import replace

import pytest

from launchready.verify.checks_dns import CHECKS, parse_caa
from launchready.verify.dnsclient import DnsAnswer, Rcode
from launchready.verify.expectations import baseline, from_spec
from launchready.verify.model import Status
from launchready.verify.observations import DomainObservations
from tests.verify.conftest import good_spec

D = "good.test"


def ans(name: str, rdtype: str, *records: str, rcode: Rcode = Rcode.NOERROR, ad: bool = False) -> DnsAnswer:
    return DnsAnswer(name, rdtype, rcode, tuple(records), ad)


GOOD = {
    (D, "A"): ans(D, "A", "127.0.0.1"), (D, "AAAA"): ans(D, "AAAA"),
    (f"www.{D}", "A"): ans(f"www.{D}", "A", "127.0.0.1"), (f"www.{D}", "AAAA"): ans(f"www.{D}", "AAAA"),
    (D, "NS"): ans(D, "NS", "ada.ns.cloudflare.com", "bob.ns.cloudflare.com"),
    (D, "CAA"): ans(D, "CAA", *(f'0 issue "{ca}"' for ca in ("letsencrypt.org", "pki.goog", "ssl.com",
                                                             "digicert.com"))),
    (D, "DS"): ans(D, "DS", "12345 13 2 abcd"), (D, "SOA"): ans(D, "SOA", "ns1 host 1 2 3 4 5", ad=True),
    (f"status.{D}", "CNAME"): ans(f"status.{D}", "CNAME", "status-page.hosted.test"),
    ("status-page.hosted.test", "A"): ans("status-page.hosted.test", "A", "192.0.2.1"),
    ("status-page.hosted.test", "AAAA"): ans("status-page.hosted.test", "AAAA"),
}


def run(check_id: str, changes: dict[tuple[str, str], DnsAnswer] | None = None, **expect_changes: object):
    expect = replace(from_spec(good_spec(), "good"), **expect_changes)  # type: ignore[arg-type]
    absent = {(n, "CNAME"): ans(n, "CNAME", rcode=Rcode.NXDOMAIN) for n in expect.dangling_names}
    dns = {**absent, **GOOD, **(changes or {})}
    return CHECKS[check_id](DomainObservations(D, dns), expect)


@pytest.mark.parametrize("check_id", sorted(CHECKS))
def test_good_answers_pass(check_id: str) -> None:
    result = run(check_id)
    assert result.status is Status.PASS, result.summary


@pytest.mark.parametrize("check_id", sorted(CHECKS))
def test_a_timeout_is_error_never_fail(check_id: str) -> None:
    keys = [*GOOD, *((n, "CNAME") for n in from_spec(good_spec(), "good").dangling_names)]
    timeouts = {key: DnsAnswer(key[0], key[1], Rcode.TIMEOUT, error="no answer within 1s") for key in keys}
    result = run(check_id, timeouts)
    assert result.status is Status.ERROR, result.summary
    assert "could not check" in result.summary


def test_resolves() -> None:
    gone = run("dns.resolves", {(D, "A"): ans(D, "A", rcode=Rcode.NXDOMAIN),
                                (D, "AAAA"): ans(D, "AAAA", rcode=Rcode.NXDOMAIN)})
    assert gone.status is Status.FAIL and "good.test (NXDOMAIN)" in gone.summary
    assert run("dns.resolves", origin_addresses=("192.0.2.99",)).status is Status.WARN
    result = run("dns.resolves")
    assert result.evidence[D]["A"] == ["127.0.0.1"]
    assert result.summary == f"{D} resolves (1 address)"
    both = run("dns.resolves", canonical_host=f"www.{D}", origin_addresses=("127.0.0.1",))
    assert both.summary == f"{D}, www.{D} resolve (2 addresses)"


def test_ns_must_be_cloudflare_for_a_spec() -> None:
    foreign = {(D, "NS"): ans(D, "NS", "ns1.registrar.test")}
    result = run("dns.ns", foreign)
    assert result.status is Status.FAIL and "ns1.registrar.test" in result.summary
    assert run("dns.ns", foreign, cloudflare_ns=False).status is Status.PASS


def test_dangling_cname() -> None:
    gone = {("status-page.hosted.test", "A"): ans("status-page.hosted.test", "A", rcode=Rcode.NXDOMAIN),
            ("status-page.hosted.test", "AAAA"): ans("status-page.hosted.test", "AAAA", rcode=Rcode.NXDOMAIN)}
    result = run("dns.dangling", gone)
    assert result.status is Status.FAIL
    assert result.evidence["dangling"] == {f"status.{D}": "status-page.hosted.test (NXDOMAIN)"}


def test_dnssec() -> None:
    assert run("dns.dnssec", {(D, "DS"): ans(D, "DS")}).status is Status.FAIL
    assert run("dns.dnssec", {(D, "DS"): ans(D, "DS")}, dnssec=False).status is Status.PASS
    unvalidated = run("dns.dnssec", {(D, "SOA"): ans(D, "SOA", "x")})
    assert unvalidated.status is Status.WARN and "AD" in unvalidated.summary


def test_caa() -> None:
    assert parse_caa(('0 issue "letsencrypt.org"', "128 issuewild \";\"", "garbage")) == [
        (0, "issue", "letsencrypt.org"), (128, "issuewild", ";")]
    assert run("dns.caa", {(D, "CAA"): ans(D, "CAA")}).status is Status.FAIL
    only_le = {(D, "CAA"): ans(D, "CAA", '0 issue "letsencrypt.org"')}
    missing = run("dns.caa", only_le)
    assert missing.status is Status.FAIL and "pki.goog" in missing.summary
    cloudflare_extra = {(D, "CAA"): ans(D, "CAA", '0 issue "letsencrypt.org"', '0 issue "comodoca.com"',
                                        '0 issue "sectigo.com; cansignhttpexchanges=yes"')}
    assert run("dns.caa", cloudflare_extra, caa_issuers=("letsencrypt.org",)).status is Status.PASS
    stranger = {(D, "CAA"): ans(D, "CAA", '0 issue "letsencrypt.org"', '0 issue "cheap-ca.test"')}
    assert run("dns.caa", stranger, caa_issuers=("letsencrypt.org",)).status is Status.WARN
    assert run("dns.caa", stranger, caa_issuers=None).status is Status.PASS


def test_baseline_expectation_normalises_idn() -> None:
    assert baseline("Straße.TEST").domain == "xn--strae-oqa.test"
    with pytest.raises(ValueError):
        baseline("not a domain")

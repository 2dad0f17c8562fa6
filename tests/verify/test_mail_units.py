"""Offline unit tests of the mail evaluators and parsers (no sockets)."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from launchready.spec.loader import load_stack
from launchready.verify.dnsclient import DnsAnswer, Rcode
from launchready.verify.mail import EmailExpectation, check_email, dkim, dmarc, mta_sts
from launchready.verify.mail.collect import Gathered
from launchready.verify.mail.spf import SpfResult, walk
from launchready.verify.model import CheckResult, Status
from tests.verify.mail_fakes import RecordData, RecordsLookup
from tests.verify.mail_scenarios import (
    DOMAIN,
    EXPECT,
    GOOD_POLICY,
    ed25519_key,
    good_records,
    http_get_for,
    rsa_key,
)


def _run(
    records: RecordData, expect: EmailExpectation = EXPECT, policy: str = GOOD_POLICY
) -> dict[str, CheckResult]:
    return {r.id: r for r in check_email(DOMAIN, RecordsLookup(records), expect, http_get_for(policy))}


def _with(owner: str, *records: tuple[str, Any]) -> RecordData:
    data = good_records()
    data[owner] = list(records)
    return data


# --------------------------------------------------------------------------- DKIM keys


def _tiny_rsa(bits: int) -> str:
    """A public key too small for cryptography to generate; the modulus need not be a product of primes."""
    numbers = rsa.RSAPublicNumbers(65537, (1 << (bits - 1)) | 1)
    der = numbers.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


@pytest.mark.parametrize(
    ("record", "status", "summary"),
    [
        (lambda: f"v=DKIM1; k=rsa; p={_tiny_rsa(768)}", Status.FAIL, "RSA key is 768 bits (< 1024)"),
        (lambda: f"v=DKIM1; k=rsa; p={rsa_key(1024)}", Status.WARN, "RSA key is 1024 bits (< 2048)"),
        (lambda: f"v=DKIM1; k=rsa; p={rsa_key(2048)}", Status.PASS, "RSA 2048-bit key"),
        (lambda: f"p={rsa_key(2048)}", Status.PASS, "RSA 2048-bit key"),
        (lambda: f"v=DKIM1; k=ed25519; p={ed25519_key()}", Status.PASS, "ed25519 key"),
        (lambda: f"v=DKIM1; k=ed25519; p={rsa_key(2048)}", Status.FAIL, "not a 32-byte ed25519 key"),
        (lambda: f"v=DKIM1; k=rsa; t=y; p={rsa_key(2048)}", Status.WARN, "testing mode"),
        (lambda: "v=DKIM1; k=rsa; p=", Status.FAIL, "revoked"),
        (lambda: "v=DKIM1; k=rsa; p=%%%notbase64", Status.FAIL, "not valid base64"),
        (lambda: "v=DKIM1; k=rsa; p=QUJDRA==", Status.FAIL, "not hold a valid RSA public key"),
        (lambda: f"v=DKIM1; k=dsa; p={rsa_key(2048)}", Status.FAIL, "unknown key type"),
        (lambda: f"k=rsa; v=DKIM1; p={rsa_key(2048)}", Status.FAIL, "first tag"),
        (lambda: "v=DKIM1; k=rsa", Status.FAIL, "no p="),
        (lambda: "v=DKIM1; garbage; p=x", Status.FAIL, "malformed"),
    ],
)
def test_dkim_key_verdicts(record: Any, status: Status, summary: str) -> None:
    verdict = dkim.check_key(record())
    assert verdict.status is status
    assert summary in verdict.summary
    assert (verdict.fix == "") == (status is Status.PASS)


def test_dkim_pkcs1_rsa_public_key_is_accepted() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    verdict = dkim.check_key(f"v=DKIM1; p={base64.b64encode(der).decode()}")
    assert verdict.status is Status.PASS and verdict.evidence["bits"] == 2048


def test_dkim_wrong_cname_target_fails() -> None:
    records = _with(f"sel2._domainkey.{DOMAIN}", ("CNAME", "elsewhere.provider.test"))
    records["elsewhere.provider.test"] = [("TXT", f"v=DKIM1; k=ed25519; p={ed25519_key()}")]
    result = _run(records)["email.dkim"]
    assert result.status is Status.FAIL
    assert result.evidence["selectors"]["sel2"]["expected_cname"] == "sel2.dkim.provider.test"


def test_dkim_key_differing_from_spec_is_drift() -> None:
    expect = EmailExpectation(
        sends_mail=True, dkim_selectors=(dkim.DkimSelector("sel1", public_key=rsa_key(1024)),)
    )
    result = _run(good_records(), expect)["email.dkim"]
    assert result.status is Status.WARN and "differs from the spec" in result.summary


def test_dkim_worst_selector_decides_and_all_are_in_evidence() -> None:
    result = _run(_with(f"sel1._domainkey.{DOMAIN}", ("TXT", f"v=DKIM1; p={rsa_key(1024)}")))["email.dkim"]
    assert result.status is Status.WARN
    assert result.evidence["selectors"]["sel2"]["status"] == "pass"
    assert result.evidence["selectors"]["sel1"]["bits"] == 1024


# --------------------------------------------------------------------------- DMARC


@pytest.mark.parametrize(
    ("record", "errors"),
    [
        (
            "v=DMARC1; p=reject; sp=quarantine; adkim=s; aspf=r; pct=50; fo=1:d; rf=afrf; ri=86400; "
            "rua=mailto:a@example.com!10m,mailto:b@example.org; ruf=mailto:f@example.com",
            [],
        ),
        ("v=DMARC1; p=reject; np=reject; psd=n; t=n", []),
        ("v=DMARC1; rua=mailto:a@example.com", ["p= (policy) is required"]),
        ("p=reject; v=DMARC1", ["v=DMARC1 must be the first tag"]),
        ("v=DMARC1; p=reject; pct=101", ["invalid pct=101"]),
        ("v=DMARC1; p=reject; adkim=x", ["invalid adkim=x"]),
        ("v=DMARC1; p=reject; fo=2", ["invalid fo=2"]),
        ("v=DMARC1; p=reject; rf=json", ["invalid rf=json"]),
        ("v=DMARC1; p=reject; ri=soon", ["invalid ri=soon"]),
        ("v=DMARC1; p=reject; rua=reports@example.com", ["rua: 'reports@example.com' is not a mailto: URI"]),
        (
            "v=DMARC1; p=reject; ruf=https://example.com/r",
            ["ruf: 'https://example.com/r' is not a mailto: URI"],
        ),
        ("v=DMARC1; p=reject; p=none", ["p= appears twice"]),
        ("v=DMARC1; p=reject; junk", ["malformed tag 'junk'"]),
    ],
)
def test_dmarc_tag_syntax(record: str, errors: list[str]) -> None:
    assert dmarc.parse(record).errors == errors


def test_dmarc_unknown_tags_are_reported_not_failed() -> None:
    records = _with(f"_dmarc.{DOMAIN}", ("TXT", f"v=DMARC1; p=reject; rua=mailto:dmarc@{DOMAIN}; x-new=1"))
    result = _run(records)["email.dmarc"]
    assert result.status is Status.PASS and result.evidence["unknown_tags"] == ["x-new"]


@pytest.mark.parametrize(
    ("record", "status", "summary"),
    [
        (
            f"v=DMARC1; p=reject; sp=none; rua=mailto:dmarc@{DOMAIN}",
            Status.FAIL,
            "subdomain policy none is weaker than reject",
        ),
        (
            f"v=DMARC1; p=quarantine; rua=mailto:dmarc@{DOMAIN}",
            Status.FAIL,
            "p=quarantine is weaker than p=reject",
        ),
        (f"v=DMARC1; p=reject; pct=20; rua=mailto:dmarc@{DOMAIN}", Status.WARN, "20% of failing mail"),
        ("v=DMARC1; p=reject; rua=mailto:other@example.com", Status.WARN, "lacks the spec's addresses"),
        ("v=DMARC1; p=reject", Status.FAIL, "no rua"),
    ],
)
def test_dmarc_policy_against_spec(record: str, status: Status, summary: str) -> None:
    result = _run(_with(f"_dmarc.{DOMAIN}", ("TXT", record)))["email.dmarc"]
    assert result.status is status, result.summary
    assert summary in result.summary


def test_dmarc_two_records_fail_and_non_dmarc_txt_is_ignored() -> None:
    owner = f"_dmarc.{DOMAIN}"
    two = _run(_with(owner, ("TXT", "v=DMARC1; p=reject"), ("TXT", "v=DMARC1; p=none")))["email.dmarc"]
    assert two.status is Status.FAIL and "2 DMARC records" in two.summary
    other = _run(_with(owner, ("TXT", "hello"), ("TXT", f"v=DMARC1; p=reject; rua=mailto:dmarc@{DOMAIN}")))
    assert other["email.dmarc"].status is Status.PASS


# --------------------------------------------------------------------------- MTA-STS / TLS-RPT


@pytest.mark.parametrize(
    ("host", "pattern", "matches"),
    [
        ("mx1.example.com", "mx1.example.com", True),
        ("MX1.Example.com.", "mx1.example.com", True),
        ("mx1.example.com", "*.example.com", True),
        ("a.b.example.com", "*.example.com", False),
        ("example.com", "*.example.com", False),
        ("mx1.example.org", "*.example.com", False),
    ],
)
def test_mta_sts_mx_patterns(host: str, pattern: str, matches: bool) -> None:
    assert mta_sts.mx_matches(host, pattern) is matches


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("mode: enforce\nmx: a.test\nmax_age: 86400\n", "version: STSv1 is required"),
        ("version: STSv1\nmode: strict\nmx: a.test\nmax_age: 86400\n", "mode must be"),
        ("version: STSv1\nmode: enforce\nmax_age: 86400\n", "at least one mx"),
        ("version: STSv1\nmode: enforce\nmx: a.test\nmax_age: 99999999\n", "max_age must be"),
        ("version: STSv1\nmode: enforce\nmx: a.test\nmax_age: 86400\nnonsense\n", "malformed line"),
    ],
)
def test_mta_sts_policy_syntax(body: str, error: str) -> None:
    assert any(error in e for e in mta_sts.parse_policy(body).errors)


@pytest.mark.parametrize(
    ("txt", "policy", "status", "summary"),
    [
        (
            "v=STSv1; id=20261204",
            GOOD_POLICY.replace("enforce", "testing"),
            Status.FAIL,
            "spec asks for enforce",
        ),
        ("v=STSv1;", GOOD_POLICY, Status.FAIL, "valid id="),
        ("v=STSv1; id=20261204", "version: STSv1\nmode: enforce\n", Status.FAIL, "invalid MTA-STS policy"),
        ("v=STSv1; id=20261204", GOOD_POLICY.replace("604800", "3600"), Status.WARN, "under a day"),
    ],
)
def test_mta_sts_evaluation(txt: str, policy: str, status: Status, summary: str) -> None:
    result = _run(_with(f"_mta-sts.{DOMAIN}", ("TXT", txt)), policy=policy)["email.mta_sts"]
    assert result.status is status, result.summary
    assert summary in result.summary


def test_mta_sts_http_error_status_fails() -> None:
    def not_found(url: str) -> tuple[int, str]:
        return (404, "no such file")

    results = {r.id: r for r in check_email(DOMAIN, RecordsLookup(good_records()), EXPECT, not_found)}
    assert results["email.mta_sts"].status is Status.FAIL
    assert results["email.mta_sts"].evidence["http_status"] == 404


def test_mta_sts_fetch_that_raises_is_an_error_not_a_crash() -> None:
    def broken(url: str) -> tuple[int, str]:
        raise TimeoutError("read timed out after 2s")

    results = {r.id: r for r in check_email(DOMAIN, RecordsLookup(good_records()), EXPECT, broken)}
    assert results["email.mta_sts"].status is Status.ERROR
    assert "read timed out" in results["email.mta_sts"].summary


def test_mta_sts_and_tls_rpt_absent_on_a_bare_domain_warn() -> None:
    records = good_records()
    del records[f"_mta-sts.{DOMAIN}"], records[f"_smtp._tls.{DOMAIN}"]
    results = _run(records, EmailExpectation.baseline())
    assert results["email.mta_sts"].status is Status.WARN
    assert results["email.tls_rpt"].status is Status.WARN


def test_tls_rpt_bad_destination_fails() -> None:
    result = _run(_with(f"_smtp._tls.{DOMAIN}", ("TXT", "v=TLSRPTv1; rua=ftp://x.test")))["email.tls_rpt"]
    assert result.status is Status.FAIL and "not a mailto: or https: URI" in result.summary


# --------------------------------------------------------------------------- SPF analyser


@pytest.mark.parametrize(
    ("record", "status", "summary"),
    [
        ("v=spf1 include:_spf.provider.test ~all", Status.WARN, "spec asks for -all"),
        ("v=spf1 include:_spf.provider.test ?all", Status.FAIL, "?all"),
        ("v=spf1 include:_spf.provider.test", Status.WARN, "no all term"),
        ("v=spf1 include:_spf.provider.test ptr -all", Status.WARN, "ptr"),
        ("v=spf1 redirect=_spf.provider.test", Status.WARN, "no all term"),
        (
            "v=spf1 include:_spf.provider.test include:nospf.provider.test -all",
            Status.FAIL,
            "include:nospf.provider.test has no SPF record",
        ),
        ("v=spf1 include:_spf.provider.test ip4:300.1.1.1 -all", Status.FAIL, "invalid ip4 network"),
        ("v=spf1 include:_spf.provider.test exists:%{i}.rbl.provider.test -all", Status.PASS, "3/10"),
        ("v=spf1 include:_spf.provider.test\u00a0-all", Status.FAIL, "non-ASCII"),
    ],
)
def test_spf_record_analysis(record: str, status: Status, summary: str) -> None:
    records = _with(DOMAIN, ("MX", f"10 mx1.{DOMAIN}"), ("MX", f"20 mx2.{DOMAIN}"), ("TXT", record))
    records["nospf.provider.test"] = [("TXT", "not spf")]
    result = _run(records)["email.spf"]
    assert result.status is status, result.summary
    assert summary in result.summary


def test_spf_ip_dependent_terms_are_counted_but_not_queried() -> None:
    records = _with(DOMAIN, ("TXT", "v=spf1 exists:%{i}.rbl.provider.test -all"))
    lookup = RecordsLookup(records)
    outcome = walk(DOMAIN, lookup)
    assert outcome.result is SpfResult.FAIL
    assert outcome.lookups == 1 and outcome.unevaluated == ("exists:%{i}.rbl.provider.test",)
    assert not any("rbl" in name for name, _ in lookup.queries)


def test_spf_missing_record_fails_and_dns_failure_errors() -> None:
    missing = _run(_with(DOMAIN, ("MX", f"10 mx1.{DOMAIN}"), ("TXT", "hello")))["email.spf"]
    assert missing.status is Status.FAIL and "no SPF record" in missing.summary
    store = Gathered(DOMAIN)
    store.dns[(DOMAIN, "TXT")] = DnsAnswer(DOMAIN, "TXT", Rcode.SERVFAIL)
    from launchready.verify.mail import spf

    failed = spf.evaluate(store, EXPECT)
    assert failed.status is Status.ERROR and "SERVFAIL" in failed.summary


def test_evaluation_is_pure_over_a_snapshot() -> None:
    """The collect phase's store is all the evaluators read: evaluate twice, same answers, no lookups."""
    from concurrent.futures import ThreadPoolExecutor

    from launchready.verify.mail import collect_email, evaluate_email

    lookup = RecordsLookup(good_records())
    with ThreadPoolExecutor(4) as pool:
        gathered = collect_email(DOMAIN, lookup, EXPECT, http_get_for(GOOD_POLICY), pool)
    asked = len(lookup.queries)
    first = evaluate_email(gathered, EXPECT)
    assert evaluate_email(gathered, EXPECT) == first
    assert len(lookup.queries) == asked
    assert len(set(lookup.queries)) == asked  # nothing asked twice


def test_collect_deadline_turns_stuck_lookups_into_errors() -> None:
    import threading

    release = threading.Event()

    class Stuck(RecordsLookup):
        def query(self, name: str, rdtype: str) -> DnsAnswer:
            if name.startswith("_dmarc"):
                release.wait(5)
            return super().query(name, rdtype)

    try:
        results = {
            r.id: r
            for r in check_email(
                DOMAIN, Stuck(good_records()), EXPECT, http_get_for(GOOD_POLICY), deadline=0.3
            )
        }
    finally:
        release.set()
    assert results["email.dmarc"].status is Status.ERROR
    assert "no answer before the deadline (0.30s)" in results["email.dmarc"].summary
    assert results["email.spf"].status is Status.PASS


# --------------------------------------------------------------------------- expectations


def test_expectation_from_the_example_stack(stacks_dir: Any) -> None:
    spec = load_stack("example", stacks_dir)
    expect = EmailExpectation.from_spec(spec)
    assert expect.sends_mail is True
    assert expect.mx_hosts == ("smtp.google.com",)
    assert expect.spf_includes == ("_spf.google.com", "sendgrid.net")
    assert [s.selector for s in expect.dkim_selectors] == ["google"]
    assert (expect.dmarc_policy, expect.dmarc_subdomain_policy) == ("reject", "reject")
    assert expect.dmarc_rua == ("mailto:dmarc-reports@example.com",)
    assert expect.mta_sts is True and expect.mta_sts_mode == "enforce"
    assert expect.tls_rpt is True and expect.tls_rpt_rua == ("mailto:tls-reports@example.com",)


def test_baseline_expectation() -> None:
    expect = EmailExpectation.baseline()
    assert expect.sends_mail is None and expect.dkim_selectors == ()
    assert expect.dmarc_policy == "quarantine" and expect.dmarc_rua_required
    assert [s.selector for s in EmailExpectation.baseline(("s1",)).dkim_selectors] == ["s1"]


@pytest.mark.parametrize(
    ("raw", "valid"),
    [
        ("%{d}", True),
        ("x.%{d}", True),
        ("foo%%", True),
        ("%{d}.com", True),
        ("foo.example.xn--zckzah", True),
        ("foo.com}", False),
        ("foo%%_", False),
        ("%{d}com", False),
        ("museum", False),
        ("abc.123", False),
        ("", False),
    ],
)
def test_spf_domain_spec_must_end_in_a_macro_or_a_toplabel(raw: str, valid: bool) -> None:
    from launchready.verify.mail.spf import PermError, parse_domain_spec

    if valid:
        parse_domain_spec(raw)
    else:
        with pytest.raises(PermError):
            parse_domain_spec(raw)


def test_dmarc_external_rua_needs_the_receivers_consent() -> None:
    records = _with(
        f"_dmarc.{DOMAIN}", ("TXT", "v=DMARC1; p=reject; rua=mailto:r@reports.example, mailto:x@ok.example")
    )
    records[f"{DOMAIN}._report._dmarc.ok.example"] = [("TXT", "v=DMARC1")]
    records["reports.example"] = [("A", "127.0.0.1")]
    expect = EmailExpectation(sends_mail=True, dmarc_policy="reject")
    result = _run(records, expect)["email.dmarc"]
    assert result.status is Status.WARN
    assert result.evidence["unauthorised_rua_domains"] == ["reports.example"]
    records[f"{DOMAIN}._report._dmarc.reports.example"] = [("TXT", "v=DMARC1")]
    assert _run(records, expect)["email.dmarc"].status is Status.PASS

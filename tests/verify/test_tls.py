"""TLS checks through real handshakes on loopback: each badssl-style scenario is classified."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import replace

import pytest

from launchready.testbed.scenarios import SCENARIOS, BadSsl
from launchready.verify.model import Status
from launchready.verify.tls import (
    CertificateInfo,
    ProtocolProbe,
    TlsObservation,
    collect_tls,
    evaluate_tls,
    hostname_matches,
)

TLS_SCENARIOS = [s for s in SCENARIOS if s.check.startswith("tls.")]


@pytest.fixture(scope="module")
def badssl():
    with BadSsl() as bed:
        yield bed


def observe(bed: BadSsl, name: str) -> TlsObservation:
    host, address, port = bed.endpoint(name)
    return collect_tls(host, address, port, timeout=3, ca_bundle=bed.ca_bundle)


def by_id(obs: TlsObservation) -> dict[str, object]:
    return {r.id: r for r in evaluate_tls(obs)}


@pytest.mark.integration
def test_good_site_passes_all_four(badssl: BadSsl) -> None:
    obs = observe(badssl, "good")
    results = evaluate_tls(obs)
    assert [r.id for r in results] == ["tls.certificate", "tls.expiry", "tls.protocols", "tls.tls13"]
    assert {r.id: r.status for r in results} == dict.fromkeys(
        ("tls.certificate", "tls.expiry", "tls.protocols", "tls.tls13"), Status.PASS)
    assert all(r.target == f"good.badssl.test@127.0.0.1:{obs.port}" for r in results)
    assert obs.leaf is not None and obs.leaf.key_type == "RSA" and obs.leaf.key_bits == 2048
    assert "intermediate" in obs.chain_sent[1].subject
    assert {p.version: p.offered for p in obs.probes} == {
        "1.0": False, "1.1": False, "1.2": True, "1.3": True}


@pytest.mark.integration
@pytest.mark.parametrize("scenario", TLS_SCENARIOS, ids=lambda s: s.name)
def test_scenario_is_classified(badssl: BadSsl, scenario) -> None:
    results = {r.id: r for r in evaluate_tls(observe(badssl, scenario.name))}
    verdict = results[scenario.check]
    expected = Status.WARN if scenario.name in ("short-lived", "tls-v1-2") else Status.FAIL
    assert verdict.status is expected, verdict
    text = verdict.summary + " " + repr(dict(verdict.evidence))
    assert scenario.cause in text
    assert verdict.fix
    # Only the scenario's own check is unhappy; the others pass.
    for check_id, other in results.items():
        if check_id != scenario.check:
            assert other.status is Status.PASS, (check_id, other)


@pytest.mark.integration
def test_expired_evidence_names_the_cause_and_dates(badssl: BadSsl) -> None:
    verdict = by_id(observe(badssl, "expired"))["tls.expiry"]
    assert verdict.evidence["error"] == "certificate has expired"
    assert dt.datetime.fromisoformat(verdict.evidence["not_after"]) < dt.datetime.now(dt.UTC)
    assert verdict.evidence["days_left"] < 0


@pytest.mark.integration
def test_legacy_probe_details(badssl: BadSsl) -> None:
    obs = observe(badssl, "tls-v1-0")
    offered = {p.version: p.offered for p in obs.probes}
    assert offered == {"1.0": True, "1.1": True, "1.2": True, "1.3": True}
    only_11 = {p.version: p.offered for p in observe(badssl, "tls-v1-1").probes}
    assert only_11["1.0"] is False and only_11["1.1"] is True


@pytest.mark.integration
def test_untrusted_root_passes_when_its_root_is_the_bundle(badssl: BadSsl) -> None:
    host, address, port = badssl.endpoint("untrusted-root")
    obs = collect_tls(host, address, port, timeout=3, ca_bundle=str(badssl.untrusted.root_path))
    assert by_id(obs)["tls.certificate"].status is Status.PASS


@pytest.mark.integration
def test_refused_and_silent_servers_are_errors_not_failures(badssl: BadSsl) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    refused = evaluate_tls(collect_tls("x.test", "127.0.0.1", closed_port, timeout=1))
    assert {r.status for r in refused} == {Status.ERROR}
    assert "connection refused" in refused[0].summary
    start = time.monotonic()
    silent = evaluate_tls(collect_tls("x.test", badssl.silent.host, badssl.silent.port, timeout=0.5))
    assert time.monotonic() - start < 2
    assert {r.status for r in silent} == {Status.ERROR}
    assert "timed out after 0.5s" in silent[0].evidence["error"]


@pytest.mark.integration
def test_a_version_this_openssl_cannot_try_is_an_error_not_a_pass(badssl: BadSsl, monkeypatch) -> None:
    from launchready.verify import tls

    monkeypatch.setitem(tls._COMPILED_IN, "1.0", False)
    obs = observe(badssl, "good")
    probe = next(p for p in obs.probes if p.version == "1.0")
    assert probe.offered is None and "cannot speak TLS 1.0" in probe.detail
    verdict = by_id(obs)["tls.protocols"]
    assert verdict.status is Status.ERROR and "could not test TLS 1.0" in verdict.summary


@pytest.mark.integration
def test_plain_http_port_is_an_error(badssl: BadSsl) -> None:
    server = badssl.servers["modern"]
    obs = collect_tls("good.badssl.test", server.host, server.http_port, timeout=2)
    assert obs.error is not None and "TLS handshake failed" in obs.error
    assert {r.status for r in evaluate_tls(obs)} == {Status.ERROR}


@pytest.mark.integration
def test_ipv6_loopback(badssl: BadSsl) -> None:
    from launchready.testbed.web import Site, WebServer

    cert = badssl.ca.issue(["v6.badssl.test"])
    with WebServer([Site("v6.badssl.test", cert)], host="::1") as server:
        obs = collect_tls("v6.badssl.test", "::1", server.https_port, timeout=2,
                          ca_bundle=badssl.ca_bundle)
    assert {r.status for r in evaluate_tls(obs)} == {Status.PASS}
    assert obs.target == f"v6.badssl.test@[::1]:{server.https_port}"


# --------------------------------------------------------------------------- pure evaluators

NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


BASE_LEAF = CertificateInfo(
    subject="CN=www.example.com", issuer="CN=CA", sans=("www.example.com",),
    not_before=NOW - dt.timedelta(days=30), not_after=NOW + dt.timedelta(days=60),
    key_type="RSA", key_bits=2048, signature_hash="sha256", self_signed=False, sha256="00")
GOOD_PROBES = (ProtocolProbe("1.0", False), ProtocolProbe("1.1", False), ProtocolProbe("1.2", True),
               ProtocolProbe("1.3", True))


def leaf(**changes: object) -> CertificateInfo:
    return replace(BASE_LEAF, **changes)


def obs_with(cert: CertificateInfo | None = None, **changes: object) -> TlsObservation:
    cert = cert or BASE_LEAF
    base = TlsObservation("www.example.com", "192.0.2.1", 443, leaf=cert, chain_sent=(cert,),
                          verified=True, probes=GOOD_PROBES)
    return replace(base, **changes)


def test_expiry_thresholds() -> None:
    from launchready.verify.tls import evaluate_expiry

    def status(days: float) -> Status:
        return evaluate_expiry(obs_with(leaf(not_after=NOW + dt.timedelta(days=days))), NOW).status

    assert status(60) is Status.PASS
    assert status(21.5) is Status.PASS
    assert status(20) is Status.WARN
    assert status(-0.1) is Status.FAIL
    future = evaluate_expiry(obs_with(leaf(not_before=NOW + dt.timedelta(hours=1))), NOW)
    assert future.status is Status.FAIL and future.evidence["error"] == "certificate is not yet valid"


def test_hostname_matching_rules() -> None:
    assert hostname_matches("www.example.com", ("WWW.example.com",))
    assert hostname_matches("a.example.com", ("*.example.com",))
    assert not hostname_matches("a.b.example.com", ("*.example.com",))
    assert not hostname_matches("example.com", ("*.example.com",))
    assert not hostname_matches("example.com", ("*.com",))
    assert hostname_matches("192.0.2.1", ("192.0.2.1",))
    assert not hostname_matches("192.0.2.1", ("*.0.2.1",))


def test_key_and_hash_rules() -> None:
    from launchready.verify.tls import evaluate_certificate

    assert evaluate_certificate(obs_with(leaf(key_type="EC", key_bits=256))).status is Status.PASS
    assert evaluate_certificate(obs_with(leaf(key_type="EC", key_bits=224))).status is Status.FAIL
    assert evaluate_certificate(obs_with(leaf(key_type="RSA", key_bits=4096))).status is Status.PASS
    md5 = evaluate_certificate(obs_with(leaf(signature_hash="md5")))
    assert md5.status is Status.FAIL and "md5" in md5.summary
    no_san = evaluate_certificate(obs_with(leaf(sans=())))
    assert no_san.status is Status.FAIL and "subjectAltName" in no_san.summary


def test_weak_intermediate_is_not_a_silent_pass() -> None:
    from launchready.verify.tls import evaluate_certificate

    result = evaluate_certificate(obs_with(verified=False,
                                           verify_error="CA signature digest algorithm too weak"))
    assert result.status is Status.FAIL and "too weak" in result.summary


def test_unverifiable_chain_is_an_error() -> None:
    from launchready.verify.tls import evaluate_certificate

    result = evaluate_certificate(obs_with(verified=None, verify_error="timed out after 1s"))
    assert result.status is Status.ERROR


def test_untestable_legacy_versions_are_not_a_pass() -> None:
    from launchready.verify.tls import evaluate_protocols

    probes = (ProtocolProbe("1.0", None, "this machine's OpenSSL cannot offer TLS 1.0"),
              ProtocolProbe("1.1", False), ProtocolProbe("1.2", True), ProtocolProbe("1.3", True))
    result = evaluate_protocols(obs_with(probes=probes))
    assert result.status is Status.ERROR
    assert "cannot offer TLS 1.0" in result.evidence["error"]
    no12 = (ProtocolProbe("1.0", False), ProtocolProbe("1.1", False), ProtocolProbe("1.2", False),
            ProtocolProbe("1.3", True))
    assert evaluate_protocols(obs_with(probes=no12)).evidence["error"] == "TLS 1.2 not offered"

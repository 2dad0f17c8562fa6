"""The local CA issues certificates strict validators accept, and bad ones on purpose."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from launchready.testbed.ca import LocalCA


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> LocalCA:
    return LocalCA(tmp_path_factory.mktemp("ca"))


def chain_of(path: Path) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(path.read_bytes())


def verify(ca: LocalCA, leaf: x509.Certificate, host: str,
           intermediates: list[x509.Certificate]) -> list[x509.Certificate]:
    verifier = (PolicyBuilder().store(Store([ca.root_cert]))
                .build_server_verifier(x509.DNSName(host)))
    return verifier.verify(leaf, intermediates)


def test_good_leaf_passes_cryptography_strict_verifier(ca: LocalCA) -> None:
    issued = ca.issue(["www.example.com", "example.com"])
    leaf, *rest = chain_of(issued.chain_path)
    assert len(rest) == 1 and rest[0] == ca.intermediate_cert
    built = verify(ca, leaf, "example.com", rest)
    assert [c.subject for c in built] == [leaf.subject, rest[0].subject, ca.root_cert.subject]
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert not san.critical
    assert san.value.get_values_for_type(x509.DNSName) == ["www.example.com", "example.com"]
    assert chain_of(issued.leaf_path) == [leaf]
    assert issued.key_path.stat().st_mode & 0o077 == 0


def test_incomplete_chain_and_wrong_host_fail_verification(ca: LocalCA) -> None:
    issued = ca.issue(["www.example.com"])
    leaf = issued.certificate
    with pytest.raises(VerificationError):
        verify(ca, leaf, "www.example.com", [])
    with pytest.raises(VerificationError):
        verify(ca, leaf, "wrong.example.com", [ca.intermediate_cert])


def test_untrusted_root_and_self_signed(ca: LocalCA, tmp_path: Path) -> None:
    other = LocalCA(tmp_path, "some other root")
    foreign = other.issue(["www.example.com"])
    with pytest.raises(VerificationError):
        verify(ca, foreign.certificate, "www.example.com", [other.intermediate_cert])
    selfie = ca.issue(["www.example.com"], self_signed=True)
    assert selfie.certificate.issuer == selfie.certificate.subject
    assert chain_of(selfie.chain_path) == [selfie.certificate]


@pytest.mark.parametrize(("validity", "start", "end"), [
    ("expired", -60, -1), ("not_yet_valid", 1, 91), ("short_lived", -1, 10)])
def test_validity_windows(ca: LocalCA, validity: str, start: int, end: int) -> None:
    cert = ca.issue(["www.example.com"], validity=validity).certificate  # type: ignore[arg-type]
    now = dt.datetime.now(dt.UTC)
    assert abs((cert.not_valid_before_utc - now).days - start) <= 1
    assert abs((cert.not_valid_after_utc - now).days - end) <= 1


def test_weak_key_sha1_and_ec(ca: LocalCA) -> None:
    weak = ca.issue(["weak.example.com"], key="rsa1024", digest="sha1").certificate
    key = weak.public_key()
    assert isinstance(key, rsa.RSAPublicKey) and key.key_size == 1024
    assert isinstance(weak.signature_hash_algorithm, hashes.SHA1)
    # The hand-made SHA-1 signature is a real signature by the intermediate.
    issuer_key = ca.intermediate_cert.public_key()
    assert isinstance(issuer_key, rsa.RSAPublicKey)
    issuer_key.verify(weak.signature, weak.tbs_certificate_bytes, padding.PKCS1v15(),
                      hashes.SHA1())
    ec_cert = ca.issue(["ec.example.com"], key="ec256").certificate
    ec_key = ec_cert.public_key()
    assert isinstance(ec_key, ec.EllipticCurvePublicKey) and ec_key.curve.key_size == 256


def test_no_names_is_an_error(ca: LocalCA) -> None:
    with pytest.raises(ValueError):
        ca.issue([])

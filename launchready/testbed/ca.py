"""A local certificate authority for loopback HTTPS, built with ``cryptography``.

Certificates follow RFC 5280 closely enough for strict validators (OpenSSL, cryptography's
verifier, sslyze): CN plus a non-critical subjectAltName, BasicConstraints, KeyUsage, EKU
serverAuth, AKI/SKI. (trustme marks SAN critical beside a non-empty subject, which strict
validators reject, hence this module.)

Bad certificates are made on purpose for badssl.com-style scenarios: expired, not yet valid,
short-lived, weak key (RSA 1024), SHA-1 signature, self-signed, issued by an untrusted root
(a second ``LocalCA``), or served without the intermediate (``IssuedCert.leaf_path``).

Key generation is the slow part on small machines, so keys are cached per process by slot:
every leaf of one key kind shares a key, every CA role has its own.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import itertools
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

KeyKind = Literal["rsa2048", "rsa1024", "rsa4096", "ec256", "ec384"]
SignatureHash = Literal["sha256", "sha384", "sha1"]
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
Validity = Literal["valid", "expired", "not_yet_valid", "short_lived"]

VALIDITY: dict[Validity, tuple[int, int]] = {
    "valid": (-1, 90),
    "expired": (-60, -1),
    "not_yet_valid": (1, 91),
    "short_lived": (-1, 10),
}
"""Validity windows as (not_before, not_after) in days from now."""

_KEYS: dict[tuple[KeyKind, str], PrivateKey] = {}
_KEYS_LOCK = threading.Lock()
_SERIALS = itertools.count(1000)
_SHA256_RSA_OID = bytes.fromhex("2a864886f70d01010b")  # sha256WithRSAEncryption
_SHA1_RSA_OID = bytes.fromhex("2a864886f70d010105")  # sha1WithRSAEncryption


def cached_key(kind: KeyKind, slot: str) -> PrivateKey:
    """The process-wide key for ``(kind, slot)``; generated once."""
    with _KEYS_LOCK:
        key = _KEYS.get((kind, slot))
        if key is None:
            if kind.startswith("rsa"):
                key = rsa.generate_private_key(public_exponent=65537, key_size=int(kind[3:]))
            else:
                key = ec.generate_private_key(ec.SECP256R1() if kind == "ec256" else ec.SECP384R1())
            _KEYS[(kind, slot)] = key
        return key


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _name(common_name: str, organisation: str = "launchready testbed") -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64]),
    ])


def _general_name(value: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(value))
    except ValueError:
        return x509.DNSName(value)


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _sign(builder: x509.CertificateBuilder, issuer_key: PrivateKey,
          digest: SignatureHash) -> x509.Certificate:
    if digest != "sha1":
        return builder.sign(issuer_key, hashes.SHA384() if digest == "sha384" else hashes.SHA256())
    if not isinstance(issuer_key, rsa.RSAPrivateKey):
        raise ValueError("SHA-1 signatures are only made with an RSA issuer key")
    # cryptography refuses to sign certificates with SHA-1; sign with SHA-256, then swap the
    # algorithm OID (same length) and the signature (same length) in the DER by hand.
    draft = builder.sign(issuer_key, hashes.SHA256())
    der = draft.public_bytes(serialization.Encoding.DER)
    tbs = draft.tbs_certificate_bytes.replace(_SHA256_RSA_OID, _SHA1_RSA_OID, 1)
    signature = issuer_key.sign(tbs, padding.PKCS1v15(), hashes.SHA1())
    der = der.replace(draft.tbs_certificate_bytes, tbs, 1)
    der = der.replace(_SHA256_RSA_OID, _SHA1_RSA_OID, 1)
    der = der.replace(draft.signature, signature, 1)
    return x509.load_der_x509_certificate(der)


def _ski(key: PrivateKey) -> x509.SubjectKeyIdentifier:
    return x509.SubjectKeyIdentifier.from_public_key(key.public_key())


def _aki(key: PrivateKey) -> x509.AuthorityKeyIdentifier:
    return x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key())


def _ca_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                         crl_sign=True, encipher_only=False, decipher_only=False)


def _leaf_key_usage(key: PrivateKey) -> x509.KeyUsage:
    is_rsa = isinstance(key, rsa.RSAPrivateKey)
    return x509.KeyUsage(digital_signature=True, content_commitment=False,
                         key_encipherment=is_rsa, data_encipherment=False, key_agreement=False,
                         key_cert_sign=False, crl_sign=False, encipher_only=False,
                         decipher_only=False)


@dataclass(frozen=True, slots=True)
class IssuedCert:
    """PEM files for one server certificate."""

    chain_path: Path
    """Leaf followed by the intermediate (what a correctly configured server sends)."""
    leaf_path: Path
    """Leaf alone (an "incomplete chain" server sends only this)."""
    key_path: Path
    certificate: x509.Certificate
    names: tuple[str, ...]

    @property
    def not_after(self) -> dt.datetime:
        return self.certificate.not_valid_after_utc


class LocalCA:
    """A root (and by default an intermediate) that issues leaf certificates into ``directory``.

    ``root_path`` is the bundle a client trusts (``--ca-bundle``). A second ``LocalCA`` with
    another ``name`` is an "untrusted root" for clients that trust only the first.
    """

    def __init__(self, directory: Path, name: str = "launchready test root", *,
                 intermediate: bool = True) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.name = name
        self._stem = "".join(c if c.isalnum() else "-" for c in name.lower())
        self._counter = itertools.count(1)
        now = _now()
        self.root_key = cached_key("rsa2048", f"{name}/root")
        root_subject = _name(name)
        self.root_cert = (
            x509.CertificateBuilder()
            .subject_name(root_subject).issuer_name(root_subject)
            .public_key(self.root_key.public_key())
            .serial_number(next(_SERIALS))
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(_ca_key_usage(), critical=True)
            .add_extension(_ski(self.root_key), critical=False)
            .sign(self.root_key, hashes.SHA256())
        )
        self.root_path = self.directory / f"{self._stem}-root.pem"
        self.root_path.write_bytes(_pem(self.root_cert))
        self.issuer_key: PrivateKey = self.root_key
        self.issuer_cert = self.root_cert
        self.intermediate_cert: x509.Certificate | None = None
        if intermediate:
            key = cached_key("rsa2048", f"{name}/intermediate")
            self.intermediate_cert = (
                x509.CertificateBuilder()
                .subject_name(_name(f"{name} intermediate")).issuer_name(root_subject)
                .public_key(key.public_key())
                .serial_number(next(_SERIALS))
                .not_valid_before(now - dt.timedelta(days=1))
                .not_valid_after(now + dt.timedelta(days=1825))
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                .add_extension(_ca_key_usage(), critical=True)
                .add_extension(_ski(key), critical=False)
                .add_extension(_aki(self.root_key), critical=False)
                .sign(self.root_key, hashes.SHA256())
            )
            self.issuer_key, self.issuer_cert = key, self.intermediate_cert

    def issue(
        self,
        names: list[str] | tuple[str, ...],
        *,
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
        validity: Validity = "valid",
        key: KeyKind = "rsa2048",
        digest: SignatureHash = "sha256",
        self_signed: bool = False,
        stem: str | None = None,
    ) -> IssuedCert:
        """A server certificate for ``names`` (DNS names or IP addresses).

        ``validity`` picks a window (see ``VALIDITY``); ``not_before``/``not_after`` override
        it. ``self_signed`` signs the leaf with its own key instead of the CA's.
        """
        if not names:
            raise ValueError("a certificate needs at least one name")
        now = _now()
        start_offset, end_offset = VALIDITY[validity]
        start = not_before or now + dt.timedelta(days=start_offset)
        end = not_after or now + dt.timedelta(days=end_offset)
        leaf_key = cached_key(key, "self-signed" if self_signed else "leaf")
        subject = _name(names[0])
        signer_key = leaf_key if self_signed else self.issuer_key
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject if self_signed else self.issuer_cert.subject)
            .public_key(leaf_key.public_key())
            .serial_number(next(_SERIALS))
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_leaf_key_usage(leaf_key), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectAlternativeName([_general_name(n) for n in names]),
                           critical=False)
            .add_extension(_ski(leaf_key), critical=False)
            .add_extension(_aki(signer_key), critical=False)
        )
        cert = _sign(builder, signer_key, digest)
        label = stem or names[0].replace("*", "wildcard")
        base = self.directory / f"{self._stem}-{label}-{next(self._counter)}"
        leaf_path = base.with_name(base.name + "-leaf.pem")
        chain_path = base.with_name(base.name + "-chain.pem")
        key_path = base.with_name(base.name + "-key.pem")
        leaf_path.write_bytes(_pem(cert))
        chain = _pem(cert)
        if self.intermediate_cert is not None and not self_signed:
            chain += _pem(self.intermediate_cert)
        chain_path.write_bytes(chain)
        key_path.write_bytes(leaf_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
        key_path.chmod(0o600)
        return IssuedCert(chain_path=chain_path, leaf_path=leaf_path, key_path=key_path,
                          certificate=cert, names=tuple(names))

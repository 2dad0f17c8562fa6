"""TLS checks for one (host, address, port): collect with real handshakes, evaluate purely.

Collect (``collect_tls``) makes, with a timeout each:
- one lenient handshake (no verification, any version, ``@SECLEVEL=0``) to see what the server
  sends even when it is broken: the leaf, the chain as sent, version and cipher;
- one verifying handshake against the system roots or ``--ca-bundle`` with host name and time
  checks off, so the chain verdict and its OpenSSL message are about the chain alone (time is
  ``tls.expiry``'s job, the host name is matched against the SANs by ``tls.certificate``);
- one probe per protocol version (min = max), concurrently.

Python's ``ssl`` does no AIA fetching, so a server that omits its intermediate fails the chain
check here even when a browser would patch it up; the evidence says so.

Evaluate (``evaluate_tls``) is pure: it only reads the ``TlsObservation``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import socket
import ssl
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

from launchready.verify.model import CheckResult, Status
from launchready.verify.results import result

PROTOCOLS: dict[str, ssl.TLSVersion] = {
    "1.0": ssl.TLSVersion.TLSv1,
    "1.1": ssl.TLSVersion.TLSv1_1,
    "1.2": ssl.TLSVersion.TLSv1_2,
    "1.3": ssl.TLSVersion.TLSv1_3,
}
_COMPILED_IN = {"1.0": ssl.HAS_TLSv1, "1.1": ssl.HAS_TLSv1_1, "1.2": ssl.HAS_TLSv1_2,
                "1.3": ssl.HAS_TLSv1_3}
_LENIENT_CIPHERS = "DEFAULT:@SECLEVEL=0"
_NO_CHECK_TIME = 0x200000  # X509_V_FLAG_NO_CHECK_TIME: the chain verdict ignores dates
EXPIRY_WARN_DAYS = 21
MIN_RSA_BITS = 2048
MIN_EC_BITS = 256
WEAK_HASHES = frozenset({"sha1", "md5", "md2", "md4"})
_LOCAL_REFUSALS = ("NO_PROTOCOLS_AVAILABLE", "NO_CIPHERS_AVAILABLE", "NO_SUITABLE_SIGNATURE_ALGORITHM")
_SERVER_REFUSALS = ("PROTOCOL_VERSION", "UNSUPPORTED_PROTOCOL", "WRONG_VERSION_NUMBER",
                    "HANDSHAKE_FAILURE", "NO_SHARED_CIPHER", "INAPPROPRIATE_FALLBACK",
                    "VERSION_TOO_LOW", "VERSION_TOO_HIGH")


# --------------------------------------------------------------------------- observations


@dataclass(frozen=True, slots=True)
class CertificateInfo:
    """What the checks need from one certificate, parsed with ``cryptography``."""

    subject: str
    issuer: str
    sans: tuple[str, ...]
    """DNS names and IP addresses from subjectAltName, in order."""
    not_before: dt.datetime
    not_after: dt.datetime
    key_type: str
    """``RSA``, ``EC``, ``Ed25519``, ``Ed448``, ``DSA`` or ``unknown``."""
    key_bits: int
    signature_hash: str | None
    """``sha256``, ``sha1``, ... ; None for algorithms without a separate hash (Ed25519)."""
    self_signed: bool
    sha256: str

    def to_evidence(self) -> dict[str, Any]:
        return {
            "subject": self.subject, "issuer": self.issuer, "sans": list(self.sans),
            "not_before": self.not_before.isoformat(), "not_after": self.not_after.isoformat(),
            "key": f"{self.key_type} {self.key_bits}", "signature_hash": self.signature_hash,
            "sha256": self.sha256,
        }


@dataclass(frozen=True, slots=True)
class ProtocolProbe:
    version: str
    """``1.0`` .. ``1.3``."""
    offered: bool | None
    """None when the probe could not be made (local OpenSSL, timeout, network)."""
    detail: str = ""
    """The handshake error that made the verdict, or why it could not be made."""


@dataclass(frozen=True, slots=True)
class TlsObservation:
    host: str
    address: str
    port: int
    error: str | None = None
    """Could not get a handshake at all (refused, timeout, not TLS): every check is ``error``."""
    version: str | None = None
    cipher: str | None = None
    leaf: CertificateInfo | None = None
    chain_sent: tuple[CertificateInfo, ...] = ()
    """Certificates as the server sent them, leaf first (empty when the runtime cannot tell)."""
    verified: bool | None = None
    """Chain verifies to a trusted root; None when the verifying handshake itself failed."""
    verify_error: str | None = None
    trust_store: str = "system roots"
    probes: tuple[ProtocolProbe, ...] = ()

    @property
    def target(self) -> str:
        """``host@address``; ``host@address:port`` (``[v6]:port``) off the standard port."""
        if self.port == 443:
            return f"{self.host}@{self.address}"
        address = f"[{self.address}]" if ":" in self.address else self.address
        return f"{self.host}@{address}:{self.port}"


# --------------------------------------------------------------------------- collect


def parse_certificate(der: bytes) -> CertificateInfo:
    cert = x509.load_der_x509_certificate(der)
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        sans = tuple(san.get_values_for_type(x509.DNSName)) + tuple(
            str(ip) for ip in san.get_values_for_type(x509.IPAddress))
    except x509.ExtensionNotFound:
        sans = ()
    key = cert.public_key()
    key_type, bits = _key_kind(key)
    try:
        hash_algorithm = cert.signature_hash_algorithm
        signature_hash = hash_algorithm.name if hash_algorithm is not None else None
    except UnsupportedAlgorithm:  # an algorithm cryptography does not know is evidence, not a crash
        signature_hash = "unknown"
    return CertificateInfo(
        subject=cert.subject.rfc4514_string(), issuer=cert.issuer.rfc4514_string(), sans=sans,
        not_before=cert.not_valid_before_utc, not_after=cert.not_valid_after_utc,
        key_type=key_type, key_bits=bits, signature_hash=signature_hash,
        self_signed=cert.issuer == cert.subject, sha256=hashlib.sha256(der).hexdigest(),
    )


def _key_kind(key: object) -> tuple[str, int]:
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC", key.curve.key_size
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519", 256
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448", 456
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size
    return "unknown", 0


def _lenient_context(version: ssl.TLSVersion | None = None) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_ciphers(_LENIENT_CIPHERS)
    with warnings.catch_warnings():  # TLSv1/TLSv1_1 are deprecated: probing them is the point
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = version or ssl.TLSVersion.TLSv1
        ctx.maximum_version = version or ssl.TLSVersion.TLSv1_3
    return ctx


def _verifying_context(ca_bundle: str | None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=ca_bundle)
    ctx.check_hostname = False
    ctx.verify_flags |= _NO_CHECK_TIME
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = ssl.TLSVersion.TLSv1
    return ctx


def _handshake(host: str, address: str, port: int, ctx: ssl.SSLContext, timeout: float,
               inspect: Callable[[ssl.SSLSocket], Any]) -> Any:
    with socket.create_connection((address, port), timeout=timeout) as raw:
        raw.settimeout(timeout)
        server_name = None if _is_ip(host) else host
        with ctx.wrap_socket(raw, server_hostname=server_name) as tls:
            return inspect(tls)


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _reason(exc: BaseException, timeout: float) -> str:
    """A one-line cause for a failed connection or handshake."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return str(exc.verify_message or exc.reason or exc)
    if isinstance(exc, ssl.SSLError):
        return f"TLS handshake failed: {exc.reason or exc}"
    if isinstance(exc, TimeoutError | socket.timeout):
        return f"timed out after {timeout:g}s"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError | BrokenPipeError):
        return "connection closed by the server during the handshake"
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve: {exc}"
    return f"{type(exc).__name__}: {exc}"


def _sent_chain(tls: ssl.SSLSocket) -> tuple[CertificateInfo, ...]:
    # Python 3.13 makes this public; 3.11/3.12 expose it on the private SSL object.
    getter = getattr(tls, "get_unverified_chain", None) or getattr(
        getattr(tls, "_sslobj", None), "get_unverified_chain", None)
    if getter is None:
        return ()
    chain = []
    for item in getter() or ():
        der = item if isinstance(item, bytes) else item.public_bytes(ssl._ssl.ENCODING_DER)  # type: ignore[attr-defined]
        chain.append(parse_certificate(der))
    return tuple(chain)


def _probe(host: str, address: str, port: int, name: str, timeout: float) -> ProtocolProbe:
    if not _COMPILED_IN[name]:
        return ProtocolProbe(name, None, f"this Python/OpenSSL cannot speak TLS {name}")
    try:
        ctx = _PROBE_CONTEXTS[name]
        _handshake(host, address, port, ctx, timeout, lambda tls: tls.version())
    except ssl.SSLError as exc:
        code = f"{exc.reason or exc}"
        if any(marker in code.upper() for marker in _LOCAL_REFUSALS):
            return ProtocolProbe(name, None, f"this machine's OpenSSL cannot offer TLS {name} ({code})")
        if any(marker in code.upper() for marker in _SERVER_REFUSALS):
            return ProtocolProbe(name, False, code)
        return ProtocolProbe(name, False, f"TLS handshake failed: {code}")
    except (ConnectionResetError, BrokenPipeError) as exc:
        # Some servers hang up on a version they do not speak instead of sending an alert.
        return ProtocolProbe(name, False, _reason(exc, timeout))
    except OSError as exc:
        return ProtocolProbe(name, None, _reason(exc, timeout))
    return ProtocolProbe(name, True, "handshake completed")


# Built once, in the importing thread: the TLSv1/1.1 setters warn, and warning filters are
# not thread-safe, so the probes (which run in a pool) must not touch them.
_PROBE_CONTEXTS = {name: _lenient_context(version) for name, version in PROTOCOLS.items()}
_FIRST_LOOK_CONTEXT = _lenient_context()


def collect_tls(host: str, address: str, port: int = 443, *, timeout: float = 5.0,
                ca_bundle: str | None = None, probe_protocols: bool = True) -> TlsObservation:
    """Observe the TLS service at ``address:port`` as ``host`` (SNI); never raises for network errors."""
    host = host.lower().rstrip(".")
    trust = ca_bundle or "system roots"

    def first_look(tls: ssl.SSLSocket) -> tuple[bytes | None, str | None, str | None,
                                                tuple[CertificateInfo, ...]]:
        cipher = tls.cipher()
        return tls.getpeercert(binary_form=True), tls.version(), cipher[0] if cipher else None, \
            _sent_chain(tls)

    try:
        der, version, cipher, chain = _handshake(host, address, port, _FIRST_LOOK_CONTEXT, timeout,
                                                 first_look)
    except (OSError, ValueError) as exc:
        return TlsObservation(host, address, port, error=_reason(exc, timeout), trust_store=trust)
    leaf = parse_certificate(der) if der else None

    verified: bool | None
    verify_error: str | None = None
    try:
        _handshake(host, address, port, _verifying_context(ca_bundle), timeout, lambda tls: None)
        verified = True
    except ssl.SSLCertVerificationError as exc:
        verified, verify_error = False, _reason(exc, timeout)
    except (OSError, ValueError) as exc:
        verified, verify_error = None, _reason(exc, timeout)

    probes: tuple[ProtocolProbe, ...] = ()
    if probe_protocols:
        with ThreadPoolExecutor(max_workers=len(PROTOCOLS)) as pool:
            probes = tuple(pool.map(lambda name: _probe(host, address, port, name, timeout),
                                    PROTOCOLS))
    return TlsObservation(host, address, port, version=version, cipher=cipher, leaf=leaf,
                          chain_sent=chain, verified=verified, verify_error=verify_error,
                          trust_store=trust, probes=probes)


# --------------------------------------------------------------------------- evaluate


def hostname_matches(host: str, sans: tuple[str, ...]) -> bool:
    """RFC 6125: exact match, or a wildcard as the whole left-most label (never for IPs)."""
    host = host.lower().rstrip(".")
    if _is_ip(host):
        return any(_is_ip(san) and ipaddress.ip_address(san) == ipaddress.ip_address(host)
                   for san in sans)
    for san in sans:
        pattern = san.lower().rstrip(".")
        if pattern == host:
            return True
        if pattern.startswith("*.") and "." in host:
            label, rest = host.split(".", 1)
            if label and rest == pattern[2:] and rest.count(".") >= 1:
                return True
    return False


def _unobserved(check_id: str, obs: TlsObservation) -> CheckResult | None:
    if obs.error is not None:
        return result(check_id, Status.ERROR, f"could not check: {obs.error}",
                      {"error": obs.error, "address": obs.address, "port": obs.port},
                      "check that the server listens on this address and port and speaks TLS",
                      obs.target)
    if obs.leaf is None:
        return result(check_id, Status.ERROR, "could not check: the server sent no certificate",
                      {"error": "no certificate"}, "configure a certificate for this host",
                      obs.target)
    return None


def evaluate_certificate(obs: TlsObservation) -> CheckResult:
    check = "tls.certificate"
    missing = _unobserved(check, obs)
    if missing is not None:
        return missing
    leaf = obs.leaf
    assert leaf is not None
    problems: list[tuple[str, str]] = []  # (cause, fix)
    weakness_only = "too weak" in (obs.verify_error or "")  # key/hash problems below say why
    if obs.verified is False and not weakness_only:
        cause = f"chain does not verify: {obs.verify_error}"
        if leaf.self_signed:
            fix = "replace the self-signed certificate with one from a public CA"
        elif len(obs.chain_sent) == 1 and "local issuer" in (obs.verify_error or ""):
            cause += " (the server sends no intermediate certificate; no AIA fetching here)"
            fix = "serve the full chain: leaf followed by the intermediate(s)"
        else:
            if obs.chain_sent and "local issuer" in (obs.verify_error or ""):
                cause += f" ({obs.chain_sent[-1].issuer} is not a trusted root)"
            fix = "use a certificate issued by a CA the clients trust (or pass --ca-bundle)"
        problems.append((cause, fix))
    if not leaf.sans:
        problems.append(("certificate has no subjectAltName (the CN is not used for matching)",
                         f"issue a certificate with {obs.host} in subjectAltName"))
    elif not hostname_matches(obs.host, leaf.sans):
        problems.append((f"host name mismatch: {obs.host} is not in {', '.join(leaf.sans)}",
                         f"issue a certificate that covers {obs.host}"))
    weak_key = (leaf.key_type == "RSA" and leaf.key_bits < MIN_RSA_BITS) or (
        leaf.key_type == "EC" and leaf.key_bits < MIN_EC_BITS) or leaf.key_type in ("DSA", "unknown")
    if weak_key:
        problems.append((f"weak key: {leaf.key_type} {leaf.key_bits} bits "
                         f"(minimum RSA {MIN_RSA_BITS} / EC {MIN_EC_BITS})",
                         "reissue with an RSA 2048+ or EC P-256+ key"))
    weak_hash = leaf.signature_hash in WEAK_HASHES
    if weak_hash:
        problems.append((f"weak signature hash: {leaf.signature_hash}",
                         "reissue the certificate signed with SHA-256 or stronger"))
    if obs.verified is False and weakness_only and not (weak_key or weak_hash):
        problems.append((f"chain does not verify: {obs.verify_error} (in an intermediate)",
                         "use a chain with RSA 2048+/EC P-256+ keys and SHA-256 signatures"))
    evidence: dict[str, Any] = {
        **leaf.to_evidence(),
        "trust_store": obs.trust_store,
        "chain_sent": [c.subject for c in obs.chain_sent],
        "verified": obs.verified,
    }
    if obs.verify_error:
        evidence["verify_error"] = obs.verify_error
    if problems:
        evidence["error"] = problems[0][0]
        evidence["problems"] = [cause for cause, _ in problems]
        summary = problems[0][0] + (f" (+{len(problems) - 1} more)" if len(problems) > 1 else "")
        return result(check, Status.FAIL, summary, evidence, problems[0][1], obs.target)
    if obs.verified is None:
        evidence["error"] = obs.verify_error
        return result(check, Status.ERROR, f"could not verify the chain: {obs.verify_error}",
                      evidence, "re-run; check that the server completes a TLS handshake",
                      obs.target)
    return result(check, Status.PASS,
                  f"chain verifies, {obs.host} matches, {leaf.key_type} {leaf.key_bits}, "
                  f"{leaf.signature_hash}", evidence, target=obs.target)


def evaluate_expiry(obs: TlsObservation, now: dt.datetime | None = None) -> CheckResult:
    check = "tls.expiry"
    missing = _unobserved(check, obs)
    if missing is not None:
        return missing
    leaf = obs.leaf
    assert leaf is not None
    now = now or dt.datetime.now(dt.UTC)
    days_left = (leaf.not_after - now).total_seconds() / 86400
    evidence: dict[str, Any] = {"not_before": leaf.not_before.isoformat(),
                                "not_after": leaf.not_after.isoformat(),
                                "days_left": round(days_left, 1)}
    renew = "renew the certificate (check the ACME/auto-renewal job)"
    if leaf.not_after <= now:
        evidence["error"] = "certificate has expired"
        return result(check, Status.FAIL, f"certificate expired on {leaf.not_after:%Y-%m-%d}",
                      evidence, renew, obs.target)
    if leaf.not_before > now:
        evidence["error"] = "certificate is not yet valid"
        return result(check, Status.FAIL,
                      f"certificate is not valid before {leaf.not_before:%Y-%m-%d %H:%M} UTC",
                      evidence, "serve a certificate that is valid now (check the server clock)",
                      obs.target)
    if days_left < EXPIRY_WARN_DAYS:
        evidence["error"] = f"certificate expires in {days_left:.0f} days"
        return result(check, Status.WARN,
                      f"certificate expires in {days_left:.0f} days ({leaf.not_after:%Y-%m-%d})",
                      evidence, renew, obs.target)
    return result(check, Status.PASS, f"valid until {leaf.not_after:%Y-%m-%d} ({days_left:.0f} days)",
                  evidence, target=obs.target)


def _probe_evidence(obs: TlsObservation) -> dict[str, Any]:
    return {
        "offered": {p.version: p.offered for p in obs.probes},
        "details": {p.version: p.detail for p in obs.probes},
    }


def evaluate_protocols(obs: TlsObservation, min_version: str = "1.2") -> CheckResult:
    """Legacy TLS refused and TLS 1.2 offered; with a spec asking for ``min_version`` 1.3,
    TLS 1.2 refused instead (the zone's minimum TLS version)."""
    check = "tls.protocols"
    if obs.error is not None:
        return result(check, Status.ERROR, f"could not check: {obs.error}", {"error": obs.error},
                      "check that the server listens on this address and port and speaks TLS",
                      obs.target)
    probes = {p.version: p for p in obs.probes}
    if not probes:
        return result(check, Status.SKIPPED, "protocol versions were not probed", {}, "", obs.target)
    evidence = _probe_evidence(obs)
    legacy = [v for v in ("1.0", "1.1") if v in probes and probes[v].offered]
    if legacy:
        evidence["error"] = f"TLS {' and '.join(legacy)} offered"
        return result(check, Status.FAIL, f"legacy TLS {' and '.join(legacy)} offered", evidence,
                      "set the minimum TLS version to 1.2", obs.target)
    tls12 = probes.get("1.2")
    only13 = min_version == "1.3"
    if only13 and tls12 is not None and tls12.offered:
        evidence["error"] = "TLS 1.2 offered"
        return result(check, Status.FAIL, "TLS 1.2 offered, the spec's minimum is TLS 1.3",
                      evidence, "set the zone's minimum TLS version to 1.3", obs.target)
    if not only13 and tls12 is not None and tls12.offered is False:
        evidence["error"] = "TLS 1.2 not offered"
        return result(check, Status.FAIL, "TLS 1.2 is not offered (older clients cannot connect)",
                      evidence, "enable TLS 1.2 alongside TLS 1.3", obs.target)
    untested = [v for v in ("1.0", "1.1", "1.2") if v not in probes or probes[v].offered is None]
    if untested:
        reasons = "; ".join(probes[v].detail for v in untested if v in probes)
        evidence["error"] = f"could not test TLS {', '.join(untested)}: {reasons}"
        return result(check, Status.ERROR,
                      f"could not test TLS {', '.join(untested)} (not a pass): {reasons}", evidence,
                      "re-run from a machine whose OpenSSL can still offer old TLS versions",
                      obs.target)
    summary = ("TLS 1.3 only, as the spec asks: TLS 1.0, 1.1 and 1.2 refused" if only13
               else "TLS 1.2 offered, TLS 1.0 and 1.1 refused")
    return result(check, Status.PASS, summary, evidence, target=obs.target)


def evaluate_tls13(obs: TlsObservation) -> CheckResult:
    check = "tls.tls13"
    if obs.error is not None:
        return result(check, Status.ERROR, f"could not check: {obs.error}", {"error": obs.error},
                      "check that the server listens on this address and port and speaks TLS",
                      obs.target)
    probe = next((p for p in obs.probes if p.version == "1.3"), None)
    if probe is None:
        return result(check, Status.SKIPPED, "TLS 1.3 was not probed", {}, "", obs.target)
    evidence = {"offered": probe.offered, "detail": probe.detail}
    if probe.offered:
        return result(check, Status.PASS, "TLS 1.3 offered", evidence, target=obs.target)
    if probe.offered is None:
        return result(check, Status.ERROR, f"could not test TLS 1.3: {probe.detail}",
                      {**evidence, "error": probe.detail}, "re-run", obs.target)
    return result(check, Status.WARN, "TLS 1.3 is not offered", {**evidence, "error": probe.detail},
                  "enable TLS 1.3 (faster handshakes, no legacy ciphers)", obs.target)


def evaluate_tls(obs: TlsObservation, now: dt.datetime | None = None,
                 min_version: str = "1.2") -> list[CheckResult]:
    """The four TLS checks for one address, in catalogue order."""
    return [evaluate_certificate(obs), evaluate_expiry(obs, now),
            evaluate_protocols(obs, min_version), evaluate_tls13(obs)]


"""The one DNS client of a run: dnspython underneath, ``Lookup`` on top.

One instance is shared by every domain of a run, so a record many domains depend on (an SPF
include such as ``_spf.google.com``) is fetched once. It is thread-safe: concurrent askers of
the same question wait for the one query in flight instead of sending their own. Failures
never raise; they come back as ``DnsAnswer`` with ``TIMEOUT``/``SERVFAIL``/``ERROR`` so a
check can say "could not observe" instead of "missing".
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.resolver
import dns.rrset
import idna

from launchready.verify.dnsclient import DnsAnswer, Rcode

_MAX_CNAME_CHAIN = 8
_RCODES = {
    dns.rcode.NOERROR: Rcode.NOERROR,
    dns.rcode.NXDOMAIN: Rcode.NXDOMAIN,
    dns.rcode.SERVFAIL: Rcode.SERVFAIL,
    dns.rcode.REFUSED: Rcode.REFUSED,
}


@dataclass(frozen=True, slots=True)
class Nameserver:
    address: str
    port: int = 53

    def __str__(self) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"{host}:{self.port}"


def parse_nameserver(text: str) -> Nameserver:
    """``IP``, ``IP:PORT``, ``[IPv6]:PORT`` or a bare IPv6 address; ValueError with a reason otherwise."""
    raw = text.strip()
    port = 53
    host = raw
    if raw.startswith("["):
        host, _, rest = raw[1:].partition("]")
        if rest:
            if not rest.startswith(":"):
                raise ValueError(f"{text!r}: expected [IPv6]:PORT")
            port = _port(rest[1:], text)
    elif raw.count(":") == 1:
        host, _, port_text = raw.partition(":")
        port = _port(port_text, text)
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"{text!r}: a nameserver must be an IP address (optionally :PORT)") from None
    return Nameserver(host, port)


def _port(value: str, text: str) -> int:
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise ValueError(f"{text!r}: port must be 1-65535")
    return int(value)


def to_ascii(name: str) -> str:
    """A-label form via IDNA 2008 (UTS 46 mapping), label by label so ``_dmarc`` stays valid.

    dnspython only uses IDNA 2008 when it recognises the installed ``idna`` version, and falls
    back to IDNA 2003 otherwise (``straße`` → ``strasse``); encoding here avoids depending on it.
    """
    labels = name.strip().rstrip(".").split(".")
    out = []
    for label in labels:
        if label.isascii():
            out.append(label.lower())
        else:
            try:
                out.append(idna.encode(label, uts46=True).decode("ascii"))
            except idna.IDNAError as exc:
                raise ValueError(f"{label!r} is not a valid IDNA 2008 label ({exc})") from None
    return ".".join(out) + "."


def system_nameservers() -> list[Nameserver]:
    """The host's resolvers (resolv.conf); empty when none are configured."""
    try:
        resolver = dns.resolver.Resolver(configure=True)
    except dns.resolver.NoResolverConfiguration:
        return []
    return [Nameserver(str(ns)) for ns in resolver.nameservers]


class DnsClient:
    """A cached, de-duplicating ``Lookup`` over UDP with TCP fallback on truncation."""

    def __init__(self, nameservers: Sequence[Nameserver] | None = None, *, timeout: float = 3.0) -> None:
        self.nameservers = list(nameservers) if nameservers else system_nameservers()
        self.timeout = timeout
        self._lock = threading.Lock()
        self._answers: dict[tuple[str, str], Future[DnsAnswer]] = {}
        self.queries_sent = 0
        """Questions that went to the network (cache misses); for tests and the benchmark."""

    # -- Lookup ----------------------------------------------------------------------

    def query(self, name: str, rdtype: str) -> DnsAnswer:
        rdtype = rdtype.upper()
        try:
            qname = dns.name.from_text(to_ascii(name))
        except (dns.exception.DNSException, UnicodeError, ValueError) as exc:
            return DnsAnswer(name.strip(), rdtype, Rcode.ERROR, error=f"not a valid DNS name: {exc}")
        return self._cached(qname, rdtype, 0)

    # -- internals -------------------------------------------------------------------

    def _cached(self, qname: dns.name.Name, rdtype: str, depth: int) -> DnsAnswer:
        key = (qname.to_text(omit_final_dot=True).lower(), rdtype)
        with self._lock:
            future = self._answers.get(key)
            owner = future is None
            if future is None:
                future = Future()
                self._answers[key] = future
        if not owner:
            return future.result()
        try:
            answer = self._resolve(qname, key[0], rdtype, depth)
        except Exception as exc:  # a bug must not leave other askers waiting forever
            answer = DnsAnswer(key[0], rdtype, Rcode.ERROR, error=f"resolver error: {exc!r}")
        future.set_result(answer)
        return answer

    def _resolve(self, qname: dns.name.Name, text: str, rdtype: str, depth: int) -> DnsAnswer:
        try:
            wanted = dns.rdatatype.from_text(rdtype)
        except dns.rdatatype.UnknownRdatatype:
            return DnsAnswer(text, rdtype, Rcode.ERROR, error=f"unknown record type {rdtype}")
        if not self.nameservers:
            return DnsAnswer(text, rdtype, Rcode.ERROR, error="no nameserver configured")
        response, failure = self._ask(qname, wanted)
        if response is None:
            return failure
        rcode = _RCODES.get(response.rcode())
        if rcode is None:
            return DnsAnswer(text, rdtype, Rcode.ERROR,
                             error=f"server answered {dns.rcode.to_text(response.rcode())}")
        if rcode is not Rcode.NOERROR:
            return DnsAnswer(text, rdtype, rcode, authenticated=_ad(response))
        records, last_name, rrsig = _records(response, qname, wanted)
        authenticated = _ad(response) or rrsig
        if not records and last_name != qname and wanted != dns.rdatatype.CNAME:
            # An authoritative server hands back the CNAME only; follow it like a recursor would.
            if depth >= _MAX_CNAME_CHAIN:
                return DnsAnswer(text, rdtype, Rcode.ERROR, error="CNAME chain too long")
            target = self._cached(last_name, rdtype, depth + 1)
            return DnsAnswer(text, rdtype, target.rcode, target.records,
                             authenticated and target.authenticated, target.error)
        return DnsAnswer(text, rdtype, Rcode.NOERROR, records, authenticated)

    def _ask(self, qname: dns.name.Name, wanted: dns.rdatatype.RdataType
             ) -> tuple[dns.message.Message | None, DnsAnswer]:
        """Try the nameservers in turn within the timeout; a retry on a single server."""
        text = qname.to_text(omit_final_dot=True).lower()
        rdtype = dns.rdatatype.to_text(wanted)
        attempts = max(2, len(self.nameservers))
        per_try = self.timeout / attempts
        failure = DnsAnswer(text, rdtype, Rcode.TIMEOUT, error=f"no answer within {self.timeout:g}s")
        last_refusal: dns.message.Message | None = None
        for attempt in range(attempts):
            server = self.nameservers[attempt % len(self.nameservers)]
            request = dns.message.make_query(qname, wanted, want_dnssec=True)
            request.flags |= dns.flags.AD
            with self._lock:
                self.queries_sent += 1
            try:
                response, _ = dns.query.udp_with_fallback(
                    request, server.address, timeout=per_try, port=server.port, ignore_unexpected=True
                )
            except dns.exception.Timeout:
                continue
            except (dns.exception.DNSException, OSError, ValueError, EOFError) as exc:
                failure = DnsAnswer(text, rdtype, Rcode.ERROR, error=f"{server}: {type(exc).__name__}: {exc}")
                continue
            if response.rcode() in (dns.rcode.SERVFAIL, dns.rcode.REFUSED):
                last_refusal = response
                continue
            return response, failure
        if last_refusal is not None:
            return last_refusal, failure
        return None, failure


def _ad(response: dns.message.Message) -> bool:
    return bool(response.flags & dns.flags.AD)


def _records(response: dns.message.Message, qname: dns.name.Name, wanted: dns.rdatatype.RdataType
             ) -> tuple[tuple[str, ...], dns.name.Name, bool]:
    """Records for ``qname`` after following CNAMEs inside the answer; the last name reached."""
    current = qname
    signed = False
    for _ in range(_MAX_CNAME_CHAIN + 1):
        found = _find(response, current, wanted)
        if found is not None:
            signed = signed or _find(response, current, dns.rdatatype.RRSIG, covers=wanted) is not None
            return tuple(_present(rdata) for rdata in found), current, signed
        if wanted == dns.rdatatype.CNAME:
            break
        alias = _find(response, current, dns.rdatatype.CNAME)
        if alias is None:
            break
        current = alias[0].target
    return (), current, signed


def _find(response: dns.message.Message, name: dns.name.Name, rdtype: dns.rdatatype.RdataType,
          covers: dns.rdatatype.RdataType = dns.rdatatype.NONE) -> dns.rrset.RRset | None:
    for rrset in response.answer:
        if rrset.name == name and rrset.rdtype == rdtype and rrset.covers == covers:
            return rrset
    return None


def _name(value: dns.name.Name) -> str:
    text = value.to_text()
    return text if text == "." else text.rstrip(".").lower()


def _present(rdata: dns.rdata.Rdata) -> str:
    """Presentation form as ``DnsAnswer`` documents it: TXT joined and unquoted, names without dot."""
    kind = rdata.rdtype
    if kind in (dns.rdatatype.TXT, dns.rdatatype.SPF):
        strings: tuple[bytes, ...] = rdata.strings  # type: ignore[attr-defined]
        return b"".join(strings).decode("utf-8", errors="replace")
    if kind in (dns.rdatatype.CNAME, dns.rdatatype.NS, dns.rdatatype.PTR, dns.rdatatype.DNAME):
        return _name(rdata.target)  # type: ignore[attr-defined]
    if kind == dns.rdatatype.MX:
        return f"{rdata.preference} {_name(rdata.exchange)}"  # type: ignore[attr-defined]
    return rdata.to_text()

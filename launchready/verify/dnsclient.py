"""The DNS interface every check codes against.

Collectors receive a ``Lookup`` (one cached client per run, see ``resolver.py``); pure
evaluators never see it. Tests can pass an in-process implementation of the same protocol.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class Rcode(StrEnum):
    NOERROR = "NOERROR"
    """Answered; ``records`` may still be empty (NODATA)."""
    NXDOMAIN = "NXDOMAIN"
    SERVFAIL = "SERVFAIL"
    REFUSED = "REFUSED"
    TIMEOUT = "TIMEOUT"
    """No answer within the timeout: an observation failure, never a check failure."""
    ERROR = "ERROR"
    """Anything else (malformed answer, network error); see ``error``."""


@dataclass(frozen=True, slots=True)
class DnsAnswer:
    name: str
    rdtype: str
    rcode: Rcode
    records: tuple[str, ...] = ()
    """Presentation form; TXT strings joined (RFC 7208 §3.3), unquoted; names without trailing dot."""
    authenticated: bool = False
    """AD flag / RRSIG seen (DNSSEC)."""
    error: str | None = None

    @property
    def ok(self) -> bool:
        """An authoritative answer (records or NODATA or NXDOMAIN), as opposed to a failure."""
        return self.rcode in (Rcode.NOERROR, Rcode.NXDOMAIN)

    @property
    def void(self) -> bool:
        """RFC 7208 void lookup: NXDOMAIN or no records."""
        return self.rcode is Rcode.NXDOMAIN or (self.rcode is Rcode.NOERROR and not self.records)


def is_service_name(name: str) -> bool:
    """A name with a ``_`` label (``s1._domainkey``, ``_acme-challenge.www``): not a host.

    A CNAME there points at a name that holds a TXT record and no address by design, so only a
    target that does not exist (NXDOMAIN) leaves it dangling.
    """
    return any(label.startswith("_") for label in name.split("."))


class Lookup(Protocol):
    def query(self, name: str, rdtype: str) -> DnsAnswer:
        """Ask once (cached per run); never raises for DNS or network failures."""
        ...

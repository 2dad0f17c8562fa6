"""In-process DNS for the mail tests: the RFC 7208 suite's ``zonedata`` behind the Lookup protocol."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from launchready.verify.dnsclient import DnsAnswer, Rcode

Entry = tuple[str, Any]
TIMEOUT = ("TIMEOUT", None)


def _text(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(str(v) for v in value) if value and isinstance(value[0], int) else "".join(value)
    return str(value)


def load_zonedata(zonedata: Mapping[str, Iterable[Any]]) -> dict[str, list[Entry]]:
    """The pyspf driver's rules: type SPF becomes TXT when a name has no TXT; ``NONE`` is no data."""
    zone: dict[str, list[Entry]] = {}
    for name, entries in zonedata.items():
        out: list[Entry] = []
        generated: list[Entry] = []
        has_txt = False
        for entry in entries or []:
            if entry == "TIMEOUT":
                out.append(TIMEOUT)
                continue
            ((rdtype, value),) = entry.items()
            if rdtype == "TXT":
                has_txt = True
            if value == "NONE":
                continue
            if rdtype == "SPF":
                generated.append(("TXT", value))
            out.append((rdtype, value))
        if not has_txt:
            out += generated
        zone[name.lower().rstrip(".")] = out
    return zone


class ZoneLookup:
    """A Lookup over ``load_zonedata`` output; counts queries so tests can assert caching/limits."""

    def __init__(self, zone: dict[str, list[Entry]]) -> None:
        self.zone = zone
        self.queries: list[tuple[str, str]] = []

    def query(self, name: str, rdtype: str) -> DnsAnswer:
        self.queries.append((name, rdtype))
        return self._answer(name.rstrip(".").lower(), rdtype, follow=True)

    def _answer(self, name: str, rdtype: str, *, follow: bool) -> DnsAnswer:
        entries = self.zone.get(name)
        if entries is None:
            rcode = Rcode.TIMEOUT if name.startswith("error.") else Rcode.NXDOMAIN
            return DnsAnswer(name, rdtype, rcode)
        records: list[str] = []
        seen = False
        for etype, value in entries:
            if (etype, value) == TIMEOUT:
                if not seen:
                    return DnsAnswer(name, rdtype, Rcode.TIMEOUT, error="timed out")
                break
            if etype == rdtype:
                seen = True
                if value == "TIMEOUT":
                    return DnsAnswer(name, rdtype, Rcode.TIMEOUT, error="timed out")
                records.append(_text(value).rstrip(".") if rdtype != "TXT" else _text(value))
            elif etype == "CNAME" and follow:
                target = self._answer(_text(value).rstrip(".").lower(), rdtype, follow=False)
                records += target.records
        return DnsAnswer(name, rdtype, Rcode.NOERROR, tuple(records))


RecordData = dict[str, list[tuple[str, Any]]]
"""The testbed DNS server's record format: ``{owner: [(rdtype, text or [strings])]}``."""


class RecordsLookup:
    """The testbed server's data answered in process (CNAMEs chased), for offline unit tests."""

    def __init__(self, records: RecordData, timeouts: Iterable[str] = ()) -> None:
        self.records = {k.lower().rstrip("."): v for k, v in records.items()}
        self.timeouts = {t.lower() for t in timeouts}
        self.queries: list[tuple[str, str]] = []

    def query(self, name: str, rdtype: str) -> DnsAnswer:
        self.queries.append((name, rdtype))
        key = name.lower().rstrip(".")
        for _ in range(8):
            if key in self.timeouts:
                return DnsAnswer(key, rdtype, Rcode.TIMEOUT, error="timed out")
            entries = self.records.get(key)
            if entries is None:
                exists = any(owner.endswith("." + key) for owner in self.records)
                return DnsAnswer(key, rdtype, Rcode.NOERROR if exists else Rcode.NXDOMAIN)
            found = [_text(v).rstrip(".") if t != "TXT" else _text(v) for t, v in entries if t == rdtype]
            alias = [v for t, v in entries if t == "CNAME"]
            if found or not alias or rdtype == "CNAME":
                return DnsAnswer(key, rdtype, Rcode.NOERROR, tuple(found))
            key = alias[0].lower().rstrip(".")
        return DnsAnswer(key, rdtype, Rcode.ERROR, error="CNAME chain too long")

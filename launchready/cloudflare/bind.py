"""BIND zone files in and out: Cloudflare's export format, parsed with dnspython.

Cloudflare marks proxied records with a trailing comment ``; cf_tags=cf-proxied:true``; the
parser keeps that flag and any other comment text, so an export round-trips through
``parse_bind`` without losing what the API would need to recreate the records.
"""

from __future__ import annotations

import re
from typing import Any

import dns.exception
import dns.name
import dns.rdatatype
import dns.zone

from launchready.cloudflare.state import DnsRecord

SUPPORTED_TYPES = frozenset({"A", "AAAA", "CNAME", "TXT", "MX", "CAA", "SRV", "NS", "PTR"})
PROXIABLE = frozenset({"A", "AAAA", "CNAME"})
_CF_TAGS = re.compile(r"cf_tags=(\S*)")


class BindError(ValueError):
    """A zone file that cannot be read; the message says where and why."""


def parse_bind(text: str, domain: str) -> tuple[list[DnsRecord], list[str]]:
    """Records of ``domain`` in a BIND zone file, and a note per entry that was skipped.

    SOA and the apex NS set are Cloudflare's own and are skipped; so are types the API does
    not manage here. Records get no id (the file has none).
    """
    origin = domain.rstrip(".").lower() + "."
    try:
        zone = dns.zone.from_text(text, origin=origin, relativize=False, check_origin=False)
    except dns.exception.SyntaxError as exc:
        raise BindError(f"not a valid zone file: {exc}") from None
    except dns.exception.DNSException as exc:
        raise BindError(f"cannot read the zone file: {exc}") from None
    records: list[DnsRecord] = []
    skipped: list[str] = []
    apex = dns.name.from_text(origin)
    for name, ttl, rdata in zone.iterate_rdatas():
        rtype = dns.rdatatype.to_text(rdata.rdtype)
        fqdn = name.to_text().rstrip(".").lower()
        if rtype == "SOA" or (rtype == "NS" and name == apex):
            continue
        if rtype not in SUPPORTED_TYPES:
            skipped.append(f"{fqdn} {rtype}: type not managed by launchready")
            continue
        if not name.is_subdomain(apex):
            skipped.append(f"{fqdn} {rtype}: outside the zone {domain}")
            continue
        comment, proxied = _split_comment(getattr(rdata, "rdcomment", None) or "")
        records.append(DnsRecord(id="", name=fqdn, type=rtype, ttl=int(ttl),
                                 proxied=proxied and rtype in PROXIABLE, comment=comment,
                                 **_fields(rtype, rdata)))
    return sorted(records, key=lambda r: (r.name, r.type, r.content)), skipped



def bind_line(record: DnsRecord) -> str:
    trailer_parts = []
    if record.comment:
        trailer_parts.append(record.comment.replace("\n", " "))
    if record.type in PROXIABLE:
        trailer_parts.append(f"cf_tags=cf-proxied:{'true' if record.proxied else 'false'}")
    trailer = f" ; {' '.join(trailer_parts)}" if trailer_parts else ""
    return f"{record.name}.\t{record.ttl}\tIN\t{record.type}\t{_rdata(record)}{trailer}"


def txt_strings(text: str) -> str:
    """TXT content as quoted character-strings of at most 255 bytes (RFC 1035 §3.3.14)."""
    raw = text.encode()
    chunks = [raw[i:i + 255] for i in range(0, len(raw), 255)] or [b""]
    quoted = []
    for chunk in chunks:
        body = chunk.replace(b"\\", b"\\\\").replace(b'"', b'\\"')
        quoted.append('"' + body.decode("utf-8", "replace") + '"')
    return " ".join(quoted)


def _rdata(record: DnsRecord) -> str:
    content = record.content
    if record.type == "TXT":
        return txt_strings(content)
    if record.type in ("CNAME", "NS", "PTR"):
        return content.rstrip(".") + "."
    if record.type == "MX":
        host = "" if content == "." else content.rstrip(".")
        return f"{record.priority if record.priority is not None else 0} {host}."
    if record.type == "SRV":
        return f"{record.priority if record.priority is not None else 0} {content.rstrip('.')}."
    return content


def _split_comment(comment: str) -> tuple[str, bool]:
    proxied = False
    match = _CF_TAGS.search(comment)
    if match:
        proxied = "cf-proxied:true" in match[1].split(",")
        comment = comment[: match.start()] + comment[match.end():]
    return comment.strip(), proxied


def _fields(rtype: str, rdata: Any) -> dict[str, Any]:
    if rtype == "MX":
        return {"content": rdata.exchange.to_text().rstrip(".").lower() or ".",
                "priority": int(rdata.preference)}
    if rtype == "TXT":
        return {"content": b"".join(rdata.strings).decode("utf-8", "replace")}
    if rtype == "CAA":
        data = {"flags": int(rdata.flags), "tag": rdata.tag.decode(),
                "value": rdata.value.decode("utf-8", "replace")}
        return {"content": f'{data["flags"]} {data["tag"]} "{data["value"]}"', "data": data}
    if rtype == "SRV":
        target = rdata.target.to_text().rstrip(".").lower()
        return {"content": f"{rdata.weight} {rdata.port} {target}", "priority": int(rdata.priority),
                "data": {"priority": int(rdata.priority), "weight": int(rdata.weight),
                         "port": int(rdata.port), "target": target}}
    if rtype in ("CNAME", "NS", "PTR"):
        return {"content": rdata.target.to_text().rstrip(".").lower()}
    return {"content": rdata.to_text()}

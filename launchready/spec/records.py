"""Every DNS record a site spec publishes, with the stable key its Pulumi resource is named by.

Pure: components create these, ``adopt`` writes import ids against the same keys, drift and
verify compare live records with them. Keys come from a record's identity, never its list
position, so reordering a stack file changes nothing.

Key scheme:
- address records (A/AAAA/CNAME): ``host-<label>`` when the name has exactly one of them, so
  an A → CNAME change is a replacement of one resource (delete-before-replace, no conflict at
  Cloudflare); ``<type>-<label>-<hash>`` when a name has several (round-robin A/AAAA).
- everything else: ``<type>-<label>-<hash of content and priority>``.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from launchready.spec.models import SiteSpec

HOST_TYPES = frozenset({"A", "AAAA", "CNAME"})


@dataclass(frozen=True, slots=True)
class PlannedRecord:
    name: str
    """Fully qualified, lower case, no trailing dot."""
    type: str
    content: str
    """For CAA the presentation form ``0 issue "ca.example"``; ``data`` carries the fields."""
    ttl: int = 1
    proxied: bool = False
    priority: int | None = None
    data: dict[str, Any] | None = None
    comment: str = ""
    source: str = ""
    """Where it comes from in the spec, e.g. ``email.dmarc`` or ``records[2]``."""
    key: str = field(default="", compare=False)

    @property
    def identity(self) -> tuple[str, str, str, int | None]:
        return (self.name, self.type, self.content.lower(), self.priority)


def relative_label(name: str, domain: str) -> str:
    if name == domain:
        return "apex"
    label = name.removesuffix("." + domain)
    return label.replace("*", "wildcard")


def content_hash(*parts: object) -> str:
    blob = "\x1f".join("" if p is None else str(p) for p in parts)
    return hashlib.sha256(blob.encode()).hexdigest()[:8]


def mta_sts_policy(spec: SiteSpec) -> str:
    """The text served at https://mta-sts.<domain>/.well-known/mta-sts.txt (RFC 8461)."""
    sts = spec.email.mta_sts
    assert sts is not None
    lines = ["version: STSv1", f"mode: {sts.mode}"]
    lines += [f"mx: {mx.host}" for mx in spec.email.mx if mx.host != "."]
    lines.append(f"max_age: {sts.max_age}")
    return "\r\n".join(lines) + "\r\n"


def mta_sts_id(spec: SiteSpec) -> str:
    sts = spec.email.mta_sts
    assert sts is not None
    return sts.policy_id or content_hash(mta_sts_policy(spec)) + "0000"


def planned_records(spec: SiteSpec) -> list[PlannedRecord]:
    """All records, sorted by key: generated ones first in meaning, user records after."""
    domain = spec.domain
    out: list[PlannedRecord] = []
    proxied = spec.origin.proxied
    # Web: apex points at the origin; www follows the apex.
    if spec.origin.hostname:
        out.append(PlannedRecord(domain, "CNAME", spec.origin.hostname, proxied=proxied,
                                 source="origin.hostname"))
    for address in spec.origin.addresses:
        rtype = "AAAA" if ":" in address else "A"
        out.append(PlannedRecord(domain, rtype, address, proxied=proxied, source="origin.addresses"))
    out.append(PlannedRecord(f"www.{domain}", "CNAME", domain, proxied=proxied, source="origin"))

    email = spec.email
    for mx in email.mx:
        out.append(PlannedRecord(domain, "MX", mx.host, priority=mx.priority, source="email.mx"))
    out.append(PlannedRecord(domain, "TXT", email.spf.record(), source="email.spf"))
    for dkim in email.dkim:
        name = f"{dkim.selector}._domainkey.{domain}"
        if dkim.cname:
            out.append(PlannedRecord(name, "CNAME", dkim.cname, source="email.dkim"))
        else:
            out.append(PlannedRecord(name, "TXT", dkim.record(), source="email.dkim"))
    out.append(PlannedRecord(f"_dmarc.{domain}", "TXT", email.dmarc.record(), source="email.dmarc"))
    if email.mta_sts:
        out.append(PlannedRecord(f"_mta-sts.{domain}", "TXT", f"v=STSv1; id={mta_sts_id(spec)}",
                                 source="email.mta_sts"))
        out.append(PlannedRecord(f"{email.mta_sts.policy_host}.{domain}", "CNAME",
                                 spec.canonical_fqdn, proxied=True, source="email.mta_sts"))
    if email.tls_rpt:
        out.append(PlannedRecord(f"_smtp._tls.{domain}", "TXT", email.tls_rpt.record(),
                                 source="email.tls_rpt"))

    caa = spec.caa
    for tag, issuers in (("issue", caa.issuers), ("issuewild", caa.wildcard_issuers)):
        for issuer in issuers:
            out.append(_caa(domain, tag, issuer))
    if caa.iodef:
        out.append(_caa(domain, "iodef", caa.iodef))

    for index, rec in enumerate(spec.records):
        out.append(PlannedRecord(
            spec.fqdn(rec.name), rec.type,
            rec.content.rstrip(".") if rec.type in ("CNAME", "MX", "NS") else rec.content,
            ttl=1 if rec.proxied else rec.ttl, proxied=rec.proxied, priority=rec.priority,
            comment=rec.comment or "", source=f"records[{index}]",
        ))
    return assign_keys(out, domain)


def _caa(domain: str, tag: str, value: str) -> PlannedRecord:
    return PlannedRecord(domain, "CAA", f'0 {tag} "{value}"',
                         data={"flags": 0, "tag": tag, "value": value}, source="caa")


def assign_keys(records: list[PlannedRecord], domain: str) -> list[PlannedRecord]:
    """Name each record from its identity; also used by ``adopt`` on live records."""
    hosts_per_name = Counter(r.name for r in records if r.type in HOST_TYPES)
    keyed = []
    for rec in records:
        label = relative_label(rec.name, domain)
        if rec.type in HOST_TYPES and hosts_per_name[rec.name] == 1:
            key = f"host-{label}"
        else:
            key = f"{rec.type.lower()}-{label}-{content_hash(rec.content.lower(), rec.priority)}"
        keyed.append(_with_key(rec, key))
    return sorted(keyed, key=lambda r: r.key)


def _with_key(rec: PlannedRecord, key: str) -> PlannedRecord:
    return PlannedRecord(rec.name, rec.type, rec.content, rec.ttl, rec.proxied, rec.priority,
                         rec.data, rec.comment, rec.source, key)


_CAA_CONTENT = re.compile(r'^(\d{1,3})\s+(issue|issuewild|iodef)\s+"?([^"]*)"?$')
_SRV_CONTENT = re.compile(r"^(\d{1,5})\s+(\d{1,5})\s+(\S+?)\.?$")


def structured_data(rtype: str, content: str, priority: int | None) -> dict[str, Any] | None:
    """Cloudflare's ``data`` for record types it only accepts in structured form.

    CAA content is ``<flags> <tag> "<value>"``; SRV content is ``<weight> <port> <target>``
    (its priority is the record's priority). Other types return None; a malformed CAA/SRV
    content raises ValueError with the expected shape.
    """
    if rtype == "CAA":
        caa = _CAA_CONTENT.match(content.strip())
        if not caa or int(caa.group(1)) > 255:
            raise ValueError('CAA content must be <flags> <tag> "<value>", e.g. 0 issue "letsencrypt.org"')
        return {"flags": int(caa.group(1)), "tag": caa.group(2), "value": caa.group(3)}
    if rtype == "SRV":
        srv = _SRV_CONTENT.match(content.strip())
        if not srv or int(srv.group(1)) > 65535 or int(srv.group(2)) > 65535:
            raise ValueError("SRV content must be <weight> <port> <target>, e.g. 5 5060 sip.example.net")
        return {"priority": priority, "weight": int(srv.group(1)), "port": int(srv.group(2)),
                "target": srv.group(3)}
    return None

"""A fully good mail setup on ``mail.test`` and the broken variants the issue names.

Records use the testbed DNS server's format, so the same data runs in process
(``RecordsLookup``) and through the real loopback server.
"""

from __future__ import annotations

import base64
import copy
import functools
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from launchready.verify.mail import DkimSelector, EmailExpectation
from launchready.verify.model import Status
from tests.verify.mail_fakes import RecordData

DOMAIN = "mail.test"
POLICY_URL = f"https://mta-sts.{DOMAIN}/.well-known/mta-sts.txt"


@functools.cache
def rsa_key(bits: int) -> str:
    """Base64 SubjectPublicKeyInfo of a fresh RSA key, generated once per session."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits).public_key()
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


@functools.cache
def ed25519_key() -> str:
    raw = (
        ed25519.Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    return base64.b64encode(raw).decode()


def good_records() -> RecordData:
    d = DOMAIN
    return {
        d: [
            ("MX", f"10 mx1.{d}"),
            ("MX", f"20 mx2.{d}"),
            ("A", "192.0.2.10"),
            ("TXT", "v=spf1 ip4:192.0.2.0/24 include:_spf.provider.test -all"),
            ("TXT", "google-site-verification=abc"),
        ],
        f"mx1.{d}": [("A", "192.0.2.25")],
        f"mx2.{d}": [("A", "192.0.2.26"), ("AAAA", "2001:db8::26")],
        "_spf.provider.test": [("TXT", "v=spf1 ip4:198.51.100.0/24 include:_spf2.provider.test ~all")],
        "_spf2.provider.test": [("TXT", "v=spf1 ip6:2001:db8:1::/48 ~all")],
        f"sel1._domainkey.{d}": [
            ("TXT", f"v=DKIM1; k=rsa; p={rsa_key(2048)}")
        ],  # >255 bytes: split on the wire
        f"sel2._domainkey.{d}": [("CNAME", "sel2.dkim.provider.test")],
        "sel2.dkim.provider.test": [("TXT", f"v=DKIM1; k=ed25519; p={ed25519_key()}")],
        f"_dmarc.{d}": [("TXT", f"v=DMARC1; p=reject; sp=reject; rua=mailto:dmarc@{d}")],
        f"_mta-sts.{d}": [("TXT", "v=STSv1; id=20261204")],
        f"mta-sts.{d}": [("A", "127.0.0.1")],  # only ever fetched on loopback
        f"_smtp._tls.{d}": [("TXT", f"v=TLSRPTv1; rua=mailto:tls@{d}")],
    }


GOOD_POLICY = f"version: STSv1\r\nmode: enforce\r\nmx: mx1.{DOMAIN}\r\nmx: *.{DOMAIN}\r\nmax_age: 604800\r\n"

EXPECT = EmailExpectation(
    sends_mail=True,
    mx_hosts=(f"mx1.{DOMAIN}", f"mx2.{DOMAIN}"),
    spf_includes=("_spf.provider.test",),
    spf_all="-all",
    dkim_selectors=(DkimSelector("sel1"), DkimSelector("sel2", cname="sel2.dkim.provider.test")),
    dmarc_policy="reject",
    dmarc_subdomain_policy="reject",
    dmarc_rua=(f"mailto:dmarc@{DOMAIN}",),
    mta_sts=True,
    mta_sts_mode="enforce",
    tls_rpt=True,
    tls_rpt_rua=(f"mailto:tls@{DOMAIN}",),
    source="spec",
)


@dataclass
class Scenario:
    name: str
    check: str
    status: Status
    evidence: dict[str, Any] = field(default_factory=dict)
    """Evidence keys with the exact value they must hold."""
    summary: str = ""
    """A substring the summary must contain."""
    replace: RecordData = field(default_factory=dict)
    """Owners whose records are replaced (an empty list deletes the owner)."""
    policy: str = GOOD_POLICY
    timeouts: tuple[str, ...] = ()
    expect: EmailExpectation = EXPECT

    def records(self) -> RecordData:
        records = copy.deepcopy(good_records())
        for owner, recs in self.replace.items():
            if recs:
                records[owner] = recs
            else:
                records.pop(owner, None)
        return records


def _spf(record: str) -> list[tuple[str, Any]]:
    return [("MX", f"10 mx1.{DOMAIN}"), ("MX", f"20 mx2.{DOMAIN}"), ("TXT", record)]


_MANY_A = " ".join(f"a:h{i}.{DOMAIN}" for i in range(9))
_HOSTS: RecordData = {f"h{i}.{DOMAIN}": [("A", f"192.0.2.{100 + i}")] for i in range(9)}

SCENARIOS = [
    Scenario(
        "spf-over-10-lookups",
        "email.spf",
        Status.FAIL,
        {"lookups": 11, "limit": 10, "chain": [DOMAIN, "big.provider.test"]},
        "more than 10 DNS lookups",
        {
            DOMAIN: _spf("v=spf1 mx include:big.provider.test -all"),
            "big.provider.test": [("TXT", f"v=spf1 {_MANY_A} -all")],
            **_HOSTS,
        },
    ),
    Scenario(
        "spf-over-2-void-lookups",
        "email.spf",
        Status.FAIL,
        {"void_lookups": 3, "void_limit": 2},
        "more than 2 void lookups",
        {DOMAIN: _spf(f"v=spf1 a:gone1.{DOMAIN} a:gone2.{DOMAIN} mx:gone3.{DOMAIN} -all")},
    ),
    Scenario(
        "spf-include-loop",
        "email.spf",
        Status.FAIL,
        {"chain": [DOMAIN, "loop1.provider.test", "loop2.provider.test"]},
        "loop: mail.test -> loop1.provider.test -> loop2.provider.test -> loop1.provider.test",
        {
            DOMAIN: _spf("v=spf1 include:loop1.provider.test -all"),
            "loop1.provider.test": [("TXT", "v=spf1 include:loop2.provider.test -all")],
            "loop2.provider.test": [("TXT", "v=spf1 include:loop1.provider.test -all")],
        },
    ),
    Scenario(
        "spf-plus-all",
        "email.spf",
        Status.FAIL,
        {"all": "+all"},
        "any host",
        {DOMAIN: _spf("v=spf1 include:_spf.provider.test +all")},
    ),
    Scenario(
        "spf-two-records",
        "email.spf",
        Status.FAIL,
        {"records": ["v=spf1 -all", "v=spf1 include:_spf.provider.test -all"]},
        "2 SPF records",
        {DOMAIN: [*_spf("v=spf1 include:_spf.provider.test -all"), ("TXT", "v=spf1 -all")]},
    ),
    Scenario(
        "spf-malformed",
        "email.spf",
        Status.FAIL,
        {"record": "v=spf1 include: -all"},
        "empty domain-spec",
        {DOMAIN: _spf("v=spf1 include: -all")},
    ),
    Scenario(
        "spf-missing-include",
        "email.spf",
        Status.FAIL,
        {"missing_includes": ["_spf.provider.test"]},
        "lacks the spec's includes",
        {DOMAIN: _spf("v=spf1 ip4:192.0.2.0/24 -all")},
    ),
    Scenario(
        "spf-timeout", "email.spf", Status.ERROR, {}, "_spf2.provider.test", timeouts=("_spf2.provider.test",)
    ),
    Scenario(
        "dmarc-missing",
        "email.dmarc",
        Status.FAIL,
        {"name": f"_dmarc.{DOMAIN}"},
        "no DMARC record",
        {f"_dmarc.{DOMAIN}": []},
    ),
    Scenario(
        "dmarc-p-none-vs-spec-reject",
        "email.dmarc",
        Status.FAIL,
        {"policy": "none"},
        "weaker than p=reject",
        {f"_dmarc.{DOMAIN}": [("TXT", f"v=DMARC1; p=none; rua=mailto:dmarc@{DOMAIN}")]},
    ),
    Scenario(
        "dmarc-p-none-warns",
        "email.dmarc",
        Status.WARN,
        {"policy": "none"},
        "p=none only monitors",
        {f"_dmarc.{DOMAIN}": [("TXT", f"v=DMARC1; p=none; rua=mailto:dmarc@{DOMAIN}")]},
        expect=EmailExpectation(sends_mail=True, dmarc_policy="none"),
    ),
    Scenario(
        "dmarc-malformed",
        "email.dmarc",
        Status.FAIL,
        {"errors": ["invalid p=rejekt"]},
        "invalid p=rejekt",
        {f"_dmarc.{DOMAIN}": [("TXT", "v=DMARC1; p=rejekt; rua=mailto:dmarc@mail.test")]},
    ),
    Scenario(
        "dmarc-timeout",
        "email.dmarc",
        Status.ERROR,
        {"rcode": "TIMEOUT"},
        "could not look up",
        timeouts=(f"_dmarc.{DOMAIN}",),
    ),
    Scenario(
        "dkim-missing",
        "email.dkim",
        Status.FAIL,
        {},
        "selector sel1: no DKIM key published",
        {f"sel1._domainkey.{DOMAIN}": []},
    ),
    Scenario(
        "dkim-1024",
        "email.dkim",
        Status.WARN,
        {},
        "selector sel1: RSA key is 1024 bits",
        {f"sel1._domainkey.{DOMAIN}": [("TXT", f"v=DKIM1; k=rsa; p={rsa_key(1024)}")]},
    ),
    Scenario(
        "dkim-revoked",
        "email.dkim",
        Status.FAIL,
        {},
        "revoked",
        {f"sel1._domainkey.{DOMAIN}": [("TXT", "v=DKIM1; k=rsa; p=")]},
    ),
    Scenario(
        "mta-sts-policy-misses-mx",
        "email.mta_sts",
        Status.FAIL,
        {"uncovered_mx": [f"mx2.{DOMAIN}"]},
        "does not cover",
        policy=f"version: STSv1\nmode: enforce\nmx: mx1.{DOMAIN}\nmax_age: 604800\n",
    ),
    Scenario(
        "mta-sts-policy-unreachable",
        "email.mta_sts",
        Status.ERROR,
        {"error": "connection refused"},
        "could not fetch",
        policy="",
    ),
    Scenario(
        "tls-rpt-missing", "email.tls_rpt", Status.FAIL, {}, "no TLS-RPT record", {f"_smtp._tls.{DOMAIN}": []}
    ),
    Scenario(
        "mx-host-does-not-resolve",
        "email.mx",
        Status.FAIL,
        {"unresolved": [f"mx2.{DOMAIN}"]},
        "do not resolve",
        {f"mx2.{DOMAIN}": []},
    ),
]


def http_get_for(policy: str) -> Any:
    """Serve the MTA-STS policy; an empty policy means the host refuses connections."""

    def http_get(url: str) -> tuple[int, str] | str:
        if url != POLICY_URL:
            return (404, "not found")
        return (200, policy) if policy else "connection refused"

    return http_get

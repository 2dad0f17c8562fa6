"""DNS checks: pure functions ``(observations, expectation) -> CheckResult``.

Each reads the answers the collector stored under ``(name, rdtype)``; an answer that is
missing or failed (timeout, SERVFAIL) makes the check ``error``, never ``fail``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from launchready.verify.dnsclient import DnsAnswer, Rcode, is_service_name
from launchready.verify.expectations import CLOUDFLARE_CAA_ISSUERS, CLOUDFLARE_NS_SUFFIX, Expectation
from launchready.verify.model import CheckResult
from launchready.verify.observations import DomainObservations
from launchready.verify.results import errored, failed, passed, warned

Evaluator = Callable[[DomainObservations, Expectation], CheckResult]

_CAA = re.compile(r'^\s*(\d+)\s+([A-Za-z0-9]+)\s+"?(.*?)"?\s*$')


def _failure(answer: DnsAnswer | None, name: str, rdtype: str) -> str | None:
    """Why an answer cannot be used, or None when it is a real answer (records, NODATA, NXDOMAIN)."""
    if answer is None:
        return f"{name} {rdtype} was not looked up"
    if answer.ok:
        return None
    return f"{name} {rdtype}: {answer.rcode.value}" + (f" ({answer.error})" if answer.error else "")


def address_hosts(obs: DomainObservations, expect: Expectation) -> list[str]:
    """The hosts that must resolve: the apex and the canonical host."""
    hosts = [expect.domain]
    if expect.canonical_host and expect.canonical_host not in hosts:
        hosts.append(expect.canonical_host)
    return hosts


def check_resolves(obs: DomainObservations, expect: Expectation) -> CheckResult:
    cid = "dns.resolves"
    evidence: dict[str, Any] = {}
    errors: list[str] = []
    missing: list[str] = []
    for host in address_hosts(obs, expect):
        answers = {rdtype: obs.answer(host, rdtype) for rdtype in ("A", "AAAA")}
        addresses = [r for a in answers.values() if a is not None for r in a.records]
        evidence[host] = {rdtype: list(a.records) if a else [] for rdtype, a in answers.items()}
        problems = [p for rdtype, a in answers.items() if (p := _failure(a, host, rdtype))]
        if addresses:
            continue
        if problems:
            errors.extend(problems)
        else:
            nx = any(a is not None and a.rcode is Rcode.NXDOMAIN for a in answers.values())
            missing.append(f"{host} ({'NXDOMAIN' if nx else 'no A/AAAA records'})")
    if missing:
        return failed(cid, f"does not resolve: {', '.join(missing)}", evidence,
                      "publish A/AAAA (or a CNAME) for the apex and the canonical host")
    if errors:
        return errored(cid, "; ".join(errors), evidence)
    if expect.origin_addresses and expect.canonical_host:
        seen = set(evidence[expect.canonical_host]["A"] + evidence[expect.canonical_host]["AAAA"])
        wanted = set(expect.origin_addresses)
        if seen != wanted:
            evidence["expected"] = sorted(wanted)
            return warned(cid, f"{expect.canonical_host} resolves to {', '.join(sorted(seen))}, "
                               f"the spec's origin is {', '.join(sorted(wanted))}", evidence,
                          "update the A/AAAA records (pulumi up) or the spec's origin.addresses")
    count = sum(len(v["A"]) + len(v["AAAA"]) for v in evidence.values())
    verb = "resolves" if len(evidence) == 1 else "resolve"
    return passed(cid, f"{', '.join(evidence)} {verb} ({count} address{'es' if count != 1 else ''})",
                  evidence)


def check_ns(obs: DomainObservations, expect: Expectation) -> CheckResult:
    cid = "dns.ns"
    answer = obs.answer(expect.domain, "NS")
    if (problem := _failure(answer, expect.domain, "NS")) or answer is None:
        return errored(cid, problem or "no NS answer")
    servers = sorted(answer.records)
    evidence = {"ns": servers}
    if not servers:
        return failed(cid, f"{expect.domain} has no NS records ({answer.rcode.value})", evidence,
                      "delegate the domain at the registrar to the zone's name servers")
    if expect.cloudflare_ns:
        foreign = [ns for ns in servers if not ns.endswith(CLOUDFLARE_NS_SUFFIX)]
        if foreign:
            return failed(cid, f"not delegated to Cloudflare: {', '.join(foreign)}", evidence,
                          "set the zone's two *.ns.cloudflare.com name servers at the registrar")
    return passed(cid, f"{len(servers)} name servers: {', '.join(servers)}", evidence)


def check_dangling(obs: DomainObservations, expect: Expectation) -> CheckResult:
    cid = "dns.dangling"
    dangling: dict[str, str] = {}
    aliases: dict[str, str] = {}
    errors: list[str] = []
    for name in expect.dangling_names:
        answer = obs.answer(name, "CNAME")
        if problem := _failure(answer, name, "CNAME"):
            errors.append(problem)
            continue
        if answer is None or not answer.records:
            continue
        target = answer.records[0]
        aliases[name] = target
        targets = [obs.answer(target, rdtype) for rdtype in ("A", "AAAA")]
        if any(a is not None and a.records for a in targets):
            continue
        target_problems = [p for rdtype, a in zip(("A", "AAAA"), targets, strict=True)
                           if (p := _failure(a, target, rdtype))]
        if target_problems:
            errors.extend(target_problems)
        else:
            nx = any(a is not None and a.rcode is Rcode.NXDOMAIN for a in targets)
            if nx or not is_service_name(name):
                dangling[name] = f"{target} ({'NXDOMAIN' if nx else 'no A/AAAA'})"
    evidence: dict[str, Any] = {"cnames": aliases}
    if dangling:
        evidence["dangling"] = dangling
        names = ", ".join(f"{k} -> {v}" for k, v in dangling.items())
        return failed(cid, f"CNAME target does not resolve: {names}", evidence,
                      "delete the CNAME or re-create the target (a dangling CNAME can be taken over)")
    if errors:
        return errored(cid, "; ".join(errors[:5]), evidence)
    return passed(cid, f"{len(aliases)} CNAMEs checked, every target resolves", evidence)


def check_dnssec(obs: DomainObservations, expect: Expectation) -> CheckResult:
    cid = "dns.dnssec"
    ds = obs.answer(expect.domain, "DS")
    if (problem := _failure(ds, expect.domain, "DS")) or ds is None:
        return errored(cid, problem or "no DS answer")
    soa = obs.answer(expect.domain, "SOA")
    validated = bool(soa and soa.authenticated) or ds.authenticated
    evidence = {"ds": list(ds.records), "validated_answers": validated}
    if not ds.records:
        if not expect.dnssec:
            return passed(cid, "unsigned, as the spec asks (dnssec: false)", evidence)
        return failed(cid, f"no DS record for {expect.domain} at the parent: the zone is not signed",
                      evidence, "enable DNSSEC on the zone and publish its DS record at the registrar")
    if not validated:
        return warned(cid, "DS at the parent, but answers were not validated (no AD flag)", evidence,
                      "check the signatures (e.g. dnsviz.net); the resolver used may strip DNSSEC")
    return passed(cid, f"signed: {len(ds.records)} DS record(s), answers validated", evidence)


def parse_caa(records: tuple[str, ...]) -> list[tuple[int, str, str]]:
    out = []
    for record in records:
        match = _CAA.match(record)
        if match:
            out.append((int(match[1]), match[2].lower(), match[3]))
    return out


def _issuer(value: str) -> str:
    return value.split(";", 1)[0].strip().lower()


def check_caa(obs: DomainObservations, expect: Expectation) -> CheckResult:
    cid = "dns.caa"
    answer = obs.answer(expect.domain, "CAA")
    if (problem := _failure(answer, expect.domain, "CAA")) or answer is None:
        return errored(cid, problem or "no CAA answer")
    entries = parse_caa(answer.records)
    issuers = sorted({_issuer(v) for _, tag, v in entries if tag == "issue"})
    evidence: dict[str, Any] = {"records": list(answer.records), "issuers": issuers}
    if not entries:
        return failed(cid, f"no CAA records on {expect.domain}: any CA may issue certificates", evidence,
                      "publish CAA issue records for the CAs you use (the spec's caa.issuers)")
    if expect.caa_issuers is None:
        return passed(cid, f"CAA allows: {', '.join(i or '(none)' for i in issuers)}", evidence)
    wanted = {i.lower() for i in expect.caa_issuers}
    missing = sorted(wanted - set(issuers))
    extra = sorted(set(issuers) - wanted - CLOUDFLARE_CAA_ISSUERS - {""})
    evidence["expected"] = sorted(wanted)
    if missing:
        return failed(cid, f"CAA does not allow the spec's issuer(s): {', '.join(missing)}", evidence,
                      "add the missing CAA issue records (pulumi up)")
    if extra:
        return warned(cid, f"CAA also allows issuers the spec does not list: {', '.join(extra)}", evidence,
                      "remove the extra CAA records or add them to the spec's caa.issuers")
    return passed(cid, f"CAA allows the spec's issuers: {', '.join(sorted(wanted))}", evidence)


CHECKS: dict[str, Evaluator] = {
    "dns.resolves": check_resolves,
    "dns.ns": check_ns,
    "dns.dangling": check_dangling,
    "dns.dnssec": check_dnssec,
    "dns.caa": check_caa,
}

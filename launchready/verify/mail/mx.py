"""``email.mx``: the MX hosts resolve, or a null MX (RFC 7505) says the domain takes no mail."""

from __future__ import annotations

from typing import Any

from launchready.verify.dnsclient import DnsAnswer
from launchready.verify.mail._result import dns_error
from launchready.verify.mail.collect import Collector, DnsQuery, Gathered, name_key
from launchready.verify.mail.expectation import EmailExpectation
from launchready.verify.model import CheckResult, Status
from launchready.verify.results import result

CHECK_ID = "email.mx"
MAX_HOSTS = 20
"""Address lookups per domain are capped; a longer MX list is itself suspicious."""


def parse_mx(answer: DnsAnswer) -> list[tuple[int, str]]:
    """(preference, host) pairs; the null MX host is ``"."``; unparsable records are skipped."""
    out = []
    for text in answer.records:
        parts = text.split()
        if not parts or not parts[0].isdigit():
            continue
        host = name_key(parts[1]) if len(parts) > 1 else ""
        out.append((int(parts[0]), host or "."))
    return sorted(out)


def hosts(answer: DnsAnswer) -> list[str]:
    """The real (non-null) MX host names, best preference first."""
    return [host for _, host in parse_mx(answer) if host != "."]


def accepts_no_mail(store: Gathered) -> bool:
    """The domain publishes a null MX (RFC 7505): inbound-mail hardening does not apply."""
    return any(host == "." for _, host in parse_mx(store.answer(store.domain, "MX")))


def collect(store: Gathered) -> Collector:
    yield [DnsQuery(store.domain, "MX")]
    found = hosts(store.answer(store.domain, "MX"))[:MAX_HOSTS]
    if found:
        yield [DnsQuery(host, rdtype) for host in found for rdtype in ("A", "AAAA")]


def evaluate(store: Gathered, expect: EmailExpectation) -> CheckResult:
    domain = store.domain
    answer = store.answer(domain, "MX")
    if not answer.ok:
        return dns_error(CHECK_ID, answer, f"the MX records of {domain}")
    records = parse_mx(answer)
    evidence: dict[str, Any] = {"mx": [f"{pref} {host}" for pref, host in records]}
    null = [host for _, host in records if host == "."]
    if null:
        if len(records) > 1:
            return result(
                CHECK_ID,
                Status.FAIL,
                "a null MX must be the only MX record",
                evidence,
                "remove the null MX, or every other MX record",
            )
        if expect.sends_mail:
            return result(
                CHECK_ID,
                Status.FAIL,
                "null MX, but the spec says the domain receives mail",
                evidence,
                "publish the provider's MX records",
            )
        return result(CHECK_ID, Status.PASS, "null MX: the domain accepts no mail", evidence)
    if not records:
        if expect.sends_mail:
            return result(
                CHECK_ID,
                Status.FAIL,
                f"no MX records at {domain}",
                evidence,
                "publish the mail provider's MX records",
            )
        return result(
            CHECK_ID,
            Status.WARN,
            "no MX and no null MX: senders fall back to the A record",
            evidence,
            f"publish a null MX ({domain} MX 0 .) if the domain takes no mail",
        )
    if expect.mx_hosts == (".",):
        return result(
            CHECK_ID,
            Status.FAIL,
            "MX hosts published, but the spec says the domain takes no mail",
            evidence,
            f"publish only a null MX ({domain} MX 0 .)",
        )
    addresses: dict[str, list[str]] = {}
    unresolved, errors = [], []
    for host in hosts(answer)[:MAX_HOSTS]:
        found = [store.answer(host, "A"), store.answer(host, "AAAA")]
        addresses[host] = [a for ans in found for a in ans.records]
        if not addresses[host]:
            if all(ans.ok for ans in found):
                unresolved.append(host)
            else:
                errors.append(
                    f"{host}: " + ", ".join(f"{a.rdtype} {a.rcode.value}" for a in found if not a.ok)
                )
    evidence["addresses"] = addresses
    if unresolved:
        evidence["unresolved"] = unresolved
        return result(
            CHECK_ID,
            Status.FAIL,
            "MX host(s) do not resolve: " + ", ".join(unresolved),
            evidence,
            "point MX at hosts with A/AAAA records",
        )
    if errors:
        evidence["errors"] = errors
        return result(
            CHECK_ID,
            Status.ERROR,
            "could not resolve MX host(s): " + "; ".join(errors),
            evidence,
            "retry; check the name servers",
        )
    expected = {name_key(h) for h in expect.mx_hosts if h != "."}
    missing = sorted(expected - set(addresses))
    if missing:
        evidence["missing"] = missing
        return result(
            CHECK_ID,
            Status.FAIL,
            "the spec's MX host(s) are missing: " + ", ".join(missing),
            evidence,
            "publish the spec's MX records",
        )
    extra = sorted(set(addresses) - expected) if expected else []
    if extra:
        evidence["unexpected"] = extra
        return result(
            CHECK_ID,
            Status.WARN,
            "MX host(s) not in the spec: " + ", ".join(extra),
            evidence,
            "remove them or add them to the spec",
        )
    return result(CHECK_ID, Status.PASS, f"{len(addresses)} MX host(s), all resolve", evidence)

"""RFC 7208 ``check_host()`` and the SPF record analyser behind ``email.spf``.

The evaluator only talks to a ``Lookup``, so the same code runs against the live resolver,
the loopback testbed, the RFC 7208 test suite's zone data, or a snapshot of answers that
the collect phase gathered (see ``collect.py``). ``walk()`` is check_host() for a sender
address that matches nothing: every term up to ``all`` is evaluated, which is the worst
case for the DNS-lookup and void-lookup limits and tells whether *any* host passes.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import quote

from launchready.verify.dnsclient import DnsAnswer, Lookup, Rcode
from launchready.verify.mail._result import dns_error
from launchready.verify.mail.collect import Collector, Gathered, Pending, SnapshotLookup
from launchready.verify.mail.expectation import EmailExpectation
from launchready.verify.model import CheckResult, Status
from launchready.verify.results import result

LOOKUP_LIMIT = 10
"""RFC 7208 §4.6.4: terms that cause DNS queries, per check_host() evaluation."""
VOID_LIMIT = 2
"""RFC 7208 §4.6.4: lookups answering NXDOMAIN or no records."""
MX_LIMIT = 10
PTR_LIMIT = 10

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class SpfResult(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    SOFTFAIL = "softfail"
    NEUTRAL = "neutral"
    NONE = "none"
    PERMERROR = "permerror"
    TEMPERROR = "temperror"


_QUALIFIERS = {
    "+": SpfResult.PASS,
    "-": SpfResult.FAIL,
    "~": SpfResult.SOFTFAIL,
    "?": SpfResult.NEUTRAL,
}


class PermError(Exception):
    """The record (or one it includes) is broken: syntax, limits, loops."""


class TempError(Exception):
    """A DNS query failed (timeout, SERVFAIL): try again later, never a verdict."""


class _IpDependent(Exception):
    """A macro needs the sender's IP, which a walk does not have."""


# --------------------------------------------------------------------------- parsing

_TOPLABEL = r"(?:[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*|[A-Za-z0-9]+-[A-Za-z0-9-]*[A-Za-z0-9])"
_DOMAIN_END = re.compile(r"\." + _TOPLABEL + r"\.?$")
_MODIFIER = re.compile(r"^([A-Za-z][A-Za-z0-9\-_.]*)=(.*)$", re.S)
_DIRECTIVE = re.compile(r"^([+\-~?]?)([A-Za-z][A-Za-z0-9\-_.]*)(.*)$", re.S)
_DUAL_CIDR = re.compile(r"^(.*?)(?:/(0|[1-9][0-9]?))?(?://(0|[1-9][0-9]{0,2}))?$", re.S)
_IP4 = re.compile(
    r"^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}"
    r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])$"
)
_MACRO_LETTERS = "slodipvh"
_EXP_LETTERS = _MACRO_LETTERS + "crt"
_MACRO_TOKEN = re.compile(r"%\{([A-Za-z])([0-9]*)(r?)([.\-+,/_=]*)\}", re.I)


@dataclass(frozen=True, slots=True)
class _Macro:
    letter: str
    digits: int | None
    reverse: bool
    delimiters: str


MacroString = tuple[str | _Macro, ...]


def parse_macro_string(text: str, letters: str = _MACRO_LETTERS, *, space_ok: bool = False) -> MacroString:
    """Tokenise a macro-string (RFC 7208 §7.1); PermError on any syntax error."""
    tokens: list[str | _Macro] = []
    literal: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "%":
            nxt = text[i + 1 : i + 2]
            if nxt in ("%", "_", "-"):
                literal.append({"%": "%", "_": " ", "-": "%20"}[nxt])
                i += 2
                continue
            match = _MACRO_TOKEN.match(text, i)
            if not match:
                raise PermError(f"invalid macro at {text[i : i + 8]!r}")
            letter = match.group(1)
            if letter.lower() not in letters:
                raise PermError(f"macro letter %{{{letter}}} is not allowed here")
            digits = int(match.group(2)) if match.group(2) else None
            if digits == 0:
                raise PermError("macro transformer digit must be at least 1")
            if literal:
                tokens.append("".join(literal))
                literal = []
            tokens.append(_Macro(letter, digits, bool(match.group(3)), match.group(4)))
            i = match.end()
            continue
        if not (0x21 <= ord(char) <= 0x7E or (space_ok and char == " ")):
            raise PermError(f"invalid character {char!r}")
        literal.append(char)
        i += 1
    if literal:
        tokens.append("".join(literal))
    return tuple(tokens)


def _ends_with_macro(raw: str) -> bool:
    """True when the last item of a (valid) macro-string is a macro-expand, not a literal."""
    i, last_is_macro = 0, False
    while i < len(raw):
        if raw[i] == "%":
            match = _MACRO_TOKEN.match(raw, i)
            i = match.end() if match else i + 2
            last_is_macro = True
        else:
            i, last_is_macro = i + 1, False
    return last_is_macro


def parse_domain_spec(raw: str) -> MacroString:
    """A domain-spec must be non-empty and end in a macro or '.' toplabel."""
    if not raw:
        raise PermError("empty domain-spec")
    tokens = parse_macro_string(raw)
    if not _ends_with_macro(raw):
        tail = tokens[-1] if isinstance(tokens[-1], str) else ""
        if not _DOMAIN_END.search(tail):
            raise PermError(f"{raw!r} does not end in a valid top-level label")
    return tokens


@dataclass(frozen=True, slots=True)
class Mechanism:
    qualifier: SpfResult
    name: str
    """all, include, a, mx, ptr, ip4, ip6, exists (lower case)."""
    domain: MacroString | None = None
    network4: ipaddress.IPv4Network | None = None
    network6: ipaddress.IPv6Network | None = None
    cidr4: int = 32
    cidr6: int = 128
    raw: str = ""

    @property
    def counts(self) -> bool:
        """True for the terms that count toward the 10-lookup limit."""
        return self.name in ("include", "a", "mx", "ptr", "exists")


@dataclass(frozen=True, slots=True)
class SpfRecord:
    mechanisms: tuple[Mechanism, ...]
    redirect: MacroString | None
    exp: MacroString | None
    redirect_raw: str = ""

    @property
    def has_all(self) -> bool:
        return any(m.name == "all" for m in self.mechanisms)


def is_spf_record(text: str) -> bool:
    """RFC 7208 §4.5: 'v=spf1' (any case) followed by a space or the end."""
    return text[:6].lower() == "v=spf1" and (len(text) == 6 or text[6] == " ")


def parse_record(text: str) -> SpfRecord:
    """Parse a whole record first: any syntax error anywhere is a PermError (§4.6)."""
    if not text.isascii():
        raise PermError("record contains non-ASCII characters")
    mechanisms: list[Mechanism] = []
    modifiers: dict[str, tuple[str, MacroString]] = {}
    for term in text[6:].split(" "):
        if not term:
            continue
        modifier = _MODIFIER.match(term)
        if modifier:
            name, value = modifier.group(1).lower(), modifier.group(2)
            if name in ("redirect", "exp"):
                if name in modifiers:
                    raise PermError(f"{name}= appears more than once")
                modifiers[name] = (value, parse_domain_spec(value))
            else:
                parse_macro_string(value)  # unknown modifiers are ignored but must parse
            continue
        mechanisms.append(_parse_mechanism(term))
    redirect = modifiers.get("redirect")
    exp = modifiers.get("exp")
    return SpfRecord(
        mechanisms=tuple(mechanisms),
        redirect=redirect[1] if redirect else None,
        exp=exp[1] if exp else None,
        redirect_raw=redirect[0] if redirect else "",
    )


def _parse_mechanism(term: str) -> Mechanism:
    match = _DIRECTIVE.match(term)
    if not match:
        raise PermError(f"unknown term {term!r}")
    qualifier = _QUALIFIERS.get(match.group(1) or "+", SpfResult.PASS)
    name, rest = match.group(2).lower(), match.group(3)
    if name == "all":
        if rest:
            raise PermError(f"'all' takes no argument: {term!r}")
        return Mechanism(qualifier, name, raw=term)
    if name in ("include", "exists"):
        if not rest.startswith(":"):
            raise PermError(f"{name} needs ':domain': {term!r}")
        return Mechanism(qualifier, name, domain=parse_domain_spec(rest[1:]), raw=term)
    if name == "ptr":
        if rest and not rest.startswith(":"):
            raise PermError(f"ptr takes only ':domain': {term!r}")
        domain = parse_domain_spec(rest[1:]) if rest else None
        return Mechanism(qualifier, name, domain=domain, raw=term)
    if name in ("a", "mx"):
        cidr = _DUAL_CIDR.match(rest)
        assert cidr is not None  # the pattern matches every string
        spec, c4, c6 = cidr.groups()
        cidr4, cidr6 = int(c4) if c4 else 32, int(c6) if c6 else 128
        if cidr4 > 32 or cidr6 > 128:
            raise PermError(f"CIDR length out of range: {term!r}")
        if spec and not spec.startswith(":"):
            raise PermError(f"malformed {name} mechanism: {term!r}")
        domain = parse_domain_spec(spec[1:]) if spec else None
        return Mechanism(qualifier, name, domain=domain, cidr4=cidr4, cidr6=cidr6, raw=term)
    if name == "ip4":
        return Mechanism(qualifier, name, network4=_ip4_network(rest, term), raw=term)
    if name == "ip6":
        return Mechanism(qualifier, name, network6=_ip6_network(rest, term), raw=term)
    raise PermError(f"unknown mechanism {name!r}")


def _ip4_network(rest: str, term: str) -> ipaddress.IPv4Network:
    match = re.fullmatch(r":([0-9.]+)(?:/(0|[1-9][0-9]?))?", rest)
    if not match or not _IP4.match(match.group(1)) or int(match.group(2) or 32) > 32:
        raise PermError(f"invalid ip4 network: {term!r}")
    return ipaddress.IPv4Network(f"{match.group(1)}/{match.group(2) or 32}", strict=False)


def _ip6_network(rest: str, term: str) -> ipaddress.IPv6Network:
    match = re.fullmatch(r":([0-9A-Fa-f:.]+)(?:/(0|[1-9][0-9]{0,2}))?", rest)
    if not match or int(match.group(2) or 128) > 128:
        raise PermError(f"invalid ip6 network: {term!r}")
    try:
        return ipaddress.IPv6Network(f"{match.group(1)}/{match.group(2) or 128}", strict=False)
    except ValueError:
        raise PermError(f"invalid ip6 network: {term!r}") from None


# --------------------------------------------------------------------------- evaluation


@dataclass(frozen=True, slots=True)
class SpfOutcome:
    result: SpfResult
    reason: str
    """Why, in one line: the matching term, or the error's cause."""
    explanation: str | None = None
    """The exp= text on a fail, when the record gives one."""
    lookups: int = 0
    void_lookups: int = 0
    chain: tuple[str, ...] = ()
    """Every domain whose SPF record was evaluated, in order (include/redirect)."""
    ptr_used: bool = False
    unevaluated: tuple[str, ...] = ()
    """Terms a walk could not query because they depend on the sender's IP."""


@dataclass
class _Context:
    lookup: Lookup
    ip: IpAddress | None
    sender: str
    helo: str
    receiver: str = "unknown"
    lookups: int = 0
    void: int = 0
    chain: list[str] = field(default_factory=list)
    stack: list[str] = field(default_factory=list)
    ptr_used: bool = False
    unevaluated: list[str] = field(default_factory=list)
    now: Callable[[], float] = time.time

    @property
    def local_part(self) -> str:
        return self.sender.rsplit("@", 1)[0]

    @property
    def sender_domain(self) -> str:
        return self.sender.rsplit("@", 1)[1]


def _normalise_ip(ip: str | IpAddress) -> IpAddress:
    addr = ipaddress.ip_address(ip) if isinstance(ip, str) else ip
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


def _valid_domain(domain: str) -> bool:
    """RFC 7208 §4.3: a multi-label name with labels of 1..63 characters."""
    labels = domain.rstrip(".").split(".")
    if len(labels) < 2 or len(domain.rstrip(".")) > 253:
        return False
    return all(0 < len(label) <= 63 for label in labels) and "[" not in domain


def _sender(sender: str, helo: str) -> str:
    """MAIL FROM, or postmaster@HELO when empty; an empty local-part becomes postmaster (§4.3)."""
    if not sender:
        return f"postmaster@{helo}"
    local, at, domain = sender.rpartition("@")
    if not at:
        return f"postmaster@{sender}"
    return f"{local or 'postmaster'}@{domain}"


def check_host(
    ip: str | IpAddress,
    sender: str,
    lookup: Lookup,
    *,
    helo: str = "",
    domain: str | None = None,
    receiver: str = "unknown",
) -> SpfOutcome:
    """RFC 7208 check_host() for a connecting ``ip`` and MAIL FROM ``sender`` (HELO when empty)."""
    full_sender = _sender(sender, helo)
    ctx = _Context(lookup=lookup, ip=_normalise_ip(ip), sender=full_sender, helo=helo, receiver=receiver)
    return _run(ctx, domain or ctx.sender_domain)


def walk(domain: str, lookup: Lookup) -> SpfOutcome:
    """Evaluate ``domain``'s record for a sender address that no ip4/ip6/a/mx/ptr term matches."""
    ctx = _Context(lookup=lookup, ip=None, sender=f"postmaster@{domain}", helo=domain)
    return _run(ctx, domain)


def _run(ctx: _Context, domain: str) -> SpfOutcome:
    def outcome(result: SpfResult, reason: str, explanation: str | None = None) -> SpfOutcome:
        return SpfOutcome(
            result,
            reason,
            explanation,
            ctx.lookups,
            ctx.void,
            tuple(ctx.chain),
            ctx.ptr_used,
            tuple(ctx.unevaluated),
        )

    if not _valid_domain(domain):
        return outcome(SpfResult.NONE, f"{domain!r} is not a valid domain name")
    try:
        result, reason, explanation = _check(ctx, domain.rstrip(".").lower(), top=True)
    except PermError as exc:
        return outcome(SpfResult.PERMERROR, str(exc))
    except TempError as exc:
        return outcome(SpfResult.TEMPERROR, str(exc))
    return outcome(result, reason, explanation)


def _query(ctx: _Context, name: str, rdtype: str) -> DnsAnswer:
    answer = ctx.lookup.query(name, rdtype)
    if answer.rcode in (Rcode.NOERROR, Rcode.NXDOMAIN):
        return answer
    raise TempError(f"{name} {rdtype}: {answer.rcode.value}" + (f" ({answer.error})" if answer.error else ""))


def _count_void(ctx: _Context, answer: DnsAnswer) -> None:
    if answer.void:
        ctx.void += 1
        if ctx.void > VOID_LIMIT:
            raise PermError(f"more than {VOID_LIMIT} void lookups (last: {answer.name} {answer.rdtype})")


def select_records(answer: DnsAnswer) -> list[str]:
    return [text for text in answer.records if is_spf_record(text)]


def _check(ctx: _Context, domain: str, *, top: bool = False) -> tuple[SpfResult, str, str | None]:
    """check_host() for one domain: (result, reason, explanation)."""
    if domain in ctx.stack:
        raise PermError("include/redirect loop: " + " -> ".join([*ctx.stack, domain]))
    answer = _query(ctx, domain, "TXT")
    if not top:
        _count_void(ctx, answer)
    records = select_records(answer)
    if not records:
        return SpfResult.NONE, f"no SPF record at {domain}", None
    if len(records) > 1:
        raise PermError(f"{len(records)} SPF records at {domain}")
    record = parse_record(records[0])
    ctx.chain.append(domain)
    ctx.stack.append(domain)
    try:
        return _evaluate(ctx, domain, record)
    finally:
        ctx.stack.pop()


def _evaluate(ctx: _Context, domain: str, record: SpfRecord) -> tuple[SpfResult, str, str | None]:
    for mech in record.mechanisms:
        if mech.counts:
            _count_lookup(ctx, mech.raw)
        try:
            matched = _matches(ctx, domain, mech)
        except Pending:
            if ctx.ip is not None:
                raise
            matched = False  # collect phase: fetch it, keep discovering the rest
        except _IpDependent:
            ctx.unevaluated.append(mech.raw)
            matched = False
        if matched:
            explanation = _explain(ctx, domain, record) if mech.qualifier is SpfResult.FAIL else None
            return mech.qualifier, f"{domain}: matched {mech.raw}", explanation
    if record.redirect is not None and not record.has_all:
        _count_lookup(ctx, f"redirect={record.redirect_raw}")
        try:
            target = _expand_domain(ctx, record.redirect, domain)
            if target is None:
                raise PermError(f"redirect={record.redirect_raw} is not a valid domain")
            result, reason, explanation = _check(ctx, target)
        except _IpDependent:
            ctx.unevaluated.append(f"redirect={record.redirect_raw}")
            return SpfResult.NEUTRAL, f"{domain}: redirect depends on the sender's IP", None
        except Pending:
            if ctx.ip is not None:
                raise
            return SpfResult.NEUTRAL, f"{domain}: redirect target not fetched yet", None
        if result is SpfResult.NONE:
            raise PermError(f"redirect target {target} has no SPF record")
        return result, reason, explanation
    return SpfResult.NEUTRAL, f"{domain}: no term matched", None


def _count_lookup(ctx: _Context, term: str) -> None:
    ctx.lookups += 1
    if ctx.lookups > LOOKUP_LIMIT:
        raise PermError(f"more than {LOOKUP_LIMIT} DNS lookups (at {term})")


def _matches(ctx: _Context, domain: str, mech: Mechanism) -> bool:
    ip = ctx.ip
    if mech.name == "all":
        return True
    if mech.name == "ip4":
        return isinstance(ip, ipaddress.IPv4Address) and mech.network4 is not None and ip in mech.network4
    if mech.name == "ip6":
        return isinstance(ip, ipaddress.IPv6Address) and mech.network6 is not None and ip in mech.network6
    target = _expand_domain(ctx, mech.domain, domain) if mech.domain else domain
    if target is None:
        return False  # an unusable name (empty or over-long label) does not exist
    if mech.name == "include":
        result, _, _ = _check(ctx, target)
        if result is SpfResult.NONE:
            raise PermError(f"include:{target} has no SPF record")
        return result is SpfResult.PASS
    if mech.name == "exists":
        answer = _query(ctx, target, "A")
        _count_void(ctx, answer)
        return bool(answer.records)
    if mech.name == "a":
        return _match_a(ctx, target, mech)
    if mech.name == "mx":
        return _match_mx(ctx, target, mech)
    return _match_ptr(ctx, target)


def _in_network(ip: IpAddress, addresses: tuple[str, ...], mech: Mechanism) -> bool:
    prefix = mech.cidr4 if isinstance(ip, ipaddress.IPv4Address) else mech.cidr6
    network = ipaddress.ip_network(f"{ip}/{prefix}", strict=False)
    for text in addresses:
        try:
            if ipaddress.ip_address(text) in network:
                return True
        except ValueError:
            continue
    return False


def _match_a(ctx: _Context, target: str, mech: Mechanism) -> bool:
    if ctx.ip is None:  # walk: either family may serve some sender
        answers = [_query(ctx, target, "A"), _query(ctx, target, "AAAA")]
        if all(a.void for a in answers):
            _count_void(ctx, answers[0])
        return False
    answer = _query(ctx, target, "A" if ctx.ip.version == 4 else "AAAA")
    _count_void(ctx, answer)
    return _in_network(ctx.ip, answer.records, mech)


def _mx_hosts(answer: DnsAnswer) -> list[str]:
    hosts = []
    for text in answer.records:
        parts = text.split(None, 1)
        host = parts[1].rstrip(".") if len(parts) == 2 else ""
        hosts.append(host)
    return hosts


def _match_mx(ctx: _Context, target: str, mech: Mechanism) -> bool:
    answer = _query(ctx, target, "MX")
    _count_void(ctx, answer)
    hosts = _mx_hosts(answer)
    if len(hosts) > MX_LIMIT:
        raise PermError(f"{target} has {len(hosts)} MX records, limit {MX_LIMIT}")
    if ctx.ip is None:
        return False
    rdtype = "A" if ctx.ip.version == 4 else "AAAA"
    return any(host and _in_network(ctx.ip, _query(ctx, host, rdtype).records, mech) for host in hosts)


def _validated_names(ctx: _Context, target: str | None) -> list[str]:
    """RFC 7208 §5.5: PTR names of the IP whose own A/AAAA include the IP."""
    ip = ctx.ip
    if ip is None:
        raise _IpDependent
    try:
        answer = _query(ctx, ip.reverse_pointer, "PTR")
    except TempError:
        return []
    if target is not None:
        _count_void(ctx, answer)
    rdtype = "A" if ip.version == 4 else "AAAA"
    names = []
    for name in answer.records[:PTR_LIMIT]:
        name = name.rstrip(".")
        try:
            addresses = _query(ctx, name, rdtype).records
        except TempError:
            continue
        if any(_same_ip(ip, text) for text in addresses):
            names.append(name)
    return names


def _same_ip(ip: IpAddress, text: str) -> bool:
    try:
        return ipaddress.ip_address(text) == ip
    except ValueError:
        return False


def _match_ptr(ctx: _Context, target: str) -> bool:
    ctx.ptr_used = True
    target = target.lower()
    return any(
        name.lower() == target or name.lower().endswith("." + target)
        for name in _validated_names(ctx, target)
    )


# --------------------------------------------------------------------------- macros


def _expand(ctx: _Context, tokens: MacroString, domain: str) -> str:
    out = []
    for token in tokens:
        if isinstance(token, str):
            out.append(token)
            continue
        value = _macro_value(ctx, token.letter.lower(), domain)
        parts = re.split("[" + re.escape(token.delimiters or ".") + "]", value)
        if token.reverse:
            parts.reverse()
        if token.digits is not None:
            parts = parts[-token.digits :]
        value = ".".join(parts)
        if token.letter.isupper():
            value = quote(value, safe="~")
        out.append(value)
    return "".join(out)


def _macro_value(ctx: _Context, letter: str, domain: str) -> str:
    ip = ctx.ip
    if letter in "ipvc" and ip is None:
        raise _IpDependent
    if letter == "s":
        return ctx.sender
    if letter == "l":
        return ctx.local_part
    if letter == "o":
        return ctx.sender_domain
    if letter == "d":
        return domain
    if letter == "h":
        return ctx.helo
    if letter == "r":
        return ctx.receiver
    if letter == "t":
        return str(int(ctx.now()))
    assert ip is not None
    if letter == "i":
        if ip.version == 4:
            return str(ip)
        return ".".join(f"{int(ip):032X}")
    if letter == "v":
        return "in-addr" if ip.version == 4 else "ip6"
    if letter == "c":
        return str(ip)
    # p: the validated name, preferring the target domain or a subdomain of it
    names = _validated_names(ctx, None)
    for name in names:
        if name.lower() == domain or name.lower().endswith("." + domain):
            return name
    return names[0] if names else "unknown"


def _expand_domain(ctx: _Context, tokens: MacroString, domain: str) -> str | None:
    """Expand a domain-spec; None when the result is not a usable DNS name."""
    name = _expand(ctx, tokens, domain).rstrip(".")
    labels = name.split(".")
    while len(name) > 253 and len(labels) > 1:
        labels = labels[1:]
        name = ".".join(labels)
    if not name or any(not 0 < len(label) <= 63 for label in labels):
        return None
    return name.lower()


def _explain(ctx: _Context, domain: str, record: SpfRecord) -> str | None:
    """exp=: best effort, never an error; lookups here do not count toward the limits."""
    if record.exp is None or ctx.ip is None:
        return None
    try:
        target = _expand_domain(ctx, record.exp, domain)
        if target is None:
            return None
        answer = ctx.lookup.query(target, "TXT")
        if answer.rcode is not Rcode.NOERROR or len(answer.records) != 1:
            return None
        text = answer.records[0]
        if not text.isascii():
            return None
        return _expand(ctx, parse_macro_string(text, _EXP_LETTERS, space_ok=True), domain)
    except (PermError, TempError, _IpDependent):
        return None


# --------------------------------------------------------------------------- the email.spf check

CHECK_ID = "email.spf"


def collect(store: Gathered) -> Collector:
    """Fetch what a walk of the domain's record needs, one dependency level per batch."""
    while True:
        snapshot = SnapshotLookup(store.dns)
        with contextlib.suppress(Pending):
            walk(store.domain, snapshot)
        if not snapshot.missing:
            return
        yield list(dict.fromkeys(snapshot.missing))


def _top_terms(record: str) -> list[str]:
    return [term for term in record.split(" ")[1:] if term]


def evaluate(store: Gathered, expect: EmailExpectation) -> CheckResult:
    """Exactly one valid record, within the limits, ending in -all/~all, with the spec's includes."""
    domain = store.domain
    answer = store.answer(domain, "TXT")
    if not answer.ok:
        return dns_error(CHECK_ID, answer, f"the TXT records of {domain}")
    records = select_records(answer)
    if not records:
        return result(
            CHECK_ID,
            Status.FAIL,
            f"no SPF record at {domain}",
            {"txt_records": list(answer.records)[:10]},
            f"publish one TXT record at {domain}: v=spf1 <your senders> -all",
        )
    if len(records) > 1:
        return result(
            CHECK_ID,
            Status.FAIL,
            f"{len(records)} SPF records at {domain}: receivers give permerror",
            {"records": sorted(records)},
            "merge them into one v=spf1 record",
        )
    record = records[0]
    try:
        outcome = walk(domain, store.snapshot())
    except Pending as not_collected:  # the collect phase stopped early (deadline): not observed
        return result(
            CHECK_ID,
            Status.ERROR,
            f"SPF evaluation needs {not_collected} which was not collected",
            {"record": record},
            "retry with a longer --timeout",
        )
    evidence: dict[str, Any] = {
        "record": record,
        "lookups": outcome.lookups,
        "limit": LOOKUP_LIMIT,
        "void_lookups": outcome.void_lookups,
        "void_limit": VOID_LIMIT,
        "chain": list(outcome.chain),
    }
    if outcome.unevaluated:
        evidence["ip_dependent_terms"] = list(outcome.unevaluated)
    if outcome.result is SpfResult.TEMPERROR:
        return result(
            CHECK_ID,
            Status.ERROR,
            f"SPF evaluation hit a DNS failure: {outcome.reason}",
            evidence,
            "retry; if it persists, fix the name servers of the domain named",
        )
    if outcome.result is SpfResult.PERMERROR:
        return result(
            CHECK_ID, Status.FAIL, f"SPF permerror: {outcome.reason}", evidence, _permerror_fix(outcome)
        )
    terms = [t.lower() for t in _top_terms(record)]
    ending = next((t for t in terms if t.lstrip("+-~?") == "all"), None)
    evidence["all"] = ending
    if outcome.result is SpfResult.PASS:
        return result(
            CHECK_ID,
            Status.FAIL,
            f"SPF lets any host send as this domain ({outcome.reason})",
            evidence,
            "end the record with -all (or ~all) instead of +all",
        )
    if outcome.result is SpfResult.NEUTRAL and ending == "?all":
        return result(
            CHECK_ID,
            Status.FAIL,
            "SPF ends in ?all: unlisted senders are neutral, not refused",
            evidence,
            "end the record with -all (or ~all)",
        )
    missing = [inc for inc in expect.spf_includes if inc.lower() not in outcome.chain]
    if missing:
        evidence["missing_includes"] = missing
        return result(
            CHECK_ID,
            Status.FAIL,
            "SPF lacks the spec's includes: " + ", ".join(missing),
            evidence,
            "add " + " ".join(f"include:{inc}" for inc in missing) + " before the all term",
        )
    if ending is None:
        return result(
            CHECK_ID,
            Status.WARN,
            "SPF has no all term: unlisted senders are neutral",
            evidence,
            "end the record with -all (or ~all)",
        )
    if outcome.result is SpfResult.SOFTFAIL and expect.spf_all == "-all":
        return result(
            CHECK_ID,
            Status.WARN,
            "SPF ends in ~all, the spec asks for -all",
            evidence,
            "end the record with -all",
        )
    if outcome.ptr_used or any(t.lstrip("+-~?").startswith("ptr") for t in terms):
        return result(
            CHECK_ID,
            Status.WARN,
            "SPF uses ptr, which RFC 7208 says not to use",
            evidence,
            "replace ptr with ip4:/ip6: or a: terms",
        )
    if expect.sends_mail is False and outcome.lookups:
        return result(
            CHECK_ID,
            Status.WARN,
            "the domain sends no mail but SPF authorises senders",
            evidence,
            "publish v=spf1 -all for a domain that sends no mail",
        )
    summary = f"one valid SPF record, {outcome.lookups}/{LOOKUP_LIMIT} lookups, ends in {ending}"
    return result(CHECK_ID, Status.PASS, summary, evidence)


def _permerror_fix(outcome: SpfOutcome) -> str:
    reason = outcome.reason
    if "DNS lookups" in reason:
        return "cut include/a/mx/ptr/exists terms (flatten includes to ip4:/ip6:) to stay within 10 lookups"
    if "void lookups" in reason:
        return "remove terms that point at names with no records"
    if "loop" in reason:
        return "break the include/redirect loop"
    if "SPF record" in reason:
        return "fix or remove the include/redirect whose target has no SPF record"
    return "fix the record's syntax (RFC 7208 §12)"

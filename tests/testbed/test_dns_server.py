"""The loopback DNS server answers real UDP and TCP queries, with faults and delays on demand."""

from __future__ import annotations

import concurrent.futures
import socket
import time

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.resolver
import pytest

from launchready.testbed import DnsServer, Fault

pytestmark = pytest.mark.integration

LONG = "v=DKIM1; k=rsa; p=" + "A" * 400

ZONES = {
    "example.com": [
        ("SOA", "ns1.example.com hostmaster.example.com 1 7200 3600 1209600 300"),
        ("NS", "ns1.example.com"),
        ("A", "192.0.2.10"),
        ("AAAA", "2001:db8::10"),
        ("MX", "10 mx1.example.com"),
        ("TXT", "v=spf1 include:_spf.example.net -all"),
        ("TXT", ["first", "second"]),
        ("CAA", '0 issue "letsencrypt.org"'),
    ],
    "www.example.com": [("CNAME", "example.com")],
    "dangling.example.com": [("CNAME", "gone.example.net")],
    "google._domainkey.example.com": [("TXT", LONG)],
    "a.deep.example.com": [("A", "192.0.2.11")],
    "_sip._tcp.example.com": [("SRV", "10 5 5060 sip.example.com")],
}
OTHER_ZONE = {"_spf.example.net": [("TXT", "v=spf1 ip4:198.51.100.0/24 -all")],
              "example.net": [("DS", "2371 13 2 " + "ab" * 32)]}


def ask(server: DnsServer, name: str, rdtype: str, *, tcp: bool = False,
        timeout: float = 1.0) -> dns.message.Message:
    query = dns.message.make_query(name, rdtype, use_edns=0, payload=1232)
    send = dns.query.tcp if tcp else dns.query.udp
    response: dns.message.Message = send(query, "127.0.0.1", port=server.port, timeout=timeout)
    return response


def texts(response: dns.message.Message) -> list[str]:
    return [rdata.to_text() for rrset in response.answer for rdata in rrset]


@pytest.fixture(scope="module")
def server():
    with DnsServer([ZONES, OTHER_ZONE], signed=["example.com"]) as srv:
        yield srv


def test_answers_over_udp_and_tcp_on_the_same_port(server: DnsServer) -> None:
    assert server.nameserver == f"127.0.0.1:{server.port}"
    for tcp in (False, True):
        response = ask(server, "example.com", "MX", tcp=tcp)
        assert response.rcode() == dns.rcode.NOERROR
        assert response.flags & dns.flags.AA
        assert texts(response) == ["10 mx1.example.com."]


def test_record_types(server: DnsServer) -> None:
    assert texts(ask(server, "example.com", "AAAA")) == ["2001:db8::10"]
    assert texts(ask(server, "example.com", "CAA")) == ['0 issue "letsencrypt.org"']
    assert texts(ask(server, "example.com", "NS")) == ["ns1.example.com."]
    assert texts(ask(server, "_sip._tcp.example.com", "SRV")) == ["10 5 5060 sip.example.com."]
    assert texts(ask(server, "example.net", "DS"))[0].startswith("2371 13 2 ")
    assert sorted(texts(ask(server, "example.com", "TXT"))) == [
        '"first" "second"', '"v=spf1 include:_spf.example.net -all"']


def test_cname_is_chased_in_the_answer(server: DnsServer) -> None:
    response = ask(server, "WWW.Example.com", "A")
    assert [rrset.rdtype for rrset in response.answer] == [5, 1]  # CNAME then A
    assert [t.lower() for t in texts(response)] == ["example.com.", "192.0.2.10"]
    dangling = ask(server, "dangling.example.com", "A")
    assert texts(dangling) == ["gone.example.net."]
    assert dangling.rcode() == dns.rcode.NXDOMAIN  # RFC 6604: rcode of the last name


def test_nxdomain_versus_nodata(server: DnsServer) -> None:
    missing = ask(server, "nope.example.com", "A")
    assert missing.rcode() == dns.rcode.NXDOMAIN
    assert missing.authority and missing.authority[0].rdtype == 6  # SOA for negative caching
    nodata = ask(server, "www.example.com", "TXT")  # CNAME owner: only CNAME
    assert nodata.rcode() == dns.rcode.NOERROR
    empty_non_terminal = ask(server, "deep.example.com", "A")
    assert empty_non_terminal.rcode() == dns.rcode.NOERROR and not empty_non_terminal.answer


def test_long_txt_is_split_into_255_byte_strings(server: DnsServer) -> None:
    response = ask(server, "google._domainkey.example.com", "TXT")
    (rdata,) = list(response.answer[0])
    assert [len(s) for s in rdata.strings] == [255, len(LONG) - 255]
    assert b"".join(rdata.strings).decode() == LONG


def test_signed_zone_sets_ad_and_unsigned_does_not(server: DnsServer) -> None:
    assert ask(server, "example.com", "A").flags & dns.flags.AD
    assert not ask(server, "_spf.example.net", "TXT").flags & dns.flags.AD


def test_truncation_makes_the_client_retry_over_tcp() -> None:
    with DnsServer(ZONES, faults={("example.com", "TXT"): Fault.TRUNCATE}) as server:
        query = dns.message.make_query("example.com", "TXT")
        udp_only = dns.query.udp(query, "127.0.0.1", port=server.port, timeout=1)
        assert udp_only.flags & dns.flags.TC and not udp_only.answer
        response, used_tcp = dns.query.udp_with_fallback(query, "127.0.0.1", port=server.port,
                                                         timeout=1)
        assert used_tcp
        assert len(texts(response)) == 2


def test_oversized_udp_answer_without_edns_is_truncated(server: DnsServer) -> None:
    with DnsServer({"big.example.com": [("TXT", "x" * 700)]}) as big:
        query = dns.message.make_query("big.example.com", "TXT", use_edns=False)
        response, used_tcp = dns.query.udp_with_fallback(query, "127.0.0.1", port=big.port,
                                                         timeout=1)
    assert used_tcp and len(b"".join(next(iter(response.answer[0])).strings)) == 700


@pytest.mark.parametrize(("fault", "rcode"), [(Fault.SERVFAIL, dns.rcode.SERVFAIL),
                                              (Fault.REFUSED, dns.rcode.REFUSED)])
def test_rcode_faults(fault: Fault, rcode: int) -> None:
    with DnsServer(ZONES, faults={"example.com": fault}) as server:
        assert ask(server, "example.com", "A").rcode() == rcode
        assert ask(server, "www.example.com", "CNAME").rcode() == dns.rcode.NOERROR


def test_timeout_fault_never_answers_udp_or_tcp() -> None:
    with DnsServer(ZONES, faults={("example.com", "MX"): "timeout"}) as server:
        for tcp in (False, True):
            with pytest.raises(dns.exception.Timeout):
                ask(server, "example.com", "MX", tcp=tcp, timeout=0.2)
        assert texts(ask(server, "example.com", "A")) == ["192.0.2.10"]


def test_per_name_delay() -> None:
    with DnsServer(ZONES, delays={"example.com": 0.2}) as server:
        start = time.monotonic()
        ask(server, "www.example.com", "CNAME")
        fast = time.monotonic() - start
        start = time.monotonic()
        ask(server, "example.com", "A")
        slow = time.monotonic() - start
    assert fast < 0.1 <= 0.2 <= slow < 1.0


def test_delays_do_not_serialise_concurrent_queries() -> None:
    """200 queries with 100 ms each finish in well under 200 x 100 ms."""
    with DnsServer(ZONES, delay=0.1) as server:
        start = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(50) as pool:
            results = list(pool.map(lambda i: ask(server, "example.com", "A", timeout=3),
                                    range(200)))
        elapsed = time.monotonic() - start
        assert all(texts(r) == ["192.0.2.10"] for r in results)
        assert elapsed >= 0.1
        assert elapsed < 2.0
        assert server.count("example.com", "A") == 200


def test_query_counter_and_resolver_integration(server: DnsServer) -> None:
    server.reset_counts()
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = ["127.0.0.1"]
    resolver.port = server.port
    resolver.lifetime = 2
    answer = resolver.resolve("_spf.example.net", "TXT")
    assert answer[0].to_text() == '"v=spf1 ip4:198.51.100.0/24 -all"'
    with pytest.raises(dns.resolver.NXDOMAIN):
        resolver.resolve("nothing.example.net", "A")
    assert server.count("_spf.example.net") == 1
    assert server.count(rdtype="A") == 1
    assert server.queries == 2


def test_explicit_address_and_clean_shutdown() -> None:
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(("127.0.0.2", 0))
    port = probe.getsockname()[1]
    probe.close()
    server = DnsServer(ZONES, host="127.0.0.2", port=port)
    with server:
        assert server.address == ("127.0.0.2", port)
        assert texts(ask_at(server)) == ["192.0.2.10"]
    with pytest.raises(dns.exception.Timeout):
        ask_at(server, timeout=0.2)


def ask_at(server: DnsServer, timeout: float = 1.0) -> dns.message.Message:
    query = dns.message.make_query("example.com", "A")
    response: dns.message.Message = dns.query.udp(query, server.host, port=server.address[1],
                                                  timeout=timeout)
    return response


def test_records_and_faults_changed_at_run_time_are_served() -> None:
    with DnsServer(ZONES) as server:
        assert ask(server, "new.example.com", "A").rcode() == dns.rcode.NXDOMAIN
        server.add_records("new.example.com", [("A", "192.0.2.99")])
        assert texts(ask(server, "new.example.com", "A")) == ["192.0.2.99"]
        server.set_fault("new.example.com", Fault.SERVFAIL)
        assert ask(server, "new.example.com", "A").rcode() == dns.rcode.SERVFAIL
        server.set_fault("new.example.com", None)
        assert texts(ask(server, "new.example.com", "A")) == ["192.0.2.99"]


def test_ipv6_loopback() -> None:
    with DnsServer(ZONES, host="::1") as server:
        assert server.nameserver == f"[::1]:{server.port}"
        query = dns.message.make_query("example.com", "A")
        response = dns.query.tcp(query, "::1", port=server.port, timeout=1)
        assert texts(response) == ["192.0.2.10"]


def test_bad_record_text_is_a_clear_error() -> None:
    with pytest.raises(ValueError):
        DnsServer({"example.com": [("MX", ["not", "one", "string"])]})

"""The run's DNS client against the real testbed DNS server on loopback."""

from __future__ import annotations

import threading
import time

import pytest

from launchready.testbed import DnsServer, Fault
from launchready.verify.dnsclient import Rcode
from launchready.verify.resolver import DnsClient, Nameserver, parse_nameserver

ZONE = {
    "good.test": [("SOA", "ns1.good.test. hostmaster.good.test. 1 7200 3600 1209600 300"),
                  ("A", "127.0.0.1"), ("AAAA", "::1"), ("MX", "10 mx.good.test"),
                  ("TXT", "v=spf1 " + "ip4:192.0.2.1 " * 40 + "-all"),
                  ("CAA", '0 issue "letsencrypt.org"')],
    "www.good.test": [("CNAME", "good.test")],
    "out.good.test": [("CNAME", "elsewhere.other.test")],
    "elsewhere.other.test": [("A", "192.0.2.7")],
    "slow.good.test": [("A", "192.0.2.8")],
    "xn--strae-oqa.test": [("A", "192.0.2.9")],
}


@pytest.fixture
def server():
    with DnsServer(ZONE, faults={"gone.good.test": Fault.TIMEOUT, "sf.good.test": Fault.SERVFAIL,
                                 ("good.test", "TXT"): Fault.TRUNCATE},
                   signed=["good.test"]) as srv:
        yield srv


def client(server: DnsServer, timeout: float = 1.0) -> DnsClient:
    return DnsClient([Nameserver(server.host, server.port)], timeout=timeout)


def test_parse_nameserver_forms() -> None:
    assert parse_nameserver("127.0.0.1") == Nameserver("127.0.0.1", 53)
    assert parse_nameserver("127.0.0.1:5353") == Nameserver("127.0.0.1", 5353)
    assert parse_nameserver("[::1]:5353") == Nameserver("::1", 5353)
    assert parse_nameserver("::1") == Nameserver("::1", 53)
    for bad in ("dns.google", "127.0.0.1:99999", "[::1]x"):
        with pytest.raises(ValueError):
            parse_nameserver(bad)


@pytest.mark.integration
def test_answers_follow_cnames_and_present_records(server: DnsServer) -> None:
    dns = client(server)
    assert dns.query("www.good.test", "A").records == ("127.0.0.1",)
    assert dns.query("out.good.test", "A").records == ("192.0.2.7",)  # chased out of the answer
    assert dns.query("out.good.test", "CNAME").records == ("elsewhere.other.test",)
    assert dns.query("good.test", "MX").records == ("10 mx.good.test",)
    assert dns.query("good.test", "CAA").records == ('0 issue "letsencrypt.org"',)
    assert dns.query("good.test", "A").authenticated
    missing = dns.query("nope.good.test", "A")
    assert missing.rcode is Rcode.NXDOMAIN and missing.void
    nodata = dns.query("slow.good.test", "AAAA")
    assert nodata.rcode is Rcode.NOERROR and nodata.records == ()


@pytest.mark.integration
def test_truncated_udp_falls_back_to_tcp(server: DnsServer) -> None:
    answer = client(server).query("good.test", "TXT")
    assert answer.rcode is Rcode.NOERROR
    assert answer.records[0].startswith("v=spf1 ip4:192.0.2.1") and answer.records[0].endswith("-all")


@pytest.mark.integration
def test_failures_are_data_not_exceptions(server: DnsServer) -> None:
    dns = client(server, timeout=0.4)
    started = time.monotonic()
    timeout = dns.query("gone.good.test", "A")
    assert timeout.rcode is Rcode.TIMEOUT and "0.4" in (timeout.error or "")
    assert time.monotonic() - started < 1.5
    assert dns.query("sf.good.test", "A").rcode is Rcode.SERVFAIL
    assert dns.query("a..b", "A").rcode is Rcode.ERROR
    assert dns.query("good.test", "BOGUS").rcode is Rcode.ERROR


@pytest.mark.integration
def test_idn_names_use_idna_2008(server: DnsServer) -> None:
    answer = client(server).query("straße.test", "A")
    assert answer.records == ("192.0.2.9",)
    assert answer.name == "xn--strae-oqa.test"


@pytest.mark.integration
def test_one_query_per_question_even_when_asked_concurrently() -> None:
    with DnsServer(ZONE, delay=0.1) as srv:
        dns = client(srv)
        results = []
        threads = [threading.Thread(target=lambda: results.append(dns.query("good.test", "MX")))
                   for _ in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(5)
        assert len(results) == 20 and all(r.records == ("10 mx.good.test",) for r in results)
        assert srv.count("good.test", "MX") == 1
        assert dns.queries_sent == 1


def test_no_nameserver_is_an_error_not_a_crash() -> None:
    dns = DnsClient([Nameserver("127.0.0.1", 9)], timeout=0.3)  # discard port: nothing answers
    answer = dns.query("example.test", "A")
    assert answer.rcode in (Rcode.TIMEOUT, Rcode.ERROR)


def test_txt_bytes_that_are_not_utf8_are_replaced_not_fatal() -> None:
    import dns.rdataclass
    import dns.rdatatype
    import dns.rdtypes.ANY.TXT

    from launchready.verify.resolver import _present

    rdata = dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, dns.rdatatype.TXT, [b"v=spf1 ", b"\xff\xfe -all"])
    assert _present(rdata) == "v=spf1 \ufffd\ufffd -all"

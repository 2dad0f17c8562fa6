"""MTA-STS end to end on loopback: TXT from the testbed DNS server, the policy over verified HTTPS
from the testbed web server (local CA), fetched by the verify HTTP client as the runner does."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from launchready.testbed.ca import LocalCA
from launchready.testbed.dns_server import DnsServer
from launchready.testbed.web import Route, Site, WebServer
from launchready.verify.http import HttpClient, ResolveOverride
from launchready.verify.mail import check_email
from launchready.verify.model import Status
from launchready.verify.resolver import DnsClient, parse_nameserver
from tests.verify.mail_scenarios import DOMAIN, EXPECT, GOOD_POLICY, good_records

PATH = "/.well-known/mta-sts.txt"
HOSTS = {"good": f"mta-sts.{DOMAIN}", "narrow": "mta-sts.narrow.test", "gone": "mta-sts.gone.test"}


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DnsServer, WebServer, LocalCA]]:
    ca = LocalCA(Path(tmp_path_factory.mktemp("mail-ca")))
    narrow_policy = "version: STSv1\nmode: enforce\nmx: mx1.narrow.test\nmax_age: 604800\n"
    sites = [
        Site(
            HOSTS["good"],
            ca.issue([HOSTS["good"]]),
            routes={PATH: Route(body=GOOD_POLICY, content_type="text/plain")},
        ),
        Site(
            HOSTS["narrow"],
            ca.issue([HOSTS["narrow"]]),
            routes={PATH: Route(body=narrow_policy, content_type="text/plain")},
        ),
        Site(HOSTS["gone"], ca.issue([HOSTS["gone"]])),  # no policy file: 404
    ]
    records = good_records()
    for name in ("narrow.test", "gone.test"):
        records[name] = [("MX", f"10 mx1.{name}"), ("MX", f"20 mx2.{name}"), ("TXT", "v=spf1 -all")]
        records[f"mx1.{name}"] = [("A", "192.0.2.1")]
        records[f"mx2.{name}"] = [("A", "192.0.2.2")]
        records[f"_mta-sts.{name}"] = [("TXT", "v=STSv1; id=1")]
        records[f"mta-sts.{name}"] = [("A", "127.0.0.1")]
    with DnsServer(records) as dns, WebServer(sites) as web:
        yield dns, web, ca


def _http_get(client: HttpClient) -> Any:
    def http_get(url: str) -> tuple[int, str] | str:
        exchange = client.fetch(url, allow_unverified=False)
        if exchange.response is None:
            return exchange.error or "no answer"
        return (exchange.response.status, exchange.response.body)

    return http_get


def _mta_sts(servers: tuple[DnsServer, WebServer, LocalCA], domain: str) -> Any:
    dns, web, ca = servers
    lookup = DnsClient([parse_nameserver(dns.nameserver)], timeout=0.5)
    overrides = [ResolveOverride(host, 443, "127.0.0.1", web.https_port) for host in HOSTS.values()]
    client = HttpClient(lookup, overrides=overrides, ca_bundle=str(ca.root_path), timeout=2.0)
    results = check_email(domain, lookup, EXPECT, _http_get(client))
    return next(r for r in results if r.id == "email.mta_sts")


@pytest.mark.integration
def test_policy_served_over_https_covers_every_mx(servers: Any) -> None:
    result = _mta_sts(servers, DOMAIN)
    assert result.status is Status.PASS, result.summary
    assert result.evidence["http_status"] == 200
    assert result.evidence["mx_patterns"] == [f"mx1.{DOMAIN}", f"*.{DOMAIN}"]


@pytest.mark.integration
def test_policy_not_matching_the_mx_hosts_fails(servers: Any) -> None:
    result = _mta_sts(servers, "narrow.test")
    assert result.status is Status.FAIL
    assert result.evidence["uncovered_mx"] == ["mx2.narrow.test"]


@pytest.mark.integration
def test_missing_policy_file_fails_with_the_status(servers: Any) -> None:
    result = _mta_sts(servers, "gone.test")
    assert result.status is Status.FAIL
    assert result.evidence["http_status"] == 404

"""Benchmark of ``launchready verify`` on the loopback testbed (run by hand, not a test).

    python bench/verify_bench.py                 # every measurement
    python bench/verify_bench.py --skip-checkdmarc --memory-domains 200

What it measures, with ``--delay`` (20 ms by default) added to every DNS answer:
1. fleet: wall time of verify ``--only email --only dns`` for ``--domains`` client domains (50);
2. one domain: wall time against its critical path (the longest chain of dependent lookups
   times the delay);
3. memory: peak traced allocations and max RSS for ``--memory-domains`` domains (1,000);
4. checkdmarc (PyPI), from its own venv ``bench/.venv-checkdmarc`` (it cannot share our
   environment: see DESIGN.md), against the same zones on a DNS server bound to port 53 of a
   private loopback address (checkdmarc's ``--nameserver`` takes no port), as a ratio.

Every client domain has the same realistic shape: A/AAAA, www CNAME, NS, CAA, DS, MX with two
hosts, SPF including a provider record that includes two netblock records (shared by every
domain, so a run-wide cache fetches them once), DMARC with rua, a DKIM key, TLS-RPT.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

from launchready.testbed import DnsServer
from launchready.verify.resolver import DnsClient, Nameserver
from launchready.verify.runner import VerifyOptions, domain_target, run_verify

HERE = Path(__file__).resolve().parent
CHECKDMARC = HERE / ".venv-checkdmarc" / "bin" / "checkdmarc"
SOA = "ns1.provider.test. hostmaster.provider.test. 1 7200 3600 1209600 300"
DKIM_KEY = ("MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAp6hJDpLVLBsa9vgCwvamR2R/ZhRdVWFt4W8PbO/kcKX7Fic"
            "VmTD3zP42foI2W6JO901ibvUHZOF7W8bwUuydqsXQERuhx6cj+fNOBsPyNxgxmfPZBubM5UMP8ohYH82YXMqKjS6JC"
            "nM6C4CmDKka+k2E+kkIIMxdxwrHJAYqB18EPpa/+yQezPOctcUxYq7qVbf1clvPlkoIwjTaujcrrnWL9w6Uepdbm9O"
            "a62d1xByGvNJHYVNenhpNIDu96LAKWSASzHR1Qg2mj+v7u0KSd7hX+7Glb5di07uSBOliQ15ij4ywVNJAcBWs5ppTm"
            "8rg/7cTQPFLjafDozpQ1U1QZQIDAQAB")
CRITICAL_PATH_LOOKUPS = 3
"""SPF: the domain's TXT → include:_spf.provider.test → include:_netblocks1.provider.test."""


def shared_zone() -> dict[str, list[tuple[str, str]]]:
    return {
        "provider.test": [("SOA", SOA), ("NS", "ns1.provider.test")],
        "_spf.provider.test": [("TXT", "v=spf1 include:_netblocks1.provider.test "
                                       "include:_netblocks2.provider.test ~all")],
        "_netblocks1.provider.test": [("TXT", "v=spf1 ip4:192.0.2.0/24 ip4:198.51.100.0/24 ~all")],
        "_netblocks2.provider.test": [("TXT", "v=spf1 ip6:2001:db8::/32 ~all")],
        "mx1.provider.test": [("A", "192.0.2.25")],
        "mx2.provider.test": [("A", "192.0.2.26")],
    }


def client_zone(domain: str) -> dict[str, list[tuple[str, str]]]:
    return {
        domain: [("SOA", SOA), ("A", "192.0.2.10"), ("AAAA", "2001:db8::10"),
                 ("NS", "ada.ns.cloudflare.com"), ("NS", "bob.ns.cloudflare.com"),
                 ("CAA", '0 issue "letsencrypt.org"'), ("DS", "12345 13 2 " + "ab" * 32),
                 ("MX", "1 mx1.provider.test"), ("MX", "5 mx2.provider.test"),
                 ("TXT", "v=spf1 include:_spf.provider.test -all")],
        f"www.{domain}": [("CNAME", domain)],
        f"_dmarc.{domain}": [("TXT", f"v=DMARC1; p=reject; rua=mailto:dmarc@{domain}")],
        f"google._domainkey.{domain}": [("TXT", f"v=DKIM1; k=rsa; p={DKIM_KEY}")],
        f"_smtp._tls.{domain}": [("TXT", f"v=TLSRPTv1; rua=mailto:tls@{domain}")],
    }


def zones(count: int) -> tuple[list[str], list[dict[str, list[tuple[str, str]]]]]:
    domains = [f"client{n:04d}.test" for n in range(count)]
    return domains, [shared_zone(), *(client_zone(d) for d in domains)]


def run(server: DnsServer, domains: list[str], concurrency: int) -> tuple[float, DnsClient, object]:
    client = DnsClient([Nameserver(server.host, server.port)], timeout=2.0)
    options = VerifyOptions(only=("email.", "dns."), timeout=2.0, deadline=600, concurrency=concurrency)
    started = time.perf_counter()
    report = run_verify([domain_target(d) for d in domains], options, lookup=client)
    return time.perf_counter() - started, client, report


def statuses(report: object) -> dict[str, int]:
    counts: dict[str, int] = {}
    for domain in report.domains:  # type: ignore[attr-defined]
        for status, n in domain.summary().items():
            counts[status] = counts.get(status, 0) + n
    return counts


def checkdmarc(domains: list[str], zone_data: list[dict[str, list[tuple[str, str]]]], delay: float,
               address: str) -> float | str:
    if not CHECKDMARC.exists():
        return f"not installed: python -m venv {HERE / '.venv-checkdmarc'} && .../pip install checkdmarc"
    try:
        with DnsServer(zone_data, host=address, port=53, delay=delay) as server:
            started = time.perf_counter()
            command = [str(CHECKDMARC), *domains, "-t", "2", "-f", "json", "--nameserver", address]
            done = subprocess.run(command, capture_output=True, text=True, timeout=3600)
            elapsed = time.perf_counter() - started
            queries = server.queries
    except OSError as exc:
        return f"cannot bind {address}:53 ({exc}); run as root"
    if done.returncode != 0 and not done.stdout:
        return f"checkdmarc failed: {done.stderr.strip()[-300:]}"
    print(f"  checkdmarc: {len(domains)} domains in {elapsed:.2f}s, {queries} DNS queries")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--domains", type=int, default=50)
    parser.add_argument("--memory-domains", type=int, default=1000)
    parser.add_argument("--delay", type=float, default=0.020)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--checkdmarc-address", default="127.0.0.77")
    parser.add_argument("--skip-checkdmarc", action="store_true")
    args = parser.parse_args()
    figures: dict[str, object] = {"delay_ms": args.delay * 1000, "concurrency": args.concurrency}

    domains, data = zones(max(args.domains, args.memory_domains))
    with DnsServer(data, delay=args.delay) as server:
        # 1. one domain against its critical path
        one, _, _ = run(server, domains[:1], args.concurrency)
        critical = CRITICAL_PATH_LOOKUPS * args.delay
        figures["one_domain_s"] = round(one, 3)
        figures["critical_path_s"] = round(critical, 3)
        figures["one_domain_vs_critical_path"] = round(one / critical, 2)
        print(f"1 domain: {one:.3f}s, critical path {critical:.3f}s ({one / critical:.2f}x)")

        # 2. the fleet, cold cache
        server.reset_counts()
        fleet_s, client, report = run(server, domains[: args.domains], args.concurrency)
        figures["fleet_domains"] = args.domains
        figures["fleet_s"] = round(fleet_s, 3)
        figures["fleet_queries_sent"] = client.queries_sent
        figures["fleet_statuses"] = statuses(report)
        figures["shared_spf_include_fetches"] = server.count("_spf.provider.test", "TXT")
        print(f"{args.domains} domains: {fleet_s:.2f}s, {client.queries_sent} queries, "
              f"_spf.provider.test fetched {server.count('_spf.provider.test', 'TXT')}x, {statuses(report)}")

        # 3. memory for the big fleet
        tracemalloc.start()
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        big_s, _, big = run(server, domains[: args.memory_domains], args.concurrency)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        figures.update(memory_domains=args.memory_domains, memory_run_s=round(big_s, 2),
                       tracemalloc_peak_mb=round(peak / 2**20, 1), max_rss_mb=round(rss_after / 1024, 1),
                       max_rss_before_mb=round(rss_before / 1024, 1))
        print(f"{args.memory_domains} domains: {big_s:.1f}s, traced peak {peak / 2**20:.1f} MB, "
              f"max RSS {rss_after / 1024:.0f} MB (whole process, DNS server included; "
              f"{rss_before / 1024:.0f} MB before)")
        del big

    # 4. checkdmarc on the same zones
    if not args.skip_checkdmarc and shutil.which("true"):
        fleet_domains, fleet_data = zones(args.domains)
        result = checkdmarc(fleet_domains, fleet_data, args.delay, args.checkdmarc_address)
        if isinstance(result, float):
            figures["checkdmarc_s"] = round(result, 2)
            figures["speedup_vs_checkdmarc"] = round(result / fleet_s, 1)
            print(f"checkdmarc {result:.2f}s vs launchready {fleet_s:.2f}s: {result / fleet_s:.1f}x faster")
        else:
            figures["checkdmarc"] = result
            print(result)
    json.dump(figures, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()

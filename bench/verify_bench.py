"""Benchmark of ``launchready verify`` on the loopback testbed (run by hand, not a test).

    python bench/verify_bench.py                 # every measurement
    python bench/verify_bench.py --skip-checkdmarc --memory-domains 200

What it measures, with ``--delay`` (20 ms by default) added to every DNS answer:
1. fleet: wall time of verify ``--only email --only dns`` for ``--domains`` client domains (50);
2. one domain: wall time against its critical path (the longest chain of dependent lookups
   times the delay);
3. memory: peak RSS of a verify process (DNS server elsewhere) for ``--memory-domains`` domains (1,000);
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
from pathlib import Path
from typing import Any

from launchready.testbed import DnsServer
from launchready.verify.resolver import DnsClient, Nameserver
from launchready.verify.runner import VerifyOptions, VerifyReport, domain_target, run_verify

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


def run(nameserver: Nameserver, domains: list[str], concurrency: int
        ) -> tuple[float, DnsClient, VerifyReport]:
    client = DnsClient([nameserver], timeout=2.0)
    options = VerifyOptions(only=("email.", "dns."), timeout=2.0, deadline=3600, concurrency=concurrency)
    started = time.perf_counter()
    report = run_verify([domain_target(d) for d in domains], options, lookup=client)
    return time.perf_counter() - started, client, report


def statuses(report: VerifyReport) -> dict[str, int]:
    counts: dict[str, int] = {}
    for domain in report.domains:
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


def child(count: int, nameserver: str, concurrency: int, warmup: bool) -> None:
    """Verify ``count`` domains against the parent's DNS server; print time, queries and RSS as JSON.

    A separate process, like checkdmarc's: the DNS server's work and zone data are not ours.
    """
    host, _, port = nameserver.rpartition(":")
    server = Nameserver(host, int(port))
    if warmup:  # lazy imports and thread start-up, on a domain outside the measured ones
        run(server, [f"client{count + 1:04d}.test"], concurrency)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    elapsed, client, report = run(server, [f"client{n:04d}.test" for n in range(count)], concurrency)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    json.dump({"seconds": round(elapsed, 3), "queries_sent": client.queries_sent,
               "max_rss_mb": round(peak / 1024, 1), "rss_before_run_mb": round(before / 1024, 1),
               "statuses": statuses(report)}, sys.stdout)


def measure(server: DnsServer, count: int, concurrency: int, *, warmup: bool = False) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", str(count), "--nameserver", server.nameserver,
               "--concurrency", str(concurrency)] + (["--warmup"] if warmup else [])
    done = subprocess.run(command, capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        raise SystemExit(f"child failed: {done.stderr.strip()[-500:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--domains", type=int, default=50)
    parser.add_argument("--memory-domains", type=int, default=1000)
    parser.add_argument("--delay", type=float, default=0.020)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--checkdmarc-address", default="127.0.0.77")
    parser.add_argument("--skip-checkdmarc", action="store_true")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--warmup", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--nameserver", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.nameserver, args.concurrency, args.warmup)
        return
    figures: dict[str, object] = {"delay_ms": args.delay * 1000, "concurrency": args.concurrency}

    _, data = zones(max(args.domains, args.memory_domains) + 2)
    with DnsServer(data, delay=args.delay) as server:
        # 1. one domain against its critical path (after a warm-up on another domain)
        one = measure(server, 1, args.concurrency, warmup=True)["seconds"]
        critical = CRITICAL_PATH_LOOKUPS * args.delay
        figures.update(one_domain_s=one, critical_path_s=round(critical, 3),
                       one_domain_vs_critical_path=round(one / critical, 2))
        print(f"1 domain: {one:.3f}s, critical path {critical:.3f}s ({one / critical:.2f}x)")

        # 2. the fleet, cold cache
        server.reset_counts()
        fleet = measure(server, args.domains, args.concurrency)
        fleet_s = fleet["seconds"]
        shared = server.count("_spf.provider.test", "TXT")
        figures.update(fleet_domains=args.domains, fleet_s=fleet_s, fleet_queries_sent=fleet["queries_sent"],
                       fleet_statuses=fleet["statuses"], shared_spf_include_fetches=shared)
        print(f"{args.domains} domains: {fleet_s:.2f}s, {fleet['queries_sent']} queries, "
              f"_spf.provider.test fetched {shared}x, {fleet['statuses']}")

        # 3. memory for the big fleet
        big = measure(server, args.memory_domains, args.concurrency)
        figures.update(memory_domains=args.memory_domains, memory_run_s=big["seconds"],
                       max_rss_mb=big["max_rss_mb"], rss_before_run_mb=big["rss_before_run_mb"])
        print(f"{args.memory_domains} domains: {big['seconds']:.1f}s, max RSS {big['max_rss_mb']:.0f} MB "
              f"({big['rss_before_run_mb']:.0f} MB before the run)")

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

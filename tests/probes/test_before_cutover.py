"""The app probes go where verify goes: ``--connect-to`` / ``--resolve`` / ``--nameserver`` /
``--ca-bundle`` reach the test apps under a fake host name, over HTTP and HTTPS (SNI and the
certificate check stay on that name), through the library, ``launchready probe`` and
``launchready verify``. Overrides change where we connect, never which host we may talk to."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import trustme
from typer.testing import CliRunner

from launchready.cli import app
from launchready.probes import ProbeOptions, SsrfCanary, run_app_probes
from launchready.probes.http import ProbeClient
from launchready.probes.runner import probe_session
from launchready.testbed.dns_server import DnsServer
from launchready.verify.dnsclient import DnsAnswer, Rcode
from launchready.verify.http import ResolveOverride, parse_connect_to
from launchready.verify.model import Status
from launchready.verify.resolver import parse_nameserver
from launchready.verify.runner import VerifyOptions, run_verify, stack_target
from tests.apps import hardened
from tests.apps.common import CANARIES, ENV, SSRF_CANARY, CanaryListener, serve
from tests.probes.conftest import assert_no_canary, site
from tests.probes.test_cli_probe import write_stack

pytestmark = pytest.mark.integration
runner = CliRunner()
HOST = "app.example.test"
NOT_RATE_LIMIT = (
    "app.auth", "app.object_access", "app.function_access", "app.cors", "app.webhooks",
    "app.input_validation", "app.prompt_injection", "app.ssrf", "app.exposed_secrets",
)  # fmt: skip


def port_of(url: str) -> int:
    port = urlsplit(url).port
    assert port is not None
    return port


@pytest.fixture(scope="module")
def ca_pem(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, str]]:
    """(CA bundle, certificate chain, key) for HOST from a private CA nobody else trusts."""
    ca = trustme.CA()
    cert = ca.issue_cert(HOST)
    folder = tmp_path_factory.mktemp("tls")
    bundle, chain, key = folder / "ca.pem", folder / "chain.pem", folder / "key.pem"
    ca.cert_pem.write_to_path(str(bundle))
    chain.write_bytes(b"".join(blob.bytes() for blob in cert.cert_chain_pems))
    cert.private_key_pem.write_to_path(str(key))
    yield str(bundle), str(chain), str(key)


@pytest.fixture(scope="module")
def hardened_tls_url(ca_pem: tuple[str, str, str]) -> Iterator[str]:
    with serve(hardened.create_app(), tls=(ca_pem[1], ca_pem[2])) as url:
        yield url


def statuses(results: list[Any]) -> dict[str, Status]:
    return {r.id: r.status for r in results}


def test_run_app_probes_reach_the_hardened_app_over_https_by_its_real_name(
    hardened_tls_url: str, ca_pem: tuple[str, str, str], ssrf_canary: CanaryListener
) -> None:
    options = ProbeOptions(
        env=ENV, timeout=3, base_url=f"https://{HOST}", ca_bundle=ca_pem[0],
        overrides=(parse_connect_to(f"{HOST}:443:127.0.0.1:{port_of(hardened_tls_url)}"),),
        ssrf_canary=SsrfCanary(ssrf_canary.url, SSRF_CANARY),
    )  # fmt: skip
    results = run_app_probes(site("http://127.0.0.1:9"), options)
    assert_no_canary(results)
    expected = {**dict.fromkeys(NOT_RATE_LIMIT, Status.PASS), "app.rate_limit": Status.SKIPPED}
    assert statuses(results) == expected


def test_without_the_private_ca_nothing_is_trusted(hardened_tls_url: str) -> None:
    options = ProbeOptions(
        env=ENV, timeout=3, base_url=f"https://{HOST}", only=("app.auth",),
        overrides=(parse_connect_to(f"{HOST}:443:127.0.0.1:{port_of(hardened_tls_url)}"),),
    )  # fmt: skip
    (auth,) = run_app_probes(site("http://127.0.0.1:9"), options)
    assert auth.status is Status.ERROR
    assert "CERTIFICATE_VERIFY_FAILED" in json.dumps(auth.to_dict())


def test_run_app_probes_reach_the_vulnerable_app_over_http(
    vulnerable_url: str, ssrf_canary: CanaryListener
) -> None:
    options = ProbeOptions(
        env=ENV, timeout=3, only=("app.auth", "app.object_access", "app.ssrf"),
        overrides=(parse_connect_to(f"{HOST}:80:127.0.0.1:{port_of(vulnerable_url)}"),),
        ssrf_canary=SsrfCanary(ssrf_canary.url, SSRF_CANARY),
    )  # fmt: skip
    results = run_app_probes(site(f"http://{HOST}"), options)
    assert_no_canary(results)
    assert statuses(results) == dict.fromkeys(("app.auth", "app.object_access", "app.ssrf"), Status.FAIL)


class _OneName:
    """An in-process resolver that knows HOST only, and counts the questions."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str]] = []

    def query(self, name: str, rdtype: str) -> DnsAnswer:
        self.asked.append((name, rdtype))
        records = ("127.0.0.1",) if (name, rdtype) == (HOST, "A") else ()
        return DnsAnswer(name, rdtype, Rcode.NOERROR if records else Rcode.NXDOMAIN, records)


def test_verify_shares_its_resolver_with_the_app_probes(tmp_path: Path, hardened_url: str) -> None:
    lookup = _OneName()
    target = stack_target("client", write_stack(tmp_path, f"http://{HOST}:{port_of(hardened_url)}"))
    options = VerifyOptions(only=("app.auth",), timeout=3)
    report = run_verify([target], options, lookup=lookup)
    [auth] = report.domains[0].results
    assert auth.status is Status.PASS, auth.summary
    assert (HOST, "A") in lookup.asked


def test_nameserver_resolves_the_target(hardened_url: str) -> None:
    with DnsServer({HOST: [("A", "127.0.0.1")]}) as dns:
        options = ProbeOptions(env=ENV, timeout=3, only=("app.auth",),
                               nameservers=(parse_nameserver(dns.nameserver),))
        (auth,) = run_app_probes(site(f"http://{HOST}:{port_of(hardened_url)}"), options)
        assert auth.status is Status.PASS, auth.summary
        assert dns.count(HOST, "A") >= 1


class _Redirector(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(302)
        self.send_header("Location", "http://other.example.test/internal/status")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_overrides_never_widen_the_target(ssrf_canary: CanaryListener) -> None:
    """Another host with an override of its own is still off limits, directly or by redirect."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Redirector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        overrides = (
            ResolveOverride(HOST, 80, "127.0.0.1", server.server_address[1]),
            ResolveOverride("other.example.test", 80, "127.0.0.1", port_of(ssrf_canary.url)),
        )
        client = ProbeClient(f"http://{HOST}", session=probe_session(ProbeOptions(overrides=overrides)))
        hits = ssrf_canary.hits
        direct = client.request("test", "GET", "http://other.example.test/internal/status")
        assert direct.status == 0 and "outside the target host" in direct.error
        redirected = client.request("test", "GET", "/", follow=True)
        assert redirected.status == 302
        assert ssrf_canary.hits == hits and client.sent == 1
    finally:
        server.shutdown()
        server.server_close()


# -- the CLI ----------------------------------------------------------------------------------


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)


def checks_of(stdout: str) -> dict[str, str]:
    return {c["id"]: c["status"] for c in json.loads(stdout)["domains"][0]["checks"]}


def no_canary(text: str) -> None:
    for canary in CANARIES:
        assert canary not in text


def test_cli_probe_connect_to_and_ca_bundle(
    env: None, tmp_path: Path, hardened_tls_url: str, ca_pem: tuple[str, str, str]
) -> None:
    stacks = str(write_stack(tmp_path, f"https://{HOST}"))
    outcome = runner.invoke(app, [
        "probe", "--stack", "client", "--stacks-dir", stacks, "--format", "json", "--timeout", "3",
        "--connect-to", f"{HOST}:443:127.0.0.1:{port_of(hardened_tls_url)}", "--ca-bundle", ca_pem[0],
    ])  # fmt: skip
    assert outcome.exit_code == 0, outcome.stdout + outcome.stderr
    checks = checks_of(outcome.stdout)
    assert checks == {**dict.fromkeys(NOT_RATE_LIMIT, "pass"), "app.rate_limit": "skipped"}
    no_canary(outcome.stdout)


def test_cli_probe_resolve_keeps_the_port(env: None, tmp_path: Path, vulnerable_url: str) -> None:
    port = port_of(vulnerable_url)
    stacks = str(write_stack(tmp_path, f"http://{HOST}:{port}"))
    outcome = runner.invoke(app, [
        "probe", "--stack", "client", "--stacks-dir", stacks, "--format", "json", "--timeout", "3",
        "--resolve", f"{HOST}:{port}:127.0.0.1", "--only", "app.auth",
    ])  # fmt: skip
    assert outcome.exit_code == 1, outcome.stdout + outcome.stderr
    assert checks_of(outcome.stdout) == {"app.auth": "fail"}
    no_canary(outcome.stdout)


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("--resolve", "app.example.test:443"),
        ("--resolve", "app.example.test:99999:127.0.0.1"),
        ("--resolve", "app.example.test:443:not-an-ip"),
        ("--connect-to", "app.example.test:443:127.0.0.1"),
        ("--nameserver", "ns1.example.test"),
        ("--nameserver", "127.0.0.1:0"),
        ("--ca-bundle", "/nonexistent/ca.pem"),
    ],
)
def test_cli_probe_rejects_bad_flags_like_verify(tmp_path: Path, flag: str, value: str) -> None:
    stacks = str(write_stack(tmp_path, f"https://{HOST}"))
    common = ["--stack", "client", "--stacks-dir", stacks, flag, value]
    probed = runner.invoke(app, ["probe", *common])
    verified = runner.invoke(app, ["verify", *common])
    assert probed.exit_code == verified.exit_code == 2
    assert probed.stderr == verified.stderr and "error:" in probed.stderr
    assert "Traceback" not in probed.stderr + probed.stdout


@pytest.mark.parametrize(("server", "expected"), [("vulnerable", "fail"), ("hardened", "pass")])
def test_verify_sends_the_app_probes_through_connect_to(
    env: None, tmp_path: Path, vulnerable_url: str, hardened_url: str, server: str, expected: str
) -> None:
    """One stack, one fake host: which server answers is decided by --connect-to alone."""
    url = vulnerable_url if server == "vulnerable" else hardened_url
    stacks = str(write_stack(tmp_path, f"http://{HOST}"))
    outcome = runner.invoke(app, [
        "verify", "--stack", "client", "--stacks-dir", stacks, "--only", "app.", "--format", "json",
        "--timeout", "3", "--connect-to", f"{HOST}:80:127.0.0.1:{port_of(url)}",
    ])  # fmt: skip
    checks = checks_of(outcome.stdout)
    for check in ("app.auth", "app.object_access", "app.cors", "app.ssrf"):
        assert checks[check] == expected, (check, checks)
    assert outcome.exit_code == (1 if expected == "fail" else 0)
    no_canary(outcome.stdout)


def test_cli_ssrf_canary_comes_from_the_environment(
    env: None, tmp_path: Path, vulnerable_url: str, ssrf_canary: CanaryListener,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stacks = str(write_stack(tmp_path, f"http://{HOST}"))
    args = ["probe", "--stack", "client", "--stacks-dir", stacks, "--format", "json", "--timeout", "3",
            "--connect-to", f"{HOST}:80:127.0.0.1:{port_of(vulnerable_url)}", "--only", "app.ssrf",
            "--ssrf-canary", ssrf_canary.url]
    missing = runner.invoke(app, args)
    assert missing.exit_code == 2 and "LAUNCHREADY_SSRF_CANARY" in missing.stderr
    monkeypatch.setenv("LAUNCHREADY_SSRF_CANARY", SSRF_CANARY)
    hits = ssrf_canary.hits
    outcome = runner.invoke(app, args)
    assert outcome.exit_code == 1, outcome.stdout + outcome.stderr
    assert checks_of(outcome.stdout) == {"app.ssrf": "fail"}
    assert ssrf_canary.hits > hits and "the SSRF canary" in outcome.stdout
    no_canary(outcome.stdout + outcome.stderr)
    bad = runner.invoke(app, [*args[:-1], "ftp://127.0.0.1/x"])
    assert bad.exit_code == 2 and "--ssrf-canary" in bad.stderr

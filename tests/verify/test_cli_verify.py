"""``launchready verify`` / ``launchready checks``: exit codes, formats, atomic output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from launchready.cli import app
from tests.verify.conftest import CANARY_COOKIE, Fleet, good_spec

runner = CliRunner()


def fleet_args(fleet: Fleet, *hosts: str) -> list[str]:
    args = ["--nameserver", f"{fleet.dns.host}:{fleet.dns.port}", "--ca-bundle", str(fleet.ca.root_path),
            "--timeout", "1", "--deadline", "20"]
    for host in hosts:
        for name in (host, f"www.{host}"):
            args += ["--connect-to", f"{name}:443:127.0.0.1:{fleet.web.https_port}",
                     "--connect-to", f"{name}:80:127.0.0.1:{fleet.web.http_port}"]
    return args


def write_stack(directory: Path) -> None:
    spec = good_spec().model_dump(mode="json", exclude_defaults=True)
    (directory / "Pulumi.good.yaml").write_text(yaml.safe_dump({"config": {"launchready:site": spec}}))


def test_checks_lists_the_catalogue() -> None:
    table = runner.invoke(app, ["checks"])
    assert table.exit_code == 0 and "dns.resolves" in table.stdout
    rows = json.loads(runner.invoke(app, ["checks", "--format", "json"]).stdout)
    assert {"id": "http.hsts", "category": "HTTPS and canonical redirects", "level": "required",
            "title": "HSTS max-age and flags as the spec asks"} in rows


@pytest.mark.parametrize("args", [
    ["verify"],
    ["verify", "not a domain"],
    ["verify", "good.test", "--nameserver", "dns.example"],
    ["verify", "good.test", "--resolve", "good.test:443"],
    ["verify", "good.test", "--only", "nothing."],
    ["verify", "good.test", "--only", "dns.", "--skip", "dns"],
    ["verify", "good.test", "--ca-bundle", "/no/such/file.pem"],
    ["verify", "good.test", "--timeout", "0"],
    ["verify", "--stack", "missing"],
])
def test_usage_errors_exit_2_without_a_traceback(args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "error" in result.output.lower() or "usage" in result.output.lower()


def test_a_malformed_stack_file_exits_2(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.bad.yaml").write_text("config:\n  launchready:site:\n    domain: [nope\n")
    result = runner.invoke(app, ["verify", "--stack", "bad", "--stacks-dir", str(tmp_path)])
    assert result.exit_code == 2 and "not valid YAML" in result.output


@pytest.mark.integration
def test_a_good_stack_exits_0_and_writes_json_atomically(fleet: Fleet, tmp_path: Path) -> None:
    write_stack(tmp_path)
    out = tmp_path / "reports" / "good.json"
    result = runner.invoke(app, ["verify", "--stack", "good", "--stacks-dir", str(tmp_path),
                                 *fleet_args(fleet, "good.test"), "--only", "dns.", "--only", "http.",
                                 "--format", "json", "--output", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["domains"][0]["domain"] == "good.test"
    assert data["domains"][0]["summary"]["fail"] == 0
    assert [p.name for p in out.parent.iterdir()] == ["good.json"]  # no temp file left behind
    assert CANARY_COOKIE not in out.read_text()


@pytest.mark.integration
def test_a_failed_required_check_exits_1_and_the_table_groups_by_category(fleet: Fleet) -> None:
    args = ["verify", "cookie.test", *fleet_args(fleet, "cookie.test"), "--only", "http."]
    result = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 1
    assert "Security headers and cookies" in result.stdout and "http.cookies" in result.stdout
    assert CANARY_COOKIE not in result.output


@pytest.mark.integration
def test_nothing_observable_exits_3(fleet: Fleet) -> None:
    args = fleet_args(fleet)
    for port in (443, 80):
        args += ["--connect-to", f"silent.test:{port}:127.0.0.1:{fleet.silent.port}",
                 "--connect-to", f"www.silent.test:{port}:127.0.0.1:{fleet.silent.port}"]
    result = runner.invoke(app, ["verify", "silent.test", *args, "--only", "http.", "--timeout", "0.3",
                                 "--format", "junit"])
    assert result.exit_code == 3, result.output
    assert "<error" in result.stdout and "<failure" not in result.stdout


def test_a_bad_output_path_fails_before_anything_is_checked(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    def must_not_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("verify ran although --output can never be written")

    monkeypatch.setattr("launchready.cli.verify.run_verify", must_not_run)
    result = runner.invoke(app, ["verify", "good.test", "--output", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert "is a directory" in result.output


def test_a_domain_given_twice_is_verified_once(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []

    def record(targets: list[object], *args: object, **kwargs: object) -> object:
        seen.append([t.domain for t in targets])  # type: ignore[attr-defined]
        raise KeyboardInterrupt  # stop here: only the target list matters

    monkeypatch.setattr("launchready.cli.verify.run_verify", record)
    runner.invoke(app, ["verify", "bücher.example", "b.example", "xn--bcher-kva.example", "c.example",
                        "b.example"])
    assert seen == [["xn--bcher-kva.example", "b.example", "c.example"]]

"""The two commands end to end through typer's CliRunner: exit codes, formats, no canary in any output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from launchready.cli import app
from tests.secrets.bundles import write_hardened_bundle, write_planted_bundle
from tests.secrets.gitrepo import make_leaky_repo
from tests.secrets.test_logs import sample_log

runner = CliRunner()


def _output(result: object) -> str:
    stdout = getattr(result, "stdout", "")
    try:
        stderr = getattr(result, "stderr", "")
    except ValueError:  # click < 8.2 without mix_stderr=False
        stderr = ""
    return f"{stdout}\n{stderr}\n{getattr(result, 'output', '')}"


def _assert_no_canary(text: str, canaries: list[str]) -> None:
    for canary in canaries:
        assert canary not in text
        if len(canary) > 24:
            assert canary[6:30] not in text  # not even a long middle slice


def _canaries_of(planted: dict[str, str]) -> list[str]:
    return [line for secret in planted.values() for line in secret.splitlines() if len(line) > 12]


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_scan_secrets_finds_planted_bundle_without_showing_it(tmp_path: Path, fmt: str) -> None:
    planted = write_planted_bundle(tmp_path / "dist")
    result = runner.invoke(app, ["scan-secrets", str(tmp_path / "dist"), "--format", fmt])
    assert result.exit_code == 1, result.output
    _assert_no_canary(_output(result), _canaries_of(planted))
    if fmt == "json":
        data = json.loads(result.stdout)
        assert {f["rule_id"] for f in data["findings"]} == set(planted)
        assert data["history"] is None
    else:
        assert "stripe-live-secret-key" in result.stdout and "stripe-test-key" in result.stdout


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_scan_secrets_reads_git_history(tmp_path: Path, fmt: str) -> None:
    planted, leaky = make_leaky_repo(tmp_path / "repo")
    result = runner.invoke(app, ["scan-secrets", str(tmp_path / "repo"), "-f", fmt])
    assert result.exit_code == 1, result.output
    _assert_no_canary(_output(result), _canaries_of({k: v for k, (v, _) in planted.items()}))
    if fmt == "json":
        data = json.loads(result.stdout)
        assert {f["commit"] for f in data["findings"]} == {leaky}
        assert data["history"]["scanned"] == 3 and data["tree"]["scanned"] == 2
    else:
        assert leaky[:12] in result.stdout


def test_no_git_skips_history(tmp_path: Path) -> None:
    make_leaky_repo(tmp_path / "repo")
    result = runner.invoke(app, ["scan-secrets", str(tmp_path / "repo"), "--no-git", "-f", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["findings"] == []


def test_clean_bundle_exits_zero(tmp_path: Path) -> None:
    write_hardened_bundle(tmp_path / "dist")
    result = runner.invoke(app, ["scan-secrets", str(tmp_path / "dist")])
    assert result.exit_code == 0, result.output
    assert "no secrets found (4 files)" in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["scan-secrets", "/nonexistent/dist"],
        ["scan-secrets", ".", "--format", "xml"],
        ["scan-secrets"],
        ["scan-logs", "/nonexistent/app.log"],
        ["scan-logs", "-", "--samples", "-1"],
        ["scan-secrets", ""],
        ["scan-secrets", "  "],
        ["scan-logs", ""],
    ],
)
def test_bad_usage_exits_two(args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "Traceback" not in _output(result)


@pytest.mark.parametrize("command", ["scan-secrets", "scan-logs"])
def test_empty_path_is_refused_not_the_current_folder(command: str) -> None:
    result = runner.invoke(app, [command, ""])
    assert result.exit_code == 2
    assert "empty path" in _output(result)


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_scan_logs_file_counts_without_showing_values(tmp_path: Path, fmt: str) -> None:
    text, counts, canaries = sample_log()
    (tmp_path / "app.log").write_text(text)
    result = runner.invoke(app, ["scan-logs", str(tmp_path / "app.log"), "-f", fmt])
    assert result.exit_code == 1, result.output
    _assert_no_canary(_output(result), canaries)
    if fmt == "json":
        assert json.loads(result.stdout)["counts"] == {str(k): v for k, v in counts.items()}
    else:
        for kind, count in counts.items():
            assert any(kind in row and f" {count} " in row for row in result.stdout.splitlines())


def test_scan_logs_reads_stdin(tmp_path: Path) -> None:
    text, counts, canaries = sample_log()
    result = runner.invoke(app, ["scan-logs", "-", "--format", "json"], input=text)
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert data["total"] == sum(counts.values())
    assert data["samples"]["email"][0]["source"] == "<stdin>"
    _assert_no_canary(_output(result), canaries)


def test_scan_logs_clean_directory_exits_zero(tmp_path: Path) -> None:
    (tmp_path / "app.log").write_text("2024-01-15T12:30:45Z INFO started in 1234ms\n")
    result = runner.invoke(app, ["scan-logs", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "nothing to redact found (1 file, 44 bytes)" in result.stdout


def test_history_timeout_and_no_finding_exits_three(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    fake_git = fake_bin / "git"
    fake_git.write_text('#!/bin/sh\ncase "$*" in *rev-parse*) echo true; exit 0;; esac\nexec sleep 30\n')
    fake_git.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake_bin}:/usr/bin:/bin")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("print('hello')\n")
    result = runner.invoke(app, ["scan-secrets", str(tmp_path / "src"), "--git-timeout", "1"])
    assert result.exit_code == 3, result.output
    assert "git history scan stopped after 1 s" in _output(result)

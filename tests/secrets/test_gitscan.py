from __future__ import annotations

import time
from pathlib import Path

import pytest

from launchready.secrets import scan_git_history, scan_path
from launchready.secrets.findings import fingerprint
from launchready.secrets.gitscan import is_git_repository
from tests.secrets.fakekeys import make_keys
from tests.secrets.gitrepo import git, make_leaky_repo


def test_history_finds_every_deleted_key_at_its_commit_and_line(tmp_path: Path) -> None:
    planted, leaky = make_leaky_repo(tmp_path / "repo")
    report = scan_git_history(tmp_path / "repo", timeout=30)
    assert report.errors == () and report.scanned == 3
    found = {f.rule_id: (f.fingerprint, f.line, f.commit, f.source) for f in report.findings}
    assert found == {
        rule: (fingerprint(secret), line, leaky, "config.env") for rule, (secret, line) in planted.items()
    }
    rendered = repr(report.to_dict())
    assert all(secret not in rendered for secret, _ in planted.values())


def test_working_tree_of_the_cleaned_repo_is_clean(tmp_path: Path) -> None:
    make_leaky_repo(tmp_path / "repo")
    assert scan_path(tmp_path / "repo").findings == ()


def test_other_branches_are_scanned_too(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    make_leaky_repo(repo)
    git(repo, "checkout", "-q", "-b", "feature", "HEAD~2")
    (repo / "notes.txt").write_text("see " + make_keys()["slack-webhook-url"] + "\n")
    git(repo, "add", "notes.txt")
    git(repo, "commit", "-q", "-m", "notes")
    git(repo, "checkout", "-q", "main")
    report = scan_git_history(repo)
    assert any(f.rule_id == "slack-webhook-url" and f.source == "notes.txt" for f in report.findings)


def test_byte_cap_stops_the_scan_and_says_so(tmp_path: Path) -> None:
    make_leaky_repo(tmp_path / "repo")
    report = scan_git_history(tmp_path / "repo", max_bytes=200)
    assert report.truncated
    assert report.errors == ("git history scan stopped at the 200 byte cap",)


def test_not_a_repository_is_an_error_not_a_crash(tmp_path: Path) -> None:
    assert not is_git_repository(tmp_path)
    report = scan_git_history(tmp_path)
    assert report.findings == () and report.errors and report.errors[0].startswith("git log failed")


def test_empty_repository_is_clean(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    assert is_git_repository(tmp_path)
    report = scan_git_history(tmp_path)
    assert report.findings == () and report.errors == () and report.scanned == 0


def test_timeout_kills_git_and_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    fake_git = fake_bin / "git"
    fake_git.write_text("#!/bin/sh\nexec sleep 30\n")
    fake_git.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake_bin}:/usr/bin:/bin")
    started = time.monotonic()
    report = scan_git_history(tmp_path, timeout=0.5)
    assert time.monotonic() - started < 10
    assert report.truncated and report.errors == ("git history scan stopped after 0.5 s",)


def test_missing_git_binary_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    report = scan_git_history(tmp_path)
    assert report.errors and report.errors[0].startswith("git could not run")

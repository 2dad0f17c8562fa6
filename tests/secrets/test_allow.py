"""Allowlisting: inline markers, the allow file, baselines; allowed findings counted, never shown in full."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from launchready.cli import app
from launchready.secrets import scan_git_history, scan_path
from launchready.secrets.allow import (
    BASELINE_REASON,
    INLINE_REASON,
    AllowFileError,
    Allowlist,
    find_allow_file,
    glob_regex,
    load_allow_file,
    read_baseline,
)
from launchready.secrets.findings import fingerprint
from tests.secrets.fakekeys import make_keys, rnd
from tests.secrets.gitrepo import git
from tests.secrets.test_cli import _output

runner = CliRunner()
REPO = Path(__file__).resolve().parents[2]


def _keys() -> tuple[str, str, str]:
    keys = make_keys()
    return keys["stripe-live-secret-key"], keys["github-token"], keys["aws-access-key-id"]


def _assert_hidden(text: str, *canaries: str) -> None:
    for canary in canaries:
        assert canary not in text
        assert canary[4:20] not in text


def _invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["scan-secrets", *args])
    return result.exit_code, result.stdout, _output(result)


@pytest.mark.parametrize(
    "marker",
    ["# launchready: allow-secret", "# gitleaks:allow", "# pragma: allowlist secret", "// GITLEAKS:ALLOW"],
)
def test_inline_marker_allows_only_its_own_line(tmp_path: Path, marker: str) -> None:
    marked, unmarked, _ = _keys()
    (tmp_path / "settings.py").write_text(f'A = "{marked}"  {marker}\n{marker}\nB = "{unmarked}"\n')
    findings = {f.line: f for f in scan_path(tmp_path).findings}
    assert findings[1].allowed == INLINE_REASON
    assert findings[3].allowed == ""  # a marker on the line above does not count


def test_marker_on_a_minified_line_is_ignored(tmp_path: Path) -> None:
    key, _, _ = _keys()
    (tmp_path / "app.js").write_text(f'var k="{key}";/* gitleaks:allow */' + "x=1;" * 600)
    [finding] = scan_path(tmp_path).findings
    assert finding.allowed == ""


def test_inline_marker_counts_in_git_history(tmp_path: Path) -> None:
    marked, unmarked, _ = _keys()
    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "conf.py").write_text(f'A = "{marked}"  # launchready: allow-secret\nB = "{unmarked}"\n')
    git(tmp_path, "add", "conf.py")
    git(tmp_path, "commit", "-q", "-m", "keys")
    by_line = {f.line: f.allowed for f in scan_git_history(tmp_path).findings}
    assert by_line == {1: INLINE_REASON, 2: ""}


@pytest.mark.parametrize(
    ("pattern", "matching", "not_matching"),
    [
        ("tests/fixtures/**", ["tests/fixtures/a.env", "tests/fixtures/x/y/z.js"], ["tests/fixturesX/a"]),
        ("tests/fixtures/**", [], ["a/tests/fixtures/b", "tests/fixtures"]),
        ("*.md", ["README.md"], ["docs/guide.md"]),
        ("**/*.md", ["README.md", "docs/deep/guide.md"], ["README.mdx"]),
        ("config/?.env", ["config/a.env"], ["config/ab.env", "config/a/b.env"]),
    ],
)  # fmt: skip
def test_glob_semantics(pattern: str, matching: list[str], not_matching: list[str]) -> None:
    regex = glob_regex(pattern)
    assert all(regex.match(name) for name in matching)
    assert not any(regex.match(name) for name in not_matching)


def _write_allow(root: Path, body: str, name: str = ".launchready-secrets.toml") -> Path:
    path = root / name
    path.write_text(body)
    return path


def test_allow_file_fingerprint_and_paths(tmp_path: Path) -> None:
    by_fp, in_fixture, counted = _keys()
    (tmp_path / "tests" / "fixtures").mkdir(parents=True)
    (tmp_path / "app.env").write_text(f"STRIPE={by_fp}\nAWS={counted}\n")
    (tmp_path / "tests" / "fixtures" / "leaky.env").write_text(f"GH={in_fixture}\n")
    _write_allow(
        tmp_path,
        f'[[allow]]\nfingerprint = "{fingerprint(by_fp)}"\nreason = "rotated in 2024"\n\n'
        '[[allow]]\npaths = ["tests/fixtures/**"]\nreason = "fake keys for parser tests"\n',
    )
    code, stdout, output = _invoke(str(tmp_path), "--no-git")
    assert code == 1
    assert "1 secret found (3 files); 2 allowed (.launchready-secrets.toml: 2)" in stdout
    _assert_hidden(output, by_fp, in_fixture, counted)

    code, stdout, output = _invoke(str(tmp_path), "--no-git", "-f", "json", "--show-allowed")
    data = json.loads(stdout)
    assert [f["fingerprint"] for f in data["findings"]] == [fingerprint(counted)]
    assert {f["allowed"] for f in data["allowed"]} == {
        ".launchready-secrets.toml: rotated in 2024",
        ".launchready-secrets.toml: fake keys for parser tests",
    }
    _assert_hidden(output, by_fp, in_fixture, counted)


def test_fingerprint_limited_to_paths(tmp_path: Path) -> None:
    key, _, _ = _keys()
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.env").write_text(f"K={key}\n")
    (tmp_path / "b.env").write_text(f"K={key}\n")
    entry = f'[[allow]]\nfingerprint = "{fingerprint(key)}"\npaths = ["docs/**"]\nreason = "docs sample"\n'
    allowlist = load_allow_file(_write_allow(tmp_path, entry))
    allowed = {f.source: f.allowed for f in allowlist.apply(scan_path(tmp_path).findings)}
    assert allowed == {"docs/a.env": ".launchready-secrets.toml: docs sample", "b.env": ""}


def test_only_allowed_findings_exit_zero_and_say_so(tmp_path: Path) -> None:
    key, marked, _ = _keys()
    (tmp_path / "a.py").write_text(f'TOKEN = "{key}"\nGH = "{marked}"  # launchready: allow-secret\n')
    _write_allow(tmp_path, f'[[allow]]\nfingerprint = "{fingerprint(key)}"\nreason = "revoked"\n')
    code, stdout, output = _invoke(str(tmp_path), "--no-git", "--show-allowed")
    assert code == 0, output
    assert "no secrets found (2 files); 2 allowed (.launchready-secrets.toml: 1, inline marker: 1)" in stdout
    assert "revoked" in stdout and fingerprint(key) in stdout
    _assert_hidden(output, key, marked)


def test_allow_file_in_yaml(tmp_path: Path) -> None:
    key, _, _ = _keys()
    (tmp_path / "a.env").write_text(f"K={key}\n")
    _write_allow(
        tmp_path,
        f"allow:\n  - fingerprint: {fingerprint(key)}\n    reason: test fixture\n",
        ".launchready-secrets.yaml",
    )
    code, _, output = _invoke(str(tmp_path), "--no-git")
    assert code == 0, output


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[[allow]]\nfingerprint = "0123456789abcdef"\n', "reason is required"),
        ('[[allow]]\nfingerprint = "0123456789abcdef"\nreason = "  "\n', "reason is required"),
        ('[[allow]]\nreason = "why"\n', "give a fingerprint, paths, or both"),
        ('[[allow]]\nfingerprints = ["0123456789abcdef"]\nreason = "x"\n', "unknown key(s) fingerprints"),
        ('[[allow]]\npaths = "tests/**"\nreason = "x"\n[allow2]\n', "unknown top-level key(s) allow2"),
        ('[[allow]]\npaths = [1]\nreason = "x"\n', "paths must be a list of glob strings"),
        ("[[allow]\n", "not valid TOML"),
    ],
)
def test_bad_allow_file_is_a_usage_error(tmp_path: Path, body: str, message: str) -> None:
    (tmp_path / "a.txt").write_text("nothing here\n")
    _write_allow(tmp_path, body)
    code, _, output = _invoke(str(tmp_path), "--no-git")
    assert code == 2
    assert message in output


def test_secret_pasted_as_fingerprint_is_refused_and_not_echoed(tmp_path: Path) -> None:
    key, _, _ = _keys()
    (tmp_path / "a.env").write_text(f"K={key}\n")
    allow = tmp_path / "allow.toml"
    allow.write_text(f'[[allow]]\nfingerprint = "{key}"\nreason = "oops"\n')
    code, _, output = _invoke(str(tmp_path), "--no-git", "--allow-file", str(allow))
    assert code == 2
    assert "fingerprint must be the 16 hex digits" in output
    _assert_hidden(output, key)


def test_two_allow_files_are_ambiguous(tmp_path: Path) -> None:
    _write_allow(tmp_path, "")
    _write_allow(tmp_path, "", ".launchready-secrets.yml")
    with pytest.raises(AllowFileError, match="both exist"):
        find_allow_file(tmp_path)


def test_missing_allow_or_baseline_file_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x\n")
    for option in ("--allow-file", "--baseline"):
        code, _, output = _invoke(str(tmp_path), "--no-git", option, str(tmp_path / "nope.toml"))
        assert code == 2 and "no such file" in output


def test_baseline_round_trip_lets_only_new_secrets_fail(tmp_path: Path) -> None:
    old, new, _ = _keys()
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "old.env").write_text(f"K={old}\n")
    baseline = tmp_path / "baseline.json"

    code, stdout, output = _invoke(str(tree), "--no-git", "--write-baseline", str(baseline))
    assert code == 0, output
    assert "1 allowed (baseline: 1)" in stdout
    text = baseline.read_text()
    _assert_hidden(text + output, old)
    assert read_baseline(baseline) == {fingerprint(old)}
    assert not list(tmp_path.glob(".baseline.json.*"))  # written through a temp file, then renamed

    code, stdout, output = _invoke(str(tree), "--no-git", "--baseline", str(baseline))
    assert code == 0, output
    assert "no secrets found (1 file); 1 allowed (baseline: 1)" in stdout

    (tree / "new.env").write_text(f"K={new}\n")
    code, stdout, output = _invoke(str(tree), "--no-git", "--baseline", str(baseline), "-f", "json")
    assert code == 1
    data = json.loads(stdout)
    assert [(f["source"], f.get("allowed")) for f in data["findings"]] == [("new.env", None)]
    assert [(f["source"], f["allowed"]) for f in data["allowed"]] == [("old.env", BASELINE_REASON)]
    _assert_hidden(output, old, new)


@pytest.mark.parametrize(
    "content",
    ["not json", '{"version": 2, "findings": []}', '{"version": 1, "findings": [{"fingerprint": "x"}]}'],
)
def test_bad_baseline_is_a_usage_error(tmp_path: Path, content: str) -> None:
    (tmp_path / "a.txt").write_text("x\n")
    baseline = tmp_path / "b.json"
    baseline.write_text(content)
    code, _, output = _invoke(str(tmp_path / "a.txt"), "--baseline", str(baseline))
    assert code == 2, output


def test_allowlist_marks_and_keeps_every_finding(tmp_path: Path) -> None:
    keys = _keys()
    (tmp_path / "a.env").write_text("".join(f"K{i}={key}\n" for i, key in enumerate(keys)))
    findings = scan_path(tmp_path).findings
    marked = Allowlist(baseline=frozenset({fingerprint(keys[0])})).apply(findings)
    assert len(marked) == len(findings) == 3
    assert [f.allowed for f in marked] == [BASELINE_REASON, "", ""]


def test_this_repository_scans_clean_with_its_allow_file() -> None:
    """`make secrets-scan` in CI: every finding in the tree and the history is allowed, with a reason."""
    allow_file = find_allow_file(REPO)
    assert allow_file is not None
    allowlist = load_allow_file(allow_file)
    tree = scan_path(REPO)
    history = scan_git_history(REPO, timeout=60)
    assert not tree.errors and not history.errors and not tree.truncated
    blocking = [f for f in allowlist.apply([*tree.findings, *history.findings]) if not f.allowed]
    assert [f"{f.source}:{f.line} {f.commit[:12]} {f.rule_id} {f.fingerprint}" for f in blocking] == []


def test_random_canary_is_found_then_allowed_by_marker_only(tmp_path: Path) -> None:
    value = rnd(32)
    (tmp_path / "a.py").write_text(
        f'db_password = "{value}"\ndb_password = "{value}"  # pragma: allowlist secret\n'
    )
    assert [f.allowed for f in scan_path(tmp_path).findings] == ["", INLINE_REASON]

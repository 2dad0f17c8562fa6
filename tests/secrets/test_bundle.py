from __future__ import annotations

from pathlib import Path

from launchready.secrets import Severity, scan_path
from launchready.secrets.findings import fingerprint
from tests.secrets.bundles import write_hardened_bundle, write_planted_bundle
from tests.secrets.fakekeys import make_keys


def test_every_key_type_is_found_in_the_planted_bundle(tmp_path: Path) -> None:
    planted = write_planted_bundle(tmp_path)
    report = scan_path(tmp_path)
    found = {f.rule_id: f.fingerprint for f in report.findings}
    assert found == {rule: fingerprint(secret) for rule, secret in planted.items()}
    assert report.errors == () and not report.truncated
    rendered = repr(report) + repr(report.to_dict())
    for secret in planted.values():
        assert secret not in rendered
        assert secret[8:40] not in rendered


def test_findings_point_into_the_source_map_original_files(tmp_path: Path) -> None:
    write_planted_bundle(tmp_path)
    sources = {f.source for f in scan_path(tmp_path).findings}
    assert "assets/main.js" in sources
    assert "assets/main.js.map -> src/config.ts" in sources
    assert "assets/vendor.js (inline source map) -> src/vendor.ts" in sources


def test_hardened_bundle_has_no_finding(tmp_path: Path) -> None:
    write_hardened_bundle(tmp_path)
    report = scan_path(tmp_path)
    assert report.findings == ()
    assert report.scanned == 4  # html, js, map, css


def test_stripe_test_key_is_a_warning_and_live_key_critical(tmp_path: Path) -> None:
    write_planted_bundle(tmp_path)
    severities = {f.rule_id: f.severity for f in scan_path(tmp_path).findings}
    assert severities["stripe-test-key"] is Severity.WARNING
    assert severities["stripe-live-secret-key"] is Severity.CRITICAL


def test_caps_skip_big_files_and_stop_at_the_total(tmp_path: Path) -> None:
    from launchready.secrets.tree import TreeLimits

    (tmp_path / "big.txt").write_text("x" * 5000)
    for i in range(5):
        (tmp_path / f"f{i}.txt").write_text("hello\n")
    report = scan_path(tmp_path, limits=TreeLimits(max_file_bytes=1000, max_files=3))
    assert "big.txt: larger than 1000 bytes" in report.skipped
    assert report.scanned == 3 and report.truncated


def test_symlinks_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "k.txt").write_text(make_keys()["github-token"] + "\n")
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "link.txt").symlink_to(outside / "k.txt")
    report = scan_path(tree)
    assert report.findings == () and report.skipped == ("link.txt: symlink not followed",)


def test_virtualenvs_and_vendored_packages_are_skipped(tmp_path: Path) -> None:
    key = make_keys()["github-token"]
    for vendored in ("node_modules/lib", ".venv-tools/lib/site-packages/pkg", "env/lib"):
        (tmp_path / vendored).mkdir(parents=True)
        (tmp_path / vendored / "k.py").write_text(f"TOKEN = '{key}'\n")
    (tmp_path / ".venv-tools" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (tmp_path / "env" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (tmp_path / "app.py").write_text("print('ok')\n")
    report = scan_path(tmp_path)
    assert report.findings == () and report.scanned == 1

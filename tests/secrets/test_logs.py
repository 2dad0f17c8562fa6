from __future__ import annotations

import io
from pathlib import Path

import pytest

from launchready.secrets import LogKind, scan_log_text, scan_logs
from launchready.secrets import logs as logs_module
from tests.secrets.fakekeys import make_keys, rnd, supabase_jwt


def sample_log() -> tuple[str, dict[LogKind, int], list[str]]:
    """A log with a known number of each kind, and the raw values that must never be shown."""
    bearer = supabase_jwt("authenticated")
    opaque = rnd(32)
    basic = "dXNlcjpwYXNz" + rnd(16)
    session = rnd(40)
    openai = make_keys()["openai-api-key"]
    stripe = make_keys()["stripe-live-secret-key"]
    email = f"canary+{rnd(8).lower()}@example.test"
    canaries = [bearer, opaque, basic, session, openai, stripe, email]
    text = "\n".join(
        [
            "2024-01-15T12:30:45.123Z INFO request_id=1700000000123 GET /api/chat 200 512 1034 "
            "took=1234567890ms",
            f'2024-01-15T12:30:46.001Z INFO headers={{"authorization": "Bearer {bearer}", '
            f'"cookie": "session={session}; theme=dark"}}',
            f"2024-01-15T12:30:47+01:00 WARN signup {email} phone +14155550123 alt (415) 555-0199",
            f"2024-01-15 12:30:48 DEBUG Authorization: Basic {basic} ip=192.168.1.10 v1.2.3",
            f"2024-01-15 12:30:49 DEBUG upstream call with bearer {opaque} callback 415-555-0123",
            f"2024-01-15 12:30:50 ERROR Authorization: Bearer {openai} failed; key={stripe}",
            "2024-01-15 12:30:51 INFO Set-Cookie: sid=" + rnd(24) + "; HttpOnly; Secure",
            "2024-01-15 12:30:52 INFO uuid=3f2b8c1e-4d5a-4b6c-8e9f-0a1b2c3d4e5f at 12:30:52.123 +0100 "
            "dial +44 20 7946 0958",
            "",
        ]
    )
    counts = {
        LogKind.AUTHORIZATION: 2,
        LogKind.COOKIE: 2,
        LogKind.BEARER: 1,
        LogKind.API_KEY: 2,
        LogKind.EMAIL: 1,
        LogKind.PHONE: 4,
    }
    return text, counts, canaries


def test_each_kind_is_counted(tmp_path: Path) -> None:
    text, counts, canaries = sample_log()
    (tmp_path / "app.log").write_text(text)
    report = scan_logs(tmp_path / "app.log")
    assert dict(report.counts) == counts
    assert report.total == sum(counts.values())
    rendered = repr(report.to_dict())
    assert all(canary not in rendered for canary in canaries)


def test_samples_are_redacted_and_located() -> None:
    text, _, _ = sample_log()
    hits = scan_log_text(text, "app.log")
    by_kind = {(h.kind, h.line) for h in hits}
    assert (LogKind.AUTHORIZATION, 2) in by_kind and (LogKind.EMAIL, 3) in by_kind
    api = [h for h in hits if h.kind is LogKind.API_KEY]
    assert [h.rule_id for h in api] == ["openai-api-key", "stripe-live-secret-key"]
    assert all("[redacted len=" in h.redacted for h in hits)
    auth = [h.redacted for h in hits if h.kind is LogKind.AUTHORIZATION]
    assert auth[0].startswith("Bearer ") and auth[1].startswith("Basic ")


@pytest.mark.parametrize(
    "line",
    [
        "2024-01-15T12:30:45.123Z INFO took 1234ms",
        "2024-01-15 12:30:45,123 +0100 request 1700000000123 done",
        "ts=1700000000 id=4155550123123 ip=10.0.0.1 port=5432",
        "GET /v1/items/123-456-789 200 512 1034",
        "version 2024.01.15 build 20240115.1234",
        'headers={"content-type": "application/json"} user_id=42',
        "Authorization header missing",
    ],
)
def test_timestamps_ids_and_plain_lines_are_not_flagged(line: str) -> None:
    assert scan_log_text(line + "\n", "app.log") == []


def test_line_numbers_survive_chunking(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logs_module, "CHUNK_BYTES", 64)
    lines = [f"line {i} nothing here" for i in range(50)]
    lines[37] = "contact admin@example.test"
    report = logs_module.LogReport()
    logs_module.scan_log_stream(io.BytesIO("\n".join(lines).encode()), "x.log", report)
    assert report.counts[LogKind.EMAIL] == 1
    assert report.samples[LogKind.EMAIL][0].line == 38


def test_directory_of_logs_and_sample_cap(tmp_path: Path) -> None:
    for i in range(3):
        (tmp_path / f"app{i}.log").write_text("".join(f"user{j}@example.test\n" for j in range(5)))
    (tmp_path / "core.dump").write_bytes(b"\0\1\2" * 100)
    report = scan_logs(tmp_path, max_samples=2)
    assert report.counts[LogKind.EMAIL] == 15
    assert len(report.samples[LogKind.EMAIL]) == 2
    assert report.skipped == ["core.dump: binary"]


def test_scan_logs_from_a_terminal_says_what_it_waits_for() -> None:
    import os
    import pty
    import subprocess
    import sys

    controller, terminal = pty.openpty()
    try:
        proc = subprocess.Popen([sys.executable, "-m", "launchready", "scan-logs", "-"],
                                stdin=terminal, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        os.write(controller, b"\x04")  # Ctrl-D: end of input
        out, err = proc.communicate(timeout=30)
    finally:
        os.close(controller)
        os.close(terminal)
    assert proc.returncode == 0, err
    assert b"reading logs from the terminal" in err
    assert b"nothing to redact found" in out

"""Scan every line ever added in a repository's history (``git log -p --all``).

A key deleted in a later commit is still in the history, and still valid until rotated.
Only added lines are scanned, so each secret is reported at the commit that introduced it.
git runs with a timeout and a byte cap on its output; no external diff or textconv driver
from the repository's config is run.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path

from launchready.secrets.allow import mark_inline
from launchready.secrets.engine import scan_text
from launchready.secrets.findings import Finding, ScanReport, sort_findings

DEFAULT_TIMEOUT = 120.0
DEFAULT_MAX_BYTES = 512 * 1024 * 1024
_COMMIT_MARK = "\x1ecommit "
_HUNK = re.compile(r"^@@+ [^@]*\+(\d+)(?:,\d+)? @@")


@dataclass
class _FileChanges:
    commit: str
    path: str
    added: list[tuple[int, str]] = field(default_factory=list)
    """(line number in the commit's version of the file, line text)."""


def _scan_changes(changes: _FileChanges) -> list[Finding]:
    if not changes.added:
        return []
    lines = [content for _, content in changes.added]
    found = mark_inline(scan_text("\n".join(lines), changes.path, filename=changes.path), lines)
    return [
        replace(finding, line=changes.added[finding.line - 1][0], commit=changes.commit) for finding in found
    ]


def _git(repo: Path, *args: str) -> list[str]:
    # The user's config must not change the output we parse (signatures, relative paths).
    config = ("core.quotepath=off", "log.showSignature=false", "diff.relative=false")
    return ["git", "-C", str(repo), *(arg for item in config for arg in ("-c", item)), "--no-pager", *args]


def is_git_repository(path: Path, *, timeout: float = 10.0) -> bool:
    try:
        result = subprocess.run(
            _git(path, "rev-parse", "--is-inside-work-tree"),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0 and result.stdout.strip() == "true"


class _DiffParser:
    """Collect each commit's added lines per file from ``git log -p -U0`` output, line by line."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self.commits = 0
        self._commit = ""
        self._current: _FileChanges | None = None
        self._in_hunk = False
        self._next_line = 0

    def _flush(self) -> None:
        if self._current:
            self.findings.extend(_scan_changes(self._current))
        self._current, self._in_hunk = None, False

    def feed(self, line: str) -> None:
        if line.startswith(_COMMIT_MARK):
            self._flush()
            self._commit = line[len(_COMMIT_MARK) :].strip()
            self.commits += 1
        elif line.startswith("diff --git "):
            self._flush()
        elif not self._in_hunk and line.startswith("+++ "):
            target = line[4:].strip('"')
            self._current = None if target == "/dev/null" else _FileChanges(self._commit, target[2:])
        elif (hunk := _HUNK.match(line)) is not None:
            self._in_hunk, self._next_line = True, int(hunk.group(1))
        elif self._in_hunk and self._current is not None and line.startswith("+"):
            self._current.added.append((self._next_line, line[1:]))
            self._next_line += 1

    def finish(self) -> None:
        self._flush()


def scan_git_history(
    repo: Path | str, *, timeout: float = DEFAULT_TIMEOUT, max_bytes: int = DEFAULT_MAX_BYTES
) -> ScanReport:
    """Secrets in every commit reachable from any ref; ``scanned`` counts commits.

    Merge commits' own changes (evil merges) are not shown by ``git log -p`` and are not scanned.
    """
    command = _git(
        Path(repo), "log", "-p", "--all", "-U0", "--no-color", "--no-ext-diff", "--no-textconv",
        "--no-renames", "--src-prefix=a/", "--dst-prefix=b/", f"--format={_COMMIT_MARK}%H",
    )  # fmt: skip
    env = {**os.environ, "GIT_PAGER": "cat", "GIT_TERMINAL_PROMPT": "0"}
    parser = _DiffParser()
    read = 0
    over_cap = False
    timed_out = threading.Event()
    with tempfile.TemporaryFile() as errlog:
        try:
            process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errlog, env=env)
        except OSError as exc:
            return ScanReport(errors=(f"git could not run: {exc.strerror or exc}",))

        def kill_on_deadline() -> None:
            timed_out.set()
            process.kill()

        timer = threading.Timer(timeout, kill_on_deadline)
        timer.start()
        with process:
            assert process.stdout is not None
            try:
                for raw in process.stdout:
                    read += len(raw)
                    if read > max_bytes:
                        over_cap = True
                        process.kill()
                        break
                    parser.feed(raw.decode("utf-8", "replace").rstrip("\n"))
                else:
                    parser.finish()
            finally:
                timer.cancel()
                if over_cap:
                    process.stdout.close()
        returncode = process.wait()
        errlog.seek(0)
        stderr = errlog.read(64 * 1024).decode("utf-8", "replace").strip()
    errors: list[str] = []
    if timed_out.is_set():
        errors.append(f"git history scan stopped after {timeout:g} s")
    elif over_cap:
        errors.append(f"git history scan stopped at the {max_bytes} byte cap")
    elif returncode != 0:
        errors.append(f"git log failed: {stderr.splitlines()[-1] if stderr else f'exit {returncode}'}")
    return ScanReport(
        findings=tuple(sort_findings(parser.findings)),
        scanned=parser.commits,
        bytes_scanned=read,
        errors=tuple(errors),
        truncated=timed_out.is_set() or over_cap,
    )

"""Log redaction scanner: what a log sink holds that it should not (tokens, cookies, keys, PII).

Each stretch of a log line is counted once, under its most specific kind, in this order:
API keys (the secret rules), Authorization headers, Cookie headers, bare bearer tokens,
email addresses, phone numbers. So ``Authorization: Bearer sk-proj-…`` counts as one
``api-key``, and ``Authorization: Bearer <opaque>`` as one ``authorization-header``.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, BinaryIO

from launchready.redact import redact
from launchready.secrets.engine import locate_secrets
from launchready.secrets.tree import TreeLimits, WalkState, is_binary, walk_files


class LogKind(StrEnum):
    API_KEY = "api-key"
    AUTHORIZATION = "authorization-header"
    COOKIE = "cookie-header"
    BEARER = "bearer-token"
    EMAIL = "email"
    PHONE = "phone"


_AUTHORIZATION = re.compile(
    r"(?i)(?<![\w-])(?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?"
    r"(?:(?P<scheme>bearer|basic|digest|token|negotiate|apikey)\s+)?(?P<value>[^\s\"',;}\]]{4,})"
)
_COOKIE = re.compile(r"(?i)(?<![\w-])(?:set-)?cookie[\"']?\s*[:=]\s*[\"']?(?P<value>[^\s=;\"']+=[^\r\n\"']*)")
_BEARER = re.compile(r"(?i)\bbearer\s+(?P<value>[A-Za-z0-9._~+/=-]{8,})")
_EMAIL = re.compile(
    r"(?<![\w.%+-])(?P<value>[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24})"
    r"(?![\w-])"
)
_PHONE = re.compile(
    r"(?<![\w+.:/=-])(?P<value>"
    r"\+[1-9]\d{7,14}(?!\d)"  # E.164
    r"|\+[1-9]\d{0,3}(?:[ .-]\(?\d{1,4}\)?){2,5}(?![\d])"  # international with separators
    r"|\([2-9]\d{2}\)\s?\d{3}[-.]\d{4}"  # (415) 555-0123
    r"|[2-9]\d{2}[-.]\d{3}[-.]\d{4}"  # 415-555-0123, 415.555.0123
    r")(?![\w]|[.:-]\d)"
)
_PATTERNS: tuple[tuple[LogKind, re.Pattern[str]], ...] = (
    (LogKind.AUTHORIZATION, _AUTHORIZATION),
    (LogKind.COOKIE, _COOKIE),
    (LogKind.BEARER, _BEARER),
    (LogKind.EMAIL, _EMAIL),
    (LogKind.PHONE, _PHONE),
)
_PHONE_DIGITS = range(8, 16)
CHUNK_BYTES = 4 * 1024 * 1024
DEFAULT_SAMPLES = 3
LOG_LIMITS = TreeLimits(max_file_bytes=4 * 1024**3, max_total_bytes=16 * 1024**3)
"""Logs are streamed in chunks, so the caps only bound how long a directory scan can run."""


@dataclass(frozen=True, slots=True)
class LogHit:
    kind: LogKind
    rule_id: str
    """The secret rule for ``api-key`` hits, else the kind."""
    source: str
    line: int
    redacted: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": str(self.kind),
            "rule_id": self.rule_id,
            "source": self.source,
            "line": self.line,
            "redacted": self.redacted,
        }


@dataclass
class LogReport:
    """Counts per kind and a few redacted samples of each; never a raw value."""

    counts: Counter[LogKind] = field(default_factory=Counter)
    samples: dict[LogKind, list[LogHit]] = field(default_factory=dict)
    files: int = 0
    bytes_scanned: int = 0
    skipped: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    truncated: bool = False
    max_samples: int = DEFAULT_SAMPLES

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def add(self, hits: Iterable[LogHit]) -> None:
        for hit in hits:
            self.counts[hit.kind] += 1
            kept = self.samples.setdefault(hit.kind, [])
            if len(kept) < self.max_samples:
                kept.append(hit)

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "counts": {str(kind): self.counts[kind] for kind in LogKind if self.counts[kind]},
            "samples": {str(kind): [hit.to_dict() for hit in hits] for kind, hits in self.samples.items()},
            "files": self.files,
            "bytes_scanned": self.bytes_scanned,
            "skipped": self.skipped,
            "errors": self.errors,
            "truncated": self.truncated,
        }


def _is_phone(value: str) -> bool:
    return sum(c.isdigit() for c in value) in _PHONE_DIGITS


def _show(kind: LogKind, match: re.Match[str]) -> str:
    value = match.group("value")
    if kind is LogKind.AUTHORIZATION and match.group("scheme"):
        return f"{match.group('scheme')} {redact(value)}"
    return redact(value)


def scan_log_text(text: str, source: str, *, first_line: int = 1) -> list[LogHit]:
    """Every hit in ``text``; ``first_line`` numbers lines when ``text`` is a chunk of a bigger log."""
    newlines: list[int] | None = None

    def line_of(offset: int) -> int:
        nonlocal newlines
        if newlines is None:
            newlines = [m.start() for m in re.finditer("\n", text)]
        return first_line + bisect.bisect_left(newlines, offset)

    spans: list[tuple[int, int]] = []
    hits: list[tuple[int, LogHit]] = []
    for located in locate_secrets(text, source, filename="log.txt"):
        spans.append((located.start, located.end))
        found = located.finding
        hits.append(
            (
                located.start,
                LogHit(LogKind.API_KEY, found.rule_id, source, line_of(located.start), found.redacted),
            )
        )
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            start, end = match.span("value")
            if any(start < other_end and other_start < end for other_start, other_end in spans):
                continue
            if kind is LogKind.PHONE and not _is_phone(match.group("value")):
                continue
            spans.append(match.span())
            hits.append((start, LogHit(kind, str(kind), source, line_of(start), _show(kind, match))))
    return [hit for _, hit in sorted(hits, key=lambda item: item[0])]


def _chunks(stream: BinaryIO) -> Iterator[tuple[int, bytes]]:
    """(first line number, bytes) for line-aligned chunks, so a big log never sits in memory whole."""
    line = 1
    rest = b""
    while True:
        block = stream.read(CHUNK_BYTES)
        if not block:
            break
        data = rest + block
        cut = data.rfind(b"\n")
        if cut == -1:
            rest = data
            continue
        chunk, rest = data[: cut + 1], data[cut + 1 :]
        yield line, chunk
        line += chunk.count(b"\n")
    if rest:
        yield line, rest


def scan_log_stream(stream: BinaryIO, source: str, report: LogReport) -> None:
    """Scan a log read from ``stream`` (a file or standard input) into ``report``."""
    for first_line, chunk in _chunks(stream):
        if first_line == 1 and is_binary(chunk):
            report.skipped.append(f"{source}: binary")
            return
        report.bytes_scanned += len(chunk)
        report.add(scan_log_text(chunk.decode("utf-8", "replace"), source, first_line=first_line))
    report.files += 1


def scan_logs(
    path: Path | str, *, limits: TreeLimits | None = None, max_samples: int = DEFAULT_SAMPLES
) -> LogReport:
    """Scan one log file, or every text file under a directory (no per-file size cap for a single file)."""
    root = Path(path)
    report = LogReport(max_samples=max_samples)
    if not root.exists():
        report.errors.append(f"{root}: no such file or directory")
        return report
    state = WalkState()
    targets = [(root, str(root))] if root.is_file() else walk_files(root, limits or LOG_LIMITS, state)
    for file_path, name in targets:
        try:
            with file_path.open("rb") as stream:
                scan_log_stream(stream, name, report)
        except OSError as exc:
            report.errors.append(f"{name}: {exc.strerror or exc}")
    report.skipped.extend(state.skipped)
    report.errors.extend(state.errors)
    report.truncated = state.truncated
    return report

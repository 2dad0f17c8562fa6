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
from itertools import chain
from pathlib import Path
from typing import Any, BinaryIO

from launchready.redact import redact
from launchready.secrets.engine import Spans, locate_secrets
from launchready.secrets.rules import WORD_CHARS
from launchready.secrets.tree import TreeLimits, WalkState, is_binary, walk_files


class LogKind(StrEnum):
    API_KEY = "api-key"
    AUTHORIZATION = "authorization-header"
    COOKIE = "cookie-header"
    BEARER = "bearer-token"
    EMAIL = "email"
    PHONE = "phone"


@dataclass(frozen=True, slots=True)
class _Pattern:
    """A lower-case pattern run on the lowered log (IGNORECASE is far slower in re)."""

    kind: LogKind
    regex: re.Pattern[str]
    ignorecase_regex: re.Pattern[str]
    left: str
    """Characters that may not stand right before the match."""


def _pattern(kind: LogKind, pattern: str, left: str) -> _Pattern:
    return _Pattern(kind, re.compile(pattern), re.compile(pattern, re.IGNORECASE), left)


_PATTERNS = (
    _pattern(
        LogKind.AUTHORIZATION,
        r"authorization[\"']?\s*[:=]\s*[\"']?"
        r"(?:(?P<scheme>bearer|basic|digest|token|negotiate|apikey)\s+)?(?P<value>[^\s\"',;}\]]{4,})",
        WORD_CHARS,
    ),
    _pattern(LogKind.COOKIE, r"cookie[\"']?\s*[:=]\s*[\"']?(?P<value>[^\s=;\"']+=[^\r\n\"']*)", WORD_CHARS),
    _pattern(LogKind.BEARER, r"bearer\s+(?P<value>[a-z0-9._~+/=-]{8,})", WORD_CHARS),
    _pattern(
        LogKind.PHONE,
        r"(?P<value>"
        r"\+[1-9]\d{7,14}(?!\d)"  # E.164
        r"|\+[1-9]\d{0,3}(?:[ .-]\(?\d{1,4}\)?){2,5}(?![\d])"  # international with separators
        r"|\([2-9]\d{2}\)\s?\d{3}[-.]\d{4}"  # (415) 555-0123
        r"|[2-9]\d{2}[-.]\d{3}[-.]\d{4}"  # 415-555-0123, 415.555.0123
        r")(?![\w]|[.:-]\d)",
        WORD_CHARS + "+.:/=-",
    ),
)
_EMAIL_DOMAIN = re.compile(r"@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}(?![\w-])")
"""Anchored on '@' and extended left in code: a leading local-part class would be tried at every offset."""
_EMAIL_LOCAL = frozenset(WORD_CHARS + ".%+-")
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


def _show(kind: LogKind, text: str, match: re.Match[str]) -> str:
    value = text[slice(*match.span("value"))]
    if kind is LogKind.AUTHORIZATION and match.group("scheme"):
        return f"{text[slice(*match.span('scheme'))]} {redact(value)}"
    return redact(value)


_Candidate = tuple[LogKind, int, int, int, str]
"""(kind, start of the whole match, start and end of the value, what to show)."""


def _pattern_candidates(pattern: _Pattern, text: str, lowered: str | None) -> Iterator[_Candidate]:
    matches = (
        pattern.regex.finditer(lowered) if lowered is not None else pattern.ignorecase_regex.finditer(text)
    )
    for match in matches:
        if match.start() > 0 and text[match.start() - 1] in pattern.left:
            continue
        start, end = match.span("value")
        if pattern.kind is LogKind.PHONE and not _is_phone(text[start:end]):
            continue
        yield pattern.kind, match.start(), start, end, _show(pattern.kind, text, match)


def _email_candidates(text: str) -> Iterator[_Candidate]:
    for match in _EMAIL_DOMAIN.finditer(text):
        at = start = match.start()
        while start > 0 and at - start < 64 and text[start - 1] in _EMAIL_LOCAL:
            start -= 1
        if start < at and (start == 0 or text[start - 1] not in _EMAIL_LOCAL):
            yield LogKind.EMAIL, start, start, match.end(), redact(text[start : match.end()])


def scan_log_text(text: str, source: str, *, first_line: int = 1) -> list[LogHit]:
    """Every hit in ``text``; ``first_line`` numbers lines when ``text`` is a chunk of a bigger log."""
    newlines: list[int] | None = None

    def line_of(offset: int) -> int:
        nonlocal newlines
        if newlines is None:
            newlines = [m.start() for m in re.finditer("\n", text)]
        return first_line + bisect.bisect_left(newlines, offset)

    claimed = Spans()
    hits: list[tuple[int, LogHit]] = []
    for located in locate_secrets(text, source, filename="log.txt"):
        claimed.claim(located.start, located.end)
        found = located.finding
        hit = LogHit(LogKind.API_KEY, found.rule_id, source, line_of(located.start), found.redacted)
        hits.append((located.start, hit))
    lowered = text.lower()
    aligned = lowered if len(lowered) == len(text) else None  # lowering can shift offsets
    auth, cookie, bearer, phone = (_pattern_candidates(p, text, aligned) for p in _PATTERNS)
    for kind, match_start, start, end, shown in chain(auth, cookie, bearer, _email_candidates(text), phone):
        if claimed.claim(match_start, end):
            hits.append((start, LogHit(kind, str(kind), source, line_of(start), shown)))
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

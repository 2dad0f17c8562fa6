"""Scan text for secrets: our rule table for known key formats, detect-secrets for the rest.

Why both: detect-secrets 1.5 misses several formats we must catch (OpenAI project keys with
a ``-`` after ``T3BlbkFJ``, ``whsec_``, ``sb_secret_``, Cloudflare ``cfut_``, Supabase
service-role JWTs, ``sk_test_`` as its own finding), and its high-entropy plugins flag every
hash in a minified bundle. Its ``KeywordDetector`` is good at what the rule table is not:
secret-sounding assignments (``password=``, ``*_secret:``, ``api_key = "…"``) in each
language's syntax, with well-tried false-positive filters (templated values, indirect
references, ids, sequences). So the rules run over the whole text (one C-level regex pass
each, prefiltered by keywords), and the keyword detector runs only on the few lines that
hold a keyword, followed by an entropy threshold and placeholder filter of our own.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

from detect_secrets.filters import heuristic
from detect_secrets.plugins.keyword import (
    CONFIG_DENYLIST_REGEX_TO_GROUP,
    DENYLIST_REGEX,
    QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP,
    REGEX_BY_FILETYPE,
    KeywordDetector,
)
from detect_secrets.util.filetype import FileType, determine_file_type

from launchready.secrets.findings import Finding, Severity
from launchready.secrets.rules import PUBLIC_PREFIXES, RULES, is_placeholder, shannon_entropy

GENERIC_RULE_ID = "generic-secret-assignment"
GENERIC_DESCRIPTION = "High-entropy value assigned to a password / secret / api-key variable"
GENERIC_MIN_ENTROPY = 3.0
GENERIC_MIN_LENGTH = 8

_KEYWORD_HINT = re.compile(DENYLIST_REGEX)
"""detect-secrets' keyword list, run on the lowered text (IGNORECASE is ~30x slower in re)."""
_KEYWORD_HINT_CI = re.compile(DENYLIST_REGEX, re.IGNORECASE)
_JWT_SHAPE = re.compile(r"^eyJ[A-Za-z0-9_-]+\.eyJ")
_LONG_LINE = 2000
_WINDOW = 300
_keyword_detector = KeywordDetector()
_ALL_KEYWORDS = frozenset(k for rule in RULES for k in rule.keywords)


class _Lines:
    """Offset → 1-based line number, built only when a text has a finding."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._newlines: list[int] | None = None

    def line_of(self, offset: int) -> int:
        if self._newlines is None:
            self._newlines = [m.start() for m in re.finditer("\n", self._text)]
        return bisect.bisect_left(self._newlines, offset) + 1


class Spans:
    """Non-overlapping claimed stretches of a text; O(log n) overlap test per candidate."""

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []

    def claim(self, start: int, end: int) -> bool:
        """Claim ``[start, end)`` unless it overlaps a claimed stretch."""
        index = bisect.bisect_right(self._starts, start)
        if index > 0 and self._ends[index - 1] > start:
            return False
        if index < len(self._starts) and self._starts[index] < end:
            return False
        self._starts.insert(index, start)
        self._ends.insert(index, end)
        return True


def _keyword_regexes(filename: str) -> dict[re.Pattern[str], int]:
    """detect-secrets' assignment syntax for this file type; unquoted ``KEY=value`` for env/config/logs."""
    filetype = determine_file_type(filename)
    if filetype in (FileType.OTHER, FileType.EXAMPLE):
        return dict(CONFIG_DENYLIST_REGEX_TO_GROUP)
    return dict(REGEX_BY_FILETYPE.get(filetype, QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP))


def _generic_candidates(text: str, lowered: str | None, filename: str) -> Iterator[tuple[int, str, str]]:
    """(offset, line, value) for each keyword assignment detect-secrets finds on a keyword line."""
    regexes = _keyword_regexes(filename)
    seen_lines: set[int] = set()
    hints = _KEYWORD_HINT.finditer(lowered) if lowered is not None else _KEYWORD_HINT_CI.finditer(text)
    for hint in hints:
        start = text.rfind("\n", 0, hint.start()) + 1
        end = text.find("\n", hint.end())
        end = len(text) if end == -1 else end
        if end - start > _LONG_LINE:
            # Minified bundles: look at a window around the keyword, not a megabyte-long line.
            start = max(start, hint.start() - _WINDOW)
            end = min(end, hint.end() + _WINDOW)
        elif start in seen_lines:
            continue
        seen_lines.add(start)
        line = text[start:end]
        for value in _keyword_detector.analyze_string(line, denylist_regex_to_group=regexes):
            index = max(line.find(value), 0)
            yield start + index, line, _without_flow_closers(value, line, index)


def _without_flow_closers(value: str, line: str, index: int) -> str:
    """``{secret_env: STRIPE_WHSEC}``: detect-secrets keeps a YAML flow collection's ``}`` / ``,``."""
    if ("{" in line[:index] or "[" in line[:index]) and not _is_quoted(value, line):
        return value.rstrip(",}]") or value
    return value


def _is_generic_false_positive(value: str, line: str) -> bool:
    if len(value) < GENERIC_MIN_LENGTH or any(c.isspace() for c in value):
        return True  # too short to matter, or prose ("Enter your password")
    if value.startswith(PUBLIC_PREFIXES) or _JWT_SHAPE.match(value):
        return True  # public keys; JWTs are judged by the service-role rule
    if is_placeholder(value) or shannon_entropy(value) < GENERIC_MIN_ENTROPY:
        return True
    return (
        heuristic.is_templated_secret(value)
        or heuristic.is_sequential_string(value)
        or heuristic.is_potential_uuid(value)
        or heuristic.is_not_alphanumeric_string(value)
        or heuristic.is_likely_id_string(value, line)
        # `x = get_secret()`; a quoted literal is never a call (Django keys often hold '!=' and '(')
        or (not _is_quoted(value, line) and heuristic.is_indirect_reference(line))
    )


def _is_quoted(value: str, line: str) -> bool:
    return any(f"{quote}{value}{quote}" in line for quote in ("'", '"', "`"))


@dataclass(frozen=True, slots=True)
class Located:
    """A finding with the span of its secret in the scanned text (for overlap-aware callers)."""

    start: int
    end: int
    finding: Finding


def locate_secrets(text: str, source: str, *, filename: str | None = None) -> list[Located]:
    """Every secret in ``text`` with its span; each stretch of text is claimed by one rule only."""
    lowered = text.lower()
    lines = _Lines(text)
    located: list[Located] = []
    claim = Spans().claim

    def add(start: int, end: int, rule_id: str, description: str, severity: Severity, secret: str) -> None:
        finding = Finding.of(
            rule_id=rule_id,
            description=description,
            severity=severity,
            source=source,
            line=lines.line_of(start),
            secret=secret,
        )
        located.append(Located(start, end, finding))

    aligned = len(lowered) == len(text)  # lowering can change offsets for a few scripts
    present = {k for k in _ALL_KEYWORDS if k in lowered}  # str search beats one big regex
    for rule in RULES:
        if rule.keywords and present.isdisjoint(rule.keywords):
            continue
        if rule.ignorecase_regex is None:
            matches = rule.regex.finditer(text)
        else:
            matches = rule.regex.finditer(lowered) if aligned else rule.ignorecase_regex.finditer(text)
        for match in matches:
            if rule.left and match.start() > 0 and text[match.start() - 1] in rule.left:
                continue
            start, end = match.span("secret")
            secret = text[start:end]
            if rule.check_placeholder and is_placeholder(secret):
                continue
            if rule.min_entropy and shannon_entropy(secret) < rule.min_entropy:
                continue
            if rule.validator is not None and not rule.validator(secret):
                continue
            if claim(start, end):
                add(start, end, rule.id, rule.description, rule.severity, secret)

    for offset, line, value in _generic_candidates(text, lowered if aligned else None, filename or source):
        end = offset + len(value)
        if not _is_generic_false_positive(value, line) and claim(offset, end):
            add(offset, end, GENERIC_RULE_ID, GENERIC_DESCRIPTION, Severity.HIGH, value)
    located.sort(key=lambda item: item.start)
    return located


def scan_text(text: str, source: str, *, filename: str | None = None) -> list[Finding]:
    """Every secret in ``text``, located by ``source`` and line, never holding the raw value.

    ``filename`` (defaults to ``source``) picks detect-secrets' assignment syntax by extension.
    """
    return [item.finding for item in locate_secrets(text, source, filename=filename)]


def scan_source_map(text: str, source: str) -> list[Finding]:
    """Scan a source map's ``sourcesContent`` per original file, so lines point into that file.

    Falls back to scanning the raw text when it is not a JSON source map.
    """
    try:
        data = json.loads(text)
    except ValueError:
        return scan_text(text, source)
    if not isinstance(data, dict) or not isinstance(data.get("sourcesContent"), list):
        return scan_text(text, source)
    sources = data.get("sources")
    names: list[object] = sources if isinstance(sources, list) else []
    findings: list[Finding] = []
    for index, content in enumerate(data["sourcesContent"]):
        if not isinstance(content, str):
            continue
        name = names[index] if index < len(names) else None
        original = name if isinstance(name, str) else f"#{index}"
        findings.extend(scan_text(content, f"{source} -> {original}", filename=original))
    return findings


_INLINE_MAP = re.compile(
    r"sourceMappingURL=data:application/json(?:;charset=[\w-]+)?;base64,([A-Za-z0-9+/=]+)"
)


def scan_bundle(text: str, source: str) -> list[Finding]:
    """Scan a script or stylesheet and the source maps inlined in it as ``data:`` URLs."""
    findings = scan_text(text, source)
    for match in _INLINE_MAP.finditer(text):
        try:
            decoded = base64.b64decode(match.group(1), validate=True).decode("utf-8", "replace")
        except binascii.Error:
            continue
        findings.extend(scan_source_map(decoded, f"{source} (inline source map)"))
    return findings

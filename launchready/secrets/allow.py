"""Allowlisting for ``scan-secrets``: inline markers, a repo allow file, and a baseline.

Three ways to accept a finding, as gitleaks / detect-secrets users expect:

* an inline marker on the secret's line (``launchready: allow-secret``, ``gitleaks:allow``,
  ``pragma: allowlist secret``), honoured in working trees and git history, not in fetched
  bundles (a key served to browsers is exposed whatever a comment says);
* ``.launchready-secrets.toml`` at the scanned root: ``[[allow]]`` entries with a ``fingerprint``
  (the 16 hex digits every finding prints) and/or ``paths`` globs, each with a ``reason``;
* a baseline file (``--write-baseline``) of the fingerprints present when a repo adopts the gate.

Nothing here needs or stores a secret: only fingerprints. Allowed findings are kept and
marked (``Finding.allowed``), so reports can count them instead of silently dropping them.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from launchready.fsutil import write_atomic
from launchready.secrets.findings import Finding

ALLOW_FILE_NAMES = (".launchready-secrets.toml", ".launchready-secrets.yaml", ".launchready-secrets.yml")
INLINE_REASON = "inline marker"
BASELINE_REASON = "baseline"
BASELINE_VERSION = 1
MAX_MARKED_LINE = 2000
"""Markers on longer lines are ignored: minified output is not annotated by hand."""

_MARKER = re.compile(
    r"launchready:\s*allow-secret|gitleaks:allow|pragma:\s*allowlist[ -]secret", re.IGNORECASE
)
_FINGERPRINT = re.compile(r"^[0-9a-f]{16}$")
_ENTRY_KEYS = frozenset({"fingerprint", "paths", "reason"})


class AllowFileError(ValueError):
    """An allow or baseline file that cannot be used; the message never quotes a value."""


def has_inline_marker(line: str) -> bool:
    return len(line) <= MAX_MARKED_LINE and _MARKER.search(line) is not None


def mark_inline(findings: Iterable[Finding], line_of: Sequence[str]) -> list[Finding]:
    """Mark findings whose line (1-based index into ``line_of``) carries an allow marker."""
    marked: list[Finding] = []
    for finding in findings:
        index = finding.line - 1
        if not finding.allowed and 0 <= index < len(line_of) and has_inline_marker(line_of[index]):
            finding = replace(finding, allowed=INLINE_REASON)
        marked.append(finding)
    return marked


def glob_regex(pattern: str) -> re.Pattern[str]:
    """gitignore-style glob: ``**`` spans directories, ``*`` and ``?`` stay inside one."""
    out: list[str] = []
    index = 0
    while index < len(pattern):
        if pattern.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
        elif pattern.startswith("**", index):
            out.append(".*")
            index += 2
        elif pattern[index] == "*":
            out.append("[^/]*")
            index += 1
        elif pattern[index] == "?":
            out.append("[^/]")
            index += 1
        else:
            out.append(re.escape(pattern[index]))
            index += 1
    return re.compile("".join(out) + r"\Z")


def file_of(source: str) -> str:
    """The scanned file a finding is in (a source map's findings name the map, then the original)."""
    return source.split(" -> ", 1)[0].removesuffix(" (inline source map)").removeprefix("./")


@dataclass(frozen=True, slots=True)
class AllowEntry:
    reason: str
    fingerprint: str | None = None
    paths: tuple[str, ...] = ()
    _patterns: tuple[re.Pattern[str], ...] = ()

    def matches(self, finding: Finding) -> bool:
        if self.fingerprint is not None and finding.fingerprint != self.fingerprint:
            return False
        if self.paths:
            name = file_of(finding.source)
            return any(pattern.match(name) for pattern in self._patterns)
        return True


@dataclass(frozen=True, slots=True)
class Allowlist:
    entries: tuple[AllowEntry, ...] = ()
    baseline: frozenset[str] = frozenset()
    source: str = ""
    """Where the entries came from, shown with each allowed finding's reason."""

    def reason_for(self, finding: Finding) -> str:
        """Why ``finding`` is allowed, or "" when it still counts."""
        for entry in self.entries:
            if entry.matches(finding):
                return f"{self.source}: {entry.reason}"
        return BASELINE_REASON if finding.fingerprint in self.baseline else ""

    def apply(self, findings: Iterable[Finding]) -> list[Finding]:
        """Mark (never drop) the findings this allowlist accepts; earlier marks are kept."""
        marked: list[Finding] = []
        for finding in findings:
            reason = finding.allowed or self.reason_for(finding)
            marked.append(replace(finding, allowed=reason) if reason != finding.allowed else finding)
        return marked


def _entry(index: int, raw: object) -> AllowEntry:
    where = f"[[allow]] entry {index}"
    if not isinstance(raw, dict):
        raise AllowFileError(f"{where}: must be a table with reason and fingerprint and/or paths")
    unknown = sorted(str(key) for key in raw if key not in _ENTRY_KEYS)
    if unknown:
        raise AllowFileError(f"{where}: unknown key(s) {', '.join(unknown)} (use fingerprint, paths, reason)")
    reason = raw.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise AllowFileError(f"{where}: reason is required (say why this finding is acceptable)")
    fingerprint = raw.get("fingerprint")
    if fingerprint is not None and (not isinstance(fingerprint, str) or not _FINGERPRINT.match(fingerprint)):
        # Never echo the value: someone may have pasted the secret itself.
        raise AllowFileError(f"{where}: fingerprint must be the 16 hex digits a finding prints")
    paths = raw.get("paths", [])
    if isinstance(paths, str):
        paths = [paths]
    if not isinstance(paths, list) or not all(isinstance(p, str) and p.strip() for p in paths):
        raise AllowFileError(f"{where}: paths must be a list of glob strings")
    if fingerprint is None and not paths:
        raise AllowFileError(f"{where}: give a fingerprint, paths, or both")
    globs = tuple(p.strip().removeprefix("./") for p in paths)
    return AllowEntry(
        reason=reason.strip(),
        fingerprint=fingerprint,
        paths=globs,
        _patterns=tuple(glob_regex(p) for p in globs),
    )


def parse_allow_document(data: object, source: str) -> Allowlist:
    if not isinstance(data, dict):
        raise AllowFileError("expected a document with [[allow]] entries")
    unknown = sorted(str(key) for key in data if key != "allow")
    if unknown:
        raise AllowFileError(f"unknown top-level key(s) {', '.join(unknown)} (only [[allow]] entries)")
    raw_entries = data.get("allow", [])
    if not isinstance(raw_entries, list):
        raise AllowFileError("allow must be a list of entries ([[allow]] in TOML)")
    return Allowlist(entries=tuple(_entry(i, raw) for i, raw in enumerate(raw_entries, 1)), source=source)


def load_allow_file(path: Path) -> Allowlist:
    """Read a TOML (or YAML, by suffix) allow file; ``AllowFileError`` says what is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AllowFileError(f"cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    is_yaml = path.suffix.lower() in (".yaml", ".yml")
    data: Any
    try:
        data = (yaml.safe_load(text) or {}) if is_yaml else tomllib.loads(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        # First line only: YAML errors go on to quote the offending line, which may hold a value.
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise AllowFileError(f"not valid {'YAML' if is_yaml else 'TOML'}: {first}") from None
    return parse_allow_document(data, path.name)


def find_allow_file(root: Path) -> Path | None:
    """The allow file at ``root`` (a directory); two of them would be ambiguous, so that is an error."""
    if not root.is_dir():
        return None
    present = [root / name for name in ALLOW_FILE_NAMES if (root / name).is_file()]
    if len(present) > 1:
        raise AllowFileError(f"{' and '.join(p.name for p in present)} both exist; keep one")
    return present[0] if present else None


def read_baseline(path: Path) -> frozenset[str]:
    """Fingerprints from a ``--write-baseline`` file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise AllowFileError(f"cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    except ValueError:
        raise AllowFileError("invalid JSON: not a baseline written by scan-secrets") from None
    entries = data.get("findings") if isinstance(data, dict) else None
    if not isinstance(entries, list) or data.get("version") != BASELINE_VERSION:
        raise AllowFileError(f"not a version {BASELINE_VERSION} baseline written by scan-secrets")
    fingerprints = [entry.get("fingerprint") if isinstance(entry, dict) else None for entry in entries]
    if not all(isinstance(fp, str) and _FINGERPRINT.match(fp) for fp in fingerprints):
        raise AllowFileError("every baseline entry needs a 16-hex-digit fingerprint")
    return frozenset(str(fp) for fp in fingerprints)


def write_baseline(path: Path, findings: Iterable[Finding]) -> int:
    """Record the findings' fingerprints (and where they were, for review); returns how many."""
    entries: dict[str, dict[str, Any]] = {}
    for finding in findings:
        entry = entries.setdefault(
            finding.fingerprint,
            {"fingerprint": finding.fingerprint, "rule_id": finding.rule_id, "locations": []},
        )
        where = f"{finding.source}:{finding.line}" + (f"@{finding.commit[:12]}" if finding.commit else "")
        if where not in entry["locations"]:
            entry["locations"].append(where)
    document = {
        "version": BASELINE_VERSION,
        "generated_by": "launchready scan-secrets --write-baseline",
        "findings": sorted(entries.values(), key=lambda e: (e["rule_id"], e["fingerprint"])),
    }
    write_atomic(path, json.dumps(document, indent=2) + "\n")
    return len(entries)

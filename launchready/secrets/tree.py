"""Scan a working tree or a build output directory, with caps so a huge tree cannot stall a run."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from launchready.secrets.allow import mark_inline
from launchready.secrets.engine import scan_bundle, scan_source_map, scan_text
from launchready.secrets.findings import Finding, ScanReport, sort_findings

SKIP_DIRS = frozenset(
    {".git", "node_modules", "__pycache__", ".venv", "venv", ".tox", ".nox", ".eggs", "site-packages"}
    | {".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis"}
)
"""Git history is scanned from the objects, not ``.git`` files; vendored packages aren't the client's."""

BINARY_SUFFIXES = frozenset(
    {
        ".png", ".jpg", ".jpeg", ".gif", ".webp", ".ico", ".bmp", ".avif", ".svgz",
        ".woff", ".woff2", ".ttf", ".otf", ".eot",
        ".zip", ".gz", ".tgz", ".bz2", ".xz", ".zst", ".7z", ".rar", ".tar",
        ".pdf", ".mp3", ".mp4", ".webm", ".mov", ".wav", ".ogg",
        ".so", ".dll", ".dylib", ".exe", ".bin", ".class", ".jar", ".pyc", ".wasm", ".sqlite", ".db",
    }
)  # fmt: skip
BUNDLE_SUFFIXES = frozenset({".js", ".mjs", ".cjs", ".css"})
SNIFF_BYTES = 8192


@dataclass(frozen=True, slots=True)
class TreeLimits:
    max_file_bytes: int = 10 * 1024 * 1024
    """Bigger files are skipped (and listed): minified bundles are well under this."""
    max_total_bytes: int = 512 * 1024 * 1024
    max_files: int = 50_000


@dataclass(frozen=True, slots=True)
class TextFile:
    path: Path
    name: str
    """Path relative to the scanned root (posix), or the file's own path when a file was given."""
    text: str


@dataclass
class WalkState:
    """What a walk covered, so reports can say what was left out and why."""

    files: int = 0
    bytes: int = 0
    truncated: bool = False
    skipped: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def skip(self, name: str, reason: str) -> None:
        self.skipped.append(f"{name}: {reason}")


def _skipped_dir(parent: str, name: str) -> bool:
    """Vendored and generated trees; a virtualenv is known by its ``pyvenv.cfg`` whatever its name."""
    return name in SKIP_DIRS or os.path.exists(os.path.join(parent, name, "pyvenv.cfg"))


def _candidates(root: Path) -> Iterator[tuple[Path, str]]:
    if root.is_file():
        yield root, str(root)
        return
    for directory, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not _skipped_dir(directory, d))
        for filename in sorted(filenames):
            path = Path(directory) / filename
            yield path, path.relative_to(root).as_posix()


def walk_files(root: Path, limits: TreeLimits, state: WalkState) -> Iterator[tuple[Path, str]]:
    """(path, name) of regular files under ``root`` within the caps; counts them in ``state``."""
    for path, name in _candidates(root):
        if state.files >= limits.max_files:
            state.truncated = True
            state.skip(name, f"file cap of {limits.max_files} reached")
            return
        if path.is_symlink():
            state.skip(name, "symlink not followed")
            continue
        if path.suffix.lower() in BINARY_SUFFIXES:
            continue
        try:
            size = path.stat().st_size
        except OSError as exc:
            state.errors.append(f"{name}: {exc.strerror or exc}")
            continue
        if size > limits.max_file_bytes:
            state.skip(name, f"larger than {limits.max_file_bytes} bytes")
            continue
        if state.bytes + size > limits.max_total_bytes:
            state.truncated = True
            state.skip(name, f"total byte cap of {limits.max_total_bytes} reached")
            return
        state.files += 1
        state.bytes += size
        yield path, name


def is_binary(head: bytes) -> bool:
    return b"\0" in head[:SNIFF_BYTES]


def walk_text_files(root: Path, limits: TreeLimits, state: WalkState) -> Iterator[TextFile]:
    """Text files under ``root`` (or ``root`` itself), skipping symlinks, binaries and big files."""
    for path, name in walk_files(root, limits, state):
        try:
            data = path.read_bytes()
        except OSError as exc:
            state.errors.append(f"{name}: {exc.strerror or exc}")
            continue
        if is_binary(data):
            continue
        yield TextFile(path, name, data.decode("utf-8", "replace"))


def scan_file_text(name: str, text: str) -> list[Finding]:
    """Pick the scan by file kind: source maps per original file, bundles with inline maps."""
    lowered = name.lower()
    if lowered.endswith(".map"):
        return scan_source_map(text, name)
    if any(lowered.endswith(suffix) for suffix in BUNDLE_SUFFIXES):
        return scan_bundle(text, name)
    return scan_text(text, name)


def scan_path(path: Path | str, *, limits: TreeLimits | None = None) -> ScanReport:
    """Scan a file, a working tree or a build output directory (not its git history)."""
    root = Path(path)
    limits = limits or TreeLimits()
    state = WalkState()
    if not root.exists():
        return ScanReport(errors=(f"{root}: no such file or directory",))
    findings: list[Finding] = []
    for item in walk_text_files(root, limits, state):
        found = scan_file_text(item.name, item.text)
        if found:
            # Inline allow markers count in the file itself, not inside a source map's originals.
            own = [f for f in found if f.source == item.name]
            findings.extend(mark_inline(own, item.text.split("\n")))
            findings.extend(f for f in found if f.source != item.name)
    return ScanReport(
        findings=tuple(sort_findings(findings)),
        scanned=state.files,
        bytes_scanned=state.bytes,
        skipped=tuple(state.skipped),
        errors=tuple(state.errors),
        truncated=state.truncated,
    )

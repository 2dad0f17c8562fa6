"""Secret scanning for bundles, source maps, working trees, git history and logs.

``scan_text`` is the engine every caller shares (the exposed-secrets probe passes fetched
scripts through ``scan_bundle`` / ``scan_text`` and source maps through ``scan_source_map``).
Findings never hold a raw secret: only ``launchready.redact.redact`` of it and a fingerprint.
``Allowlist`` (inline markers, ``.launchready-secrets.toml``, baselines) marks accepted findings.
"""

from launchready.secrets.allow import AllowFileError, Allowlist, find_allow_file, load_allow_file
from launchready.secrets.engine import scan_bundle, scan_source_map, scan_text
from launchready.secrets.findings import Finding, ScanReport, Severity
from launchready.secrets.gitscan import scan_git_history
from launchready.secrets.logs import LogKind, LogReport, scan_log_text, scan_logs
from launchready.secrets.tree import scan_path

__all__ = [
    "AllowFileError",
    "Allowlist",
    "Finding",
    "LogKind",
    "LogReport",
    "ScanReport",
    "Severity",
    "find_allow_file",
    "load_allow_file",
    "scan_bundle",
    "scan_git_history",
    "scan_log_text",
    "scan_logs",
    "scan_path",
    "scan_source_map",
    "scan_text",
]

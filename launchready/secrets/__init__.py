"""Secret scanning for bundles, source maps, working trees, git history and logs.

``scan_text`` is the engine every caller shares (the exposed-secrets probe passes fetched
scripts and source maps through it). Findings never hold a raw secret: only
``launchready.redact.redact`` of it and a fingerprint.
"""

from launchready.secrets.engine import scan_source_map, scan_text
from launchready.secrets.findings import Finding, ScanReport, Severity

__all__ = ["Finding", "ScanReport", "Severity", "scan_source_map", "scan_text"]

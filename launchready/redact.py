"""One place that turns a secret into something safe to print.

Every output path (tables, JSON, JUnit, reports, logs, error messages) goes through
``redact`` so no token, webhook secret or found key is ever shown in full.
"""

from __future__ import annotations

import hashlib


def redact(value: str, *, keep: int = 4) -> str:
    """Show a recognisable prefix and a short fingerprint, never the whole value.

    The fingerprint lets two findings of the same secret be matched without revealing it.
    """
    if not value:
        return ""
    digest = hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()[:8]
    if len(value) <= keep * 3:
        return f"[redacted len={len(value)} sha256:{digest}]"
    return f"{value[:keep]}…[redacted len={len(value)} sha256:{digest}]"

"""Exit codes shared by every command, so pipelines can gate on them."""

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    """Nothing required failed (verify), no drift (drift), nothing found (scans)."""
    FAILED = 1
    """A required check failed, drift was found, or a scan found something."""
    USAGE = 2
    """Bad command line or a malformed/inconsistent stack file."""
    COULD_NOT_RUN = 3
    """The tool could not run at all (no network, API unreachable, deadline hit before any result)."""
    INTERRUPTED = 130

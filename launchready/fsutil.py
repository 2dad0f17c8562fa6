"""Files are written whole or not at all: a crash never leaves half a stack file or report."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


class FileExistsRefused(Exception):
    """The target exists and the caller did not ask to overwrite it."""


def write_atomic(path: Path, text: str, *, overwrite: bool = True) -> None:
    """Write via a temp file in the same folder and ``os.replace`` it into place.

    With ``overwrite=False`` an existing file is refused (checked again right before the
    rename, so a file created meanwhile is not clobbered either).
    """
    path = Path(path)
    if not overwrite and path.exists():
        raise FileExistsRefused(f"{path} exists; pass --force to overwrite it")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:
            # link() fails if the target appeared meanwhile; replace() would not.
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise FileExistsRefused(f"{path} exists; pass --force to overwrite it") from None
            os.unlink(tmp)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def unwritable_reason(path: Path) -> str | None:
    """Why ``path`` can never become a file (a folder, or a file where a folder must be); else None.

    Checked before long runs (verify, demo) so a typo in ``--output`` fails in a second, not
    after the whole run. Permissions are left to the write itself.
    """
    path = Path(path)
    if path.is_dir():
        return "is a directory"
    for parent in path.parents:
        if parent.exists():
            return None if parent.is_dir() else f"{parent} is a file, not a folder"
    return None

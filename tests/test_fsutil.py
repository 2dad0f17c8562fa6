"""Files are written whole or not at all, and never over a file the caller did not mean to replace."""

from __future__ import annotations

from pathlib import Path

import pytest

from launchready.fsutil import FileExistsRefused, unwritable_reason, write_atomic


def test_replaces_whole_files_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "out" / "report.md"
    write_atomic(target, "first")
    write_atomic(target, "second")
    assert target.read_text() == "second"
    assert [p.name for p in target.parent.iterdir()] == ["report.md"]


def test_refuses_to_overwrite_unless_asked(tmp_path: Path) -> None:
    target = tmp_path / "Pulumi.client.yaml"
    write_atomic(target, "mine", overwrite=False)
    with pytest.raises(FileExistsRefused, match="--force"):
        write_atomic(target, "theirs", overwrite=False)
    assert target.read_text() == "mine"
    assert [p.name for p in tmp_path.iterdir()] == ["Pulumi.client.yaml"]


def test_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "stack.yaml"
    target.write_text("old")


    with pytest.raises(TypeError):
        write_atomic(target, 42)  # type: ignore[arg-type]
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["stack.yaml"]


def test_unwritable_reason_names_folders_and_files_in_the_way(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert unwritable_reason(tmp_path) == "is a directory"
    assert unwritable_reason(blocker / "deeper" / "r.html") == f"{blocker} is a file, not a folder"
    assert unwritable_reason(tmp_path / "new" / "folders" / "r.html") is None
    assert unwritable_reason(blocker) is None  # an existing file may be replaced

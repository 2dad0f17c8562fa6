"""Shared fixtures. Tests that start real servers on loopback are marked ``integration``."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
STACKS = REPO / "stacks"


@pytest.fixture
def stacks_dir() -> Path:
    return STACKS

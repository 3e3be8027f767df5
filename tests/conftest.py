"""Shared fixtures: the real-data folder and small hand-made geometry."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REALDATA = REPO.parent / "shared" / "realdata"


@pytest.fixture(scope="session")
def realdata() -> Path:
    """Path to ``../shared/realdata``; tests using it skip when it is absent."""
    if not REALDATA.is_dir():
        pytest.skip(f"real data folder not found at {REALDATA}")
    return REALDATA


@pytest.fixture(scope="session")
def repo() -> Path:
    """Path to the repository root."""
    return REPO

"""Fixtures for the imaging tests: the project's shared real-photo corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    """The project's real public test files, or a clean skip when ../shared/data is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is absent")
    return SHARED_DATA


@pytest.fixture
def photos(shared_data: Path) -> Path:
    return shared_data / "photos"

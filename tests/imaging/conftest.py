"""Fixtures for the imaging tests (`shared_data` comes from tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def photos(shared_data: Path) -> Path:
    return shared_data / "photos"

"""Fixtures for the forms tests (`shared_data` comes from tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def pdfs(shared_data: Path) -> Path:
    """The real PDFs: fillable/, flat/, scanned/ and bad/ (skips when ../shared is absent)."""
    return shared_data / "pdf"

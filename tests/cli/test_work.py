"""`trousseau work` and `ingest --work` refuse a process count that cannot be (it was a
traceback from the pool)."""

from __future__ import annotations

import pytest

from .conftest import Cli, assert_one_line_error


@pytest.mark.parametrize("catalog_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    "args",
    [
        ("work", "--workers", "-1", "--until-idle"),
        ("ingest", "{card}", "--wedding", "w", "--work", "--workers", "-3"),
    ],
)
def test_a_negative_process_count_is_a_one_line_error(cli: Cli, tmp_path, args) -> None:
    card = tmp_path / "card"
    card.mkdir()
    result = cli.invoke(*(a.format(card=card) for a in args))
    assert result.returncode == 2
    assert_one_line_error(result, "--workers", "greater than or equal to 0")

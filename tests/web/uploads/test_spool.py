"""The spool's checks that run before a byte of a body is read."""

from __future__ import annotations

import pytest

from trousseau.web.errors import PayloadTooLarge
from trousseau.web.uploads.spool import check_declared_size


@pytest.mark.parametrize(
    ("declared", "refused"),
    [
        ("101", True),
        ("100", False),
        ("0000000000000000000000000001", False),
        ("9" * 5000, True),
        ("²", False),
        ("", False),
        (None, False),
        ("-5", False),
    ],
)
def test_a_declared_size_past_the_limit_is_refused_before_reading(
    declared: str | None, refused: bool
) -> None:
    if refused:
        with pytest.raises(PayloadTooLarge, match="100-byte limit"):
            check_declared_size(declared, 100)
    else:
        check_declared_size(declared, 100)

"""Range headers from hostile clients: ASCII digits only, any text answered, never a 500."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trousseau.web.errors import RangeNotSatisfiable
from trousseau.web.ranges import ByteRange, byte_range

from .conftest import sha256

SIZE = 10


@pytest.mark.parametrize(
    "header",
    [
        "bytes=\xb2-",  # "²": str.isdigit() says yes, int() says no
        "bytes=-\xb2",
        "bytes=0-\xb2",
        "bytes=\u0661-",  # ARABIC-INDIC DIGIT ONE
        "bytes=\uff11-\uff12",  # FULLWIDTH digits
        "bytes=+1-2",
        "bytes=1_0-",
        "bytes= 1-2 3",
    ],
)
def test_digits_other_than_ascii_make_the_header_ignored(header: str) -> None:
    assert byte_range(header, SIZE) is None


def test_numbers_longer_than_any_file_are_read_as_huge_not_refused_by_int() -> None:
    huge = "9" * 5000  # past int()'s 4300-digit limit for str
    assert byte_range(f"bytes=0-{huge}", SIZE) == ByteRange(0, SIZE - 1, SIZE)
    assert byte_range(f"bytes=-{huge}", SIZE) == ByteRange(0, SIZE - 1, SIZE)
    assert byte_range(f"bytes=000{'0' * 5000}3-4", SIZE) == ByteRange(3, 4, SIZE)
    with pytest.raises(RangeNotSatisfiable):
        byte_range(f"bytes={huge}-", SIZE)


def test_a_long_unsatisfiable_header_is_quoted_short() -> None:
    with pytest.raises(RangeNotSatisfiable) as caught:
        byte_range("bytes=" + "9" * 5000 + "-", SIZE)
    assert len(str(caught.value)) < 300


@given(st.text(), st.integers(min_value=0, max_value=2**40))
def test_any_text_is_a_range_none_or_not_satisfiable(header: str, size: int) -> None:
    try:
        found = byte_range(header, size)
    except RangeNotSatisfiable as exc:
        assert exc.size == size
        return
    if found is not None:
        assert 0 <= found.start <= found.end < size == found.size


@given(
    st.from_regex(r"\Abytes=[0-9]{0,25}-[0-9]{0,25}\Z"),
    st.integers(min_value=0, max_value=2**40),
)
def test_well_formed_ranges_stay_inside_the_file(header: str, size: int) -> None:
    try:
        found = byte_range(header, size)
    except RangeNotSatisfiable:
        return
    if found is not None:
        assert 0 <= found.start <= found.end < size


def test_the_download_route_ignores_a_range_of_unicode_digits(api, studio, processed) -> None:
    path = f"/api/v1/photos/{processed.photo_id}/variants/reception"
    whole = api.client.get(path, headers=studio)
    response = api.client.get(path, headers={**studio, "Range": b"bytes=\xb2-"})
    assert response.status_code == 200, response.text
    assert sha256(response.content) == sha256(whole.content)

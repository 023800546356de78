"""Cursors from hostile clients: one spelling per position, any text an answer, never a 500."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trousseau.web.config import MAX_ID
from trousseau.web.cursors import decode_cursor, encode_cursor
from trousseau.web.errors import InvalidRequest


def _cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).rstrip(b"=").decode()


@pytest.mark.parametrize(
    "raw", ["v1:042", "v1:00", "v1:+1", "v1:-1", "v1: 1", "v1:1 ", "v1:", "v1:" + "9" * 5000]
)
def test_a_cursor_has_one_spelling_and_a_bounded_number(raw: str) -> None:
    with pytest.raises(InvalidRequest, match="cursor is not one this API returned"):
        decode_cursor(_cursor(raw))


@given(st.integers(min_value=0, max_value=MAX_ID))
def test_cursors_round_trip(last_id: int) -> None:
    assert decode_cursor(encode_cursor(last_id)) == last_id


@given(st.text() | st.builds(lambda raw: _cursor("v1:" + raw), st.text()))
def test_any_text_is_a_cursor_or_invalid_request(text: str) -> None:
    try:
        last_id = decode_cursor(text)
    except InvalidRequest:
        return
    assert 0 <= last_id <= MAX_ID
    assert decode_cursor(encode_cursor(last_id)) == last_id


def test_the_photo_list_answers_a_huge_cursor_with_422(api, studio) -> None:
    cursor = _cursor("v1:" + "9" * 5000)
    response = api.client.get(
        "/api/v1/weddings/smith-jones/photos", params={"cursor": cursor}, headers=studio
    )
    assert response.status_code == 422, response.text
    assert "cursor" in response.json()["error"]["message"]

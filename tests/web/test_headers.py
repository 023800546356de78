"""Header text as clients send it: raw UTF-8 (curl), percent-encoded, or RFC 5987."""

from __future__ import annotations

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from trousseau.errors import IngestError
from trousseau.web.headers import header_text
from trousseau.web.uploads.single import original_name


def as_starlette_reads(raw: bytes) -> str:
    """What a header value's bytes become in Starlette: latin-1, one character a byte."""
    return raw.decode("latin-1")


@pytest.mark.parametrize("text", ["mariée.jpg", "婚礼.jpg", "😀.heic", "IMG_0001.JPG", ""])
def test_raw_utf8_reads_back_as_what_the_client_meant(text: str) -> None:
    assert header_text(as_starlette_reads(text.encode("utf-8"))) == text


def test_latin1_bytes_that_are_not_utf8_stay_latin1() -> None:
    assert header_text(as_starlette_reads("mariée.jpg".encode("latin-1"))) == "mariée.jpg"


@given(st.text())
def test_any_text_sent_as_utf8_reads_back(text: str) -> None:
    assert header_text(as_starlette_reads(text.encode("utf-8"))) == text


@given(st.text())
def test_any_text_is_read_without_raising(text: str) -> None:
    assert isinstance(header_text(text), str)


@given(st.text())
def test_any_file_name_header_is_a_safe_name_or_a_clear_refusal(text: str) -> None:
    try:
        name = original_name(header_text(text))
    except IngestError as exc:
        assert "X-Filename" in str(exc)
        return
    assert name and "/" not in name and "\\" not in name and name not in (".", "..")
    assert len(name.encode("utf-8")) <= 255


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("UTF-8''mari%C3%A9e.jpg", "mariée.jpg"),
        ("utf-8'fr'mari%C3%A9e.jpg", "mariée.jpg"),
        ("ISO-8859-1''mari%E9e.jpg", "mariée.jpg"),
        ("mari%C3%A9e.jpg", "mariée.jpg"),
        ("mariée.jpg", "mariée.jpg"),
    ],
)
def test_percent_and_rfc5987_forms_still_work(header: str, name: str) -> None:
    assert original_name(header) == name


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("mariée.jpg".encode(), "mariée.jpg"),
        ("婚礼 2026.jpg".encode(), "婚礼 2026.jpg"),
        ("mariée.jpg".encode("latin-1"), "mariée.jpg"),
        (b"UTF-8''mari%C3%A9e.jpg", "mariée.jpg"),
    ],
)
def test_an_upload_records_the_name_the_client_sent(
    api, studio, live, raw: bytes, name: str
) -> None:
    # A real server: TestClient re-encodes header values as UTF-8, the wire keeps the bytes.
    response = httpx.post(
        f"{live.url}/api/v1/weddings/smith-jones/photos",
        content=api.jpeg(),
        headers={**studio, "Content-Type": "image/jpeg", "X-Filename": raw},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    assert response.json()["original_name"] == name

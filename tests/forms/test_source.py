"""The edge: bytes read within limits, sniffed, opened; every failure one FormError."""

from __future__ import annotations

from pathlib import Path

import pikepdf
import pytest

from tests.forms.makeform import make_form
from trousseau.errors import FormError, NotAPdf, PdfCorrupt, PdfEncrypted, PdfTooLarge
from trousseau.forms import read_fillable
from trousseau.forms.source import qpdf_cause
from trousseau.settings import FormsSettings


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "is empty (0 bytes)"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "is a JPEG image, not a PDF"),
        (b"\x89PNG\r\n\x1a\n....", "is a PNG image, not a PDF"),
        (b"Dear couple,\nplease find our form attached.\n", "starts with text, no %PDF- header"),
        (bytes(range(256)) * 8, "starts with unknown bytes"),
    ],
)
def test_what_is_not_a_pdf_is_named(data: bytes, fragment: str) -> None:
    with pytest.raises(NotAPdf) as caught:
        read_fillable(data, name="questionnaire.pdf")
    assert str(caught.value).startswith("questionnaire.pdf ")
    assert fragment in str(caught.value)


def test_a_header_after_some_junk_is_still_a_pdf() -> None:
    report = read_fillable(b"\r\n\r\n" + make_form(), name="junk-first.pdf")
    assert len(report.fields) == 10


def test_a_pdf_cut_short_is_corrupt_with_qpdf_cause() -> None:
    with pytest.raises(PdfCorrupt) as caught:
        read_fillable(b"%PDF-1.7\n%%EOF\n", name="cut.pdf")
    message = str(caught.value)
    assert message.startswith("cut.pdf is damaged beyond repair (")
    assert "stream <" not in message  # pikepdf's in-memory stream name is not shown
    assert "\n" not in message


def test_bytes_over_the_limit_are_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.pdf"
    path.write_bytes(make_form())
    with pytest.raises(PdfTooLarge, match=r"big\.pdf is .* bytes, over the limit of 100 "):
        read_fillable(path, limits=FormsSettings(max_bytes=100))


def test_pages_over_the_limit_are_refused() -> None:
    with pytest.raises(PdfTooLarge, match=r"long\.pdf has 7 pages, over the limit of 5"):
        read_fillable(make_form(extra_pages=5), name="long.pdf", limits=FormsSettings(max_pages=5))


def test_reading_longer_than_the_timeout_stops() -> None:
    ticks = iter(range(0, 1000, 50))  # each look at the clock: 50 s later
    with pytest.raises(PdfTooLarge, match=r"slow\.pdf took longer than 60 s"):
        read_fillable(
            make_form(),
            name="slow.pdf",
            limits=FormsSettings(timeout_seconds=60),
            clock=lambda: float(next(ticks)),
        )


def test_a_missing_file_or_a_folder_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(FormError, match="does not exist: check the path"):
        read_fillable(tmp_path / "nowhere.pdf")
    with pytest.raises(FormError, match="is a directory"):
        read_fillable(tmp_path)


def test_a_password_protected_pdf_says_it_needs_one() -> None:
    data = make_form(encryption=pikepdf.Encryption(user="vows", owner="planner"))
    with pytest.raises(PdfEncrypted, match=r"locked\.pdf is encrypted and needs a password"):
        read_fillable(data, name="locked.pdf")
    with pytest.raises(PdfEncrypted, match="the password given does not open it"):
        read_fillable(data, name="locked.pdf", password="wrong")
    report = read_fillable(data, name="locked.pdf", password="vows")
    assert len(report.fields) == 10


def test_a_pdf_encrypted_for_its_owner_only_is_read() -> None:
    data = make_form(encryption=pikepdf.Encryption(user="", owner="planner"))
    report = read_fillable(data, name="owner.pdf")
    assert len(report.fields) == 10
    assert any("encrypted for its owner only" in w for w in report.warnings)


def test_qpdf_causes_read_as_one_line() -> None:
    raw = "stream <_io.BytesIO object at 0x7f>  (offset 10534):\n xref not found"
    assert qpdf_cause(Exception(raw)) == "xref not found (offset 10534)"
    assert qpdf_cause(Exception("stream <x>: unable to find page tree")) == (
        "unable to find page tree"
    )

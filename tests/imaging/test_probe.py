"""probe reads size, capture time, camera and orientation from headers alone."""

from __future__ import annotations

import shutil
import time
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trousseau.errors import CorruptImage, ImagingError
from trousseau.imaging import PhotoInfo, probe
from trousseau.imaging.probe import MAX_SUBIFDS, camera_name, exif_text, parse_exif_datetime

from .exif import (
    ASCII,
    DATETIME_ORIGINAL,
    MAKE,
    MODEL,
    ORIENTATION,
    SHORT,
    SUBSEC_ORIGINAL,
    exif_block,
    jpeg_with_exif,
    odd_subsec_jpeg,
    tiff_with_subifds,
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "exif/canon40d_empty_gps_ifd.jpg",
            PhotoInfo(100, 68, datetime(2008, 5, 30, 15, 56, 1), "Canon EOS 40D", 1),
        ),
        (
            "exif/iphone6_gps.jpg",
            PhotoInfo(3264, 2448, datetime(2015, 4, 10, 20, 12, 23, 550000), "Apple iPhone 6", 1),
        ),
        (
            "exif/nokia83_gps.jpg",
            PhotoInfo(4608, 1976, datetime(2022, 8, 14, 14, 12, 31), "HMD Global Nokia 8.3 5G", 1),
        ),
        ("color/prophoto_rgb.jpg", PhotoInfo(630, 374, None, None, None)),
        (
            "bad/jpeg_misnamed_as.nef",
            PhotoInfo(2000, 3008, datetime(2010, 3, 1, 21, 50, 21, 700000), "NIKON D70s", 1),
        ),
    ],
)
def test_exif_fields_are_read(photos: Path, name: str, expected: PhotoInfo) -> None:
    assert probe(photos / name) == expected


def test_capture_time_is_naive_camera_time_even_with_an_offset_tag(photos: Path) -> None:
    info = probe(photos / "exif/nokia83_gps.jpg")

    assert info.captured_at is not None
    assert info.captured_at.tzinfo is None


@pytest.mark.parametrize("n", range(9))
def test_size_is_upright_and_orientation_is_reported(photos: Path, n: int) -> None:
    info = probe(photos / f"orientation/Landscape_{n}.jpg")

    assert (info.width, info.height) == (1800, 1200)
    assert info.orientation == max(n, 1)


def test_heic_headers_are_read_without_a_hevc_decoder(photos: Path) -> None:
    info = probe(photos / "heic/iphone13pro_p3_gps_depth.heic")

    assert (info.width, info.height) == (4032, 3024)
    assert info.camera == "Apple iPhone 13 Pro"
    assert info.captured_at == datetime(2023, 2, 21, 14, 33, 8, 302000)


def test_dng_size_comes_from_the_raw_subifd_and_time_from_xmp(photos: Path) -> None:
    nikon = probe(photos / "raw/nikon_z9_dng17_jxl.dng")
    oneplus = probe(photos / "raw/oneplus_a6003_linear.dng")

    assert (nikon.width, nikon.height) == (5392, 3592)
    assert nikon.captured_at == datetime(2025, 8, 10, 19, 2, 53, 270000)
    assert (oneplus.width, oneplus.height, oneplus.orientation) == (866, 1154, 6)


@pytest.mark.parametrize(
    "name", ["png_broken_header.png", "gif_zero_width.gif", "jpeg_scan_data_altered.jpg"]
)
def test_unreadable_headers_raise_corrupt_image_naming_the_file(photos: Path, name: str) -> None:
    with pytest.raises(CorruptImage, match=name.replace(".", r"\.")):
        probe(photos / "bad" / name)


def test_text_is_an_imaging_error(photos: Path) -> None:
    with pytest.raises(ImagingError, match=r"text_file_renamed\.jpg"):
        probe(photos / "bad/text_file_renamed.jpg")


def test_a_rewritten_path_is_probed_afresh(photos: Path, tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    shutil.copy(photos / "orientation/Landscape_1.jpg", path)
    first = probe(path)
    shutil.copy(photos / "exif/canon40d_empty_gps_ifd.jpg", path)

    assert probe(path) != first
    assert probe(path).camera == "Canon EOS 40D"


@pytest.mark.parametrize(
    ("make", "model", "expected"),
    [
        ("Canon", "Canon EOS 40D", "Canon EOS 40D"),
        ("NIKON CORPORATION", "NIKON Z 9", "NIKON Z 9"),
        ("Apple", "iPhone 6", "Apple iPhone 6"),
        ("SONY", None, "SONY"),
        (None, "ILCE-7M4", "ILCE-7M4"),
        ("  ", "", None),
        (None, None, None),
    ],
)
def test_camera_name(make: str | None, model: str | None, expected: str | None) -> None:
    assert camera_name(make, model) == expected


@pytest.mark.parametrize(
    ("text", "subseconds", "expected"),
    [
        ("2024:06:15 17:04:05", None, datetime(2024, 6, 15, 17, 4, 5)),
        ("2024:06:15 17:04:05", "25", datetime(2024, 6, 15, 17, 4, 5, 250000)),
        ("2024-06-15 17:04:05", "1234567", datetime(2024, 6, 15, 17, 4, 5, 123456)),
        ("2024:06:15 17:04:05\x00", " ", datetime(2024, 6, 15, 17, 4, 5)),
        ("0000:00:00 00:00:00", None, None),
        ("    :  :     :  :  ", None, None),
        ("2024:13:40 25:00:00", None, None),
        ("", None, None),
        ("2024:06:15 17:04:05", "²", datetime(2024, 6, 15, 17, 4, 5)),
        ("2024:06:15 17:04:05", "1²", datetime(2024, 6, 15, 17, 4, 5)),
        ("2024:06:15 17:04:05", "\u0663\u0664", datetime(2024, 6, 15, 17, 4, 5)),
        ("\uff12\uff10\uff12\uff14:06:15 17:04:05", None, None),
        ("2024:06:15 17:04:05", "-5", datetime(2024, 6, 15, 17, 4, 5)),
    ],
)
def test_parse_exif_datetime(text: str, subseconds: str | None, expected: datetime | None) -> None:
    assert parse_exif_datetime(text, subseconds) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Canon (Canon, ASCII, 6 components, 6 bytes)", "Canon"),
        ("A (B) (A (B), ASCII, 6 components, 6 bytes)", "A (B)"),
        ("(c) Jane  ((c) Jane , ASCII, 9 components, 9 bytes)", "(c) Jane"),
        ("plain", "plain"),
    ],
)
def test_exif_text(raw: str, expected: str) -> None:
    assert exif_text(raw) == expected


@given(st.text(), st.one_of(st.none(), st.text()))
def test_parse_exif_datetime_never_raises(text: str, subseconds: str | None) -> None:
    parsed = parse_exif_datetime(text, subseconds)

    assert parsed is None or parsed.tzinfo is None


@given(st.text())
def test_exif_text_never_raises_and_holds_no_control_character(raw: str) -> None:
    text = exif_text(raw)

    assert not any(ord(c) < 32 or ord(c) == 127 or c == "\ufffd" for c in text)


def test_a_unicode_digit_in_subseconds_keeps_the_capture_time(tmp_path: Path) -> None:
    info = probe(odd_subsec_jpeg(tmp_path / "IMG_0001.JPG"))

    assert info.captured_at == datetime(2026, 6, 13, 15, 4, 5)
    assert info.camera == "Canon EOS R5"
    assert info.warnings == (
        "IMG_0001.JPG: its SubSecTimeOriginal '²' is not digits; the time is kept to the second",
    )


@pytest.mark.parametrize(
    ("ifd0", "exif", "camera"),
    [
        ([(MAKE, ASCII, b"\xff\xfeCanon"), (MODEL, ASCII, b"EOS\x01R5")], None, "Canon EOSR5"),
        ([(MAKE, ASCII, b"\x00\x00")], None, None),
        ([(MODEL, ASCII, "Z\u00a09 \u00e9t\u00e9".encode())], None, "Z\u00a09 \u00e9t\u00e9"),
        ([(ORIENTATION, SHORT, 65535)], [(DATETIME_ORIGINAL, ASCII, b"\xff" * 19)], None),
        ([], [(DATETIME_ORIGINAL, ASCII, b"2026:06:13"), (SUBSEC_ORIGINAL, ASCII, b"x")], None),
    ],
)
def test_odd_exif_text_gives_clean_metadata_or_none(
    tmp_path: Path, ifd0: list, exif: list | None, camera: str | None
) -> None:
    info = probe(jpeg_with_exif(tmp_path / "odd.jpg", exif_block(ifd0, exif)))

    assert (info.width, info.height, info.camera, info.captured_at) == (64, 48, camera, None)
    assert info.orientation in (None, 1)


def test_a_header_declaring_40000_subifds_is_read_in_bounded_time(tmp_path: Path) -> None:
    path = tiff_with_subifds(tmp_path / "loop.tif", 40_000)
    assert path.stat().st_size > 150_000

    started = time.monotonic()
    info = probe(path)

    assert time.monotonic() - started < 2.0
    assert (info.width, info.height) == (4, 4)
    assert MAX_SUBIFDS <= 16

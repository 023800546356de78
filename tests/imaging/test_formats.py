"""Formats are told from content: every real file, synthetic heads, and the ways sniff refuses."""

from __future__ import annotations

import csv
import os
import struct
import zipfile
from pathlib import Path

import pytest

from trousseau.errors import EmptyInput, InputMissing, InputUnreadable, UnsupportedFormat
from trousseau.imaging.formats import (
    FORMATS,
    classify_tiff,
    describe_content,
    detect_format,
    sniff,
)

BY_EXTENSION = {
    ".jpg": "jpeg",
    ".png": "png",
    ".gif": "gif",
    ".webp": "webp",
    ".avif": "avif",
    ".heic": "heic",
    ".heif": "heic",
    ".tif": "tiff",
    ".tiff": "tiff",
    ".dng": "dng",
}
EXCEPTIONS: dict[str, str | type[Exception]] = {
    "photos/bad/jpeg_misnamed_as.nef": "jpeg",
    "photos/faces/deepface_id03/img47.jpg": "webp",
    "photos/bad/jpeg_missing_soi_marker.jpg": UnsupportedFormat,
    "photos/bad/png_wrong_signature.png": UnsupportedFormat,
    "photos/bad/text_file_renamed.jpg": UnsupportedFormat,
    "photos/bad/zero_bytes.jpg": EmptyInput,
    "pdf/bad/jpeg_renamed.pdf": "jpeg",
    "pdf/bad/zero_bytes.pdf": EmptyInput,
}


def manifest(shared_data: Path) -> list[str]:
    with (shared_data / "MANIFEST.tsv").open(newline="") as stream:
        return [row["path"] for row in csv.DictReader(stream, delimiter="\t")]


def expected_for(relative: str) -> str | type[Exception]:
    if relative in EXCEPTIONS:
        return EXCEPTIONS[relative]
    if relative.startswith("pdf/"):
        return UnsupportedFormat
    return BY_EXTENSION[Path(relative).suffix.lower()]


def test_every_file_of_the_shared_corpus(shared_data: Path) -> None:
    paths = manifest(shared_data)
    assert len(paths) > 100
    wrong = []
    for relative in paths:
        expected = expected_for(relative)
        try:
            got: str | type[Exception] = sniff(shared_data / relative)
        except (UnsupportedFormat, EmptyInput) as error:
            got = type(error)
        if got != expected:
            wrong.append((relative, expected, got))
    assert wrong == []


def test_a_pdf_is_refused_with_what_it_looks_like_and_what_is_accepted(shared_data: Path) -> None:
    with pytest.raises(UnsupportedFormat) as raised:
        sniff(shared_data / "pdf/fillable/fancy_fields.pdf")

    message = str(raised.value)
    assert message.startswith("fancy_fields.pdf is not an image trousseau accepts")
    assert "content starts like PDF" in message
    assert "accepted: JPEG, PNG, HEIC" in message


def test_a_renamed_text_file_is_refused_as_text(shared_data: Path) -> None:
    with pytest.raises(UnsupportedFormat, match=r"content starts like text\)"):
        sniff(shared_data / "photos/bad/text_file_renamed.jpg")


def tiff(order: str, entries: list[tuple[int, int, int, bytes]], tail: bytes = b"") -> bytes:
    """A classic TIFF: header, IFD0 at offset 8 with `entries`, then `tail` (tag data)."""
    mark = b"II*\x00" if order == "<" else b"MM\x00*"
    ifd = struct.pack(order + "H", len(entries))
    for tag, kind, count, value in entries:
        ifd += struct.pack(order + "HHI", tag, kind, count) + value.ljust(4, b"\x00")
    ifd += b"\x00\x00\x00\x00"
    return mark + struct.pack(order + "I", 8) + ifd + tail


def make_entry(order: str, make: str, data_offset: int) -> tuple[int, int, int, bytes]:
    raw = make.encode() + b"\x00"
    if len(raw) <= 4:
        return (0x010F, 2, len(raw), raw)
    return (0x010F, 2, len(raw), struct.pack(order + "I", data_offset))


def raw_tiff(order: str, make: str, *, reduced: bool, sub_ifds: bool, dng: bool = False) -> bytes:
    count = 1 + reduced + sub_ifds + dng
    data_offset = 8 + 2 + 12 * count + 4
    entries = []
    if reduced:
        entries.append((0x00FE, 4, 1, struct.pack(order + "I", 1)))
    entries.append(make_entry(order, make, data_offset))
    if sub_ifds:
        entries.append((0x014A, 4, 1, struct.pack(order + "I", 0)))
    if dng:
        entries.append((0xC612, 1, 4, b"\x01\x04\x00\x00"))
    return tiff(order, entries, make.encode() + b"\x00")


@pytest.mark.parametrize("order", ["<", ">"])
@pytest.mark.parametrize(
    ("make", "reduced", "sub_ifds", "dng", "expected"),
    [
        ("NIKON CORPORATION", True, True, False, "nef"),
        ("NIKON CORPORATION", False, True, False, "nef"),
        ("NIKON CORPORATION", True, False, False, "nef"),
        ("NIKON CORPORATION", False, False, False, "tiff"),
        ("SONY", True, True, False, "arw"),
        ("SONY", False, False, False, "tiff"),
        ("Canon", True, True, False, "tiff"),
        ("NIKON CORPORATION", True, True, True, "dng"),
        ("Abc", False, False, True, "dng"),
    ],
)
def test_classify_tiff_reads_ifd0(
    order: str, make: str, reduced: bool, sub_ifds: bool, dng: bool, expected: str
) -> None:
    data = raw_tiff(order, make, reduced=reduced, sub_ifds=sub_ifds, dng=dng)

    assert detect_format(data[:64]) == "tiff"
    assert classify_tiff(data) == expected


@pytest.mark.parametrize(
    "data",
    [
        b"II*\x00\xff\xff\x00\x00",
        b"II*\x00\x08\x00\x00\x00\xff\xff",
        b"II*\x00",
        b"not a tiff",
        tiff("<", [(0x010F, 2, 40, struct.pack("<I", 60_000))]),
    ],
)
def test_classify_tiff_stays_tiff_when_ifd0_is_out_of_reach(data: bytes) -> None:
    assert classify_tiff(data) == "tiff"


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = major + b"\x00\x00\x00\x00" + b"".join(compatible)
    return struct.pack(">I", 8 + len(body)) + b"ftyp" + body + b"\x00\x00\x00\x08free"


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "jpeg"),
        (b"\xff\xd8\xff\xe1\x00\x10Exif\x00", "jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "png"),
        (b"GIF87a\x01\x00", "gif"),
        (b"GIF89a\x01\x00", "gif"),
        (b"RIFF\x00\x10\x00\x00WEBPVP8 ", "webp"),
        (b"II*\x00\x08\x00\x00\x00", "tiff"),
        (b"MM\x00*\x00\x00\x00\x08", "tiff"),
        (b"II+\x00\x08\x00\x00\x00", "tiff"),
        (b"II*\x00\x10\x00\x00\x00CR\x02\x00", "cr2"),
        (b"IIRO\x08\x00\x00\x00", "orf"),
        (b"IIRS\x08\x00\x00\x00", "orf"),
        (b"MMOR\x00\x00\x00\x08", "orf"),
        (b"IIU\x00\x18\x00\x00\x00", "rw2"),
        (b"FUJIFILMCCD-RAW 0201FF383501", "raf"),
        (b"\xff\x0a\xfa\x7f", "jxl"),
        (b"\x00\x00\x00\x0cJXL \r\n\x87\n\x00\x00\x00\x14ftypjxl ", "jxl"),
        (ftyp(b"heic", b"mif1", b"heic"), "heic"),
        (ftyp(b"heix", b"mif1"), "heic"),
        (ftyp(b"hevc", b"msf1"), "heic"),
        (ftyp(b"mif1", b"mif1", b"heic"), "heic"),
        (ftyp(b"msf1", b"msf1", b"hevc"), "heic"),
        (ftyp(b"mif1", b"mif1", b"miaf"), "heic"),
        (ftyp(b"avif", b"mif1", b"miaf"), "avif"),
        (ftyp(b"avis", b"msf1"), "avif"),
        (ftyp(b"mif1", b"mif1", b"avif", b"miaf"), "avif"),
        (ftyp(b"crx ", b"crx ", b"isom"), "cr3"),
        (ftyp(b"isom", b"isom", b"mp41"), None),
        (ftyp(b"qt  ", b"qt  "), None),
        (b"%PDF-1.7\n", None),
        (b"PK\x03\x04\x14\x00", None),
        (b"BM6\x00\x0c\x00\x00\x00\x00\x006\x00\x00\x00(\x00\x00\x00", None),
        (b"Dear couple,\nthank you", None),
        (b"", None),
        (b"\xff\xd8", None),
        (b"\x00\x00\x00\x18ftyp", None),
    ],
)
def test_detect_format(head: bytes, expected: str | None) -> None:
    assert detect_format(head) == expected


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"%PDF-1.4", "PDF"),
        (b"PK\x03\x04\x14\x00", "ZIP"),
        (b"PK\x05\x06\x00\x00", "ZIP"),
        (b"BM6\x00\x0c\x00\x00\x00\x00\x006\x00\x00\x00(\x00\x00\x00", "BMP"),
        (b"8BPS\x00\x01", "Photoshop PSD"),
        (ftyp(b"qt  ", b"qt  "), "MP4/QuickTime video"),
        (b"\x00\x00\x00\x08wide\x00\x00", "MP4/QuickTime video"),
        (b"RIFF\x00\x00\x00\x00AVI LIST", "RIFF AVI"),
        (b"\x1f\x8b\x08\x00", "gzip"),
        (b"Rar!\x1a\x07\x00", "RAR/7-Zip"),
        (b"<?xml version='1.0'?><svg", "XML/SVG"),
        (b"  <!DOCTYPE html><html>", "HTML"),
        ("Mariée: Élodie\n".encode(), "text"),
        ("Marié".encode()[:-1], "text"),
        (b"\xef\xbb\xbfhello", "text"),
        (b"\xff\xe0\x00\x10JFIF", "unknown data (ff e0 00 10 4a 46 49 46)"),
        (b"\xff\xd8\xff\xe0", "JPEG"),
    ],
)
def test_describe_content(head: bytes, expected: str) -> None:
    assert describe_content(head) == expected


def test_every_format_name_detect_returns_is_accepted() -> None:
    assert set(FORMATS) >= {"jpeg", "png", "gif", "webp", "tiff", "heic", "avif", "jxl", "dng"}
    assert set(FORMATS) >= {"cr2", "cr3", "nef", "arw", "raf", "orf", "rw2"}


def test_sniff_refines_tiff_from_ifd0_beyond_the_first_64_bytes(tmp_path: Path) -> None:
    entries = [(0x00FE, 4, 1, struct.pack("<I", 1)), (0x010F, 2, 18, struct.pack("<I", 4000))]
    data = bytearray(tiff("<", entries).ljust(8000, b"\x00"))
    data[4000:4018] = b"NIKON CORPORATION\x00"
    path = tmp_path / "DSC_0001.tif"
    path.write_bytes(bytes(data))

    assert sniff(path) == "nef"


def test_sniff_ignores_the_extension(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)

    assert sniff(path) == "png"


def test_a_zip_is_refused_as_zip(tmp_path: Path) -> None:
    path = tmp_path / "photos.jpg"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("IMG_0001.jpg", b"\xff\xd8\xff")

    with pytest.raises(UnsupportedFormat, match=r"photos\.jpg .*content starts like ZIP"):
        sniff(path)


def test_zero_bytes_is_empty_input(tmp_path: Path) -> None:
    path = tmp_path / "IMG_0001.jpg"
    path.write_bytes(b"")

    with pytest.raises(EmptyInput, match=r"IMG_0001\.jpg"):
        sniff(path)


def test_a_directory_is_unreadable_input(tmp_path: Path) -> None:
    with pytest.raises(InputUnreadable, match="directory"):
        sniff(tmp_path)


def test_a_missing_path_is_input_missing(tmp_path: Path) -> None:
    with pytest.raises(InputMissing, match=r"nope\.jpg"):
        sniff(tmp_path / "nope.jpg")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_named_pipe_is_refused_without_blocking(tmp_path: Path) -> None:
    path = tmp_path / "pipe.jpg"
    os.mkfifo(path)

    with pytest.raises(InputUnreadable, match="not a regular file"):
        sniff(path)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads anything")
def test_a_file_without_read_permission_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "IMG_0001.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0")
    path.chmod(0)

    with pytest.raises(InputUnreadable, match=r"IMG_0001\.jpg"):
        sniff(path)

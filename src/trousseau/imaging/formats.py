"""Which image format a file holds, judged from its content and never from its name.

Card readers, phone exports and zip tools rename files freely; the first bytes do not lie.
`detect_format` is pure and looks at the first bytes only. `sniff` reads a file's head and,
for a TIFF container, up to 64 KiB so that `classify_tiff` can tell DNG, NEF and ARW (which
all start like any TIFF) from a plain TIFF.
"""

from __future__ import annotations

import stat
import struct
from pathlib import Path
from types import MappingProxyType

from trousseau.errors import EmptyInput, InputMissing, InputUnreadable, UnsupportedFormat

HEAD_BYTES = 64
TIFF_SCAN_BYTES = 64 * 1024

FORMATS: MappingProxyType[str, str] = MappingProxyType(
    {
        "jpeg": "JPEG",
        "png": "PNG",
        "heic": "HEIC",
        "avif": "AVIF",
        "webp": "WebP",
        "jxl": "JPEG XL",
        "tiff": "TIFF",
        "gif": "GIF",
        "dng": "DNG",
        "cr2": "Canon CR2",
        "cr3": "Canon CR3",
        "nef": "Nikon NEF",
        "arw": "Sony ARW",
        "raf": "Fujifilm RAF",
        "orf": "Olympus ORF",
        "rw2": "Panasonic RW2",
    }
)
"""Every format trousseau accepts as an original: name -> label for people."""

RAW_FORMATS = frozenset({"dng", "cr2", "cr3", "nef", "arw", "raf", "orf", "rw2"})

_HEIC_BRANDS = frozenset(
    {b"heic", b"heix", b"hevc", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1"}
)
_GENERIC_HEIF_BRANDS = frozenset({b"mif1", b"msf1"})
_AVIF_BRANDS = frozenset({b"avif", b"avis"})
_JXL_CONTAINER = b"\x00\x00\x00\x0cJXL \r\n\x87\n"

_TAG_NEW_SUBFILE_TYPE = 0x00FE
_TAG_MAKE = 0x010F
_TAG_SUB_IFDS = 0x014A
_TAG_DNG_VERSION = 0xC612


def detect_format(head: bytes) -> str | None:
    """Name the image format the first bytes of a file announce, or None for anything else.

    TIFF-based RAWs whose header is a plain TIFF header (DNG, NEF, ARW) come back as "tiff";
    `classify_tiff` refines that from more bytes.
    """
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"FUJIFILMCCD-RAW"):
        return "raf"
    if head[:4] in (b"IIRO", b"IIRS", b"MMOR"):
        return "orf"
    if head[:4] == b"IIU\x00":
        return "rw2"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "cr2" if head[8:10] == b"CR" else "tiff"
    if head[:4] in (b"II+\x00", b"MM\x00+"):
        return "tiff"
    if head.startswith((b"\xff\x0a", _JXL_CONTAINER)):
        return "jxl"
    brands = _ftyp_brands(head)
    return _isobmff_format(brands) if brands else None


def classify_tiff(data: bytes) -> str:
    """Tell DNG, NEF and ARW from a plain TIFF by reading IFD0 in a TIFF file's first bytes.

    DNG carries a DNGVersion tag. NEF and ARW put a reduced preview in IFD0 (or point to
    SubIFDs) under a NIKON or SONY make; a TIFF developed from those cameras does neither.
    Anything that cannot be read from `data` (IFD0 beyond it, malformed) stays "tiff".
    """
    if data[:4] == b"II*\x00":
        order = "<"
    elif data[:4] == b"MM\x00*":
        order = ">"
    else:
        return "tiff"
    tags = _ifd0_entries(data, order)
    if _TAG_DNG_VERSION in tags:
        return "dng"
    make = _ascii_value(data, order, tags.get(_TAG_MAKE)).upper()
    subfile = tags.get(_TAG_NEW_SUBFILE_TYPE)
    reduced = _TAG_SUB_IFDS in tags or (subfile is not None and _int_value(order, subfile) & 1 == 1)
    if reduced and make.startswith("NIKON"):
        return "nef"
    if reduced and make.startswith("SONY"):
        return "arw"
    return "tiff"


def describe_content(head: bytes) -> str:
    """Say in a few words what the first bytes of a file look like, image or not."""
    name = detect_format(head)
    if name is not None:
        return FORMATS[name]
    if head.startswith(b"%PDF"):
        return "PDF"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "ZIP"
    if head.startswith(b"8BPS"):
        return "Photoshop PSD"
    if head[:2] == b"BM" and len(head) >= 18 and head[14] in (12, 40, 52, 56, 64, 108, 124):
        return "BMP"
    if head[4:8] in (b"ftyp", b"moov", b"mdat", b"wide", b"free"):
        return "MP4/QuickTime video"
    if head[:4] == b"RIFF":
        return "RIFF " + head[8:12].decode("ascii", "replace").strip()
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith((b"Rar!", b"7z\xbc\xaf\x27\x1c")):
        return "RAR/7-Zip"
    if _looks_like_text(head):
        stripped = head.lstrip().lower()
        if stripped.startswith((b"<svg", b"<?xml")):
            return "XML/SVG"
        if stripped.startswith((b"<!doctype html", b"<html")):
            return "HTML"
        return "text"
    return f"unknown data ({head[:8].hex(' ')})"


def sniff(path: Path) -> str:
    """Read a file's head and name its format, or raise an ingest error that says why not."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputMissing(f"{path} does not exist: check the path") from None
    except OSError as error:
        raise InputUnreadable(
            f"{path.name} cannot be read ({error.strerror or error}): check the path and its "
            "permissions"
        ) from error
    if not stat.S_ISREG(info.st_mode):
        kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise InputUnreadable(f"{path.name} is {kind}: give trousseau photo files")
    try:
        with path.open("rb") as stream:
            data = stream.read(TIFF_SCAN_BYTES)
    except OSError as error:
        raise InputUnreadable(
            f"{path.name} cannot be read ({error.strerror or error}): check the file's "
            "permissions and the disk"
        ) from error
    if not data:
        raise EmptyInput(f"{path.name} is empty (0 bytes): copy it again from the card")
    name = detect_format(data[:HEAD_BYTES])
    if name is None:
        raise UnsupportedFormat(
            f"{path.name} is not an image trousseau accepts (content starts like "
            f"{describe_content(data[:HEAD_BYTES])}): accepted: {', '.join(FORMATS.values())}"
        )
    return classify_tiff(data) if name == "tiff" else name


def _ftyp_brands(head: bytes) -> list[bytes]:
    """Major brand then compatible brands of an ISO-BMFF `ftyp` box, as far as `head` goes."""
    if head[4:8] != b"ftyp" or len(head) < 12:
        return []
    size = int.from_bytes(head[:4], "big")
    end = min(size, len(head)) if size >= 16 else 12
    brands = [head[8:12]]
    brands += [head[i : i + 4] for i in range(16, end - 3, 4)]
    return brands


def _isobmff_format(brands: list[bytes]) -> str | None:
    """HEIC, AVIF or CR3 from ftyp brands: the major brand decides, then compatible ones."""
    major, compatible = brands[0], brands[1:]
    if major == b"crx ":
        return "cr3"
    if major in _AVIF_BRANDS:
        return "avif"
    if major in _HEIC_BRANDS - _GENERIC_HEIF_BRANDS:
        return "heic"
    if any(brand in _AVIF_BRANDS for brand in compatible):
        return "avif"
    if major in _GENERIC_HEIF_BRANDS or any(brand in _HEIC_BRANDS for brand in compatible):
        return "heic"
    return None


def _ifd0_entries(data: bytes, order: str) -> dict[int, tuple[int, int, bytes]]:
    """IFD0's entries as tag -> (type, count, raw 4-byte value or offset)."""
    if len(data) < 8:
        return {}
    (offset,) = struct.unpack_from(order + "I", data, 4)
    if offset < 8 or offset + 2 > len(data):
        return {}
    (count,) = struct.unpack_from(order + "H", data, offset)
    entries: dict[int, tuple[int, int, bytes]] = {}
    for index in range(count):
        start = offset + 2 + 12 * index
        if start + 12 > len(data):
            break
        tag, kind, number, value = struct.unpack_from(order + "HHI4s", data, start)
        entries[tag] = (kind, number, value)
    return entries


def _ascii_value(data: bytes, order: str, entry: tuple[int, int, bytes] | None) -> str:
    """An ASCII tag's text, or "" when absent, not ASCII or stored beyond `data`."""
    if entry is None or entry[0] != 2:
        return ""
    _, number, value = entry
    if number <= 4:
        raw = value[:number]
    else:
        (offset,) = struct.unpack(order + "I", value)
        raw = data[offset : offset + number]
    return raw.split(b"\x00", 1)[0].decode("ascii", "replace").strip()


def _int_value(order: str, entry: tuple[int, int, bytes]) -> int:
    """A SHORT or LONG tag's first value."""
    kind, _, value = entry
    (number,) = struct.unpack(order + ("H" if kind == 3 else "I"), value[: 2 if kind == 3 else 4])
    return int(number)


def _looks_like_text(head: bytes) -> bool:
    """True when the bytes decode as UTF-8 made of printable characters and whitespace."""
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 3 or error.reason != "unexpected end of data":
            return False
        text = head[: error.start].decode("utf-8")
    text = text.removeprefix("\ufeff")
    return bool(text) and all(char.isprintable() or char in "\t\r\n\f" for char in text)

"""Hand-built EXIF blocks: any bytes in any tag, as a strange camera or a hostile client writes.

Pillow and libvips encode text tags as ASCII on the way in, so the odd values a real card
can carry (UTF-8, Unicode digits, NULs, invalid bytes) are built here byte by byte.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pyvips

ASCII, SHORT, LONG = 2, 3, 4
MAKE, MODEL, ORIENTATION, EXIF_IFD = 0x010F, 0x0110, 0x0112, 0x8769
DATETIME_ORIGINAL, SUBSEC_ORIGINAL = 0x9003, 0x9291

Entry = tuple[int, int, bytes | int]
"""(tag, type, value): bytes for ASCII (written as given, NUL added), an int for SHORT/LONG."""


def exif_block(ifd0: list[Entry], exif: list[Entry] | None = None) -> bytes:
    """A little-endian TIFF structure with IFD0 and an optional EXIF sub-IFD, APP1-ready."""
    entries = list(ifd0)
    if exif is not None:
        entries.append((EXIF_IFD, LONG, 0))  # patched below
    ifd0_offset = 8
    ifd0_size = 2 + 12 * len(entries) + 4
    exif_offset = ifd0_offset + ifd0_size
    exif_size = 2 + 12 * len(exif) + 4 if exif is not None else 0
    data_offset = exif_offset + exif_size
    heap = bytearray()

    def ifd(items: list[Entry], next_data: int) -> bytes:
        out = bytearray(struct.pack("<H", len(items)))
        for tag, kind, value in sorted(items, key=lambda item: item[0]):
            if tag == EXIF_IFD:
                value = exif_offset
            if kind == ASCII:
                assert isinstance(value, bytes)
                text = value + b"\x00"
                if len(text) <= 4:
                    out += struct.pack("<HHI", tag, kind, len(text)) + text.ljust(4, b"\x00")
                else:
                    out += struct.pack("<HHII", tag, kind, len(text), next_data + len(heap))
                    heap.extend(text)
            elif kind == SHORT:
                out += struct.pack("<HHIHH", tag, kind, 1, int(value), 0)
            else:
                out += struct.pack("<HHII", tag, kind, 1, int(value))
        return bytes(out + struct.pack("<I", 0))

    first = ifd(entries, data_offset)
    second = ifd(exif, data_offset) if exif is not None else b""
    return b"Exif\x00\x00" + b"II*\x00" + struct.pack("<I", ifd0_offset) + first + second + heap


def jpeg_with_exif(
    path: Path, block: bytes, *, seed: int = 1, size: tuple[int, int] = (64, 48)
) -> Path:
    """A real JPEG (noise, so each seed differs) carrying `block` as its APP1 EXIF segment."""
    image = pyvips.Image.gaussnoise(*size, mean=128, sigma=40, seed=seed).cast("uchar")
    plain = image.bandjoin([image, image]).copy(interpretation="srgb").jpegsave_buffer(Q=80)
    assert plain[:2] == b"\xff\xd8"
    segment = b"\xff\xe1" + struct.pack(">H", len(block) + 2) + block
    path.write_bytes(plain[:2] + segment + plain[2:])
    return path


def odd_subsec_jpeg(path: Path, *, seed: int = 1) -> Path:
    """The card-stopper: SubSecTimeOriginal "²" (a Unicode digit that int() refuses)."""
    block = exif_block(
        [(MAKE, ASCII, b"Canon"), (MODEL, ASCII, b"Canon EOS R5")],
        [
            (DATETIME_ORIGINAL, ASCII, b"2026:06:13 15:04:05"),
            (SUBSEC_ORIGINAL, ASCII, "²".encode()),
        ],
    )
    return jpeg_with_exif(path, block, seed=seed)


def tiff_with_subifds(path: Path, count: int) -> Path:
    """A 4x4 grey TIFF whose IFD0 declares `count` SubIFDs, every one pointing back at IFD0.

    40,000 of them make a 160 KB file: the header any reader walks must be bounded.
    """
    width = height = 4
    pixels = bytes(range(16))
    entries = [
        (0x0100, SHORT, width),  # ImageWidth
        (0x0101, SHORT, height),  # ImageLength
        (0x0102, SHORT, 8),  # BitsPerSample
        (0x0103, SHORT, 1),  # Compression: none
        (0x0106, SHORT, 1),  # Photometric: min-is-black
        (0x0111, LONG, 0),  # StripOffsets (patched)
        (0x0115, SHORT, 1),  # SamplesPerPixel
        (0x0116, SHORT, height),  # RowsPerStrip
        (0x0117, LONG, len(pixels)),  # StripByteCounts
        (0x014A, LONG, 0),  # SubIFDs (patched: an array of `count` offsets)
    ]
    ifd_size = 2 + 12 * len(entries) + 4
    strip_offset = 8 + ifd_size
    array_offset = strip_offset + len(pixels)
    out = bytearray(b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", len(entries)))
    for tag, kind, value in entries:
        if tag == 0x0111:
            out += struct.pack("<HHII", tag, kind, 1, strip_offset)
        elif tag == 0x014A:
            out += struct.pack("<HHII", tag, kind, count, array_offset)
        elif kind == SHORT:
            out += struct.pack("<HHIHH", tag, kind, 1, int(value), 0)
        else:
            out += struct.pack("<HHII", tag, kind, 1, int(value))
    out += struct.pack("<I", 0) + pixels + struct.pack(f"<{count}I", *([8] * count))
    path.write_bytes(bytes(out))
    return path

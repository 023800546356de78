"""Structural checks on a file's bytes, made before any decoder sees its pixels.

Decoders trust what a file declares. These checks read only container structure (chunk and
block lengths, declared sizes) to catch what the decoders let through: a GIF frame placed
far outside its canvas (browsers and some decoders grow the canvas to fit it), a PNG whose
last chunk is cut short after the image rows (libpng never reads that far, so the
truncation goes unnoticed), a PNG text chunk that inflates a thousandfold (libvips keeps
up to 8 MB of such text per chunk as metadata), and a HEIF/AVIF whose secondary image runs
past the end of the file (libheif only looks at what it decodes). Each costs microseconds
to milliseconds.
"""

from __future__ import annotations

import struct
import zlib

from trousseau.errors import CorruptImage, ImagingError

BOMB_RATIO = 100
"""A compressed PNG text chunk that inflates more than this many times over is a bomb..."""
BOMB_MIN_BYTES = 1 << 20
"""...once it inflates past this size: small metadata never is."""

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_COMPRESSED_TEXT = (b"zTXt", b"iTXt", b"iCCP")
_GIF_IMAGE = 0x2C
_GIF_EXTENSION = 0x21
_INFLATE_STEP = 1 << 16


def gif_canvas(data: bytes) -> tuple[int, int]:
    """The canvas a GIF needs: its logical screen grown to cover every frame's extent.

    Only block headers are read; a structure that ends early stops the scan and what was
    found so far is returned (the decoder then reports the damage).
    """
    if len(data) < 13:
        return 0, 0
    width, height, flags = struct.unpack_from("<HHB", data, 6)
    offset = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
    while offset < len(data):
        block = data[offset]
        if block == _GIF_IMAGE:
            if offset + 10 > len(data):
                break
            left, top, frame_width, frame_height, flags = struct.unpack_from(
                "<HHHHB", data, offset + 1
            )
            width, height = max(width, left + frame_width), max(height, top + frame_height)
            offset += 10 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0) + 1
        elif block == _GIF_EXTENSION:
            offset += 2
        else:
            break
        offset = _skip_sub_blocks(data, offset)
    return width, height


def check_png(data: bytes, name: str) -> None:
    """Raise CorruptImage for a PNG chunk cut short, ImagingError for a text decompression bomb.

    A missing IEND after complete image data is tolerated, as every viewer does; a chunk
    whose type is not four letters ends the walk, leaving the damage to libpng to report.
    """
    if not data.startswith(_PNG_SIGNATURE):
        return
    offset = len(_PNG_SIGNATURE)
    while offset + 8 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, offset)
        if not kind.isalpha():
            return
        end = offset + 12 + length
        if end > len(data):
            raise CorruptImage(
                f"{name} is truncated (its {kind.decode()} chunk at byte {offset} declares "
                f"{length} bytes, only {max(len(data) - offset - 8, 0)} are there): ask for the "
                "file again"
            )
        if kind in _PNG_COMPRESSED_TEXT:
            _check_inflated_size(data[offset + 8 : offset + 8 + length], kind, name)
        if kind == b"IEND":
            return
        offset = end


def _skip_sub_blocks(data: bytes, offset: int) -> int:
    """The offset after a chain of GIF data sub-blocks (length byte, data; 0 ends the chain)."""
    while offset < len(data):
        size = data[offset]
        offset += 1 + size
        if size == 0:
            break
    return offset


def _check_inflated_size(body: bytes, kind: bytes, name: str) -> None:
    """Inflate a compressed PNG chunk in bounded steps, refusing it past the bomb threshold."""
    stream = _compressed_stream(body, kind)
    if stream is None:
        return
    limit = max(BOMB_MIN_BYTES, BOMB_RATIO * len(stream))
    inflater = zlib.decompressobj()
    inflated = 0
    try:
        while inflated <= limit:
            piece = inflater.decompress(stream, _INFLATE_STEP)
            stream = inflater.unconsumed_tail
            inflated += len(piece)
            if not piece:
                break
    except zlib.error:
        return
    if inflated > limit:
        raise ImagingError(
            f"{name} is refused: its {kind.decode('latin-1')} chunk of {len(body)} bytes "
            f"inflates to more than {limit // (1 << 20)} MB (a decompression bomb): ask for the "
            "photo as the camera or editor wrote it"
        )


def _compressed_stream(body: bytes, kind: bytes) -> bytes | None:
    """The zlib stream inside a zTXt, compressed iTXt or iCCP chunk body, else None."""
    keyword_end = body.find(b"\x00")
    if keyword_end < 0:
        return None
    if kind != b"iTXt":
        return body[keyword_end + 2 :]
    if body[keyword_end + 1 : keyword_end + 2] != b"\x01":
        return None
    language_end = body.find(b"\x00", keyword_end + 3)
    translated_end = body.find(b"\x00", language_end + 1) if language_end >= 0 else -1
    return body[translated_end + 1 :] if translated_end >= 0 else None


def check_heif_items(data: bytes, name: str) -> None:
    """Raise CorruptImage when a HEIF/AVIF item's data lies past the end of the file.

    libheif checks only the items it decodes; a file cut short in a second image or a
    depth map still shows its primary image, yet it is incomplete and can be sent again.
    """
    iloc = _find_box(data, (b"meta", b"iloc"))
    if iloc is None:
        return
    try:
        for item, end in _iloc_extent_ends(iloc):
            if end > len(data):
                raise CorruptImage(
                    f"{name} is truncated (image item {item} ends at byte {end}, the file has "
                    f"{len(data)}): ask for the file again"
                )
    except (struct.error, IndexError):
        return


def _find_box(data: bytes, path: tuple[bytes, ...]) -> bytes | None:
    """The body of the ISO-BMFF box at `path` (top level first), or None."""
    body, start, end = data, 0, len(data)
    for depth, wanted in enumerate(path):
        found = None
        offset = start
        while offset + 8 <= end:
            size, kind = struct.unpack_from(">I4s", body, offset)
            header = 8
            if size == 1 and offset + 16 <= end:
                size, header = struct.unpack_from(">Q", body, offset + 8)[0], 16
            elif size == 0:
                size = end - offset
            if size < header:
                return None
            if kind == wanted:
                found = (offset + header, min(offset + size, end))
                break
            offset += size
        if found is None:
            return None
        start, end = found
        if wanted == b"meta" and depth < len(path) - 1:
            start += 4
    return body[start:end]


def _iloc_extent_ends(iloc: bytes) -> list[tuple[int, int]]:
    """(item id, end offset) of every file-addressed extent in an `iloc` box body."""
    version = iloc[0]
    offset_size, length_size = iloc[4] >> 4, iloc[4] & 15
    base_size, index_size = iloc[5] >> 4, (iloc[5] & 15) if version in (1, 2) else 0
    position = 6
    count, position = _uint(iloc, position, 2 if version < 2 else 4)
    ends: list[tuple[int, int]] = []
    for _ in range(count):
        item, position = _uint(iloc, position, 2 if version < 2 else 4)
        method = 0
        if version in (1, 2):
            method, position = _uint(iloc, position, 2)
            method &= 15
        reference, position = _uint(iloc, position, 2)
        base, position = _uint(iloc, position, base_size)
        extents, position = _uint(iloc, position, 2)
        for _ in range(extents):
            position += index_size
            start, position = _uint(iloc, position, offset_size)
            length, position = _uint(iloc, position, length_size)
            if method == 0 and reference == 0 and length > 0:
                ends.append((item, base + start + length))
    return ends


def _uint(data: bytes, position: int, size: int) -> tuple[int, int]:
    """A big-endian unsigned integer of `size` bytes (0 for size 0) and the next position."""
    if position + size > len(data):
        raise IndexError(position)
    return int.from_bytes(data[position : position + size], "big"), position + size

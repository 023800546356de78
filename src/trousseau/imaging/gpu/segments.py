"""Putting EXIF and ICC into a JPEG the GPU encoded (pure bytes in, bytes out).

libvips writes the policy-filtered EXIF as an APP1 segment and libvips' compact sRGB
profile as an APP2 ICC_PROFILE segment. The GPU encoders write neither, so the same
filtered blob and the same profile are inserted here, right after SOI and any JFIF APP0,
where readers look for them. The pixels are not touched.
"""

from __future__ import annotations

import struct

SOI = b"\xff\xd8"
SOS = 0xDA
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD9)})  # TEM, RSTn, SOI: no length follows
APP0 = 0xE0
EXIF_PREFIX = b"Exif\x00\x00"
ICC_PREFIX = b"ICC_PROFILE\x00"
MAX_SEGMENT = 65533  # payload bytes an APPn segment can hold (its length field counts itself)
_ICC_CHUNK = MAX_SEGMENT - len(ICC_PREFIX) - 2


def with_metadata(jpeg: bytes, *, exif: bytes | None, icc: bytes | None) -> bytes:
    """`jpeg` with an APP1 EXIF segment and APP2 ICC segment(s) added; else unchanged.

    `exif` is a libvips "exif-data" blob (with or without its "Exif\\0\\0" prefix); one
    too large for a segment is dropped, as libvips drops it. `icc` is split over as many
    APP2 segments as it needs, numbered as the ICC spec says.
    """
    if not jpeg.startswith(SOI):
        raise ValueError("not a JPEG: it does not start with SOI")
    segments = b""
    if exif:
        payload = exif if exif.startswith(EXIF_PREFIX) else EXIF_PREFIX + exif
        if len(payload) <= MAX_SEGMENT:
            segments += _segment(0xE1, payload)
    if icc:
        chunks = [icc[i : i + _ICC_CHUNK] for i in range(0, len(icc), _ICC_CHUNK)]
        for number, chunk in enumerate(chunks, start=1):
            segments += _segment(0xE2, ICC_PREFIX + bytes([number, len(chunks)]) + chunk)
    if not segments:
        return jpeg
    at = _after_app0(jpeg)
    return jpeg[:at] + segments + jpeg[at:]


def _segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def _after_app0(jpeg: bytes) -> int:
    """Offset just after SOI and any JFIF APP0 segment."""
    at = len(SOI)
    if len(jpeg) >= at + 4 and jpeg[at] == 0xFF and jpeg[at + 1] == APP0:
        (length,) = struct.unpack_from(">H", jpeg, at + 2)
        at += 2 + length
    return at


def header_bytes(jpeg: bytes) -> bytes:
    """The JPEG's bytes up to the end of its first SOS segment header; else `jpeg` itself.

    That prefix holds everything a header reader needs (frame size, components, EXIF, ICC,
    Adobe transform) without the entropy-coded scan: libvips reads a 24 MP JPEG's header in
    ~3 ms from the whole file and in ~0.3 ms from this. Markers it cannot walk (a broken
    length, no SOS) give back the whole file, so the reader judges it as before.
    """
    if not jpeg.startswith(SOI):
        return jpeg
    at = 2
    end = len(jpeg)
    while at + 4 <= end:
        if jpeg[at] != 0xFF:
            return jpeg
        marker = jpeg[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker in _STANDALONE:
            at += 2
            continue
        length = int.from_bytes(jpeg[at + 2 : at + 4], "big")
        if length < 2 or at + 2 + length > end:
            return jpeg
        at += 2 + length
        if marker == SOS:
            return jpeg[:at]
    return jpeg

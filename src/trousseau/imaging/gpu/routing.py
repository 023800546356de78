"""Which originals the GPU decodes and which the CPU decodes before joining the batch (pure).

The hardware JPEG decoders output the file's RGB as it is coded: right for sRGB, wrong for a
photo tagged Display P3 or Adobe RGB, and they read no CMYK. Such files, and every other
format (HEIC, RAW, PNG, TIFF, ...), are decoded by libvips on CPU threads, converted to sRGB
there, and uploaded to join the same batch.
"""

from __future__ import annotations

import struct

_HEADER = 128
_TAG = 12


def gpu_decodable(*, fmt: str, bands: int, interpretation: str, icc: bytes | None) -> bool:
    """True for a 3-channel sRGB (untagged or sRGB-tagged) JPEG."""
    if fmt != "jpeg" or bands != 3 or interpretation != "srgb":
        return False
    return icc is None or icc_is_srgb(icc)


def icc_is_srgb(profile: bytes) -> bool:
    """Whether an ICC profile describes sRGB (by its description tag; any doubt says no)."""
    description = icc_description(profile)
    return description is not None and "srgb" in description.lower().replace(" ", "")


def icc_description(profile: bytes) -> str | None:
    """The profile's `desc` text (ICC v2 'desc' or v4 'mluc'), or None when unreadable."""
    try:
        if len(profile) < _HEADER + 4 or profile[36:40] != b"acsp":
            return None
        (count,) = struct.unpack_from(">I", profile, _HEADER)
        for index in range(min(count, 256)):
            sig, offset, size = struct.unpack_from(">4sII", profile, _HEADER + 4 + _TAG * index)
            if sig == b"desc":
                return _text(profile[offset : offset + size])
    except struct.error:
        return None
    return None


def _text(tag: bytes) -> str | None:
    kind = tag[:4]
    if kind == b"desc":
        (length,) = struct.unpack_from(">I", tag, 8)
        return tag[12 : 12 + length].split(b"\0", 1)[0].decode("latin-1")
    if kind == b"mluc":
        (records,) = struct.unpack_from(">I", tag, 8)
        if records < 1:
            return None
        length, offset = struct.unpack_from(">II", tag, 20)
        return tag[offset : offset + length].decode("utf-16-be", errors="replace")
    return None

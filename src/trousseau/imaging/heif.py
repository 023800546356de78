"""Decoding HEIC/HEIF photos (iPhones, recent Android phones) with libheif through pillow-heif.

The libvips build reads HEIF containers but has no HEVC decoder, so the primary image is
decoded by pillow-heif's libheif (libde265 inside) and handed to libvips in memory. libheif
applies the container's rotation and mirroring (irot, imir); the EXIF Orientation tag of a
HEIF is informative only (HEIF spec), so it is not applied again: an iPhone portrait whose
EXIF says 6 is already upright. Colour comes from the embedded ICC profile (iPhones embed
Display P3); without one, nclx primaries that say P3 are converted from libvips' built-in
P3 profile and anything else is taken as sRGB. 10- and 12-bit images arrive scaled to 16
bits and are reduced with the colour transform. HEVC cannot shrink while decoding, so the
whole primary image is decoded (36 MB for 12 MP), after its declared size passed the limit.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pillow_heif
import pyvips

from trousseau.errors import CorruptImage, ImageTooLarge, ImagingError
from trousseau.imaging.failure import vips_failures
from trousseau.imaging.limits import check_heif_items
from trousseau.imaging.pixels import (
    Decoded,
    check_pixels,
    in_memory,
    to_srgb8,
    upright_exif,
)

_P3_PRIMARIES = 12
"""nclx colour_primaries for SMPTE EG 432-1: Display P3's primaries and D65 white."""
_BANDS = {"L": 1, "I": 1, "LA": 2, "RGB": 3, "RGBA": 4}
_MISSING_CODEC = ("not been built in", "Unsupported codec", "No decoding plugin")


def decode_heif(data: bytes, *, name: str, long_edge: int, max_pixels: int) -> Decoded:
    """The primary image of a HEIF file, upright, 8-bit sRGB, shrunk to `long_edge`."""
    check_heif_items(data, name)
    with _libheif_failures(name):
        primary = _primary(data)
        width, height = primary.size
        check_pixels(name, width, height, max_pixels)
        pixels = primary.data
    with vips_failures(name):
        image = _vips_image(pixels, width, height, primary.mode, name)
        options: dict[str, Any] = {"height": long_edge, "size": "down", "no_rotate": True}
        profile = primary.info.get("icc_profile")
        if profile:
            image = image.copy()
            image.set_type(pyvips.GValue.blob_type, "icc-profile-data", profile)
            options["output_profile"] = "srgb"
        elif _nclx_primaries(primary.info) == _P3_PRIMARIES:
            options |= {"input_profile": "p3", "output_profile": "srgb"}
        image = in_memory(to_srgb8(image.thumbnail_image(long_edge, **options)))
    exif = upright_exif(primary.info.get("exif"))
    return Decoded(image=image, width=width, height=height, exif=exif, path="heif")


def heif_size(data: bytes, *, name: str) -> tuple[int, int]:
    """The primary image's upright width and height, from the container alone."""
    with _libheif_failures(name):
        size: tuple[int, int] = _primary(data).size
        return size


def _primary(data: bytes) -> Any:
    heif = pillow_heif.open_heif(data, convert_hdr_to_8bit=False)
    return heif[heif.primary_index]


def _vips_image(pixels: Any, width: int, height: int, mode: str, name: str) -> pyvips.Image:
    """Wrap libheif's decoded buffer (rows without padding) as a libvips image, no copy."""
    base, _, depth = mode.partition(";")
    bands = _BANDS.get(base)
    if bands is None:
        raise ImagingError(f"{name} decodes to pixels laid out as {mode}, which trousseau lacks")
    wide = depth == "16"
    image = pyvips.Image.new_from_memory(
        pixels, width, height, bands, "ushort" if wide else "uchar"
    )
    if bands < 3:
        return image.copy(interpretation="grey16" if wide else "b-w")
    return image.copy(interpretation="rgb16" if wide else "srgb")


def _nclx_primaries(info: dict[str, Any]) -> int | None:
    nclx = info.get("nclx_profile")
    return nclx.get("color_primaries") if isinstance(nclx, dict) else None


@contextmanager
def _libheif_failures(name: str) -> Iterator[None]:
    """Turn pillow-heif's exceptions into ImagingError subclasses naming the file."""
    try:
        yield
    except (ValueError, RuntimeError, OSError, EOFError, SyntaxError) as error:
        raise _heif_error(name, str(error).strip() or type(error).__name__) from error


def _heif_error(name: str, reason: str) -> ImagingError:
    if "Security limit exceeded" in reason:
        return ImageTooLarge(f"{name} exceeds libheif's security limits ({reason})")
    if any(marker in reason for marker in _MISSING_CODEC):
        return ImagingError(
            f"{name} needs a decoder this libheif build lacks ({reason}): render it on a worker "
            "whose pillow-heif has it"
        )
    return CorruptImage(
        f"{name} is damaged or truncated (libheif: {reason}): ask for the file again"
    )

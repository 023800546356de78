"""The one preview the core renders for every photo: upright, sRGB, small, metadata-free.

libvips' `thumbnail` shrinks on load (a 24-megapixel JPEG is decoded at 1/2, 1/4 or 1/8 size),
applies the EXIF orientation and, when the photo carries an ICC profile or is CMYK, converts
it to sRGB. The JPEG written carries only libvips' compact sRGB profile: no EXIF, so no GPS
position of a guest's home and no orientation tag that would rotate it a second time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyvips

from trousseau.imaging.failure import vips_failures

_WHITE = [255, 255, 255]


@dataclass(frozen=True, slots=True)
class Preview:
    """An encoded JPEG preview and its pixel size."""

    data: bytes
    width: int
    height: int


def render_preview(
    source: Path | bytes, *, long_edge: int, quality: int, name: str | None = None
) -> Preview:
    """Render `source` as a JPEG whose longer side is `long_edge` (never upscaled).

    Damaged or truncated input raises CorruptImage naming the file (`name`, the path's name,
    or "<bytes>") and
    libvips' reason; input this libvips build has no decoder for raises ImagingError. The
    same input and arguments always give the same bytes.
    """
    if long_edge < 1:
        raise ValueError(f"long_edge must be >= 1, not {long_edge}")
    if not 1 <= quality <= 100:
        raise ValueError(f"quality must be within 1..100, not {quality}")
    if isinstance(source, bytes):
        name, location = name or "<bytes>", None
    else:
        name, location = name or source.name, str(source)
    with vips_failures(name, location=location):
        options = {
            "height": long_edge,
            "size": pyvips.enums.Size.DOWN,
            "fail_on": pyvips.enums.FailOn.ERROR,
        }
        if _needs_colour_transform(source):
            options["output_profile"] = "srgb"
        if isinstance(source, bytes):
            # libvips 8.18 ignores thumbnail_buffer's fail_on (libvips#5195); the load
            # options string is honoured, so a truncated upload is not rendered half grey.
            image = pyvips.Image.thumbnail_buffer(
                source, long_edge, option_string="fail_on=error", **options
            )
        else:
            image = pyvips.Image.thumbnail(str(source), long_edge, **options)
        image = _srgb8_opaque(image)
        data = image.jpegsave_buffer(
            Q=quality,
            optimize_coding=True,
            keep=pyvips.enums.ForeignKeep.ICC,
            profile="srgb",
        )
    return Preview(data=data, width=image.width, height=image.height)


def _needs_colour_transform(source: Path | bytes) -> bool:
    """True when the header shows an ICC profile or CMYK: pixels that are not sRGB already.

    Untagged RGB is sRGB by convention; skipping the lcms transform for it (most camera
    JPEGs) makes a 24-megapixel preview about twice as fast.
    """
    if isinstance(source, bytes):
        header = pyvips.Image.new_from_buffer(source, "")
    else:
        header = pyvips.Image.new_from_file(str(source), revalidate=True)
    return (
        "icc-profile-data" in header.get_fields()
        or header.interpretation == pyvips.enums.Interpretation.CMYK
    )


def _srgb8_opaque(image: pyvips.Image) -> pyvips.Image:
    """8-bit, 3-band sRGB with any alpha flattened onto white."""
    if image.interpretation != pyvips.enums.Interpretation.SRGB or image.format != "uchar":
        image = image.colourspace(pyvips.enums.Interpretation.SRGB)
    if image.hasalpha():
        image = image.flatten(background=_WHITE)
    if image.format != "uchar":
        image = image.cast(pyvips.enums.BandFormat.UCHAR)
    return image

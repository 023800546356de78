"""Encoding one rendered variant with its profile's encoder settings and metadata policy.

libvips copies every metadata field an image carries into what it saves, and rebuilds the
EXIF block from the `exif-ifd*` fields it parsed on load, so a GPS position can survive any
amount of resizing. `encode` therefore starts from an image stripped of every field but the
pixel header, attaches only the EXIF the profile's policy allows (setting "exif-data" makes
libvips re-parse it into fields, which it writes back unchanged), and embeds libvips' compact
sRGB ICC profile (480 bytes) when the policy asks for one.

On save libvips (through libexif) still adds a few EXIF fields of its own: ExifVersion and
FlashpixVersion, PixelXDimension/PixelYDimension (the variant's size) and X/YResolution
(72 dpi, fixed here). Because `filter_exif` always writes ColorSpace 1, libvips does not add
its default, ColorSpace 65535 ("uncalibrated"), which would tell EXIF-aware viewers the
pixels are not sRGB. libexif also drops tags it does not know (the DNG CameraSerialNumber)
and rewrites the MakerNotes of makers it parses (Canon, Olympus, Pentax...), so
`keep_serials` keeps those notes only approximately.
"""

from __future__ import annotations

from typing import cast

import pyvips

from trousseau.errors import ImagingError
from trousseau.imaging.failure import failure_reason
from trousseau.imaging.metadata import filter_exif
from trousseau.imaging.profiles import Profile

DPI_72 = 72 / 25.4
SHARPEN_SIGMA = 0.5
SHARPEN_FLAT_THRESHOLD = 2.0
SHARPEN_MAX_BRIGHTEN = 10.0
SHARPEN_MAX_DARKEN = 20.0

_HEADER_FIELDS = frozenset(
    {"width", "height", "bands", "format", "coding", "interpretation", "xoffset", "yoffset"}
    | {"xres", "yres", "filename"}
)
_Keep = pyvips.enums.ForeignKeep


def encode(image: pyvips.Image, profile: Profile, *, exif: bytes | None = None) -> bytes:
    """`image` (upright, sRGB, at the profile's size) encoded as `profile` says.

    Grey and 16-bit input is converted to 8-bit sRGB; alpha is flattened on the profile's
    background for JPEG and kept for the other formats (dropped when fully opaque). `exif` is
    the source's EXIF blob (`metadata.exif_of`); only what `profile.metadata` allows is
    written. The same image, profile and EXIF always give the same bytes. A libvips failure
    raises ImagingError naming the profile.
    """
    pyvips.vips_lib.vips_error_clear()
    try:
        pixels = prepare(image, profile)
        blob = filter_exif(exif, profile.metadata)
        clean = strip_metadata(pixels)
        if blob is not None:
            clean.set_type(pyvips.GValue.blob_type, "exif-data", blob)
        return _save(clean, profile, has_exif=blob is not None)
    except pyvips.Error as error:
        reason = failure_reason(error.detail or str(error.message or ""), [])
        raise ImagingError(
            f"profile {profile.name!r}: libvips could not encode the {image.width}x"
            f"{image.height} variant as {profile.format} ({reason}): check the profile's "
            "settings and this libvips build's encoders (`vips --vips-config`)"
        ) from error


def prepare(image: pyvips.Image, profile: Profile) -> pyvips.Image:
    """8-bit sRGB, 3 bands, or 4 where the format keeps a meaningful alpha; sharpened."""
    image = _srgb8(image)
    alpha = image[3] if image.bands == 4 else None
    colour = image[:3] if alpha is not None else image
    if alpha is not None and profile.format == "jpeg":
        colour = image.flatten(background=profile.background_rgb()).cast("uchar")
        alpha = None
    elif alpha is not None and alpha.min() >= 255:
        alpha = None
    if profile.sharpen > 0:
        colour = sharpen(colour, profile.sharpen).cast("uchar")
    colour = colour.copy(interpretation=pyvips.enums.Interpretation.SRGB)
    return colour if alpha is None else colour.bandjoin(alpha)


def sharpen(image: pyvips.Image, amount: float) -> pyvips.Image:
    """Unsharp mask on lightness: `amount` 1.0 is a 100 % mask of radius 0.5 px.

    Steps under 2 L* (skin, sky, sensor grain) are left alone and halos are capped at
    +10/-20 L*, which keeps a downscaled photo crisp without a processed look.
    """
    return image.sharpen(
        sigma=SHARPEN_SIGMA,
        x1=SHARPEN_FLAT_THRESHOLD,
        y2=SHARPEN_MAX_BRIGHTEN,
        y3=SHARPEN_MAX_DARKEN,
        m1=0.0,
        m2=amount,
    )


def strip_metadata(image: pyvips.Image) -> pyvips.Image:
    """A copy of `image` with every metadata field removed and a fixed 72 dpi resolution.

    Removing fields (not just passing `keep`) matters: libvips rebuilds EXIF from any
    `exif-ifd*` field still present, and takes multi-page and animation settings from others.
    """
    clean = image.copy(xres=DPI_72, yres=DPI_72)
    for field in clean.get_fields():
        if field not in _HEADER_FIELDS:
            clean.remove(field)
    return clean


def _srgb8(image: pyvips.Image) -> pyvips.Image:
    """`image` as 8-bit sRGB with 3 bands, or 4 with alpha."""
    if image.bands in (1, 2) or image.interpretation not in ("srgb", "multiband"):
        image = image.colourspace(pyvips.enums.Interpretation.SRGB)
    if image.format != "uchar":
        image = image.cast("uchar")
    return image[:4] if image.bands > 4 else image


def _save(image: pyvips.Image, profile: Profile, *, has_exif: bool) -> bytes:
    keep = _Keep.NONE
    options: dict[str, object] = {}
    if has_exif:
        keep |= _Keep.EXIF
    if profile.metadata.icc == "srgb":
        keep |= _Keep.ICC
        options["profile"] = "srgb"
    options["keep"] = keep
    if profile.format == "jpeg":
        return cast(
            bytes,
            image.jpegsave_buffer(
                Q=profile.quality,
                optimize_coding=profile.optimize_coding,
                interlace=profile.progressive,
                subsample_mode="off" if profile.chroma == "4:4:4" else "on",
                **options,
            ),
        )
    if profile.format == "webp":
        if profile.effort is not None:
            options["effort"] = profile.effort
        return cast(
            bytes,
            image.webpsave_buffer(
                Q=profile.quality, smart_subsample=profile.smart_subsample, **options
            ),
        )
    if profile.format == "avif":
        if profile.effort is not None:
            options["effort"] = profile.effort
        return cast(
            bytes,
            image.heifsave_buffer(
                compression="av1",
                Q=profile.quality,
                bitdepth=8,
                subsample_mode="off" if profile.chroma == "4:4:4" else "on",
                **options,
            ),
        )
    return cast(
        bytes,
        image.pngsave_buffer(
            compression=6 if profile.effort is None else profile.effort,
            interlace=profile.progressive,
            **options,
        ),
    )

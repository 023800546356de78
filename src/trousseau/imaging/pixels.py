"""What every decoder hands back, and the steps they share to get there.

`decode` picks a decoder by format: libvips (in `decode`), libheif (`heif`) or LibRaw (`raw`).
Each of them ends the same way, with the helpers here: the declared size checked against the
pixel limit, shrink-on-load, 8-bit sRGB, the pixels in memory without an orientation tag, and
the EXIF blob made upright. They live in their own module so the decoders import them one
way (decode, heif, raw → pixels) and `decode` can load `heif` and `raw` only when needed.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import StrEnum

import pyvips

from trousseau.errors import ImageTooLarge

_EXIF_ORIENTATION = 0x0112
_EXIF_SHORT = 3
_SRGB = pyvips.enums.Interpretation.SRGB
_UCHAR = pyvips.enums.BandFormat.UCHAR


class RawPolicy(StrEnum):
    """Which pixels of a RAW become the photo.

    AUTO uses the camera's embedded JPEG preview when its long edge covers the size needed
    (it is the camera's own rendering, and ten times faster), else a full demosaic;
    PREVIEW uses the preview whenever there is one; DEMOSAIC always develops the raw data.
    """

    AUTO = "auto"
    PREVIEW = "preview"
    DEMOSAIC = "demosaic"


@dataclass(frozen=True, eq=False)
class Decoded:
    """A decoded photo, ready for resizing and encoding.

    `image` is upright with no orientation tag left, sRGB, uchar, 3 bands or 4 with alpha,
    in memory (decoded once, read by as many outputs as needed); its long edge is the
    smaller of the requested one and the source's (under RawPolicy.PREVIEW, possibly the
    smaller preview's). `width` and `height` are the source's full upright size, for the
    catalog. `exif` is the source's EXIF blob (TIFF structure, maybe behind an "Exif\\0\\0"
    or APP1 prefix) with its Orientation reset to 1, or None. `path` says how the pixels
    were made: "libvips", "heif", "raw-preview", "raw-demosaic" or "raw-preview-fallback"
    (LibRaw could not develop the raw data; the embedded preview was large enough).
    Compared by identity: a pyvips image has no value equality (its `==` makes an image).
    """

    image: pyvips.Image
    width: int
    height: int
    exif: bytes | None
    path: str


def check_pixels(name: str, width: int, height: int, max_pixels: int) -> None:
    """Raise ImageTooLarge when `width` x `height` exceeds `max_pixels`."""
    if width * height > max_pixels:
        raise ImageTooLarge(
            f"{name} declares {width}x{height} pixels ({_megapixels(width * height)} MP), over "
            f"the limit of {_megapixels(max_pixels)} MP: raise imaging.max_pixels if this is a "
            "real photo"
        )


def thumbnail_vips(
    data: bytes,
    header: pyvips.Image,
    long_edge: int,
    *,
    autorotate: bool = True,
    materialise: bool = True,
) -> pyvips.Image:
    """`data` (whose lazily opened `header` is given) shrunk on load to `long_edge`, as 8-bit
    sRGB in memory; with `materialise` False, the pipeline unevaluated, for a caller that
    reads the pixels once (and drops the orientation tag itself). Call inside
    `vips_failures`: damage surfaces while pixels are read."""
    options: dict[str, object] = {
        "height": long_edge,
        "size": pyvips.enums.Size.DOWN,
        "no_rotate": not autorotate,
    }
    if "icc-profile-data" in header.get_fields() or header.interpretation == "cmyk":
        options["output_profile"] = "srgb"
    shrink = _jpeg_shrink(header, long_edge)
    if shrink > 1:
        # libjpeg's DCT scaling decodes 1/2, 1/4 or 1/8 of the pixels directly; `thumbnail`
        # keeps a 2x margin and would decode a 6000 px photo at full size for a 3000 px output
        # (112 ms against 70 ms, outputs 44.7 dB apart). thumbnail_image then finishes the
        # resize, the rotation and the colour conversion exactly as thumbnail would.
        loaded = pyvips.Image.jpegload_buffer(data, shrink=shrink, fail_on="error")
        image = to_srgb8(loaded.thumbnail_image(long_edge, **options))
        return in_memory(image) if materialise else image
    # libvips 8.18 ignores thumbnail_buffer's fail_on (libvips#5195); the load options
    # string is honoured, so a truncated file fails instead of being padded with grey.
    image = pyvips.Image.thumbnail_buffer(data, long_edge, option_string="fail_on=error", **options)
    image = to_srgb8(image)
    return in_memory(image) if materialise else image


def _jpeg_shrink(header: pyvips.Image, long_edge: int) -> int:
    """The largest JPEG DCT shrink (1, 2, 4, 8) whose decode still covers `long_edge`."""
    if not header.get("vips-loader").startswith("jpegload"):
        return 1
    source_long = max(header.width, header.height)
    for shrink in (8, 4, 2):
        if -(-source_long // shrink) >= long_edge:
            return shrink
    return 1


def to_srgb8(image: pyvips.Image) -> pyvips.Image:
    """sRGB uchar, 3 bands (grey promoted) plus alpha if any, by libvips' colour arithmetic."""
    if image.interpretation != _SRGB or image.format != _UCHAR:
        image = image.colourspace(_SRGB)
    if image.format != _UCHAR:
        image = image.cast(_UCHAR)
    return image


def in_memory(image: pyvips.Image) -> pyvips.Image:
    """Run the pipeline into memory, without the orientation tag that no longer applies."""
    image = image.copy_memory()
    if "orientation" in image.get_fields():
        image.remove("orientation")
    return image


def exif_of(image: pyvips.Image) -> bytes | None:
    """The EXIF blob libvips read from a file's header, upright (see `upright_exif`), or None."""
    if "exif-data" not in image.get_fields():
        return None
    return upright_exif(bytes(image.get("exif-data")))


def upright_exif(blob: bytes | None) -> bytes | None:
    """`blob` with its IFD0 Orientation set to 1, as the decoded pixels already are upright.

    libvips writes an attached EXIF blob's Orientation back out unless told otherwise, so
    an untouched blob would make viewers turn the delivered photo a second time. Only the
    two value bytes change; anything that does not parse as EXIF is returned as it is.
    """
    if not blob:
        return None
    start = blob.find(b"II*\x00", 0, 16)
    if start < 0:
        start = blob.find(b"MM\x00*", 0, 16)
    if start < 0:
        return blob
    order = "<" if blob[start] == ord("I") else ">"
    try:
        (ifd,) = struct.unpack_from(order + "I", blob, start + 4)
        (count,) = struct.unpack_from(order + "H", blob, start + ifd)
        for index in range(count):
            entry = start + ifd + 2 + 12 * index
            tag, kind = struct.unpack_from(order + "HH", blob, entry)
            if tag == _EXIF_ORIENTATION and kind == _EXIF_SHORT:
                patched = bytearray(blob)
                struct.pack_into(order + "H", patched, entry + 8, 1)
                return bytes(patched)
    except struct.error:
        pass
    return blob


def _megapixels(pixels: int) -> str:
    return f"{pixels / 1e6:.0f}" if pixels >= 10_000_000 else f"{pixels / 1e6:.1f}"

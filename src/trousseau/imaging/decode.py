"""Decoding a photo once into the upright 8-bit sRGB pixels every variant is made from.

Whatever a photographer hands over comes out the same: upright (the EXIF orientation, or a
RAW's, applied and then dropped), sRGB (embedded ICC profiles and CMYK converted; untagged
RGB is sRGB by convention), 8 bits per sample (16-bit reduced by libvips' colourspace
arithmetic, never a blind cast), alpha kept for the encoder to flatten or keep, and already
shrunk to the largest size any output needs, so each variant is one resize away.

JPEG, PNG, WebP, AVIF, TIFF and GIF (first frame) go through libvips' `thumbnail`, which
shrinks while decoding (a 24-megapixel JPEG is read at 1/2, 1/4 or 1/8 scale) and streams
the rest. HEIC goes through libheif (`heif`), whose HEVC decoder this libvips build lacks,
and camera RAW through LibRaw (`raw`); both load only when such a file arrives.

Before any pixel is decoded, the size the file declares is checked against `max_pixels`
and its structure against what decoders let through (`limits`), so a 44-byte GIF that
declares four gigapixels is refused in microseconds without allocating anything.
"""

from __future__ import annotations

import numpy as np
import pyvips

from trousseau.errors import CorruptImage, ImagingError
from trousseau.imaging.failure import vips_failures
from trousseau.imaging.formats import FORMATS, RAW_FORMATS
from trousseau.imaging.limits import check_heif_items, check_png, gif_canvas
from trousseau.imaging.pixels import Decoded, RawPolicy, check_pixels, exif_of, thumbnail_vips

__all__ = ["VIPS_FORMATS", "Decoded", "RawPolicy", "decode", "decode_rgb", "source_size"]

VIPS_FORMATS = frozenset({"jpeg", "png", "webp", "avif", "tiff", "gif"})
"""Formats the libvips path decodes; "heic" goes to libheif, RAW formats to LibRaw."""

_SWAPPED_ORIENTATIONS = frozenset({5, 6, 7, 8})


def decode(
    data: bytes,
    *,
    fmt: str,
    name: str,
    long_edge: int,
    max_pixels: int,
    raw_policy: RawPolicy | str = RawPolicy.AUTO,
) -> Decoded:
    """Decode `data` (in format `fmt`, as sniffed from its content) shrunk to `long_edge`.

    `raw_policy` (a RawPolicy or its value) matters for RAW formats only. Raises
    ImageTooLarge when the source declares more than `max_pixels` pixels, CorruptImage for
    damaged or truncated bytes and ImagingError for content no decoder here reads, each
    naming the file as `name`.
    """
    _check_arguments(data, name=name, long_edge=long_edge, max_pixels=max_pixels)
    policy = RawPolicy(raw_policy)
    if fmt in VIPS_FORMATS:
        return _decode_vips(data, fmt=fmt, name=name, long_edge=long_edge, max_pixels=max_pixels)
    if fmt == "heic":
        from trousseau.imaging import heif

        return heif.decode_heif(data, name=name, long_edge=long_edge, max_pixels=max_pixels)
    if fmt in RAW_FORMATS:
        from trousseau.imaging import raw

        return raw.decode_raw(
            data,
            name=name,
            long_edge=long_edge,
            max_pixels=max_pixels,
            policy=policy,
        )
    raise _no_decoder(fmt, name)


def decode_rgb(
    data: bytes,
    *,
    fmt: str,
    name: str,
    long_edge: int,
    max_pixels: int,
    raw_policy: RawPolicy | str = RawPolicy.AUTO,
    background: tuple[int, int, int] = (255, 255, 255),
) -> np.ndarray:
    """The pixels `decode` gives, as an array (height, width, 3) of upright 8-bit sRGB,
    transparency flattened on `background`: for a caller that analyses pixels rather than
    making variants. libvips' pipeline is read once, straight into the array: a 24 MP JPEG
    costs one copy of its pixels, not two (a third of the time). Errors as `decode`'s."""
    if fmt in VIPS_FORMATS:
        _check_arguments(data, name=name, long_edge=long_edge, max_pixels=max_pixels)
        header = _checked_header(data, fmt=fmt, name=name, max_pixels=max_pixels)
        with vips_failures(name):
            image = thumbnail_vips(data, header, long_edge, materialise=False)
            return _rgb_array(image, background)
    decoded = decode(
        data,
        fmt=fmt,
        name=name,
        long_edge=long_edge,
        max_pixels=max_pixels,
        raw_policy=raw_policy,
    )
    with vips_failures(name):
        return _rgb_array(decoded.image, background)


def _rgb_array(image: pyvips.Image, background: tuple[int, int, int]) -> np.ndarray:
    if image.hasalpha():
        image = image.flatten(background=list(background)).cast("uchar")
    return np.ndarray(
        buffer=image.write_to_memory(), dtype=np.uint8, shape=(image.height, image.width, 3)
    )


def source_size(data: bytes, *, fmt: str, name: str) -> tuple[int, int]:
    """The source's full upright width and height, read from its headers only."""
    _check_not_empty(data, name)
    if fmt in VIPS_FORMATS:
        with vips_failures(name):
            return _upright_size(pyvips.Image.new_from_buffer(data, ""))
    if fmt == "heic":
        from trousseau.imaging import heif

        return heif.heif_size(data, name=name)
    if fmt in RAW_FORMATS:
        from trousseau.imaging import raw

        return raw.raw_size(data, name=name)
    raise _no_decoder(fmt, name)


def _decode_vips(data: bytes, *, fmt: str, name: str, long_edge: int, max_pixels: int) -> Decoded:
    header = _checked_header(data, fmt=fmt, name=name, max_pixels=max_pixels)
    with vips_failures(name):
        width, height = _upright_size(header)
        image = thumbnail_vips(data, header, long_edge)
    return Decoded(image=image, width=width, height=height, exif=exif_of(header), path="libvips")


def _checked_header(data: bytes, *, fmt: str, name: str, max_pixels: int) -> pyvips.Image:
    """The file's lazily opened header, once its declared size and structure pass the
    limits."""
    if fmt == "gif":
        check_pixels(name, *gif_canvas(data), max_pixels)
    elif fmt == "png":
        check_png(data, name)
    elif fmt == "avif":
        check_heif_items(data, name)
    with vips_failures(name):
        header = pyvips.Image.new_from_buffer(data, "")
        check_pixels(name, *_upright_size(header), max_pixels)
    return header


def _upright_size(header: pyvips.Image) -> tuple[int, int]:
    fields = header.get_fields()
    orientation = header.get("orientation") if "orientation" in fields else 1
    if orientation in _SWAPPED_ORIENTATIONS:
        return header.height, header.width
    return header.width, header.height


def _check_arguments(data: bytes, *, name: str, long_edge: int, max_pixels: int) -> None:
    if long_edge < 1:
        raise ValueError(f"long_edge must be >= 1, not {long_edge}")
    if max_pixels < 1:
        raise ValueError(f"max_pixels must be >= 1, not {max_pixels}")
    _check_not_empty(data, name)


def _check_not_empty(data: bytes, name: str) -> None:
    if not data:
        raise CorruptImage(f"{name} is empty (0 bytes): ask for the file again")


def _no_decoder(fmt: str, name: str) -> ImagingError:
    label = FORMATS.get(fmt, repr(fmt))
    return ImagingError(
        f"{name} is {label}, which trousseau cannot decode yet: ask for a JPEG, HEIC or RAW"
    )

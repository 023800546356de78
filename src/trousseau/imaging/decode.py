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

import struct
from dataclasses import dataclass
from enum import StrEnum

import pyvips

from trousseau.errors import CorruptImage, ImageTooLarge, ImagingError
from trousseau.imaging.failure import vips_failures
from trousseau.imaging.formats import FORMATS, RAW_FORMATS
from trousseau.imaging.limits import check_heif_items, check_png, gif_canvas

VIPS_FORMATS = frozenset({"jpeg", "png", "webp", "avif", "tiff", "gif"})
"""Formats the libvips path decodes; "heic" goes to libheif, RAW formats to LibRaw."""

_SWAPPED_ORIENTATIONS = frozenset({5, 6, 7, 8})
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
    if long_edge < 1:
        raise ValueError(f"long_edge must be >= 1, not {long_edge}")
    if max_pixels < 1:
        raise ValueError(f"max_pixels must be >= 1, not {max_pixels}")
    policy = RawPolicy(raw_policy)
    _check_not_empty(data, name)
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


def check_pixels(name: str, width: int, height: int, max_pixels: int) -> None:
    """Raise ImageTooLarge when `width` x `height` exceeds `max_pixels`."""
    if width * height > max_pixels:
        raise ImageTooLarge(
            f"{name} declares {width}x{height} pixels ({_megapixels(width * height)} MP), over "
            f"the limit of {_megapixels(max_pixels)} MP: raise imaging.max_pixels if this is a "
            "real photo"
        )


def thumbnail_vips(
    data: bytes, header: pyvips.Image, long_edge: int, *, autorotate: bool = True
) -> pyvips.Image:
    """`data` (whose lazily opened `header` is given) shrunk on load to `long_edge`, as 8-bit
    sRGB in memory. Call inside `vips_failures`: damage surfaces while pixels are read."""
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
        image = loaded.thumbnail_image(long_edge, **options)
        return in_memory(to_srgb8(image))
    # libvips 8.18 ignores thumbnail_buffer's fail_on (libvips#5195); the load options
    # string is honoured, so a truncated file fails instead of being padded with grey.
    image = pyvips.Image.thumbnail_buffer(data, long_edge, option_string="fail_on=error", **options)
    return in_memory(to_srgb8(image))


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


def _decode_vips(data: bytes, *, fmt: str, name: str, long_edge: int, max_pixels: int) -> Decoded:
    if fmt == "gif":
        check_pixels(name, *gif_canvas(data), max_pixels)
    elif fmt == "png":
        check_png(data, name)
    elif fmt == "avif":
        check_heif_items(data, name)
    with vips_failures(name):
        header = pyvips.Image.new_from_buffer(data, "")
        width, height = _upright_size(header)
        check_pixels(name, width, height, max_pixels)
        image = thumbnail_vips(data, header, long_edge)
    return Decoded(image=image, width=width, height=height, exif=exif_of(header), path="libvips")


def _upright_size(header: pyvips.Image) -> tuple[int, int]:
    fields = header.get_fields()
    orientation = header.get("orientation") if "orientation" in fields else 1
    if orientation in _SWAPPED_ORIENTATIONS:
        return header.height, header.width
    return header.width, header.height


def _check_not_empty(data: bytes, name: str) -> None:
    if not data:
        raise CorruptImage(f"{name} is empty (0 bytes): ask for the file again")


def _no_decoder(fmt: str, name: str) -> ImagingError:
    label = FORMATS.get(fmt, repr(fmt))
    return ImagingError(
        f"{name} is {label}, which trousseau cannot decode yet: ask for a JPEG, HEIC or RAW"
    )


def _megapixels(pixels: int) -> str:
    return f"{pixels / 1e6:.0f}" if pixels >= 10_000_000 else f"{pixels / 1e6:.1f}"

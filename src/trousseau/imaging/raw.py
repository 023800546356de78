"""Developing camera RAW files (DNG, CR2, CR3, NEF, ARW, RAF, ORF, RW2) with LibRaw via rawpy.

Two ways to pixels, chosen by `RawPolicy`:

- the embedded preview: the full-size JPEG most cameras store beside the raw data, the
  camera's own rendering (its picture style, lens corrections), read in milliseconds;
- a demosaic: camera white balance, camera colour matrix to sRGB, sRGB tone curve, and no
  automatic brightening, so the exposure is the one shot and a white dress's highlights
  are not pushed into clipping (LibRaw's auto-brightening clips the brightest 1%). At
  half size (one pixel per 2x2 photosites, no interpolation, about four times faster)
  when that still covers the size needed.

Previews are stored in sensor orientation; LibRaw tags the JPEG it extracts with the raw's
orientation (the camera's own tag when the preview has one), which is applied here, unless
the preview already has the upright shape (a camera that stored it turned).

When LibRaw cannot develop the raw data (a compression it lacks, such as JPEG XL in DNG
1.7, or damaged data), the embedded preview is used instead if it covers the size needed:
`path` then says "raw-preview-fallback". A smaller preview is not passed off as the photo:
the error says how large it is and what to do.

EXIF comes from the JPEG LibRaw extracts (make, model, time, exposure, GPS); None when the
RAW has no JPEG preview. Memory: a demosaic holds the raw data and a 16-bit RGB copy of
the developed image (about 200 MB for 24 MP, a quarter at half size) until it is shrunk.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import cast

import pyvips
import rawpy

from trousseau.errors import CorruptImage, ImageTooLarge, ImagingError
from trousseau.imaging.failure import vips_failures
from trousseau.imaging.pixels import (
    Decoded,
    RawPolicy,
    check_pixels,
    exif_of,
    in_memory,
    thumbnail_vips,
    to_srgb8,
)

_FLIP_TO_ORIENTATION = {0: 1, 1: 2, 2: 4, 3: 3, 4: 5, 5: 8, 6: 6, 7: 7}
"""LibRaw's `flip` (bit 0 mirror x, bit 1 mirror y, bit 2 transpose) as an EXIF orientation."""
_SWAPPED_ORIENTATIONS = frozenset({5, 6, 7, 8})
_SRGB_GAMMA = (2.4, 12.92)
_DAMAGED = (rawpy.LibRawIOError, rawpy.LibRawDataError, rawpy.LibRawBadCropError)
_TOO_BIG = (
    rawpy.LibRawTooBigError,
    rawpy.LibRawUnsufficientMemoryError,
    rawpy.LibRawMemPoolOverflowError,
)
_LIBRAW = "LibRaw {}.{}.{}".format(*rawpy.libraw_version)


@dataclass(frozen=True)
class _Preview:
    """An embedded preview, opened lazily: its JPEG bytes (None for a bitmap) and image."""

    jpeg: bytes | None
    image: pyvips.Image

    @property
    def long_edge(self) -> int:
        edge: int = max(self.image.width, self.image.height)
        return edge


def decode_raw(
    data: bytes, *, name: str, long_edge: int, max_pixels: int, policy: RawPolicy
) -> Decoded:
    """The RAW's photo, upright, 8-bit sRGB, shrunk to `long_edge`, as `policy` prefers."""
    with _open(data, name) as raw:
        width, height = _upright_size(raw)
        check_pixels(name, width, height, max_pixels)
        target = min(long_edge, max(width, height))
        preview = _preview(raw)
        exif = exif_of(preview.image) if preview and preview.jpeg else None
        covers = preview is not None and preview.long_edge >= target
        if preview and (policy is RawPolicy.PREVIEW or (policy is RawPolicy.AUTO and covers)):
            image, path = _develop_preview(preview, raw, name, target), "raw-preview"
        else:
            try:
                image, path = _demosaic(raw, name, target, max(width, height)), "raw-demosaic"
            except rawpy.LibRawError as error:
                if preview is None or not covers:
                    raise _libraw_error(name, error, _no_fallback(preview, target)) from error
                image, path = _develop_preview(preview, raw, name, target), "raw-preview-fallback"
    return Decoded(image=image, width=width, height=height, exif=exif, path=path)


def raw_size(data: bytes, *, name: str) -> tuple[int, int]:
    """The developed image's upright width and height, from the RAW's metadata alone."""
    with _open(data, name) as raw:
        return _upright_size(raw)


def _open(data: bytes, name: str) -> rawpy.RawPy:
    try:
        return rawpy.imread(io.BytesIO(data))
    except rawpy.LibRawError as error:
        raise _libraw_error(name, error) from error


def _upright_size(raw: rawpy.RawPy) -> tuple[int, int]:
    sizes = raw.sizes
    if _FLIP_TO_ORIENTATION.get(sizes.flip, 1) in _SWAPPED_ORIENTATIONS:
        return sizes.height, sizes.width
    return sizes.width, sizes.height


def _preview(raw: rawpy.RawPy) -> _Preview | None:
    """The embedded preview, or None when there is none LibRaw and libvips can read."""
    try:
        thumb = raw.extract_thumb()
    except rawpy.LibRawError:
        return None
    try:
        if thumb.format == rawpy.ThumbFormat.JPEG:
            jpeg = cast(bytes, thumb.data)  # LibRaw hands a JPEG thumbnail over as its bytes
            return _Preview(jpeg, pyvips.Image.new_from_buffer(jpeg, ""))
        bitmap = pyvips.Image.new_from_array(thumb.data)
        interpretation = "rgb16" if bitmap.format == "ushort" else "srgb"
        return _Preview(None, bitmap.copy(interpretation=interpretation))
    except pyvips.Error:
        pyvips.vips_lib.vips_error_clear()
        return None


def _develop_preview(preview: _Preview, raw: rawpy.RawPy, name: str, target: int) -> pyvips.Image:
    """The preview shrunk to `target`, in sRGB, turned upright."""
    with vips_failures(name):
        if preview.jpeg is not None:
            image = thumbnail_vips(preview.jpeg, preview.image, target, autorotate=False)
        else:
            shrunk = preview.image.thumbnail_image(target, height=target, size="down")
            image = in_memory(to_srgb8(shrunk))
        orientation = _preview_orientation(preview, raw)
        if orientation == 1:
            return image
        image = image.copy()
        image.set_type(pyvips.GValue.gint_type, "orientation", orientation)
        return in_memory(image.autorot())


def _preview_orientation(preview: _Preview, raw: rawpy.RawPy) -> int:
    """The preview's own orientation tag, else the raw's; none if it already looks upright."""
    fields = preview.image.get_fields()
    own = preview.image.get("orientation") if "orientation" in fields else 1
    orientation = own if own != 1 else _FLIP_TO_ORIENTATION.get(raw.sizes.flip, 1)
    width, height = _upright_size(raw)
    stored = preview.image.width, preview.image.height
    turned = (
        width != height and stored[0] != stored[1] and (stored[0] > stored[1]) == (width > height)
    )
    return 1 if orientation in _SWAPPED_ORIENTATIONS and turned else orientation


def _demosaic(raw: rawpy.RawPy, name: str, target: int, full_long_edge: int) -> pyvips.Image:
    """Develop the raw data at camera white balance and exposure, then shrink to `target`."""
    rgb = raw.postprocess(
        use_camera_wb=True,
        output_color=rawpy.ColorSpace.sRGB,
        gamma=_SRGB_GAMMA,
        no_auto_bright=True,
        output_bps=16,
        half_size=full_long_edge // 2 >= target,
    )
    with vips_failures(name):
        image = pyvips.Image.new_from_array(rgb).copy(interpretation="rgb16")
        return in_memory(to_srgb8(image.thumbnail_image(target, height=target, size="down")))


def _no_fallback(preview: _Preview | None, target: int) -> str:
    if preview is None:
        return "; it embeds no preview to fall back on"
    size = f"{preview.image.width}x{preview.image.height}"
    return f"; its embedded preview ({size}) is smaller than the {target} pixels needed"


def _libraw_error(name: str, error: rawpy.LibRawError, fallback: str = "") -> ImagingError:
    reason = _reason(error)
    if isinstance(error, _DAMAGED):
        return CorruptImage(
            f"{name} is damaged or truncated ({_LIBRAW}: {reason}): ask for the file again"
        )
    if isinstance(error, _TOO_BIG):
        return ImageTooLarge(f"{name} is too large for {_LIBRAW} ({reason})")
    return ImagingError(
        f"{_LIBRAW} cannot decode {name} ({reason}){fallback}: convert it to DNG with Adobe DNG "
        "Converter (DNG 1.6 compatibility, no JPEG XL) or ask for the camera JPEG"
    )


def _reason(error: rawpy.LibRawError) -> str:
    detail = error.args[0] if error.args else type(error).__name__
    return detail.decode("utf-8", "replace") if isinstance(detail, bytes) else str(detail)

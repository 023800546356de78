"""The CPU backend: libvips decodes with shrink-on-load, resizes and encodes.

Each decoded or resized image is materialised in memory once: libvips pipelines are lazy,
and without it every variant derived from an image would decode the original again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyvips

from trousseau.errors import ImagingError
from trousseau.imaging.backend import BackendImage, DecodeRequest
from trousseau.imaging.decode import RawPolicy, decode, source_size
from trousseau.imaging.encode import encode

_CROPS = {
    "attention": pyvips.enums.Interesting.ATTENTION,
    "entropy": pyvips.enums.Interesting.ENTROPY,
    "centre": pyvips.enums.Interesting.CENTRE,
}


class VipsBackend:
    """libvips on the CPU: the default backend, and the fallback of every other."""

    name = "cpu"

    def __init__(self, *, max_pixels: int, raw_policy: str = "auto") -> None:
        self.max_pixels = max_pixels
        self.raw_policy = RawPolicy(raw_policy)

    def source_size(self, data: bytes, *, fmt: str, name: str) -> tuple[int, int]:
        return source_size(data, fmt=fmt, name=name)

    def decode_batch(self, requests: Sequence[DecodeRequest]) -> list[BackendImage | ImagingError]:
        results: list[BackendImage | ImagingError] = []
        for request in requests:
            try:
                decoded = decode(
                    request.data,
                    fmt=request.fmt,
                    name=request.name,
                    long_edge=request.long_edge,
                    max_pixels=self.max_pixels,
                    raw_policy=self.raw_policy,
                )
                image = decoded.image.copy_memory()
            except ImagingError as exc:
                results.append(exc)
                continue
            except pyvips.Error as exc:
                reason = str(exc).strip().splitlines()[0] if str(exc).strip() else "libvips error"
                results.append(ImagingError(f"{request.name}: {reason}"))
                continue
            results.append(
                BackendImage(
                    image=image,
                    width=image.width,
                    height=image.height,
                    source_width=decoded.width,
                    source_height=decoded.height,
                    exif=decoded.exif,
                    path=decoded.path,
                )
            )
        return results

    def resize(self, image: Any, width: int, height: int, *, cover: bool, crop: str) -> Any:
        if (image.width, image.height) == (width, height):
            return image
        if cover:
            resized = image.thumbnail_image(
                width, height=height, crop=_CROPS[crop], size=pyvips.enums.Size.DOWN
            )
        else:
            resized = image.resize(width / image.width, vscale=height / image.height)
        return resized.copy_memory()

    def size(self, image: Any) -> tuple[int, int]:
        return image.width, image.height

    def encode(self, image: Any, profile: Any, *, exif: bytes | None) -> bytes:
        return encode(image, profile, exif=exif)

"""Measuring photos' culling signals and culling a wedding: the I/O shell around `quality`,
`bursts` and `culling`, called by the `quality` job, `trousseau cull` and the API.

A photo is measured from its largest variant not over `SOURCE_LONGEST` pixels (the original
is never decoded again), decoded by the imaging decode (any variant format; a JPEG is shrunk
while its blocks are decoded) to the measuring scale, in grayscale. Its signals, or why its
variant could not be read, are stored once in the catalog.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import cv2
import numpy as np

from trousseau.analysis.bursts import perceptual_hash
from trousseau.analysis.culling import Culling, cull
from trousseau.analysis.quality import LONG_SIDE, measure
from trousseau.catalog import (
    Catalog,
    Signals,
    Variant,
    photos_by_id,
    photos_to_measure,
    record_quality,
    subject_sharpness,
    variants_by_photo,
    wedding_quality,
)
from trousseau.errors import BlobCorrupt, BlobMissing, ImagingError, InvalidValue
from trousseau.imaging import decode, decode_rgb
from trousseau.vault import Vault

SOURCE_LONGEST = 2048
"""The largest variant a photo is measured from (long side, pixels)."""


def source_variant(variants: Sequence[Variant]) -> Variant | None:
    """The largest variant not over SOURCE_LONGEST px on its long side (else the smallest)."""
    fitting = [v for v in variants if max(v.width, v.height) <= SOURCE_LONGEST]
    if fitting:
        return max(fitting, key=lambda v: max(v.width, v.height))
    return min(variants, key=lambda v: max(v.width, v.height)) if variants else None


def measure_photo(
    catalog: Catalog, vault: Vault, photo_id: int, *, clock: Callable[[], datetime]
) -> bool:
    """Measure one photo and store its signals, or why its variant could not be read.

    False when nothing was stored: the photo is gone, or has no variant yet. A variant that
    is missing, damaged or undecodable is recorded as the photo's error (it is not retried);
    any other failure (an unreachable vault or catalog) is raised for the job to retry.
    """
    with catalog.begin() as conn:
        photo = photos_by_id(conn, [photo_id]).get(photo_id)
        variants = variants_by_photo(conn, [photo_id]).get(photo_id, [])
    source = source_variant(variants)
    if photo is None or source is None:
        return False
    signals, error = _signals(vault, source)
    with catalog.begin() as conn:
        record_quality(
            conn,
            photo_id=photo_id,
            wedding_id=photo.wedding_id,
            now=clock(),
            source=source.profile,
            signals=signals,
            error=error,
        )
    return True


def gray_pixels(data: bytes, *, fmt: str, name: str, max_pixels: int) -> np.ndarray:
    """An image's 8-bit grayscale pixels at LONG_SIDE px at most, through the imaging decode
    (any variant format, shrunk while decoding where the format allows; transparency
    flattened on white). ImagingError names `name` when it cannot be decoded."""
    image = _flat(data, fmt=fmt, name=name, long_edge=LONG_SIDE, max_pixels=max_pixels)
    gray = image.colourspace("b-w")[0].cast("uchar")
    return np.ndarray(
        buffer=gray.write_to_memory(), dtype=np.uint8, shape=(gray.height, gray.width)
    )


def colour_pixels(
    data: bytes,
    *,
    fmt: str,
    name: str,
    long_edge: int,
    max_pixels: int,
    raw_policy: str = "auto",
) -> np.ndarray:
    """An image's upright 8-bit BGR pixels (OpenCV's order) at `long_edge` px at most,
    through the imaging decode (every camera format, a RAW one by `raw_policy` as its
    variants were; grey made sRGB; transparency flattened on white). ImagingError names
    `name` when it cannot be decoded."""
    rgb = decode_rgb(
        data,
        fmt=fmt,
        name=name,
        long_edge=long_edge,
        max_pixels=max_pixels,
        raw_policy=raw_policy,
    )
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)


def _flat(data: bytes, *, fmt: str, name: str, long_edge: int, max_pixels: int) -> Any:
    """The imaging decode's upright sRGB image, transparency flattened on white."""
    image = decode(data, fmt=fmt, name=name, long_edge=long_edge, max_pixels=max_pixels).image
    return image.flatten(background=[255, 255, 255]) if image.hasalpha() else image


def culling_of(
    catalog: Catalog,
    vault: Vault,
    wedding_id: int,
    *,
    clock: Callable[[], datetime],
    measure_missing: bool,
) -> Culling:
    """The wedding culled from its stored signals; with `measure_missing`, photos rendered
    but not measured yet (ingested before their `quality` job existed, or with
    analysis.culling off) and those whose variant could not be read last time are measured
    first."""
    if measure_missing:
        with catalog.begin() as conn:
            missing = photos_to_measure(conn, wedding_id, again_failed=True)
        for photo_id in missing:
            measure_photo(catalog, vault, photo_id, clock=clock)
    with catalog.begin() as conn:
        rows = wedding_quality(conn, wedding_id)
        subjects = subject_sharpness(conn, wedding_id)
    return cull(rows, subjects=subjects)


def _signals(vault: Vault, source: Variant) -> tuple[Signals | None, str | None]:
    name = f"variant {source.profile} ({source.format})"
    try:
        data = vault.get_bytes(source.sha256)
        pixels = gray_pixels(data, fmt=source.format, name=name,
                             max_pixels=max(1, source.width * source.height))  # fmt: skip
        q = measure(pixels)
    except (BlobMissing, BlobCorrupt, ImagingError, InvalidValue) as exc:
        return None, (
            f"{name} could not be measured ({type(exc).__name__}: {exc}); `trousseau verify` "
            "checks the vault, and `trousseau cull` measures it again once it reads"
        )
    signals = Signals(**dataclasses.asdict(q), dhash=perceptual_hash(pixels))
    return signals, None

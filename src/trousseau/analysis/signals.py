"""Measuring photos' culling signals and culling a wedding: the I/O shell around `quality`,
`bursts` and `culling`, called by the `quality` job, `trousseau cull` and the API.

A photo is measured from its largest variant not over `SOURCE_LONGEST` pixels (the original
is never decoded again), read in grayscale and, when it is at least twice the measuring
scale, decoded at half size (a JPEG's decoder scales its blocks for free). Its signals, or
why its variant could not be read, are stored once in the catalog.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

import cv2
import numpy as np

from trousseau.analysis.bursts import perceptual_hash
from trousseau.analysis.culling import REJECT_BELOW, Culling, cull
from trousseau.analysis.quality import LONG_SIDE, measure
from trousseau.catalog import (
    Catalog,
    Signals,
    Variant,
    photos_by_id,
    photos_to_measure,
    record_quality,
    variants_by_photo,
    wedding_quality,
)
from trousseau.errors import BlobCorrupt, BlobMissing, InvalidValue
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


def culling_of(
    catalog: Catalog,
    vault: Vault,
    wedding_id: int,
    *,
    clock: Callable[[], datetime],
    measure_missing: bool,
    reject_below: float = REJECT_BELOW,
) -> Culling:
    """The wedding culled from its stored signals; with `measure_missing`, photos rendered
    but not measured yet (ingested before their `quality` job existed) are measured first."""
    if measure_missing:
        with catalog.begin() as conn:
            missing = photos_to_measure(conn, wedding_id)
        for photo_id in missing:
            measure_photo(catalog, vault, photo_id, clock=clock)
    with catalog.begin() as conn:
        rows = wedding_quality(conn, wedding_id)
    return cull(rows, reject_below=reject_below)


def _signals(vault: Vault, source: Variant) -> tuple[Signals | None, str | None]:
    try:
        data = vault.get_bytes(source.sha256)
    except (BlobMissing, BlobCorrupt) as exc:
        return None, f"variant {source.profile} unreadable: {exc}"
    reduced = max(source.width, source.height) >= 2 * LONG_SIDE
    flag = cv2.IMREAD_REDUCED_GRAYSCALE_2 if reduced else cv2.IMREAD_GRAYSCALE
    pixels = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), flag)
    if pixels is None:
        return None, f"variant {source.profile} ({source.format}) could not be decoded"
    try:
        q = measure(pixels)
    except InvalidValue as exc:
        return None, f"variant {source.profile}: {exc}"
    signals = Signals(
        sharpness=q.sharpness,
        motion_blur=q.motion_blur,
        mean_luminance=q.mean_luminance,
        highlights=q.highlights,
        shadows=q.shadows,
        noise=q.noise,
        keep_score=q.keep_score,
        reasons=q.reasons,
        dhash=perceptual_hash(pixels),
    )
    return signals, None

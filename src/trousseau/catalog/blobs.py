"""The vault blobs the catalog refers to: every original and every variant, by key."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import Connection, func, select

from trousseau.catalog.schema import photo, variant


class ReferencedBlob(NamedTuple):
    """A blob a catalog row refers to, and which row, in words for a report."""

    sha256: str
    what: str


def referenced_blobs(conn: Connection) -> list[ReferencedBlob]:
    """Every blob a photo or variant row names: originals in photo order, then variants.

    A key named by several rows is listed once per row, so a report can name each of them.
    Only the three columns needed are read, so a catalog of millions stays cheap to list.
    """
    originals = conn.execute(
        select(photo.c.sha256, photo.c.original_name, photo.c.id).order_by(photo.c.id)
    )
    blobs = [
        ReferencedBlob(sha, f"original {name} (photo {photo_id})")
        for sha, name, photo_id in originals
    ]
    variants = conn.execute(
        select(variant.c.sha256, variant.c.profile, variant.c.photo_id).order_by(variant.c.id)
    )
    blobs += [
        ReferencedBlob(sha, f"{profile} variant of photo {photo_id}")
        for sha, profile, photo_id in variants
    ]
    return blobs


def stored_bytes(conn: Connection) -> int:
    """Bytes the catalog accounts for: every original plus every variant (`/metrics`)."""
    originals = conn.execute(select(func.coalesce(func.sum(photo.c.bytes), 0))).scalar_one()
    variants = conn.execute(select(func.coalesce(func.sum(variant.c.bytes), 0))).scalar_one()
    return int(originals) + int(variants)

"""Erasing a wedding from the catalog: its rows go, and the blobs nobody else names are told.

The vault shares blobs across weddings (the same photo delivered to two couples is stored
once), so the blobs to delete are those the erased rows named and no remaining row names:
reference counting done by the catalog, in the transaction that deletes the rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, delete, select, union

from trousseau.catalog.faces import erase_wedding_faces
from trousseau.catalog.quality import erase_wedding_quality
from trousseau.catalog.schema import (
    backup_change,
    event,
    form_document,
    photo,
    upload,
    variant,
    wedding,
)


@dataclass(frozen=True)
class ErasedRows:
    """What an erasure removed from the catalog, and the blobs no row names any more."""

    photos: int
    variants: int
    uploads: int
    events: int
    changes: int
    unreferenced: tuple[str, ...]
    """Blobs only the erased wedding named: the vault may delete them."""
    shared: int = 0
    """Blobs of the wedding that other rows still name: they stay."""


def erase_wedding_rows(conn: Connection, *, tenant_id: int, wedding_id: int) -> ErasedRows:
    """Delete a wedding and everything the catalog holds of it (jobs first: `jobs` owns them).

    The caller deletes the wedding's jobs in the same transaction before this runs.
    """
    photos = select(photo.c.id).where(
        photo.c.wedding_id == wedding_id, photo.c.tenant_id == tenant_id
    )
    named = set(
        conn.execute(
            union(
                select(photo.c.sha256).where(photo.c.id.in_(photos)),
                select(variant.c.sha256).where(variant.c.photo_id.in_(photos)),
                select(form_document.c.sha256).where(
                    form_document.c.wedding_id == wedding_id,
                    form_document.c.tenant_id == tenant_id,
                ),
            )
        ).scalars()
    )
    conn.execute(
        delete(form_document).where(
            form_document.c.wedding_id == wedding_id, form_document.c.tenant_id == tenant_id
        )
    )
    erase_wedding_faces(conn, wedding_id)
    erase_wedding_quality(conn, wedding_id)
    variants = conn.execute(delete(variant).where(variant.c.photo_id.in_(photos))).rowcount
    uploads = conn.execute(delete(upload).where(upload.c.wedding_id == wedding_id)).rowcount
    events = conn.execute(delete(event).where(event.c.wedding_id == wedding_id)).rowcount
    changes = conn.execute(
        delete(backup_change).where(backup_change.c.wedding_id == wedding_id)
    ).rowcount
    count = conn.execute(
        delete(photo).where(photo.c.wedding_id == wedding_id, photo.c.tenant_id == tenant_id)
    ).rowcount
    conn.execute(
        delete(wedding).where(wedding.c.id == wedding_id, wedding.c.tenant_id == tenant_id)
    )
    still: set[str] = set()
    if named:
        still = set(
            conn.execute(
                union(
                    select(photo.c.sha256).where(photo.c.sha256.in_(named)),
                    select(variant.c.sha256).where(variant.c.sha256.in_(named)),
                    select(form_document.c.sha256).where(form_document.c.sha256.in_(named)),
                )
            ).scalars()
        )
    return ErasedRows(
        photos=count or 0,
        variants=variants or 0,
        uploads=uploads or 0,
        events=events or 0,
        changes=changes or 0,
        unreferenced=tuple(sorted(named - still)),
        shared=len(named & still),
    )

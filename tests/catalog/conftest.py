"""Helpers other catalog-using tests share."""

from __future__ import annotations

from datetime import date


def wedding_with_photos(conn, clock, slug: str, *, faces: bool, photos: int = 3):
    """A wedding of tenant "studio" (2027-06-19, UTC, standard delivery) with `photos`
    photos named IMG_0.JPG ...; returns the wedding and the photos' ids."""
    from trousseau.catalog import create_wedding, ensure_tenant, insert_photo

    tenant = ensure_tenant(conn, "studio", now=clock())
    wedding = create_wedding(
        conn,
        tenant.id,
        slug,
        on=date(2027, 6, 19),
        timezone="UTC",
        delivery_sla="standard",
        now=clock(),
        faces=faces,
    )
    ids = [
        insert_photo(
            conn,
            tenant_id=tenant.id,
            wedding_id=wedding.id,
            sha256=f"{slug}{i}".ljust(64, "0"),
            original_name=f"IMG_{i}.JPG",
            size=10,
            fmt="jpeg",
            now=clock(),
        )
        for i in range(photos)
    ]
    return wedding, ids

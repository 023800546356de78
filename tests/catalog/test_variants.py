"""Variants: read for a page of photos at once, and counted per wedding."""

from __future__ import annotations

from datetime import date

from trousseau.catalog import (
    count_variants_by_wedding,
    create_wedding,
    ensure_tenant,
    insert_photo,
    record_variant,
    variants_by_photo,
)


def _setup(conn, clock):
    """Two weddings: w1 with photos p1 (web, thumb) and p2 (none), w2 with p3 (web)."""
    tenant = ensure_tenant(conn, "studio", now=clock())
    weddings = [
        create_wedding(
            conn,
            tenant.id,
            slug,
            on=date(2026, 6, 13),
            timezone="UTC",
            delivery_sla="standard",
            now=clock(),
        )
        for slug in ("w1", "w2", "empty")
    ]
    photos = [
        insert_photo(
            conn,
            tenant_id=tenant.id,
            wedding_id=wedding.id,
            sha256=sha * 64,
            original_name=f"{sha}.jpg",
            size=10,
            fmt="jpeg",
            now=clock(),
        )
        for wedding, sha in ((weddings[0], "a"), (weddings[0], "b"), (weddings[1], "c"))
    ]
    for photo_id, profile in ((photos[0], "web"), (photos[0], "thumb"), (photos[2], "web")):
        record_variant(
            conn,
            photo_id=photo_id,
            profile=profile,
            fmt="jpeg",
            sha256=f"{photo_id:x}{profile}".ljust(64, "0"),
            size=3,
            width=2,
            height=1,
            now=clock(),
        )
    return weddings, photos


def test_the_variants_of_several_photos_come_in_one_read_by_profile(catalog, clock):
    with catalog.begin() as conn:
        _, (p1, p2, p3) = _setup(conn, clock)
    with catalog.begin() as conn:
        found = variants_by_photo(conn, [p1, p2, p3])
        assert variants_by_photo(conn, []) == {}
    assert sorted(found) == [p1, p3], "a photo without variants is absent"
    assert [v.profile for v in found[p1]] == ["thumb", "web"]
    assert [(v.photo_id, v.profile, v.bytes) for v in found[p3]] == [(p3, "web", 3)]


def test_variants_are_counted_per_wedding_with_every_id_present(catalog, clock):
    with catalog.begin() as conn:
        (w1, w2, empty), _ = _setup(conn, clock)
    with catalog.begin() as conn:
        counts = count_variants_by_wedding(conn, [w1.id, w2.id, empty.id])
        assert count_variants_by_wedding(conn, []) == {}
    assert counts == {w1.id: 2, w2.id: 1, empty.id: 0}

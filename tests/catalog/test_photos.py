"""Photos: states stored as the text they always were, and the blobs the catalog refers to."""

from __future__ import annotations

from datetime import date

from sqlalchemy import text

from trousseau.catalog import (
    PhotoState,
    ReferencedBlob,
    count_photos_by_state,
    create_wedding,
    ensure_tenant,
    get_photo,
    insert_photo,
    iter_photos,
    record_variant,
    referenced_blobs,
    set_photo_state,
)


def _photo(conn, wedding, sha: str, now) -> int:
    return insert_photo(
        conn,
        tenant_id=wedding.tenant_id,
        wedding_id=wedding.id,
        sha256=sha,
        original_name=f"{sha[:4]}.jpg",
        size=10,
        fmt="jpeg",
        now=now,
    )


def test_photo_states_are_stored_as_text_and_read_back_as_the_enum(catalog, clock):
    assert [s.value for s in PhotoState] == ["stored", "processed", "failed"]
    with catalog.begin() as conn:
        tenant = ensure_tenant(conn, "studio", now=clock())
        wedding = create_wedding(
            conn,
            tenant.id,
            "w",
            on=date(2026, 6, 13),
            timezone="UTC",
            delivery_sla="standard",
            now=clock(),
        )
        a = _photo(conn, wedding, "a" * 64, clock())
        b = _photo(conn, wedding, "b" * 64, clock())
        c = _photo(conn, wedding, "c" * 64, clock())
        set_photo_state(conn, b, PhotoState.PROCESSED)
        set_photo_state(conn, c, PhotoState.FAILED, error="cannot decode")
    with catalog.begin() as conn:
        raw = [r[0] for r in conn.execute(text("SELECT state FROM photo ORDER BY id"))]
        photo = get_photo(conn, c)
        states = [p.state for p in iter_photos(conn)]
        counts = count_photos_by_state(conn, wedding_id=wedding.id)
    assert raw == ["stored", "processed", "failed"]
    assert photo is not None and photo.state is PhotoState.FAILED and photo.error == "cannot decode"
    assert states == [PhotoState.STORED, PhotoState.PROCESSED, PhotoState.FAILED]
    assert counts == {PhotoState.STORED: 1, PhotoState.PROCESSED: 1, PhotoState.FAILED: 1}
    assert all(type(k) is PhotoState for k in counts) and a < b < c


def test_referenced_blobs_name_every_original_then_every_variant(catalog, clock):
    with catalog.begin() as conn:
        assert referenced_blobs(conn) == []
        tenant = ensure_tenant(conn, "studio", now=clock())
        wedding = create_wedding(
            conn,
            tenant.id,
            "w",
            on=date(2026, 6, 13),
            timezone="UTC",
            delivery_sla="standard",
            now=clock(),
        )
        a = _photo(conn, wedding, "a" * 64, clock())
        b = _photo(conn, wedding, "b" * 64, clock())
        for profile, sha in (("web", "c" * 64), ("thumb", "a" * 64)):
            record_variant(
                conn,
                photo_id=b,
                profile=profile,
                fmt="jpeg",
                sha256=sha,
                size=1,
                width=1,
                height=1,
                now=clock(),
            )
    with catalog.begin() as conn:
        blobs = referenced_blobs(conn)
    assert blobs == [
        ReferencedBlob("a" * 64, f"original aaaa.jpg (photo {a})"),
        ReferencedBlob("b" * 64, f"original bbbb.jpg (photo {b})"),
        ReferencedBlob("c" * 64, f"web variant of photo {b}"),
        ReferencedBlob("a" * 64, f"thumb variant of photo {b}"),
    ]

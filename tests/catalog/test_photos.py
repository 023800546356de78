"""Photos: states stored as the text they always were, and the blobs the catalog refers to."""

from __future__ import annotations

from datetime import date

from sqlalchemy import text

from trousseau.catalog import (
    FailedPhoto,
    PhotoState,
    ReferencedBlob,
    count_photos_by_state,
    count_photos_by_wedding,
    create_wedding,
    ensure_tenant,
    failed_photos,
    get_photo,
    insert_photo,
    iter_photos,
    page_photos,
    record_variant,
    referenced_blobs,
    set_photo_state,
    stored_bytes,
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


def _wedding(conn, tenant_id: int, slug: str, now):
    return create_wedding(
        conn,
        tenant_id,
        slug,
        on=date(2026, 6, 13),
        timezone="UTC",
        delivery_sla="standard",
        now=now,
    )


def test_photos_come_in_keyset_pages_of_the_tenants_wedding(catalog, clock):
    with catalog.begin() as conn:
        a = ensure_tenant(conn, "studio-a", now=clock())
        b = ensure_tenant(conn, "studio-b", now=clock())
        wedding = _wedding(conn, a.id, "w", clock())
        other = _wedding(conn, a.id, "other", clock())
        ids = [_photo(conn, wedding, f"{i:x}" * 64, clock()) for i in range(5)]
        _photo(conn, other, "f" * 64, clock())
        set_photo_state(conn, ids[3], PhotoState.FAILED, error="cannot decode")
    with catalog.begin() as conn:
        first = page_photos(conn, tenant_id=a.id, wedding_id=wedding.id, limit=2)
        second = page_photos(conn, tenant_id=a.id, wedding_id=wedding.id, after=ids[1], limit=2)
        rest = page_photos(conn, tenant_id=a.id, wedding_id=wedding.id, after=ids[3])
        failed = page_photos(conn, tenant_id=a.id, wedding_id=wedding.id, state=PhotoState.FAILED)
        stranger = page_photos(conn, tenant_id=b.id, wedding_id=wedding.id)
    assert [p.id for p in first] == ids[:2]
    assert [p.id for p in second] == ids[2:4]
    assert [p.id for p in rest] == ids[4:]
    assert [(p.id, p.state, p.error) for p in failed] == [
        (ids[3], PhotoState.FAILED, "cannot decode")
    ]
    assert stranger == [], "another tenant's wedding id yields nothing"


def test_photos_are_counted_by_state_for_several_weddings_at_once(catalog, clock):
    with catalog.begin() as conn:
        tenant = ensure_tenant(conn, "studio", now=clock())
        w1 = _wedding(conn, tenant.id, "w1", clock())
        w2 = _wedding(conn, tenant.id, "w2", clock())
        empty = _wedding(conn, tenant.id, "empty", clock())
        for i in range(3):
            _photo(conn, w1, f"{i:x}" * 64, clock())
        done = _photo(conn, w2, "a" * 64, clock())
        set_photo_state(conn, done, PhotoState.PROCESSED)
        _photo(conn, w2, "b" * 64, clock())
    with catalog.begin() as conn:
        counts = count_photos_by_wedding(conn, [w1.id, w2.id, empty.id])
        assert count_photos_by_wedding(conn, []) == {}
    assert counts == {
        w1.id: {PhotoState.STORED: 3},
        w2.id: {PhotoState.PROCESSED: 1, PhotoState.STORED: 1},
        empty.id: {},
    }
    assert all(type(state) is PhotoState for c in counts.values() for state in c)


def test_failed_photos_are_the_newest_first_of_a_tenant_or_of_all(catalog, clock):
    with catalog.begin() as conn:
        a = ensure_tenant(conn, "studio-a", now=clock())
        b = ensure_tenant(conn, "studio-b", now=clock())
        wa = _wedding(conn, a.id, "ana-ben", clock())
        wb = _wedding(conn, b.id, "cleo-dan", clock())
        first = _photo(conn, wa, "a" * 64, clock())
        _photo(conn, wa, "b" * 64, clock())  # stored: not a failure
        second = _photo(conn, wa, "c" * 64, clock())
        theirs = _photo(conn, wb, "d" * 64, clock())
        for photo_id in (first, second, theirs):
            set_photo_state(conn, photo_id, PhotoState.FAILED, error=f"bad {photo_id}")
    with catalog.begin() as conn:
        mine = failed_photos(conn, tenant_id=a.id)
        every = failed_photos(conn, tenant_id=None, limit=2)
    assert mine == [
        FailedPhoto(second, "ana-ben", "cccc.jpg", f"bad {second}"),
        FailedPhoto(first, "ana-ben", "aaaa.jpg", f"bad {first}"),
    ]
    assert [(f.id, f.wedding) for f in every] == [(theirs, "cleo-dan"), (second, "ana-ben")]


def test_stored_bytes_add_every_original_and_every_variant(catalog, clock):
    with catalog.begin() as conn:
        assert stored_bytes(conn) == 0
        tenant = ensure_tenant(conn, "studio", now=clock())
        wedding = _wedding(conn, tenant.id, "w", clock())
        photo_id = _photo(conn, wedding, "a" * 64, clock())  # 10 bytes
        _photo(conn, wedding, "b" * 64, clock())  # 10 bytes
        record_variant(
            conn,
            photo_id=photo_id,
            profile="web",
            fmt="jpeg",
            sha256="c" * 64,
            size=7,
            width=1,
            height=1,
            now=clock(),
        )
        assert stored_bytes(conn) == 27

"""Photo states: a StrEnum read back from the table, stored as the text it always was."""

from __future__ import annotations

from datetime import date

from sqlalchemy import text

from trousseau.catalog import (
    PhotoState,
    count_photos_by_state,
    create_wedding,
    ensure_tenant,
    get_photo,
    insert_photo,
    iter_photos,
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

"""Resumable upload records on both backends: random ids, tenant scoping, expiry, completion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from trousseau.catalog import (
    create_resumable_upload,
    create_wedding,
    delete_resumable_upload,
    ensure_tenant,
    expired_resumable_uploads,
    extend_resumable_upload,
    find_resumable_upload,
    get_resumable_upload,
    known_resumable_uploads,
)
from trousseau.errors import NotFound

NOW = datetime(2026, 6, 13, 15, 0, tzinfo=UTC)


def _new(conn, tenant_id: int, wedding_id: int, expires_in: timedelta):
    return create_resumable_upload(
        conn,
        tenant_id=tenant_id,
        wedding_id=wedding_id,
        name="IMG_0001.JPG",
        length=1234,
        sha256=None,
        metadata="filename SU1HXzAwMDEuSlBH",
        now=NOW,
        expires_at=NOW + expires_in,
    )


def test_records_are_scoped_expire_and_are_forgotten(catalog):
    with catalog.begin() as conn:
        owner = ensure_tenant(conn, "studio-a", now=NOW)
        rival = ensure_tenant(conn, "studio-b", now=NOW)
        wedding = create_wedding(
            conn, owner.id, "w", on=NOW.date(), timezone="UTC", delivery_sla="standard", now=NOW
        )
        soon = _new(conn, owner.id, wedding.id, timedelta(hours=1))
        later = _new(conn, owner.id, wedding.id, timedelta(hours=2))
    assert soon.id != later.id and len(soon.id) == 24
    assert (soon.wedding_slug, soon.length, soon.complete) == ("w", 1234, False)
    with catalog.begin() as conn:
        assert get_resumable_upload(conn, soon.id, tenant_id=owner.id) == soon
        assert find_resumable_upload(conn, soon.id, tenant_id=rival.id) is None
        with pytest.raises(NotFound):
            get_resumable_upload(conn, soon.id, tenant_id=rival.id)
        assert expired_resumable_uploads(conn, now=NOW + timedelta(hours=1)) == [soon.id]
        extend_resumable_upload(conn, soon.id, expires_at=NOW + timedelta(hours=3))
        assert expired_resumable_uploads(conn, now=NOW + timedelta(hours=2)) == [later.id]
        assert known_resumable_uploads(conn, [soon.id, "nope"]) == {soon.id}
        assert delete_resumable_upload(conn, soon.id)
        assert not delete_resumable_upload(conn, soon.id)
        assert find_resumable_upload(conn, soon.id, tenant_id=None) is None

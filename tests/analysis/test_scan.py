"""The scan's shell: a variant that cannot be decoded is recorded with its reason and not
tried again, a photo without variants waits, a wedding without the opt-in is refused."""

from __future__ import annotations

from datetime import date

import pytest

from trousseau.analysis import scan_faces
from trousseau.catalog import (
    create_wedding,
    ensure_tenant,
    insert_photo,
    photos_to_scan,
    record_variant,
    scan_failures,
)
from trousseau.errors import FacesDisabled
from trousseau.vault import open_vault


def test_unreadable_variants_are_recorded_and_photos_without_variants_wait(
    catalog, clock, tmp_path
) -> None:
    vault = open_vault((tmp_path / "vault").as_uri())
    garbage = vault.put_bytes(b"not an image at all")
    with catalog.begin() as conn:
        tenant = ensure_tenant(conn, "studio", now=clock())
        wedding = create_wedding(
            conn,
            tenant.id,
            "w",
            on=date(2027, 6, 19),
            timezone="UTC",
            delivery_sla="standard",
            now=clock(),
            faces=True,
        )
        off = create_wedding(
            conn,
            tenant.id,
            "off",
            on=date(2027, 6, 19),
            timezone="UTC",
            delivery_sla="standard",
            now=clock(),
        )
        ids = [
            insert_photo(
                conn,
                tenant_id=tenant.id,
                wedding_id=wedding.id,
                sha256=f"{i}".ljust(64, "0"),
                original_name=f"IMG_{i}.JPG",
                size=1,
                fmt="jpeg",
                now=clock(),
            )
            for i in range(2)
        ]
        record_variant(
            conn,
            photo_id=ids[0],
            profile="reception",
            fmt="jpeg",
            sha256=garbage.sha256,
            size=garbage.size,
            width=2048,
            height=1365,
            now=clock(),
        )
    report = scan_faces(catalog, vault, wedding, clock=clock, threshold=0.46)
    assert report.photos == 1 and report.waiting == 1 and report.faces == 0
    assert report.failed == [("IMG_0.JPG", "variant reception could not be decoded")]
    with catalog.begin() as conn:
        assert [pid for pid, _ in photos_to_scan(conn, wedding.id)] == [ids[1]]
        assert scan_failures(conn, wedding.id) == report.failed
    again = scan_faces(catalog, vault, wedding, clock=clock, threshold=0.46)
    assert again.photos == 0 and again.waiting == 1  # not tried again
    with pytest.raises(FacesDisabled, match="opt in"):
        scan_faces(catalog, vault, off, clock=clock, threshold=0.46)
    vault.close()

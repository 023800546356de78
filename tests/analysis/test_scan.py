"""The scan's shell: a variant that cannot be decoded is recorded with its reason and not
tried again, a photo without variants waits, a wedding without the opt-in is refused."""

from __future__ import annotations

import pytest

from trousseau.analysis import scan_faces
from trousseau.catalog import (
    photos_to_scan,
    record_variant,
    scan_failures,
)
from trousseau.errors import FacesDisabled
from trousseau.vault import open_vault

from ..catalog.conftest import wedding_with_photos


def test_unreadable_variants_are_recorded_and_photos_without_variants_wait(
    catalog, clock, tmp_path
) -> None:
    vault = open_vault((tmp_path / "vault").as_uri())
    garbage = vault.put_bytes(b"not an image at all")
    with catalog.begin() as conn:
        wedding, ids = wedding_with_photos(conn, clock, "w", faces=True, photos=2)
        off, _ = wedding_with_photos(conn, clock, "off", faces=False, photos=0)
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

"""The scan's shell: a variant that cannot be decoded is recorded with its reason and not
tried again, a photo without variants waits, a wedding without the opt-in is refused."""

from __future__ import annotations

from datetime import date

import pytest

from trousseau.analysis import scan_faces
from trousseau.catalog import (
    photos_to_scan,
    record_variant,
    scan_failures,
    wedding_faces,
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


@pytest.fixture
def vault(tmp_path):
    opened = open_vault((tmp_path / "vault").as_uri())
    yield opened
    opened.close()


def _crowd_photo(catalog, clock, vault, shared_data, original: bytes):
    """A wedding whose one photo is a 6000x4000 crowd frame stored as `original`, with its
    3000 px variant: guests of 40 and 80 px, the first lost by the variant."""
    import cv2

    from trousseau.catalog import create_wedding, ensure_tenant, insert_photo

    from .test_faces import _crowd, _variant

    frame = _crowd(shared_data, (40, 80))
    variant = vault.put_bytes(
        cv2.imencode(".jpg", _variant(frame), [cv2.IMWRITE_JPEG_QUALITY, 92])[1].tobytes()
    )
    stored = vault.put_bytes(original or cv2.imencode(".jpg", frame)[1].tobytes())
    with catalog.begin() as conn:
        tenant = ensure_tenant(conn, "studio", now=clock())
        wedding = create_wedding(
            conn, tenant.id, "crowd", on=date(2027, 6, 19), timezone="UTC",
            delivery_sla="standard", now=clock(), faces=True,
        )  # fmt: skip
        photo_id = insert_photo(
            conn, tenant_id=tenant.id, wedding_id=wedding.id, sha256=stored.sha256,
            original_name="CROWD.JPG", size=stored.size, fmt="jpeg", now=clock(),
            width=6000, height=4000,
        )  # fmt: skip
        record_variant(
            conn, photo_id=photo_id, profile="portrait", fmt="jpeg", sha256=variant.sha256,
            size=variant.size, width=3000, height=2000, now=clock(),
        )  # fmt: skip
    return wedding


def test_a_crowd_is_read_from_its_original_and_every_guest_recorded(
    catalog, clock, vault, shared_data
) -> None:
    wedding = _crowd_photo(catalog, clock, vault, shared_data, b"")
    report = scan_faces(catalog, vault, wedding, clock=clock, threshold=0.42)
    assert (report.photos, report.faces, report.originals) == (1, 2, 1)
    assert report.unread_originals == []
    with catalog.begin() as conn:
        boxes = sorted(round(f.box[0], -2) for f in wedding_faces(conn, wedding.id))
    assert boxes == [800, 2300]  # in the original's pixels


def test_a_crowd_whose_original_is_damaged_keeps_its_variants_faces(
    catalog, clock, vault, shared_data
) -> None:
    wedding = _crowd_photo(catalog, clock, vault, shared_data, b"\xff\xd8\xff not a jpeg")
    report = scan_faces(catalog, vault, wedding, clock=clock, threshold=0.42)
    assert (report.photos, report.faces, report.originals) == (1, 1, 0)
    ((name, reason),) = report.unread_originals
    assert name == "CROWD.JPG" and "CROWD.JPG" in reason
    assert report.failed == []


def test_a_vault_that_does_not_answer_is_raised_for_a_retry(
    catalog, clock, vault, shared_data
) -> None:
    """Not a damaged original: the photo is not marked scanned without it."""
    from trousseau.catalog import photos_by_id
    from trousseau.errors import VaultError

    wedding = _crowd_photo(catalog, clock, vault, shared_data, b"")
    with catalog.begin() as conn:
        ((photo_id, _),) = photos_to_scan(conn, wedding.id)
        original = photos_by_id(conn, [photo_id])[photo_id].sha256

    class Unanswering:
        def __getattr__(self, name):
            return getattr(vault, name)

        def get_bytes(self, sha256, **kwargs):
            if sha256 == original:
                raise VaultError("the store did not answer: try again")
            return vault.get_bytes(sha256, **kwargs)

    with pytest.raises(VaultError, match="did not answer"):
        scan_faces(catalog, Unanswering(), wedding, clock=clock, threshold=0.42)
    with catalog.begin() as conn:
        assert [p for p, _ in photos_to_scan(conn, wedding.id)] == [photo_id]


def test_an_original_over_the_cascades_edge_is_read_reduced_by_the_variants_raw_policy(
    catalog, clock, vault, shared_data, monkeypatch
) -> None:
    """A 100 MP frame or a panorama is not held at full size; the boxes still come in the
    original's pixels; a RAW original is decoded as its variants were."""
    from trousseau.analysis import Cascade, FaceAnalyser
    from trousseau.analysis import scan as scan_module

    reads = []
    real = scan_module.colour_pixels

    def spied(data, **kwargs):
        pixels = real(data, **kwargs)
        reads.append((kwargs["long_edge"], kwargs["raw_policy"], pixels.shape[:2]))
        return pixels

    monkeypatch.setattr(scan_module, "colour_pixels", spied)
    wedding = _crowd_photo(catalog, clock, vault, shared_data, b"")
    analyser = FaceAnalyser(Cascade(original_edge=5000))
    report = scan_faces(
        catalog, vault, wedding, clock=clock, threshold=0.42, analyser=analyser,
        raw_policy="demosaic",
    )  # fmt: skip
    assert reads == [(5000, "demosaic", (3333, 5000))]
    assert (report.faces, report.originals) == (2, 1)
    with catalog.begin() as conn:
        boxes = sorted(round(f.box[0], -2) for f in wedding_faces(conn, wedding.id))
    assert boxes == [800, 2300]  # in the original's pixels, not the reduced read's


def test_a_cascade_refuses_an_original_edge_under_one_pixel() -> None:
    from trousseau.analysis import Cascade

    with pytest.raises(ValueError, match="original_edge"):
        Cascade(original_edge=0)

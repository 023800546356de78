"""The `quality` job end to end: it follows every photo's variants, stores the photo's
signals from a variant, records an unreadable variant with its reason instead of failing,
and is not enqueued when analysis.culling is off."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from trousseau.analysis import Verdict, culling_of
from trousseau.catalog import iter_photos, variants_of, wedding_quality
from trousseau.jobs import DONE, list_jobs
from trousseau.kinds import Kind

from ..ingest.conftest import make_jpeg
from .conftest import ingest_and_work


def test_every_photo_is_measured_after_its_variants(tmp_path, catalog, vault, settings, clock):
    sharp = make_jpeg(tmp_path / "IMG_0001.JPG", seed=1, size=(3000, 2000))
    pixels = cv2.imread(str(sharp))
    blurred = tmp_path / "IMG_0002.JPG"
    cv2.imwrite(str(blurred), cv2.GaussianBlur(pixels, (0, 0), 8))
    wedding_id = ingest_and_work([sharp, blurred], catalog, vault, settings, clock)
    with catalog.begin() as conn:
        jobs = list_jobs(conn)
        rows = {r.original_name: r for r in wedding_quality(conn, wedding_id)}
    assert sorted(j.kind for j in jobs) == [
        Kind.QUALITY,
        Kind.QUALITY,
        Kind.VARIANTS,
        Kind.VARIANTS,
    ]
    assert all(j.state == DONE for j in jobs)
    assert {j.photo_id for j in jobs if j.kind == Kind.QUALITY} == {
        j.photo_id for j in jobs if j.kind == Kind.VARIANTS
    }
    a, b = rows["IMG_0001.JPG"].signals, rows["IMG_0002.JPG"].signals
    assert a is not None and b is not None
    assert rows["IMG_0001.JPG"].source == "reception"  # the largest variant within 2048 px
    assert b.sharpness < a.sharpness and b.keep_score < 0.5 <= a.keep_score
    assert any("blurred" in reason for reason in b.reasons)
    culled = culling_of(catalog, vault, wedding_id, clock=clock, measure_missing=False)
    verdicts = {p.photo: p.verdict for p in culled.photos}
    assert verdicts == {"IMG_0001.JPG": Verdict.KEEP, "IMG_0002.JPG": Verdict.REJECT}


def test_an_unreadable_variant_is_recorded_not_retried(tmp_path, catalog, vault, settings, clock):
    original = make_jpeg(tmp_path / "IMG_0001.JPG", seed=2, size=(3000, 2000))
    wedding_id = ingest_and_work([original], catalog, vault, settings, clock)
    with catalog.begin() as conn:
        (photo,) = iter_photos(conn)
        reception = next(v for v in variants_of(conn, photo.id) if v.profile == "reception")
    path = vault.blob_path(reception.sha256)
    path.chmod(0o644)
    path.write_bytes(b"not a jpeg any more")
    from trousseau.analysis import measure_photo

    assert measure_photo(catalog, vault, photo.id, clock=clock)
    with catalog.begin() as conn:
        (row,) = wedding_quality(conn, wedding_id)
    assert row.signals is None
    assert row.error is not None
    assert row.error.startswith("variant reception (jpeg) could not be measured (BlobCorrupt")
    assert "`trousseau cull` measures it again" in row.error
    culled = culling_of(catalog, vault, wedding_id, clock=clock, measure_missing=True)
    (judged,) = culled.photos
    assert judged.verdict is Verdict.UNREADABLE and judged.reasons == (row.error,)


def test_no_quality_job_when_culling_is_off(tmp_path, catalog, vault, settings, clock) -> None:
    settings = settings.model_copy(
        update={"analysis": settings.analysis.model_copy(update={"culling": False})}
    )
    original = make_jpeg(tmp_path / "IMG_0001.JPG", seed=3, size=(1600, 1200))
    wedding_id = ingest_and_work([original], catalog, vault, settings, clock)
    with catalog.begin() as conn:
        assert [j.kind for j in list_jobs(conn)] == [Kind.VARIANTS]
        (row,) = wedding_quality(conn, wedding_id)
    assert row.measured_at is None
    # `trousseau cull` (measure_missing) measures what no job did
    culled = culling_of(catalog, vault, wedding_id, clock=clock, measure_missing=True)
    assert culled.photos[0].keep_score is not None
    assert np.isfinite(culled.photos[0].keep_score)


TINY = cv2.imencode(".webp", np.full((8, 12, 3), 128, np.uint8))[1].tobytes()


@pytest.mark.parametrize(
    ("blob", "cause"),
    [
        (b"<html>a proxy's error page, stored as a variant</html>",
         "(ImagingError: variant reception (webp) is in no format"),
        (TINY, "(InvalidValue: an image of (8, 12) pixels is too small to judge)"),
    ],
)  # fmt: skip
def test_a_variant_that_is_no_image_is_recorded_with_its_cause(
    tmp_path, catalog, vault, settings, clock, blob, cause
) -> None:
    from trousseau.analysis import measure_photo
    from trousseau.catalog import record_variant
    from trousseau.catalog.schema import variant

    original = make_jpeg(tmp_path / "IMG_0001.JPG", seed=4, size=(1600, 1200))
    wedding_id = ingest_and_work([original], catalog, vault, settings, clock)
    stored = vault.put_bytes(blob)
    with catalog.begin() as conn:
        (photo,) = iter_photos(conn)
        conn.execute(variant.delete().where(variant.c.photo_id == photo.id))
        record_variant(conn, photo_id=photo.id, profile="reception", fmt="webp",
                       sha256=stored.sha256, size=stored.size, width=1600, height=1200,
                       now=clock())  # fmt: skip
    assert measure_photo(catalog, vault, photo.id, clock=clock)
    with catalog.begin() as conn:
        (row,) = wedding_quality(conn, wedding_id)
    assert row.signals is None and row.source == "reception"
    assert row.error is not None
    assert row.error.startswith(f"variant reception (webp) could not be measured {cause}")


def test_a_vault_that_cannot_be_read_is_raised_for_the_job_to_retry(
    tmp_path, catalog, vault, settings, clock
) -> None:
    """Not the variant's fault (here the blob's path is a directory, EISDIR: as an I/O error
    of the disk would be): nothing is recorded, so the retry measures the photo."""
    from trousseau.analysis import measure_photo
    from trousseau.errors import VaultError

    original = make_jpeg(tmp_path / "IMG_0001.JPG", seed=5, size=(1600, 1200))
    settings = settings.model_copy(
        update={"analysis": settings.analysis.model_copy(update={"culling": False})}
    )
    wedding_id = ingest_and_work([original], catalog, vault, settings, clock)
    from trousseau.analysis import source_variant

    with catalog.begin() as conn:
        (photo,) = iter_photos(conn)
        source = source_variant(variants_of(conn, photo.id))
    assert source is not None
    path = vault.blob_path(source.sha256)
    path.chmod(0o644)
    path.unlink()
    path.mkdir()
    with pytest.raises(VaultError, match="cannot read blob") as raised:
        measure_photo(catalog, vault, photo.id, clock=clock)
    assert type(raised.value) is VaultError
    with catalog.begin() as conn:
        (row,) = wedding_quality(conn, wedding_id)
    assert row.measured_at is None and row.error is None

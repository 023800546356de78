"""The `preview` job end to end in one process: rendered, stored, recorded; failures marked."""

from __future__ import annotations

from pathlib import Path

import pytest
import pyvips

from trousseau.catalog import get_photo, iter_photos, recent_events, variants_of
from trousseau.ingest import IngestSummary, WeddingSpec, ingest, prepare_wedding
from trousseau.jobs import DEAD, DONE, InlinePool, Worker, list_jobs
from trousseau.vault import open_vault

from ..ingest.conftest import make_jpeg


@pytest.fixture
def vault(settings):
    v = open_vault(settings.vault_url)
    yield v
    v.close()


def _ingest_and_work(files: list[Path], catalog, vault, settings, clock) -> None:
    wedding = prepare_wedding(catalog, WeddingSpec(slug="w", tenant="t"), settings, clock)
    summary = IngestSummary()
    for event in ingest(
        files, catalog=catalog, vault=vault, settings=settings, wedding=wedding, clock=clock
    ):
        summary.add(event)
    assert summary.accepted == len(files)
    Worker(catalog, InlinePool(settings, ["trousseau.kinds"]), settings.jobs).run(until_idle=True)


def test_preview_is_rendered_stored_and_recorded(tmp_path, catalog, vault, settings, clock):
    original = make_jpeg(tmp_path / "IMG_0001.JPG", seed=1, size=(4000, 3000))
    _ingest_and_work([original], catalog, vault, settings, clock)
    with catalog.begin() as conn:
        (photo,) = iter_photos(conn)
        (variant,) = variants_of(conn, photo.id)
        (job,) = list_jobs(conn)
    assert photo.state == "processed" and job.state == DONE
    assert (variant.profile, variant.format, variant.width, variant.height) == (
        "preview",
        "jpeg",
        2048,
        1536,
    )
    image = pyvips.Image.new_from_buffer(vault.get_bytes(variant.sha256), "")
    assert (image.width, image.height) == (2048, 1536)
    assert image.get("vips-loader") == "jpegload_buffer"


def test_rerunning_a_preview_job_changes_nothing(tmp_path, catalog, vault, settings, clock):
    from trousseau.jobs import JobContext, Resources
    from trousseau.kinds.preview import run

    original = make_jpeg(tmp_path / "IMG_0001.JPG", seed=1)
    _ingest_and_work([original], catalog, vault, settings, clock)
    with catalog.begin() as conn:
        (photo,) = iter_photos(conn)
        before = variants_of(conn, photo.id)
    ctx = JobContext(1, "preview", 2, 5, clock(), Resources(settings), clock)
    run(ctx, {"photo_id": photo.id})
    with catalog.begin() as conn:
        assert variants_of(conn, photo.id) == before


def test_truncated_original_fails_the_photo_with_its_name(
    tmp_path, catalog, vault, settings, clock
):
    good = make_jpeg(tmp_path / "good.jpg", seed=2)
    broken = tmp_path / "IMG_0666.JPG"
    broken.write_bytes(good.read_bytes()[:700])
    _ingest_and_work([broken], catalog, vault, settings, clock)
    with catalog.begin() as conn:
        (photo,) = iter_photos(conn)
        (job,) = list_jobs(conn)
        events = recent_events(conn, kind="photo.failed")
    assert photo.state == "failed" and "IMG_0666.JPG" in photo.error
    assert job.state == DEAD and job.attempts == 1 and "IMG_0666.JPG" in job.last_error
    assert len(events) == 1
    assert vault.get_bytes(photo.sha256) == broken.read_bytes()


def test_missing_photo_is_a_permanent_failure(catalog, settings, clock):
    from trousseau.errors import PermanentJobError
    from trousseau.jobs import JobContext, Resources
    from trousseau.kinds.preview import run

    ctx = JobContext(1, "preview", 1, 5, clock(), Resources(settings), clock)
    with pytest.raises(PermanentJobError, match="photo 999 is not in the catalog"):
        run(ctx, {"photo_id": 999})
    with catalog.begin() as conn:
        assert get_photo(conn, 999) is None

"""The `variants` job end to end: rendered, stored, recorded, idempotent; failures marked."""

from __future__ import annotations

import base64
import shutil

import pytest
import pyvips

from trousseau.catalog import iter_photos, recent_events, variants_of
from trousseau.jobs import DEAD, DONE, JobContext, Resources, list_jobs

from ..ingest.conftest import make_jpeg
from .conftest import ingest_and_work


def test_every_default_profile_is_rendered_stored_and_recorded(
    tmp_path, catalog, vault, settings, clock
):
    original = make_jpeg(tmp_path / "IMG_0001.JPG", seed=1, size=(4500, 3000))
    ingest_and_work([original], catalog, vault, settings, clock)
    with catalog.begin() as conn:
        (photo,) = iter_photos(conn)
        variants = {v.profile: v for v in variants_of(conn, photo.id)}
        job, follow_on = sorted(list_jobs(conn), key=lambda j: j.id)
    assert photo.state == "processed" and job.state == DONE and job.kind == "variants"
    assert follow_on.kind == "quality" and follow_on.photo_id == photo.id  # culling after it
    assert (photo.width, photo.height) == (4500, 3000)
    sizes = {name: (v.format, v.width, v.height) for name, v in variants.items()}
    assert sizes["portrait"] == ("jpeg", 3000, 2000)
    assert sizes["reception"] == ("jpeg", 2048, 1365)
    assert sizes["social"] == ("webp", 1080, 720)
    assert sizes["thumb"][0] == "webp" and max(sizes["thumb"][1:]) == 400
    for v in variants.values():
        image = pyvips.Image.new_from_buffer(vault.get_bytes(v.sha256), "")
        assert (image.width, image.height) == (v.width, v.height)
        assert image.interpretation == "srgb"
    assert 20 <= len(base64.b64decode(photo.placeholder)) <= 30
    assert photo.colours and photo.colours[0]["hex"].startswith("#")
    assert abs(sum(c["share"] for c in photo.colours) - 1) < 0.01


def test_rerun_produces_the_same_bytes_and_records_nothing_new(
    tmp_path, catalog, vault, settings, clock
):
    from trousseau.catalog import set_photo_state
    from trousseau.kinds.variants import run

    original = make_jpeg(tmp_path / "IMG_0001.JPG", seed=1)
    ingest_and_work([original], catalog, vault, settings, clock)
    with catalog.begin() as conn:
        (photo,) = iter_photos(conn)
        before = variants_of(conn, photo.id)
        set_photo_state(conn, photo.id, "stored")
    blobs = len(list(vault.iter_blobs()))
    ctx = JobContext(1, "variants", 2, 5, clock(), Resources(settings), clock)
    run(ctx, {"photo_id": photo.id})
    with catalog.begin() as conn:
        assert variants_of(conn, photo.id) == before
    assert len(list(vault.iter_blobs())) == blobs


def test_gps_never_reaches_a_variant(shared_data, tmp_path, catalog, vault, settings, clock):
    source = shared_data / "photos" / "exif" / "iphone6_gps.jpg"
    assert "exif-ifd3-GPSLatitude" in pyvips.Image.new_from_file(str(source)).get_fields()
    local = tmp_path / source.name
    shutil.copy(source, local)
    ingest_and_work([local], catalog, vault, settings, clock)
    with catalog.begin() as conn:
        (photo,) = iter_photos(conn)
        variants = variants_of(conn, photo.id)
    assert photo.state == "processed" and len(variants) == 4
    for v in variants:
        fields = pyvips.Image.new_from_buffer(vault.get_bytes(v.sha256), "").get_fields()
        assert not [f for f in fields if f.startswith("exif-ifd3-")], v.profile


def test_heic_from_an_iphone_is_rendered(shared_data, tmp_path, catalog, vault, settings, clock):
    local = tmp_path / "IMG_4242.HEIC"
    shutil.copy(shared_data / "photos" / "heic" / "iphone8plus_p3_portrait.heic", local)
    ingest_and_work([local], catalog, vault, settings, clock)
    with catalog.begin() as conn:
        (photo,) = iter_photos(conn)
    assert photo.format == "heic" and photo.state == "processed", photo.error


def test_truncated_original_fails_the_photo_with_its_name(
    tmp_path, catalog, vault, settings, clock
):
    good = make_jpeg(tmp_path / "good.jpg", seed=2)
    broken = tmp_path / "IMG_0666.JPG"
    broken.write_bytes(good.read_bytes()[:700])
    ingest_and_work([broken], catalog, vault, settings, clock)
    with catalog.begin() as conn:
        (photo,) = iter_photos(conn)
        (job,) = list_jobs(conn)
        events = recent_events(conn, kind="photo.failed")
    assert photo.state == "failed" and "IMG_0666.JPG" in photo.error
    assert job.state == DEAD and job.attempts == 1 and "IMG_0666.JPG" in job.last_error
    assert len(events) == 1
    assert vault.get_bytes(photo.sha256) == broken.read_bytes()


def test_decompression_bomb_is_refused_and_the_original_kept(
    shared_data, tmp_path, catalog, vault, settings, clock
):
    local = tmp_path / "bomb.gif"
    shutil.copy(shared_data / "photos" / "bad" / "gif_decompression_bomb_65535x66601.gif", local)
    ingest_and_work([local], catalog, vault, settings, clock)
    with catalog.begin() as conn:
        (photo,) = iter_photos(conn)
    assert photo.state == "failed" and "over the limit" in photo.error


def test_missing_photo_is_a_permanent_failure(catalog, settings, clock):
    from trousseau.errors import PermanentJobError
    from trousseau.kinds.variants import run

    ctx = JobContext(1, "variants", 1, 5, clock(), Resources(settings), clock)
    with pytest.raises(PermanentJobError, match="photo 999 is not in the catalog"):
        run(ctx, {"photo_id": 999})


def test_variants_are_stored_as_one_durable_batch_and_all_verify(
    tmp_path, catalog, vault, settings, clock, monkeypatch
):
    """Each job stores its variants with one put_derived (one fsync pass), and only then
    records them: every recorded variant is in the vault, intact, read back from disk."""
    from trousseau.vault.local import LocalVault

    batches: list[int] = []
    real = LocalVault.put_derived

    def spy(self, blobs):
        infos = real(self, blobs)
        batches.append(len(infos))
        return infos

    monkeypatch.setattr(LocalVault, "put_derived", spy)
    originals = [make_jpeg(tmp_path / f"IMG_{i}.JPG", seed=i, size=(1800, 1200)) for i in (1, 2)]
    ingest_and_work(originals, catalog, vault, settings, clock)

    assert batches == [4, 4]
    with catalog.begin() as conn:
        photos = list(iter_photos(conn))
        recorded = [v for photo in photos for v in variants_of(conn, photo.id)]
    assert len(recorded) == 8
    for variant in recorded:
        assert vault.verify(variant.sha256) == variant.bytes
    assert {p.state for p in photos} == {"processed"}
    assert all(p.placeholder and p.colours for p in photos)


def test_a_failed_batch_records_no_variant(tmp_path, catalog, vault, settings, clock, monkeypatch):
    from trousseau.errors import VaultFull
    from trousseau.vault.local import LocalVault

    def full(self, blobs):
        raise VaultFull("the vault is full: free space and retry; record none of them")

    monkeypatch.setattr(LocalVault, "put_derived", full)
    quick = settings.jobs.model_copy(update={"max_attempts": 2, "backoff_base_seconds": 0.05})
    settings = settings.model_copy(update={"jobs": quick})  # two tries, not 30 s of backoff
    original = make_jpeg(tmp_path / "IMG_1.JPG", seed=1, size=(1800, 1200))
    ingest_and_work([original], catalog, vault, settings, clock)

    with catalog.begin() as conn:
        (photo,) = iter_photos(conn)
        assert variants_of(conn, photo.id) == []
        (job,) = list_jobs(conn)
    assert photo.state != "processed" and job.state != DONE

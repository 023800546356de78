"""The `variants` kind through a batched worker: the same variants as the ordinary path,
one bad photo failing alone, and a GPU failure rendered on the CPU without losing a job."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from sqlalchemy import delete, update

from trousseau.catalog import iter_photos, variants_of
from trousseau.catalog.schema import photo, variant
from trousseau.imaging.fallback import FallbackRenderer
from trousseau.imaging.vips import VipsBackend
from trousseau.ingest import IngestSummary, WeddingSpec, ingest, prepare_wedding
from trousseau.jobs import DEAD, DONE, BatchPool, InlinePool, Resources, Worker, list_jobs

from ..ingest.conftest import make_jpeg


def _fast(settings):
    jobs = settings.jobs.model_copy(
        update={"poll_interval_seconds": 0.05, "batch_size": 4, "batch_wait_ms": 50}
    )
    return settings.model_copy(update={"jobs": jobs})


def _ingest(files: list[Path], catalog, vault, settings, clock, slug: str) -> None:
    wedding = prepare_wedding(catalog, WeddingSpec(slug=slug, tenant="t"), settings, clock)
    summary = IngestSummary()
    for event in ingest(
        files, catalog=catalog, vault=vault, settings=settings, wedding=wedding, clock=clock
    ):
        summary.add(event)
    assert summary.accepted == len(files)


def _recorded(catalog) -> dict[tuple[str, str], tuple[str, int, int]]:
    with catalog.begin() as conn:
        return {
            (row.original_name, v.profile): (v.sha256, v.width, v.height)
            for row in iter_photos(conn)
            for v in variants_of(conn, row.id)
        }


def _wedding(tmp_path: Path, shared_data: Path | None = None) -> list[Path]:
    folder = tmp_path / "card"
    folder.mkdir()
    files = [make_jpeg(folder / f"IMG_{i:04d}.JPG", seed=i, size=(900, 600)) for i in range(6)]
    if shared_data is not None:
        heic = folder / "IMG_4242.HEIC"
        shutil.copy(shared_data / "photos/heic/iphone8plus_p3_portrait.heic", heic)
        png = folder / "scan.png"
        shutil.copy(shared_data / "photos/color/alpha_rgba.png", png)
        files += [heic, png]
    return files


def test_a_batched_worker_records_the_same_variants_as_the_ordinary_one(
    tmp_path, shared_data, catalog, vault, settings, clock
):
    settings = _fast(settings)
    files = _wedding(tmp_path, shared_data)
    _ingest(files, catalog, vault, settings, clock, "batched")
    pool = BatchPool(settings, ["trousseau.kinds"])
    stats = Worker(catalog, pool, settings.jobs).run(until_idle=True)
    assert stats.done == 2 * len(files) and stats.dead == 0  # each photo's quality job follows
    assert max(pool.batches) == 4  # really batched
    batched = _recorded(catalog)
    with catalog.begin() as conn:  # forget the variants, then render on the ordinary path
        assert {p.state for p in iter_photos(conn)} == {"processed"}
        conn.execute(delete(variant))
        conn.execute(update(photo).values(state="stored"))
    from trousseau.jobs import JobContext
    from trousseau.kinds.variants import run

    resources = Resources(settings)
    with catalog.begin() as conn:
        ids = [p.id for p in iter_photos(conn)]
    for photo_id in ids:
        run(JobContext(1, "variants", 1, 5, clock(), resources, clock), {"photo_id": photo_id})
    resources.close()
    ordinary = _recorded(catalog)
    assert len(batched) == len(files) * 4
    assert batched == ordinary


def test_one_bad_photo_fails_alone_in_a_batch(tmp_path, catalog, vault, settings, clock):
    settings = _fast(settings)
    files = _wedding(tmp_path)
    broken = tmp_path / "card" / "IMG_0666.JPG"
    broken.write_bytes(files[0].read_bytes()[:700])
    _ingest([*files, broken], catalog, vault, settings, clock, "bad")
    stats = Worker(catalog, BatchPool(settings, ["trousseau.kinds"]), settings.jobs).run(
        until_idle=True
    )
    assert (stats.done, stats.dead) == (2 * len(files), 1)  # no quality job for the dead one
    with catalog.begin() as conn:
        (dead,) = list_jobs(conn, state=DEAD)
        states = {p.original_name: p.state for p in iter_photos(conn)}
    assert "IMG_0666.JPG" in dead.last_error and dead.attempts == 1
    assert states.pop("IMG_0666.JPG") == "failed" and set(states.values()) == {"processed"}


class OutOfMemoryError(RuntimeError):
    """Named like torch.cuda.OutOfMemoryError."""


class OomGpu:
    """A GPU backend double: its batch path always runs out of CUDA memory."""

    name = "gpu"

    def __init__(self) -> None:
        self.batches = 0

    def render_many(self, originals, profiles):
        self.batches += 1
        raise OutOfMemoryError("CUDA out of memory. Tried to allocate 12.00 GiB")

    def source_size(self, data, *, fmt, name):
        raise AssertionError("not used on the batch path")

    decode_batch = resize = size = encode = source_size


def test_gpu_out_of_memory_renders_on_the_cpu_and_loses_no_job(
    tmp_path, catalog, vault, settings, clock, caplog
):
    settings = _fast(settings)
    files = _wedding(tmp_path)
    _ingest(files, catalog, vault, settings, clock, "oom")
    gpu = OomGpu()
    resources = Resources(settings)
    renderer = FallbackRenderer(gpu, lambda: VipsBackend(max_pixels=settings.imaging.max_pixels))
    resources.memo("renderer", lambda: renderer)
    pool = BatchPool(settings, ["trousseau.kinds"], resources=resources)
    with caplog.at_level(logging.WARNING, logger="trousseau.imaging"):
        stats = Worker(catalog, pool, settings.jobs).run(until_idle=True)
    assert stats.done == 2 * len(files) and stats.dead == stats.retried == 0
    # every variants batch tried the GPU and fell back (the quality jobs' batches render nothing)
    assert gpu.batches >= 2 and renderer.fallbacks == gpu.batches
    assert sum(pool.batches) == 2 * len(files)
    lines = [r.getMessage() for r in caplog.records if "GPU backend failed" in r.getMessage()]
    assert len(lines) == gpu.batches and "CUDA out of memory" in lines[0]
    with catalog.begin() as conn:
        assert {j.state for j in list_jobs(conn)} == {DONE}
    assert len(_recorded(catalog)) == len(files) * 4


def test_the_inline_path_still_renders_one_photo(tmp_path, catalog, vault, settings, clock):
    files = _wedding(tmp_path)[:1]
    _ingest(files, catalog, vault, settings, clock, "one")
    Worker(catalog, InlinePool(settings, ["trousseau.kinds"]), settings.jobs).run(until_idle=True)
    assert len(_recorded(catalog)) == 4

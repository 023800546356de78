"""Killed processes lose nothing: a SIGKILLed worker or ingest is resumed by running it again."""

from __future__ import annotations

import os
import shutil
import signal
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from trousseau.catalog import open_catalog
from trousseau.catalog.schema import job, photo, variant
from trousseau.vault import open_vault

from ..ingest.conftest import make_jpeg
from .conftest import Cli

pytestmark = pytest.mark.slow

PHOTOS = 20
"""Photos the killed worker was rendering: enough that the kill lands mid-run."""


VARIANTS = job.c.kind == "variants"
"""These tests count the photos' variants jobs; each is followed by a `quality` job."""
QUALITY_DONE = (
    select(func.count()).select_from(job).where(job.c.state == "done", job.c.kind == "quality")
)


def _scalar(catalog_url: str, query) -> int:
    catalog = open_catalog(catalog_url)
    with catalog.begin() as conn:
        value = conn.execute(query).scalar_one()
    catalog.dispose()
    return value


def _count_on(engine, query) -> int:
    """The count, or 0 while the ingest has not made the catalog's tables yet."""
    try:
        with engine.connect() as conn:
            return int(conn.execute(query).scalar_one())
    except Exception:  # no table yet (the catalog is being created): nothing recorded
        return 0


def _wait_for(predicate, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


@pytest.fixture(scope="module")
def card_photos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """40 photos made once per test process (10 s of encoding); each test copies them."""
    folder = tmp_path_factory.mktemp("card-photos")
    for i in range(40):
        make_jpeg(folder / f"IMG_{i:04d}.JPG", seed=i, size=(1600, 1200))
    return folder


@pytest.fixture
def card(tmp_path: Path, card_photos: Path) -> Path:
    folder = tmp_path / "card"
    shutil.copytree(card_photos, folder)
    return folder


def test_sigkilled_worker_resumes_and_every_photo_is_processed_once(cli: Cli, card):
    """The worker's main process alone (SQLite), or its whole process group with the job
    processes (PostgreSQL): both kinds of kill on both catalogs would double a slow test for
    no path the other pair does not take."""
    victim = "worker" if cli.catalog_url.startswith("sqlite") else "process-group"
    for extra in sorted(card.iterdir())[PHOTOS:]:
        extra.unlink()
    env = {"TROUSSEAU_JOBS__LEASE_SECONDS": "2", "TROUSSEAU_JOBS__POLL_INTERVAL_SECONDS": "0.1"}
    assert cli.run("ingest", str(card), "--wedding", "w", **env).returncode == 0
    done = select(func.count()).select_from(job).where(job.c.state == "done", VARIANTS)

    worker = cli.start("work", "--workers", "2", **env)
    _wait_for(lambda: _scalar(cli.catalog_url, done) >= 3)
    if victim == "worker":
        os.kill(worker.pid, signal.SIGKILL)
    else:
        os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)
    finished_before = _scalar(cli.catalog_url, done)
    assert finished_before < PHOTOS, "the kill came too late to interrupt anything"

    result = cli.run("work", "--workers", "2", "--until-idle", **env)
    assert result.returncode == 0, result.stderr

    assert _scalar(cli.catalog_url, done) == PHOTOS
    assert _scalar(cli.catalog_url, QUALITY_DONE) == PHOTOS  # each follow-on once, none lost
    assert _scalar(cli.catalog_url, select(func.count()).select_from(variant)) == PHOTOS * 4
    photos_with_variant = select(func.count(func.distinct(variant.c.photo_id)))
    assert _scalar(cli.catalog_url, photos_with_variant) == PHOTOS
    processed = select(func.count()).select_from(photo).where(photo.c.state == "processed")
    assert _scalar(cli.catalog_url, processed) == PHOTOS
    retried = select(func.count()).select_from(job).where(job.c.attempts >= 2)
    assert _scalar(cli.catalog_url, retried) >= 1, "no job was interrupted mid-run"

    verified = cli.run("verify")
    assert verified.returncode == 0, verified.stderr
    assert f"{PHOTOS * 5} of {PHOTOS * 5} blobs verified" in verified.stdout
    vault = open_vault((cli.data_dir / "vault").as_uri())
    for original in card.iterdir():
        import hashlib

        digest = hashlib.sha256(original.read_bytes()).hexdigest()
        assert vault.get_bytes(digest) == original.read_bytes()


HOLD_AFTER = 10
"""Photos the held ingest records before it stops, waiting to be killed."""

_HOLD = f"""
import time
from trousseau.ingest import pipeline

_record = pipeline._record
_recorded = 0


def _held(*args, **kwargs):
    global _recorded
    if _recorded == {HOLD_AFTER}:
        time.sleep(3600)
    _recorded += 1
    return _record(*args, **kwargs)


pipeline._record = _held
"""
"""A `sitecustomize` that stops the ingest process after it has recorded `HOLD_AFTER`
photos, for the test only: the kill then lands at a known point, never after the last."""


def test_sigkilled_ingest_resumes_without_duplicates(cli: Cli, card, tmp_path):
    """The ingest is killed while it holds at its eleventh photo. Polling for the first
    photo and killing then raced a fast ingest, which could record all 40 before the kill."""
    hook = tmp_path / "hold"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(_HOLD)
    path = os.pathsep.join(p for p in (str(hook), os.environ.get("PYTHONPATH", "")) if p)
    ingest = cli.start("ingest", str(card), "--wedding", "w", PYTHONPATH=path)
    photos = select(func.count()).select_from(photo)
    engine = create_engine(cli.catalog_url)
    try:
        deadline = time.monotonic() + 60
        while _count_on(engine, photos) < HOLD_AFTER:
            assert ingest.poll() is None, "the ingest ended before it was killed"
            assert time.monotonic() < deadline, "timed out waiting for the held ingest"
            time.sleep(0.02)
        os.killpg(ingest.pid, signal.SIGKILL)
    finally:
        engine.dispose()
    ingest.wait(timeout=10)
    first = _scalar(cli.catalog_url, photos)
    assert first == HOLD_AFTER

    again = cli.run("ingest", str(card), "--wedding", "w")
    assert again.returncode == 0, again.stderr
    assert f"{40 - first} accepted" in again.stdout
    assert f"{first} duplicate(s)" in again.stdout
    assert _scalar(cli.catalog_url, photos) == 40
    assert _scalar(cli.catalog_url, select(func.count()).select_from(job)) == 40
    partials = list((cli.data_dir / "vault" / "blobs").rglob("*.part"))
    assert partials == []
    verified = cli.run("verify")
    assert verified.returncode == 0 and "40 of 40 blobs verified" in verified.stdout


def test_sigterm_finishes_running_jobs_and_leaves_nothing_leased(cli: Cli, card):
    assert cli.run("ingest", str(card), "--wedding", "w").returncode == 0
    done = select(func.count()).select_from(job).where(job.c.state == "done", VARIANTS)
    worker = cli.start("work", "--workers", "2")
    _wait_for(lambda: _scalar(cli.catalog_url, done) >= 3)
    worker.send_signal(signal.SIGTERM)
    _out, err = worker.communicate(timeout=60)
    assert worker.returncode == 0, err
    assert "SIGTERM: finishing running jobs" in err
    running = select(func.count()).select_from(job).where(job.c.state == "running")
    assert _scalar(cli.catalog_url, running) == 0
    rendered = _scalar(cli.catalog_url, select(func.count(func.distinct(variant.c.photo_id))))
    assert rendered == _scalar(cli.catalog_url, done)
    queued = (
        select(func.count())
        .select_from(job)
        .where(job.c.state == "queued", job.c.attempts == 0, VARIANTS)
    )
    assert _scalar(cli.catalog_url, queued) == 40 - _scalar(cli.catalog_url, done)


def test_a_restart_on_the_same_host_does_not_wait_for_the_dead_workers_leases(cli: Cli, tmp_path):
    """With an hour-long lease, the restarted worker finishes at once: it sees the killed
    worker's process is gone and takes its jobs back instead of waiting for the lease."""
    card = tmp_path / "small-card"
    card.mkdir()
    for i in range(8):
        make_jpeg(card / f"IMG_{i:04d}.JPG", seed=i, size=(1600, 1200))
    env = {"TROUSSEAU_JOBS__LEASE_SECONDS": "3600", "TROUSSEAU_JOBS__POLL_INTERVAL_SECONDS": "0.1"}
    assert cli.run("ingest", str(card), "--wedding", "w", **env).returncode == 0
    done = select(func.count()).select_from(job).where(job.c.state == "done", VARIANTS)
    running = select(func.count()).select_from(job).where(job.c.state == "running")

    worker = cli.start("work", "--workers", "2", **env)
    _wait_for(lambda: _scalar(cli.catalog_url, done) >= 2)
    _wait_for(lambda: _scalar(cli.catalog_url, running) >= 1)
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)
    assert _scalar(cli.catalog_url, running) >= 1, "nothing was leased when the worker died"

    started = time.monotonic()
    result = cli.run("work", "--workers", "2", "--until-idle", **env)
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 120, "the restart waited for a lease"
    assert "recovered at once from dead processes here" in " ".join(result.stdout.split())
    assert _scalar(cli.catalog_url, done) == 8
    assert _scalar(cli.catalog_url, QUALITY_DONE) == 8
    assert _scalar(cli.catalog_url, select(func.count()).select_from(variant)) == 8 * 4
    verified = cli.run("verify")
    assert verified.returncode == 0, verified.stderr

"""Ingest: originals stored, recorded and enqueued together; bad files rejected cleanly."""

from __future__ import annotations

import shutil
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from trousseau.catalog import ChangeKind, changes_after, iter_photos
from trousseau.catalog.schema import job, photo
from trousseau.errors import InputMissing
from trousseau.ingest import IngestSummary, WeddingSpec, ingest, prepare_wedding
from trousseau.jobs import list_jobs

from .conftest import make_jpeg


def _run(paths, catalog, vault, settings, clock, slug="smith-jones", sla=None) -> IngestSummary:
    wedding = prepare_wedding(
        catalog, WeddingSpec(slug=slug, tenant="studio-a", sla=sla), settings, clock
    )
    summary = IngestSummary()
    for event in ingest(
        paths, catalog=catalog, vault=vault, settings=settings, wedding=wedding, clock=clock
    ):
        summary.add(event)
    return summary


def _counts(catalog) -> tuple[int, int]:
    with catalog.begin() as conn:
        return (
            conn.execute(select(func.count()).select_from(photo)).scalar_one(),
            conn.execute(select(func.count()).select_from(job)).scalar_one(),
        )


def test_folder_ingest_records_photos_and_enqueues_one_job_each(
    photos, catalog, vault, settings, clock
):
    summary = _run([photos], catalog, vault, settings, clock, sla="same-day")
    assert (summary.accepted, summary.duplicates, summary.rejected) == (5, 0, [])
    with catalog.begin() as conn:
        stored = list(iter_photos(conn))
        jobs = list_jobs(conn)
    assert sorted(p.original_name for p in stored) == [f"IMG_{i:04d}.JPG" for i in range(5)]
    assert all(p.format == "jpeg" and p.width == 320 and p.state == "stored" for p in stored)
    assert all(vault.verify(p.sha256) == p.bytes for p in stored)
    assert len(jobs) == 5
    assert {j.payload["photo_id"] for j in jobs} == {p.id for p in stored}
    assert all(j.sla == "same-day" and j.deadline == clock() + timedelta(minutes=30) for j in jobs)


def test_each_photo_is_a_change_for_the_backup_due_with_its_job(
    photos, catalog, vault, settings, clock
):
    _run([photos], catalog, vault, settings, clock, sla="same-day")
    with catalog.begin() as conn:
        stored = {p.sha256 for p in iter_photos(conn)}
        changes = [c for c in changes_after(conn, 0, limit=100) if c.kind == ChangeKind.BLOB]
    assert {c.subject for c in changes} == stored and len(changes) == 5
    assert all(c.deadline == clock() + timedelta(minutes=30) for c in changes)


def test_reingest_is_idempotent(photos, catalog, vault, settings, clock):
    _run([photos], catalog, vault, settings, clock)
    again = _run([photos], catalog, vault, settings, clock)
    assert (again.accepted, again.duplicates) == (0, 5)
    assert _counts(catalog) == (5, 5)


def test_same_bytes_under_two_names_is_one_photo(photos, catalog, vault, settings, clock):
    shutil.copy(photos / "IMG_0000.JPG", photos / "IMG_0000 copy.JPG")
    summary = _run([photos], catalog, vault, settings, clock)
    assert (summary.accepted, summary.duplicates) == (5, 1)


def test_same_photo_in_two_weddings_is_recorded_twice_stored_once(
    photos, catalog, vault, settings, clock
):
    _run([photos], catalog, vault, settings, clock, slug="a")
    _run([photos], catalog, vault, settings, clock, slug="b")
    assert _counts(catalog) == (10, 10)
    assert len(list(vault.iter_blobs())) == 5


def test_bad_files_are_rejected_with_reasons_and_leave_nothing(
    tmp_path, catalog, vault, settings, clock
):
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "empty.jpg").write_bytes(b"")
    (folder / "notes.jpg").write_text("guest list: Ana, Ben\n")
    (folder / "contract.pdf").write_bytes(b"%PDF-1.7\n%\xe2\xe3\n1 0 obj\n")
    summary = _run([folder], catalog, vault, settings, clock)
    reasons = {e.path.name: e.error for e in summary.rejected}
    assert summary.accepted == 0
    assert "empty.jpg is empty (0 bytes)" in reasons["empty.jpg"]
    assert "notes.jpg is not an image" in reasons["notes.jpg"]
    assert "contract.pdf is not an image" in reasons["contract.pdf"]
    assert _counts(catalog) == (0, 0)
    assert list(vault.iter_blobs()) == []


def test_missing_path_stops_before_anything_is_stored(
    photos, tmp_path, catalog, vault, settings, clock
):
    with pytest.raises(InputMissing, match=r"nope\.jpg does not exist"):
        _run([photos, tmp_path / "nope.jpg"], catalog, vault, settings, clock)
    assert _counts(catalog) == (0, 0)
    assert list(vault.iter_blobs()) == []


def test_corrupt_jpeg_is_kept_as_an_original(tmp_path, catalog, vault, settings, clock):
    good = make_jpeg(tmp_path / "good.jpg", seed=1)
    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes(good.read_bytes()[:600])
    summary = _run([truncated], catalog, vault, settings, clock)
    assert summary.accepted == 1
    with catalog.begin() as conn:
        (p,) = iter_photos(conn)
    assert p.width is None or p.width == 320
    assert vault.get_bytes(p.sha256) == truncated.read_bytes()


def test_files_stored_ahead_are_reported_in_order_with_rejects_in_place(
    tmp_path, catalog, vault, settings, clock
):
    """Several files are stored by threads at once; events still come one per file, in the
    order of the folder, each recorded only after its own durable put."""
    folder = tmp_path / "card"
    folder.mkdir()
    names = [f"IMG_{i:02d}.JPG" for i in range(12)]
    for i, name in enumerate(names):
        if i % 5 == 3:
            (folder / name).write_bytes(b"")  # empty: rejected
        else:
            make_jpeg(folder / name, seed=i)
    wedding = prepare_wedding(catalog, WeddingSpec(slug="w", tenant="t"), settings, clock)

    events = list(
        ingest(
            [folder], catalog=catalog, vault=vault, settings=settings, wedding=wedding, clock=clock
        )
    )

    assert [e.path.name for e in events] == names
    assert [e.outcome for e in events] == [
        "rejected" if i % 5 == 3 else "accepted" for i in range(len(names))
    ]
    for event in events:
        if event.outcome == "accepted":
            assert vault.verify(event.sha256) == event.size


def test_a_failing_vault_stops_the_run_at_that_file(
    tmp_path, catalog, vault, settings, clock, monkeypatch
):
    from trousseau.errors import VaultFull

    folder = tmp_path / "card"
    folder.mkdir()
    for i in range(8):
        make_jpeg(folder / f"IMG_{i}.JPG", seed=i)
    real = type(vault).put_file

    def put_file(self, path, **kwargs):
        if path.name == "IMG_3.JPG":
            raise VaultFull("the vault is full: free space and retry; nothing was stored")
        return real(self, path, **kwargs)

    monkeypatch.setattr(type(vault), "put_file", put_file)
    wedding = prepare_wedding(catalog, WeddingSpec(slug="w", tenant="t"), settings, clock)
    seen = []
    with pytest.raises(VaultFull):
        for event in ingest(
            [folder], catalog=catalog, vault=vault, settings=settings, wedding=wedding, clock=clock
        ):
            seen.append(event.path.name)

    assert seen == ["IMG_0.JPG", "IMG_1.JPG", "IMG_2.JPG"]
    with catalog.begin() as conn:
        assert sorted(p.original_name for p in iter_photos(conn)) == seen


def test_a_probe_failure_of_any_kind_records_the_photo_without_metadata(
    photos, catalog, vault, settings, clock, monkeypatch
):
    import trousseau.ingest.pipeline as pipeline

    def broken(path):
        raise RuntimeError("a bug in a metadata parser")

    monkeypatch.setattr(pipeline, "probe", broken)
    summary = IngestSummary()
    events = []
    wedding = prepare_wedding(catalog, WeddingSpec(slug="w", tenant="studio-a"), settings, clock)
    for event in ingest(
        [photos], catalog=catalog, vault=vault, settings=settings, wedding=wedding, clock=clock
    ):
        summary.add(event)
        events.append(event)

    assert summary.accepted == 5
    assert summary.warnings == 5
    assert all(
        e.warnings
        == (
            f"{e.path.name}: its metadata could not be read (a bug in a metadata "
            "parser); recorded without it",
        )
        for e in events
    )
    with catalog.begin() as conn:
        stored = list(iter_photos(conn))
    assert [(p.width, p.captured_at, p.camera) for p in stored] == [(None, None, None)] * 5


@pytest.mark.parametrize("change", ["emptied", "rewritten"])
def test_a_file_that_changes_while_it_is_stored_is_refused(
    tmp_path, catalog, vault, settings, clock, monkeypatch, change
):
    """A card copy still running, or a file rewritten meanwhile: what was checked is not what
    would be recorded, so nothing is; the next file goes on."""
    from trousseau.ingest import pipeline

    card = tmp_path / "card"
    card.mkdir()
    moving = make_jpeg(card / "IMG_0001.JPG", seed=1)
    make_jpeg(card / "IMG_0002.JPG", seed=2)
    sniff = pipeline.sniff

    def sniff_then_change(path):
        fmt = sniff(path)
        if path == moving:
            if change == "emptied":
                path.write_bytes(b"")
            else:
                make_jpeg(path, seed=3, size=(640, 480))
        return fmt

    monkeypatch.setattr(pipeline, "sniff", sniff_then_change)
    summary = _run([card], catalog, vault, settings, clock)
    assert summary.accepted == 1
    (rejected,) = summary.rejected
    assert rejected.path == moving
    assert "IMG_0001.JPG changed while it was stored" in rejected.error
    assert "nothing was recorded" in rejected.error
    with catalog.begin() as conn:
        assert [p.original_name for p in iter_photos(conn)] == ["IMG_0002.JPG"]

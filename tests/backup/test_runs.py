"""Backup runs over a real catalog (SQLite and PostgreSQL) and vault: full, incremental,
interrupted, restored byte-identical, erased."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from trousseau.backup import (
    find_snapshot,
    init_repository,
    open_repository,
    open_target,
    repository_key,
    restore,
    restore_catalog,
    run_backup,
    verify_repository,
)
from trousseau.catalog import backup_lag, open_catalog, wedding_blobs
from trousseau.errors import WeddingErased, WrongPassphrase
from trousseau.ingest import WeddingSpec, ingest, prepare_wedding, submit_document

from ..forms.makeform import make_form
from ..ingest.conftest import make_jpeg
from .conftest import PASSPHRASE


def _ingest(tmp_path, catalog, vault, settings, clock, slug: str, seeds) -> None:
    folder = tmp_path / f"card-{slug}-{min(seeds)}"
    folder.mkdir()
    for seed in seeds:
        make_jpeg(folder / f"IMG_{seed:04d}.JPG", seed=seed)
    wedding = prepare_wedding(catalog, WeddingSpec(slug=slug, tenant="studio-a"), settings, clock)
    for _ in ingest(
        [folder], catalog=catalog, vault=vault, settings=settings, wedding=wedding, clock=clock
    ):
        pass


def _run(catalog, vault, repo, settings, clock, **kwargs):
    clock.advance(seconds=1)
    return run_backup(catalog, vault, repo, catalog_url=settings.catalog_url, clock=clock, **kwargs)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_full_run_then_only_what_changed_restored_byte_identical(
    tmp_path, catalog, vault, repo, settings, clock
):
    _ingest(tmp_path, catalog, vault, settings, clock, "smith-jones", range(4))
    _ingest(tmp_path, catalog, vault, settings, clock, "rossi-bianchi", range(2, 5))

    first = _run(catalog, vault, repo, settings, clock)
    assert first.full and first.snapshot is not None and first.blobs == 7
    assert _run(catalog, vault, repo, settings, clock).snapshot is None  # nothing changed

    _ingest(tmp_path, catalog, vault, settings, clock, "smith-jones", range(10, 12))
    second = _run(catalog, vault, repo, settings, clock)
    assert not second.full and second.changes == 2 and second.blobs == 2
    assert second.snapshot is not None and second.snapshot.parent == first.snapshot.id
    with catalog.begin() as conn:
        assert backup_lag(conn, repository_key(repo.target), now=clock()).pending == 0
        expected = {(str(b.wedding_id), b.sha256) for b in wedding_blobs(conn)}

    out = tmp_path / "restored"
    report = restore(repo, find_snapshot(repo, "latest"), to=out, with_catalog=True)
    files = {p for p in out.glob("*/*/*")}
    assert {(p.parent.name, p.name) for p in files} == expected
    assert all(_sha(p) == p.name == p.name for p in files)
    assert all(p.read_bytes() == vault.get_bytes(p.name) for p in files)
    assert report.catalog is not None and report.catalog.exists()
    assert verify_repository(repo, read_data=True, clock=clock).ok


def test_the_catalog_dump_restores_to_a_working_catalog(
    tmp_path, catalog, vault, repo, settings, clock, catalog_url
):
    _ingest(tmp_path, catalog, vault, settings, clock, "smith-jones", range(3))
    _run(catalog, vault, repo, settings, clock)
    out = tmp_path / "out"
    report = restore(repo, find_snapshot(repo, "latest"), to=out, with_catalog=True)
    assert report.catalog is not None
    if catalog_url.startswith("sqlite"):
        target = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        restore_catalog(report.catalog, target, format="sqlite")
        restored = open_catalog(target)
        try:
            with restored.begin() as conn:
                names = sorted(b.name for b in wedding_blobs(conn))
        finally:
            restored.dispose()
        assert names == [f"IMG_{i:04d}.JPG" for i in range(3)]
    else:
        assert report.catalog.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format


def test_a_run_cut_short_keeps_its_changes_pending_and_the_next_completes(
    tmp_path, catalog, vault, repo, settings, clock
):
    _ingest(tmp_path, catalog, vault, settings, clock, "smith-jones", range(3))
    _run(catalog, vault, repo, settings, clock)
    _ingest(tmp_path, catalog, vault, settings, clock, "smith-jones", range(20, 25))

    class Killed(Exception):
        pass

    def die_after_two(event) -> None:
        if getattr(event, "done", 0) == 2:
            raise Killed

    with pytest.raises(Killed):
        _run(catalog, vault, repo, settings, clock, progress=die_after_two)
    assert len(repo.snapshots()) == 1
    with catalog.begin() as conn:
        assert backup_lag(conn, repository_key(repo.target), now=clock()).pending == 5
    assert verify_repository(repo, read_data=True, clock=clock).ok

    again = _run(catalog, vault, repo, settings, clock)
    assert again.changes == 5 and again.snapshot is not None
    with catalog.begin() as conn:
        assert backup_lag(conn, repository_key(repo.target), now=clock()).pending == 0
    assert verify_repository(repo, read_data=True, clock=clock).ok


def test_a_run_out_of_budget_commits_what_it_has_and_leaves_the_rest_pending(
    tmp_path, catalog, vault, repo, settings, clock
):
    _ingest(tmp_path, catalog, vault, settings, clock, "smith-jones", range(3))
    _run(catalog, vault, repo, settings, clock)
    _ingest(tmp_path, catalog, vault, settings, clock, "smith-jones", range(20, 24))
    key = repository_key(repo.target)

    counts = []
    while True:
        report = _run(catalog, vault, repo, settings, clock, budget=0.0)
        counts.append(report.blobs)
        with catalog.begin() as conn:
            pending = backup_lag(conn, key, now=clock()).pending
        assert report.snapshot is not None and report.more_pending == (pending > 0)
        if not report.more_pending:
            break
    assert counts == [1, 1, 1, 1]  # a spent budget still takes one blob: every run progresses
    assert len(repo.snapshots()) == 5
    restored = restore(repo, find_snapshot(repo, "latest"), to=tmp_path / "out")
    assert restored.blobs == 7
    assert verify_repository(repo, read_data=True, clock=clock).ok


def test_erasing_a_wedding_leaves_the_others_restorable(
    tmp_path, catalog, vault, repo, settings, clock
):
    _ingest(tmp_path, catalog, vault, settings, clock, "smith-jones", range(3))
    _ingest(tmp_path, catalog, vault, settings, clock, "rossi-bianchi", range(1, 4))  # shares 2
    _run(catalog, vault, repo, settings, clock)
    with catalog.begin() as conn:
        weddings = {b.wedding_id: str(b.tenant_id) for b in wedding_blobs(conn)}
    erased, kept = sorted(weddings)
    tenant = weddings[erased]
    repo.erase_wedding(tenant, str(erased), clock=clock, by="test")

    reopened = open_repository(open_target(str(tmp_path / "repo")), PASSPHRASE)
    snap = find_snapshot(reopened, "latest")
    with pytest.raises(WeddingErased):
        restore(reopened, snap, to=tmp_path / "a", tenant=tenant, wedding=str(erased))
    report = restore(reopened, snap, to=tmp_path / "b", tenant=tenant, wedding=str(kept))
    assert report.blobs == 3
    assert all(_sha(p) == p.name for p in (tmp_path / "b").glob("*/*/*"))
    whole = restore(reopened, snap, to=tmp_path / "c")
    assert whole.erased == (f"{tenant}/{erased}",) and whole.blobs == 3

    _ingest(tmp_path, catalog, vault, settings, clock, "smith-jones", range(30, 32))
    _ingest(tmp_path, catalog, vault, settings, clock, "rossi-bianchi", range(40, 41))
    later = _run(catalog, vault, reopened, settings, clock)  # the erased wedding is skipped
    assert later.snapshot is not None and later.snapshot.wedding(tenant, str(erased)) is None
    kept_ref = later.snapshot.wedding(tenant, str(kept))
    assert kept_ref is not None and kept_ref.blobs == 4


def test_a_wrong_passphrase_is_a_clear_error(tmp_path, repo) -> None:
    with pytest.raises(WrongPassphrase, match="passphrase opens none") as caught:
        open_repository(open_target(str(tmp_path / "repo")), "not it")
    assert "not it" not in str(caught.value)


def test_a_repository_created_again_in_place_starts_from_nothing(
    tmp_path, catalog, vault, settings, clock
):
    _ingest(tmp_path, catalog, vault, settings, clock, "smith-jones", range(2))
    target = open_target(str(tmp_path / "again"))
    first = init_repository(target, PASSPHRASE, clock=clock, host="t")
    _run(catalog, vault, first, settings, clock)
    for path, _ in target.list(""):
        target.delete(path)
    second = init_repository(target, PASSPHRASE, clock=clock, host="t")
    assert repository_key(target) != ""
    report = _run(catalog, vault, second, settings, clock)
    assert report.full and report.blobs == 2  # not "nothing changed" from the old cursor


def test_erase_everywhere_removes_rows_and_unshared_blobs(
    tmp_path, catalog, vault, repo, settings, clock
):
    from trousseau.backup import erase_wedding
    from trousseau.catalog import get_tenant, list_weddings

    _ingest(tmp_path, catalog, vault, settings, clock, "smith-jones", range(3))
    _ingest(tmp_path, catalog, vault, settings, clock, "rossi-bianchi", range(2, 4))  # shares 2
    _run(catalog, vault, repo, settings, clock)
    with catalog.begin() as conn:
        tenant = get_tenant(conn, "studio-a")
        target = next(w for w in list_weddings(conn, tenant.id) if w.slug == "smith-jones")
        mine = {b.sha256 for b in wedding_blobs(conn, wedding_ids=[target.id])}

    done = erase_wedding(
        catalog, vault, [repo], tenant_id=tenant.id, wedding_id=target.id, clock=clock, by="dpo"
    )
    assert (done.photos, done.blobs_deleted, done.blobs_kept) == (3, 2, 1)
    with catalog.begin() as conn:
        assert [w.slug for w in list_weddings(conn, tenant.id)] == ["rossi-bianchi"]
        left = {b.sha256 for b in wedding_blobs(conn)}
    assert {sha for sha in mine if vault.exists(sha)} == mine & left  # only the shared one
    assert len(mine & left) == 1
    snap = find_snapshot(repo, "latest")
    with pytest.raises(WeddingErased):
        restore(repo, snap, to=tmp_path / "x", tenant=str(tenant.id), wedding=str(target.id))
    assert _run(catalog, vault, repo, settings, clock).snapshot is None  # its changes are gone


def test_a_full_target_disk_keeps_nothing_half_written_and_the_next_run_completes(
    tmp_path, catalog, vault, settings, clock, tmpfs
):
    from trousseau.errors import TargetFull

    disk = tmpfs("600k")
    target = open_target(str(disk / "repo"))
    repo = init_repository(target, PASSPHRASE, clock=clock, host="t", pack_size=64 * 1024)
    for seed in range(40):  # ~1 MB of noisy JPEGs: more than the disk holds
        _ingest(tmp_path, catalog, vault, settings, clock, "smith-jones", [seed])
    with pytest.raises(TargetFull, match=r"nothing of it was kept|full"):
        _run(catalog, vault, repo, settings, clock)
    assert repo.snapshots() == []
    leftovers = [p for p in (disk / "repo").rglob("*") if p.is_file() and ".tmp-" in p.name]
    assert leftovers == []
    assert verify_repository(repo, read_data=True, clock=clock).ok

    grown = tmp_path / "grown"  # the operator moves the repository to a larger disk
    import shutil

    shutil.copytree(disk / "repo", grown)
    moved = open_repository(open_target(str(grown)), PASSPHRASE)
    report = _run(catalog, vault, moved, settings, clock)
    assert report.snapshot is not None and report.blobs == 40
    assert verify_repository(moved, read_data=True, clock=clock).ok


def test_a_vendors_pdf_form_is_backed_up_with_its_wedding_and_restored(
    tmp_path, catalog, vault, repo, settings, clock
):
    _ingest(tmp_path, catalog, vault, settings, clock, "smith-jones", range(2))
    assert _run(catalog, vault, repo, settings, clock).snapshot is not None
    wedding = prepare_wedding(
        catalog, WeddingSpec(slug="smith-jones", tenant="studio-a"), settings, clock
    )
    pdf = make_form()
    submitted = submit_document(
        pdf,
        name="questionnaire.pdf",
        wedding=wedding,
        catalog=catalog,
        vault=vault,
        settings=settings,
        clock=clock,
    )
    sha = hashlib.sha256(pdf).hexdigest()
    with catalog.begin() as conn:
        assert backup_lag(conn, repository_key(repo.target), now=clock()).pending == 1

    run = _run(catalog, vault, repo, settings, clock)
    assert not run.full and run.changes == 1 and run.blobs == 1 and run.snapshot is not None

    out = tmp_path / "restored"
    restore(repo, find_snapshot(repo, "latest"), to=out, sha256s={sha})
    (restored,) = out.glob("*/*/*")
    assert restored.name == sha and restored.read_bytes() == pdf
    assert str(wedding.id) == restored.parent.name and submitted.sha256 == sha


def _damage(vault, sha256: str) -> bytes:
    path = vault.blob_path(sha256)
    original = path.read_bytes()
    path.chmod(0o644)
    path.write_bytes(b"rot" + original[3:])
    return original


def _mend(vault, sha256: str, original: bytes) -> None:
    vault.blob_path(sha256).write_bytes(original)


@pytest.mark.parametrize("first_run", ["full", "incremental"])
def test_a_damaged_vault_blob_is_left_out_and_the_rest_is_backed_up(
    tmp_path, catalog, vault, repo, settings, clock, first_run
):
    """One damaged photo once kept every wedding (and the catalog) out of every run."""
    _ingest(tmp_path, catalog, vault, settings, clock, "smith-jones", range(3))
    if first_run == "incremental":
        assert not _run(catalog, vault, repo, settings, clock).damaged
        _ingest(tmp_path, catalog, vault, settings, clock, "smith-jones", range(10, 13))
    with catalog.begin() as conn:
        shas = sorted({b.sha256 for b in wedding_blobs(conn)})
    damaged = shas[-1]
    original = _damage(vault, damaged)

    report = _run(catalog, vault, repo, settings, clock)

    assert report.snapshot is not None and not report.more_pending
    (why,) = report.damaged
    assert damaged in why and "not backed up" in why
    out = tmp_path / "out"
    restore(repo, find_snapshot(repo, "latest"), to=out)
    assert {p.name for p in out.glob("*/*/*")} == set(shas) - {damaged}

    _mend(vault, damaged, original)
    again = _run(catalog, vault, repo, settings, clock)
    assert again.snapshot is not None and not again.damaged
    whole = tmp_path / "whole"
    restore(repo, find_snapshot(repo, "latest"), to=whole)
    assert {p.name for p in whole.glob("*/*/*")} == set(shas)


def test_a_run_with_nothing_changed_still_notices_a_repository_it_cannot_open(
    tmp_path, catalog, vault, repo, settings, clock
):
    """The no-change shortcut reads no key: it must not call a keyless repository up to
    date (a cron'd run would report success against a backup nothing can open)."""
    from trousseau.backup.runs import up_to_date

    _ingest(tmp_path, catalog, vault, settings, clock, "smith-jones", range(2))
    _run(catalog, vault, repo, settings, clock)
    assert up_to_date(catalog, repo.target)
    for key in (tmp_path / "repo" / "keys").iterdir():
        key.unlink()
    assert not up_to_date(catalog, repo.target)

"""The backup change log on both backends: written with the change, read in deadline order,
cursors that only move over what a repository holds."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text

from trousseau.catalog import (
    ChangeKind,
    advance_cursor,
    backup_lag,
    changes_after,
    create_wedding,
    ensure_tenant,
    insert_photo,
    latest_change_id,
    mark_backed_up,
    pending_changes,
    record_change,
    record_variant,
)
from trousseau.errors import InvalidValue
from trousseau.ingest import WeddingSpec, ingest, prepare_wedding
from trousseau.jobs import InlinePool, Worker
from trousseau.vault import open_vault

from ..ingest.conftest import make_jpeg

T0 = datetime(2026, 6, 13, 15, 0, tzinfo=UTC)


def _wedding(conn, clock, slug: str = "smith-jones"):
    tenant = ensure_tenant(conn, "studio", now=clock())
    return create_wedding(
        conn,
        tenant.id,
        slug,
        on=date(2026, 6, 13),
        timezone="Europe/Paris",
        delivery_sla="same-day",
        now=clock(),
    )


def _photo(conn, wedding, sha: str, clock, deadline=None) -> int:
    return insert_photo(
        conn,
        tenant_id=wedding.tenant_id,
        wedding_id=wedding.id,
        sha256=sha,
        original_name=f"{sha[:4]}.jpg",
        size=10,
        fmt="jpeg",
        now=clock(),
        deadline=deadline,
    )


def _blobs(changes) -> list[str]:
    return [c.subject for c in changes if c.kind == ChangeKind.BLOB]


def test_a_photo_records_one_change_in_its_own_transaction(catalog, clock):
    due = T0 + timedelta(minutes=30)
    with catalog.begin() as conn:
        wedding = _wedding(conn, clock)
        _photo(conn, wedding, "a" * 64, clock, deadline=due)
    with pytest.raises(RuntimeError), catalog.begin() as conn:
        _photo(conn, wedding, "b" * 64, clock)
        raise RuntimeError("the ingest failed after the insert: the transaction rolls back")
    with catalog.begin() as conn:
        changes = changes_after(conn, 0, limit=100)
    created, blob = changes
    assert (created.kind, created.subject) == (ChangeKind.CATALOG, f"wedding:{wedding.id}")
    assert (created.tenant_id, created.wedding_id, created.deadline) == (
        wedding.tenant_id,
        wedding.id,
        None,
    )
    assert (blob.kind, blob.subject, blob.deadline) == (ChangeKind.BLOB, "a" * 64, due)
    assert (blob.tenant_id, blob.wedding_id, blob.created_at) == (
        wedding.tenant_id,
        wedding.id,
        T0,
    )
    assert created.id < blob.id


def test_a_variant_records_its_blob_once_under_its_photos_wedding(catalog, clock):
    with catalog.begin() as conn:
        wedding = _wedding(conn, clock)
        photo_id = _photo(conn, wedding, "a" * 64, clock)
        after = latest_change_id(conn)
        due = T0 + timedelta(hours=1)
        for _ in range(2):  # a re-run of the job records nothing new
            record_variant(
                conn,
                photo_id=photo_id,
                profile="web",
                fmt="jpeg",
                sha256="c" * 64,
                size=3,
                width=2,
                height=1,
                now=clock(),
                deadline=due,
            )
        (change,) = changes_after(conn, after, limit=10)
    assert (change.kind, change.subject, change.deadline) == (ChangeKind.BLOB, "c" * 64, due)
    assert (change.tenant_id, change.wedding_id) == (wedding.tenant_id, wedding.id)


def test_every_blob_an_ingest_and_its_variants_keep_is_in_the_change_log(
    tmp_path, catalog, settings, clock
):
    """The real roads (ingest, the variants job): the vault keeps no blob the log misses."""
    files = [make_jpeg(tmp_path / f"IMG_{i}.JPG", seed=i, size=(64, 48)) for i in range(2)]
    vault = open_vault(settings.vault_url)
    try:
        wedding = prepare_wedding(catalog, WeddingSpec(slug="w", tenant="t"), settings, clock)
        events = list(
            ingest(
                files, catalog=catalog, vault=vault, settings=settings, wedding=wedding, clock=clock
            )
        )
        assert len(events) == 2
        Worker(catalog, InlinePool(settings, ["trousseau.kinds"]), settings.jobs).run(
            until_idle=True
        )
        stored = set(vault.iter_blobs())
    finally:
        vault.close()
    with catalog.begin() as conn:
        logged = _blobs(changes_after(conn, 0, limit=1000))
    assert len(stored) >= 2 * 2  # the originals and their variants (small ones may coincide)
    assert set(logged) == stored


def test_pending_changes_come_earliest_deadline_first_then_by_id(catalog, clock):
    same_day, next_day = T0 + timedelta(minutes=30), T0 + timedelta(days=1)
    with catalog.begin() as conn:
        wedding = _wedding(conn, clock)
        for sha, due in (("1", None), ("2", next_day), ("3", same_day), ("4", None)):
            _photo(conn, wedding, sha * 64, clock, deadline=due)
        _photo(conn, wedding, "5" * 64, clock, deadline=same_day)
        by_deadline = pending_changes(conn, "repo-a", limit=100)
        first_two = pending_changes(conn, "repo-a", limit=2)
        by_id = changes_after(conn, 0, limit=100)
        with pytest.raises(InvalidValue, match="at least one"):
            pending_changes(conn, "repo-a", limit=0)
    order = [c.subject[0] for c in by_deadline]
    assert order == ["3", "5", "2", "w", "1", "4"]  # w: the wedding, no deadline, id 1
    assert [c.subject[0] for c in first_two] == ["3", "5"]
    assert [c.id for c in by_id] == sorted(c.id for c in by_deadline)


def test_a_batch_taken_by_deadline_moves_the_cursor_only_over_what_is_held(catalog, clock):
    due = T0 + timedelta(minutes=30)
    with catalog.begin() as conn:
        wedding = _wedding(conn, clock)  # change 1
        for sha in "123":  # changes 2, 3, 4: 3 is due first
            _photo(conn, wedding, sha * 64, clock, deadline=due if sha == "2" else None)
        batch = pending_changes(conn, "repo", limit=1)
        assert [c.id for c in batch] == [3]
        assert mark_backed_up(conn, "repo", [c.id for c in batch], now=clock()) == 0
        # held beyond the cursor: never handed out again
        assert [c.id for c in pending_changes(conn, "repo", limit=10)] == [1, 2, 4]
        assert mark_backed_up(conn, "repo", [1, 2], now=clock()) == 3  # folds 3 in
        assert backup_lag(conn, "repo", now=T0).pending == 1
        assert mark_backed_up(conn, "repo", [4], now=clock()) == 4
        assert pending_changes(conn, "repo", limit=10) == []
        assert mark_backed_up(conn, "repo", [], now=clock()) == 4
        assert [c.id for c in pending_changes(conn, "other", limit=10)] == [3, 1, 2, 4]
        leftover = conn.execute(text("SELECT count(*) FROM backup_done")).scalar()
    assert leftover == 0  # done marks the cursor covers are dropped


def test_the_cursor_advances_never_back_and_the_lag_says_how_far_behind(catalog, clock):
    with catalog.begin() as conn:
        assert backup_lag(conn, "repo", now=T0).seconds_behind == 0.0
        wedding = _wedding(conn, clock)  # change 1 at T0
        clock.advance(minutes=5)
        _photo(conn, wedding, "a" * 64, clock)  # change 2 at T0 + 5 min
        now = T0 + timedelta(minutes=10)
        lag = backup_lag(conn, "repo", now=now)
        assert (lag.cursor, lag.pending, lag.oldest_pending_at) == (0, 2, T0)
        assert lag.seconds_behind == 600.0
        assert advance_cursor(conn, "repo", 1, now=now) == 1
        lag = backup_lag(conn, "repo", now=now)
        assert (lag.cursor, lag.pending, lag.seconds_behind) == (1, 1, 300.0)
        assert lag.oldest_pending_at == T0 + timedelta(minutes=5)
        assert advance_cursor(conn, "repo", 0, now=now) == 1  # never back
        assert advance_cursor(conn, "repo", latest_change_id(conn), now=now) == 2
        lag = backup_lag(conn, "repo", now=now)
        assert (lag.pending, lag.oldest_pending_at, lag.seconds_behind) == (0, None, 0.0)
        assert backup_lag(conn, "another", now=now).pending == 2
        with pytest.raises(InvalidValue):
            advance_cursor(conn, "repo", -1, now=now)
        with pytest.raises(ValueError):
            record_change(
                conn,
                tenant_id=1,
                wedding_id=None,
                kind="mystery",  # type: ignore[arg-type]
                subject="x",
                deadline=None,
                now=now,
            )


def test_change_ids_are_never_handed_out_twice(catalog, clock):
    """A log read by position: pruning its newest rows must not let an id come back (SQLite
    reuses the largest rowid unless the table is AUTOINCREMENT)."""
    with catalog.begin() as conn:
        ids = [
            record_change(
                conn,
                tenant_id=1,
                wedding_id=None,
                kind=ChangeKind.CATALOG,
                subject=f"tenant:{i}",
                deadline=None,
                now=clock(),
            )
            for i in range(3)
        ]
        conn.execute(text("DELETE FROM backup_change"))
        again = record_change(
            conn,
            tenant_id=1,
            wedding_id=None,
            kind=ChangeKind.CATALOG,
            subject="tenant:3",
            deadline=None,
            now=clock(),
        )
    assert again > max(ids)


def test_a_reader_waits_for_a_change_drawn_before_the_ones_it_sees(catalog, clock):
    """PostgreSQL draws ids at insert, not at commit: change 2 may commit while change 1 is
    still on its way. A reader that returned [2] and moved its cursor would lose change 1."""
    if catalog.dialect != "postgresql":
        pytest.skip("SQLite serialises writers: ids become visible in order")
    with catalog.begin() as conn:
        tenant = ensure_tenant(conn, "studio", now=clock())

    def change(conn, subject: str) -> int:
        return record_change(
            conn,
            tenant_id=tenant.id,
            wedding_id=None,
            kind=ChangeKind.CATALOG,
            subject=subject,
            deadline=None,
            now=clock(),
        )

    seen: list[list[int]] = []

    def read() -> None:
        with catalog.begin() as conn:
            seen.append([c.id for c in pending_changes(conn, "repo", limit=10)])

    slow = catalog.engine.connect()
    slow_tx = slow.begin()
    first = change(slow, "first")
    with catalog.begin() as conn:
        second = change(conn, "second")
    reader = threading.Thread(target=read)
    reader.start()
    reader.join(0.3)
    waited = reader.is_alive()
    slow_tx.commit()
    slow.close()
    reader.join(5)
    assert waited, "the reader did not wait for the change still being committed"
    assert seen == [[first, second]]


def test_followed_lags_reads_only_repositories_whose_cursor_just_moved(catalog, clock):
    from trousseau.catalog import followed_lags

    with catalog.begin() as conn:
        wedding = _wedding(conn, clock)
        _photo(conn, wedding, "a" * 64, clock)
        advance_cursor(conn, "weekly-replica", 0, now=clock())  # far behind, left alone
        clock.advance(minutes=10)
        advance_cursor(conn, "followed", 1, now=clock())
        lags = followed_lags(conn, now=clock() + timedelta(seconds=3), within=5.0)
        assert [(lag.repository, lag.pending) for lag in lags] == [("followed", 1)]
        assert lags[0].seconds_behind == 603.0
        assert followed_lags(conn, now=clock() + timedelta(seconds=6), within=5.0) == []

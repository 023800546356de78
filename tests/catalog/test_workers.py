"""Worker heartbeats on both backends: upsert, the live window, forgetting and pruning."""

from __future__ import annotations

from datetime import timedelta

from trousseau.catalog import beat, forget, live_workers, prune_workers

WINDOW = timedelta(seconds=60)


def _beat(conn, owner, now, **fields) -> None:
    values = {"host": "node-a", "pid": 41, "mode": "process", "slots": 4, **fields}
    beat(conn, owner, now=now, **values)


def test_a_second_beat_moves_last_seen_and_keeps_started_at(catalog, clock):
    first = clock()
    with catalog.begin() as conn:
        _beat(conn, "node-a:41:aa", first)
    later = clock.advance(seconds=20)
    with catalog.begin() as conn:
        _beat(conn, "node-a:41:aa", later, slots=2, mode="batch")
        (row,) = live_workers(conn, now=later, within=WINDOW)
    assert row.owner == "node-a:41:aa"
    assert (row.started_at, row.last_seen_at) == (first, later)
    assert (row.host, row.pid, row.mode, row.slots) == ("node-a", 41, "batch", 2)
    assert row.seen_ago(clock.advance(seconds=12)) == timedelta(seconds=12)


def test_only_workers_seen_within_the_window_are_live(catalog, clock):
    start = clock()
    with catalog.begin() as conn:
        _beat(conn, "old", start)
        _beat(conn, "edge", start + timedelta(seconds=10))
        _beat(conn, "fresh", start + timedelta(seconds=50))
    now = start + timedelta(seconds=70)
    with catalog.begin() as conn:
        live = live_workers(conn, now=now, within=WINDOW)
    assert [w.owner for w in live] == ["edge", "fresh"]
    with catalog.begin() as conn:
        assert live_workers(conn, now=now + timedelta(seconds=1), within=WINDOW)[0].owner == "fresh"


def test_forget_removes_only_that_worker(catalog, clock):
    with catalog.begin() as conn:
        _beat(conn, "a", clock())
        _beat(conn, "b", clock())
        assert forget(conn, "a") is True
        assert forget(conn, "a") is False
        assert [w.owner for w in live_workers(conn, now=clock(), within=WINDOW)] == ["b"]


def test_prune_deletes_rows_last_seen_before_the_cutoff(catalog, clock):
    start = clock()
    with catalog.begin() as conn:
        _beat(conn, "gone", start)
        _beat(conn, "here", start + timedelta(hours=2))
        assert prune_workers(conn, before=start + timedelta(hours=1)) == 1
        remaining = live_workers(conn, now=start + timedelta(hours=2), within=timedelta(days=1))
    assert [w.owner for w in remaining] == ["here"]

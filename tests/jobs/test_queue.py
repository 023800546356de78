"""The queue's SQL on SQLite and PostgreSQL: order, leases, retries, dead letter, concurrency."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from trousseau.catalog import Catalog
from trousseau.jobs import (
    DEAD,
    DONE,
    QUEUED,
    RUNNING,
    NewJob,
    claim,
    complete,
    enqueue,
    enqueue_many,
    fail,
    get_job,
    pending,
    reap_expired,
    release,
    renew,
    retry,
    stats,
)

LEASE = timedelta(seconds=30)


def _job(clock, sla="standard", minutes=24 * 60, **kw) -> NewJob:
    return NewJob(
        kind=kw.pop("kind", "noop"),
        payload=kw.pop("payload", {}),
        sla=sla,
        deadline=clock() + timedelta(minutes=minutes),
        max_attempts=kw.pop("max_attempts", 3),
        **kw,
    )


def _claim(catalog: Catalog, clock, limit=1, owner="w1", **kw):
    with catalog.begin() as conn:
        return claim(conn, owner=owner, now=clock(), lease=LEASE, limit=limit, **kw)


def test_claims_earliest_deadline_first_then_oldest(catalog, clock):
    with catalog.begin() as conn:
        a = enqueue(conn, _job(clock, minutes=120), now=clock())
        b = enqueue(conn, _job(clock, minutes=30), now=clock())
        c = enqueue(conn, _job(clock, minutes=120), now=clock())
        d = enqueue(conn, _job(clock, minutes=60), now=clock())
    assert [j.id for j in _claim(catalog, clock, limit=10)] == [b, d, a, c]


def test_same_day_job_jumps_a_5000_job_standard_backlog(catalog, clock):
    with catalog.begin() as conn:
        enqueue_many(conn, [_job(clock, payload={"i": i}) for i in range(5000)], now=clock())
    clock.advance(minutes=5)
    with catalog.begin() as conn:
        urgent = enqueue(conn, _job(clock, sla="same-day", minutes=30), now=clock())
    first = _claim(catalog, clock, limit=1)
    assert [j.id for j in first] == [urgent]
    assert first[0].sla == "same-day"
    batch = _claim(catalog, clock, limit=10)
    assert [j.payload["i"] for j in batch] == list(range(10))


def test_a_batch_claim_takes_the_earliest_deadlines(catalog, clock):
    with catalog.begin() as conn:
        ids = {m: enqueue(conn, _job(clock, minutes=m), now=clock()) for m in (50, 10, 40, 20, 30)}
    got = _claim(catalog, clock, limit=3)
    assert [j.id for j in got] == [ids[10], ids[20], ids[30]]


def test_key_makes_enqueue_idempotent(catalog, clock):
    with catalog.begin() as conn:
        first = enqueue(conn, _job(clock, key="preview:1"), now=clock())
        again = enqueue(conn, _job(clock, key="preview:1"), now=clock())
        added = enqueue_many(
            conn, [_job(clock, key="preview:1"), _job(clock, key="preview:2")], now=clock()
        )
    assert first is not None and again is None and added == 1


def test_claim_leases_and_counts_the_attempt(catalog, clock):
    with catalog.begin() as conn:
        job_id = enqueue(conn, _job(clock), now=clock())
    (job,) = _claim(catalog, clock)
    assert job.attempts == 1
    assert _claim(catalog, clock) == []
    with catalog.begin() as conn:
        row = get_job(conn, job_id)
    assert row.state == RUNNING and row.lease_owner == "w1"


def test_complete_only_by_the_lease_owner(catalog, clock):
    with catalog.begin() as conn:
        job_id = enqueue(conn, _job(clock), now=clock())
    _claim(catalog, clock, owner="w1")
    with catalog.begin() as conn:
        assert complete(conn, [job_id], owner="w2", now=clock()) == 0
        assert complete(conn, [job_id], owner="w1", now=clock()) == 1
        assert get_job(conn, job_id).state == DONE


def test_expired_lease_makes_the_job_claimable_again(catalog, clock):
    with catalog.begin() as conn:
        job_id = enqueue(conn, _job(clock), now=clock())
    _claim(catalog, clock, owner="dead-worker")
    clock.advance(seconds=20)
    with catalog.begin() as conn:
        assert reap_expired(conn, now=clock()) == (0, 0)
    clock.advance(seconds=11)
    with catalog.begin() as conn:
        assert reap_expired(conn, now=clock()) == (1, 0)
        assert "lease expired" in get_job(conn, job_id).last_error
    (again,) = _claim(catalog, clock, owner="w2")
    assert again.id == job_id and again.attempts == 2
    with catalog.begin() as conn:
        assert complete(conn, [job_id], owner="dead-worker", now=clock()) == 0


def test_renewed_lease_does_not_expire(catalog, clock):
    with catalog.begin() as conn:
        enqueue(conn, _job(clock), now=clock())
    _claim(catalog, clock)
    for _ in range(5):
        clock.advance(seconds=20)
        with catalog.begin() as conn:
            assert renew(conn, owner="w1", now=clock(), lease=LEASE) == 1
            assert reap_expired(conn, now=clock()) == (0, 0)


def test_poison_job_that_kills_every_worker_ends_dead(catalog, clock):
    with catalog.begin() as conn:
        job_id = enqueue(conn, _job(clock, max_attempts=2), now=clock())
    for expected in ((1, 0), (0, 1)):
        assert len(_claim(catalog, clock)) == 1
        clock.advance(seconds=31)
        with catalog.begin() as conn:
            assert reap_expired(conn, now=clock()) == expected
    with catalog.begin() as conn:
        assert get_job(conn, job_id).state == DEAD
    assert _claim(catalog, clock) == []


def test_failed_job_waits_for_its_backoff(catalog, clock):
    with catalog.begin() as conn:
        job_id = enqueue(conn, _job(clock), now=clock())
    _claim(catalog, clock)
    with catalog.begin() as conn:
        assert fail(
            conn,
            job_id,
            owner="w1",
            now=clock(),
            error="boom",
            retry_at=clock() + timedelta(seconds=8),
        )
        assert pending(conn) == (1, clock() + timedelta(seconds=8))
    assert _claim(catalog, clock) == []
    clock.advance(seconds=8)
    (job,) = _claim(catalog, clock)
    assert job.id == job_id and job.attempts == 2


def test_dead_letter_keeps_the_error_and_retry_revives(catalog, clock):
    with catalog.begin() as conn:
        job_id = enqueue(conn, _job(clock), now=clock())
    _claim(catalog, clock)
    with catalog.begin() as conn:
        fail(conn, job_id, owner="w1", now=clock(), error="corrupt JPEG", retry_at=None)
        row = get_job(conn, job_id)
        assert (row.state, row.last_error) == (DEAD, "corrupt JPEG")
        assert retry(conn, None, now=clock()) == 1
        row = get_job(conn, job_id)
        assert (row.state, row.attempts) == (QUEUED, 0)


def test_release_gives_back_the_attempt(catalog, clock):
    with catalog.begin() as conn:
        job_id = enqueue(conn, _job(clock), now=clock())
    _claim(catalog, clock)
    with catalog.begin() as conn:
        assert release(conn, [job_id], owner="w1") == 1
        row = get_job(conn, job_id)
    assert (row.state, row.attempts, row.lease_owner) == (QUEUED, 0, None)


def test_claim_by_kind(catalog, clock):
    with catalog.begin() as conn:
        enqueue(conn, _job(clock, kind="preview", minutes=10), now=clock())
        other = enqueue(conn, _job(clock, kind="noop", minutes=20), now=clock())
    assert [j.id for j in _claim(catalog, clock, limit=5, kinds=["noop"])] == [other]


def test_stats_count_states_and_late_jobs(catalog, clock):
    with catalog.begin() as conn:
        late = enqueue(conn, _job(clock, sla="same-day", minutes=30), now=clock())
        enqueue(conn, _job(clock, minutes=60), now=clock())
    clock.advance(minutes=45)
    with catalog.begin() as conn:
        s = stats(conn, now=clock())
    assert s.by_state == {QUEUED: 2}
    assert s.by_state_sla[(QUEUED, "same-day")] == 1
    assert s.overdue == 1
    assert s.oldest_deadline == clock() - timedelta(minutes=15)
    _claim(catalog, clock)
    with catalog.begin() as conn:
        complete(conn, [late], owner="w1", now=clock())
        s = stats(conn, now=clock())
    assert s.finished_late == 1 and s.overdue == 0


def test_concurrent_claimers_never_share_a_job(catalog_url, clock):
    from trousseau.catalog import open_catalog

    with open_catalog(catalog_url).begin() as conn:
        enqueue_many(conn, [_job(clock, payload={"i": i}) for i in range(400)], now=clock())
    got: dict[str, list[int]] = {}

    def claimer(name: str) -> None:
        catalog = open_catalog(catalog_url)
        mine: list[int] = []
        while batch := _claim(catalog, clock, limit=7, owner=name):
            mine.extend(j.id for j in batch)
        got[name] = mine
        catalog.dispose()

    threads = [threading.Thread(target=claimer, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    everything = [i for ids in got.values() for i in ids]
    assert len(everything) == len(set(everything)) == 400


def test_naive_datetimes_are_refused(catalog, clock):
    from datetime import datetime

    with pytest.raises(Exception, match="timezone-aware"), catalog.begin() as conn:
        enqueue(conn, _job(clock), now=datetime(2026, 1, 1))


def test_enqueue_many_stores_every_field_and_skips_known_keys(catalog, clock):
    from dataclasses import replace
    from datetime import datetime

    from trousseau.catalog import ensure_tenant

    with catalog.begin() as conn:
        tenant_id = ensure_tenant(conn, "studio-a", now=clock()).id
    jobs = [
        _job(clock, sla="same-day", minutes=30, payload={"photo_id": 7, "é": [1, None]}),
        _job(clock, key="variants:8", tenant_id=tenant_id, max_attempts=9),
        _job(clock, key="variants:8"),  # the same key twice in one batch: stored once
    ]
    with catalog.begin() as conn:
        assert enqueue_many(conn, [], now=clock()) == 0
        assert enqueue_many(conn, jobs, now=clock()) == 2
        assert enqueue_many(conn, jobs[1:], now=clock()) == 0
    claimed = _claim(catalog, clock, limit=10)
    with catalog.begin() as conn:
        stored = [get_job(conn, j.id) for j in claimed]
    first, second = stored
    assert (first.sla, first.payload, first.deadline, first.state) == (
        "same-day",
        {"photo_id": 7, "é": [1, None]},
        jobs[0].deadline,
        RUNNING,
    )
    assert (first.run_after, first.created_at) == (clock(), clock())
    assert (second.max_attempts, second.attempts) == (9, 1)
    assert claimed[1].tenant_id == tenant_id and claimed[0].tenant_id is None
    with pytest.raises(Exception, match="timezone-aware"), catalog.begin() as conn:
        enqueue_many(conn, [replace(_job(clock), deadline=datetime(2026, 1, 1))], now=clock())

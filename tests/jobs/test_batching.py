"""Batched workers: the run-or-wait rule (pure) and the BatchPool under the real Worker."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from trousseau.jobs import (
    DEAD,
    DONE,
    BatchPolicy,
    BatchPool,
    NewJob,
    Worker,
    enqueue_many,
    list_jobs,
    register,
    register_batch,
    run_at,
)
from trousseau.jobs.execution import execute_batch
from trousseau.settings import JobSettings

T0 = datetime(2026, 6, 13, 15, 0, tzinfo=UTC)
POLICY = BatchPolicy(size=4, wait=timedelta(milliseconds=250), slack=timedelta(minutes=30))
FAST = JobSettings(
    lease_seconds=5,
    max_attempts=2,
    backoff_base_seconds=0.05,
    backoff_cap_seconds=0.1,
    poll_interval_seconds=0.05,
    batch_size=4,
    batch_wait_ms=100,
    batch_slack_seconds=60,
)


def _at(**delta: float) -> datetime:
    return T0 + timedelta(**delta)


# -- the rule ---------------------------------------------------------------------------------


def test_a_full_batch_runs_at_once():
    assert run_at(now=T0, deadlines=[_at(hours=24)] * 4, first_claim=T0, policy=POLICY) is None


def test_a_lone_urgent_photo_runs_at_once():
    same_day = [_at(minutes=29)]
    assert run_at(now=T0, deadlines=same_day, first_claim=T0, policy=POLICY) is None


def test_a_partial_relaxed_batch_waits_for_more_but_not_longer_than_the_wait():
    deadlines = [_at(hours=24), _at(hours=23)]
    assert run_at(now=T0, deadlines=deadlines, first_claim=T0, policy=POLICY) == _at(seconds=0.25)
    later = _at(seconds=0.3)
    assert run_at(now=later, deadlines=deadlines, first_claim=T0, policy=POLICY) is None


def test_waiting_never_eats_into_the_slack():
    deadlines = [_at(minutes=30, milliseconds=100)]
    until = run_at(now=T0, deadlines=deadlines, first_claim=T0, policy=POLICY)
    assert until == _at(milliseconds=100)


def test_the_rule_needs_held_jobs():
    with pytest.raises(ValueError, match="no job is held"):
        run_at(now=T0, deadlines=[], first_claim=T0, policy=POLICY)
    with pytest.raises(ValueError):
        BatchPolicy(size=0, wait=timedelta(0), slack=timedelta(0))


def test_policy_from_settings():
    policy = BatchPolicy.from_settings(FAST)
    assert policy == BatchPolicy(4, timedelta(milliseconds=100), timedelta(seconds=60))


# -- batch handlers ---------------------------------------------------------------------------

BATCHES: list[list[int]] = []


def echo(ctx: Any, payload: dict[str, Any]) -> None:
    if payload.get("fail"):
        raise RuntimeError(f"job {ctx.job_id} failed alone")


def echo_batch(ctxs: Any, payloads: Any) -> list[BaseException | None]:
    if any(p.get("explode") for p in payloads):
        raise RuntimeError("the whole batch broke")
    time.sleep(max(p.get("sleep", 0) for p in payloads))
    BATCHES.append([c.job_id for c in ctxs])
    return [RuntimeError("failed in batch") if p.get("fail") else None for p in payloads]


register("test-echo", f"{__name__}:echo")
register_batch("test-echo", f"{__name__}:echo_batch")


def test_batch_handlers_register_after_their_kind():
    with pytest.raises(ValueError, match="before its batch handler"):
        register_batch("test-unknown-kind", f"{__name__}:echo_batch")
    with pytest.raises(ValueError, match="already has the batch handler"):
        register_batch("test-echo", f"{__name__}:echo")


def _new(n: int, *, minutes: float = 600, payload: dict | None = None) -> list[NewJob]:
    from trousseau.clock import utc_now

    now = utc_now()
    return [
        NewJob(
            kind="test-echo",
            payload=dict(payload or {}, n=i),
            sla="standard",
            deadline=now + timedelta(minutes=minutes + i),
            max_attempts=2,
        )
        for i in range(n)
    ]


def test_batched_worker_runs_full_batches_earliest_deadline_first(catalog, settings):
    from trousseau.clock import utc_now

    settings = settings.model_copy(update={"jobs": FAST})
    with catalog.begin() as conn:
        enqueue_many(conn, list(reversed(_new(10))), now=utc_now())
    BATCHES.clear()
    pool = BatchPool(settings)
    stats = Worker(catalog, pool, FAST).run(until_idle=True)
    assert stats.done == 10 and stats.dead == 0
    assert [len(b) for b in BATCHES][:2] == [4, 4] and sum(map(len, BATCHES)) == 10
    with catalog.begin() as conn:
        jobs = sorted(list_jobs(conn, state=DONE), key=lambda j: j.deadline)
    order = {job_id: i for i, batch in enumerate(BATCHES) for job_id in batch}
    assert [order[j.id] for j in jobs] == sorted(order[j.id] for j in jobs)


def test_one_failing_job_fails_alone_and_a_broken_batch_runs_job_by_job(catalog, settings):
    from trousseau.clock import utc_now

    settings = settings.model_copy(update={"jobs": FAST})
    with catalog.begin() as conn:
        enqueue_many(conn, _new(3) + _new(1, payload={"fail": True}), now=utc_now())
    stats = Worker(catalog, BatchPool(settings), FAST).run(until_idle=True)
    assert (stats.done, stats.dead) == (3, 1)
    with catalog.begin() as conn:
        (dead,) = list_jobs(conn, state=DEAD)
    assert dead.attempts == 2 and "failed in batch" in dead.last_error


def test_a_batch_that_raises_as_a_whole_loses_no_job(settings):
    from trousseau.jobs import ClaimedJob, Resources

    jobs = [
        ClaimedJob(i, "test-echo", {"explode": i == 1}, "standard", T0, 1, 2, None)
        for i in range(1, 4)
    ]
    outcomes = execute_batch(jobs, Resources(settings))
    assert [o.ok for o in outcomes] == [True, True, True]


def test_a_lone_job_is_not_held_back(catalog, settings):
    """A lone photo whose deadline is within the slack runs without waiting for a batch."""
    import time

    from trousseau.clock import utc_now

    relaxed = FAST.model_copy(update={"batch_wait_ms": 5000, "batch_slack_seconds": 1800})
    settings = settings.model_copy(update={"jobs": relaxed})
    with catalog.begin() as conn:
        enqueue_many(conn, _new(1, minutes=20), now=utc_now())
    started = time.monotonic()
    stats = Worker(catalog, BatchPool(settings), relaxed).run(until_idle=True)
    assert stats.done == 1 and time.monotonic() - started < 2.0


def test_stopping_releases_held_jobs(settings):
    from trousseau.jobs import ClaimedJob

    pool = BatchPool(settings.model_copy(update={"jobs": FAST}))
    pool.submit([ClaimedJob(7, "test-echo", {}, "standard", _at(days=1), 1, 2, None)])
    assert pool.held() == [7] and pool.free() == 3
    (outcome,) = pool.stop()
    assert (outcome.job_id, outcome.started) == (7, False)


def test_a_batch_longer_than_its_lease_keeps_its_leases(catalog, settings):
    """The batch runs beside the worker loop, which renews the leases of its jobs meanwhile,
    so another worker reaping expired leases finds none: nothing runs twice."""
    import threading

    from trousseau.clock import utc_now
    from trousseau.jobs.queue import reap_expired

    short = FAST.model_copy(update={"lease_seconds": 0.6})
    settings = settings.model_copy(update={"jobs": short})
    with catalog.begin() as conn:
        enqueue_many(conn, _new(4, payload={"sleep": 2.0}), now=utc_now())
    BATCHES.clear()
    reaped: list[int] = []
    done = threading.Event()

    def other_worker() -> None:
        while not done.wait(0.1):
            with catalog.begin() as conn:
                reaped.append(reap_expired(conn, now=utc_now())[0])

    reaper = threading.Thread(target=other_worker)
    reaper.start()
    try:
        stats = Worker(catalog, BatchPool(settings), short).run(until_idle=True)
    finally:
        done.set()
        reaper.join()
    assert sum(reaped) == 0 and len(reaped) >= 10
    assert (stats.done, stats.lost_leases, stats.dead) == (4, 0, 0)
    assert len(BATCHES) == 1
    with catalog.begin() as conn:
        assert [job.attempts for job in list_jobs(conn, state=DONE)] == [1, 1, 1, 1]

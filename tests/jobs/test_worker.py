"""The worker loop with real pools: draining, retries, dead letter, crashes, shutdown."""

from __future__ import annotations

import os
import signal
import threading
import time
from datetime import timedelta

import pytest

from trousseau.catalog import recent_events
from trousseau.jobs import (
    DEAD,
    DONE,
    InlinePool,
    NewJob,
    ProcessPool,
    Worker,
    enqueue,
    enqueue_many,
    get_job,
    list_jobs,
    stats,
)
from trousseau.settings import JobSettings

FAST = JobSettings(
    lease_seconds=5,
    max_attempts=3,
    backoff_base_seconds=0.05,
    backoff_cap_seconds=0.1,
    poll_interval_seconds=0.05,
    shutdown_grace_seconds=5,
)


def _new(kind="noop", payload=None, minutes=60, max_attempts=3, now=None) -> NewJob:
    from trousseau.clock import utc_now

    return NewJob(
        kind=kind,
        payload=payload or {},
        sla="standard",
        deadline=(now or utc_now()) + timedelta(minutes=minutes),
        max_attempts=max_attempts,
    )


def _states(catalog) -> dict[str, int]:
    from trousseau.clock import utc_now

    with catalog.begin() as conn:
        return stats(conn, now=utc_now()).by_state


def test_inline_worker_drains_until_idle(catalog, settings):
    from trousseau.clock import utc_now

    with catalog.begin() as conn:
        enqueue_many(conn, [_new() for _ in range(300)], now=utc_now())
    worker = Worker(catalog, InlinePool(settings), FAST)
    result = worker.run(until_idle=True)
    assert (result.claimed, result.done) == (300, 300)
    assert _states(catalog) == {DONE: 300}


def test_failures_retry_with_backoff_then_dead_letter(catalog, settings):
    from trousseau.clock import utc_now

    with catalog.begin() as conn:
        flaky = enqueue(conn, _new("fail", {"message": "disk hiccup"}), now=utc_now())
        poison = enqueue(
            conn, _new("fail", {"message": "bad bytes", "permanent": True}), now=utc_now()
        )
    worker = Worker(catalog, InlinePool(settings), FAST)
    result = worker.run(until_idle=True)
    assert (result.retried, result.dead) == (2, 2)
    with catalog.begin() as conn:
        f, p = get_job(conn, flaky), get_job(conn, poison)
        events = recent_events(conn, kind="job.dead")
    assert (f.state, f.attempts) == (DEAD, 3)
    assert "disk hiccup" in f.last_error and "RuntimeError" in f.last_error
    assert (p.state, p.attempts, p.last_error) == (DEAD, 1, "bad bytes")
    assert len(events) == 2 and any("permanent" in e.message for e in events)


def test_unknown_kind_goes_to_dead_letter_with_a_clear_error(catalog, settings):
    from trousseau.clock import utc_now

    with catalog.begin() as conn:
        job_id = enqueue(conn, _new("no-such-kind"), now=utc_now())
    Worker(catalog, InlinePool(settings), FAST).run(until_idle=True)
    with catalog.begin() as conn:
        row = get_job(conn, job_id)
    assert row.state == DEAD and "no job kind 'no-such-kind'" in row.last_error


@pytest.mark.slow
def test_process_pool_survives_a_killed_job_process(catalog, settings):
    from trousseau.clock import utc_now

    with catalog.begin() as conn:
        victim = enqueue(conn, _new("sleep", {"seconds": 3}, minutes=1), now=utc_now())
        enqueue_many(conn, [_new("sleep", {"seconds": 0.01}) for _ in range(20)], now=utc_now())
    pool = ProcessPool(2, settings)
    worker = Worker(catalog, pool, FAST)

    def kill_the_victims_process() -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            for child in pool._children:
                if any(j.id == victim for j in child.chunk[child.reported :]):
                    time.sleep(0.3)
                    os.kill(child.process.pid, signal.SIGKILL)
                    return
            time.sleep(0.02)

    killer = threading.Thread(target=kill_the_victims_process)
    killer.start()
    result = worker.run(until_idle=True)
    killer.join()
    with catalog.begin() as conn:
        row = get_job(conn, victim)
    assert row.state == DONE and row.attempts == 2
    assert "killed by SIGKILL" in row.last_error
    assert result.done == 21 and result.retried == 1
    assert _states(catalog) == {DONE: 21}


@pytest.mark.slow
def test_job_timeout_kills_and_retries(catalog, settings):
    from trousseau.clock import utc_now

    with catalog.begin() as conn:
        job_id = enqueue(conn, _new("sleep", {"seconds": 30}, max_attempts=1), now=utc_now())
    pool = ProcessPool(1, settings, job_timeout_seconds=0.5)
    started = time.monotonic()
    Worker(catalog, pool, FAST).run(until_idle=True)
    assert time.monotonic() - started < 15
    with catalog.begin() as conn:
        row = get_job(conn, job_id)
    assert row.state == DEAD and "timed out after 0.5 s" in row.last_error


@pytest.mark.slow
def test_graceful_stop_finishes_running_and_releases_the_rest(catalog, settings):
    from trousseau.clock import utc_now

    with catalog.begin() as conn:
        enqueue_many(conn, [_new("sleep", {"seconds": 0.4}) for _ in range(10)], now=utc_now())
    pool = ProcessPool(2, settings)
    worker = Worker(catalog, pool, FAST)
    threading.Timer(2.0, worker.stop).start()
    result = worker.run()
    states = _states(catalog)
    assert states.get("running", 0) == 0
    assert states[DONE] == result.done >= 2
    assert states[DONE] + states.get("queued", 0) == 10
    with catalog.begin() as conn:
        assert all(j.attempts == 0 for j in list_jobs(conn, state="queued"))


@pytest.mark.slow
def test_stop_now_releases_jobs_mid_run(catalog, settings):
    from trousseau.clock import utc_now

    with catalog.begin() as conn:
        enqueue_many(conn, [_new("sleep", {"seconds": 20}) for _ in range(2)], now=utc_now())
    pool = ProcessPool(2, settings)
    worker = Worker(catalog, pool, FAST)
    threading.Timer(2.0, lambda: worker.stop(now=True)).start()
    started = time.monotonic()
    result = worker.run()
    assert time.monotonic() - started < 10
    assert result.released == 2
    assert _states(catalog) == {"queued": 2}

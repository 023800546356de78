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
@pytest.mark.parametrize("start_method", ["spawn", "forkserver"])
def test_process_pool_survives_a_killed_job_process(catalog, settings, start_method):
    from trousseau.clock import utc_now

    with catalog.begin() as conn:
        victim = enqueue(conn, _new("sleep", {"seconds": 3}, minutes=1), now=utc_now())
        enqueue_many(conn, [_new("sleep", {"seconds": 0.01}) for _ in range(20)], now=utc_now())
    pool = ProcessPool(2, settings, start_method=start_method)
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

    def stop_after_two_done() -> None:
        # Not a fixed delay: on a loaded machine (the suite runs in parallel) the job
        # processes may take seconds to start, and a timer could stop the worker before any
        # job ran.
        deadline = time.monotonic() + 120
        while _states(catalog).get(DONE, 0) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        worker.stop()

    threading.Thread(target=stop_after_two_done, daemon=True).start()
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


def _live(catalog, now, within=FAST.lease_seconds):
    from trousseau.catalog import live_workers

    with catalog.begin() as conn:
        return live_workers(conn, now=now, within=timedelta(seconds=within))


def _wait_for(predicate, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.02)


def test_an_idle_worker_is_live_while_it_runs_and_gone_after_it_stops(catalog, settings, clock):
    worker = Worker(catalog, InlinePool(settings), FAST, clock=clock)
    runner = threading.Thread(target=worker.run)
    runner.start()
    try:
        _wait_for(lambda: _live(catalog, clock()) != [])
        (row,) = _live(catalog, clock())
        assert (row.owner, row.mode, row.slots, row.pid) == (worker.owner, "inline", 1, os.getpid())
        started = row.started_at
        # It holds no job, yet keeps beating on the renewal cadence (a third of a lease), at
        # the instants of its injected clock: past the window, a fresh beat makes it live again.
        later = clock.advance(seconds=FAST.lease_seconds * 3)
        _wait_for(lambda: [w.last_seen_at for w in _live(catalog, later)] == [later])
        assert _live(catalog, later)[0].started_at == started
    finally:
        worker.stop()
        runner.join(timeout=30)
    assert not runner.is_alive()
    assert _live(catalog, clock(), within=10**6) == []


def _work_until_killed(catalog_url, settings, owner, start) -> None:
    from trousseau.catalog import open_catalog

    from ..conftest import FakeClock

    worker = Worker(
        open_catalog(catalog_url), InlinePool(settings), FAST, clock=FakeClock(start), owner=owner
    )
    worker.run()


@pytest.mark.slow
def test_a_worker_killed_without_goodbye_is_gone_after_a_lease(catalog_url, settings, clock):
    import multiprocessing

    from trousseau.catalog import open_catalog

    catalog = open_catalog(catalog_url)
    start = clock()
    owner = "victim:1:deadbeef"
    child = multiprocessing.get_context("spawn").Process(
        target=_work_until_killed, args=(catalog_url, settings, owner, start)
    )
    child.start()
    try:
        _wait_for(lambda: [w.owner for w in _live(catalog, start)] == [owner], timeout=60)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.join(timeout=10)
    lease = timedelta(seconds=FAST.lease_seconds)
    assert [w.owner for w in _live(catalog, start + lease)] == [owner]
    assert _live(catalog, start + lease + timedelta(seconds=1)) == []
    assert [w.owner for w in _live(catalog, start + lease * 2, within=10**6)] == [owner]
    catalog.dispose()


def test_a_failed_goodbye_is_logged_and_does_not_hide_the_real_error(tmp_path, caplog):
    from trousseau.catalog import open_catalog
    from trousseau.settings import load_settings

    path = tmp_path / "doomed.sqlite3"
    settings = load_settings(
        data_dir=tmp_path / "data", catalog_url=f"sqlite:///{path}", vault_url=tmp_path.as_uri()
    )
    catalog = open_catalog(settings.catalog_url)

    class LosesTheCatalogThenFails(InlinePool):
        def wait(self, timeout, wakers=()):
            catalog.dispose()
            for leftover in tmp_path.glob("doomed.sqlite3*"):
                leftover.unlink()
            path.mkdir()  # the catalog is gone, so the heartbeat cannot be removed either
            raise RuntimeError("the decoder exploded")

    worker = Worker(catalog, LosesTheCatalogThenFails(settings), FAST)
    with pytest.raises(RuntimeError, match="the decoder exploded"):
        worker.run()
    assert f"worker {worker.owner} could not remove its heartbeat" in caplog.text


def _claim_as(catalog, owner: str, *, now, limit: int) -> list[int]:
    from trousseau.jobs import claim

    with catalog.begin() as conn:
        return [
            j.id for j in claim(conn, owner=owner, now=now, lease=timedelta(hours=1), limit=limit)
        ]


def test_a_dead_process_on_this_host_has_its_jobs_released_at_once(catalog, settings):
    """A worker killed on this host holds an hour-long lease; the next worker starting here
    sees that its process is gone and runs its jobs at once, counting the interrupted run."""
    import socket
    import subprocess
    import sys

    from trousseau.catalog import beat, live_workers
    from trousseau.clock import utc_now
    from trousseau.jobs.liveness import identity

    now = utc_now()
    with catalog.begin() as conn:
        enqueue_many(conn, [_new(now=now) for _ in range(4)], now=now)
    victim = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    owner = f"{socket.gethostname()}:{victim.pid}:deadbeef"
    recorded = identity(victim.pid)
    with catalog.begin() as conn:
        beat(
            conn,
            owner,
            now=now,
            host=socket.gethostname(),
            pid=victim.pid,
            mode="process",
            slots=2,
            process=recorded,
        )
    held = _claim_as(catalog, owner, now=now, limit=3)
    assert len(held) == 3
    victim.kill()
    victim.wait()

    started = time.monotonic()
    result = Worker(catalog, InlinePool(settings), FAST).run(until_idle=True)
    assert time.monotonic() - started < FAST.lease_seconds, "it waited for the lease"

    assert result.recovered == 3 and result.reaped == 0 and result.done == 4
    with catalog.begin() as conn:
        for job_id in held:
            row = get_job(conn, job_id)
            assert row.state == DONE and row.attempts == 2
        assert live_workers(conn, now=utc_now(), within=timedelta(hours=1)) == []
        kinds = [e.kind for e in recent_events(conn, limit=10)]
    assert "job.worker_died" in kinds


def test_a_live_process_or_another_hosts_worker_keeps_its_jobs(catalog, settings):
    """Only a process known dead on this host loses its jobs early; the others keep theirs
    until their leases expire."""
    import socket

    from trousseau.catalog import beat
    from trousseau.clock import utc_now
    from trousseau.jobs.liveness import identity

    now = utc_now()
    with catalog.begin() as conn:
        enqueue_many(conn, [_new(now=now) for _ in range(2)], now=now)
        beat(
            conn,
            "alive",
            now=now,
            host=socket.gethostname(),
            pid=os.getpid(),
            mode="process",
            slots=1,
            process=identity(),
        )
        beat(
            conn,
            "elsewhere",
            now=now,
            host="another-host",
            pid=1,
            mode="process",
            slots=1,
            process="another-boot/1/1",
        )
    alive = _claim_as(catalog, "alive", now=now, limit=1)
    elsewhere = _claim_as(catalog, "elsewhere", now=now, limit=1)

    worker = Worker(catalog, InlinePool(settings), FAST)
    threading.Timer(1.0, worker.stop).start()
    result = worker.run()

    assert result.recovered == 0
    with catalog.begin() as conn:
        assert get_job(conn, alive[0]).lease_owner == "alive"
        assert get_job(conn, elsewhere[0]).lease_owner == "elsewhere"

"""The worker: claims due jobs earliest-deadline-first, runs them in a pool, records outcomes.

One worker process owns the queue conversation for its pool: it claims batches sized to the
free slots and the observed job duration, keeps its leases alive, batches completions into
one statement, retries failures with backoff, sends poison to dead letter, and on SIGTERM or
SIGINT stops claiming, lets running jobs finish within the grace period and releases the rest.

It also beats: a heartbeat row under its lease owner id, written at start and then every
third of a lease (the renewal cadence) whether or not it holds jobs, so idle workers are
counted too, and removed on the way out. A worker that dies without a goodbye stops beating
and counts as gone once a lease's length has passed since its last beat.

Its leases, though, would hold its jobs for a whole lease. So the heartbeat records the
process's identity, and a worker starting or beating on the same host releases at once the
jobs of a process there that no longer exists (`trousseau.jobs.liveness`); workers on other
hosts wait for the lease.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from trousseau.catalog import (
    Catalog,
    EventKind,
    active_emergency,
    beat,
    forget,
    prune_workers,
    record_event,
    workers_on,
)
from trousseau.clock import Clock, utc_now
from trousseau.jobs import queue
from trousseau.jobs.deadlines import backoff_delay, claim_size
from trousseau.jobs.execution import Outcome
from trousseau.jobs.liveness import Liveness, identity, liveness
from trousseau.jobs.notifier import Listener
from trousseau.jobs.pool import Pool, pool_shape
from trousseau.settings import JobSettings

log = logging.getLogger("trousseau.jobs.worker")


FORGET_AFTER_LEASES = 60
"""Heartbeats of workers silent for this many lease lengths are pruned (an hour by default):
long past the live window, so a vanished worker's row is kept a while for the curious."""


@dataclass
class WorkerStats:
    """What one run of a worker did."""

    claimed: int = 0
    done: int = 0
    retried: int = 0
    dead: int = 0
    released: int = 0
    reaped: int = 0
    lost_leases: int = 0
    recovered: int = 0
    """Jobs of dead processes on this host released at once (not a lease later)."""


def worker_id() -> str:
    """A lease owner name that says where the worker runs."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Worker:
    """Drives a Pool from the queue. `stop()` may be called from a signal handler."""

    def __init__(
        self,
        catalog: Catalog,
        pool: Pool,
        settings: JobSettings,
        *,
        clock: Clock = utc_now,
        rand: Callable[[], float] | None = None,
        owner: str | None = None,
        kinds: Sequence[str] | None = None,
        listener: Listener | None = None,
        on_progress: Callable[[WorkerStats], None] | None = None,
    ) -> None:
        import random

        self.catalog = catalog
        self.pool = pool
        self.settings = settings
        self.clock = clock
        self.rand = rand or random.Random().random
        self.owner = owner or worker_id()
        self.kinds = list(kinds) if kinds is not None else None
        self.listener = listener
        self.on_progress = on_progress
        self.stats = WorkerStats()
        self.ran = False
        """Whether `run` was called (it stops the pool on the way out; else the owner must)."""
        self._lease = timedelta(seconds=settings.lease_seconds)
        self._host = socket.gethostname()
        self._pid = os.getpid()
        self._process = identity()
        self._mode, self._slots = pool_shape(pool)
        self._avg_seconds: float | None = None
        self._stopping_since: float | None = None
        self._stop_now = False
        self._until_idle = False
        self._wake_read, self._wake_write = os.pipe()
        os.set_blocking(self._wake_write, False)
        os.set_blocking(self._wake_read, False)

    def stop(self, *, now: bool = False) -> None:
        """Ask the worker to finish: stop claiming, then drain (or abandon at once if `now`)."""
        if self._stopping_since is None:
            self._stopping_since = time.monotonic()
        if now:
            self._stop_now = True
        with contextlib.suppress(OSError):
            os.write(self._wake_write, b"!")

    @property
    def stopping(self) -> bool:
        return self._stopping_since is not None

    def finish_when_idle(self) -> None:
        """From now on, return as soon as no job is queued or running (like `until_idle`).

        Lets a producer (the demo's ingest) keep a worker busy while it is still adding jobs.
        """
        self._until_idle = True
        with contextlib.suppress(OSError):
            os.write(self._wake_write, b"!")

    def run(self, *, until_idle: bool = False) -> WorkerStats:
        """Work until stopped, or until no job is queued or running when `until_idle`."""
        self._until_idle = until_idle or self._until_idle
        self.ran = True
        renew_every = self.settings.lease_seconds / 3
        try:
            self._beat()
            last_renew = last_reap = last_beat = time.monotonic()
            self._reap()
            while True:
                if self.stopping and (
                    self._stop_now
                    or not self.pool.held()
                    or time.monotonic() - self._stopping_since  # type: ignore[operator]
                    > self.settings.shutdown_grace_seconds
                ):
                    break
                claimed = 0 if self.stopping else self._claim()
                wait = 0.0 if claimed and self.pool.free() else self._idle_wait(claimed)
                if self._until_idle and not claimed and not self.pool.held():
                    idle, due_in = self._queue_idle()
                    if idle:
                        break
                    if due_in is not None:
                        wait = min(wait, due_in)
                wait = min(wait, max(0.0, last_beat + renew_every - time.monotonic()))
                wakers: list[Any] = [self._wake_read]
                if self.listener is not None and not self.stopping:
                    wakers.append(self.listener)
                outcomes = self.pool.wait(wait, wakers)
                with contextlib.suppress(BlockingIOError):
                    os.read(self._wake_read, 64)
                if self.listener is not None:
                    self.listener.drain()
                if outcomes:
                    self._record(outcomes)
                mono = time.monotonic()
                if mono - last_renew >= renew_every and self.pool.held():
                    self._renew()
                    last_renew = mono
                if mono - last_beat >= renew_every:
                    self._beat()
                    last_beat = mono
                if mono - last_reap >= self.settings.lease_seconds / 2:
                    self._reap()
                    last_reap = mono
        finally:
            self._shutdown()
        return self.stats

    def _idle_wait(self, claimed: int) -> float:
        if self.pool.held():
            return min(self.settings.poll_interval_seconds, self.settings.lease_seconds / 3)
        return 0.0 if claimed else self.settings.poll_interval_seconds

    def _claim(self) -> int:
        free = self.pool.free()
        if free <= 0:
            return 0
        limit = claim_size(
            free,
            self._avg_seconds,
            window_ms=self.settings.claim_window_ms,
            batch_max=self.settings.claim_batch_max,
        )
        now = self.clock()
        with self.catalog.begin() as conn:
            emergency = active_emergency(conn, now=now)
            jobs = queue.claim(
                conn,
                owner=self.owner,
                now=now,
                lease=self._lease,
                limit=limit,
                kinds=self.kinds,
                paused_slas=emergency.paused_slas if emergency else (),
            )
        if jobs:
            self.stats.claimed += len(jobs)
            self.pool.submit(jobs)
        return len(jobs)

    def _record(self, outcomes: list[Outcome]) -> None:
        now = self.clock()
        ok = [o.job_id for o in outcomes if o.ok]
        not_started = [o.job_id for o in outcomes if not o.ok and not o.started]
        failed = [o for o in outcomes if not o.ok and o.started]
        for o in outcomes:
            if o.started and o.seconds >= 0:
                self._avg_seconds = (
                    o.seconds
                    if self._avg_seconds is None
                    else 0.9 * self._avg_seconds + 0.1 * o.seconds
                )
        with self.catalog.begin() as conn:
            if ok:
                completed = queue.complete(conn, ok, owner=self.owner, now=now)
                self.stats.done += completed
                self.stats.lost_leases += len(ok) - completed
            if not_started:
                self.stats.released += queue.release(conn, not_started, owner=self.owner)
            for o in failed:
                self._fail(conn, o, now)
        if self.on_progress is not None:
            self.on_progress(self.stats)

    def _fail(self, conn: Any, outcome: Outcome, now: Any) -> None:
        row = queue.get_job(conn, outcome.job_id)
        if row is None or row.lease_owner != self.owner:
            self.stats.lost_leases += 1
            return
        exhausted = row.attempts >= row.max_attempts
        retry_at = None
        if not outcome.permanent and not exhausted:
            retry_at = now + backoff_delay(
                row.attempts,
                base_seconds=self.settings.backoff_base_seconds,
                cap_seconds=self.settings.backoff_cap_seconds,
                rand=self.rand,
            )
        queue.fail(
            conn,
            outcome.job_id,
            owner=self.owner,
            now=now,
            error=outcome.error or "",
            retry_at=retry_at,
        )
        if outcome.vault is not None:
            cause = (outcome.error or "").partition("\n")[0]
            record_event(
                conn,
                EventKind.VAULT_ERROR,
                f"job {row.id} ({row.kind}) failed on the vault: {cause}",
                now=now,
                job_id=row.id,
                data={"operation": outcome.vault},
            )
        if retry_at is None:
            self.stats.dead += 1
            why = "a permanent error" if outcome.permanent else f"{row.attempts} attempts"
            record_event(
                conn,
                EventKind.JOB_DEAD,
                f"job {row.id} ({row.kind}) moved to dead letter after {why}: {outcome.error}",
                now=now,
                job_id=row.id,
            )
        else:
            self.stats.retried += 1

    def _beat(self) -> None:
        """Say this worker is alive, busy or not (see `trousseau.catalog.workers`)."""
        with self.catalog.begin() as conn:
            beat(
                conn,
                self.owner,
                now=self.clock(),
                host=self._host,
                pid=self._pid,
                process=self._process,
                mode=self._mode,
                slots=self._slots,
            )
        self._recover_neighbours()

    def _recover_neighbours(self) -> None:
        """Release at once the jobs of dead worker processes on this host, and forget them."""
        now = self.clock()
        with self.catalog.begin() as conn:
            dead = [
                w
                for w in workers_on(conn, self._host)
                if w.owner != self.owner and liveness(w.pid, w.process) is Liveness.GONE
            ]
            if not dead:
                return
            owners = [w.owner for w in dead]
            requeued, failed = queue.reap_owners(conn, owners, now=now)
            for owner in owners:
                forget(conn, owner)
            record_event(
                conn,
                EventKind.JOB_WORKER_DIED,
                f"worker process(es) {', '.join(owners)} on {self._host} are gone: "
                f"{requeued} job(s) requeued at once and {failed} sent to dead letter",
                now=now,
                data={"owners": owners, "requeued": requeued, "dead": failed},
            )
            if requeued:
                queue.notify(conn)
        self.stats.recovered += requeued + failed
        if requeued or failed:
            log.warning(
                "released %d job(s) of dead worker process(es) %s at once",
                requeued + failed,
                ", ".join(owners),
            )

    def _renew(self) -> None:
        with self.catalog.begin() as conn:
            queue.renew(conn, owner=self.owner, now=self.clock(), lease=self._lease)

    def _reap(self) -> None:
        now = self.clock()
        with self.catalog.begin() as conn:
            requeued, dead = queue.reap_expired(conn, now=now)
            prune_workers(conn, before=now - FORGET_AFTER_LEASES * self._lease)
            if requeued or dead:
                record_event(
                    conn,
                    EventKind.JOB_LEASE_EXPIRED,
                    f"{requeued} job(s) requeued and {dead} sent to dead letter after their "
                    "worker stopped renewing its lease",
                    now=now,
                )
                queue.notify(conn)
        self.stats.reaped += requeued + dead

    def _queue_idle(self) -> tuple[bool, float | None]:
        """Whether no job this worker runs is queued or running anywhere (classes the
        emergency switch pauses aside); else seconds until one comes due."""
        with self.catalog.begin() as conn:
            emergency = active_emergency(conn, now=self.clock())
            count, first_due = queue.pending(
                conn, kinds=self.kinds, paused_slas=emergency.paused_slas if emergency else ()
            )
        if count == 0:
            return True, None
        if first_due is None:
            return False, None
        return False, max(0.0, (first_due - self.clock()).total_seconds())

    def _shutdown(self) -> None:
        try:
            leftovers = self.pool.stop()
            if leftovers:
                self._record(leftovers)
            if self.listener is not None:
                self.listener.close()
            os.close(self._wake_read)
            os.close(self._wake_write)
        finally:
            self._forget()

    def _forget(self) -> None:
        """Remove the heartbeat, best effort: on the way out (maybe after a catalog error),
        a failure here must not hide the real one; the row then ages out of the live window."""
        try:
            with self.catalog.begin() as conn:
                forget(conn, self.owner)
        except Exception:
            log.warning(
                "worker %s could not remove its heartbeat; it counts as gone %g s after its "
                "last beat",
                self.owner,
                self.settings.lease_seconds,
                exc_info=True,
            )

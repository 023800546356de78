"""Assembling a worker: one builder for `work`, `serve`, the demo, the tests and the benchmarks.

A worker is a `Worker` (the queue conversation) driving a pool (where jobs run) with a
listener (PostgreSQL's LISTEN, so idle workers wake on an enqueue). Which pool is a
`PoolMode`; which job kinds exist is the `jobs.kind_modules` setting, imported in every
process that runs jobs. `BackgroundWorker` runs one in a thread beside a server and restarts
it after a failure.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Sequence
from enum import StrEnum

from trousseau.catalog import Catalog, open_catalog
from trousseau.clock import Clock, utc_now
from trousseau.jobs.batchpool import BatchPool
from trousseau.jobs.notifier import listener_for
from trousseau.jobs.pool import InlinePool, Pool, ProcessPool
from trousseau.jobs.worker import Worker, WorkerStats
from trousseau.settings import Settings

log = logging.getLogger("trousseau.jobs.runner")


class PoolMode(StrEnum):
    """Where a worker runs its jobs."""

    PROCESS = "process"
    """A pool of job processes (the default): a crash costs one job."""
    INLINE = "inline"
    """In the worker's own process, one at a time (`--workers 0`, tests, measurements)."""
    BATCH = "batch"
    """Deadline-ordered batches rendered together in this process (`--batch`)."""
    GPU = "gpu"
    """Batches on the GPU backend (`--gpu`)."""


def build_pool(
    settings: Settings,
    *,
    mode: PoolMode = PoolMode.PROCESS,
    processes: int | None = None,
    clock: Clock = utc_now,
    start_method: str = "spawn",
) -> Pool:
    """The pool of `mode`; `processes` (default `settings.workers`) sizes a process pool, and
    0 processes means inline; `start_method` is the process pool's (`ProcessPool`)."""
    kinds = settings.jobs.kind_modules
    size = settings.workers if processes is None else processes
    if mode in (PoolMode.BATCH, PoolMode.GPU):
        return BatchPool(settings, kinds, mode=mode.value, clock=clock)
    if mode is PoolMode.INLINE or size == 0:
        return InlinePool(settings, kinds, clock=clock)
    return ProcessPool(
        size,
        settings,
        kinds,
        job_timeout_seconds=settings.jobs.timeout_seconds,
        clock=clock,
        start_method=start_method,
    )


def build_worker(
    settings: Settings,
    catalog: Catalog,
    *,
    mode: PoolMode = PoolMode.PROCESS,
    processes: int | None = None,
    pool: Pool | None = None,
    clock: Clock = utc_now,
    owner: str | None = None,
    kinds: Sequence[str] | None = None,
    on_progress: Callable[[WorkerStats], None] | None = None,
    start_method: str = "spawn",
) -> Worker:
    """A worker on `catalog` driving the pool of `mode` (or `pool`, when given), listening for
    enqueues where the catalog can notify; `kinds` limits what it claims. `clock` reaches the
    worker and every job it runs, so follow-on jobs and deadlines share one time line."""
    return Worker(
        catalog,
        pool
        if pool is not None
        else build_pool(
            settings, mode=mode, processes=processes, clock=clock, start_method=start_method
        ),
        settings.jobs,
        clock=clock,
        owner=owner,
        kinds=kinds,
        listener=listener_for(catalog),
        on_progress=on_progress,
    )


class BackgroundWorker:
    """A worker in a background thread, restarted after a failure (the catalog down at boot):
    the job worker `trousseau serve` runs beside the HTTP server."""

    def __init__(
        self,
        settings: Settings,
        *,
        processes: int,
        clock: Clock = utc_now,
        restart_delay: float = 5.0,
    ) -> None:
        self.settings = settings
        self.processes = processes
        self.clock = clock
        self.restart_delay = restart_delay
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._worker: Worker | None = None
        self._thread = threading.Thread(target=self._run, name="trousseau-worker", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, *, now: bool = False) -> None:
        """Stop claiming and drain (or abandon running jobs at once when `now`)."""
        with self._lock:
            self._stopping.set()
            if self._worker is not None:
                self._worker.stop(now=now)

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the worker to finish; True when it has."""
        if self._thread.ident is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._work_once()
                return
            except Exception:
                log.exception("the job worker stopped; restarting in %g s", self.restart_delay)
                self._stopping.wait(self.restart_delay)

    def _work_once(self) -> None:
        settings = self.settings
        catalog = open_catalog(
            settings.catalog_url,
            auto_migrate=settings.auto_migrate,
            busy_timeout_ms=settings.sqlite_busy_timeout_ms,
        )
        try:
            with self._lock:
                if self._stopping.is_set():
                    return
                worker = build_worker(settings, catalog, processes=self.processes, clock=self.clock)
                self._worker = worker
            log.info(
                "job worker %s started with %d job process(es)",
                worker.owner,
                max(self.processes, 1),
            )
            stats = worker.run()
            log.info(
                "job worker stopped: done %d, retried %d, dead %d, released %d",
                stats.done,
                stats.retried,
                stats.dead,
                stats.released,
            )
        finally:
            with self._lock:
                self._worker = None
            with contextlib.suppress(Exception):
                catalog.dispose()

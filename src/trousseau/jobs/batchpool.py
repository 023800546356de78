"""A Pool that runs claimed jobs in batches in the worker's own process: the GPU worker.

One process owns the GPU (one CUDA context, one bounded memory pool); parallelism comes
from the batch, not from processes. The Worker claims up to `free()` jobs as usual; this
pool holds them until `batching.run_at` says to run, then hands each kind's jobs to its
batch handler (`registry.register_batch`), or runs them one by one when it has none. Each
job still gets its own Outcome, so completion, retries and dead letter are unchanged.

A batch runs in a thread of its own, so the Worker's loop keeps turning meanwhile: it renews
the leases of the jobs in the batch (a CPU-fallback batch can outlast a lease), claims the
next batch, and hears a stop.
"""

from __future__ import annotations

import contextlib
import multiprocessing.connection
import os
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from trousseau.clock import utc_now
from trousseau.jobs.batching import BatchPolicy, run_at
from trousseau.jobs.context import Resources
from trousseau.jobs.execution import Outcome, execute_batch
from trousseau.jobs.pool import import_kinds
from trousseau.jobs.queue import ClaimedJob
from trousseau.settings import Settings


class BatchPool:
    """Holds claimed jobs until the batch policy says go, then runs them together."""

    def __init__(
        self,
        settings: Settings,
        kind_modules: Sequence[str] = (),
        *,
        policy: BatchPolicy | None = None,
        clock: Callable[[], datetime] = utc_now,
        resources: Resources | None = None,
        mode: str = "batch",
    ) -> None:
        import_kinds(kind_modules)
        self.policy = policy or BatchPolicy.from_settings(settings.jobs)
        self.mode = mode
        """What the worker's heartbeat calls this pool: "batch", or "gpu" on the GPU."""
        self.clock = clock
        self.resources = resources or Resources(settings, clock=clock)
        self.batches: list[int] = []
        self._held: list[ClaimedJob] = []
        self._first_claim: datetime | None = None
        self._done: list[Outcome] = []
        self._running: list[ClaimedJob] = []
        self._outcomes: list[Outcome] = []
        self._runner: threading.Thread | None = None
        self._finished_read, self._finished_write = os.pipe()
        os.set_blocking(self._finished_read, False)

    @property
    def slots(self) -> int:
        """Jobs run at once: the batch size."""
        return self.policy.size

    def free(self) -> int:
        """Room for the next batch (claimed while the current one runs)."""
        return max(0, self.policy.size - len(self._held))

    def held(self) -> list[int]:
        return [job.id for job in self._running] + [job.id for job in self._held]

    def submit(self, jobs: Sequence[ClaimedJob]) -> None:
        if jobs and not self._held:
            self._first_claim = self.clock()
        self._held.extend(jobs)

    def wait(self, timeout: float, wakers: Sequence[Any] = ()) -> list[Outcome]:
        """Outcomes of a batch that ended within `timeout` (sooner if a waker is readable).

        Starts the held jobs when the policy says they are due and no batch is running.
        """
        self._collect()
        if self._held and self._runner is None:
            until = self._due()
            if until is None:
                self._start()
            else:
                timeout = min(timeout, max(0.0, (until - self.clock()).total_seconds()))
        if not self._done and timeout > 0:
            multiprocessing.connection.wait([self._finished_read, *wakers], timeout)
            self._collect()
            if self._held and self._runner is None and self._due() is None:
                self._start()
        done, self._done = self._done, []
        return done

    def stop(self) -> list[Outcome]:
        """Jobs not finished are handed back to be released (a running batch is abandoned:
        its jobs are idempotent and run again elsewhere)."""
        self._collect()
        unfinished = [*self._running, *self._held]
        leftovers = [Outcome(job.id, ok=False, started=False) for job in unfinished]
        self._held, self._running = [], []
        if self._runner is None:
            self.resources.close()
        os.close(self._finished_read)
        os.close(self._finished_write)
        return leftovers

    def _due(self) -> datetime | None:
        assert self._first_claim is not None
        return run_at(
            now=self.clock(),
            deadlines=[job.deadline for job in self._held],
            first_claim=self._first_claim,
            policy=self.policy,
        )

    def _start(self) -> None:
        held = sorted(self._held, key=lambda j: (j.deadline, j.id))
        self._held, self._first_claim = [], None
        self._running = held
        self._runner = threading.Thread(
            target=self._run, args=(held,), name="trousseau-batch", daemon=True
        )
        self._runner.start()

    def _run(self, held: list[ClaimedJob]) -> None:
        outcomes: list[Outcome] = []
        try:
            size = self.policy.size
            for start in range(0, len(held), size):
                by_kind: dict[str, list[ClaimedJob]] = {}
                for job in held[start : start + size]:
                    by_kind.setdefault(job.kind, []).append(job)
                for jobs in by_kind.values():
                    self.batches.append(len(jobs))
                    outcomes.extend(execute_batch(jobs, self.resources))
        finally:
            self._outcomes = outcomes
            with contextlib.suppress(OSError):
                os.write(self._finished_write, b"!")

    def _collect(self) -> None:
        """Take the outcomes of a batch that has ended."""
        if self._runner is None or self._runner.is_alive():
            return
        self._runner.join()
        self._runner = None
        with contextlib.suppress(BlockingIOError):
            os.read(self._finished_read, 64)
        finished = {o.job_id for o in self._outcomes}
        lost = [j for j in self._running if j.id not in finished]
        self._done.extend(self._outcomes)
        self._done.extend(
            Outcome(j.id, ok=False, error="the batch ended without running this job") for j in lost
        )
        self._running, self._outcomes = [], []

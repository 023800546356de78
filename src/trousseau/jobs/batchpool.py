"""A Pool that runs claimed jobs in batches in the worker's own process: the GPU worker.

One process owns the GPU (one CUDA context, one bounded memory pool); parallelism comes
from the batch, not from processes. The Worker claims up to `free()` jobs as usual; this
pool holds them until `batching.run_at` says to run, then hands each kind's jobs to its
batch handler (`registry.register_batch`), or runs them one by one when it has none. Each
job still gets its own Outcome, so completion, retries and dead letter are unchanged.
"""

from __future__ import annotations

import multiprocessing.connection
import time
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
    ) -> None:
        import_kinds(kind_modules)
        self.policy = policy or BatchPolicy.from_settings(settings.jobs)
        self.clock = clock
        self.resources = resources or Resources(settings)
        self.batches: list[int] = []
        self._held: list[ClaimedJob] = []
        self._first_claim: datetime | None = None
        self._done: list[Outcome] = []

    def free(self) -> int:
        return max(0, self.policy.size - len(self._held))

    def held(self) -> list[int]:
        return [job.id for job in self._held]

    def submit(self, jobs: Sequence[ClaimedJob]) -> None:
        if jobs and not self._held:
            self._first_claim = self.clock()
        self._held.extend(jobs)

    def wait(self, timeout: float, wakers: Sequence[Any] = ()) -> list[Outcome]:
        """Run the held jobs if due; else sleep until they are due, a waker fires or timeout."""
        if self._held:
            until = self._due()
            if until is None:
                self._run()
            else:
                timeout = min(timeout, max(0.0, (until - self.clock()).total_seconds()))
        if not self._done and timeout > 0:
            if wakers:
                multiprocessing.connection.wait(list(wakers), timeout)
            else:
                time.sleep(timeout)
            if self._held and self._due() is None:
                self._run()
        done, self._done = self._done, []
        return done

    def stop(self) -> list[Outcome]:
        """Held jobs never ran: they are handed back to be released."""
        leftovers = [Outcome(job.id, ok=False, started=False) for job in self._held]
        self._held = []
        self.resources.close()
        return leftovers

    def _due(self) -> datetime | None:
        assert self._first_claim is not None
        return run_at(
            now=self.clock(),
            deadlines=[job.deadline for job in self._held],
            first_claim=self._first_claim,
            policy=self.policy,
        )

    def _run(self) -> None:
        held = sorted(self._held, key=lambda j: (j.deadline, j.id))
        self._held, self._first_claim = [], None
        size = self.policy.size
        for start in range(0, len(held), size):
            batch = held[start : start + size]
            by_kind: dict[str, list[ClaimedJob]] = {}
            for job in batch:
                by_kind.setdefault(job.kind, []).append(job)
            for jobs in by_kind.values():
                self.batches.append(len(jobs))
                self._done.extend(execute_batch(jobs, self.resources))

"""Running one job function and turning what happened into an Outcome."""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass

from trousseau.errors import BlobCorrupt, TrousseauError, VaultError
from trousseau.jobs.context import JobContext, Resources
from trousseau.jobs.queue import ClaimedJob
from trousseau.jobs.registry import resolve, resolve_batch


def is_permanent(exc: BaseException) -> bool:
    """Whether another attempt cannot fix this failure (it goes to dead letter at once).

    The error's class says so (`TrousseauError.permanent`); the queue names no error of
    another package.
    """
    return bool(getattr(exc, "permanent", False))


@dataclass(frozen=True)
class Outcome:
    """What became of a claimed job. `started` False means it never ran and is released."""

    job_id: int
    ok: bool
    error: str | None = None
    permanent: bool = False
    seconds: float = 0.0
    started: bool = True
    vault: str | None = None
    """The vault operation that failed ("verify" for a damaged blob, else "job"), if any."""


def vault_failure(exc: BaseException) -> str | None:
    """Which vault operation a job's failure came from: "verify" when a blob no longer matches
    its hash, "job" for any other vault error (full, read-only, unreachable), else None."""
    if isinstance(exc, BlobCorrupt):
        return "verify"
    return "job" if isinstance(exc, VaultError) else None


def describe(exc: BaseException) -> str:
    """A message a person can act on; unexpected errors keep the tail of their traceback."""
    if isinstance(exc, TrousseauError):
        return str(exc)
    frames = traceback.format_exception(type(exc), exc, exc.__traceback__)
    tail = "".join(frames[-4:]).strip()
    return f"{type(exc).__name__}: {exc}\n{tail}"


log = logging.getLogger("trousseau.jobs")


def context_for(job: ClaimedJob, resources: Resources) -> JobContext:
    """The context a job function receives."""
    return JobContext(
        job_id=job.id,
        kind=job.kind,
        attempt=job.attempts,
        max_attempts=job.max_attempts,
        deadline=job.deadline,
        resources=resources,
        clock=resources.clock,
        sla=job.sla,
        tenant_id=job.tenant_id,
        wedding_id=job.wedding_id,
        photo_id=job.photo_id,
    )


def execute(job: ClaimedJob, resources: Resources) -> Outcome:
    """Run one job in this process; never raises for the job's own failure."""
    started = time.perf_counter()
    ctx = context_for(job, resources)
    try:
        resolve(job.kind)(ctx, job.payload)
    except Exception as exc:
        return Outcome(
            job.id,
            ok=False,
            error=describe(exc),
            permanent=is_permanent(exc),
            seconds=time.perf_counter() - started,
            vault=vault_failure(exc),
        )
    return Outcome(job.id, ok=True, seconds=time.perf_counter() - started)


def execute_batch(jobs: Sequence[ClaimedJob], resources: Resources) -> list[Outcome]:
    """Run jobs of one kind together through its batch handler; one Outcome per job.

    Without a batch handler the jobs run one by one. If the handler itself raises (a bug, not
    a job's failure), each job is run again alone, so one bad input cannot fail the others.
    """
    if not jobs:
        return []
    kinds = {job.kind for job in jobs}
    if len(kinds) != 1:
        raise ValueError(f"a batch holds jobs of one kind, not {sorted(kinds)}")
    try:
        handler = resolve_batch(jobs[0].kind)
    except Exception:
        handler = None
    if handler is None:
        return [execute(job, resources) for job in jobs]
    started = time.perf_counter()
    try:
        errors = handler([context_for(job, resources) for job in jobs], [j.payload for j in jobs])
        if len(errors) != len(jobs):
            raise RuntimeError(f"batch handler returned {len(errors)} results for {len(jobs)} jobs")
    except Exception as exc:
        log.warning(
            "batch of %d %s job(s) failed as a whole (%s); running each job alone",
            len(jobs),
            jobs[0].kind,
            describe(exc).splitlines()[0],
        )
        return [execute(job, resources) for job in jobs]
    seconds = (time.perf_counter() - started) / len(jobs)
    return [
        Outcome(job.id, ok=True, seconds=seconds)
        if error is None
        else Outcome(
            job.id,
            ok=False,
            error=describe(error),
            permanent=is_permanent(error),
            seconds=seconds,
            vault=vault_failure(error),
        )
        for job, error in zip(jobs, errors, strict=True)
    ]

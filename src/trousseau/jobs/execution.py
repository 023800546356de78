"""Running one job function and turning what happened into an Outcome."""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass

from trousseau.clock import utc_now
from trousseau.errors import CorruptImage, PermanentJobError, TrousseauError, UnknownJobKind
from trousseau.jobs.context import JobContext, Resources
from trousseau.jobs.queue import ClaimedJob
from trousseau.jobs.registry import resolve

PERMANENT = (PermanentJobError, CorruptImage, UnknownJobKind)
"""Failures that another attempt cannot fix: they go to dead letter at once."""


@dataclass(frozen=True)
class Outcome:
    """What became of a claimed job. `started` False means it never ran and is released."""

    job_id: int
    ok: bool
    error: str | None = None
    permanent: bool = False
    seconds: float = 0.0
    started: bool = True


def describe(exc: BaseException) -> str:
    """A message a person can act on; unexpected errors keep the tail of their traceback."""
    if isinstance(exc, TrousseauError):
        return str(exc)
    frames = traceback.format_exception(type(exc), exc, exc.__traceback__)
    tail = "".join(frames[-4:]).strip()
    return f"{type(exc).__name__}: {exc}\n{tail}"


def execute(job: ClaimedJob, resources: Resources) -> Outcome:
    """Run one job in this process; never raises for the job's own failure."""
    started = time.perf_counter()
    ctx = JobContext(
        job_id=job.id,
        kind=job.kind,
        attempt=job.attempts,
        max_attempts=job.max_attempts,
        deadline=job.deadline,
        resources=resources,
        clock=utc_now,
    )
    try:
        resolve(job.kind)(ctx, job.payload)
    except Exception as exc:
        return Outcome(
            job.id,
            ok=False,
            error=describe(exc),
            permanent=isinstance(exc, PERMANENT),
            seconds=time.perf_counter() - started,
        )
    return Outcome(job.id, ok=True, seconds=time.perf_counter() - started)

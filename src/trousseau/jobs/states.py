"""The life of a job: queued → running → done, or back to queued for a retry, or dead."""

from enum import StrEnum


class JobState(StrEnum):
    """A job's state as stored in the `job.state` column (the values never change).

    A `StrEnum` member is a `str` equal to its value, so it binds into SQL, compares with
    the text read back and serialises to JSON as that text.
    """

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    DEAD = "dead"


QUEUED = JobState.QUEUED
RUNNING = JobState.RUNNING
DONE = JobState.DONE
DEAD = JobState.DEAD

ALL: tuple[JobState, ...] = tuple(JobState)
"""Every state, in the order of a job's life (for tables and filters)."""

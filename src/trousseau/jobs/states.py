"""The life of a job: queued → running → done, or back to queued for a retry, or dead."""

from enum import StrEnum


class JobState(StrEnum):
    """A job's state: queued (waiting for a worker or its retry time), running (leased by a
    worker), done, or dead (out of attempts or failed for good: the dead letter)."""

    # Stored in `job.state` as these values, which never change. A StrEnum member is a str
    # equal to its value: it binds into SQL, compares with the text read back, and is JSON.

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

"""The durable, deadline-ordered job queue and the workers that drain it."""

from trousseau.jobs.batching import BatchPolicy, run_at
from trousseau.jobs.batchpool import BatchPool
from trousseau.jobs.context import JobContext, Resources
from trousseau.jobs.deadlines import backoff_delay, claim_size, deadline_for, is_late
from trousseau.jobs.execution import Outcome
from trousseau.jobs.notifier import Listener, listener_for
from trousseau.jobs.pool import InlinePool, Pool, ProcessPool
from trousseau.jobs.queue import (
    ClaimedJob,
    JobRow,
    NewJob,
    QueueStats,
    claim,
    complete,
    enqueue,
    enqueue_many,
    fail,
    get_job,
    list_jobs,
    pending,
    reap_expired,
    release,
    renew,
    retry,
    running_by_owner,
    stats,
)
from trousseau.jobs.registry import kinds, register, register_batch, resolve, resolve_batch
from trousseau.jobs.states import DEAD, DONE, QUEUED, RUNNING, JobState
from trousseau.jobs.worker import Worker, WorkerStats, worker_id

__all__ = [
    "DEAD",
    "DONE",
    "QUEUED",
    "RUNNING",
    "BatchPolicy",
    "BatchPool",
    "ClaimedJob",
    "InlinePool",
    "JobContext",
    "JobRow",
    "JobState",
    "Listener",
    "NewJob",
    "Outcome",
    "Pool",
    "ProcessPool",
    "QueueStats",
    "Resources",
    "Worker",
    "WorkerStats",
    "backoff_delay",
    "claim",
    "claim_size",
    "complete",
    "deadline_for",
    "enqueue",
    "enqueue_many",
    "fail",
    "get_job",
    "is_late",
    "kinds",
    "list_jobs",
    "listener_for",
    "pending",
    "reap_expired",
    "register",
    "register_batch",
    "release",
    "renew",
    "resolve",
    "resolve_batch",
    "retry",
    "run_at",
    "running_by_owner",
    "stats",
    "worker_id",
]

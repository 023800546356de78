"""The durable queue: SQL for enqueue, claim, complete, fail, release, renew and reap.

Claims take the earliest deadlines first (ties by age) and take several due jobs in one
statement. PostgreSQL claims with `FOR UPDATE SKIP LOCKED`, so concurrent workers never
block on or double-claim a row; SQLite claims inside the `BEGIN IMMEDIATE` transaction the
catalog opens, which serialises claimers for the few hundred microseconds a claim takes.
Every function runs in the caller's transaction and takes `now` from the caller.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, case, delete, func, select, text, update

from trousseau.catalog.schema import job
from trousseau.catalog.types import Json, UTCDateTime
from trousseau.jobs.states import DEAD, DONE, QUEUED, RUNNING

NOTIFY_CHANNEL = "trousseau_jobs"


@dataclass(frozen=True)
class NewJob:
    """A job to enqueue. `key` makes enqueueing idempotent: a second job with it is skipped.

    Its subject (`wedding_id`, `photo_id`) says what the job is about, so reports count a
    wedding's or a photo's jobs whatever their kind; the queue itself never reads it.
    """

    kind: str
    payload: dict[str, Any]
    sla: str
    deadline: datetime
    max_attempts: int
    key: str | None = None
    tenant_id: int | None = None
    wedding_id: int | None = None
    photo_id: int | None = None


@dataclass(frozen=True)
class ClaimedJob:
    """A job leased to a worker: what the worker needs to run it."""

    id: int
    kind: str
    payload: dict[str, Any]
    sla: str
    deadline: datetime
    attempts: int
    max_attempts: int
    tenant_id: int | None
    wedding_id: int | None = None
    photo_id: int | None = None


@dataclass(frozen=True)
class JobRow:
    """A job as the CLI and dashboard show it."""

    id: int
    kind: str
    payload: dict[str, Any]
    sla: str
    state: str
    deadline: datetime
    attempts: int
    max_attempts: int
    run_after: datetime
    lease_owner: str | None
    last_error: str | None
    created_at: datetime
    finished_at: datetime | None
    wedding_id: int | None = None
    photo_id: int | None = None


@dataclass(frozen=True)
class QueueStats:
    """Counts by state and SLA class, and how the deadlines stand at `now`."""

    by_state_sla: dict[tuple[str, str], int]
    oldest_deadline: datetime | None
    overdue: int
    finished_late: int
    now: datetime
    by_state: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        totals: dict[str, int] = {}
        for (state, _sla), n in self.by_state_sla.items():
            totals[state] = totals.get(state, 0) + n
        object.__setattr__(self, "by_state", totals)


def _insert(conn: Connection) -> Any:
    """An INSERT with the connection's dialect's ON CONFLICT clauses.

    The dialect's module is imported here, not at the top: a SQLite catalog never loads
    PostgreSQL's (and the engine has already loaded its own).
    """
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(job)
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(job)


def _values(new: NewJob, now: datetime) -> dict[str, Any]:
    return {
        "tenant_id": new.tenant_id,
        "wedding_id": new.wedding_id,
        "photo_id": new.photo_id,
        "kind": new.kind,
        "payload": new.payload,
        "key": new.key,
        "sla": new.sla,
        "deadline": new.deadline,
        "state": QUEUED,
        "attempts": 0,
        "max_attempts": new.max_attempts,
        "run_after": now,
        "created_at": now,
    }


def notify(conn: Connection) -> None:
    """Wake idle PostgreSQL workers when the transaction commits (no-op on SQLite)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_notify(:channel, '')"), {"channel": NOTIFY_CHANNEL})


def enqueue(conn: Connection, new: NewJob, *, now: datetime) -> int | None:
    """Add one job; returns its id, or None when a job with the same key already exists."""
    stmt = _insert(conn).values(**_values(new, now))
    if new.key is not None:
        stmt = stmt.on_conflict_do_nothing(index_elements=["key"])
    job_id = conn.execute(stmt.returning(job.c.id)).scalar()
    if job_id is not None:
        notify(conn)
    return job_id


_ENQUEUE_MANY_POSTGRESQL = text("""
INSERT INTO job (tenant_id, wedding_id, photo_id, kind, payload, key, sla, deadline, state,
                 attempts, max_attempts, run_after, created_at)
SELECT t.tenant_id, t.wedding_id, t.photo_id, t.kind, t.payload, t.key, t.sla, t.deadline,
       'queued', 0, t.max_attempts, :now, :now
FROM unnest(CAST(:tenant_ids AS bigint[]), CAST(:wedding_ids AS bigint[]),
            CAST(:photo_ids AS bigint[]), CAST(:kinds AS text[]), CAST(:payloads AS jsonb[]),
            CAST(:keys AS text[]), CAST(:slas AS text[]), CAST(:deadlines AS timestamptz[]),
            CAST(:max_attempts AS integer[]))
     AS t(tenant_id, wedding_id, photo_id, kind, payload, key, sla, deadline, max_attempts)
ON CONFLICT (key) DO NOTHING
RETURNING id
""").bindparams(bindparam("now", type_=UTCDateTime))
"""One statement whatever the number of jobs: nine array parameters, not nine per job, so
PostgreSQL parses and plans it once and a large batch does not hit the parameter limit."""


def enqueue_many(conn: Connection, jobs: Sequence[NewJob], *, now: datetime) -> int:
    """Add many jobs in one statement; jobs whose key exists are skipped. Returns how many."""
    if not jobs:
        return 0
    if conn.dialect.name == "postgresql":
        instant = UTCDateTime().process_bind_param
        result = conn.execute(
            _ENQUEUE_MANY_POSTGRESQL,
            {
                "now": now,
                "tenant_ids": [j.tenant_id for j in jobs],
                "wedding_ids": [j.wedding_id for j in jobs],
                "photo_ids": [j.photo_id for j in jobs],
                "kinds": [j.kind for j in jobs],
                "payloads": [json.dumps(j.payload) for j in jobs],
                "keys": [j.key for j in jobs],
                "slas": [j.sla for j in jobs],
                "deadlines": [instant(j.deadline, conn.dialect) for j in jobs],
                "max_attempts": [j.max_attempts for j in jobs],
            },
        )
    else:
        stmt = _insert(conn).on_conflict_do_nothing(index_elements=["key"])
        result = conn.execute(stmt.returning(job.c.id), [_values(j, now) for j in jobs])
    added = len(result.all())
    if added:
        notify(conn)
    return added


_RETURNED = (
    "job.id, job.kind, job.payload, job.sla, job.deadline, job.attempts, job.max_attempts,"
    " job.tenant_id, job.wedding_id, job.photo_id"
)

_CLAIM_POSTGRESQL = f"""
WITH next AS (
    SELECT id FROM job
    WHERE state = 'queued' AND run_after <= :now {{kinds}}
    ORDER BY deadline, id
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
)
UPDATE job
SET state = 'running', attempts = job.attempts + 1, lease_owner = :owner,
    lease_expires_at = :lease_until, started_at = :now
FROM next
WHERE job.id = next.id
RETURNING {_RETURNED}
"""

_CLAIM_SQLITE = f"""
UPDATE job
SET state = 'running', attempts = attempts + 1, lease_owner = :owner,
    lease_expires_at = :lease_until, started_at = :now
WHERE id IN (
    SELECT id FROM job
    WHERE state = 'queued' AND run_after <= :now {{kinds}}
    ORDER BY deadline, id
    LIMIT :limit
)
RETURNING {_RETURNED}
"""


def _claim_statement(dialect: str, with_kinds: bool, with_paused: bool = False) -> Any:
    sql = _CLAIM_POSTGRESQL if dialect == "postgresql" else _CLAIM_SQLITE
    filters = ("AND kind IN :kinds " if with_kinds else "") + (
        "AND sla NOT IN :paused" if with_paused else ""
    )
    stmt = text(sql.format(kinds=filters)).bindparams(
        bindparam("now", type_=UTCDateTime),
        bindparam("lease_until", type_=UTCDateTime),
    )
    if with_kinds:
        stmt = stmt.bindparams(bindparam("kinds", expanding=True))
    if with_paused:
        stmt = stmt.bindparams(bindparam("paused", expanding=True))
    return stmt.columns(deadline=UTCDateTime, payload=Json)


def claim(
    conn: Connection,
    *,
    owner: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    kinds: Iterable[str] | None = None,
    paused_slas: Iterable[str] = (),
) -> list[ClaimedJob]:
    """Lease up to `limit` due jobs with the earliest deadlines, returned in deadline order;
    jobs of the `paused_slas` classes wait (the emergency switch pauses standard work)."""
    kinds = sorted(kinds) if kinds is not None else None
    paused = sorted(paused_slas)
    params: dict[str, Any] = {
        "now": now,
        "lease_until": now + lease,
        "owner": owner,
        "limit": limit,
    }
    if kinds is not None:
        params["kinds"] = kinds
    if paused:
        params["paused"] = paused
    rows = conn.execute(
        _claim_statement(conn.dialect.name, kinds is not None, bool(paused)), params
    )
    claimed = [
        ClaimedJob(
            id=r.id,
            kind=r.kind,
            payload=r.payload,
            sla=r.sla,
            deadline=r.deadline,
            attempts=r.attempts,
            max_attempts=r.max_attempts,
            tenant_id=r.tenant_id,
            wedding_id=r.wedding_id,
            photo_id=r.photo_id,
        )
        for r in rows
    ]
    claimed.sort(key=lambda j: (j.deadline, j.id))
    return claimed


def _owned(ids: Sequence[int], owner: str) -> Any:
    return (job.c.id.in_(ids)) & (job.c.lease_owner == owner) & (job.c.state == RUNNING)


def complete(conn: Connection, ids: Sequence[int], *, owner: str, now: datetime) -> int:
    """Mark jobs done; only those this owner still leases. Returns how many."""
    if not ids:
        return 0
    return conn.execute(
        update(job)
        .where(_owned(ids, owner))
        .values(state=DONE, finished_at=now, lease_owner=None, lease_expires_at=None)
    ).rowcount


def fail(
    conn: Connection,
    job_id: int,
    *,
    owner: str,
    now: datetime,
    error: str,
    retry_at: datetime | None,
) -> bool:
    """Record a failed run: back to the queue at `retry_at`, or dead when it is None."""
    values: dict[str, Any] = {"last_error": error, "lease_owner": None, "lease_expires_at": None}
    if retry_at is None:
        values.update(state=DEAD, finished_at=now)
    else:
        values.update(state=QUEUED, run_after=retry_at)
    return conn.execute(update(job).where(_owned([job_id], owner)).values(**values)).rowcount == 1


def release(conn: Connection, ids: Sequence[int], *, owner: str) -> int:
    """Give back leased jobs that never ran (shutdown, unstarted batch); the attempt is undone."""
    if not ids:
        return 0
    return conn.execute(
        update(job)
        .where(_owned(ids, owner))
        .values(
            state=QUEUED,
            attempts=job.c.attempts - 1,
            lease_owner=None,
            lease_expires_at=None,
        )
    ).rowcount


def renew(conn: Connection, *, owner: str, now: datetime, lease: timedelta) -> int:
    """Extend every lease this owner holds; returns how many it still holds."""
    return conn.execute(
        update(job)
        .where((job.c.lease_owner == owner) & (job.c.state == RUNNING))
        .values(lease_expires_at=now + lease)
    ).rowcount


def reap_expired(conn: Connection, *, now: datetime) -> tuple[int, int]:
    """Return jobs whose lease expired (their worker died or hung) to the queue.

    The run that held the lease counts as an attempt, so a poison input that kills every
    worker that touches it ends in dead letter instead of looping. Returns (requeued, dead).
    """
    return _requeue_lost(
        conn,
        (job.c.state == RUNNING) & (job.c.lease_expires_at < now),
        now=now,
        message="lease expired: the worker running this job died or stopped renewing its lease",
    )


def reap_owners(conn: Connection, owners: Sequence[str], *, now: datetime) -> tuple[int, int]:
    """Return the running jobs of workers known to be dead to the queue, without waiting for
    their leases to expire; the interrupted run counts as an attempt, as in `reap_expired`.
    Returns (requeued, dead)."""
    if not owners:
        return 0, 0
    return _requeue_lost(
        conn,
        (job.c.state == RUNNING) & job.c.lease_owner.in_(list(owners)),
        now=now,
        message="worker died: its process is gone (found by a worker on the same host)",
    )


def _requeue_lost(conn: Connection, lost: Any, *, now: datetime, message: str) -> tuple[int, int]:
    exhausted = job.c.attempts >= job.c.max_attempts
    released = {"lease_owner": None, "lease_expires_at": None, "last_error": message}
    dead = conn.execute(
        update(job).where(lost & exhausted).values(state=DEAD, finished_at=now, **released)
    ).rowcount
    requeued = conn.execute(
        update(job).where(lost & ~exhausted).values(state=QUEUED, run_after=now, **released)
    ).rowcount
    return requeued, dead


def retry(conn: Connection, ids: Sequence[int] | None, *, now: datetime) -> int:
    """Send dead jobs (all of them when `ids` is None) back to the queue with fresh attempts."""
    where = job.c.state == DEAD
    if ids is not None:
        where = where & job.c.id.in_(ids)
    changed = conn.execute(
        update(job).where(where).values(state=QUEUED, attempts=0, run_after=now, finished_at=None)
    ).rowcount
    if changed:
        notify(conn)
    return changed


def pending(
    conn: Connection, *, kinds: Sequence[str] | None = None, paused_slas: Sequence[str] = ()
) -> tuple[int, datetime | None]:
    """How many jobs (of `kinds`, or of any kind; not of the `paused_slas` classes) are
    queued or running, and the earliest `run_after` of the queued ones."""
    query = select(
        func.count(),
        func.min(case((job.c.state == QUEUED, job.c.run_after))),
    ).where(job.c.state.in_([QUEUED, RUNNING]))
    if kinds is not None:
        query = query.where(job.c.kind.in_(list(kinds)))
    if paused_slas:
        query = query.where(job.c.sla.not_in(list(paused_slas)))
    count, first = conn.execute(query).one()
    if first is not None:
        first = UTCDateTime().process_result_value(first, conn.dialect)
    return count, first


def stats(conn: Connection, *, now: datetime) -> QueueStats:
    """Counts by state and SLA class, the oldest open deadline, and the late jobs."""
    by_state_sla = {
        (state, sla): n
        for state, sla, n in conn.execute(
            select(job.c.state, job.c.sla, func.count()).group_by(job.c.state, job.c.sla)
        )
    }
    open_jobs = job.c.state.in_([QUEUED, RUNNING])
    oldest = conn.execute(
        select(job.c.deadline).where(open_jobs).order_by(job.c.deadline).limit(1)
    ).scalar()
    overdue = conn.execute(
        select(func.count()).where(open_jobs & (job.c.deadline < now))
    ).scalar_one()
    finished_late = conn.execute(
        select(func.count()).where((job.c.state == DONE) & (job.c.finished_at > job.c.deadline))
    ).scalar_one()
    return QueueStats(
        by_state_sla=by_state_sla,
        oldest_deadline=oldest,
        overdue=overdue,
        finished_late=finished_late,
        now=now,
    )


def list_jobs(conn: Connection, *, state: str | None = None, limit: int = 50) -> list[JobRow]:
    """Jobs by deadline (open ones) or newest first (finished ones)."""
    query = select(job)
    if state is not None:
        query = query.where(job.c.state == state)
    if state in (DONE, DEAD):
        query = query.order_by(job.c.finished_at.desc(), job.c.id.desc())
    else:
        query = query.order_by(job.c.deadline, job.c.id)
    rows = conn.execute(query.limit(limit))
    return [
        JobRow(**{name: row._mapping[name] for name in JobRow.__dataclass_fields__}) for row in rows
    ]


def get_job(conn: Connection, job_id: int) -> JobRow | None:
    """One job by id."""
    row = conn.execute(select(job).where(job.c.id == job_id)).first()
    if row is None:
        return None
    return JobRow(**{name: row._mapping[name] for name in JobRow.__dataclass_fields__})


def forget_wedding_jobs(conn: Connection, wedding_id: int) -> int:
    """Delete every job of a wedding (an erasure: its photos are going); returns how many.

    A running job loses its row: its worker's completion then matches nothing, and its
    writes meet a photo that no longer exists (a permanent failure with nothing to record).
    """
    return conn.execute(delete(job).where(job.c.wedding_id == wedding_id)).rowcount or 0

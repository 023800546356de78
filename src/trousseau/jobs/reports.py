"""What the queue looks like: the reads of the job table that the CLI, the dashboard, the
API and the metrics render.

The job table's statements belong to this package (`queue` writes, this module reads), so
the service and the CLI ask here instead of joining the table themselves. The operations
report is the one picture of the queue and its workers (counts, deadlines, live and busy
workers) that `trousseau status`, the dashboard, `/api/v1/workers` and `/metrics` all show,
so "busy" means one thing everywhere. Every function takes a connection and plain values,
only reads, and takes `now` from the caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, and_, case, func, or_, select

from trousseau.catalog import WorkerRow, live_workers
from trousseau.catalog.schema import job
from trousseau.jobs.queue import JobRow, QueueStats, stats
from trousseau.jobs.states import DEAD, DONE, QUEUED, RUNNING


@dataclass(frozen=True)
class SlaDeadlines:
    """The open jobs of one SLA class against their deadlines."""

    sla: str
    oldest_deadline: datetime | None
    late: int


def deadlines_by_sla(conn: Connection, *, now: datetime) -> dict[str, SlaDeadlines]:
    """Per SLA class with open (queued or running) jobs: the oldest deadline, how many late."""
    rows = conn.execute(
        select(
            job.c.sla,
            func.min(job.c.deadline),
            func.sum(case((job.c.deadline < now, 1), else_=0)),
        )
        .where(job.c.state.in_([QUEUED, RUNNING]))
        .group_by(job.c.sla)
    )
    return {sla: SlaDeadlines(sla, _instant(oldest), int(late or 0)) for sla, oldest, late in rows}


def due_jobs(conn: Connection, *, now: datetime) -> int:
    """Queued jobs a worker could claim now (not waiting out a retry's backoff)."""
    return conn.execute(
        select(func.count()).select_from(job).where(job.c.state == QUEUED, job.c.run_after <= now)
    ).scalar_one()


def running_by_owner(conn: Connection) -> dict[str, int]:
    """Running jobs per lease owner (a dead worker's count until its leases are released)."""
    rows = conn.execute(
        select(job.c.lease_owner, func.count())
        .where(job.c.state == RUNNING, job.c.lease_owner.is_not(None))
        .group_by(job.c.lease_owner)
    )
    return {owner: n for owner, n in rows}


def late_jobs(conn: Connection, *, now: datetime, limit: int = 10) -> list[JobRow]:
    """Open (queued or running) jobs past their deadline, the most overdue first."""
    rows = conn.execute(
        select(job)
        .where(job.c.state.in_([QUEUED, RUNNING]), job.c.deadline < now)
        .order_by(job.c.deadline, job.c.id)
        .limit(limit)
    )
    fields = JobRow.__dataclass_fields__
    return [JobRow(**{name: row._mapping[name] for name in fields}) for row in rows]


@dataclass(frozen=True)
class FinishedJob:
    """A done job's timing and promise, for the duration histogram and the SLO counters."""

    id: int
    kind: str
    started_at: datetime | None
    finished_at: datetime
    sla: str | None = None
    deadline: datetime | None = None

    @property
    def on_time(self) -> bool:
        """Finished by its deadline (the delivery promise kept)."""
        return self.deadline is None or self.finished_at <= self.deadline


def jobs_finished_after(
    conn: Connection, *, at: datetime, job_id: int, limit: int = 10_000
) -> list[FinishedJob]:
    """Done jobs that finished after (`at`, `job_id`), in finishing order."""
    later = or_(job.c.finished_at > at, and_(job.c.finished_at == at, job.c.id > job_id))
    rows = conn.execute(
        select(job.c.id, job.c.kind, job.c.started_at, job.c.finished_at, job.c.sla, job.c.deadline)
        .where(job.c.state == DONE, later)
        .order_by(job.c.finished_at, job.c.id)
        .limit(limit)
    )
    return [FinishedJob(r.id, r.kind, r.started_at, r.finished_at, r.sla, r.deadline) for r in rows]


@dataclass(frozen=True)
class SubjectJobs:
    """The jobs about one wedding, of every kind, against their deadlines."""

    queued: int = 0
    running: int = 0
    done: int = 0
    dead: int = 0
    late: int = 0
    next_deadline: datetime | None = None
    """The earliest deadline of its open jobs: the promise due next."""
    last_deadline: datetime | None = None
    """The latest deadline of all its jobs: when the whole wedding is due."""
    by_kind: dict[str, dict[str, int]] | None = None
    """Jobs by kind and state: what each stage of the photos' processing has left."""

    @property
    def open(self) -> int:
        return self.queued + self.running


def jobs_by_wedding(
    conn: Connection, wedding_ids: Sequence[int], *, now: datetime
) -> dict[int, SubjectJobs]:
    """The jobs whose subject is each wedding (every kind), in two grouped queries; every id
    gets an entry."""
    ids = list(wedding_ids)
    if not ids:
        return {}
    open_job = job.c.state.in_([QUEUED, RUNNING])
    totals = {
        row.wedding_id: row
        for row in conn.execute(
            select(
                job.c.wedding_id,
                func.sum(case((job.c.state == QUEUED, 1), else_=0)).label("queued"),
                func.sum(case((job.c.state == RUNNING, 1), else_=0)).label("running"),
                func.sum(case((job.c.state == DONE, 1), else_=0)).label("done"),
                func.sum(case((job.c.state == DEAD, 1), else_=0)).label("dead"),
                func.sum(case((and_(open_job, job.c.deadline < now), 1), else_=0)).label("late"),
                func.min(case((open_job, job.c.deadline), else_=None)).label("next_deadline"),
                func.max(job.c.deadline).label("last_deadline"),
            )
            .where(job.c.wedding_id.in_(ids))
            .group_by(job.c.wedding_id)
        )
    }
    kinds: dict[int, dict[str, dict[str, int]]] = {i: {} for i in ids}
    for wedding_id, kind, state, n in conn.execute(
        select(job.c.wedding_id, job.c.kind, job.c.state, func.count())
        .where(job.c.wedding_id.in_(ids))
        .group_by(job.c.wedding_id, job.c.kind, job.c.state)
    ):
        kinds[wedding_id].setdefault(kind, {})[state] = n
    found: dict[int, SubjectJobs] = {}
    for wedding_id in ids:
        row = totals.get(wedding_id)
        if row is None:
            found[wedding_id] = SubjectJobs(by_kind={})
            continue
        found[wedding_id] = SubjectJobs(
            queued=int(row.queued or 0),
            running=int(row.running or 0),
            done=int(row.done or 0),
            dead=int(row.dead or 0),
            late=int(row.late or 0),
            next_deadline=_instant(row.next_deadline),
            last_deadline=_instant(row.last_deadline),
            by_kind=kinds[wedding_id],
        )
    return found


@dataclass(frozen=True)
class WorkerLoad:
    """A live worker (from its heartbeat) and the jobs it holds a lease on now."""

    worker: WorkerRow
    running: int

    @property
    def busy(self) -> bool:
        return self.running > 0


@dataclass(frozen=True)
class OperationsReport:
    """The queue and its workers at `now`: the one picture every surface renders.

    A worker is live when it beat within `live_within` (a lease length); it is busy when it
    is live and holds at least one lease. Leases held by owners that are not live are
    `orphaned`: the jobs of a dead worker, waiting for a worker on its host to release them
    or for their leases to expire.
    """

    now: datetime
    live_within: timedelta
    queue: QueueStats
    deadlines: dict[str, SlaDeadlines]
    due: int
    workers: list[WorkerLoad]
    orphaned: int

    @property
    def live(self) -> int:
        return len(self.workers)

    @property
    def busy(self) -> int:
        return sum(1 for w in self.workers if w.busy)

    @property
    def slots(self) -> int:
        return sum(w.worker.slots for w in self.workers)

    @property
    def late(self) -> int:
        """Open jobs past their deadline."""
        return self.queue.overdue


def operations_report(
    conn: Connection, *, now: datetime, live_within: timedelta
) -> OperationsReport:
    """The queue by state and SLA class, deadlines, due jobs, live and busy workers."""
    running = running_by_owner(conn)
    live = live_workers(conn, now=now, within=live_within)
    owners = {w.owner for w in live}
    return OperationsReport(
        now=now,
        live_within=live_within,
        queue=stats(conn, now=now),
        deadlines=deadlines_by_sla(conn, now=now),
        due=due_jobs(conn, now=now),
        workers=[WorkerLoad(w, running.get(w.owner, 0)) for w in live],
        orphaned=sum(n for owner, n in running.items() if owner not in owners),
    )


def _instant(value: datetime | str | None) -> datetime | None:
    """An aggregate over a UTC column as an aware datetime (SQLite returns naive text)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

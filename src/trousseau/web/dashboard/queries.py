"""The service's read model: pages, counts and lists behind the API, dashboard and metrics.

Each takes a connection and plain values, scopes by tenant where the data is a tenant's,
and returns the catalog's own dataclasses or small frozen ones. They live here, not in
`trousseau.catalog`, because they join what three packages own (photos and variants from
the catalog, job states from `jobs`, the processing job kind from `ingest`), and the
catalog sits below those packages. They only read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Connection, String, and_, case, cast, func, literal, or_, select

from trousseau.catalog import FAILED, EventKind, Photo, Variant, Wedding, count_events
from trousseau.catalog.schema import job, photo, variant, wedding
from trousseau.ingest import PROCESS_KIND
from trousseau.jobs import DONE, QUEUED, RUNNING, JobRow


def page_photos(
    conn: Connection,
    *,
    tenant_id: int,
    wedding_id: int,
    after: int = 0,
    state: str | None = None,
    limit: int = 50,
) -> list[Photo]:
    """Up to `limit` of the tenant's photos of a wedding with ids above `after`, by id."""
    query = (
        select(photo)
        .where(
            photo.c.tenant_id == tenant_id,
            photo.c.wedding_id == wedding_id,
            photo.c.id > after,
        )
        .order_by(photo.c.id)
        .limit(limit)
    )
    if state is not None:
        query = query.where(photo.c.state == state)
    fields = Photo.__dataclass_fields__
    return [Photo(**{name: row._mapping[name] for name in fields}) for row in conn.execute(query)]


def variants_by_photo(conn: Connection, photo_ids: Sequence[int]) -> dict[int, list[Variant]]:
    """The variants of several photos in one query, each list by profile name."""
    if not photo_ids:
        return {}
    rows = conn.execute(
        select(variant)
        .where(variant.c.photo_id.in_(photo_ids))
        .order_by(variant.c.photo_id, variant.c.profile)
    )
    found: dict[int, list[Variant]] = defaultdict(list)
    fields = Variant.__dataclass_fields__
    for row in rows:
        found[row.photo_id].append(Variant(**{name: row._mapping[name] for name in fields}))
    return dict(found)


def wedding_slug(conn: Connection, *, tenant_id: int, wedding_id: int) -> str | None:
    """The slug of the tenant's wedding with this id."""
    return conn.execute(
        select(wedding.c.slug).where(wedding.c.id == wedding_id, wedding.c.tenant_id == tenant_id)
    ).scalar()


@dataclass(frozen=True)
class SlaDeadlines:
    """The open jobs of one SLA class against their deadlines."""

    sla: str
    oldest_deadline: datetime | None
    late: int


def deadlines_by_sla(conn: Connection, *, now: datetime) -> dict[str, SlaDeadlines]:
    """Per SLA class with open (queued or running) jobs: the oldest deadline, how many late."""
    open_jobs = job.c.state.in_([QUEUED, RUNNING])
    rows = conn.execute(
        select(
            job.c.sla,
            func.min(job.c.deadline),
            func.sum(case((job.c.deadline < now, 1), else_=0)),
        )
        .where(open_jobs)
        .group_by(job.c.sla)
    )
    return {sla: SlaDeadlines(sla, oldest, int(late or 0)) for sla, oldest, late in rows}


def stored_bytes(conn: Connection) -> int:
    """Bytes the catalog accounts for: every original plus every variant."""
    originals = conn.execute(select(func.coalesce(func.sum(photo.c.bytes), 0))).scalar_one()
    variants = conn.execute(select(func.coalesce(func.sum(variant.c.bytes), 0))).scalar_one()
    return int(originals) + int(variants)


def lease_holders(conn: Connection) -> int:
    """How many distinct workers hold running jobs: the busy ones (a killed worker's count
    until its leases expire). Live workers, idle ones too, are `catalog.live_workers`."""
    return conn.execute(
        select(func.count(func.distinct(job.c.lease_owner))).where(job.c.state == RUNNING)
    ).scalar_one()


def due_jobs(conn: Connection, *, now: datetime) -> int:
    """Queued jobs a worker could claim now (not waiting out a retry's backoff)."""
    return conn.execute(
        select(func.count()).select_from(job).where(job.c.state == QUEUED, job.c.run_after <= now)
    ).scalar_one()


def worker_vault_errors(conn: Connection, *, kind: EventKind) -> dict[str, int]:
    """Jobs that failed on the vault, by operation ("job" when unnamed), from `kind` events."""
    counts = count_events(conn, kind, by="operation")
    return {op or "job": n for op, n in counts.items()}


@dataclass(frozen=True)
class FinishedJob:
    id: int
    kind: str
    started_at: datetime | None
    finished_at: datetime


def jobs_finished_after(
    conn: Connection, *, at: datetime, job_id: int, limit: int = 10_000
) -> list[FinishedJob]:
    """Done jobs that finished after (`at`, `job_id`), in finishing order."""
    later = or_(
        job.c.finished_at > at,
        and_(job.c.finished_at == at, job.c.id > job_id),
    )
    rows = conn.execute(
        select(job.c.id, job.c.kind, job.c.started_at, job.c.finished_at)
        .where(job.c.state == DONE, later)
        .order_by(job.c.finished_at, job.c.id)
        .limit(limit)
    )
    return [FinishedJob(r.id, r.kind, r.started_at, r.finished_at) for r in rows]


@dataclass(frozen=True)
class WeddingCounts:
    """A wedding's photos by state, its variants, and its processing jobs against deadlines.

    A photo's job is found by its idempotency key (`variants:<photo id>`, unique, indexed),
    which ingest gives every processing job.
    """

    photos: dict[str, int]
    variants: int = 0
    queued: int = 0
    running: int = 0
    late: int = 0
    next_deadline: datetime | None = None
    """The earliest deadline of the wedding's open jobs: the promise due next."""
    last_deadline: datetime | None = None
    """The latest deadline of all its jobs: when the whole wedding is due."""


def wedding_counts(
    conn: Connection, wedding_ids: Sequence[int], *, now: datetime
) -> dict[int, WeddingCounts]:
    """The counts of several weddings in three grouped queries; every id gets an entry."""
    ids = list(wedding_ids)
    if not ids:
        return {}
    photos: dict[int, dict[str, int]] = {i: {} for i in ids}
    for wedding_id, state, n in conn.execute(
        select(photo.c.wedding_id, photo.c.state, func.count())
        .where(photo.c.wedding_id.in_(ids))
        .group_by(photo.c.wedding_id, photo.c.state)
    ):
        photos[wedding_id][state] = n
    variants = dict(
        conn.execute(
            select(photo.c.wedding_id, func.count(variant.c.id))
            .join(variant, variant.c.photo_id == photo.c.id)
            .where(photo.c.wedding_id.in_(ids))
            .group_by(photo.c.wedding_id)
        ).all()
    )
    open_job = job.c.state.in_([QUEUED, RUNNING])
    jobs = {
        row.wedding_id: row
        for row in conn.execute(
            select(
                photo.c.wedding_id,
                func.sum(case((job.c.state == QUEUED, 1), else_=0)).label("queued"),
                func.sum(case((job.c.state == RUNNING, 1), else_=0)).label("running"),
                func.sum(case((and_(open_job, job.c.deadline < now), 1), else_=0)).label("late"),
                func.min(case((open_job, job.c.deadline), else_=None)).label("next_deadline"),
                func.max(job.c.deadline).label("last_deadline"),
            )
            .join(job, job.c.key == literal(f"{PROCESS_KIND}:") + cast(photo.c.id, String))
            .where(photo.c.wedding_id.in_(ids))
            .group_by(photo.c.wedding_id)
        )
    }
    found: dict[int, WeddingCounts] = {}
    for wedding_id in ids:
        row = jobs.get(wedding_id)
        found[wedding_id] = WeddingCounts(
            photos=photos[wedding_id],
            variants=int(variants.get(wedding_id, 0)),
            queued=int(row.queued or 0) if row else 0,
            running=int(row.running or 0) if row else 0,
            late=int(row.late or 0) if row else 0,
            next_deadline=_instant(row.next_deadline) if row else None,
            last_deadline=_instant(row.last_deadline) if row else None,
        )
    return found


def _instant(value: datetime | str | None) -> datetime | None:
    """An aggregate over a UTC column as an aware datetime (SQLite returns naive text)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def weddings_dated(conn: Connection, *, tenant_id: int, first: date, last: date) -> list[Wedding]:
    """The tenant's weddings dated from `first` to `last` (inclusive), by date and slug."""
    rows = conn.execute(
        select(wedding)
        .where(wedding.c.tenant_id == tenant_id, wedding.c.date.between(first, last))
        .order_by(wedding.c.date, wedding.c.slug)
    )
    fields = Wedding.__dataclass_fields__
    return [Wedding(**{name: row._mapping[name] for name in fields}) for row in rows]


@dataclass(frozen=True)
class FailedPhoto:
    """A photo whose processing failed, with the error a person can act on."""

    id: int
    wedding: str
    original_name: str
    error: str | None


def failed_photos(conn: Connection, *, tenant_id: int | None, limit: int = 10) -> list[FailedPhoto]:
    """The newest failed photos of a tenant (or of every tenant when None)."""
    query = (
        select(photo.c.id, wedding.c.slug, photo.c.original_name, photo.c.error)
        .join(wedding, wedding.c.id == photo.c.wedding_id)
        .where(photo.c.state == FAILED)
        .order_by(photo.c.id.desc())
        .limit(limit)
    )
    if tenant_id is not None:
        query = query.where(photo.c.tenant_id == tenant_id)
    return [FailedPhoto(*row) for row in conn.execute(query)]


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

"""Catalog reads the HTTP service needs and the catalog package does not offer yet.

Each takes a connection and plain values, scopes by tenant where the data is a tenant's,
and returns the catalog's own dataclasses. They are written to move into
`trousseau.catalog` (photos, variants, weddings, jobs) unchanged.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, and_, case, func, or_, select

from trousseau.catalog import Photo, Variant
from trousseau.catalog.schema import job, photo, variant, wedding
from trousseau.jobs import DONE, QUEUED, RUNNING


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
    """How many distinct workers hold running jobs."""
    return conn.execute(
        select(func.count(func.distinct(job.c.lease_owner))).where(job.c.state == RUNNING)
    ).scalar_one()


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

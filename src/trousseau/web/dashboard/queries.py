"""The service's read model: pages, counts and lists behind the API, dashboard and metrics.

Each takes a connection and plain values, scopes by tenant where the data is a tenant's,
and returns the catalog's own dataclasses or small frozen ones. They live here, not in
`trousseau.catalog`, because they join what the catalog owns (photos, variants) with what
`jobs` reports about the jobs of a wedding, and the catalog sits below `jobs`. The job
table itself is read only through `trousseau.jobs`. They only read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Connection, func, select

from trousseau.catalog import FAILED, EventKind, Photo, Variant, Wedding, count_events
from trousseau.catalog.schema import photo, variant, wedding
from trousseau.jobs import SubjectJobs, jobs_by_wedding


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


def stored_bytes(conn: Connection) -> int:
    """Bytes the catalog accounts for: every original plus every variant."""
    originals = conn.execute(select(func.coalesce(func.sum(photo.c.bytes), 0))).scalar_one()
    variants = conn.execute(select(func.coalesce(func.sum(variant.c.bytes), 0))).scalar_one()
    return int(originals) + int(variants)


def worker_vault_errors(conn: Connection, *, kind: EventKind) -> dict[str, int]:
    """Jobs that failed on the vault, by operation ("job" when unnamed), from `kind` events."""
    counts = count_events(conn, kind, by="operation")
    return {op or "job": n for op, n in counts.items()}


@dataclass(frozen=True)
class WeddingCounts:
    """A wedding's photos by state, its variants, and the jobs about it (every kind)."""

    photos: dict[str, int]
    variants: int = 0
    jobs: SubjectJobs = field(default_factory=SubjectJobs)


def wedding_counts(
    conn: Connection, wedding_ids: Sequence[int], *, now: datetime
) -> dict[int, WeddingCounts]:
    """The counts of several weddings in a few grouped queries; every id gets an entry.

    Jobs are counted by their subject, whatever their kind, so a photo's follow-on jobs
    (analysis after variants) keep its wedding in progress until they are done too.
    """
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
    variants: dict[int, int] = dict(
        conn.execute(
            select(photo.c.wedding_id, func.count(variant.c.id))
            .join(variant, variant.c.photo_id == photo.c.id)
            .where(photo.c.wedding_id.in_(ids))
            .group_by(photo.c.wedding_id)
        ).all()
    )
    jobs = jobs_by_wedding(conn, ids, now=now)
    return {
        wedding_id: WeddingCounts(
            photos=photos[wedding_id],
            variants=int(variants.get(wedding_id, 0)),
            jobs=jobs[wedding_id],
        )
        for wedding_id in ids
    }


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

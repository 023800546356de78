"""Photos: one acknowledged original each, keyed by its SHA-256 within a wedding."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, func, select, update

from trousseau.catalog.backups import ChangeKind, record_change
from trousseau.catalog.engine import inserted_id
from trousseau.catalog.schema import photo, wedding


class PhotoState(StrEnum):
    """A photo's state as stored in the `photo.state` column (the values never change).

    stored: the original is durable and recorded, its variants not made yet; processed: its
    gallery variants are recorded; failed: they cannot be made (the photo keeps the error).
    """

    STORED = "stored"
    PROCESSED = "processed"
    FAILED = "failed"


STORED = PhotoState.STORED
PROCESSED = PhotoState.PROCESSED
FAILED = PhotoState.FAILED


@dataclass(frozen=True)
class Photo:
    id: int
    tenant_id: int
    wedding_id: int
    sha256: str
    original_name: str
    bytes: int
    format: str
    width: int | None
    height: int | None
    captured_at: datetime | None
    camera: str | None
    state: PhotoState
    error: str | None
    placeholder: str | None = None
    colours: list[dict[str, Any]] | None = None

    def __post_init__(self) -> None:
        # Built from a row by any reader, the state is the enum, whatever the column gave.
        object.__setattr__(self, "state", PhotoState(self.state))


def _from_row(row: object) -> Photo:
    m = row._mapping  # type: ignore[attr-defined]
    return Photo(**{name: m[name] for name in Photo.__dataclass_fields__})


def find_photo(conn: Connection, wedding_id: int, sha256: str) -> Photo | None:
    """The wedding's photo with these bytes, or None."""
    row = conn.execute(
        select(photo).where(photo.c.wedding_id == wedding_id, photo.c.sha256 == sha256)
    ).first()
    return None if row is None else _from_row(row)


def get_photo(conn: Connection, photo_id: int, *, tenant_id: int | None = None) -> Photo | None:
    """A photo by id, optionally only if it belongs to the tenant."""
    query = select(photo).where(photo.c.id == photo_id)
    if tenant_id is not None:
        query = query.where(photo.c.tenant_id == tenant_id)
    row = conn.execute(query).first()
    return None if row is None else _from_row(row)


def photos_by_id(conn: Connection, photo_ids: Sequence[int]) -> dict[int, Photo]:
    """Several photos by id in one query (absent ids are left out)."""
    if not photo_ids:
        return {}
    rows = conn.execute(select(photo).where(photo.c.id.in_(list(photo_ids))))
    return {p.id: p for p in map(_from_row, rows)}


def insert_photo(
    conn: Connection,
    *,
    tenant_id: int,
    wedding_id: int,
    sha256: str,
    original_name: str,
    size: int,
    fmt: str,
    now: datetime,
    width: int | None = None,
    height: int | None = None,
    captured_at: datetime | None = None,
    camera: str | None = None,
    deadline: datetime | None = None,
) -> int:
    """Record an original whose blob is already durable in the vault; returns its id.

    Its blob goes into the backup change log in the same transaction; `deadline` (its
    processing job's, when known) puts it ahead of changes due later.
    """
    photo_id = inserted_id(
        conn.execute(
            photo.insert().values(
                tenant_id=tenant_id,
                wedding_id=wedding_id,
                sha256=sha256,
                original_name=original_name,
                bytes=size,
                format=fmt,
                width=width,
                height=height,
                captured_at=captured_at,
                camera=camera,
                state=STORED,
                created_at=now,
            )
        )
    )
    record_change(
        conn,
        tenant_id=tenant_id,
        wedding_id=wedding_id,
        kind=ChangeKind.BLOB,
        subject=sha256,
        deadline=deadline,
        now=now,
    )
    return photo_id


def set_photo_rendering(
    conn: Connection,
    photo_id: int,
    *,
    width: int,
    height: int,
    placeholder: str | None,
    colours: list[dict[str, Any]] | None,
) -> None:
    """Record what rendering learnt: the upright size, the placeholder and the colours."""
    conn.execute(
        update(photo)
        .where(photo.c.id == photo_id)
        .values(width=width, height=height, placeholder=placeholder, colours=colours)
    )


def set_photo_state(
    conn: Connection, photo_id: int, state: PhotoState, error: str | None = None
) -> None:
    """Mark a photo processed or failed (with the error a person can act on)."""
    conn.execute(update(photo).where(photo.c.id == photo_id).values(state=state, error=error))


def iter_photos(conn: Connection, *, wedding_id: int | None = None) -> Iterator[Photo]:
    """Every photo (of one wedding, or all), in id order."""
    query = select(photo).order_by(photo.c.id)
    if wedding_id is not None:
        query = query.where(photo.c.wedding_id == wedding_id)
    for row in conn.execute(query):
        yield _from_row(row)


def count_photos_by_state(
    conn: Connection, *, wedding_id: int | None = None
) -> dict[PhotoState, int]:
    """How many photos are stored, processed or failed (states with no photo are absent)."""
    query = select(photo.c.state, func.count()).group_by(photo.c.state)
    if wedding_id is not None:
        query = query.where(photo.c.wedding_id == wedding_id)
    return {PhotoState(state): n for state, n in conn.execute(query)}


def page_photos(
    conn: Connection,
    *,
    tenant_id: int,
    wedding_id: int,
    after: int = 0,
    state: PhotoState | None = None,
    limit: int = 50,
) -> list[Photo]:
    """Up to `limit` of the tenant's photos of a wedding with ids above `after`, by id.

    Keyset pages (the API's cursor, the dashboard's gallery): a page costs the same however
    far into a wedding it starts, and another tenant's wedding id yields nothing.
    """
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
        query = query.where(photo.c.state == PhotoState(state))
    return [_from_row(row) for row in conn.execute(query)]


def count_photos_by_wedding(
    conn: Connection, wedding_ids: Sequence[int]
) -> dict[int, dict[PhotoState, int]]:
    """Each wedding's photos by state, in one grouped query; every id gets an entry.

    The progress of many weddings (the dashboard's today) is read without a query per
    wedding; states with no photo are absent from a wedding's counts.
    """
    ids = list(wedding_ids)
    counts: dict[int, dict[PhotoState, int]] = {i: {} for i in ids}
    if not ids:
        return counts
    for wedding_id, state, n in conn.execute(
        select(photo.c.wedding_id, photo.c.state, func.count())
        .where(photo.c.wedding_id.in_(ids))
        .group_by(photo.c.wedding_id, photo.c.state)
    ):
        counts[wedding_id][PhotoState(state)] = n
    return counts


@dataclass(frozen=True)
class FailedPhoto:
    """A photo whose processing failed, with its wedding and the error a person can act on."""

    id: int
    wedding: str
    """The wedding's slug."""
    original_name: str
    error: str | None


def failed_photos(conn: Connection, *, tenant_id: int | None, limit: int = 10) -> list[FailedPhoto]:
    """The newest failed photos of a tenant (or of every tenant when None), newest first."""
    query = (
        select(photo.c.id, wedding.c.slug, photo.c.original_name, photo.c.error)
        .join(wedding, wedding.c.id == photo.c.wedding_id)
        .where(photo.c.state == FAILED)
        .order_by(photo.c.id.desc())
        .limit(limit)
    )
    if tenant_id is not None:
        query = query.where(photo.c.tenant_id == tenant_id)
    return [
        FailedPhoto(id=id_, wedding=slug, original_name=name, error=error)
        for id_, slug, name, error in conn.execute(query)
    ]


def photo_arrivals(conn: Connection, *, first: date, last: date) -> dict[int, list[datetime]]:
    """When each photo of the weddings dated `first` to `last` arrived (its `created_at`), by
    wedding id, in order: the history capacity planning calibrates on."""
    rows = conn.execute(
        select(photo.c.wedding_id, photo.c.created_at)
        .join(wedding, wedding.c.id == photo.c.wedding_id)
        .where(wedding.c.date.between(first, last))
        .order_by(photo.c.wedding_id, photo.c.created_at)
    )
    found: dict[int, list[datetime]] = {}
    for wedding_id, created_at in rows:
        found.setdefault(int(wedding_id), []).append(created_at)
    return found

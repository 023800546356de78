"""The event log: what happened, when, to which wedding, photo or job — kept for people."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from trousseau.catalog.schema import event


@dataclass(frozen=True)
class Event:
    id: int
    at: datetime
    kind: str
    message: str
    tenant_id: int | None
    wedding_id: int | None
    photo_id: int | None
    job_id: int | None
    data: dict[str, Any] | None


def record_event(
    conn: Connection,
    kind: str,
    message: str,
    *,
    now: datetime,
    tenant_id: int | None = None,
    wedding_id: int | None = None,
    photo_id: int | None = None,
    job_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Append one event in the caller's transaction."""
    conn.execute(
        event.insert().values(
            at=now,
            kind=kind,
            message=message,
            tenant_id=tenant_id,
            wedding_id=wedding_id,
            photo_id=photo_id,
            job_id=job_id,
            data=data,
        )
    )


def recent_events(conn: Connection, *, limit: int = 50, kind: str | None = None) -> list[Event]:
    """The newest events first."""
    query = select(event).order_by(event.c.id.desc()).limit(limit)
    if kind is not None:
        query = query.where(event.c.kind == kind)
    return [
        Event(**{name: row._mapping[name] for name in Event.__dataclass_fields__})
        for row in conn.execute(query)
    ]

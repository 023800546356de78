"""The emergency switch's rows: turned on (with its floor, the classes it pauses, until when),
turned off, read back. The rules (who, how long, what it does) live in `trousseau.ops`; these
functions store and read, in the caller's transaction, with instants from the caller."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from trousseau.catalog.schema import emergency_switch
from trousseau.errors import NotFound


@dataclass(frozen=True)
class Emergency:
    id: int
    started_at: datetime
    until: datetime
    reason: str
    started_by: str
    floor: int
    paused_slas: tuple[str, ...]
    ended_at: datetime | None
    ended_by: str | None

    def active(self, now: datetime) -> bool:
        return self.started_at <= now < self.until and (
            self.ended_at is None or now < self.ended_at
        )


def _row(row: object) -> Emergency:
    m = row._mapping  # type: ignore[attr-defined]
    return Emergency(
        id=int(m["id"]),
        started_at=m["started_at"],
        until=m["until"],
        reason=m["reason"],
        started_by=m["started_by"],
        floor=int(m["floor"]),
        paused_slas=tuple(m["paused_slas"] or ()),
        ended_at=m["ended_at"],
        ended_by=m["ended_by"],
    )


def start_emergency(
    conn: Connection,
    *,
    now: datetime,
    until: datetime,
    reason: str,
    by: str,
    floor: int,
    paused_slas: Sequence[str],
) -> Emergency:
    new_id = conn.execute(
        insert(emergency_switch)
        .values(
            started_at=now,
            until=until,
            reason=reason,
            started_by=by,
            floor=floor,
            paused_slas=list(paused_slas),
        )
        .returning(emergency_switch.c.id)
    ).scalar_one()
    return Emergency(int(new_id), now, until, reason, by, floor, tuple(paused_slas), None, None)


def end_emergency(conn: Connection, emergency_id: int, *, now: datetime, by: str) -> None:
    done = conn.execute(
        update(emergency_switch)
        .where(emergency_switch.c.id == emergency_id, emergency_switch.c.ended_at.is_(None))
        .values(ended_at=now, ended_by=by)
    ).rowcount
    if not done:
        raise NotFound(f"emergency {emergency_id} is not on")


def active_emergency(conn: Connection, *, now: datetime) -> Emergency | None:
    """The emergency in force at `now` (the latest started), or None."""
    row = conn.execute(
        select(emergency_switch)
        .where(
            emergency_switch.c.until > now,
            emergency_switch.c.started_at <= now,
            (emergency_switch.c.ended_at.is_(None)) | (emergency_switch.c.ended_at > now),
        )
        .order_by(emergency_switch.c.id.desc())
        .limit(1)
    ).first()
    return _row(row) if row else None


def emergencies_between(conn: Connection, *, start: datetime, end: datetime) -> list[Emergency]:
    """Emergencies whose time overlaps `[start, end)`, oldest first."""
    rows = conn.execute(
        select(emergency_switch)
        .where(emergency_switch.c.started_at < end, emergency_switch.c.until > start)
        .order_by(emergency_switch.c.id)
    )
    return [e for e in map(_row, rows) if e.ended_at is None or e.ended_at > start]

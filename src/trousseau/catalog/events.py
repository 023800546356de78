"""The event log: what happened, when, to which wedding, photo or job — kept for people."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, func, select

from trousseau.catalog.schema import event


class EventKind(StrEnum):
    """Every kind of event the log holds, declared once; the stored text never changes.

    Dashboards, `/metrics` and alert rules count events by this text, so a new kind is added
    here (and nowhere else), and an existing value is never renamed.
    """

    WEDDING_CREATED = "wedding.created"
    """A wedding was created (by ingest or the API); `data.via` says which, if known."""
    PHOTO_FAILED = "photo.failed"
    """A photo's variants cannot be made; the photo keeps the error."""
    JOB_DEAD = "job.dead"
    """A job used its last attempt and went to the dead letter."""
    JOB_LEASE_EXPIRED = "job.lease_expired"
    """A job's lease ran out (its worker stopped beating) and the job was requeued or buried."""
    JOB_WORKER_DIED = "job.worker_died"
    """A dead worker process's leases were released at once by a worker on the same host."""
    WEDDING_ERASED = "wedding.erased"
    """A wedding was erased (backups, catalog rows, vault blobs nobody else names); `data`
    holds the counts and the backup audit record's id, never the wedding's names."""
    VAULT_ERROR = "vault.error"
    """A job failed on the vault (a missing or damaged blob, or the store itself)."""
    SCALING_REQUESTED = "scaling.requested"
    """An operator asked for at least `data.replicas` workers until `data.until` (an ISO
    instant), for `data.reason`; `data.by` names who."""
    EMERGENCY_ON = "emergency.on"
    """The emergency switch was turned on: `data` holds the floor, the paused classes, until
    when and why; `data.by` who."""
    EMERGENCY_OFF = "emergency.off"
    """The emergency switch was turned off before it expired; `data.by` who, `data.reason`."""
    BACKUP_VERIFIED = "backup.verified"
    """A backup repository was verified: `data` holds its name, whether every byte was read,
    and the problems found (none when it holds)."""
    BACKUP_RESTORED = "backup.restored"
    """A `backup-restore` job put a wedding's or a photo's blobs back into the vault; `data`
    holds the snapshot and the counts, the event's `job_id` the job."""

    DR_DRILL = "dr.drill"
    """A restore drill ran (`trousseau dr drill`); `data` holds whether it passed, the
    snapshot, the weddings, RTO per stage and RPO."""


def _kind(value: str) -> EventKind | str:
    """The kind read from a row: the enum member, or the raw text of a kind no longer declared."""
    try:
        return EventKind(value)
    except ValueError:
        return value


@dataclass(frozen=True)
class Event:
    id: int
    at: datetime
    kind: EventKind | str
    message: str
    tenant_id: int | None
    wedding_id: int | None
    photo_id: int | None
    job_id: int | None
    data: dict[str, Any] | None


def record_event(
    conn: Connection,
    kind: EventKind,
    message: str,
    *,
    now: datetime,
    tenant_id: int | None = None,
    wedding_id: int | None = None,
    photo_id: int | None = None,
    job_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Append one event in the caller's transaction.

    The kind must be an `EventKind` (its text is accepted too): an undeclared kind is a
    ValueError here rather than an event that no dashboard or alert ever counts.
    """
    conn.execute(
        event.insert().values(
            at=now,
            kind=EventKind(kind).value,
            message=message,
            tenant_id=tenant_id,
            wedding_id=wedding_id,
            photo_id=photo_id,
            job_id=job_id,
            data=data,
        )
    )


def recent_events(
    conn: Connection, *, limit: int = 50, kind: EventKind | None = None
) -> list[Event]:
    """The newest events first (of one kind, or all)."""
    query = select(event).order_by(event.c.id.desc()).limit(limit)
    if kind is not None:
        query = query.where(event.c.kind == EventKind(kind).value)
    events = []
    for row in conn.execute(query):
        values = {name: row._mapping[name] for name in Event.__dataclass_fields__}
        values["kind"] = _kind(values["kind"])
        events.append(Event(**values))
    return events


def job_events(conn: Connection, job_id: int, *, kind: EventKind | None = None) -> list[Event]:
    """The events a job recorded (of one kind, or all), oldest first."""
    query = select(event).where(event.c.job_id == job_id).order_by(event.c.id)
    if kind is not None:
        query = query.where(event.c.kind == EventKind(kind).value)
    return [_event(row) for row in conn.execute(query)]


def _event(row: Any) -> Event:
    values = {name: row._mapping[name] for name in Event.__dataclass_fields__}
    values["kind"] = _kind(values["kind"])
    return Event(**values)


def count_events(conn: Connection, kind: EventKind, *, by: str) -> dict[str | None, int]:
    """How many events of `kind` there are, grouped by the text of their `data[by]`.

    Events without that key (or without data) are counted under None. `/metrics` reads the
    workers' vault failures this way (by "operation") on every scrape: `kind` is indexed.
    """
    key = event.c.data[by].as_string()
    rows = conn.execute(
        select(key, func.count()).where(event.c.kind == EventKind(kind).value).group_by(key)
    )
    return {value: n for value, n in rows}


def count_vault_errors(conn: Connection) -> dict[str, int]:
    """Jobs that failed on the vault, by the operation their `vault.error` event names.

    An event that names no operation counts under "job" (the job as a whole failed on the
    vault). `/metrics` reads this on every scrape.
    """
    counts = count_events(conn, EventKind.VAULT_ERROR, by="operation")
    return {operation or "job": n for operation, n in counts.items()}

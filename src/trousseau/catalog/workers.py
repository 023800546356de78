"""Worker heartbeats: which workers are up, idle ones included.

A worker's leases only say that it holds jobs; an idle worker holds none and would be
invisible. So each worker writes a heartbeat row under its lease owner id when it starts and
then on the cadence of its lease renewals, and removes it when it stops. A worker killed
without a goodbye (SIGKILL, a lost node) simply stops beating: readers count a worker as
live while its last beat is recent (`live_workers`, within a lease's length), and old rows
are pruned. Every function runs in the caller's transaction and takes its instants from the
caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, select

from trousseau.catalog.schema import worker


@dataclass(frozen=True)
class WorkerRow:
    """One worker as its last heartbeat described it."""

    owner: str
    """The worker's lease owner id: the `lease_owner` of the jobs it runs."""
    host: str
    pid: int
    mode: str
    """How it runs jobs: "process", "inline", "batch", "gpu"."""
    slots: int
    """Jobs it runs at once: job processes, or the batch size."""
    started_at: datetime
    last_seen_at: datetime
    process: str | None = None
    """The process's identity on its host (see `trousseau.jobs.liveness`), when known."""

    def seen_ago(self, now: datetime) -> timedelta:
        """How long before `now` it last beat."""
        return now - self.last_seen_at


def _insert(conn: Connection) -> Any:
    """An INSERT with the connection's dialect's ON CONFLICT clauses.

    The dialect's module is imported here, not at the top: a SQLite catalog never loads
    PostgreSQL's (and the engine has already loaded its own).
    """
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(worker)
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(worker)


def beat(
    conn: Connection,
    owner: str,
    *,
    now: datetime,
    host: str,
    pid: int,
    mode: str,
    slots: int,
    process: str | None = None,
) -> None:
    """Record that `owner` is alive at `now`: a new row on its first beat, else an update.

    One upsert statement on both backends, so two beats never race into a duplicate key;
    `started_at` keeps the first beat's instant.
    """
    stmt = _insert(conn).values(
        owner=owner,
        host=host,
        pid=pid,
        process=process,
        mode=mode,
        slots=slots,
        started_at=now,
        last_seen_at=now,
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[worker.c.owner],
        set_={
            "host": stmt.excluded.host,
            "pid": stmt.excluded.pid,
            "process": stmt.excluded.process,
            "mode": stmt.excluded.mode,
            "slots": stmt.excluded.slots,
            "last_seen_at": stmt.excluded.last_seen_at,
        },
    )
    conn.execute(stmt)


def forget(conn: Connection, owner: str) -> bool:
    """Remove `owner`'s heartbeat (a worker stopping cleanly); False when there was none."""
    return conn.execute(delete(worker).where(worker.c.owner == owner)).rowcount > 0


def live_workers(conn: Connection, *, now: datetime, within: timedelta) -> list[WorkerRow]:
    """Workers whose last beat is at most `within` before `now`, oldest first, by owner."""
    rows = conn.execute(
        select(worker)
        .where(worker.c.last_seen_at >= now - within)
        .order_by(worker.c.started_at, worker.c.owner)
    )
    fields = WorkerRow.__dataclass_fields__
    return [WorkerRow(**{name: row._mapping[name] for name in fields}) for row in rows]


def prune_workers(conn: Connection, *, before: datetime) -> int:
    """Delete the heartbeats of workers last seen before `before`; how many went."""
    return conn.execute(delete(worker).where(worker.c.last_seen_at < before)).rowcount


def workers_on(conn: Connection, host: str) -> list[WorkerRow]:
    """Every heartbeat recorded on `host`, live or not: the candidates a worker starting on
    that host checks for a dead process."""
    rows = conn.execute(select(worker).where(worker.c.host == host).order_by(worker.c.owner))
    fields = WorkerRow.__dataclass_fields__
    return [WorkerRow(**{name: row._mapping[name] for name in fields}) for row in rows]

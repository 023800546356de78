"""How many workers the live queue needs now: the earliest-deadline-first bound, as the SQL
KEDA's PostgreSQL trigger runs against the queue.

For every deadline among the open jobs (queued or running; a running job counts in full), the
work due by it must fit in the time left to it: the workers needed are the largest, over
those deadlines, of that work over that time (at least `min_window` seconds, so an overdue
job asks for a bounded, not infinite, number of workers). The statement belongs here, with
the queue's other SQL; `planning` writes it into the ScaledObject.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, text

from trousseau.errors import InvalidValue
from trousseau.jobs.states import QUEUED, RUNNING


def edf_workers_sql(*, seconds_per_job: float, min_window: float = 30.0) -> str:
    """The query (PostgreSQL, `now()`) returning the workers the open jobs need now, and at
    least the emergency floor while the emergency switch is on."""
    if seconds_per_job <= 0 or min_window <= 0:
        raise InvalidValue("seconds per job and the minimum window must be above 0")
    spj, window = float(seconds_per_job), float(min_window)
    return (
        f"SELECT GREATEST(COALESCE(MAX(CEIL(due * {spj} / "
        f"GREATEST(EXTRACT(EPOCH FROM deadline - now()), {window}))), 0), "
        "COALESCE((SELECT MAX(floor) FROM emergency_switch WHERE started_at <= now() "
        "AND until > now() AND (ended_at IS NULL OR ended_at > now())), 0))::int AS workers "
        "FROM (SELECT deadline, SUM(COUNT(*)) OVER (ORDER BY deadline) AS due FROM job "
        f"WHERE state IN ('{QUEUED}', '{RUNNING}') GROUP BY deadline) AS by_deadline"
    )


def edf_workers(conn: Connection, *, seconds_per_job: float, min_window: float = 30.0) -> int:
    """The same bound read now (PostgreSQL: the statement KEDA runs, in this transaction)."""
    if conn.dialect.name != "postgresql":
        raise InvalidValue("the EDF trigger's query is PostgreSQL's (KEDA reads it there)")
    value = conn.execute(
        text(edf_workers_sql(seconds_per_job=seconds_per_job, min_window=min_window))
    ).scalar_one()
    return int(value)


def edf_bound(
    deadlines: list[datetime], *, now: datetime, seconds_per_job: float, min_window: float = 30.0
) -> int:
    """The bound for jobs due at `deadlines` (pure): the fewest workers whose capacity to each
    deadline covers the work due by it."""
    need = 0
    for count, deadline in enumerate(sorted(deadlines), 1):
        window = max((deadline - now).total_seconds(), min_window)
        workers = need
        while workers * window < count * seconds_per_job - 1e-9:
            workers += 1
        need = workers
    return need

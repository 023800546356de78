"""The EDF trigger's query (what KEDA runs) against a seeded PostgreSQL queue agrees with the
bound found by search over random queues."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import text

from trousseau.catalog.schema import job
from trousseau.jobs import QUEUED, RUNNING, edf_bound, edf_workers

pytestmark = pytest.mark.usefixtures("catalog")


@pytest.mark.parametrize("seed", range(12))
def test_the_query_agrees_with_the_bound_on_random_queues(catalog, seed) -> None:
    if catalog.engine.dialect.name != "postgresql":
        pytest.skip("KEDA's PostgreSQL trigger runs the query on PostgreSQL")
    rng = random.Random(seed)
    spj = rng.choice([0.5, 1.5, 3.0, 7.0])
    with catalog.begin() as conn:
        now = conn.execute(text("SELECT now()")).scalar_one()
        rows, open_deadlines = [], []
        for i in range(rng.randrange(0, 400)):
            deadline = now + timedelta(seconds=rng.uniform(-120, 7200))
            state = rng.choice([QUEUED, QUEUED, RUNNING, "done", "dead"])
            rows.append({
                "kind": "variants", "payload": {}, "sla": "same-day", "deadline": deadline,
                "state": state, "max_attempts": 3, "run_after": now, "created_at": now,
                "key": f"k{seed}-{i}",
            })  # fmt: skip
            if state in (QUEUED, RUNNING):
                open_deadlines.append(deadline)
        if rows:
            conn.execute(job.insert(), rows)
        got = edf_workers(conn, seconds_per_job=spj)
        conn.rollback()
    assert got == edf_bound(open_deadlines, now=now, seconds_per_job=spj)


def test_an_empty_queue_needs_no_worker(catalog) -> None:
    if catalog.engine.dialect.name != "postgresql":
        pytest.skip("KEDA's PostgreSQL trigger runs the query on PostgreSQL")
    with catalog.begin() as conn:
        assert edf_workers(conn, seconds_per_job=2.0) == 0


def test_the_bound_meets_every_deadline_and_one_fewer_does_not() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 6, 13, 15, tzinfo=UTC)
    rng = random.Random(3)
    for _ in range(300):
        deadlines = [
            now + timedelta(seconds=rng.uniform(0, 3600)) for _ in range(rng.randrange(1, 60))
        ]
        m = edf_bound(deadlines, now=now, seconds_per_job=2.0, min_window=30)

        def fits(workers: int, deadlines: list = deadlines) -> bool:
            ordered = sorted(deadlines)
            return all(
                (i + 1) * 2.0 <= workers * max((d - now).total_seconds(), 30) + 1e-9
                for i, d in enumerate(ordered)
            )

        assert fits(m) and (m == 0 or not fits(m - 1))

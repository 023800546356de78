"""Job states are a StrEnum whose stored text is the one the job table always held."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from trousseau.jobs import DEAD, QUEUED, JobState, NewJob, claim, complete, enqueue, enqueue_many


def _new(clock, key: str | None = None) -> NewJob:
    return NewJob(
        kind="noop",
        payload={},
        sla="standard",
        deadline=clock() + timedelta(hours=1),
        max_attempts=1,
        key=key,
    )


def _stored(catalog) -> list[str]:
    with catalog.begin() as conn:
        return [row[0] for row in conn.execute(text("SELECT state FROM job ORDER BY id"))]


def test_the_stored_values_are_the_historical_strings():
    assert [s.value for s in JobState] == ["queued", "running", "done", "dead"]
    assert QUEUED is JobState.QUEUED and DEAD == "dead" and isinstance(DEAD, str)


def test_states_reach_the_table_as_their_values(catalog, clock):
    # psycopg dumps a plain Enum by its *name*; a StrEnum must go in as its value.
    with catalog.begin() as conn:
        first = enqueue(conn, _new(clock), now=clock())
        enqueue_many(conn, [_new(clock, key="a"), _new(clock, key="b")], now=clock())
    assert _stored(catalog) == ["queued", "queued", "queued"]
    with catalog.begin() as conn:
        claimed = claim(conn, owner="w", now=clock(), lease=timedelta(seconds=30), limit=1)
    assert [j.id for j in claimed] == [first]
    assert _stored(catalog)[0] == "running"
    with catalog.begin() as conn:
        complete(conn, [first], owner="w", now=clock())
    assert _stored(catalog) == ["done", "queued", "queued"]
    assert _stored(catalog)[0] == JobState.DONE

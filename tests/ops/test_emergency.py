"""The emergency switch on SQLite and PostgreSQL: a round trip with its audit records, its
expiry under a fake clock, a worker that leaves standard jobs alone while it is on, MAXIMUM
protection for its span, and the floor KEDA's queue trigger reads."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from trousseau.catalog import EventKind, recent_events
from trousseau.errors import InvalidValue, OverrideRefused
from trousseau.freeze import DEFAULT_POLICY, Level, decide, load_policy, with_calendar
from trousseau.jobs import DONE, QUEUED, InlinePool, NewJob, Worker, edf_workers, enqueue_many
from trousseau.ops import switch_off, switch_on, switch_status
from trousseau.settings import JobSettings

FAST = JobSettings(lease_seconds=5, max_attempts=3, poll_interval_seconds=0.05)


def _on(catalog, clock, **kw):
    fields = dict(reason="the upload service is down on a peak Saturday", by="alice",
                  now=clock(), hours=6, floor=20, paused_slas=("standard",))  # fmt: skip
    fields.update(kw)
    return switch_on(catalog, **fields)


def test_round_trip_with_its_audit_records(catalog, clock) -> None:
    assert switch_status(catalog, now=clock()) is None
    made = _on(catalog, clock)
    assert switch_status(catalog, now=clock()).id == made.id
    with pytest.raises(OverrideRefused, match="already on \\(by alice"):
        _on(catalog, clock, by="bob")
    clock.advance(minutes=40)
    done = switch_off(catalog, by="bob", reason="uploads are back", now=clock())
    assert done.ended_by == "bob"
    assert switch_status(catalog, now=clock()) is None
    with pytest.raises(OverrideRefused, match="not on"):
        switch_off(catalog, by="bob", reason="", now=clock())
    with catalog.begin() as conn:
        on = recent_events(conn, kind=EventKind.EMERGENCY_ON)
        off = recent_events(conn, kind=EventKind.EMERGENCY_OFF)
    assert on[0].data["by"] == "alice" and on[0].data["floor"] == 20
    assert on[0].data["paused_slas"] == ["standard"]
    assert off[0].data == {"id": made.id, "by": "bob", "reason": "uploads are back"}
    with pytest.raises(InvalidValue, match="needs a reason"):
        _on(catalog, clock, reason=" ")


def test_it_expires_on_its_own(catalog, clock) -> None:
    made = _on(catalog, clock, hours=6)
    clock.advance(hours=5, minutes=59)
    assert switch_status(catalog, now=clock()) is not None
    clock.advance(minutes=1)
    assert switch_status(catalog, now=clock()) is None
    assert made.until == clock()
    _on(catalog, clock, reason="again")  # a new one may start once the old one expired


def test_protection_is_maximum_for_its_span(catalog, clock) -> None:
    clock.now = clock.now.replace(month=1, day=13, hour=10)  # a Tuesday: NORMAL everywhere
    policy = load_policy(DEFAULT_POLICY)
    before = decide(with_calendar(policy, catalog, clock(), clock() + timedelta(days=1)), clock(),
                    region="uk", environment="production", service="api")  # fmt: skip
    assert before.level is Level.NORMAL
    _on(catalog, clock, hours=2)
    during = decide(with_calendar(policy, catalog, clock(), clock() + timedelta(days=1)), clock(),
                    region="uk", environment="production", service="api")  # fmt: skip
    assert during.level is Level.MAXIMUM and during.verdict == "deny"
    assert any("emergency switch on by alice" in r.text for r in during.reasons)
    assert during.next_allowed == clock() + timedelta(hours=2)


def test_a_worker_leaves_standard_jobs_alone_while_it_is_on(catalog, settings) -> None:
    from trousseau.clock import utc_now

    now = utc_now()
    jobs = [
        NewJob(kind="noop", payload={}, sla=sla, deadline=now + timedelta(minutes=30),
               max_attempts=3)
        for sla in ("standard", "same-day", "standard", "same-day", "next-day")
    ]  # fmt: skip
    with catalog.begin() as conn:
        enqueue_many(conn, jobs, now=now)
    switch_on(catalog, reason="peak", by="alice", now=now, hours=1, floor=20,
              paused_slas=("standard",))  # fmt: skip
    Worker(catalog, InlinePool(settings), FAST).run(until_idle=True)
    with catalog.begin() as conn:
        rows = conn.execute(text("SELECT sla, state FROM job ORDER BY id")).all()
    assert [(s, st) for s, st in rows] == [
        ("standard", QUEUED), ("same-day", DONE), ("standard", QUEUED), ("same-day", DONE),
        ("next-day", DONE),
    ]  # fmt: skip
    switch_off(catalog, by="alice", reason="over", now=utc_now())
    Worker(catalog, InlinePool(settings), FAST).run(until_idle=True)
    with catalog.begin() as conn:
        states = {st for (st,) in conn.execute(text("SELECT state FROM job")).all()}
    assert states == {DONE}


def test_kedas_queue_trigger_holds_the_emergency_floor(catalog) -> None:
    if catalog.engine.dialect.name != "postgresql":
        pytest.skip("KEDA's PostgreSQL trigger runs the query on PostgreSQL")
    from trousseau.clock import utc_now

    with catalog.begin() as conn:
        assert edf_workers(conn, seconds_per_job=2.0) == 0
    switch_on(catalog, reason="peak", by="alice", now=utc_now() - timedelta(seconds=5), hours=1,
              floor=20, paused_slas=())  # fmt: skip
    with catalog.begin() as conn:
        assert edf_workers(conn, seconds_per_job=2.0) == 20
    switch_off(catalog, by="alice", reason="", now=utc_now())
    with catalog.begin() as conn:
        assert edf_workers(conn, seconds_per_job=2.0) == 0

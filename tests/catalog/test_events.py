"""The event log's one vocabulary: kinds declared once, and one road to `wedding.created`."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from trousseau.catalog import (
    EventKind,
    count_events,
    count_vault_errors,
    create_wedding,
    ensure_tenant,
    recent_events,
    record_event,
)
from trousseau.catalog.schema import event


def test_the_stored_kinds_are_the_historical_strings():
    # /metrics, the dashboard and the alert rules count events by this text.
    assert {k.value for k in EventKind} >= {
        "wedding.created",
        "photo.failed",
        "job.dead",
        "job.lease_expired",
        "vault.error",
    }
    assert all(k.value.count(".") == 1 for k in EventKind)


def test_events_are_stored_as_text_and_read_back_as_kinds(catalog, clock):
    with catalog.begin() as conn:
        record_event(conn, EventKind.JOB_DEAD, "job 1 is dead", now=clock(), job_id=1)
        record_event(conn, EventKind.VAULT_ERROR, "blob gone", now=clock(), data={"op": "get"})
    with catalog.begin() as conn:
        raw = [r[0] for r in conn.execute(text("SELECT kind FROM event ORDER BY id"))]
        dead = recent_events(conn, kind=EventKind.JOB_DEAD)
        every = recent_events(conn)
    assert raw == ["job.dead", "vault.error"]
    assert [(e.kind, e.job_id) for e in dead] == [(EventKind.JOB_DEAD, 1)]
    assert [e.kind for e in every] == [EventKind.VAULT_ERROR, EventKind.JOB_DEAD]
    assert every[0].data == {"op": "get"}


def test_an_undeclared_kind_is_refused_before_it_is_written(catalog, clock):
    with catalog.begin() as conn:
        with pytest.raises(ValueError, match=r"photo\.exploded"):
            record_event(conn, "photo.exploded", "?", now=clock())  # type: ignore[arg-type]
        assert recent_events(conn) == []


def test_a_kind_no_longer_declared_still_reads_back_as_text(catalog, clock):
    with catalog.begin() as conn:
        conn.execute(event.insert().values(at=clock(), kind="legacy.thing", message="old"))
        (old,) = recent_events(conn)
    assert old.kind == "legacy.thing" and not isinstance(old.kind, EventKind)


def test_creating_a_wedding_records_one_created_event(catalog, clock):
    with catalog.begin() as conn:
        tenant = ensure_tenant(conn, "studio", now=clock())
        wedding = create_wedding(
            conn,
            tenant.id,
            "anna-ben",
            on=date(2026, 6, 13),
            timezone="Europe/Paris",
            delivery_sla="next-day",
            now=clock(),
            event_data={"via": "api", "key_id": 7},
        )
        events = recent_events(conn)
    assert [(e.kind, e.tenant_id, e.wedding_id) for e in events] == [
        (EventKind.WEDDING_CREATED, tenant.id, wedding.id)
    ]
    assert events[0].data == {"via": "api", "key_id": 7}
    assert "'anna-ben'" in events[0].message and "2026-06-13" in events[0].message


def test_events_of_a_kind_are_counted_by_a_key_of_their_data(catalog, clock):
    with catalog.begin() as conn:
        assert count_events(conn, EventKind.VAULT_ERROR, by="operation") == {}
        for operation in ("verify", "verify", "put", None):
            data = {"operation": operation} if operation else None
            record_event(conn, EventKind.VAULT_ERROR, "vault", now=clock(), data=data)
        record_event(conn, EventKind.JOB_DEAD, "dead", now=clock(), data={"operation": "put"})
        counts = count_events(conn, EventKind.VAULT_ERROR, by="operation")
    assert counts == {"verify": 2, "put": 1, None: 1}


def test_vault_errors_are_counted_by_operation_and_the_unnamed_as_job(catalog, clock):
    with catalog.begin() as conn:
        assert count_vault_errors(conn) == {}
        for operation in ("verify", "get", "verify", None):
            data = {"operation": operation} if operation else None
            record_event(conn, EventKind.VAULT_ERROR, "vault", now=clock(), data=data)
        record_event(conn, EventKind.JOB_DEAD, "dead", now=clock(), data={"operation": "get"})
        assert count_vault_errors(conn) == {"verify": 2, "get": 1, "job": 1}

"""A kind that follows another runs about the same subject, under the same promise."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from trousseau.catalog.schema import job
from trousseau.jobs import (
    DONE,
    InlinePool,
    JobContext,
    NewJob,
    Worker,
    enqueue,
    enqueue_follow_ons,
    follow_ons,
    register,
    unregister,
)
from trousseau.settings import JobSettings

FAST = JobSettings(lease_seconds=5, poll_interval_seconds=0.05, backoff_base_seconds=0.05)
SEEN: list[tuple[str, int | None, int | None]] = []


def first(ctx: JobContext, payload: dict) -> None:
    SEEN.append((ctx.kind, ctx.wedding_id, ctx.photo_id))
    with ctx.catalog.begin() as conn:
        enqueue_follow_ons(conn, ctx, now=ctx.clock())


def second(ctx: JobContext, payload: dict) -> None:
    SEEN.append((ctx.kind, ctx.wedding_id, ctx.photo_id))


@pytest.fixture
def two_kinds():
    register("test.first", f"{__name__}:first")
    register("test.second", f"{__name__}:second", follows="test.first")
    SEEN.clear()
    yield
    unregister("test.first")
    unregister("test.second")


def test_a_follow_on_runs_after_its_kind_about_the_same_subject(catalog, settings, two_kinds):
    from trousseau.clock import utc_now

    now = utc_now()
    wedding_id, photo_id, tenant_id = _a_photo(catalog, now)
    deadline = now + timedelta(minutes=30)
    with catalog.begin() as conn:
        enqueue(
            conn,
            NewJob(
                kind="test.first",
                payload={},
                sla="same-day",
                deadline=deadline,
                max_attempts=3,
                key=f"test.first:{photo_id}",
                tenant_id=tenant_id,
                wedding_id=wedding_id,
                photo_id=photo_id,
            ),
            now=now,
        )
    stats = Worker(catalog, InlinePool(settings), FAST).run(until_idle=True)

    assert stats.done == 2
    assert [("test.first", wedding_id, photo_id), ("test.second", wedding_id, photo_id)] == SEEN
    with catalog.begin() as conn:
        rows = conn.execute(select(job).where(job.c.kind == "test.second")).all()
    assert len(rows) == 1
    (row,) = rows
    assert (row.state, row.sla, row.deadline) == (DONE, "same-day", deadline)
    assert (row.tenant_id, row.wedding_id, row.photo_id) == (tenant_id, wedding_id, photo_id)


def _a_photo(catalog, now) -> tuple[int, int, int]:
    from datetime import date

    from trousseau.catalog import create_wedding, ensure_tenant, insert_photo

    with catalog.begin() as conn:
        tenant = ensure_tenant(conn, "studio", now=now)
        wedding = create_wedding(
            conn,
            tenant.id,
            "w",
            on=date(2026, 6, 13),
            timezone="Europe/Paris",
            delivery_sla="same-day",
            now=now,
        )
        photo_id = insert_photo(
            conn,
            tenant_id=tenant.id,
            wedding_id=wedding.id,
            sha256="0" * 64,
            original_name="IMG_0001.JPG",
            size=1,
            fmt="jpeg",
            now=now,
        )
    return wedding.id, photo_id, tenant.id


def test_follow_ons_are_declared_not_guessed(two_kinds):
    assert follow_ons("test.first") == ["test.second"]
    assert follow_ons("test.second") == []
    with pytest.raises(ValueError, match="cannot follow itself"):
        register("test.third", f"{__name__}:second", follows="test.third")

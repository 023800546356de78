"""Follow-on jobs: a kind that runs after another about the same subject.

A photo's analysis runs after its variants; a form's extraction after its upload. The kind
that finishes enqueues what follows it in the transaction that records its own work, so the
follow-on exists exactly when the work it builds on does, and the queue never names a kind:
which kind follows which is declared where kinds are registered (`register(follows=...)`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from trousseau.jobs.context import JobContext
from trousseau.jobs.queue import NewJob, enqueue
from trousseau.jobs.registry import follow_on_wanted, follow_ons


def subject_key(kind: str, *, photo_id: int | None, wedding_id: int | None, job_id: int) -> str:
    """The idempotency key of a job of `kind` about a subject: one such job per subject."""
    if photo_id is not None:
        return f"{kind}:{photo_id}"
    if wedding_id is not None:
        return f"{kind}:wedding:{wedding_id}"
    return f"{kind}:after:{job_id}"


def enqueue_follow_ons(conn: Connection, ctx: JobContext, *, now: datetime) -> list[int]:
    """Enqueue, in the caller's transaction, every kind that follows `ctx.kind`, about the same
    subject, under the same SLA class and deadline (one delivery promise covers all of a
    photo's work). Returns the ids of the jobs added (a follow-on already there is kept)."""
    added: list[int] = []
    for kind in follow_ons(ctx.kind):
        wanted = follow_on_wanted(kind)
        if wanted is not None and not wanted(conn, ctx):
            continue
        job_id = enqueue(
            conn,
            NewJob(
                kind=kind,
                payload={"photo_id": ctx.photo_id, "wedding_id": ctx.wedding_id},
                sla=ctx.sla,
                deadline=ctx.deadline,
                max_attempts=ctx.settings.jobs.max_attempts,
                key=subject_key(
                    kind, photo_id=ctx.photo_id, wedding_id=ctx.wedding_id, job_id=ctx.job_id
                ),
                tenant_id=ctx.tenant_id,
                wedding_id=ctx.wedding_id,
                photo_id=ctx.photo_id,
            ),
            now=now,
        )
        if job_id is not None:
            added.append(job_id)
    return added

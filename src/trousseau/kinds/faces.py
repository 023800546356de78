"""The `faces` job: one photo's faces found, embedded and joined to its wedding's persons.

It follows the photo's `variants` job (it reads the largest variant, and the original only
when the variant shows small faces: `analysis.scan`), and is enqueued only for weddings
that opted in to face analysis (`wanted`, asked in the variants job's transaction). A
wedding that opts out after the job was enqueued gets nothing done. A variant that cannot
be read is recorded on the photo's scan mark with its reason, not retried (`trousseau
people` lists it); an original that cannot be read when a crowd needs it leaves the
variant's faces and a warning in the worker's log.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Connection

from trousseau.catalog import get_wedding_by_id, wedding_faces_enabled
from trousseau.jobs import JobContext

log = logging.getLogger(__name__)


def wanted(conn: Connection, ctx: JobContext) -> bool:
    """Whether the photo's wedding opted in to faces."""
    return ctx.wedding_id is not None and wedding_faces_enabled(conn, ctx.wedding_id)


def run(ctx: JobContext, payload: dict[str, Any]) -> None:
    from trousseau.analysis import scan_faces  # here: `wanted` runs in every variants job

    photo_id = int(payload["photo_id"])
    wedding_id = int(payload["wedding_id"])
    with ctx.catalog.begin() as conn:
        wedding = get_wedding_by_id(conn, wedding_id)
        if not wedding.faces:
            return
    report = scan_faces(
        ctx.catalog,
        ctx.vault,
        wedding,
        clock=ctx.clock,
        threshold=ctx.settings.analysis.face_threshold,
        photo_ids=[photo_id],
        raw_policy=ctx.settings.imaging.raw_policy,
    )
    for name, reason in report.unread_originals:
        log.warning(
            "faces job %s: the faces of %s were read from its variant only, its original "
            "cannot be read (%s): check the vault with `trousseau verify`", ctx.job_id, name,
            reason, extra={"job_id": ctx.job_id},
        )  # fmt: skip

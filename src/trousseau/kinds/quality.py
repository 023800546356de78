"""The `quality` job: one photo's culling signals measured from its variant and stored.

It follows the photo's `variants` job, for every wedding (the signals say nothing of who is
in the photo), unless the setting analysis.culling turns it off. A variant that cannot be
read is recorded with its reason, not retried (`trousseau cull` lists it as unreadable).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from trousseau.jobs import JobContext


def wanted(conn: Connection, ctx: JobContext) -> bool:
    """Whether culling signals are measured on this installation (analysis.culling)."""
    return ctx.settings.analysis.culling


def run(ctx: JobContext, payload: dict[str, Any]) -> None:
    from trousseau.analysis import measure_photo  # here: `wanted` runs in every variants job

    measure_photo(ctx.catalog, ctx.vault, int(payload["photo_id"]), clock=ctx.clock)

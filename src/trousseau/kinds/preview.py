"""The `preview` job: one JPEG preview of an original, stored in the vault and recorded.

Re-running it is harmless: a recorded preview ends the job early, the blob is content-
addressed, and the variant row is unique per (photo, profile).
"""

from __future__ import annotations

from typing import Any

from trousseau.catalog import (
    FAILED,
    PROCESSED,
    get_photo,
    record_event,
    record_variant,
    set_photo_state,
    variants_of,
)
from trousseau.errors import ImagingError, PermanentJobError
from trousseau.imaging import render_preview
from trousseau.jobs import JobContext

PROFILE = "preview"


def run(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Render, store and record the preview of `payload["photo_id"]`."""
    photo_id = int(payload["photo_id"])
    with ctx.catalog.begin() as conn:
        photo = get_photo(conn, photo_id)
        if photo is None:
            raise PermanentJobError(f"photo {photo_id} is not in the catalog: nothing to render")
        if any(v.profile == PROFILE for v in variants_of(conn, photo_id)):
            if photo.state != PROCESSED:
                set_photo_state(conn, photo_id, PROCESSED)
            return
    original = ctx.vault.get_bytes(photo.sha256, verify=True)
    preview_settings = ctx.settings.preview
    try:
        preview = render_preview(
            original,
            long_edge=preview_settings.long_edge,
            quality=preview_settings.quality,
            name=photo.original_name,
        )
    except ImagingError as exc:
        # Damaged bytes and formats this build cannot decode fail the same way on every
        # attempt: the photo is marked failed with the reason and the job goes to dead letter.
        message = f"photo {photo_id}: {exc}"
        with ctx.catalog.begin() as conn:
            set_photo_state(conn, photo_id, FAILED, error=message)
            record_event(
                conn,
                "photo.failed",
                message,
                now=ctx.clock(),
                tenant_id=photo.tenant_id,
                wedding_id=photo.wedding_id,
                photo_id=photo_id,
                job_id=ctx.job_id,
            )
        raise PermanentJobError(message) from exc
    blob = ctx.vault.put_bytes(preview.data)
    with ctx.catalog.begin() as conn:
        record_variant(
            conn,
            photo_id=photo_id,
            profile=PROFILE,
            fmt="jpeg",
            sha256=blob.sha256,
            size=blob.size,
            width=preview.width,
            height=preview.height,
            now=ctx.clock(),
        )
        set_photo_state(conn, photo_id, PROCESSED)

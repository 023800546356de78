"""The `variants` job: every enabled profile of a photo, rendered once, stored and recorded.

Re-running it is harmless: the encoders are deterministic, blobs are content-addressed and a
variant row is unique per (photo, profile); a photo whose variants are all recorded is done.
"""

from __future__ import annotations

from typing import Any

import pyvips

from trousseau.catalog import (
    FAILED,
    PROCESSED,
    get_photo,
    record_event,
    record_variant,
    set_photo_rendering,
    set_photo_state,
    variants_of,
)
from trousseau.errors import ImagingError, PermanentJobError
from trousseau.imaging import (
    Original,
    Profile,
    dominant_colours,
    enabled_profiles,
    load_profiles,
    render,
    select_backend,
    thumbhash,
)
from trousseau.jobs import JobContext

KIND = "variants"


def profiles_of(ctx: JobContext) -> list[Profile]:
    """The enabled profiles, loaded once per job process."""
    imaging = ctx.settings.imaging
    return ctx.resources.memo(
        "profiles",
        lambda: enabled_profiles(load_profiles(imaging.profiles_file, imaging.profiles)),
    )


def run(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Render, store and record all variants of `payload["photo_id"]`."""
    photo_id = int(payload["photo_id"])
    profiles = profiles_of(ctx)
    with ctx.catalog.begin() as conn:
        photo = get_photo(conn, photo_id)
        if photo is None:
            raise PermanentJobError(f"photo {photo_id} is not in the catalog: nothing to render")
        recorded = {v.profile for v in variants_of(conn, photo_id)}
    if photo.state == PROCESSED and all(p.name in recorded for p in profiles):
        return
    backend = ctx.resources.memo("backend", lambda: select_backend(ctx.settings.imaging))
    original = Original(ctx.vault.get_bytes(photo.sha256), photo.format, photo.original_name)
    try:
        rendering = render(original, profiles, backend)
    except ImagingError as exc:
        _mark_failed(ctx, photo, f"photo {photo_id}: {exc}")
        raise PermanentJobError(f"photo {photo_id}: {exc}") from exc
    stored = [(v, ctx.vault.put_bytes(v.data)) for v in rendering.variants]
    smallest = pyvips.Image.new_from_buffer(rendering.smallest.data, "")
    colours = [{"hex": s.hex, "share": round(s.share, 4)} for s in dominant_colours(smallest)]
    now = ctx.clock()
    with ctx.catalog.begin() as conn:
        for variant, blob in stored:
            record_variant(
                conn,
                photo_id=photo_id,
                profile=variant.profile,
                fmt=variant.format,
                sha256=blob.sha256,
                size=blob.size,
                width=variant.width,
                height=variant.height,
                now=now,
            )
        set_photo_rendering(
            conn,
            photo_id,
            width=rendering.source_width,
            height=rendering.source_height,
            placeholder=thumbhash(smallest),
            colours=colours,
        )
        set_photo_state(conn, photo_id, PROCESSED)


def _mark_failed(ctx: JobContext, photo: Any, message: str) -> None:
    with ctx.catalog.begin() as conn:
        set_photo_state(conn, photo.id, FAILED, error=message)
        record_event(
            conn,
            "photo.failed",
            message,
            now=ctx.clock(),
            tenant_id=photo.tenant_id,
            wedding_id=photo.wedding_id,
            photo_id=photo.id,
            job_id=ctx.job_id,
        )

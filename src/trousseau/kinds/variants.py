"""The `variants` job: every enabled profile of a photo, rendered once, stored and recorded.

A batched (GPU) worker runs `run_batch` on many photos at once; an ordinary worker runs
`run`, the same code with a batch of one. Re-running it is harmless: the encoders are
deterministic, blobs are content-addressed and a variant row is unique per (photo,
profile); a photo whose variants are all recorded is done.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pyvips

from trousseau.catalog import (
    FAILED,
    PROCESSED,
    EventKind,
    get_photo,
    record_event,
    record_variant,
    set_photo_rendering,
    set_photo_state,
    variants_of,
)
from trousseau.errors import ImagingError, PermanentJobError
from trousseau.imaging import (
    FallbackRenderer,
    Original,
    Profile,
    Rendering,
    cpu_backend,
    dominant_colours,
    enabled_profiles,
    load_profiles,
    renderer_for,
    select_backend,
    thumbhash,
)
from trousseau.jobs import JobContext, enqueue_follow_ons
from trousseau.vault import put_derived


def profiles_of(ctx: JobContext) -> list[Profile]:
    """The enabled profiles, loaded once per job process."""
    imaging = ctx.settings.imaging
    return ctx.resources.memo(
        "profiles",
        lambda: enabled_profiles(load_profiles(imaging.profiles_file, imaging.profiles)),
    )


def renderer_of(ctx: JobContext) -> FallbackRenderer:
    """The process's renderer: the selected backend, with the CPU behind a GPU."""
    imaging = ctx.settings.imaging
    return ctx.resources.memo(
        "renderer",
        lambda: renderer_for(select_backend(imaging), lambda: cpu_backend(imaging)),
    )


def run(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Render, store and record all variants of `payload["photo_id"]`."""
    (error,) = run_batch([ctx], [payload])
    if error is not None:
        raise error


def run_batch(
    ctxs: Sequence[JobContext], payloads: Sequence[dict[str, Any]]
) -> list[BaseException | None]:
    """The variants of several photos rendered as one batch (one GPU batch on a GPU).

    Each job keeps its own fate: a missing photo or a bad original fails that job alone
    (permanently), a storage error fails it for a retry, and the others are recorded.
    """
    errors: list[BaseException | None] = [None] * len(ctxs)
    profiles = profiles_of(ctxs[0])
    todo: list[tuple[int, Any, Original]] = []
    for slot, (ctx, payload) in enumerate(zip(ctxs, payloads, strict=True)):
        try:
            photo = _photo_to_render(ctx, int(payload["photo_id"]), profiles)
            if photo is not None:
                data = ctx.vault.get_bytes(photo.sha256)
                todo.append((slot, photo, Original(data, photo.format, photo.original_name)))
        except Exception as exc:
            errors[slot] = exc
    if not todo:
        return errors
    results = renderer_of(ctxs[0]).render([original for _, _, original in todo], profiles)
    for (slot, photo, _), result in zip(todo, results, strict=True):
        ctx = ctxs[slot]
        if isinstance(result, ImagingError):
            _mark_failed(ctx, photo, f"photo {photo.id}: {result}")
            errors[slot] = PermanentJobError(f"photo {photo.id}: {result}")
            continue
        try:
            _record(ctx, photo.id, result)
        except Exception as exc:
            errors[slot] = exc
    return errors


def _photo_to_render(ctx: JobContext, photo_id: int, profiles: Sequence[Profile]) -> Any:
    """The photo's row, or None when all its variants are already recorded."""
    with ctx.catalog.begin() as conn:
        photo = get_photo(conn, photo_id)
        if photo is None:
            raise PermanentJobError(f"photo {photo_id} is not in the catalog: nothing to render")
        recorded = {v.profile for v in variants_of(conn, photo_id)}
    if photo.state == PROCESSED and all(p.name in recorded for p in profiles):
        return None
    return photo


def _record(ctx: JobContext, photo_id: int, rendering: Rendering) -> None:
    # Variants can be rendered again from the original, so they are made durable as one
    # batch (one fsync pass, each directory once); still all durable before any is recorded.
    # The placeholders are computed meanwhile: the batch mostly waits on the disk.
    with ThreadPoolExecutor(1, thread_name_prefix="variants-store") as storing:
        blobs = storing.submit(put_derived, ctx.vault, [v.data for v in rendering.variants])
        placeholder, colours = _placeholders(rendering.smallest.data)
        stored = list(zip(rendering.variants, blobs.result(), strict=True))
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
                deadline=ctx.deadline,
            )
        set_photo_rendering(
            conn,
            photo_id,
            width=rendering.source_width,
            height=rendering.source_height,
            placeholder=placeholder,
            colours=colours,
        )
        set_photo_state(conn, photo_id, PROCESSED)
        enqueue_follow_ons(conn, ctx, now=now)


PLACEHOLDER_FIT = 100
"""The ThumbHash's own size: the smallest variant is decoded straight to it, once."""


def _placeholders(smallest: bytes) -> tuple[str, list[dict[str, Any]]]:
    """The ThumbHash and dominant colours, from one shrink-on-load decode of the smallest
    variant (held in memory: both read it, and a lazy image would be decoded twice)."""
    image = pyvips.Image.thumbnail_buffer(
        smallest,
        PLACEHOLDER_FIT,
        height=PLACEHOLDER_FIT,
        size=pyvips.enums.Size.DOWN,
        no_rotate=True,
    ).copy_memory()
    colours = [{"hex": s.hex, "share": round(s.share, 4)} for s in dominant_colours(image)]
    return thumbhash(image), colours


def _mark_failed(ctx: JobContext, photo: Any, message: str) -> None:
    with ctx.catalog.begin() as conn:
        set_photo_state(conn, photo.id, FAILED, error=message)
        record_event(
            conn,
            EventKind.PHOTO_FAILED,
            message,
            now=ctx.clock(),
            tenant_id=photo.tenant_id,
            wedding_id=photo.wedding_id,
            photo_id=photo.id,
            job_id=ctx.job_id,
        )

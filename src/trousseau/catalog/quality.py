"""Photo quality: every statement on `photo_quality`, each photo's culling signals.

A photo is measured once (by its `quality` job, or by `trousseau cull` for photos ingested
before that job existed); measuring it again replaces its row in one upsert, so a job and a
command that race over one photo leave one row, never a duplicate key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, exists, select
from sqlalchemy.dialects import postgresql, sqlite

from trousseau.catalog.schema import photo, photo_quality, variant

FIGURES = ("sharpness", "motion_blur", "mean_luminance", "highlights", "shadows", "noise")
"""The measured figures, in the order the table and `Signals` hold them."""


@dataclass(frozen=True)
class Signals:
    """What was measured of one photo: its figures, keep_score with the reasons behind it,
    and its 64-bit difference hash."""

    sharpness: float
    motion_blur: float
    mean_luminance: float
    highlights: float
    shadows: float
    noise: float
    keep_score: float
    reasons: tuple[str, ...]
    dhash: int


@dataclass(frozen=True)
class QualityRow:
    """A photo of the wedding with its signals (None until measured, or when it could not be
    measured: `error` then says why), and its own state and processing error (a photo whose
    variants failed is never measured)."""

    photo_id: int
    original_name: str
    captured_at: datetime | None
    photo_state: str
    photo_error: str | None
    source: str | None
    signals: Signals | None
    error: str | None
    measured_at: datetime | None


def record_quality(
    conn: Connection,
    *,
    photo_id: int,
    wedding_id: int,
    now: datetime,
    source: str | None,
    signals: Signals | None = None,
    error: str | None = None,
) -> None:
    """Store a photo's signals (or why they could not be measured), replacing earlier ones."""
    if (signals is None) == (error is None):
        raise ValueError("record_quality takes signals or an error, exactly one")
    values: dict[str, object] = {
        "photo_id": photo_id,
        "wedding_id": wedding_id,
        "source": source,
        "error": error,
        "measured_at": now,
        "keep_score": None,
        "reasons": None,
        "dhash": None,
        **dict.fromkeys(FIGURES),
    }
    if signals is not None:
        values |= {name: float(getattr(signals, name)) for name in FIGURES}
        values |= {
            "keep_score": float(signals.keep_score),
            "reasons": list(signals.reasons),
            "dhash": f"{signals.dhash:016x}",
        }
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    statement = insert(photo_quality).values(**values)
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=[photo_quality.c.photo_id],
            set_={k: statement.excluded[k] for k in values if k != "photo_id"},
        )
    )


def wedding_quality(conn: Connection, wedding_id: int) -> list[QualityRow]:
    """Every photo of the wedding with its signals if measured, in ingest order."""
    rows = conn.execute(
        select(
            photo.c.id,
            photo.c.original_name,
            photo.c.captured_at,
            photo.c.state.label("photo_state"),
            photo.c.error.label("photo_error"),
            photo_quality,
        )
        .select_from(photo.outerjoin(photo_quality, photo_quality.c.photo_id == photo.c.id))
        .where(photo.c.wedding_id == wedding_id)
        .order_by(photo.c.id)
    )
    out = []
    for r in rows:
        signals = None
        if r.measured_at is not None and r.error is None:
            signals = Signals(
                sharpness=float(r.sharpness),
                motion_blur=float(r.motion_blur),
                mean_luminance=float(r.mean_luminance),
                highlights=float(r.highlights),
                shadows=float(r.shadows),
                noise=float(r.noise),
                keep_score=float(r.keep_score),
                reasons=tuple(r.reasons or ()),
                dhash=int(r.dhash, 16),
            )
        out.append(
            QualityRow(
                photo_id=r.id,
                original_name=r.original_name,
                captured_at=r.captured_at,
                photo_state=r.photo_state,
                photo_error=r.photo_error,
                source=r.source,
                signals=signals,
                error=r.error,
                measured_at=r.measured_at,
            )
        )
    return out


def photos_to_measure(conn: Connection, wedding_id: int, *, again_failed: bool) -> list[int]:
    """The wedding's photos with variants but no signals yet (ids, in ingest order); with
    `again_failed`, also those whose variant could not be measured last time."""
    done = photo_quality.c.photo_id == photo.c.id
    if again_failed:
        done &= photo_quality.c.error.is_(None)
    rendered = exists().where(variant.c.photo_id == photo.c.id)
    rows = conn.execute(
        select(photo.c.id)
        .where(photo.c.wedding_id == wedding_id, rendered, ~exists().where(done))
        .order_by(photo.c.id)
    )
    return list(rows.scalars())


def erase_wedding_quality(conn: Connection, wedding_id: int) -> int:
    """Every photo's signals of a wedding (its erasure): the rows deleted."""
    return int(
        conn.execute(delete(photo_quality).where(photo_quality.c.wedding_id == wedding_id)).rowcount
    )

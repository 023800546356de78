"""Culling a wedding (pure): each photo's verdict with its reasons, the bursts and the moments,
from the signals stored for its photos.

A photo is a reject when its keep_score (lowered when its faces are out of focus) is under
`reject_below` (its reasons say why); a keeper that lost its burst to a better frame is a
duplicate of that frame; every burst's pick and every other keeper is kept. A photo whose
variants could not be made is failed (its processing error), one whose variant could not be
measured is unreadable (the recorded reason), and one not measured yet is pending.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from trousseau.analysis.bursts import Burst, Shot, group_bursts
from trousseau.analysis.moments import Moment, day_moments
from trousseau.catalog import FAILED, QualityRow, Signals

REJECT_BELOW = 0.5
"""The keep_score under which a photo is a reject."""

SOFT_SUBJECT = 2.0
"""The subject sharpness (of the sharpest face measured, `Face.sharpness`) under which a
photo's faces are out of focus. On the 76 labelled photos of the shared faces, the faces
score 2.43 to 3.9 as taken and 1.35 to 1.81 blurred by 2% of their size."""

SOFT_SUBJECT_FACTOR = 0.4
"""What a photo's keep_score is multiplied by when its faces are out of focus."""


class Verdict(StrEnum):
    KEEP = "keep"
    REJECT = "reject"
    DUPLICATE = "duplicate"
    UNREADABLE = "unreadable"
    FAILED = "failed"
    PENDING = "pending"


@dataclass(frozen=True)
class Judged:
    """One photo's verdict: its keep_score and reasons when measured."""

    photo_id: int
    photo: str
    verdict: Verdict
    keep_score: float | None
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Culling:
    """A wedding culled: every photo judged (in ingest order), the bursts of more than one
    photo, and the moments of the day."""

    photos: tuple[Judged, ...]
    bursts: tuple[Burst, ...]
    moments: tuple[Moment, ...]

    def count(self, verdict: Verdict | str) -> int:
        """How many photos have this verdict (given as a Verdict or its value)."""
        return sum(1 for p in self.photos if p.verdict == verdict)

    def counts(self) -> dict[Verdict, int]:
        return {v: self.count(v) for v in Verdict}


def cull(
    rows: Sequence[QualityRow],
    *,
    subjects: Mapping[int, float] | None = None,
    reject_below: float = REJECT_BELOW,
) -> Culling:
    """The verdicts, bursts and moments of a wedding's photos and their stored signals.

    `subjects` (photo id: the sharpness of its sharpest face, for weddings whose faces are
    looked for) lowers the keep_score of a photo whose faces are out of focus though the
    frame is sharp: the subject is what the couple looks at.
    """
    subjects = subjects or {}
    scores = {
        r.photo_id: _score(r.signals, subjects.get(r.photo_id))
        for r in rows
        if r.signals is not None
    }
    shots = [
        Shot(r.photo_id, r.original_name, r.captured_at, r.signals.dhash, scores[r.photo_id][0])
        for r in rows
        if r.signals is not None
    ]
    bursts = tuple(b for b in group_bursts(shots) if len(b.shots) > 1)
    pick_of: dict[int, Shot] = {}
    for burst in bursts:
        pick = burst.pick
        pick_of |= {s.id: pick for s in burst.shots}
    return Culling(
        tuple(
            _judged(r, scores.get(r.photo_id), pick_of.get(r.photo_id), reject_below) for r in rows
        ),
        bursts,
        tuple(day_moments(shots)),
    )


def report(wedding: str, culled: Culling) -> dict[str, Any]:
    """The culling as plain values (what `trousseau cull --json` prints and the API sends):
    the counts by verdict, every photo, the bursts and the moments."""
    return {
        "wedding": wedding,
        "counts": {str(v): n for v, n in culled.counts().items()},
        "photos": [
            {
                "photo_id": p.photo_id,
                "photo": p.photo,
                "status": str(p.verdict),
                "keep_score": p.keep_score,
                "reasons": list(p.reasons),
            }
            for p in culled.photos
        ],
        "bursts": [
            {"pick": b.pick.name, "photos": [s.name for s in b.shots]} for b in culled.bursts
        ],
        "moments": [
            {
                "start": m.start.isoformat() if m.start else None,
                "end": m.end.isoformat() if m.end else None,
                "photos": len(m.shots),
                "representative": m.representative.name,
            }
            for m in culled.moments
        ],
    }


def _score(signals: Signals, subject: float | None) -> tuple[float, tuple[str, ...]]:
    """A photo's keep_score and reasons, lowered when its faces are out of focus."""
    if subject is None or subject >= SOFT_SUBJECT:
        return signals.keep_score, signals.reasons
    reason = f"faces out of focus (sharpest face {subject:.2f})"
    return round(signals.keep_score * SOFT_SUBJECT_FACTOR, 4), (*signals.reasons, reason)


def _judged(
    row: QualityRow,
    scored: tuple[float, tuple[str, ...]] | None,
    pick: Shot | None,
    reject_below: float,
) -> Judged:
    if row.signals is None or scored is None:
        if row.error is not None:
            return Judged(row.photo_id, row.original_name, Verdict.UNREADABLE, None, (row.error,))
        if row.photo_state == FAILED:
            why = f"its variants could not be made: {row.photo_error or 'processing failed'}"
            return Judged(row.photo_id, row.original_name, Verdict.FAILED, None, (why,))
        return Judged(row.photo_id, row.original_name, Verdict.PENDING, None, ())
    score, reasons = scored
    if score < reject_below:
        verdict = Verdict.REJECT
    elif pick is not None and pick.id != row.photo_id:
        verdict = Verdict.DUPLICATE
        reasons = (*reasons, f"a burst with {pick.name}, the better frame")
    else:
        verdict = Verdict.KEEP
    return Judged(row.photo_id, row.original_name, verdict, score, reasons)

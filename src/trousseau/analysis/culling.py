"""Culling a wedding (pure): each photo's verdict with its reasons, the bursts and the moments,
from the signals stored for its photos.

A photo is a reject when its keep_score is under `reject_below` (its reasons say why); a
keeper that lost its burst to a better frame is a duplicate of that frame; every burst's
pick and every other keeper is kept. Photos not measured yet are pending, and photos whose
variant could not be read are unreadable, with the reason recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from trousseau.analysis.bursts import Burst, Shot, group_bursts
from trousseau.analysis.moments import Moment, day_moments
from trousseau.catalog import QualityRow

REJECT_BELOW = 0.5
"""The keep_score under which a photo is a reject."""


class Verdict(StrEnum):
    KEEP = "keep"
    REJECT = "reject"
    DUPLICATE = "duplicate"
    UNREADABLE = "unreadable"
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

    def count(self, verdict: Verdict) -> int:
        return sum(1 for p in self.photos if p.verdict is verdict)


def cull(rows: Sequence[QualityRow], *, reject_below: float = REJECT_BELOW) -> Culling:
    """The verdicts, bursts and moments of a wedding's photos and their stored signals."""
    shots = [
        Shot(r.photo_id, r.original_name, r.captured_at, r.signals.dhash, r.signals.keep_score)
        for r in rows
        if r.signals is not None
    ]
    bursts = tuple(b for b in group_bursts(shots) if len(b.shots) > 1)
    pick_of = {s.id: b.pick for b in bursts for s in b.shots}
    judged = []
    for r in rows:
        if r.signals is None:
            verdict = Verdict.UNREADABLE if r.error is not None else Verdict.PENDING
            reasons: tuple[str, ...] = (r.error,) if r.error is not None else ()
            judged.append(Judged(r.photo_id, r.original_name, verdict, None, reasons))
            continue
        score, reasons = r.signals.keep_score, r.signals.reasons
        pick = pick_of.get(r.photo_id)
        if score < reject_below:
            verdict = Verdict.REJECT
        elif pick is not None and pick.id != r.photo_id:
            verdict = Verdict.DUPLICATE
            reasons = (*reasons, f"a burst with {pick.name}, the better frame")
        else:
            verdict = Verdict.KEEP
        judged.append(Judged(r.photo_id, r.original_name, verdict, score, reasons))
    return Culling(tuple(judged), bursts, tuple(day_moments(shots)))

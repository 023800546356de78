"""Bursts and duplicates: photos taken together that look alike, and the pick of each (pure).

Two photos are in one burst when they were captured within `gap` seconds of each other (or
either has no capture time) and their perceptual hashes (64-bit, `imagehash`'s difference
hash of a variant) differ in at most `distance` bits. Photos are walked in capture order
(then by name); a photo joins the burst of the last photo it matches. A re-encoded copy of a
frame has the same capture time and a hash a few bits away; a different scene is far.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np


@dataclass(frozen=True)
class Shot:
    id: int
    name: str
    captured_at: datetime | None
    dhash: int
    keep_score: float


@dataclass(frozen=True)
class Burst:
    shots: tuple[Shot, ...]

    @property
    def pick(self) -> Shot:
        """The member with the best keep_score (the earliest on a tie)."""
        return best_of(self.shots)


def best_of(shots: Sequence[Shot]) -> Shot:
    """The shot with the best keep_score, the earliest of equals (one pass)."""
    return max(enumerate(shots), key=lambda pair: (pair[1].keep_score, -pair[0]))[1]


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def _close_in_time(a: Shot, b: Shot, gap: float) -> bool:
    if a.captured_at is None or b.captured_at is None:
        return True
    return abs((a.captured_at - b.captured_at).total_seconds()) <= gap


def group_bursts(shots: Sequence[Shot], *, gap: float = 3.0, distance: int = 10) -> list[Burst]:
    """The bursts of the shots (every shot in exactly one; single shots are bursts of one)."""
    order = sorted(
        shots,
        key=lambda s: (s.captured_at is None, s.captured_at or datetime.min, s.name, s.id),
    )
    groups: list[list[Shot]] = []
    for shot in order:
        for group in reversed(groups[-8:]):
            last = group[-1]
            if _close_in_time(last, shot, gap) and hamming(last.dhash, shot.dhash) <= distance:
                group.append(shot)
                break
        else:
            groups.append([shot])
    return [Burst(tuple(g)) for g in groups]


def perceptual_hash(gray: np.ndarray) -> int:
    """The 64-bit difference hash (`imagehash.dhash`) of a grayscale or BGR image."""
    import imagehash
    from PIL import Image

    if gray.ndim == 3:
        gray = gray[:, :, ::-1]
    bits = imagehash.dhash(Image.fromarray(np.ascontiguousarray(gray)), hash_size=8).hash
    return int("".join("1" if b else "0" for b in bits.flatten()), 2)

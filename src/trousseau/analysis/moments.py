"""The moments of a wedding day: its photos cut where the day moves on (pure).

Photos are taken in capture order; a new moment begins after a long pause (`pause`, 20
minutes by default) or after a shorter one (`short_pause`, 5 minutes) when the scene changes
too (the difference hashes of the photos either side of it `scene_change` bits or more
apart). Each moment's representative is its photo with the best keep_score. Photos without a
capture time form a last, undated moment. Moments are what a gallery is browsed by: getting
ready, ceremony, portraits, reception.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from trousseau.analysis.bursts import Shot, best_of, hamming


@dataclass(frozen=True)
class Moment:
    shots: tuple[Shot, ...]

    @property
    def start(self) -> datetime | None:
        return self.shots[0].captured_at

    @property
    def end(self) -> datetime | None:
        return self.shots[-1].captured_at

    @property
    def representative(self) -> Shot:
        return best_of(self.shots)


def day_moments(
    shots: Sequence[Shot],
    *,
    pause: timedelta = timedelta(minutes=20),
    short_pause: timedelta = timedelta(minutes=5),
    scene_change: int = 24,
) -> list[Moment]:
    """The shots cut into moments, in capture order."""
    dated = sorted((s for s in shots if s.captured_at), key=lambda s: (s.captured_at, s.id))
    undated = sorted((s for s in shots if s.captured_at is None), key=lambda s: (s.name, s.id))
    groups: list[list[Shot]] = []
    for shot in dated:
        if groups:
            last = groups[-1][-1]
            assert last.captured_at is not None and shot.captured_at is not None
            gap = shot.captured_at - last.captured_at
            new_scene = hamming(last.dhash, shot.dhash) >= scene_change
            if gap <= pause and not (gap > short_pause and new_scene):
                groups[-1].append(shot)
                continue
        groups.append([shot])
    if undated:
        groups.append(undated)
    return [Moment(tuple(g)) for g in groups]

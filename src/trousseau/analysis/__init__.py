"""Analysis: culling signals and bursts (first increment of issue 18; faces, find-me and
moments come next).

Vocabulary:

quality     per photo, from a reduced image (a variant, never the original decoded again):
            sharpness, motion blur, exposure (clipped highlights and shadows, mean
            luminance), noise, and one `keep_score` in 0..1 with the reasons behind it
burst       photos taken together that look alike (capture times close, perceptual hashes
            close); its pick is the member with the best keep_score
moment      a stretch of the day between long pauses (or shorter ones where the scene
            changes), with a representative photo
"""

from trousseau.analysis.bursts import Burst, Shot, group_bursts, perceptual_hash
from trousseau.analysis.moments import Moment, day_moments
from trousseau.analysis.quality import Quality, measure

__all__ = [
    "Burst",
    "Moment",
    "Quality",
    "Shot",
    "day_moments",
    "group_bursts",
    "measure",
    "perceptual_hash",
]

"""Load factors calibrated from the catalog's own history, with the error on held-out
weddings reported (pure: history in, factors and figures out).

The arrival profile becomes the average, over the weddings fitted on, of each wedding's share
of photos per hour from its ceremony; photos per guest is scaled by the median ratio of the
photos that arrived to those the factors expected (weddings with their own expected figure
keep it and are not used for the scale). A share of the weddings (every `hold_out`-th, in a
seeded order) is kept out of the fit, and the forecast's error on them, per wedding and hour,
is reported before and after: the weighted absolute percentage error (the hours' absolute
errors over the photos that arrived).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np

from trousseau.errors import InvalidValue
from trousseau.planning.calendar import PlannedWedding
from trousseau.planning.factors import LoadFactors
from trousseau.planning.forecast import expected_photos

HOURS = range(-3, 15)
"""Hours from the ceremony looked at: photos outside them are not forecast."""


@dataclass(frozen=True)
class History:
    wedding: PlannedWedding
    arrivals: Sequence[datetime]


@dataclass(frozen=True)
class Calibration:
    factors: LoadFactors
    fitted: int
    held_out: int
    error_before: float
    """WAPE of the held-out weddings' photos per hour under the factors given."""
    error_after: float
    """The same under the calibrated factors."""


def _hourly(h: History) -> np.ndarray:
    offsets = np.array([(t - h.wedding.ceremony).total_seconds() / 3600 for t in h.arrivals])
    bins = np.floor(offsets).astype(int) - HOURS.start
    bins = bins[(bins >= 0) & (bins < len(HOURS))]
    return np.bincount(bins, minlength=len(HOURS)).astype(float)


def _predicted(w: PlannedWedding, factors: LoadFactors) -> np.ndarray:
    total = expected_photos(w, factors)
    return np.array([total * factors.arrivals.get(h, 0.0) for h in HOURS])


def wape(history: Sequence[History], factors: LoadFactors) -> float:
    actual = predicted = 0.0
    error = 0.0
    for h in history:
        a, p = _hourly(h), _predicted(h.wedding, factors)
        error += float(np.abs(a - p).sum())
        actual += float(a.sum())
        predicted += float(p.sum())
    return error / actual if actual else 0.0


def calibrate_factors(
    history: Sequence[History], factors: LoadFactors, *, hold_out: float = 0.3, seed: int = 0
) -> Calibration:
    """Factors fitted on most of the history, and their error on the rest."""
    usable = [h for h in history if len(h.arrivals) > 0]
    if len(usable) < 4:
        raise InvalidValue(
            f"calibrating needs at least 4 weddings with photos (the history has {len(usable)})"
        )
    order = np.random.default_rng(seed).permutation(len(usable))
    every = max(2, round(1 / hold_out)) if hold_out > 0 else len(usable) + 1
    held = [usable[i] for n, i in enumerate(order) if n % every == 0]
    fit = [usable[i] for n, i in enumerate(order) if n % every != 0]
    shares = np.zeros(len(HOURS))
    for h in fit:
        hourly = _hourly(h)
        if hourly.sum():
            shares += hourly / hourly.sum()
    shares /= shares.sum()
    ratios = [
        len(h.arrivals) / expected_photos(h.wedding, factors)
        for h in fit
        if h.wedding.expected_photos is None
    ]
    scale = float(np.median(ratios)) if ratios else 1.0
    calibrated = replace(
        factors,
        photos_per_guest=factors.photos_per_guest * scale,
        arrivals={h: float(s) for h, s in zip(HOURS, shares, strict=True) if s > 0},
    )
    return Calibration(calibrated, len(fit), len(held), wape(held, factors), wape(held, calibrated))

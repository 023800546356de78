"""Photo arrivals per slot, per SLA class and region, with uncertainty bands (pure).

A wedding's expected photos are its own figure, or its guests times photos per guest times
the culture, season (month) and weekday multipliers. They arrive by the arrival profile: a
share per hour from the ceremony's start, spread evenly within the hour. A wedding's photo
count varies around its expectation with the configured coefficient of variation, all of its
hours together; weddings vary independently. Each slot's count is then a sum with a mean and
a variance, and the plan takes its upper percentile (normal approximation), never the mean.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from statistics import NormalDist
from zoneinfo import ZoneInfo

import numpy as np

from trousseau.errors import InvalidValue
from trousseau.planning.calendar import PlannedWedding
from trousseau.planning.factors import LoadFactors


@dataclass(frozen=True)
class Grid:
    """`count` slots of `slot` from `start` (UTC)."""

    start: datetime
    slot: timedelta
    count: int

    @classmethod
    def covering(cls, start: datetime, end: datetime, slot: timedelta) -> Grid:
        if start.tzinfo is None or end.tzinfo is None:
            raise InvalidValue("a planning range needs instants with a UTC offset")
        if end <= start:
            raise InvalidValue(f"the range must end after it starts ({start} to {end})")
        step = int(slot.total_seconds())
        if step <= 0 or 3600 % step:
            raise InvalidValue(f"a slot must divide an hour (got {slot})")
        begin = start.astimezone(UTC)
        epoch = int(begin.timestamp()) // step * step
        first = datetime.fromtimestamp(epoch, UTC)
        count = -(-int((end.astimezone(UTC) - first).total_seconds()) // step)
        return cls(first, slot, count)

    @property
    def seconds(self) -> float:
        return self.slot.total_seconds()

    def at(self, index: int) -> datetime:
        return self.start + self.slot * index

    @property
    def end(self) -> datetime:
        return self.at(self.count)

    def position(self, at: datetime) -> float:
        """Slots from the grid's start to `at` (fractional)."""
        return (at - self.start).total_seconds() / self.seconds


def expected_photos(w: PlannedWedding, factors: LoadFactors) -> float:
    """The wedding's own figure, or guests x photos per guest x culture, season, weekday."""
    if w.expected_photos is not None:
        return float(w.expected_photos)
    guests = w.guests if w.guests is not None else factors.default_guests
    local_day = w.ceremony.astimezone(ZoneInfo(w.timezone))
    return (
        guests
        * factors.photos_per_guest
        * factors.culture_factor(w.culture)
        * factors.season[local_day.month]
        * factors.weekday[local_day.weekday()]
    )


def arrival_profile(w: PlannedWedding, factors: LoadFactors, grid: Grid) -> np.ndarray:
    """The share of the wedding's photos arriving in each slot of the grid."""
    shares = np.zeros(grid.count)
    origin = grid.position(w.ceremony)
    per_hour = 3600.0 / grid.seconds
    for hour, share in factors.arrivals.items():
        lo = origin + hour * per_hour
        hi = lo + per_hour
        first, last = max(int(np.floor(lo)), 0), min(int(np.ceil(hi)), grid.count)
        for s in range(first, last):
            overlap = min(hi, s + 1) - max(lo, s)
            if overlap > 0:
                shares[s] += share * overlap / per_hour
    return shares


@dataclass(frozen=True)
class Forecast:
    grid: Grid
    classes: tuple[str, ...]
    regions: tuple[str, ...]
    mean: np.ndarray
    """Photos arriving per [class, region, slot] (expectation)."""
    variance: np.ndarray
    """Their variance per [class, region, slot]."""
    percentile: float

    def planned(self) -> np.ndarray:
        """Photos per [class, slot] at the plan percentile, over every region."""
        z = NormalDist().inv_cdf(self.percentile)
        band: np.ndarray = self.mean.sum(axis=1) + z * np.sqrt(self.variance.sum(axis=1))
        return band

    def band(self, region: str | None = None, percentile: float | None = None) -> np.ndarray:
        """Photos per slot (every class) at `percentile` (default: the plan's), for one
        region or all."""
        z = NormalDist().inv_cdf(percentile or self.percentile)
        mean, var = self.mean.sum(axis=0), self.variance.sum(axis=0)
        if region is not None:
            i = self.regions.index(region)
            one: np.ndarray = mean[i] + z * np.sqrt(var[i])
            return one
        every: np.ndarray = mean.sum(axis=0) + z * np.sqrt(var.sum(axis=0))
        return every


def forecast(
    weddings: Sequence[PlannedWedding],
    factors: LoadFactors,
    grid: Grid,
    classes: Sequence[str],
) -> Forecast:
    """Arrivals on the grid for the weddings (those outside it add nothing)."""
    classes = tuple(classes)
    regions = tuple(sorted({w.region for w in weddings}))
    mean = np.zeros((len(classes), len(regions), grid.count))
    variance = np.zeros_like(mean)
    for w in weddings:
        if w.sla not in classes:
            raise InvalidValue(f"wedding {w.ref}: sla {w.sla!r} is not one of {', '.join(classes)}")
        photos = expected_photos(w, factors)
        shares = arrival_profile(w, factors, grid)
        k, r = classes.index(w.sla), regions.index(w.region)
        mean[k, r] += photos * shares
        variance[k, r] += (factors.photo_count_cv * photos * shares) ** 2
    return Forecast(grid, classes, regions, mean, variance, factors.plan_percentile)

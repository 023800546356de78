"""A generated peak-season month of weddings, for the simulator, the benchmark and the demo
(pure: a seeded generator in, a calendar out)."""

from __future__ import annotations

from datetime import date, time, timedelta

import numpy as np

from trousseau.planning.calendar import PlannedWedding

REGIONS = {
    "uk": "Europe/London",
    "eu-central": "Europe/Paris",
    "us-east": "America/New_York",
    "india": "Asia/Kolkata",
    "nigeria": "Africa/Lagos",
    "australia-east": "Australia/Sydney",
}
CULTURES = (
    ("british", 0.30),
    ("indian", 0.15),
    ("nigerian", 0.10),
    ("chinese", 0.10),
    ("greek", 0.08),
    ("jewish", 0.07),
    ("other", 0.20),
)
SLAS = (("same-day", 0.35), ("next-day", 0.25), ("standard", 0.40))


def peak_month(
    first: date,
    *,
    rng: np.random.Generator,
    peak_saturday_weddings: int = 64,
    other_saturday_weddings: int = 30,
    weekday_weddings: int = 4,
    photos: tuple[int, int] = (2000, 4000),
) -> list[PlannedWedding]:
    """A month from `first`: the third Saturday the peak, other Saturdays busy, a few
    weddings on other days; ceremonies 11:00-17:00 local in six regions; 2,000-4,000
    photos each, more for the cultures that shoot more."""
    weddings: list[PlannedWedding] = []
    saturdays = [
        first + timedelta(days=d) for d in range(31) if (first + timedelta(days=d)).weekday() == 5
    ]
    peak = saturdays[min(2, len(saturdays) - 1)]
    cultures = [c for c, _ in CULTURES]
    culture_p = [p for _, p in CULTURES]
    slas = [c for c, _ in SLAS]
    sla_p = [p for _, p in SLAS]
    regions = list(REGIONS)
    for offset in range(30):
        day = first + timedelta(days=offset)
        count = (
            peak_saturday_weddings
            if day == peak
            else other_saturday_weddings
            if day.weekday() == 5
            else weekday_weddings
        )
        for i in range(count):
            region = regions[int(rng.integers(len(regions)))]
            culture = cultures[int(rng.choice(len(cultures), p=culture_p))]
            boost = {"indian": 1.0, "nigerian": 0.8, "chinese": 0.5}.get(culture, 0.0)
            lo, hi = photos
            n = int(rng.integers(lo, hi + 1))
            n = min(hi, int(n * (1 + boost * 0.25)))
            weddings.append(
                PlannedWedding(
                    ref=f"{day.isoformat()}-{region}-{i}",
                    date=day,
                    ceremony_time=time(int(rng.integers(11, 18)), int(rng.choice([0, 30]))),
                    timezone=REGIONS[region],
                    region=region,
                    culture=culture,
                    guests=int(rng.integers(60, 400)),
                    expected_photos=n,
                    sla=slas[int(rng.choice(len(slas), p=sla_p))],
                )
            )
    return weddings

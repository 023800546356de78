"""Calibration from history: a shifted arrival profile and more photos than expected are
learnt, the held-out error falls, the factors file round-trips; and from the catalog."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import pytest

from trousseau.errors import InvalidValue
from trousseau.planning import PlannedWedding, expected_photos, factors_from_mapping
from trousseau.planning.calibrate import History
from trousseau.planning.calibrate import calibrate_factors as calibrate
from trousseau.planning.factors import factors_to_toml
from trousseau.planning.sources import load_factors

FACTORS = load_factors()


def _history(n: int, rng: np.random.Generator) -> list[History]:
    """Weddings whose photos come 1.5x as many as expected, mostly 4-7 hours after the
    ceremony (the default profile peaks at 1-2)."""
    found = []
    for i in range(n):
        w = PlannedWedding(f"w{i}", date(2026, 6, 6) + timedelta(days=7 * (i % 20)), time(14),
                           "Europe/London", "uk", "british", 150, None, "standard")  # fmt: skip
        count = int(expected_photos(w, FACTORS) * 1.5)
        hours = rng.choice([4, 5, 6, 7], size=count, p=[0.2, 0.4, 0.3, 0.1])
        arrivals = [
            w.ceremony + timedelta(hours=float(h) + float(rng.uniform(0, 1))) for h in hours
        ]
        found.append(History(w, arrivals))
    return found


def test_the_shifted_profile_and_the_scale_are_learnt() -> None:
    result = calibrate(_history(40, np.random.default_rng(2)), FACTORS)
    assert result.fitted + result.held_out == 40 and result.held_out >= 10
    assert result.factors.photos_per_guest == pytest.approx(
        FACTORS.photos_per_guest * 1.5, rel=0.02
    )
    assert max(result.factors.arrivals, key=result.factors.arrivals.get) == 5
    assert result.error_before > 0.8 and result.error_after < 0.1
    again = factors_from_mapping(tomllib.loads(factors_to_toml(result.factors)))
    assert again.arrivals == pytest.approx(result.factors.arrivals)
    assert replace(again, arrivals={}) == replace(result.factors, arrivals={})


def test_too_little_history_is_refused() -> None:
    with pytest.raises(InvalidValue, match="at least 4 weddings"):
        calibrate(_history(3, np.random.default_rng(1)), FACTORS)


def test_history_is_read_from_the_catalog(catalog) -> None:
    from trousseau.catalog import create_wedding, ensure_tenant, insert_photo
    from trousseau.planning.sources import catalog_history

    now = datetime(2026, 6, 1, tzinfo=UTC)
    with catalog.begin() as conn:
        tenant = ensure_tenant(conn, "studio", now=now)
        for i in range(5):
            w = create_wedding(conn, tenant.id, f"w{i}", on=date(2026, 6, 6 + i),
                               timezone="Europe/Paris", delivery_sla="standard", now=now,
                               ceremony_time=time(13, 0), expected_photos=10)  # fmt: skip
            ceremony = datetime(2026, 6, 6 + i, 11, 0, tzinfo=UTC)
            for j in range(10):
                insert_photo(conn, tenant_id=tenant.id, wedding_id=w.id, sha256=f"{i:02d}{j:062d}",
                             original_name=f"{j}.jpg", size=1, fmt="jpeg",
                             now=ceremony + timedelta(hours=2, minutes=j))  # fmt: skip
    history = catalog_history(catalog, datetime(2026, 6, 1, tzinfo=UTC),
                              datetime(2026, 7, 1, tzinfo=UTC))  # fmt: skip
    assert len(history) == 5 and all(len(h.arrivals) == 10 for h in history)
    result = calibrate(history, FACTORS)
    assert result.factors.arrivals == {2: 1.0}

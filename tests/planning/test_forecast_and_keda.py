"""The forecast's arithmetic, the plan through the simulator with exact runtimes, and the
ScaledObject: valid against KEDA's published CRD, its cron triggers re-read by KEDA's rule
(active when the next end comes before the next start) giving the floor at every instant."""

from __future__ import annotations

import copy
import functools
import random
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.crd import strict_crd_schema
from trousseau.jobs import edf_workers_sql
from trousseau.planning import (
    Demand,
    Grid,
    PlannedWedding,
    expected_photos,
    forecast,
    plan_capacity,
)
from trousseau.planning.compare import make_plan, raised
from trousseau.planning.keda import scaled_object
from trousseau.planning.simulate import Arrivals, Cluster, Policy, simulate
from trousseau.planning.sources import load_factors
from trousseau.settings import DEFAULT_SLA_CLASSES

FIXTURES = Path(__file__).parent / "fixtures" / "keda"
FACTORS = load_factors()


def _wedding(ref: str = "w", **kw: object) -> PlannedWedding:
    fields: dict = dict(
        ref=ref, date=date(2027, 6, 19), ceremony_time=time(14, 0), timezone="Europe/London",
        region="uk", culture="british", guests=100, expected_photos=None, sla="same-day",
    )  # fmt: skip
    fields.update(kw)
    return PlannedWedding(**fields)


def test_expected_photos_follow_the_factors() -> None:
    base = expected_photos(_wedding(), FACTORS)
    # 100 guests x 20 photos x British 1.0 x June 1.15 x Saturday 1.1
    assert base == pytest.approx(100 * 20 * 1.0 * 1.15 * 1.1)
    assert expected_photos(_wedding(culture="Indian"), FACTORS) == pytest.approx(2 * base)
    assert expected_photos(_wedding(expected_photos=3000), FACTORS) == 3000


def test_the_forecast_spreads_photos_by_the_profile_and_bands_above_the_mean() -> None:
    grid = Grid.covering(
        datetime(2027, 6, 19, tzinfo=UTC),
        datetime(2027, 6, 20, 12, tzinfo=UTC),
        timedelta(minutes=15),
    )
    weddings = [_wedding("a", expected_photos=3000), _wedding("b", region="nyc",
                timezone="America/New_York", expected_photos=2000, sla="standard")]  # fmt: skip
    fc = forecast(weddings, FACTORS, grid, list(DEFAULT_SLA_CLASSES))
    assert fc.mean.sum() == pytest.approx(5000)
    assert fc.mean[0].sum() == pytest.approx(3000)  # same-day
    first = grid.position(datetime(2027, 6, 19, 12, tzinfo=UTC))  # 13:00 BST: an hour before
    assert fc.mean[0, 0, : int(first)].sum() == 0
    assert (fc.planned() >= fc.mean.sum(axis=1) - 1e-9).all()
    assert fc.band("uk").sum() > fc.mean[:, 1].sum()


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_the_plan_meets_every_deadline_in_the_simulator_with_exact_runtimes(seed: int) -> None:
    """Photos released at slot starts, due at slot ends, each taking exactly its cost; the
    workers are the plan's, ready at once: nothing is late."""
    rng = np.random.default_rng(seed)
    slots, slot, tau = int(rng.integers(3, 12)), 60.0, 2.0
    windows = tuple(int(w) for w in rng.integers(1, 5, size=int(rng.integers(1, 4))))
    photos = rng.integers(0, 120, size=(len(windows), slots)) * (
        rng.random((len(windows), slots)) < 0.6
    )
    for k, w in enumerate(windows):  # the plan carries work due inside its horizon
        photos[k, slots - w + 1 :] = 0
    demand = Demand(photos * tau, windows, slot)
    plan = plan_capacity(demand, min_replicas=0, max_replicas=500)
    arrivals = Arrivals(photos.astype(float), tuple(w * slot for w in windows),
                        tuple(f"c{k}" for k in range(len(windows))), slot)  # fmt: skip
    exact = Policy("plan", lambda view: int(plan.replicas[min(int(view.now // slot), slots - 1)]),
                   down_window=0.0, up_pods=10_000)  # fmt: skip
    cluster = Cluster(min_replicas=0, max_replicas=500, start_delay=(0.0, 0.0), poll=slot)
    out = simulate(arrivals, exact, cluster, seconds_per_photo=tau, rng=rng,
                   initial=int(plan.replicas[0]))  # fmt: skip
    assert sum(out.misses.values()) == 0, (plan.replicas, photos)
    assert out.worker_hours == pytest.approx(plan.worker_hours)


def _crd_schema() -> dict:
    return strict_crd_schema(FIXTURES / "scaledobject-crd.yaml")


@functools.cache
def _cron_fields(expr: str) -> tuple[int, int, int, int]:
    """(month, day, hour, minute) of a dated `M H D Mo *` expression."""
    minute, hour, day, month, _ = expr.split()
    return int(month), int(day), int(hour), int(minute)


def _cron_fires(expr: str, after: datetime) -> datetime:
    """robfig/cron's Next for a dated `M H D Mo *` in UTC: the first firing after `after`."""
    month, day, hour, minute = _cron_fields(expr)
    for year in (after.year, after.year + 1, after.year + 2):
        try:
            at = datetime(year, month, day, hour, minute, tzinfo=UTC)
        except ValueError:
            continue
        if at > after:
            return at
    raise AssertionError(expr)


def keda_replicas(doc: dict, now: datetime) -> int:
    """The replicas KEDA's cron triggers ask for at `now` (the queue trigger aside)."""
    spec = doc["spec"]
    wanted = spec["minReplicaCount"]
    for trigger in spec["triggers"]:
        if trigger["type"] != "cron":
            continue
        meta = trigger["metadata"]
        assert meta["timezone"] == "Etc/UTC"
        active = _cron_fires(meta["end"], now) < _cron_fires(meta["start"], now)
        if active:
            wanted = max(wanted, int(meta["desiredReplicas"]))
    return wanted


def test_the_scaledobject_validates_and_its_crons_give_the_floor_at_every_instant() -> None:
    from trousseau.planning.sample import peak_month

    weddings = peak_month(date(2027, 6, 1), rng=np.random.default_rng(4))
    factors = replace(FACTORS, seconds_per_photo=8.0)
    # the peak Saturday's week (June 19th; a month's plan solves four times as long)
    start, end = datetime(2027, 6, 15, tzinfo=UTC), datetime(2027, 6, 23, tzinfo=UTC)
    planned = make_plan(weddings, factors, DEFAULT_SLA_CLASSES, start, end)
    assert planned.floor.max() > 5  # the peak Saturday raises the floor
    now = start + timedelta(days=3, hours=7)
    doc = scaled_object(planned.grid, planned.floor, now=now,
                        query=edf_workers_sql(seconds_per_job=8.0))  # fmt: skip
    jsonschema.validate(doc, _crd_schema())
    assert doc["metadata"]["annotations"]["trousseau.io/regenerate-before"] == end.isoformat()
    crons = [t for t in doc["spec"]["triggers"] if t["type"] == "cron"]
    assert crons and all(_cron_fires(t["metadata"]["end"], start) > now for t in crons)
    rng = random.Random(1)
    grid = planned.grid
    # every hour (its start and a random instant in it), and a second either side of every
    # change of the floor
    per_hour = int(3600 // grid.seconds)
    instants = [grid.at(h * per_hour) + timedelta(seconds=s) for h in range(grid.count // per_hour)
                for s in (0, rng.uniform(1, 3599))]  # fmt: skip
    for i in range(1, grid.count):
        if planned.floor[i] != planned.floor[i - 1]:
            instants += [
                grid.at(i) - timedelta(seconds=1),
                grid.at(i),
                grid.at(i) + timedelta(seconds=1),
            ]
    for at in instants:
        if at < now:
            continue
        slot = int(grid.position(at))
        assert keda_replicas(doc, at) == max(5, int(planned.floor[slot])), at
    broken = copy.deepcopy(doc)
    broken["spec"]["triggers"][1]["metadata"]["timeZone"] = "UTC"
    broken["spec"]["fallbak"] = {}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, _crd_schema())


@pytest.mark.timeout(10)
@given(
    st.lists(st.integers(min_value=0, max_value=50), max_size=40),
    st.integers(min_value=0, max_value=60),
)
@settings(max_examples=200, deadline=None)
def test_the_lead_raises_each_slot_to_the_most_of_the_slots_ahead(
    replicas: list[int], lead: int
) -> None:
    arr = np.array(replicas, dtype=int)
    expected = [max(replicas[i : i + lead + 1]) for i in range(len(replicas))]
    assert raised(arr, lead).tolist() == expected
    assert raised(arr, 10**12).tolist() == raised(arr, len(replicas)).tolist()


@pytest.mark.timeout(10)
def test_a_lead_far_longer_than_the_plan_gives_the_same_floor_at_once() -> None:
    weddings = [_wedding()]
    start, end = datetime(2027, 6, 18, tzinfo=UTC), datetime(2027, 6, 21, tzinfo=UTC)
    short = make_plan(weddings, FACTORS, DEFAULT_SLA_CLASSES, start, end, lead=timedelta(days=4))
    huge = make_plan(weddings, FACTORS, DEFAULT_SLA_CLASSES, start, end, lead=timedelta(days=10**6))
    assert huge.floor.tolist() == short.floor.tolist()
    assert len(set(short.floor.tolist())) == 1  # raised to the plan's peak everywhere

"""From a calendar to a capacity plan, and the scaling policies compared side by side on the
same simulated month (pure: values and a seed in, figures out).

The plan is made on the forecast's upper percentile. Photos arriving in a slot are released
to the plan at the next slot's start and due at the slot boundary at or before their promise
(`window = promise // slot - 1` slots): the plan's model is never kinder than the truth. The
floor asked of Kubernetes is the plan raised `lead` earlier, so the pods are ready when the
plan needs them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from trousseau.errors import InvalidValue
from trousseau.planning.calendar import PlannedWedding
from trousseau.planning.capacity import CapacityPlan, Demand, plan_capacity
from trousseau.planning.factors import LoadFactors
from trousseau.planning.forecast import Forecast, Grid, expected_photos, forecast
from trousseau.planning.simulate import (
    Arrivals,
    Cluster,
    Outcome,
    fixed,
    predictive,
    predictive_spot,
    reactive,
    simulate,
)

DEFAULT_SLOT = timedelta(minutes=15)


def windows(promises: Mapping[str, timedelta], slot: timedelta) -> tuple[int, ...]:
    """Each class's window in slots: released a slot after arrival, due by the boundary at or
    before its promise."""
    found = []
    for name, promise in promises.items():
        w = int(promise.total_seconds() // slot.total_seconds()) - 1
        if w < 1:
            raise InvalidValue(
                f"the {name} promise ({promise}) is under two slots of {slot}: plan with a "
                "shorter slot"
            )
        found.append(w)
    return tuple(found)


def demand_of(
    photos: np.ndarray, seconds_per_photo: float, wins: Sequence[int], slot: float
) -> Demand:
    """Photos arriving per [class, slot] as work released a slot later."""
    work = np.zeros_like(photos, dtype=float)
    work[:, 1:] = photos[:, :-1] * seconds_per_photo
    return Demand(work, tuple(wins), slot)


def raised(replicas: np.ndarray, lead_slots: int) -> np.ndarray:
    """Each slot's replicas as the most the next `lead_slots` slots need: asked early enough
    for pods to be ready."""
    out = replicas.copy()
    # a shift as long as the array or longer moves nothing in: stop there, however long the lead
    for shift in range(1, min(lead_slots, len(replicas) - 1) + 1):
        out[:-shift] = np.maximum(out[:-shift], replicas[shift:])
    return out


@dataclass(frozen=True)
class Planned:
    grid: Grid
    forecast: Forecast
    capacity: CapacityPlan
    floor: np.ndarray
    """Replicas to ask for per slot (the plan raised by the lead time)."""

    def hourly_cost(self, price_per_hour: float) -> list[tuple[datetime, float]]:
        """Each hour's cost of the floor asked for (every pod asked for is billed)."""
        per_hour = int(3600 // self.grid.seconds)
        out = []
        for h in range(self.grid.count // per_hour):
            cut = self.floor[h * per_hour : (h + 1) * per_hour]
            out.append((self.grid.at(h * per_hour), float(cut.sum()) / per_hour * price_per_hour))
        return out

    def over_cap(self, price_per_hour: float, cap: float | None) -> list[tuple[datetime, float]]:
        """The hours whose cost is above `cap` (none without a cap)."""
        if cap is None:
            return []
        return [(at, cost) for at, cost in self.hourly_cost(price_per_hour) if cost > cap]


def make_plan(
    weddings: Sequence[PlannedWedding],
    factors: LoadFactors,
    promises: Mapping[str, timedelta],
    start: datetime,
    end: datetime,
    *,
    slot: timedelta = DEFAULT_SLOT,
    min_replicas: int = 5,
    max_replicas: int = 50,
    lead: timedelta = timedelta(minutes=3),
) -> Planned:
    grid = Grid.covering(start, end, slot)
    fc = forecast(weddings, factors, grid, list(promises))
    demand = demand_of(
        fc.planned(), factors.seconds_per_photo, windows(promises, slot), grid.seconds
    )
    capacity = plan_capacity(demand, min_replicas=min_replicas, max_replicas=max_replicas)
    lead_slots = math.ceil(lead.total_seconds() / grid.seconds)
    return Planned(grid, fc, capacity, raised(capacity.replicas, lead_slots))


@dataclass
class Comparison:
    planned: Planned
    arrivals: Arrivals
    outcomes: list[Outcome]
    photos: dict[str, int]
    work_hours: float
    """Total work over one worker's throughput: the bound no policy beats."""
    notes: list[str] = field(default_factory=list)


def compare_policies(
    weddings: Sequence[PlannedWedding],
    factors: LoadFactors,
    promises: Mapping[str, timedelta],
    start: datetime,
    end: datetime,
    *,
    seed: int = 1,
    cluster: Cluster | None = None,
    deferrable: frozenset[str] = frozenset({"standard"}),
    tick: float = 10.0,
    slot: timedelta = DEFAULT_SLOT,
    runtime_cv: float = 0.2,
    trace: bool = False,
) -> Comparison:
    """Simulate the month once (one seeded draw of arrivals) under every policy."""
    cluster = cluster or Cluster()
    planned = make_plan(
        weddings, factors, promises, start, end, slot=slot,
        min_replicas=cluster.min_replicas, max_replicas=cluster.max_replicas,
        lead=timedelta(seconds=cluster.start_delay[1]),
    )  # fmt: skip
    grid = planned.grid
    ticks_per_slot = int(grid.seconds // tick)
    fine = Grid(grid.start, timedelta(seconds=tick), grid.count * ticks_per_slot)
    rng = np.random.default_rng(seed)
    arrivals = draw_arrivals(weddings, factors, promises, fine, rng)
    tau = factors.seconds_per_photo
    shortest = min(p.total_seconds() for p in promises.values())
    floor = planned.floor

    def floor_at(now: float) -> int:
        return int(floor[min(int(now // grid.seconds), len(floor) - 1)])

    policies = [
        fixed(int(floor.max())),
        reactive(photos_per_replica=shortest / tau / 2),
        predictive(floor_at),
    ]
    spot_classes = {c: p for c, p in promises.items() if c in deferrable}
    if spot_classes and len(spot_classes) < len(promises):
        urgent = {c: p for c, p in promises.items() if c not in deferrable}
        on_demand = make_plan(
            [w for w in weddings if w.sla in urgent], factors, urgent, start, end, slot=slot,
            lead=timedelta(seconds=cluster.start_delay[1]),
            min_replicas=min(1, cluster.min_replicas), max_replicas=cluster.max_replicas,
        )  # fmt: skip
        urgent_floor = on_demand.floor

        def urgent_at(now: float) -> int:
            return int(urgent_floor[min(int(now // grid.seconds), len(urgent_floor) - 1)])

        policies.append(
            predictive_spot(
                urgent_at,
                deferrable=deferrable,
                minimum=cluster.min_replicas,
                on_demand_minimum=min(1, cluster.min_replicas),
            )
        )
    outcomes = [
        simulate(arrivals, p, cluster, seconds_per_photo=tau, rng=np.random.default_rng(seed + 1),
                 runtime_cv=runtime_cv, trace=trace)
        for p in policies
    ]  # fmt: skip
    outcomes.append(_clairvoyant(arrivals, promises, grid, tau, cluster))
    total = arrivals.counts.sum()
    return Comparison(
        planned,
        arrivals,
        outcomes,
        {c: int(arrivals.counts[k].sum()) for k, c in enumerate(arrivals.classes)},
        float(total * tau / 3600),
    )


def draw_arrivals(
    weddings: Sequence[PlannedWedding],
    factors: LoadFactors,
    promises: Mapping[str, timedelta],
    grid: Grid,
    rng: np.random.Generator,
    *,
    dumps_per_hour: float = 1.5,
    dump_seconds: float = 120.0,
) -> Arrivals:
    """One draw of the photos that arrive: each wedding's count around its expectation
    (lognormal), split over hours by the arrival profile, and each hour's photos arriving as
    card dumps (1 + Poisson(`dumps_per_hour`) of them at random moments, each over
    `dump_seconds`): the bursts a photographer's upload makes, not a smooth stream."""
    classes = list(promises)
    counts = np.zeros((len(classes), grid.count))
    cv = factors.photo_count_cv
    sigma = math.sqrt(math.log(1 + cv * cv)) if cv > 0 else 0.0
    hours = np.array(list(factors.arrivals))
    shares = np.array(list(factors.arrivals.values()))
    for w in weddings:
        mean = expected_photos(w, factors)
        n = round(mean * (float(rng.lognormal(-sigma * sigma / 2, sigma)) if sigma else 1.0))
        per_hour = rng.multinomial(n, shares / shares.sum())
        origin = (w.ceremony - grid.start).total_seconds()
        times: list[np.ndarray] = []
        for hour, count in zip(hours, per_hour, strict=True):
            if count == 0:
                continue
            dumps = 1 + int(rng.poisson(dumps_per_hour))
            split = rng.multinomial(count, np.full(dumps, 1 / dumps))
            at = rng.uniform(0, 3600 - dump_seconds, size=dumps)
            for begin, c in zip(at, split, strict=True):
                times.append(origin + hour * 3600 + begin + rng.uniform(0, dump_seconds, size=c))
        if not times:
            continue
        ticks = np.floor(np.concatenate(times) / grid.seconds).astype(int)
        ticks = ticks[(ticks >= 0) & (ticks < grid.count)]
        counts[classes.index(w.sla)] += np.bincount(ticks, minlength=grid.count)
    return Arrivals(counts, tuple(p.total_seconds() for p in promises.values()), tuple(classes),
                    grid.seconds)  # fmt: skip


def _clairvoyant(
    arrivals: Arrivals,
    promises: Mapping[str, timedelta],
    grid: Grid,
    tau: float,
    cluster: Cluster,
) -> Outcome:
    """The least worker-hours with the month known in advance: the plan made on the arrivals
    that happened (same slots and bounds), plus a pod start for every replica added."""
    per_slot = int(grid.seconds // arrivals.tick)
    photos = arrivals.counts.reshape(arrivals.counts.shape[0], grid.count, per_slot).sum(axis=2)
    demand = demand_of(photos, tau, windows(promises, grid.slot), grid.seconds)
    plan = plan_capacity(
        demand, min_replicas=cluster.min_replicas, max_replicas=cluster.max_replicas
    )
    starts = float(np.clip(np.diff(plan.replicas, prepend=cluster.min_replicas), 0, None).sum())
    hours = plan.worker_hours + starts * sum(cluster.start_delay) / 2 / 3600
    return Outcome(
        name="clairvoyant",
        met={c: 1.0 for c in arrivals.classes},
        misses={c: 0 for c in arrivals.classes},
        p99_lateness_s=0.0,
        worker_hours=hours,
        cost=hours * cluster.price_per_hour,
        unfinished=0,
    )

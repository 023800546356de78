"""The capacity plan on random small instances: integral, feasible under EDF (the fluid
check and the simulator with exact runtimes), and minimal: no plan with fewer worker-hours
is feasible (by exhaustive search where the instance is small enough)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trousseau.planning.capacity import Demand, PlanInfeasible, edf_misses, plan_capacity


def _violated(d: Demand, x: np.ndarray) -> bool:
    n = d.slots
    return any(d.need(a, b) > x[a : b + 1].sum() for a in range(n) for b in range(a, n))


instances = st.builds(
    lambda seed, n, windows, density: _instance(seed, n, windows, density),
    st.integers(0, 2**32 - 1),
    st.integers(2, 9),
    st.lists(st.integers(1, 6), min_size=1, max_size=3),
    st.floats(0.1, 1.0),
)


def _instance(seed: int, n: int, windows: list[int], density: float) -> Demand:
    rng = np.random.default_rng(seed)
    slot = 60.0
    work = (
        rng.integers(0, 4, size=(len(windows), n))
        * slot
        * (rng.random((len(windows), n)) < density)
    )
    return Demand(work.astype(float), tuple(windows), slot)


@settings(max_examples=1000, deadline=None)
@given(instances)
def test_the_plan_is_integral_feasible_and_meets_every_interval(d: Demand) -> None:
    plan = plan_capacity(d, min_replicas=0, max_replicas=12)
    assert plan.replicas.dtype.kind == "i"
    assert not _violated(d, plan.replicas)
    assert edf_misses(d, plan.replicas) == 0
    assert plan.worker_hours == pytest.approx(plan.objective * d.slot_seconds / 3600)


@settings(max_examples=150, deadline=None)
@given(instances.filter(lambda d: d.slots <= 5))
def test_no_cheaper_plan_is_feasible(d: Demand) -> None:
    feasible = [
        sum(x) for x in itertools.product(range(5), repeat=d.slots) if not _violated(d, np.array(x))
    ]
    try:
        plan = plan_capacity(d, min_replicas=0, max_replicas=4)
    except PlanInfeasible:
        assert not feasible
        return
    assert int(plan.replicas.sum()) == min(feasible)


def test_bounds_and_an_impossible_demand() -> None:
    d = Demand(np.array([[0, 600.0 * 9, 0, 0]]), (1,), 600.0)
    plan = plan_capacity(d, min_replicas=2, max_replicas=12)
    assert plan.replicas.tolist() == [2, 9, 2, 2]
    with pytest.raises(PlanInfeasible, match="at most 8 workers"):
        plan_capacity(d, min_replicas=0, max_replicas=8)


def test_long_intervals_are_added_when_the_plan_breaks_one() -> None:
    """A sustained load of long-window work: every short interval holds long before the
    whole span does."""
    slot = 60.0
    work = np.zeros((1, 40))
    work[0, :30] = 3 * slot
    d = Demand(work, (4,), slot)
    plan = plan_capacity(d, min_replicas=0, max_replicas=10)
    assert edf_misses(d, plan.replicas) == 0 and not _violated(d, plan.replicas)

"""The capacity plan: worker replicas per slot such that every job meets its deadline under
earliest-deadline-first, at the least worker-hours (pure: demand in, replicas out).

Work is released into slots: work released in slot `r` of a class whose window is `w` slots
may run in slots `r .. r + w - 1`. Under EDF with many small jobs this is feasible exactly
when, for every interval of slots `[a, b]`, the work released at or after `a` and due by `b`
fits the capacity of the interval (the processor-demand criterion; Hall's condition for
this interval-shaped assignment). Written on the cumulative capacity `Y_t` (replica-slots up
to slot t), each such constraint is a difference `Y_{b+1} - Y_a >= need(a, b)` with an
integer right side, as are the replica bounds; the matrix is a network matrix, totally
unimodular, so the LP's optimal vertex is integral and HiGHS's simplex answer is the integer
optimum, with no search.

Intervals shorter than the longest window are all written (only those starting where work is
released and ending where work is due: the others are dominated); longer ones are added only
when the solution breaks one (found in linear time from prefix minima), and the LP is solved
again: the result satisfies every interval.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from trousseau.errors import InvalidValue, TrousseauError

_EPS = 1e-9


class PlanInfeasible(TrousseauError):
    """The demand cannot be met within the replica bounds."""

    exit_code = 3


@dataclass(frozen=True)
class Demand:
    """Worker-seconds released per [class, slot], each class's window in slots, and the slot's
    length in seconds."""

    work: np.ndarray
    windows: tuple[int, ...]
    slot_seconds: float

    def __post_init__(self) -> None:
        if self.work.ndim != 2 or self.work.shape[0] != len(self.windows):
            raise InvalidValue("demand: one row of work per class and one window per class")
        if min(self.windows) < 1:
            raise InvalidValue(
                "demand: a class's window is under one slot: use a shorter slot for its SLA"
            )

    @property
    def slots(self) -> int:
        return int(self.work.shape[1])

    def need(self, a: int, b: int) -> int:
        """Replica-slots the interval `[a, b]` needs (work released from `a`, due by `b`)."""
        total = 0.0
        for k, w in enumerate(self.windows):
            last = b - w + 1
            if last >= a:
                total += float(self.work[k, a : last + 1].sum())
        return int(np.ceil(total / self.slot_seconds - _EPS)) if total > 0 else 0


@dataclass
class CapacityPlan:
    replicas: np.ndarray
    """Workers ready per slot."""
    slot_seconds: float
    objective: float
    """The LP's optimum (replica-slots, or cost when prices are given)."""
    rows: int
    rounds: int
    notes: list[str] = field(default_factory=list)

    @property
    def worker_hours(self) -> float:
        return float(self.replicas.sum()) * self.slot_seconds / 3600


def _short_intervals(d: Demand, length: int) -> list[tuple[int, int]]:
    released = np.flatnonzero(d.work.sum(axis=0) > 0)
    due = np.zeros(d.slots + max(d.windows), dtype=bool)
    for k, w in enumerate(d.windows):
        due[np.flatnonzero(d.work[k] > 0) + w - 1] = True
    due_slots = np.flatnonzero(due[: d.slots])
    pairs: list[tuple[int, int]] = []
    for a in released:
        lo = np.searchsorted(due_slots, a)
        hi = np.searchsorted(due_slots, a + length, side="left")
        pairs.extend((int(a), int(b)) for b in due_slots[lo:hi])
    return pairs


def _long_violations(d: Demand, x: np.ndarray, length: int) -> list[tuple[int, int]]:
    """For each end `b`, the start `a <= b - length + 1` with the most demand over capacity,
    where the interval breaks: every class's window fits inside such an interval."""
    n = d.slots
    prefix = np.zeros((d.work.shape[0], n + 1))
    prefix[:, 1:] = np.cumsum(d.work, axis=1)
    cap = np.zeros(n + 1)
    cap[1:] = np.cumsum(x) * d.slot_seconds
    g = prefix.sum(axis=0) - cap  # G(a) = released before a - capacity before a
    found: list[tuple[int, int]] = []
    best_a, best_g = -1, np.inf
    for b in range(length - 1, n):
        a = b - length + 1
        if g[a] < best_g:
            best_g, best_a = g[a], a
        due = sum(prefix[k, b - w + 2] for k, w in enumerate(d.windows))
        if due - cap[b + 1] - best_g > d.slot_seconds * 1e-6:
            found.append((best_a, b))
    return found


@dataclass
class _Rows:
    """Rows `lo <= Y_{b+1} - Y_a <= hi` in row-wise sparse form (Y_0 is the constant 0)."""

    lower: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)
    starts: list[int] = field(default_factory=lambda: [0])
    index: list[int] = field(default_factory=list)
    value: list[float] = field(default_factory=list)

    def add(self, a: int, b: int, lo: float, hi: float) -> None:
        self.index.append(b)
        self.value.append(1.0)
        if a > 0:
            self.index.append(a - 1)
            self.value.append(-1.0)
        self.starts.append(len(self.index))
        self.lower.append(lo)
        self.upper.append(hi)


def plan_capacity(
    demand: Demand,
    *,
    min_replicas: int = 5,
    max_replicas: int = 50,
    cost: Sequence[float] | None = None,
    max_rounds: int = 50,
) -> CapacityPlan:
    """The replicas per slot that meet every deadline at the least worker-slots (or the least
    cost, with a price per replica-slot); PlanInfeasible naming the interval if none can."""
    import highspy

    if not 0 <= min_replicas <= max_replicas:
        raise InvalidValue(f"replica bounds {min_replicas}..{max_replicas} are not a range")
    n = demand.slots
    longest = max(demand.windows)
    pairs = _short_intervals(demand, longest)
    prices = np.ones(n) if cost is None else np.asarray(cost, dtype=float)
    if prices.shape != (n,):
        raise InvalidValue("one price per slot")
    rounds, x = 0, np.zeros(n)
    objective = 0.0
    while True:
        rounds += 1
        # Columns Y_1..Y_n; Y_0 = 0. Cost sum p_t (Y_{t+1} - Y_t).
        col_cost = np.zeros(n)
        col_cost[:-1] -= prices[1:]
        col_cost += prices
        rows = _Rows()
        for t in range(n):
            rows.add(t, t, float(min_replicas), float(max_replicas))
        for a, b in pairs:
            need = demand.need(a, b)
            if need > 0:
                rows.add(a, b, float(need), highspy.kHighsInf)
        lower, upper, starts, index, value = (
            rows.lower,
            rows.upper,
            rows.starts,
            rows.index,
            rows.value,
        )
        lp = highspy.HighsLp()
        lp.num_col_ = n
        lp.num_row_ = len(lower)
        lp.col_cost_ = col_cost
        lp.col_lower_ = np.zeros(n)
        lp.col_upper_ = np.full(n, highspy.kHighsInf)
        lp.row_lower_ = np.asarray(lower)
        lp.row_upper_ = np.asarray(upper)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = np.asarray(starts, dtype=np.int32)
        lp.a_matrix_.index_ = np.asarray(index, dtype=np.int32)
        lp.a_matrix_.value_ = np.asarray(value)
        lp.a_matrix_.num_col_ = n
        lp.a_matrix_.num_row_ = len(lower)
        solver = highspy.Highs()  # type: ignore[no-untyped-call]
        solver.setOptionValue("output_flag", False)
        solver.passModel(lp)
        solver.run()
        status = solver.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise _infeasible(demand, max_replicas, solver.modelStatusToString(status))
        y = np.asarray(solver.getSolution().col_value)
        objective = float(solver.getInfo().objective_function_value)
        x = np.diff(np.concatenate([[0.0], y]))
        more = [p for p in _long_violations(demand, np.round(x), longest) if p not in pairs]
        if not more:
            break
        if rounds >= max_rounds:
            raise InvalidValue(f"the capacity plan did not settle in {max_rounds} rounds")
        pairs = pairs + more
    replicas = np.round(x).astype(int)
    if np.abs(x - replicas).max() > 1e-6:
        raise AssertionError("the capacity LP returned a fractional vertex")
    return CapacityPlan(replicas, demand.slot_seconds, objective, len(lower), rounds)


def _infeasible(demand: Demand, max_replicas: int, status: str) -> PlanInfeasible:
    full = np.full(demand.slots, max_replicas)
    worst = None
    for a in range(demand.slots):
        for b in range(a, min(demand.slots, a + max(demand.windows) * 4)):
            over = demand.need(a, b) - (b - a + 1) * max_replicas
            if over > 0 and (worst is None or over > worst[0]):
                worst = (over, a, b)
    where = f" (slots {worst[1]} to {worst[2]} need {worst[0]} more replica-slots)" if worst else ""
    del full
    return PlanInfeasible(
        f"the demand cannot be met with at most {max_replicas} workers{where}: raise "
        f"planning.max_replicas or promise fewer same-day galleries ({status})"
    )


def edf_misses(demand: Demand, replicas: np.ndarray) -> float:
    """Worker-seconds due inside the grid that miss their window when `replicas` serve the
    demand earliest deadline first as a fluid (0: the plan is feasible): the exact check,
    slot by slot. Work due after the grid's end is not counted (the next plan carries it)."""
    pending: dict[int, float] = {}
    missed = 0.0
    for t in range(demand.slots):
        for k, w in enumerate(demand.windows):
            if demand.work[k, t] > 0:
                pending[t + w - 1] = pending.get(t + w - 1, 0.0) + float(demand.work[k, t])
        capacity = float(replicas[t]) * demand.slot_seconds
        for due in sorted(pending):
            take = min(capacity, pending[due])
            pending[due] -= take
            capacity -= take
            if capacity <= 0:
                break
        late = [due for due in pending if due <= t and pending[due] > 1e-9]
        for due in late:
            missed += pending.pop(due)
        pending = {d: v for d, v in pending.items() if v > 1e-9}
    return missed

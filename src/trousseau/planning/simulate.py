"""A simulation of a month on the platform: photo arrivals, the earliest-deadline-first
queue, and workers that take a minute to three to start and sometimes fail, under a scaling
policy (pure: arrivals, a policy and a seeded random generator in, figures out).

Time advances in ticks (10 s by default). Photos arriving in a tick join the queue with their
deadline (arrival tick's start plus their class's promise: never later than the truth); each
tick the ready workers process queued photos earliest deadline first, a worker's tick of
seconds at a time; a photo completes at the end of the tick its last second is worked (never
earlier than the truth). Policies are asked for the replicas they want every `poll` seconds,
as KEDA and the HPA do; new pods become ready after their start delay; every started pod is
billed from the moment it is asked for.

Policies:
- `fixed`: a constant number of workers (peak-sized).
- `reactive`: KEDA's PostgreSQL trigger on queued and running photos alone (a target of
  photos per replica), with the HPA's default behaviour: up by at most 100% or 4 pods per
  15 s, down only to the highest recommendation of the last 300 s.
- `predictive`: ours: the capacity plan's floor (raised early by the pod start lead time)
  plus the EDF trigger (the workers the live queue needs to meet every deadline).
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

WorkersWanted = Callable[["QueueView"], int]


@dataclass(frozen=True)
class Arrivals:
    """Photos per [class, tick] and each class's promise in seconds."""

    counts: np.ndarray
    promises: tuple[float, ...]
    classes: tuple[str, ...]
    tick: float


@dataclass(frozen=True)
class Cluster:
    """The workers' world: bounds, start delays, failures, what a worker-hour costs."""

    min_replicas: int = 5
    max_replicas: int = 50
    start_delay: tuple[float, float] = (60.0, 180.0)
    failures_per_hour: float = 0.0
    poll: float = 15.0
    price_per_hour: float = 1.0
    spot_price_per_hour: float = 0.3
    spot_interruptions_per_hour: float = 0.05
    """Each spot pod's chance per hour of being taken back (it restarts after a start
    delay)."""


@dataclass
class QueueView:
    """What a policy sees at a poll: the time, the queue (deadline, photos), the workers, and
    the deferrable part of the queue (the classes spot workers may take)."""

    now: float
    queue: list[tuple[float, float]]
    ready: int
    starting: int
    seconds_per_photo: float
    deferrable: list[tuple[float, float]] = field(default_factory=list)

    @property
    def photos(self) -> float:
        return sum(n for _, n in self.queue) + sum(n for _, n in self.deferrable)


def edf_workers(view: QueueView, min_window: float = 30.0, *, deferrable: bool = False) -> int:
    """Workers needed now so every queued photo meets its deadline: the most, over each
    deadline, of the work due by it over the time left to it (the deferrable queue alone
    when `deferrable`)."""
    need, due = 0, 0.0
    entries = view.deferrable if deferrable else view.queue
    for deadline, photos in sorted(entries):
        due += photos * view.seconds_per_photo
        need = max(need, math.ceil(due / max(deadline - view.now, min_window) - 1e-9))
    return need


@dataclass
class _Hpa:
    """The HPA's behaviour: bounded scale-up per period, stabilised scale-down."""

    min_replicas: int
    max_replicas: int
    up_percent: float = 100.0
    up_pods: int = 4
    up_period: float = 15.0
    down_window: float = 300.0
    history: deque[tuple[float, int]] = field(default_factory=deque)

    def decide(self, now: float, current: int, wanted: int) -> int:
        wanted = min(self.max_replicas, max(self.min_replicas, wanted))
        self.history.append((now, wanted))
        while self.history and self.history[0][0] < now - self.down_window:
            self.history.popleft()
        if wanted > current:
            limit = max(current + self.up_pods, math.ceil(current * (1 + self.up_percent / 100)))
            return min(wanted, limit, self.max_replicas)
        stable = max(w for _, w in self.history)
        return max(min(current, stable), self.min_replicas)


@dataclass(frozen=True)
class Policy:
    name: str
    wanted: WorkersWanted
    down_window: float = 300.0
    up_pods: int = 4
    spot: WorkersWanted | None = None
    """Spot workers wanted (they take only deferrable classes); None: no spot pool."""
    deferrable: frozenset[str] = frozenset()
    """Classes queued apart for spot workers (on-demand workers take them too, by deadline)."""
    demand_minimum: int | None = None
    """The on-demand pool's minimum (None: the cluster's)."""


def fixed(n: int) -> Policy:
    return Policy("fixed", lambda view: n)


def reactive(photos_per_replica: float) -> Policy:
    return Policy("reactive", lambda view: math.ceil(view.photos / photos_per_replica))


def predictive(floor: Callable[[float], int], *, down_window: float = 600.0) -> Policy:
    """The plan's floor at `now` (seconds) plus the EDF trigger; scale-down waits longer than
    a job and more than a pod's start."""
    return Policy(
        "predictive",
        lambda view: max(floor(view.now), edf_workers(view)),
        down_window=down_window,
        up_pods=50,
    )


def predictive_spot(
    floor: Callable[[float], int],
    *,
    deferrable: frozenset[str],
    minimum: int,
    on_demand_minimum: int = 1,
    fallback: float = 2 * 3600,
    down_window: float = 600.0,
) -> Policy:
    """On-demand workers as `predictive` for the urgent classes (and for deferrable photos
    whose slack has fallen under `fallback` seconds: the fallback when spot capacity is taken
    back), never fewer than `on_demand_minimum`; spot workers for the deferrable work the
    on-demand workers' spare capacity cannot finish in time, and for the rest of the
    platform's `minimum` (the warm pods that mostly do standard work)."""

    def urgent_need(view: QueueView) -> int:
        urgent = view.queue + [(d, n) for d, n in view.deferrable if d - view.now < fallback]
        urgent_view = QueueView(view.now, urgent, view.ready, view.starting, view.seconds_per_photo)
        return edf_workers(urgent_view)

    def on_demand(view: QueueView) -> int:
        return max(floor(view.now), urgent_need(view))

    def spot(view: QueueView) -> int:
        spare = max(0, view.ready - urgent_need(view))
        rest_of_minimum = minimum - (view.ready + view.starting)
        return max(0, edf_workers(view, deferrable=True) - spare, rest_of_minimum)

    return Policy(
        "predictive+spot",
        on_demand,
        down_window=down_window,
        up_pods=50,
        spot=spot,
        deferrable=deferrable,
        demand_minimum=on_demand_minimum,
    )


@dataclass(frozen=True)
class Outcome:
    name: str
    met: dict[str, float]
    """Fraction of each class's photos done by their deadline."""
    misses: dict[str, int]
    p99_lateness_s: float
    worker_hours: float
    cost: float
    unfinished: int
    spot_hours: float = 0.0
    trace: Trace | None = None
    """Per poll: time, workers, queue and slack (when asked for)."""


@dataclass
class Trace:
    """What the run looked like at each poll: seconds from the start, pods (ready and
    starting, both pools), photos queued, and the least slack (deadline - now) in the queue."""

    at: list[float] = field(default_factory=list)
    pods: list[int] = field(default_factory=list)
    queued: list[float] = field(default_factory=list)
    slack: list[float] = field(default_factory=list)


@dataclass
class _Pool:
    """Pods of one kind: ready ones, and the ready-at times of those starting."""

    hpa: _Hpa
    ready: int
    starting: list[float] = field(default_factory=list)
    billed: float = 0.0

    @property
    def size(self) -> int:
        return self.ready + len(self.starting)

    def scale(
        self, now: float, wanted: int, rng: np.random.Generator, delay: tuple[float, float]
    ) -> None:
        target = self.hpa.decide(now, self.size, wanted)
        for _ in range(target - self.size):
            heapq.heappush(self.starting, now + float(rng.uniform(*delay)))
        surplus = self.size - target
        while surplus > 0 and self.starting:
            self.starting.pop()  # cancel the pods not yet started first
            heapq.heapify(self.starting)
            surplus -= 1
        self.ready -= max(0, surplus)

    def advance(
        self, now: float, lose: float, rng: np.random.Generator, delay: tuple[float, float]
    ) -> None:
        while self.starting and self.starting[0] <= now:
            heapq.heappop(self.starting)
            self.ready += 1
        if lose > 0 and self.ready:
            for _ in range(int(rng.binomial(self.ready, lose))):
                self.ready -= 1
                heapq.heappush(self.starting, now + float(rng.uniform(*delay)))


class _Tally:
    def __init__(self, classes: int) -> None:
        self.met = np.zeros(classes)
        self.late = np.zeros(classes)
        self.lateness: list[tuple[float, float]] = []

    def done(self, entry: list[float], photos: float, end: float) -> None:
        k = int(entry[1])
        if end <= entry[0] + 1e-9:
            self.met[k] += photos
        else:
            self.late[k] += photos
            self.lateness.append((end - entry[0], photos))


def _serve(
    heaps: list[list[list[float]]], capacity: float, cost: float, end: float, tally: _Tally
) -> float:
    """Work the heads of `heaps` earliest deadline first with `capacity` seconds; the
    capacity left."""
    while capacity >= cost - 1e-9:
        live = [h for h in heaps if h]
        if not live:
            break
        heap = min(live, key=lambda h: h[0][0])
        head = heap[0]
        done = min(head[2], math.floor(capacity / cost + 1e-9))
        if done <= 0:
            break
        capacity -= done * cost
        head[2] -= done
        tally.done(head, done, end)
        if head[2] <= 1e-9:
            heapq.heappop(heap)
    return capacity


def simulate(
    arrivals: Arrivals,
    policy: Policy,
    cluster: Cluster,
    *,
    seconds_per_photo: float,
    rng: np.random.Generator,
    runtime_cv: float = 0.0,
    initial: int | None = None,
    trace: bool = False,
) -> Outcome:
    """Run the month under `policy`. `runtime_cv` > 0 draws each tick's photo cost around
    `seconds_per_photo` (lognormal); 0 runs exact runtimes."""
    tick = arrivals.tick
    n_classes, n_ticks = arrivals.counts.shape
    deferrable = {k for k, c in enumerate(arrivals.classes) if c in policy.deferrable}
    urgent_q: list[list[float]] = []  # heaps of [deadline, class, photos]
    deferrable_q: list[list[float]] = []
    lowest = cluster.min_replicas if policy.demand_minimum is None else policy.demand_minimum
    demand = _Pool(
        _Hpa(lowest, cluster.max_replicas, up_pods=policy.up_pods,
             down_window=policy.down_window),
        initial if initial is not None else lowest,
    )  # fmt: skip
    spot = (
        _Pool(
            _Hpa(0, cluster.max_replicas, up_pods=policy.up_pods, down_window=policy.down_window), 0
        )
        if policy.spot is not None
        else None
    )
    next_poll = 0.0
    seen = Trace() if trace else None
    tally = _Tally(n_classes)
    carry = {"demand": 0.0, "spot": 0.0}
    fail_p = 1 - math.exp(-cluster.failures_per_hour * tick / 3600)
    take_p = 1 - math.exp(-cluster.spot_interruptions_per_hour * tick / 3600)
    sigma = math.sqrt(math.log(1 + runtime_cv**2)) if runtime_cv > 0 else 0.0
    delay = cluster.start_delay
    for t in range(n_ticks):
        now = t * tick
        for k in range(n_classes):
            count = arrivals.counts[k, t]
            if count > 0:
                entry = [now + arrivals.promises[k], float(k), float(count)]
                heapq.heappush(deferrable_q if k in deferrable else urgent_q, entry)
        if now >= next_poll:
            next_poll += cluster.poll
            view = QueueView(
                now,
                [(q[0], q[2]) for q in urgent_q]
                + ([] if spot else [(q[0], q[2]) for q in deferrable_q]),
                demand.ready,
                len(demand.starting),
                seconds_per_photo,
                [(q[0], q[2]) for q in deferrable_q] if spot else [],
            )
            demand.scale(now, policy.wanted(view), rng, delay)
            if spot is not None and policy.spot is not None:
                spot.scale(now, policy.spot(view), rng, delay)
            if seen is not None:
                heads = [q[0][0] for q in (urgent_q, deferrable_q) if q]
                seen.at.append(now)
                seen.pods.append(demand.size + (spot.size if spot else 0))
                seen.queued.append(view.photos)
                seen.slack.append(min(heads) - now if heads else float("nan"))
        demand.advance(now, fail_p, rng, delay)
        if spot is not None:
            spot.advance(now, 1 - (1 - fail_p) * (1 - take_p), rng, delay)
            spot.billed += spot.size * tick
        demand.billed += demand.size * tick
        cost_now = seconds_per_photo
        if sigma:
            cost_now = seconds_per_photo * float(rng.lognormal(-sigma * sigma / 2, sigma))
        end = now + tick
        if spot is not None:
            left = _serve([deferrable_q], spot.ready * tick + carry["spot"], cost_now, end, tally)
            carry["spot"] = min(left, spot.ready * tick) if deferrable_q else 0.0
        left = _serve([urgent_q, deferrable_q], demand.ready * tick + carry["demand"], cost_now,
                      end, tally)  # fmt: skip
        carry["demand"] = min(left, demand.ready * tick) if (urgent_q or deferrable_q) else 0.0
    unfinished = 0.0
    for entry in urgent_q + deferrable_q:
        unfinished += entry[2]
        tally.late[int(entry[1])] += entry[2]
        tally.lateness.append((n_ticks * tick - entry[0], entry[2]))
    total = tally.met + tally.late
    spot_hours = spot.billed / 3600 if spot else 0.0
    hours = demand.billed / 3600 + spot_hours
    return Outcome(
        name=policy.name,
        met={
            c: float(tally.met[k] / total[k]) if total[k] else 1.0
            for k, c in enumerate(arrivals.classes)
        },
        misses={c: round(float(tally.late[k])) for k, c in enumerate(arrivals.classes)},
        p99_lateness_s=_p99(tally.lateness, float(total.sum())),
        worker_hours=hours,
        cost=demand.billed / 3600 * cluster.price_per_hour
        + spot_hours * cluster.spot_price_per_hour,
        unfinished=round(unfinished),
        spot_hours=spot_hours,
        trace=seen,
    )


def _p99(lateness: Sequence[tuple[float, float]], photos: float) -> float:
    """The 99th percentile of lateness over every photo (on-time photos count as 0)."""
    if not photos:
        return 0.0
    allowed = photos * 0.01
    for value, count in sorted(lateness, reverse=True):
        if count > allowed:
            return max(0.0, value)
        allowed -= count
    return 0.0

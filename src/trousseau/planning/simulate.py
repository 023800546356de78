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


@dataclass
class QueueView:
    """What a policy sees at a poll: the time, the queue (deadline, photos), the workers."""

    now: float
    queue: list[tuple[float, float]]
    ready: int
    starting: int
    seconds_per_photo: float

    @property
    def photos(self) -> float:
        return sum(n for _, n in self.queue)


def edf_workers(view: QueueView, min_window: float = 30.0) -> int:
    """Workers needed now so every queued photo meets its deadline: the most, over each
    deadline, of the work due by it over the time left to it."""
    need, due = 0, 0.0
    for deadline, photos in sorted(view.queue):
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


def simulate(
    arrivals: Arrivals,
    policy: Policy,
    cluster: Cluster,
    *,
    seconds_per_photo: float,
    rng: np.random.Generator,
    runtime_cv: float = 0.0,
    initial: int | None = None,
) -> Outcome:
    """Run the month under `policy`. `runtime_cv` > 0 draws each tick's photo cost around
    `seconds_per_photo` (lognormal); 0 runs exact runtimes."""
    tick = arrivals.tick
    n_classes, n_ticks = arrivals.counts.shape
    hpa = _Hpa(
        cluster.min_replicas,
        cluster.max_replicas,
        up_pods=policy.up_pods,
        down_window=policy.down_window,
    )
    queue: list[list[float]] = []  # heap of [deadline, class, photos]
    ready = initial if initial is not None else cluster.min_replicas
    starting: list[float] = []  # ready-at times
    target = ready
    next_poll = 0.0
    met = np.zeros(n_classes)
    late = np.zeros(n_classes)
    lateness: list[tuple[float, float]] = []
    billed = 0.0
    carry = 0.0
    fail_p = 1 - math.exp(-cluster.failures_per_hour * tick / 3600)
    sigma = math.sqrt(math.log(1 + runtime_cv**2)) if runtime_cv > 0 else 0.0
    for t in range(n_ticks):
        now = t * tick
        for k in range(n_classes):
            count = arrivals.counts[k, t]
            if count > 0:
                heapq.heappush(queue, [now + arrivals.promises[k], float(k), float(count)])
        if now >= next_poll:
            next_poll += cluster.poll
            view = QueueView(
                now, [(q[0], q[2]) for q in queue], ready, len(starting), seconds_per_photo
            )
            target = hpa.decide(now, ready + len(starting), policy.wanted(view))
            have = ready + len(starting)
            for _ in range(target - have):
                heapq.heappush(starting, now + float(rng.uniform(*cluster.start_delay)))
            surplus = have - target
            while surplus > 0 and starting:
                starting.pop()  # cancel the pods not yet started first
                heapq.heapify(starting)
                surplus -= 1
            ready -= max(0, surplus)
        while starting and starting[0] <= now:
            heapq.heappop(starting)
            ready += 1
        if fail_p > 0 and ready:
            failed = int(rng.binomial(ready, fail_p))
            for _ in range(failed):
                ready -= 1
                heapq.heappush(starting, now + float(rng.uniform(*cluster.start_delay)))
        billed += (ready + len(starting)) * tick
        cost_now = seconds_per_photo
        if sigma:
            cost_now = seconds_per_photo * float(rng.lognormal(-sigma * sigma / 2, sigma))
        capacity = ready * tick + carry
        end = now + tick
        while queue and capacity >= cost_now - 1e-9:
            head = queue[0]
            done = min(head[2], math.floor(capacity / cost_now + 1e-9))
            if done <= 0:
                break
            capacity -= done * cost_now
            head[2] -= done
            k = int(head[1])
            if end <= head[0] + 1e-9:
                met[k] += done
            else:
                late[k] += done
                lateness.append((end - head[0], done))
            if head[2] <= 1e-9:
                heapq.heappop(queue)
        carry = min(capacity, ready * tick) if queue else 0.0
    unfinished = sum(q[2] for q in queue)
    for entry in queue:
        late[int(entry[1])] += entry[2]
        lateness.append((n_ticks * tick - entry[0], entry[2]))
    total = met + late
    return Outcome(
        name=policy.name,
        met={
            c: float(met[k] / total[k]) if total[k] else 1.0 for k, c in enumerate(arrivals.classes)
        },
        misses={c: round(float(late[k])) for k, c in enumerate(arrivals.classes)},
        p99_lateness_s=_p99(lateness, float(total.sum())),
        worker_hours=billed / 3600,
        cost=billed / 3600 * cluster.price_per_hour,
        unfinished=round(unfinished),
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

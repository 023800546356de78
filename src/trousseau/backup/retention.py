"""Which snapshots a retention policy keeps: restic's `forget --keep-*`, in a studio's time zone.

Pure: snapshots (id, instant) and a policy in, a plan out; no repository, no clock. The
snapshots are taken newest first; each keep-* count is a bucket that keeps the newest
snapshot of each of its N most recent periods having a snapshot (`last`: the N newest
snapshots). A snapshot kept by any bucket is kept, with every bucket that chose it as its
reasons. Hours, days, ISO weeks, months and years are the studio's local ones (`tz`), so a
day is a calendar day there, 23 or 25 hours long across a daylight-saving change.

An empty policy keeps everything (as restic does): a policy left unset by mistake must never
forget a studio's whole history. A policy with any count above zero always keeps the newest
snapshot, so a plan never forgets every snapshot.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from zoneinfo import ZoneInfo

from trousseau.errors import InvalidValue

EMPTY_POLICY = "policy is empty"
"""The only reason given when the policy keeps nothing by count: everything is kept."""


@dataclass(frozen=True)
class Retention:
    """How many snapshots to keep: the `last` N, and the newest of each of the N most
    recent hours, days, (ISO) weeks, months and years that have one. All 0: keep all."""

    last: int = 0
    hourly: int = 0
    daily: int = 0
    weekly: int = 0
    monthly: int = 0
    yearly: int = 0

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InvalidValue(
                    f"keep-{field.name} is {value!r}: give a whole number of snapshots, "
                    "0 or more (0 keeps none by this rule)"
                )

    @property
    def empty(self) -> bool:
        """True when no count is set: such a policy keeps every snapshot."""
        return all(getattr(self, field.name) == 0 for field in fields(self))


@dataclass(frozen=True)
class ForgetPlan:
    """What a policy keeps (newest first, each with why) and what it forgets (newest first)."""

    keep: list[tuple[str, tuple[str, ...]]]
    forget: list[str]


_Period = Callable[[datetime, int], object]


def _hour(local: datetime, _: int) -> object:
    # `fold` tells apart the two hours a clock repeats when daylight saving ends.
    return (local.date(), local.hour, local.fold)


def _day(local: datetime, _: int) -> object:
    return local.date()


def _week(local: datetime, _: int) -> object:
    year, week, _weekday = local.isocalendar()
    return (year, week)


def _month(local: datetime, _: int) -> object:
    return (local.year, local.month)


def _year(local: datetime, _: int) -> object:
    return local.year


def _each(_: datetime, position: int) -> object:
    return position


_BUCKETS: tuple[tuple[str, _Period], ...] = (
    ("last", _each),
    ("hourly", _hour),
    ("daily", _day),
    ("weekly", _week),
    ("monthly", _month),
    ("yearly", _year),
)


def plan_forget(
    snapshots: Sequence[tuple[str, datetime]], policy: Retention, *, tz: ZoneInfo
) -> ForgetPlan:
    """Apply `policy` to `snapshots` (id, when taken); periods are `tz`'s local ones.

    Snapshots taken at the same instant are ordered by id, so a plan never depends on the
    order they were listed in. InvalidValue for an id listed twice or a naive instant.
    """
    seen: set[str] = set()
    for snapshot_id, taken_at in snapshots:
        if snapshot_id in seen:
            raise InvalidValue(f"snapshot {snapshot_id} is listed twice: list each once")
        seen.add(snapshot_id)
        if taken_at.tzinfo is None or taken_at.utcoffset() is None:
            raise InvalidValue(
                f"snapshot {snapshot_id} has a time without a zone ({taken_at.isoformat()}): "
                "give instants with their UTC offset"
            )
    newest_first = sorted(snapshots, key=lambda s: (s[1], s[0]), reverse=True)
    if policy.empty:
        return ForgetPlan(keep=[(sid, (EMPTY_POLICY,)) for sid, _ in newest_first], forget=[])
    left = {name: getattr(policy, name) for name, _ in _BUCKETS}
    previous: dict[str, object] = {}
    keep: list[tuple[str, tuple[str, ...]]] = []
    forget: list[str] = []
    for position, (snapshot_id, taken_at) in enumerate(newest_first):
        local = taken_at.astimezone(tz)
        reasons = []
        for name, period in _BUCKETS:
            if left[name] == 0:
                continue
            key = period(local, position)
            if name not in previous or previous[name] != key:
                previous[name] = key
                left[name] -= 1
                reasons.append(name)
        if reasons:
            keep.append((snapshot_id, tuple(reasons)))
        else:
            forget.append(snapshot_id)
    return ForgetPlan(keep=keep, forget=forget)

"""The level of a region at an instant, its timeline over a range, and the next instant a
deploy is allowed: exact to the second, in every time zone.

Pure: a `Policy` and instants in, values out. The level is a function of the instant's local
wall-clock time (windows), of absolute instants (weddings, freezes); it can change only where
one of them begins or ends, or where the local clock jumps (a DST transition). `timeline`
gathers exactly those instants and evaluates the level once per piece.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from trousseau.errors import InvalidValue
from trousseau.freeze.levels import Decision, Interval, Level, Reason
from trousseau.freeze.overrides import Override, covering
from trousseau.freeze.policy import DAY_SECONDS, CalendarWedding, Policy

HORIZON = timedelta(days=400)
"""How far ahead `next_allowed` looks."""
_FIRST_CHUNK = timedelta(days=2)
_CHUNK = timedelta(days=14)


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise InvalidValue(
            f"{at.isoformat()} has no UTC offset: give an instant like 2026-06-13T10:00:00+02:00"
        )
    return at.astimezone(UTC)


@dataclass(frozen=True)
class _Calendar:
    """A region's weddings by ceremony instant (UTC), for range lookups."""

    times: tuple[datetime, ...]
    weddings: tuple[CalendarWedding, ...]


_EMPTY = _Calendar((), ())
_CALENDARS: dict[int, tuple[Policy, dict[str, _Calendar]]] = {}


def _calendars(policy: Policy) -> dict[str, _Calendar]:
    """The policy's weddings by region, sorted by ceremony: made once per policy (the last
    few policies are remembered), not once per region asked about."""
    cached = _CALENDARS.get(id(policy))
    if cached is not None and cached[0] is policy:
        return cached[1]
    by_region: dict[str, list[tuple[datetime, CalendarWedding]]] = {}
    for w in policy.weddings:
        by_region.setdefault(w.region, []).append((_aware(w.ceremony), w))
    calendars = {}
    for region, pairs in by_region.items():
        pairs.sort(key=lambda pair: pair[0])
        calendars[region] = _Calendar(tuple(t for t, _ in pairs), tuple(w for _, w in pairs))
    if len(_CALENDARS) >= 8:
        _CALENDARS.clear()
    _CALENDARS[id(policy)] = (policy, calendars)
    return calendars


class Evaluator:
    """A policy prepared for one region's questions (its zone, its weddings sorted)."""

    def __init__(self, policy: Policy, region: str) -> None:
        self.policy = policy
        self.region = region
        self.zone: ZoneInfo = policy.zone(region)
        self._calendar = _calendars(policy).get(region, _EMPTY)
        self._rule = policy.wedding_rule

    # --- one instant ---------------------------------------------------------------------

    def reasons_at(
        self, at: datetime, environment: str | None = None, service: str | None = None
    ) -> tuple[Reason, ...]:
        """Every rule that applies at `at`, highest level first."""
        at = _aware(at)
        local = at.astimezone(self.zone)
        found: list[Reason] = []
        for window in self.policy.windows:
            if window.scope.covers(self.region, environment, service) and window.contains(local):
                found.append(Reason(window.level, f"{window.name} ({self.zone.key})"))
        rule = self._rule
        cal = self._calendar
        lo = bisect.bisect_right(cal.times, at - rule.maximum_after)
        hi = bisect.bisect_right(cal.times, at + rule.high_before)
        for ceremony, wedding in zip(cal.times[lo:hi], cal.weddings[lo:hi], strict=True):
            local_ceremony = ceremony.astimezone(wedding.ceremony.tzinfo)
            when = (
                f"wedding {wedding.ref} ceremony {local_ceremony:%Y-%m-%d %H:%M} "
                f"{local_ceremony.tzinfo}"
            )
            if ceremony - rule.maximum_before <= at < ceremony + rule.maximum_after:
                found.append(Reason(Level.MAXIMUM, when))
            elif ceremony - rule.high_before <= at < ceremony - rule.maximum_before:
                found.append(Reason(Level.HIGH, when))
        for freeze in self.policy.freezes:
            if freeze.scope.covers(self.region, environment, service) and (
                _aware(freeze.start) <= at < _aware(freeze.end)
            ):
                found.append(Reason(freeze.level, f"freeze: {freeze.reason}"))
        return tuple(sorted(set(found), key=lambda r: (-r.level, r.text)))

    def level_at(
        self, at: datetime, environment: str | None = None, service: str | None = None
    ) -> Level:
        """The level at `at`: `reasons_at`'s highest, without writing the reasons."""
        at = _aware(at)
        rule = self._rule
        times = self._calendar.times
        lo = bisect.bisect_right(times, at - rule.maximum_after)
        hi = bisect.bisect_right(times, at + rule.maximum_before)
        if hi > lo:
            return Level.MAXIMUM
        level = (
            Level.HIGH if bisect.bisect_right(times, at + rule.high_before) > hi else Level.NORMAL
        )
        for freeze in self.policy.freezes:
            if (
                freeze.level > level
                and freeze.scope.covers(self.region, environment, service)
                and _aware(freeze.start) <= at < _aware(freeze.end)
            ):
                level = freeze.level
        if level is Level.MAXIMUM:
            return level
        local = at.astimezone(self.zone)
        for window in self.policy.windows:
            if (
                window.level > level
                and window.scope.covers(self.region, environment, service)
                and window.contains(local)
            ):
                level = window.level
        return level

    def blocked(
        self,
        start: datetime,
        end: datetime,
        environment: str | None = None,
        service: str | None = None,
    ) -> list[tuple[datetime, datetime]]:
        """The `[start, end)` spans of the range above NORMAL, merged: the timeline's shape
        without its reasons, for sweeps that only ask when a deploy is allowed."""
        start, end = _aware(start), _aware(end)
        cuts = [start, *self._edges(start, end), end]
        spans: list[tuple[datetime, datetime]] = []
        for a, b in itertools.pairwise(cuts):
            if self.level_at(a, environment, service) is Level.NORMAL:
                continue
            if spans and spans[-1][1] == a:
                spans[-1] = (spans[-1][0], b)
            else:
                spans.append((a, b))
        return spans

    # --- a range ---------------------------------------------------------------------------

    def _transitions(self, start: datetime, end: datetime) -> Iterator[datetime]:
        """Instants in `(start, end)` where the zone's UTC offset changes, to the second."""
        step = timedelta(hours=6)  # offsets change at most twice a year, never twice in 6 h
        at = start
        offset = at.astimezone(self.zone).utcoffset()
        while at < end:
            nxt = min(at + step, end)
            other = nxt.astimezone(self.zone).utcoffset()
            if other != offset:
                lo, hi = at, nxt  # offset(lo) == offset, offset(hi) != offset
                while hi - lo > timedelta(seconds=1):
                    mid = lo + (hi - lo) / 2
                    mid = mid.replace(microsecond=0)
                    if mid <= lo:
                        mid = lo + timedelta(seconds=1)
                    if mid.astimezone(self.zone).utcoffset() == offset:
                        lo = mid
                    else:
                        hi = mid
                yield hi
                offset = other
            at = nxt

    def _window_edges(self, start: datetime, end: datetime) -> Iterator[datetime]:
        """The instants each window begins and ends on the local days it applies to, at both
        folds of a repeated hour."""
        first = start.astimezone(self.zone).date() - timedelta(days=1)
        last = end.astimezone(self.zone).date() + timedelta(days=1)
        day = first
        while day <= last:
            edges = {
                seconds
                for w in self.policy.windows
                if day.weekday() in w.days and (w.months is None or day.month in w.months)
                for seconds in (w.start, w.end)
            }
            for seconds in edges:
                moment_day = day + timedelta(days=seconds // DAY_SECONDS)
                rest = seconds % DAY_SECONDS
                local = time(rest // 3600, rest % 3600 // 60, rest % 60)
                for fold in (0, 1):
                    instant = datetime.combine(moment_day, local, tzinfo=self.zone).replace(
                        fold=fold
                    )
                    yield instant.astimezone(UTC)
            day += timedelta(days=1)

    def _edges(self, start: datetime, end: datetime) -> list[datetime]:
        rule = self._rule
        found: set[datetime] = set(self._window_edges(start, end))
        found.update(self._transitions(start, end))
        cal = self._calendar
        lo = bisect.bisect_left(cal.times, start - rule.maximum_after)
        hi = bisect.bisect_right(cal.times, end + rule.high_before)
        for ceremony in cal.times[lo:hi]:
            found.update(
                (
                    ceremony - rule.high_before,
                    ceremony - rule.maximum_before,
                    ceremony + rule.maximum_after,
                )
            )
        for freeze in self.policy.freezes:
            found.update((_aware(freeze.start), _aware(freeze.end)))
        return sorted(t for t in found if start < t < end)

    def timeline(
        self,
        start: datetime,
        end: datetime,
        environment: str | None = None,
        service: str | None = None,
    ) -> list[Interval]:
        """Contiguous, non-overlapping `[start, end)` intervals covering the range, each at one
        level for the same reasons (adjacent equal pieces merged)."""
        start, end = _aware(start), _aware(end)
        if start >= end:
            raise InvalidValue(f"the range must end after it starts ({start} to {end})")
        cuts = [start, *self._edges(start, end), end]
        result: list[Interval] = []
        for a, b in itertools.pairwise(cuts):
            reasons = self.reasons_at(a, environment, service)
            level = reasons[0].level if reasons else Level.NORMAL
            if result and result[-1].reasons == reasons:
                result[-1] = Interval(result[-1].start, b, level, reasons)
            else:
                result.append(Interval(a, b, level, reasons))
        return result

    def next_allowed(
        self,
        at: datetime,
        environment: str | None = None,
        service: str | None = None,
        horizon: timedelta = HORIZON,
    ) -> datetime | None:
        """The first instant from `at` on at NORMAL, or None within `horizon`."""
        at = _aware(at)
        if self.level_at(at, environment, service) is Level.NORMAL:
            return at
        start, limit, chunk = at, at + horizon, _FIRST_CHUNK
        while start < limit:
            end = min(start + chunk, limit)
            spans = self.blocked(start, end, environment, service)
            if not spans or spans[0][0] > start:
                return start
            if spans[0][1] < end:
                return spans[0][1]
            start, chunk = end, min(chunk * 2, _CHUNK)
        return None


@dataclass(frozen=True)
class RegionStatus:
    """One region's protection at an instant."""

    region: str
    zone: str
    level: Level
    reasons: tuple[Reason, ...]
    next_allowed: datetime | None
    """None when not asked for, or not within the horizon looked at."""


def regional(
    policy: Policy,
    at: datetime,
    *,
    horizon: timedelta | None = HORIZON,
    environment: str | None = None,
    service: str | None = None,
) -> list[RegionStatus]:
    """Every region's level at `at` (configured ones and those weddings are served from),
    with its next allowed instant within `horizon` (None: not looked for)."""
    found: list[RegionStatus] = []
    for region in policy.all_regions():
        ev = Evaluator(policy, region)
        reasons = ev.reasons_at(at, environment, service)
        level = reasons[0].level if reasons else Level.NORMAL
        nxt = (
            ev.next_allowed(at, environment, service, horizon=horizon)
            if horizon is not None
            else None
        )
        found.append(RegionStatus(region, ev.zone.key, level, reasons, nxt))
    return found


def decide(
    policy: Policy,
    at: datetime,
    *,
    region: str | None = None,
    environment: str | None = None,
    service: str | None = None,
    horizon: timedelta = HORIZON,
    overrides: Sequence[Override] = (),
) -> Decision:
    """The decision at `at` for one region, or the strictest over every region (the
    configured ones and those the calendar's weddings are served from), with the first
    instant at which every region considered allows a deploy. Above NORMAL, an approved,
    unexpired override in scope (for every region when none is given) lets it through."""
    at = _aware(at)
    regions = [region] if region is not None else policy.all_regions()
    if not regions:
        raise InvalidValue(
            "the freeze policy names no region: add [regions] to it or pass --region"
        )
    evaluators = [Evaluator(policy, r) for r in regions]
    reasons: list[Reason] = []
    for ev in evaluators:
        reasons += [
            Reason(r.level, r.text if region is not None else f"{ev.region}: {r.text}")
            for r in ev.reasons_at(at, environment, service)
        ]
    ordered = tuple(sorted(set(reasons), key=lambda r: (-r.level, r.text)))
    level = ordered[0].level if ordered else Level.NORMAL
    lifted = covering(overrides, environment, service, region, at) if level else None
    return Decision(
        at, level, ordered, _all_allowed(evaluators, at, environment, service, horizon), lifted
    )


def _all_allowed(
    evaluators: Sequence[Evaluator],
    at: datetime,
    environment: str | None,
    service: str | None,
    horizon: timedelta,
) -> datetime | None:
    """The first instant from `at` on at which every evaluator's level is NORMAL: their
    timelines over a growing span, swept together."""
    if all(ev.level_at(at, environment, service) is Level.NORMAL for ev in evaluators):
        return at
    start, limit, chunk = at, at + horizon, _FIRST_CHUNK
    while start < limit:
        end = min(start + chunk, limit)
        blocked = [ev.blocked(start, end, environment, service) for ev in evaluators]
        candidate = start
        moved = True
        while moved and candidate < end:
            moved = False
            for spans in blocked:
                for a, b in spans:
                    if a <= candidate < b:
                        candidate, moved = b, True
        if candidate < end:
            return candidate
        start, chunk = end, min(chunk * 2, _CHUNK)
    return None

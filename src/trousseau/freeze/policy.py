"""The protection policy as values: recurring wall-clock windows, the wedding calendar and
explicit freezes, per region; read from one data file (`policy_from_mapping` parses it, pure).

A region is a configured name mapped to an IANA zone, or an IANA zone itself. Windows are in
the region's local wall-clock time, half-open `[start, end)`, and are evaluated by converting
the instant to local time: a window's length follows the wall clock across a DST change, and
in a repeated hour (autumn) a local time inside the window is inside both times.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from trousseau.errors import SettingsError
from trousseau.freeze.levels import Level

DAY_SECONDS = 24 * 3600
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class Scope:
    """Where a rule applies: regions, environments, services (None: all of them)."""

    regions: frozenset[str] | None = None
    environments: frozenset[str] | None = None
    services: frozenset[str] | None = None

    def covers(self, region: str, environment: str | None, service: str | None) -> bool:
        return (
            (self.regions is None or region in self.regions)
            and (
                self.environments is None or environment is None or environment in self.environments
            )
            and (self.services is None or service is None or service in self.services)
        )


@dataclass(frozen=True)
class Window:
    """A recurring wall-clock window: on `days` (0 Monday .. 6 Sunday) of the local date, in
    `months` (1-12; None: all), from `start` to `end` seconds after local midnight (end up to
    86,400: midnight at its end)."""

    level: Level
    days: frozenset[int]
    start: int
    end: int
    name: str
    months: frozenset[int] | None = None
    scope: Scope = Scope()

    def contains(self, local: datetime) -> bool:
        seconds = local.hour * 3600 + local.minute * 60 + local.second
        return (
            local.weekday() in self.days
            and (self.months is None or local.month in self.months)
            and self.start <= seconds < self.end
        )


@dataclass(frozen=True)
class Freeze:
    """A one-off freeze: `[start, end)` at `level`, for `reason`, within `scope`."""

    start: datetime
    end: datetime
    level: Level
    reason: str
    scope: Scope = Scope()


@dataclass(frozen=True)
class CalendarWedding:
    """A wedding in the calendar: its ceremony instant and the region it is served from."""

    ref: str
    ceremony: datetime
    region: str


@dataclass(frozen=True)
class WeddingRule:
    """How a wedding raises its region: MAXIMUM from `maximum_before` before its ceremony
    to `maximum_after` after it, HIGH from `high_before` before it."""

    maximum_before: timedelta = timedelta(hours=2)
    maximum_after: timedelta = timedelta(hours=12)
    high_before: timedelta = timedelta(hours=24)
    ceremony_time: time = time(15, 0)
    """The ceremony's local time when the calendar does not say."""


@dataclass(frozen=True)
class Policy:
    regions: Mapping[str, str]
    """Configured region name -> IANA zone."""
    windows: tuple[Window, ...] = ()
    freezes: tuple[Freeze, ...] = ()
    weddings: tuple[CalendarWedding, ...] = ()
    wedding_rule: WeddingRule = field(default_factory=WeddingRule)

    def zone(self, region: str) -> ZoneInfo:
        """The region's zone: its configured one, or the region read as an IANA zone."""
        name = self.regions.get(region, region)
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            known = ", ".join(sorted(self.regions)) or "none"
            raise SettingsError(
                f"region {region!r} is neither a configured region ({known}) nor an IANA time "
                "zone: add it under [regions] in the freeze policy or use a zone like "
                "Europe/London"
            ) from None

    def with_weddings(self, weddings: Sequence[CalendarWedding]) -> Policy:
        return Policy(self.regions, self.windows, self.freezes, tuple(weddings), self.wedding_rule)

    def all_regions(self) -> list[str]:
        """The configured regions and those the calendar's weddings are served from."""
        return sorted({*self.regions, *(w.region for w in self.weddings)})


def ceremony_instant(day: date, zone: str, at: time | None, rule: WeddingRule) -> datetime:
    """A ceremony's instant from its local date, zone and time (the rule's default time)."""
    return datetime.combine(day, at or rule.ceremony_time, tzinfo=ZoneInfo(zone))


# --- the data file --------------------------------------------------------------------------


def _clock(value: Any, what: str) -> int:
    text = str(value)
    try:
        hours, minutes = (int(part) for part in text.split(":"))
    except ValueError:
        raise SettingsError(f"{what}: {text!r} is not a time HH:MM") from None
    if not (0 <= hours <= 24 and 0 <= minutes < 60) or (hours == 24 and minutes):
        raise SettingsError(f"{what}: {text!r} is not a time from 00:00 to 24:00")
    return hours * 3600 + minutes * 60


def _level(value: Any, what: str) -> Level:
    try:
        return Level[str(value).upper()]
    except KeyError:
        raise SettingsError(f"{what}: level {value!r} is not normal, high or maximum") from None


def _names(value: Any) -> frozenset[str] | None:
    if value is None:
        return None
    return frozenset(str(v) for v in (value if isinstance(value, list) else [value]))


def _scope(entry: Mapping[str, Any]) -> Scope:
    return Scope(
        regions=_names(entry.get("regions")),
        environments=_names(entry.get("environments")),
        services=_names(entry.get("services")),
    )


def _instant(value: Any, what: str) -> datetime:
    moment = value if isinstance(value, datetime) else None
    if moment is None:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            raise SettingsError(f"{what}: {value!r} is not an ISO 8601 instant") from None
    if moment.tzinfo is None:
        raise SettingsError(
            f"{what}: {value!r} has no UTC offset (write it like 2026-06-13T10:00:00+02:00)"
        )
    return moment


def policy_from_mapping(data: Mapping[str, Any], *, source: str = "the freeze policy") -> Policy:
    """A policy from the data file's contents (TOML read into a mapping); SettingsError naming
    the entry for anything it cannot read."""
    regions = {str(k): str(v) for k, v in dict(data.get("regions", {})).items()}
    windows: list[Window] = []
    for i, entry in enumerate(data.get("windows", []), 1):
        what = f"{source}: windows entry {i}"
        days = entry.get("days", [])
        try:
            numbers = frozenset(WEEKDAYS.index(str(d).lower()) for d in days)
        except ValueError:
            raise SettingsError(f"{what}: days must be weekday names (monday .. sunday)") from None
        start, end = (
            _clock(entry.get("start", "00:00"), what),
            _clock(entry.get("end", "24:00"), what),
        )
        if start >= end:
            raise SettingsError(f"{what}: start must be before end (a window ends by 24:00)")
        months = entry.get("months")
        if months is not None and not all(1 <= int(m) <= 12 for m in months):
            raise SettingsError(f"{what}: months are 1 to 12")
        windows.append(
            Window(
                level=_level(entry.get("level"), what),
                days=numbers,
                start=start,
                end=end,
                name=str(entry.get("name", f"window {i}")),
                months=frozenset(int(m) for m in months) if months is not None else None,
                scope=_scope(entry),
            )
        )
    freezes: list[Freeze] = []
    for i, entry in enumerate(data.get("freezes", []), 1):
        what = f"{source}: freezes entry {i}"
        begins, ends = _instant(entry.get("from"), what), _instant(entry.get("to"), what)
        if begins >= ends:
            raise SettingsError(f"{what}: from must be before to")
        level = _level(entry.get("level"), what)
        freezes.append(Freeze(begins, ends, level, str(entry.get("reason", "")), _scope(entry)))
    rule_data = dict(data.get("weddings", {}))
    ceremony = rule_data.get("ceremony_time", "15:00")
    seconds = _clock(ceremony, f"{source}: weddings.ceremony_time")
    rule = WeddingRule(
        maximum_before=timedelta(hours=float(rule_data.get("maximum_hours_before", 2))),
        maximum_after=timedelta(hours=float(rule_data.get("maximum_hours_after", 12))),
        high_before=timedelta(hours=float(rule_data.get("high_hours_before", 24))),
        ceremony_time=time(seconds // 3600 % 24, seconds % 3600 // 60),
    )
    policy = Policy(regions, tuple(windows), tuple(freezes), (), rule)
    for name in regions:
        policy.zone(name)
    return policy

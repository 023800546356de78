"""The policy written for the tools teams already run: Argo CD sync windows, GitLab deploy
freeze periods, a GitHub Actions gate (pure: a policy and a horizon in, documents out).

Each target is written to agree with trousseau at every instant of the horizon, or to say
where it cannot:

- **Argo CD** evaluates a window's cron in its time zone at the offset of the current
  moment, with an absolute duration; for a window that starts and ends on one local day that
  is the local wall clock, so a recurring window is written once as a cron in its zone.
  HIGH becomes a deny window with `manualSync` (a person may still sync), MAXIMUM a deny
  window without it. A window opens just after its start instant (Argo's test is strict).
- **GitLab** freezes a pipeline when the last `freeze_start` is at or before its creation and
  the next `freeze_end` after that start is at or after it; its crons follow the zone's wall
  clock but a start or end in a skipped or repeated local hour is not reliable, so a window
  with such an occurrence in the horizon is written as dated UTC periods instead (and
  reported). GitLab has no approval: periods freeze from `freeze_level` (HIGH by default).
- Weddings and one-off freezes are instants, not wall-clock rules: they are written as dated
  UTC crons (`M H D Mo *`), rounded outward to the minute (reported when that widened one).

Cron has no year: a dated cron fires again a year later. The horizon is at most 365 days,
every dated piece lies inside it, and the export ends (`valid_until`, regenerate before it)
before the first instant where a dated piece's repeat from the year before would reach back
into the horizon.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from trousseau.errors import InvalidValue
from trousseau.freeze.evaluate import Evaluator
from trousseau.freeze.levels import Interval, Level
from trousseau.freeze.policy import DAY_SECONDS, Policy, Window

MAX_HORIZON = timedelta(days=365)
DEFAULT_HORIZON = MAX_HORIZON
_MINUTE = timedelta(minutes=1)
_CRON_DOW = {0: 1, 1: 2, 2: 3, 3: 4, 4: 5, 5: 6, 6: 0}
"""Python's weekday (Monday 0) to cron's (Sunday 0)."""


@dataclass(frozen=True)
class Piece:
    """A dated span `[start, end)` at one level, minute-aligned, in UTC."""

    start: datetime
    end: datetime
    level: Level
    description: str


@dataclass(frozen=True)
class Recurring:
    """A recurring wall-clock window written as crons in its zone."""

    window: Window
    zone: str


@dataclass
class Plan:
    """What a target must hold for one region, environment and service over the horizon."""

    region: str
    zone: str
    start: datetime
    valid_until: datetime
    recurring: list[Recurring] = field(default_factory=list)
    pieces: list[Piece] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _floor(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


def _ceil(at: datetime) -> datetime:
    down = _floor(at)
    return down if down == at else down + _MINUTE


def _only(policy: Policy, windows: Sequence[Window], *, dated: bool) -> Policy:
    return Policy(
        policy.regions,
        tuple(windows),
        policy.freezes if dated else (),
        policy.weddings if dated else (),
        policy.wedding_rule,
    )


def _merged(intervals: Sequence[Interval]) -> list[tuple[datetime, datetime, Level, str]]:
    """Adjacent intervals at one level as one span, their reasons joined."""
    spans: list[tuple[datetime, datetime, Level, list[str]]] = []
    for iv in intervals:
        texts = [r.text for r in iv.reasons]
        if spans and spans[-1][1] == iv.start and spans[-1][2] is iv.level:
            a, _, level, seen = spans[-1]
            spans[-1] = (a, iv.end, level, seen + [t for t in texts if t not in seen])
        else:
            spans.append((iv.start, iv.end, iv.level, texts))
    return [(a, b, level, "; ".join(texts)) for a, b, level, texts in spans]


def _pieces(intervals: Sequence[Interval], floor: Level, notes: list[str]) -> list[Piece]:
    pieces: list[Piece] = []
    for iv_start, iv_end, level, text in _merged(intervals):
        if level < floor or level is Level.NORMAL:
            continue
        start, end = _floor(iv_start), _ceil(iv_end)
        if (start, end) != (iv_start, iv_end):
            notes.append(
                f"{text}: {iv_start.isoformat()} to {iv_end.isoformat()} widened to whole "
                "minutes (cron has no seconds)"
            )
        pieces.append(Piece(start, end, level, text))
    return pieces


def _year_before(at: datetime) -> datetime | None:
    try:
        return at.replace(year=at.year - 1)
    except ValueError:  # 29 February: the cron fires only in leap years
        return None


def _clip_to_ghosts(plan: Plan) -> None:
    """End the plan before the first dated piece whose firing a year earlier would still be
    running at the plan's start, and drop the pieces from there on."""
    kept: list[Piece] = []
    for piece in sorted(plan.pieces, key=lambda p: p.start):
        ghost = _year_before(piece.start)
        if piece.start >= plan.valid_until:
            break
        if ghost is not None and ghost + (piece.end - piece.start) > plan.start:
            plan.valid_until = piece.start
            plan.notes.append(
                f"valid until {piece.start.isoformat()}: the dated cron of {piece.description} "
                "would also fire a year earlier and reach into the horizon"
            )
            break
        kept.append(piece)
    plan.pieces = kept


def _edges_unreliable(window: Window, zone: ZoneInfo, first: date, last: date) -> date | None:
    """The first local date in `[first, last]` on which the window starts or ends in a
    skipped or repeated local hour (None: none)."""
    day = first
    while day <= last:
        if day.weekday() in window.days and (window.months is None or day.month in window.months):
            for seconds in (window.start, window.end):
                local_day = day + timedelta(days=seconds // DAY_SECONDS)
                rest = seconds % DAY_SECONDS
                naive = datetime(local_day.year, local_day.month, local_day.day) + timedelta(
                    seconds=rest
                )
                early = naive.replace(tzinfo=zone, fold=0)
                late = naive.replace(tzinfo=zone, fold=1)
                round_trip = early.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
                if early.utcoffset() != late.utcoffset() or round_trip != naive:
                    return day
        day += timedelta(days=1)
    return None


def plan(
    policy: Policy,
    region: str,
    *,
    start: datetime,
    horizon: timedelta = DEFAULT_HORIZON,
    environment: str | None = None,
    service: str | None = None,
    floor: Level = Level.HIGH,
    wall_clock_safe: bool = True,
) -> Plan:
    """What to write for `region`: its recurring windows as crons (those whose every
    occurrence a wall-clock cron gets right when `wall_clock_safe` is False) and everything
    else as dated pieces, at `floor` and above."""
    if start.tzinfo is None:
        raise InvalidValue(f"the export's start {start} has no UTC offset")
    if not timedelta(0) < horizon <= MAX_HORIZON:
        raise InvalidValue(
            f"an export's horizon is 1 day to {MAX_HORIZON.days} days (got {horizon}): cron "
            "has no year, so a longer one would repeat its dated windows"
        )
    start = start.astimezone(UTC)
    end = start + horizon
    zone = policy.zone(region)
    result = Plan(region, zone.key, start, end)
    as_pieces: list[Window] = []
    first, last = start.astimezone(zone).date(), end.astimezone(zone).date()
    for window in policy.windows:
        if not window.scope.covers(region, environment, service) or window.level < floor:
            continue
        bad = None if wall_clock_safe else _edges_unreliable(window, zone, first, last)
        if bad is None:
            result.recurring.append(Recurring(window, zone.key))
        else:
            as_pieces.append(window)
            result.notes.append(
                f"{window.name} ({zone.key}) starts or ends in a skipped or repeated hour on "
                f"{bad.isoformat()}: written as dated UTC periods"
            )
    dated = _only(policy, as_pieces, dated=True)
    intervals = Evaluator(dated, region).timeline(start, end, environment, service)
    result.pieces = _pieces(intervals, floor, result.notes)
    _clip_to_ghosts(result)
    return result


# --- cron ------------------------------------------------------------------------------


def _list(values: Sequence[int]) -> str:
    """Cron list with ranges: [1, 2, 3, 5] -> "1-3,5"."""
    ordered = sorted(set(values))
    parts: list[str] = []
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        parts.append(str(ordered[i]) if i == j else f"{ordered[i]}-{ordered[j]}")
        i = j + 1
    return ",".join(parts)


def _weekly(seconds: int, days: frozenset[int], months: frozenset[int] | None) -> str:
    shift, rest = divmod(seconds, DAY_SECONDS)
    dows = [_CRON_DOW[(d + shift) % 7] for d in days]
    month_field = "*" if months is None or shift else _list(sorted(months))
    return f"{rest % 3600 // 60} {rest // 3600} * {month_field} {_list(dows)}"


def _dated(at: datetime) -> str:
    return f"{at.minute} {at.hour} {at.day} {at.month} *"


def go_duration(span: timedelta) -> str:
    """A Go duration string (Argo CD): 12h, 1h30m, 45m."""
    minutes = int(span.total_seconds() // 60)
    hours, rest = divmod(minutes, 60)
    text = (f"{hours}h" if hours else "") + (f"{rest}m" if rest else "")
    return text or "0m"


# --- Argo CD ---------------------------------------------------------------------------


def argocd_windows(plan: Plan, applications: Sequence[str]) -> list[dict[str, object]]:
    """`spec.syncWindows` entries of an AppProject."""
    windows: list[dict[str, object]] = []
    for rec in plan.recurring:
        w = rec.window
        windows.append(
            {
                "kind": "deny",
                "schedule": _weekly(w.start, w.days, w.months),
                "duration": go_duration(timedelta(seconds=w.end - w.start)),
                "timeZone": rec.zone,
                "manualSync": w.level is Level.HIGH,
                "applications": list(applications),
                "description": f"trousseau: {w.name} ({w.level.name.lower()})",
            }
        )
    for piece in plan.pieces:
        windows.append(
            {
                "kind": "deny",
                "schedule": _dated(piece.start),
                "duration": go_duration(piece.end - piece.start),
                "timeZone": "UTC",
                "manualSync": piece.level is Level.HIGH,
                "applications": list(applications),
                "description": f"trousseau: {piece.description} ({piece.level.name.lower()})",
            }
        )
    return windows


def argocd_project(
    plans: Sequence[Plan],
    *,
    project: str,
    namespace: str = "argocd",
    applications: Sequence[str] = ("*",),
) -> dict[str, object]:
    """An AppProject carrying the plans (one per region: deny wins, so their union is the
    strictest) as sync windows; merge its `spec.syncWindows` into the real project."""
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": {
            "name": project,
            "namespace": namespace,
            "annotations": {
                "trousseau.io/regions": ",".join(p.region for p in plans),
                "trousseau.io/generated-from": min(p.start for p in plans).isoformat(),
                "trousseau.io/regenerate-before": _valid_until(plans).isoformat(),
            },
        },
        "spec": {"syncWindows": [w for p in plans for w in argocd_windows(p, applications)]},
    }


def _valid_until(plans: Sequence[Plan]) -> datetime:
    if not plans:
        raise InvalidValue("nothing to export: no region given and none configured")
    return min(p.valid_until for p in plans)


# --- GitLab ----------------------------------------------------------------------------


def gitlab_periods(plan: Plan) -> list[dict[str, str]]:
    """Deploy freeze periods (`freeze_start`, `freeze_end`, `cron_timezone`) as GitLab's
    API takes them."""
    periods: list[dict[str, str]] = []
    for rec in plan.recurring:
        w = rec.window
        periods.append(
            {
                "freeze_start": _weekly(w.start, w.days, w.months),
                "freeze_end": _weekly(w.end, w.days, None),
                "cron_timezone": rec.zone,
            }
        )
    for piece in plan.pieces:
        periods.append(
            {
                "freeze_start": _dated(piece.start),
                "freeze_end": _dated(piece.end),
                "cron_timezone": "UTC",
            }
        )
    return periods


def gitlab_document(plans: Sequence[Plan]) -> dict[str, object]:
    """Every region's periods (their union is the strictest), when to regenerate, and what
    was widened or written as dated periods."""
    return {
        "regenerate_before": _valid_until(plans).isoformat(),
        "freeze_periods": [period for p in plans for period in gitlab_periods(p)],
        "notes": [f"{p.region}: {n}" for p in plans for n in p.notes],
    }


# --- GitHub Actions --------------------------------------------------------------------


def github_step(*, environment: str, service: str, region: str | None = None) -> dict[str, object]:
    """A workflow step that runs the gate itself when the job runs: nothing to regenerate,
    the catalog's calendar and overrides are read live. Exit 3 (needs approval) and 4
    (deny) fail the step."""
    command = f"trousseau freeze check --env {environment} --service {service}"
    if region:
        command += f" --region {region}"
    return {
        "name": f"Deploy protection for {service} in {environment} (trousseau)",
        "env": {
            "TROUSSEAU_CATALOG_URL": "${{ secrets.TROUSSEAU_CATALOG_URL }}",
            "TROUSSEAU_ACTOR": "${{ github.actor }}",
        },
        "run": command,
    }

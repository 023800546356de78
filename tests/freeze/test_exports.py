"""The exports replayed through each tool's own semantics, re-implemented here from its
documentation and source (not from trousseau's code), agree with `freeze check` at every
hidden instant of the horizon; the AppProject validates against Argo CD's published CRD.

Argo CD (pkg/apis/application/v1alpha1/types.go, SyncWindow.active): the instant is moved
into the window's zone at the offset of the current moment, the cron is matched on that
fixed-offset clock, and the window is active when the next firing after `now - duration` is
before `now`. Deny wins; manual syncs pass only if every active deny window allows them.

GitLab (Ci::FreezePeriod): a pipeline is frozen when the last `freeze_start` firing at or
before its creation, and the first `freeze_end` firing after that start, enclose it
(both ends included), crons read in `cron_timezone`.
"""

from __future__ import annotations

import copy
import random
import re
import shlex
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from tests.crd import strict_crd_schema
from tests.freeze.test_evaluate import ZONES
from trousseau.cli import app
from trousseau.freeze import (
    DEFAULT_POLICY,
    CalendarWedding,
    Evaluator,
    Freeze,
    Level,
    Scope,
    Window,
    load_policy,
)
from trousseau.freeze.exports import (
    argocd_project,
    github_step,
    gitlab_document,
    plan,
)
from trousseau.freeze.policy import Policy

FIXTURES = Path(__file__).parent / "fixtures" / "argocd"
START = datetime(2026, 12, 4, 9, 17, 23, tzinfo=UTC)

# --- cron, as robfig/cron and fugit read five fields --------------------------------------


def _field(text: str, lo: int, hi: int) -> tuple[set[int], bool]:
    if text == "*":
        return set(range(lo, hi + 1)), True
    values: set[int] = set()
    for part in text.split(","):
        a, _, b = part.partition("-")
        values.update(range(int(a), int(b or a) + 1))
    return values, False


class Cron:
    def __init__(self, expr: str) -> None:
        minute, hour, dom, month, dow = expr.split()
        self.minutes, _ = _field(minute, 0, 59)
        self.hours, _ = _field(hour, 0, 23)
        self.doms, self.dom_star = _field(dom, 1, 31)
        self.months, _ = _field(month, 1, 12)
        self.dows, self.dow_star = _field(dow, 0, 6)

    def day_matches(self, day: date) -> bool:
        dom_ok = day.day in self.doms
        dow_ok = (day.weekday() + 1) % 7 in self.dows
        day_ok = dom_ok and dow_ok if self.dom_star or self.dow_star else dom_ok or dow_ok
        return day.month in self.months and day_ok

    def dated(self) -> tuple[int, int] | None:
        """(month, day) of a cron firing on one date a year, else None."""
        if self.dom_star or len(self.doms) != 1 or len(self.months) != 1 or not self.dow_star:
            return None
        return next(iter(self.months)), next(iter(self.doms))

    def wall_times(self, day: date) -> list[datetime]:
        if not self.day_matches(day):
            return []
        return [
            datetime(day.year, day.month, day.day, h, m)
            for h in sorted(self.hours)
            for m in sorted(self.minutes)
        ]


def _go_duration(text: str) -> timedelta:
    assert re.fullmatch(r"(\d+h)?(\d+m)?", text), text
    hours = re.search(r"(\d+)h", text)
    minutes = re.search(r"(\d+)m", text)
    return timedelta(
        hours=int(hours.group(1)) if hours else 0, minutes=int(minutes.group(1)) if minutes else 0
    )


# --- Argo CD ------------------------------------------------------------------------------


def argo_active(window: dict, now: datetime) -> bool:
    zone = ZoneInfo(window.get("timeZone") or "UTC")
    offset = now.astimezone(zone).utcoffset()  # the offset of the current moment
    shifted = (now.astimezone(UTC) + offset).replace(tzinfo=None)
    duration = _go_duration(window["duration"])
    cron = Cron(window["schedule"])
    after = shifted - duration
    day = after.date()
    while day <= shifted.date():
        for fire in cron.wall_times(day):
            if after < fire < shifted:  # Next(after) is strictly after; Before is strict
                return True
        day += timedelta(days=1)
    return False


def argo_level(windows: list[dict], now: datetime) -> Level:
    active = [w for w in windows if w["kind"] == "deny" and argo_active(w, now)]
    if not active:
        return Level.NORMAL
    return Level.HIGH if all(w.get("manualSync") for w in active) else Level.MAXIMUM


# --- GitLab -------------------------------------------------------------------------------


def _instant(wall: datetime, zone: ZoneInfo) -> datetime:
    return wall.replace(tzinfo=zone).astimezone(UTC)


def _yearly(cron: Cron, zone: ZoneInfo, years: range) -> list[datetime]:
    month, dom = cron.dated()
    found = []
    for year in years:
        try:
            day = date(year, month, dom)
        except ValueError:
            continue
        found += [_instant(w, zone) for w in cron.wall_times(day)]
    return found


def _last_start(cron: Cron, zone: ZoneInfo, now: datetime) -> datetime | None:
    local = now.astimezone(zone)
    if cron.dated():
        fired = [t for t in _yearly(cron, zone, range(local.year - 1, local.year + 1)) if t <= now]
        return max(fired, default=None)
    day = local.date()
    for _ in range(400):
        fired = [t for t in map(lambda w: _instant(w, zone), cron.wall_times(day)) if t <= now]
        if fired:
            return max(fired)
        day -= timedelta(days=1)
    return None


def _next_end(cron: Cron, zone: ZoneInfo, after: datetime) -> datetime | None:
    local = after.astimezone(zone)
    if cron.dated():
        fired = [t for t in _yearly(cron, zone, range(local.year, local.year + 2)) if t > after]
        return min(fired, default=None)
    day = local.date()
    for _ in range(400):
        fired = [t for t in map(lambda w: _instant(w, zone), cron.wall_times(day)) if t > after]
        if fired:
            return min(fired)
        day += timedelta(days=1)
    return None


class GitLabPeriod:
    def __init__(self, period: dict) -> None:
        self.zone = ZoneInfo(period["cron_timezone"])
        self.start = Cron(period["freeze_start"])
        self.end = Cron(period["freeze_end"])
        self.dated = not self.start.dom_star

    def frozen(self, now: datetime) -> bool:
        start = _last_start(self.start, self.zone, now)
        if start is None:
            return False
        end = _next_end(self.end, self.zone, start)
        return end is not None and start <= now <= end


# --- the policy and the hidden instants ----------------------------------------------------


def _policy(seed: int = 7) -> Policy:
    base = load_policy(DEFAULT_POLICY)
    rng = random.Random(seed)
    regions = {**base.regions, **{z: z for z in ZONES}}
    windows = (
        *base.windows,
        # starts in New York's and London's spring-forward gaps, ends in their repeated hour
        Window(Level.HIGH, frozenset({6}), 2 * 3600 + 1800, 3 * 3600 + 1800, "release train"),
        Window(
            Level.MAXIMUM,
            frozenset({2}),
            9 * 3600,
            11 * 3600,
            "payments window",
            scope=Scope(services=frozenset({"payments"})),
        ),
    )
    weddings = []
    for i in range(120):
        zone = rng.choice(ZONES)
        day = START.date() + timedelta(days=rng.randrange(0, 380))
        ceremony = datetime.combine(day, datetime.min.time(), ZoneInfo(zone)) + timedelta(
            minutes=rng.randrange(9 * 60, 20 * 60, 15)
        )
        weddings.append(CalendarWedding(f"t/w{i}", ceremony, zone))
    freezes = (
        Freeze(
            datetime(2027, 3, 1, 8, 0, tzinfo=UTC),
            datetime(2027, 3, 3, 20, 0, tzinfo=UTC),
            Level.MAXIMUM,
            "release of 5.0",
            Scope(environments=frozenset({"production"})),
        ),
        Freeze(
            datetime(2027, 7, 20, 0, 0, tzinfo=ZoneInfo("Asia/Kolkata")),
            datetime(2027, 7, 22, 0, 0, tzinfo=ZoneInfo("Asia/Kolkata")),
            Level.HIGH,
            "monsoon data-centre move",
            Scope(regions=frozenset({"Asia/Kolkata", "india"})),
        ),
    )
    return Policy(regions, windows, freezes, tuple(weddings), base.wedding_rule)


def _hidden(ev: Evaluator, until: datetime, rng: random.Random, env: str, service: str):
    """Every edge of the region's timeline a second either side, and random instants."""
    found: set[datetime] = set()
    for piece in ev.timeline(START, until, env, service):
        for at in (piece.start - timedelta(seconds=1), piece.start + timedelta(seconds=1)):
            if START <= at < until:
                found.add(at)
    span = (until - START).total_seconds()
    for _ in range(300):
        found.add(START + timedelta(seconds=rng.uniform(0, span)))
    return sorted(found)


@pytest.mark.parametrize("service", ["api", "payments"])
def test_argocd_windows_agree_with_check_everywhere_in_the_horizon(service: str) -> None:
    policy = _policy()
    rng = random.Random(service)
    for region in [*ZONES, "uk"]:
        p = plan(policy, region, start=START, environment="production", service=service)
        windows = argocd_project([p], project="weddings")["spec"]["syncWindows"]
        assert p.valid_until > START + timedelta(days=300)
        ev = Evaluator(policy, region)
        for at in _hidden(ev, p.valid_until, rng, "production", service):
            expected = ev.level_at(at, "production", service)
            assert argo_level(windows, at) is expected, (region, at.isoformat(), expected)


@pytest.mark.parametrize("floor", [Level.HIGH, Level.MAXIMUM])
def test_gitlab_periods_agree_with_check_everywhere_in_the_horizon(floor: Level) -> None:
    policy = _policy()
    rng = random.Random(int(floor))
    for region in ZONES:
        p = plan(policy, region, start=START, environment="production", service="api",
                 floor=floor, wall_clock_safe=False)  # fmt: skip
        periods = [GitLabPeriod(x) for x in gitlab_document([p])["freeze_periods"]]
        ev = Evaluator(policy, region)
        for at in _hidden(ev, p.valid_until, rng, "production", "api"):
            expected = ev.level_at(at, "production", "api") >= floor
            got = any(period.frozen(at) for period in periods)
            assert got is expected, (region, at.isoformat(), expected)


def test_gitlab_writes_a_window_with_an_edge_in_a_skipped_hour_as_dated_periods() -> None:
    p = plan(_policy(), "America/New_York", start=START, wall_clock_safe=False)
    assert any("release train" in n and "skipped or repeated" in n for n in p.notes)
    assert all(r.window.name != "release train" for r in p.recurring)
    kolkata = plan(_policy(), "Asia/Kolkata", start=START, wall_clock_safe=False)
    assert not any("skipped" in n for n in kolkata.notes)  # no DST: every window recurs
    assert {r.window.name for r in kolkata.recurring} >= {"release train", "Friday evening"}


def test_a_dated_window_is_never_repeated_into_the_horizon_by_cron() -> None:
    """A wedding near the horizon's end would fire again a year earlier and overlap its
    start: the export ends before it instead."""
    base = load_policy(DEFAULT_POLICY)
    late = CalendarWedding("t/late", START + timedelta(days=364, hours=20), "uk")
    p = plan(base.with_weddings([late]), "uk", start=START)
    # its MAXIMUM (2 h before the ceremony) runs to the horizon's end: a year earlier that
    # would still run at the start
    assert p.valid_until == (START + timedelta(days=364, hours=18)).replace(second=0)
    assert "would also fire a year earlier" in p.notes[-1]
    windows = argocd_project([p], project="x")["spec"]["syncWindows"]
    ev = Evaluator(base.with_weddings([late]), "uk")
    at = START + timedelta(hours=2)
    assert argo_level(windows, at) is ev.level_at(at)


def test_seconds_are_widened_outward_and_reported() -> None:
    base = load_policy(DEFAULT_POLICY)
    odd = Freeze(
        datetime(2027, 1, 13, 10, 0, 30, tzinfo=UTC),
        datetime(2027, 1, 13, 11, 0, 10, tzinfo=UTC),
        Level.MAXIMUM,
        "hotfix",
    )
    policy = Policy(base.regions, base.windows, (odd,), (), base.wedding_rule)
    p = plan(policy, "uk", start=START)
    assert any("widened to whole minutes" in n for n in p.notes)
    windows = argocd_project([p], project="x")["spec"]["syncWindows"]
    for second in range(0, 120):
        at = datetime(2027, 1, 13, 10, 0, 0, tzinfo=UTC) + timedelta(seconds=second, microseconds=1)
        assert argo_level(windows, at) is Level.MAXIMUM  # never less protected
    assert argo_level(windows, datetime(2027, 1, 13, 11, 1, 1, tzinfo=UTC)) is Level.NORMAL


def test_argocd_opens_a_window_just_after_its_start_instant() -> None:
    """Argo CD's test is strict: at exactly 10:00:00.000 on a Saturday the window is not yet
    active, a microsecond later it is (documented in docs/protection.md)."""
    p = plan(load_policy(DEFAULT_POLICY), "uk", start=START)
    windows = argocd_project([p], project="x")["spec"]["syncWindows"]
    ten = datetime(2027, 1, 16, 10, 0, tzinfo=UTC)  # a Saturday, GMT, outside peak season
    assert argo_level(windows, ten) is Level.HIGH
    assert argo_level(windows, ten + timedelta(microseconds=1)) is Level.MAXIMUM


def test_the_appproject_validates_against_argo_cds_crd(tmp_path) -> None:
    schema = strict_crd_schema(FIXTURES / "appproject-crd.yaml")
    done = CliRunner().invoke(
        app,
        ["--data-dir", str(tmp_path / "data"), "freeze", "export", "argocd", "--project",
         "weddings", "--env", "production", "--service", "api", "--from",
         START.isoformat(), "--region", "uk", "--region", "india"],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    doc = yaml.safe_load(done.stdout)
    jsonschema.validate(doc, schema)
    assert doc["kind"] == "AppProject" and len(doc["spec"]["syncWindows"]) >= 10
    assert "regenerate before" in done.stderr
    broken = copy.deepcopy(doc)
    broken["spec"]["syncWindows"][0]["timezone"] = "Europe/London"  # a misspelt key
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_the_gitlab_export_is_json_gitlab_accepts(tmp_path) -> None:
    import json

    done = CliRunner().invoke(
        app,
        ["--data-dir", str(tmp_path / "data"), "freeze", "export", "gitlab", "--region",
         "America/New_York", "--from", START.isoformat(), "--horizon", "90"],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    body = json.loads(done.stdout)
    assert body["regenerate_before"] == (START + timedelta(days=90)).isoformat()
    for period in body["freeze_periods"]:
        assert set(period) == {"freeze_start", "freeze_end", "cron_timezone"}
        Cron(period["freeze_start"]), Cron(period["freeze_end"])
    too_long = CliRunner().invoke(
        app, ["--data-dir", str(tmp_path / "data"), "freeze", "export", "gitlab", "--horizon",
              "400"],
    )  # fmt: skip
    assert too_long.exit_code != 0 and "365 days" in str(too_long.exception)


def test_the_github_step_runs_the_gate_itself(tmp_path) -> None:
    step = github_step(environment="production", service="api", region="uk")
    args = shlex.split(str(step["run"]))
    assert args[:3] == ["trousseau", "freeze", "check"]
    saturday = "2026-06-13T12:00:00+01:00"
    done = CliRunner().invoke(
        app, ["--data-dir", str(tmp_path / "data"), *args[1:], "--at", saturday, "--json"]
    )
    assert done.exit_code == 4, done.output
    assert "${{ secrets.TROUSSEAU_CATALOG_URL }}" in str(step["env"])

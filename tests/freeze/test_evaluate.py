"""The freeze policy against an independent oracle (a few lines of zoneinfo written here), at
every DST transition from 2025 to 2030 and at random instants, in zones chosen for their
oddities; timelines and next-allowed instants checked against the oracle minute by minute."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trousseau.errors import InvalidValue, SettingsError
from trousseau.freeze import (
    CalendarWedding,
    Evaluator,
    Freeze,
    Level,
    Scope,
    decide,
    load_policy,
    policy_from_mapping,
)

ZONES = [
    "Europe/London",
    "America/New_York",
    "Australia/Sydney",
    "Asia/Kolkata",
    "Africa/Lagos",
    "Asia/Shanghai",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "America/Sao_Paulo",
    "Europe/Dublin",
]
PEAK = range(5, 11)


def oracle(at: datetime, zone: str) -> Level:
    """The default windows, written from the issue's words alone."""
    local = at.astimezone(ZoneInfo(zone))
    minutes = local.hour * 60 + local.minute
    day = local.weekday()
    if day == 5 and (local.month in PEAK or 600 <= minutes < 1320):
        return Level.MAXIMUM
    if day == 5 or (day == 4 and minutes >= 1080) or (day == 6 and minutes < 720):
        return Level.HIGH
    return Level.NORMAL


def transitions(zone: str) -> list[datetime]:
    """Every UTC offset change of `zone` from 2025 to 2030 (hour scan, then to the minute)."""
    tz = ZoneInfo(zone)
    found = []
    at = datetime(2025, 1, 1, tzinfo=UTC)
    end = datetime(2031, 1, 1, tzinfo=UTC)
    offset = at.astimezone(tz).utcoffset()
    while at < end:
        nxt = at + timedelta(hours=1)
        if nxt.astimezone(tz).utcoffset() != offset:
            minute = at
            while minute.astimezone(tz).utcoffset() == offset:
                minute += timedelta(minutes=1)
            found.append(minute)
            offset = nxt.astimezone(tz).utcoffset()
        at = nxt
    return found


@pytest.fixture(scope="module")
def policy():
    return load_policy()


@pytest.mark.parametrize("zone", ZONES)
def test_every_dst_transition_a_minute_either_side_agrees_with_the_oracle(policy, zone) -> None:
    ev = Evaluator(policy, zone)
    changes = transitions(zone)
    if zone not in ("Africa/Lagos", "Asia/Kolkata", "Asia/Shanghai", "America/Sao_Paulo"):
        assert len(changes) >= 10, zone
    rng = random.Random(zone)
    instants = [c + timedelta(minutes=d) for c in changes for d in (-1, 0, 1)]
    start = datetime(2025, 1, 1, tzinfo=UTC)
    instants += [start + timedelta(seconds=rng.randrange(6 * 365 * 86400)) for _ in range(3000)]
    for at in instants:
        assert ev.level_at(at) == oracle(at, zone), (zone, at, at.astimezone(ZoneInfo(zone)))


@pytest.mark.parametrize("zone", ZONES)
def test_next_allowed_is_the_oracles_first_normal_minute(policy, zone) -> None:
    ev = Evaluator(policy, zone)
    rng = random.Random(f"next {zone}")
    picks = [c - timedelta(hours=30) for c in transitions(zone)[:6]]
    picks += [
        datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(6 * 365 * 86400))
        for _ in range(25)
    ]
    for at in picks:
        expected = at
        if oracle(at, zone) is not Level.NORMAL:
            expected = at.replace(second=0, microsecond=0) + timedelta(minutes=1)
            while oracle(expected, zone) is not Level.NORMAL:
                expected += timedelta(minutes=1)
        assert ev.next_allowed(at) == expected, (zone, at)


@settings(max_examples=60, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    start=st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2030, 12, 1), timezones=st.just(UTC)
    ),
    hours=st.integers(min_value=1, max_value=24 * 20),
)
def test_the_timeline_is_contiguous_and_agrees_with_check(policy, zone, start, hours) -> None:
    ev = Evaluator(policy, zone)
    end = start + timedelta(hours=hours)
    pieces = ev.timeline(start, end)
    assert pieces[0].start == start and pieces[-1].end == end
    for a, b in itertools.pairwise(pieces):
        assert a.end == b.start and a.reasons != b.reasons
    rng = random.Random(str(start))
    for piece in pieces:
        assert piece.start < piece.end
        last = piece.end - timedelta(seconds=1)
        inner = piece.start + (piece.end - piece.start) * rng.random()
        for at in (piece.start, max(piece.start, last), inner):
            assert ev.level_at(at) == piece.level == oracle(at, zone), (zone, at)


def test_a_wedding_raises_its_region_around_its_ceremony(policy) -> None:
    ceremony = datetime(2026, 3, 11, 15, 0, tzinfo=ZoneInfo("Asia/Kolkata"))  # a Wednesday
    with_wedding = policy.with_weddings([CalendarWedding("studio/patel", ceremony, "india")])
    ev = Evaluator(with_wedding, "india")
    assert ev.level_at(ceremony - timedelta(hours=24, seconds=1)) is Level.NORMAL
    assert ev.level_at(ceremony - timedelta(hours=24)) is Level.HIGH
    assert ev.level_at(ceremony - timedelta(hours=2)) is Level.MAXIMUM
    assert ev.level_at(ceremony + timedelta(hours=12) - timedelta(seconds=1)) is Level.MAXIMUM
    assert ev.level_at(ceremony + timedelta(hours=12)) is Level.NORMAL
    decision = decide(with_wedding, ceremony, region="india")
    assert decision.level is Level.MAXIMUM
    assert decision.next_allowed == ceremony + timedelta(hours=12)
    assert any("studio/patel" in r.text for r in decision.reasons)
    assert Evaluator(with_wedding, "uk").level_at(ceremony) is Level.NORMAL  # other regions


def test_without_a_region_the_strictest_region_decides_and_all_must_allow(policy) -> None:
    at = datetime(2026, 1, 17, 9, 0, tzinfo=UTC)  # Saturday: 20:00 in Sydney, 09:00 in London
    decision = decide(policy, at)
    assert decision.level is Level.MAXIMUM
    assert decision.next_allowed is not None
    for region in policy.all_regions():
        assert Evaluator(policy, region).level_at(decision.next_allowed) is Level.NORMAL


def test_a_freeze_is_scoped_to_its_environment_and_service(policy) -> None:
    start = datetime(2026, 12, 22, tzinfo=UTC)  # a Tuesday
    frozen = policy_from_mapping(
        {
            "regions": {"uk": "Europe/London"},
            "freezes": [
                {
                    "from": "2026-12-22T00:00:00+00:00",
                    "to": "2026-12-23T00:00:00+00:00",
                    "level": "maximum",
                    "reason": "year-end",
                    "environments": ["production"],
                }
            ],
        }
    )
    ev = Evaluator(frozen, "uk")
    assert ev.level_at(start + timedelta(hours=3), "production", "api") is Level.MAXIMUM
    assert ev.level_at(start + timedelta(hours=3), "staging", "api") is Level.NORMAL
    assert ev.next_allowed(start, "production") == start + timedelta(days=1)
    assert Freeze(start, start, Level.HIGH, "x", Scope()).scope.covers("uk", None, None)


def test_bad_policies_and_instants_are_clear_errors(policy) -> None:
    with pytest.raises(SettingsError, match="Mars/Olympus"):
        Evaluator(policy, "Mars/Olympus")
    with pytest.raises(SettingsError, match=r"windows entry 1.*25:00"):
        policy_from_mapping({"windows": [{"level": "high", "days": ["friday"], "start": "25:00"}]})
    with pytest.raises(SettingsError, match="weekday"):
        policy_from_mapping({"windows": [{"level": "high", "days": ["funday"]}]})
    with pytest.raises(SettingsError, match="no UTC offset"):
        policy_from_mapping({"freezes": [{"from": "2026-01-01T00:00", "to": "2026-01-02T00:00"}]})
    with pytest.raises(InvalidValue, match="no UTC offset"):
        Evaluator(policy, "uk").level_at(datetime(2026, 1, 1))


@settings(max_examples=80, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    seed=st.integers(0, 10_000),
    env=st.sampled_from([None, "production", "staging"]),
)
def test_the_quick_level_and_blocked_spans_agree_with_the_reasons(policy, zone, seed, env) -> None:
    """`level_at` (no reasons written) and `blocked` (the sweep's spans) give what the
    reasons give, with weddings at the edges and scoped freezes in play."""
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(525_600))
    weddings = [
        CalendarWedding(f"w{i}", start + timedelta(minutes=rng.randrange(-2000, 20_000)), zone)
        for i in range(rng.randrange(0, 12))
    ]
    freezes = tuple(
        Freeze(a, a + timedelta(minutes=rng.randrange(1, 3000)), Level(rng.randrange(1, 3)),
               f"f{i}", Scope(environments=frozenset({"production"})) if i % 2 else Scope())
        for i, a in enumerate(start + timedelta(minutes=rng.randrange(0, 15_000)) for _ in range(3))
    )  # fmt: skip
    p = policy.with_weddings(weddings)
    p = type(p)(p.regions, p.windows, freezes, p.weddings, p.wedding_rule)
    ev = Evaluator(p, zone)
    end = start + timedelta(days=10)
    spans = ev.blocked(start, end, env, "api")
    for piece in ev.timeline(start, end, env, "api"):
        for at in (piece.start, piece.end - timedelta(seconds=1)):
            reasons = ev.reasons_at(at, env, "api")
            level = reasons[0].level if reasons else Level.NORMAL
            assert ev.level_at(at, env, "api") is level is piece.level
            assert any(a <= at < b for a, b in spans) is (level is not Level.NORMAL)

"""Retention: restic's keep-* rules over a studio's local hours, days, weeks, months, years."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trousseau.backup.retention import EMPTY_POLICY, Retention, plan_forget
from trousseau.errors import InvalidValue

PARIS = ZoneInfo("Europe/Paris")
ZONES = [
    ZoneInfo(name) for name in ("UTC", "Europe/Paris", "America/New_York", "Australia/Lord_Howe")
]
BUCKETS = ("last", "hourly", "daily", "weekly", "monthly", "yearly")


def _period(bucket: str, at: datetime, tz: ZoneInfo) -> object:
    """The period a snapshot falls in, written apart from the module's own keys."""
    local = at.astimezone(tz)
    return {
        "hourly": lambda: (local.year, local.month, local.day, local.hour, local.fold),
        "daily": lambda: (local.year, local.month, local.day),
        "weekly": lambda: tuple(local.isocalendar())[:2],
        "monthly": lambda: (local.year, local.month),
        "yearly": lambda: local.year,
    }[bucket]()


def _reference(snapshots, policy: Retention, tz: ZoneInfo) -> set[str]:
    """What a policy keeps, by grouping: per bucket, the newest snapshot of each of its N
    newest periods (`last`: the N newest snapshots); the union over the buckets."""
    ordered = sorted(snapshots, key=lambda s: (s[1], s[0]), reverse=True)
    kept: set[str] = set()
    for bucket in BUCKETS:
        count = getattr(policy, bucket)
        if bucket == "last":
            kept |= {sid for sid, _ in ordered[:count]}
            continue
        newest: dict[object, str] = {}
        for sid, at in ordered:
            newest.setdefault(_period(bucket, at, tz), sid)
        for period in sorted(newest, reverse=True)[:count]:
            kept.add(newest[period])
    return kept


instants = st.datetimes(
    min_value=datetime(2024, 1, 1),
    max_value=datetime(2027, 12, 31),
    timezones=st.just(UTC),
)
snapshot_lists = st.lists(
    st.tuples(st.text("0123456789abcdef", min_size=8, max_size=8), instants),
    unique_by=lambda s: s[0],
    max_size=40,
)
policies = st.builds(Retention, *[st.integers(0, 6) for _ in BUCKETS])


@settings(max_examples=300, deadline=None)
@given(snapshot_lists, policies, st.sampled_from(ZONES))
def test_a_plan_splits_every_snapshot_and_agrees_with_grouping(snapshots, policy, tz):
    plan = plan_forget(snapshots, policy, tz=tz)
    kept = [sid for sid, _ in plan.keep]
    assert sorted(kept + plan.forget) == sorted(sid for sid, _ in snapshots)
    assert not set(kept) & set(plan.forget)
    assert all(reasons for _, reasons in plan.keep)
    if policy.empty:
        assert plan.forget == []
        return
    assert set(kept) == _reference(snapshots, policy, tz)
    if snapshots:
        newest = max(snapshots, key=lambda s: (s[1], s[0]))[0]
        assert kept[0] == newest


@settings(max_examples=100, deadline=None)
@given(snapshot_lists, st.integers(1, 10), st.sampled_from(ZONES))
def test_last_n_keeps_exactly_the_n_newest(snapshots, n, tz):
    plan = plan_forget(snapshots, Retention(last=n), tz=tz)
    newest = sorted(snapshots, key=lambda s: (s[1], s[0]), reverse=True)[:n]
    assert plan.keep == [(sid, ("last",)) for sid, _ in newest]


def test_days_are_the_studios_local_days_across_a_daylight_saving_change():
    """25 October 2026 is 25 hours long in Paris (clocks go back at 03:00 CEST)."""
    start = datetime(2026, 10, 24, 22, 0, tzinfo=UTC)  # 25 Oct, 00:00 in Paris
    hourly = [(f"h{i:02d}", start + timedelta(hours=i)) for i in range(26)]
    plan = plan_forget(hourly, Retention(daily=2), tz=PARIS)
    # h24 is 23:00 on the 25th in Paris (22:00 UTC), h25 is 00:00 on the 26th
    assert plan.keep == [("h25", ("daily",)), ("h24", ("daily",))]
    in_utc = plan_forget(hourly, Retention(daily=2), tz=ZoneInfo("UTC"))
    assert [sid for sid, _ in in_utc.keep] == ["h25", "h01"]  # 23:00 UTC on the 25th, 24th
    # the repeated hour (02:00 CEST, then 02:00 CET) is two hours, not one
    by_hour = plan_forget(hourly, Retention(hourly=26), tz=PARIS)
    assert len(by_hour.keep) == 26 and by_hour.forget == []


def test_each_bucket_keeps_the_newest_of_its_periods_with_its_reasons():
    days = [(f"d{i}", datetime(2026, 6, 1, 12, tzinfo=UTC) + timedelta(days=i)) for i in range(30)]
    twice = [*days, ("d29-early", datetime(2026, 6, 30, 6, tzinfo=UTC))]
    plan = plan_forget(twice, Retention(last=1, daily=3, weekly=2, monthly=2), tz=PARIS)
    assert plan.keep == [
        ("d29", ("last", "daily", "weekly", "monthly")),  # Tuesday 30 June
        ("d28", ("daily",)),  # Monday 29 June, the same ISO week
        ("d27", ("daily", "weekly")),  # Sunday 28 June ends the week before
    ]  # monthly=2, but only June has snapshots: its newest is the one month kept
    assert "d29-early" in plan.forget


def test_an_empty_policy_keeps_everything_and_bad_input_is_refused():
    snaps = [("a", datetime(2026, 6, 1, tzinfo=UTC)), ("b", datetime(2026, 6, 2, tzinfo=UTC))]
    plan = plan_forget(snaps, Retention(), tz=PARIS)
    assert plan.keep == [("b", (EMPTY_POLICY,)), ("a", (EMPTY_POLICY,))]
    assert plan.forget == []
    with pytest.raises(InvalidValue, match="keep-daily is -1"):
        Retention(daily=-1)
    with pytest.raises(InvalidValue, match="listed twice"):
        plan_forget([*snaps, snaps[0]], Retention(last=1), tz=PARIS)
    with pytest.raises(InvalidValue, match="without a zone"):
        plan_forget([("n", datetime(2026, 6, 1))], Retention(last=1), tz=PARIS)
    assert plan_forget([], Retention(last=3), tz=PARIS).keep == []

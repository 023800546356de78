"""Pure scheduling rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from trousseau.errors import SettingsError
from trousseau.jobs import backoff_delay, claim_size, deadline_for, is_late
from trousseau.settings import DEFAULT_SLA_CLASSES

T0 = datetime(2026, 6, 13, 22, 50, tzinfo=UTC)


@pytest.mark.parametrize(
    ("sla", "delay"),
    [
        ("same-day", timedelta(minutes=30)),
        ("next-day", timedelta(hours=2)),
        ("standard", timedelta(hours=24)),
    ],
)
def test_default_sla_deadlines(sla, delay):
    assert deadline_for(sla, T0, DEFAULT_SLA_CLASSES) == T0 + delay


def test_deadline_is_the_same_instant_in_any_time_zone():
    from zoneinfo import ZoneInfo

    local = T0.astimezone(ZoneInfo("Pacific/Auckland"))
    assert deadline_for("same-day", local, DEFAULT_SLA_CLASSES) == T0 + timedelta(minutes=30)


def test_unknown_sla_names_the_known_ones():
    with pytest.raises(SettingsError, match="next-day, same-day, standard"):
        deadline_for("express", T0, DEFAULT_SLA_CLASSES)


def test_naive_instant_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        deadline_for("standard", T0.replace(tzinfo=None), DEFAULT_SLA_CLASSES)


@pytest.mark.parametrize("attempt", range(1, 12))
def test_backoff_grows_is_jittered_and_capped(attempt):
    low = backoff_delay(attempt, base_seconds=2, cap_seconds=600, rand=lambda: 0.0)
    high = backoff_delay(attempt, base_seconds=2, cap_seconds=600, rand=lambda: 0.999999)
    step = min(600, 2 * 2 ** (attempt - 1))
    assert low == timedelta(seconds=step / 2)
    assert step / 2 < high.total_seconds() <= step


def test_backoff_attempt_is_one_based():
    with pytest.raises(ValueError):
        backoff_delay(0, base_seconds=1, cap_seconds=1, rand=lambda: 0.5)


def test_claim_size_follows_job_duration():
    kw = {"window_ms": 50, "batch_max": 200}
    assert claim_size(0, 0.001, **kw) == 0
    assert claim_size(2, None, **kw) == 2  # unknown: one per slot
    assert claim_size(2, 0.5, **kw) == 2  # slow jobs: one per slot
    assert claim_size(2, 0.01, **kw) == 10  # 5 per slot fit in 50 ms
    assert claim_size(8, 0.00002, **kw) == 200  # no-op jobs: capped


def test_is_late():
    assert not is_late(T0, T0, T0)
    assert is_late(T0, T0 + timedelta(seconds=1), T0)
    assert is_late(T0, None, T0 + timedelta(seconds=1))

"""Backup health from the catalog's lags: pure, so every state is checked at a fixed instant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from trousseau.backup import BackupState, backup_health
from trousseau.catalog import BackupLag

NOW = datetime(2026, 6, 13, 15, 0, tzinfo=UTC)


def _lag(name: str, seconds: float, pending: int, last: datetime | None = NOW) -> BackupLag:
    oldest = NOW - timedelta(seconds=seconds) if pending else None
    return BackupLag(name, 10, pending, oldest, seconds, last)


def test_no_target_and_no_repository_is_not_configured():
    health = backup_health([], now=NOW, lag_target_seconds=60, targets=0)
    assert health.state is BackupState.NOT_CONFIGURED and not health.ok and not health.configured
    assert health.pending == 0 and health.lag_seconds == 0.0 and health.last_backup_at is None


def test_a_target_that_never_completed_a_run_protects_nothing():
    health = backup_health([], now=NOW, lag_target_seconds=60, targets=2)
    assert health.state is BackupState.NEVER_RUN and not health.ok and health.configured


def test_one_late_repository_makes_the_whole_late_and_the_worst_figures_show():
    earlier = NOW - timedelta(minutes=5)
    lags = [_lag("repo-a", 12.0, 3, earlier), _lag("repo-b", 61.0, 40, NOW), _lag("repo-c", 0, 0)]
    health = backup_health(lags, now=NOW, lag_target_seconds=60, targets=0)
    assert health.state is BackupState.LATE and not health.ok
    assert [r.late for r in health.repositories] == [False, True, False]
    assert (health.pending, health.lag_seconds, health.last_backup_at) == (40, 61.0, NOW)


def test_at_the_target_exactly_is_not_late():
    health = backup_health([_lag("repo-a", 60.0, 1)], now=NOW, lag_target_seconds=60, targets=1)
    assert health.state is BackupState.OK and health.ok
    assert health.repositories[0].last_backup_at == NOW

"""Readiness for a wedding day: every check's pass and fail, from facts (pure) and from the
catalog and settings (both backends), with the exit code CI or cron reads."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from typer.testing import CliRunner

from trousseau.cli import app
from trousseau.ops.readiness import Facts, Status, assess

READY = Facts(
    day=date(2027, 6, 19), weddings=12, photos=36_000, plan_peak=14, plan_error=None,
    max_replicas=50, live_workers=6, backup_targets=2, backup_lags=(("repo", 3.0),),
    lag_target_seconds=60, free_bytes=5_000_000_000_000, vault_url="file:///srv/vault",
    emergency_receivers=1, last_verify=(datetime(2027, 6, 17, 3, tzinfo=UTC), True),
)  # fmt: skip


def test_a_ready_day() -> None:
    result = assess(READY)
    assert result.ready and {c.status for c in result.checks} == {Status.OK}


@pytest.mark.parametrize(
    ("change", "name", "words"),
    [
        ({"plan_error": "the demand cannot be met with at most 50 workers"}, "capacity", "50"),
        ({"live_workers": 0}, "workers", "no live worker"),
        ({"backup_targets": 0}, "backups", "no backup target"),
        ({"backup_lags": ()}, "backups", "no backup has completed"),
        ({"backup_lags": (("repo", 300.0),)}, "backups", "300 s behind"),
        ({"free_bytes": 1_000_000_000_000}, "storage", "1,000 GB free"),
        ({"emergency_receivers": 0}, "alert routes", "nobody would be paged"),
        ({"last_verify": None}, "backups", "never verified"),
        ({"last_verify": (datetime(2027, 6, 17, tzinfo=UTC), False)}, "backups", "found damage"),
        ({"last_verify": (datetime(2027, 6, 1, tzinfo=UTC), True)}, "backups", "over a week"),
    ],
)
def test_each_check_fails_on_its_own(change, name, words) -> None:
    result = assess(replace(READY, **change))
    assert not result.ready
    failed = [c for c in result.checks if c.status is Status.FAIL]
    assert [c.name for c in failed] == [name] and words in failed[0].detail


def test_an_object_store_is_a_warning_not_a_failure() -> None:
    result = assess(replace(READY, free_bytes=None, vault_url="s3://bucket/vault"))
    assert result.ready
    storage = next(c for c in result.checks if c.name == "storage")
    assert storage.status is Status.WARN and "s3" in storage.detail


def test_the_command_reads_the_world_and_exits_by_the_answer(tmp_path) -> None:
    done = CliRunner().invoke(
        app, ["--data-dir", str(tmp_path / "data"), "ops", "readiness", "--date", "2027-06-19",
              "--json"],
    )  # fmt: skip
    assert done.exit_code == 3, done.output
    body = json.loads(done.stdout)
    statuses = {c["name"]: c["status"] for c in body["checks"]}
    assert body["ready"] is False
    assert statuses["capacity"] == "ok" and statuses["workers"] == "fail"
    assert statuses["backups"] == "fail" and statuses["alert routes"] == "fail"
    assert statuses["storage"] == "ok"

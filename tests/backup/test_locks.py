"""Repository locks: who may run together, and when a holder's lock stops counting."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.backup.conftest import s3_url
from trousseau.backup.locks import (
    REFRESH_EVERY,
    STALE_AFTER,
    LockInfo,
    LockKind,
    acquire,
    encode_lock,
    list_locks,
    remove_stale,
)
from trousseau.backup.targets import Target, open_target
from trousseau.errors import BackupError, RepositoryLocked
from trousseau.processes import identity_token

SHARED, EXCLUSIVE = LockKind.SHARED, LockKind.EXCLUSIVE


class Clock:
    """A clock that stands still until moved."""

    def __init__(self) -> None:
        self.now = datetime(2026, 6, 6, 14, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["local", "s3"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Target:
    if request.param == "local":
        return open_target(str(tmp_path / "repo"))
    endpoint = request.getfixturevalue("s3_endpoint")
    return open_target(s3_url(endpoint, request.getfixturevalue("s3_bucket"), "repo"))


def lock_paths(target: Target) -> list[str]:
    return [path for path, _ in target.list("locks/")]


def plant(
    target: Target,
    *,
    kind: LockKind,
    host: str,
    refreshed: datetime,
    pid: int = 4242,
    process: str | None = None,
    name: str = "planted",
) -> LockInfo:
    """A lock written by some other process, maybe on another machine."""
    info = LockInfo(f"locks/{name}", kind, host, pid, process, refreshed, refreshed)
    target.put(info.path, encode_lock(info))
    return info


# --- who runs together ------------------------------------------------------------------------


def test_shared_locks_coexist(target: Target, clock: Clock) -> None:
    one = acquire(target, SHARED, clock=clock)
    two = acquire(target, SHARED, clock=clock)
    assert sorted(lock_paths(target)) == sorted([one.path, two.path])
    assert one.path.startswith("locks/") and one.path != two.path
    one.release()
    one.release()
    assert lock_paths(target) == [two.path]
    two.release()
    assert lock_paths(target) == []


@pytest.mark.parametrize(("held", "wanted"), [(SHARED, EXCLUSIVE), (EXCLUSIVE, SHARED)])
def test_exclusive_conflicts_naming_the_holder(
    target: Target, clock: Clock, held: LockKind, wanted: LockKind
) -> None:
    holder = acquire(target, held, clock=clock, host="studio-nas")
    clock.advance(timedelta(minutes=3))

    with pytest.raises(RepositoryLocked) as caught:
        acquire(target, wanted, clock=clock, host="studio-nas")

    message = str(caught.value)
    assert target.name in message
    assert f"{held} lock {holder.path}" in message
    assert f"PID {os.getpid()} on studio-nas" in message
    assert "taken 2026-06-06T14:00:00+00:00" in message
    assert f"a {wanted} lock cannot be taken" in message
    assert lock_paths(target) == [holder.path]  # the refused one left nothing
    holder.release()
    acquire(target, wanted, clock=clock, host="studio-nas").release()


def test_exclusive_conflicts_with_exclusive(tmp_path: Path, clock: Clock) -> None:
    target = open_target(str(tmp_path))
    with (
        acquire(target, EXCLUSIVE, clock=clock),
        pytest.raises(RepositoryLocked, match="exclusive lock"),
    ):
        acquire(target, EXCLUSIVE, clock=clock)
    assert lock_paths(target) == []


def test_with_block_releases_on_error(tmp_path: Path, clock: Clock) -> None:
    target = open_target(str(tmp_path))
    with pytest.raises(ZeroDivisionError), acquire(target, EXCLUSIVE, clock=clock):
        _ = 1 / 0
    assert lock_paths(target) == []


def test_lock_file_says_who_holds_it(tmp_path: Path, clock: Clock) -> None:
    target = open_target(str(tmp_path))
    lock = acquire(target, SHARED, clock=clock, host="studio-nas")
    body = json.loads(target.get(lock.path))
    assert body["kind"] == "shared"
    assert body["host"] == "studio-nas"
    assert body["pid"] == os.getpid()
    assert body["process"] == identity_token()
    assert body["created"] == body["refreshed"] == "2026-06-06T14:00:00+00:00"
    assert acquire(target, SHARED, clock=clock).info.host == socket.gethostname()


def test_unreadable_lock_blocks_and_is_named(tmp_path: Path, clock: Clock) -> None:
    target = open_target(str(tmp_path))
    target.put("locks/garbled", b"\x00not json")
    with pytest.raises(RepositoryLocked, match="lock file locks/garbled cannot be read"):
        acquire(target, SHARED, clock=clock)
    assert remove_stale(target, clock) == []
    assert lock_paths(target) == ["locks/garbled"]
    assert list_locks(target) == ([], ["locks/garbled"])


# --- stale locks ------------------------------------------------------------------------------

HOLDER = textwrap.dedent(
    """
    import sys, time
    from datetime import UTC, datetime
    from trousseau.backup.locks import LockKind, acquire
    from trousseau.backup.targets import open_target

    lock = acquire(open_target(sys.argv[1]), LockKind.EXCLUSIVE, clock=lambda: datetime.now(UTC))
    print(lock.path, flush=True)
    time.sleep(60)
    """
)


def test_a_killed_holder_does_not_block(tmp_path: Path) -> None:
    target = open_target(str(tmp_path / "repo"))
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path / "repo")], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        path = holder.stdout.readline().strip()
        assert path.startswith("locks/")

        def now() -> datetime:
            return datetime.now(UTC)

        with pytest.raises(RepositoryLocked, match=f"PID {holder.pid} on"):
            acquire(target, SHARED, clock=now)  # alive: it counts
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()

    assert lock_paths(target) == [path]  # SIGKILL left its file behind
    with acquire(target, EXCLUSIVE, clock=now) as mine:
        assert sorted(lock_paths(target)) == sorted([path, mine.path])
    removed = remove_stale(target, now)
    assert [lock.path for lock in removed] == [path]
    assert removed[0].pid == holder.pid
    assert lock_paths(target) == []


def test_another_hosts_lock_goes_stale_only_by_age(tmp_path: Path, clock: Clock) -> None:
    target = open_target(str(tmp_path))
    # a dead process's identity: proof that another host's lock is never judged by process
    dead = subprocess.run(
        [sys.executable, "-c", "from trousseau.processes import identity_token as t; print(t())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    plant(target, kind=EXCLUSIVE, host="other-host", refreshed=clock(), process=dead)

    clock.advance(STALE_AFTER - timedelta(minutes=1))
    with pytest.raises(RepositoryLocked, match="PID 4242 on other-host"):
        acquire(target, SHARED, clock=clock)
    assert remove_stale(target, clock) == []

    clock.advance(timedelta(minutes=2))
    with acquire(target, SHARED, clock=clock):
        pass
    removed = remove_stale(target, clock)
    assert [lock.host for lock in removed] == ["other-host"]
    assert lock_paths(target) == []


def test_same_host_dead_process_is_stale_at_once(tmp_path: Path, clock: Clock) -> None:
    target = open_target(str(tmp_path))
    dead = subprocess.run(
        [sys.executable, "-c", "from trousseau.processes import identity_token as t; print(t())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    plant(target, kind=EXCLUSIVE, host="studio-nas", refreshed=clock(), process=dead)
    plant(target, kind=EXCLUSIVE, host="studio-nas", refreshed=clock(), name="no-identity")
    # the lock without an identity cannot be judged by process: it blocks until its age
    with pytest.raises(RepositoryLocked, match="locks/no-identity"):
        acquire(target, SHARED, clock=clock, host="studio-nas")
    removed = remove_stale(target, clock, host="studio-nas")
    assert [lock.path for lock in removed] == ["locks/planted"]


def test_a_live_lock_on_this_host_is_not_stale(tmp_path: Path, clock: Clock) -> None:
    target = open_target(str(tmp_path))
    plant(target, kind=EXCLUSIVE, host="studio-nas", refreshed=clock(), process=identity_token())
    with pytest.raises(RepositoryLocked):
        acquire(target, SHARED, clock=clock, host="studio-nas")
    assert remove_stale(target, clock, host="studio-nas") == []


# --- refreshing -------------------------------------------------------------------------------


def test_refresh_keeps_a_long_holder_alive(tmp_path: Path, clock: Clock) -> None:
    target = open_target(str(tmp_path))
    lock = acquire(target, EXCLUSIVE, clock=clock, host="a")
    for _ in range(12):  # an hour of work, refreshed every five minutes
        clock.advance(REFRESH_EVERY)
        assert lock.refresh() is True
    assert json.loads(target.get(lock.path))["refreshed"] == "2026-06-06T15:00:00+00:00"
    with pytest.raises(RepositoryLocked):
        acquire(target, SHARED, clock=clock, host="b")
    assert remove_stale(target, clock, host="b") == []


def test_refresh_writes_only_every_few_minutes(tmp_path: Path, clock: Clock) -> None:
    target = open_target(str(tmp_path))
    lock = acquire(target, SHARED, clock=clock)
    before = target.get(lock.path)
    clock.advance(REFRESH_EVERY - timedelta(seconds=1))
    assert lock.refresh() is False
    assert target.get(lock.path) == before
    assert lock.refresh(force=True) is True
    assert target.get(lock.path) != before


def test_refresh_too_late_or_after_removal_stops_the_holder(tmp_path: Path, clock: Clock) -> None:
    target = open_target(str(tmp_path))
    late = acquire(target, SHARED, clock=clock)
    removed = acquire(target, SHARED, clock=clock)

    target.delete(removed.path)  # another process judged it stale
    clock.advance(REFRESH_EVERY)
    with pytest.raises(RepositoryLocked, match="removed by another process"):
        removed.refresh()

    clock.advance(STALE_AFTER)
    with pytest.raises(RepositoryLocked, match="not refreshed for 35 min"):
        late.refresh()
    late.release()
    with pytest.raises(BackupError, match="released"):
        late.refresh()


def test_naive_clock_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="time-zone-aware"):
        acquire(open_target(str(tmp_path)), SHARED, clock=lambda: datetime(2026, 6, 6))

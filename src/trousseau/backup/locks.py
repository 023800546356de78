"""Repository locks, restic's way: a file per holder under ``locks/``, judged by everyone.

A backup, a verify and a restore take a *shared* lock: any number run together. A prune
or an erasure takes an *exclusive* one: it deletes what the others may be reading or about
to reference, so it runs alone. Object stores have no lock primitive, so each process
writes its own lock file first, then lists the others; two processes racing both see each
other's file and the one that conflicts backs off (both may, never neither).

A lock holds its holder's host, PID and process identity (`trousseau.processes`), when it
was taken and when it was last refreshed. A lock is *stale*, ignored and removable, when:

- its process is dead, seen from its own host (a SIGKILLed backup unblocks a prune at once);
- or it was not refreshed for `STALE_AFTER` (the only way another host's lock goes stale:
  a process on another machine cannot be seen).

So a holder calls `Lock.refresh()` during long work. It is cheap to call often: it writes
only every `REFRESH_EVERY`. A holder that could not refresh in time (a suspended laptop)
stops: its lock may have been judged stale and an exclusive holder may have changed the
repository under it.

Lock files are JSON in clear: a host name and a PID say nothing about the weddings.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from types import TracebackType
from typing import Any

from trousseau.backup.targets import Target
from trousseau.errors import BackupError, FileMissing, RepositoryLocked
from trousseau.processes import Liveness, identity_token, token_liveness

LOCKS = "locks/"
STALE_AFTER = timedelta(minutes=30)
"""A lock not refreshed for this long no longer blocks anyone, wherever its holder runs."""
REFRESH_EVERY = timedelta(minutes=5)
"""How often `Lock.refresh` rewrites the lock file: six chances before it goes stale."""
_VERSION = 1


class LockKind(StrEnum):
    SHARED = "shared"
    """Backup, verify, restore: they only add files or read."""
    EXCLUSIVE = "exclusive"
    """Prune, erase: they delete files others may read or reference."""


@dataclass(frozen=True)
class LockInfo:
    """What a lock file says: who holds which lock since when."""

    path: str
    kind: LockKind
    host: str
    pid: int
    process: str | None
    """The holder's `identity_token`, None where /proc could not tell."""
    created: datetime
    refreshed: datetime

    def describe(self) -> str:
        """One line naming the holder, for messages and `backup locks`."""
        return (
            f"{self.kind} lock {self.path} of PID {self.pid} on {self.host}, taken "
            f"{_when(self.created)}, last refreshed {_when(self.refreshed)}"
        )

    def stale_because(self, now: datetime, *, host: str) -> str | None:
        """Why this lock no longer counts, seen from `host` at `now`; None while it does."""
        idle = now - self.refreshed
        if idle > STALE_AFTER:
            return f"not refreshed for {_duration(idle)}"
        if (
            self.host == host
            and self.process is not None
            and token_liveness(self.process) is Liveness.GONE
        ):
            return f"PID {self.pid} is gone from {host}"
        return None


def encode_lock(info: LockInfo) -> bytes:
    """The lock file's bytes."""
    body = {
        "version": _VERSION,
        "kind": str(info.kind),
        "host": info.host,
        "pid": info.pid,
        "process": info.process,
        "created": info.created.isoformat(),
        "refreshed": info.refreshed.isoformat(),
    }
    return json.dumps(body, sort_keys=True).encode()


def decode_lock(path: str, data: bytes) -> LockInfo | None:
    """The lock in `data`, or None if it is not a lock file trousseau wrote."""
    try:
        body: Any = json.loads(data)
        process = body["process"]
        info = LockInfo(
            path=path,
            kind=LockKind(body["kind"]),
            host=str(body["host"]),
            pid=int(body["pid"]),
            process=None if process is None else str(process),
            created=datetime.fromisoformat(body["created"]),
            refreshed=datetime.fromisoformat(body["refreshed"]),
        )
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return None
    if info.created.tzinfo is None or info.refreshed.tzinfo is None:
        return None
    return info


def list_locks(target: Target) -> tuple[list[LockInfo], list[str]]:
    """Every lock on `target` (oldest first), and the paths of lock files that cannot be read.

    A lock released between the listing and its reading is simply not there.
    """
    locks: list[LockInfo] = []
    unreadable: list[str] = []
    for path, _ in target.list(LOCKS):
        try:
            data = target.get(path)
        except FileMissing:
            continue
        info = decode_lock(path, data)
        if info is None:
            unreadable.append(path)
        else:
            locks.append(info)
    return sorted(locks, key=lambda lock: (lock.created, lock.path)), unreadable


class Lock:
    """A lock this process holds; release it (or leave its `with` block) when done."""

    def __init__(self, target: Target, info: LockInfo, clock: Callable[[], datetime]) -> None:
        self._target = target
        self._info = info
        self._clock = clock
        self._released = False

    @property
    def info(self) -> LockInfo:
        return self._info

    @property
    def path(self) -> str:
        return self._info.path

    @property
    def kind(self) -> LockKind:
        return self._info.kind

    def __repr__(self) -> str:
        return f"Lock({self._info.describe()} on {self._target.name})"

    def refresh(self, *, force: bool = False) -> bool:
        """Rewrite the refreshed time if `REFRESH_EVERY` has passed (or `force`); return
        whether the file was written.

        RepositoryLocked if the lock was lost: its file is gone (removed as stale), or it was
        not refreshed for `STALE_AFTER` so another process may have ignored it. The caller
        must stop what it does under the lock.
        """
        if self._released:
            raise BackupError(f"{self._info.path} on {self._target.name} was released already")
        now = _aware(self._clock())
        idle = now - self._info.refreshed
        if not force and idle < REFRESH_EVERY:
            return False
        if idle > STALE_AFTER:
            raise RepositoryLocked(
                f"{self._target.name}: this process's {self._info.describe()} was not "
                f"refreshed for {_duration(idle)} (stale after {_duration(STALE_AFTER)}), so "
                "another process may have ignored it and changed the repository: stop here "
                "and run the operation again"
            )
        if not self._target.exists(self._info.path):
            raise RepositoryLocked(
                f"{self._target.name}: this process's {self._info.describe()} was removed by "
                "another process (judged stale): stop here and run the operation again"
            )
        refreshed = replace(self._info, refreshed=now)
        self._target.put(refreshed.path, encode_lock(refreshed))
        self._info = refreshed
        return True

    def release(self) -> None:
        """Remove the lock file; releasing twice is fine."""
        if self._released:
            return
        self._target.delete(self._info.path)
        self._released = True

    def __enter__(self) -> Lock:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()


def acquire(
    target: Target,
    kind: LockKind,
    *,
    clock: Callable[[], datetime],
    host: str | None = None,
) -> Lock:
    """Take a `kind` lock on `target`; RepositoryLocked naming the holder if a live lock
    conflicts (exclusive conflicts with any, shared with an exclusive one); nothing is left
    on the target then.

    `host` names this machine in the lock (the system's host name by default); a lock's
    process is judged only from the host that wrote it.
    """
    host = host or socket.gethostname()
    now = _aware(clock())
    info = LockInfo(
        path=f"{LOCKS}{secrets.token_hex(16)}",
        kind=kind,
        host=host,
        pid=os.getpid(),
        process=identity_token(),
        created=now,
        refreshed=now,
    )
    if not target.put_new(info.path, encode_lock(info)):
        raise BackupError(f"{target.name}: lock {info.path} already exists; try again")
    try:
        _check_conflicts(target, info, now)
    except BaseException:
        with suppress(BackupError):
            target.delete(info.path)
        raise
    return Lock(target, info, clock)


def remove_stale(
    target: Target, clock: Callable[[], datetime], *, host: str | None = None
) -> list[LockInfo]:
    """Remove every stale lock on `target` (seen from `host`, this machine by default) and
    return them. Live locks and unreadable lock files are left alone."""
    host = host or socket.gethostname()
    now = _aware(clock())
    removed = []
    for lock in list_locks(target)[0]:
        if lock.stale_because(now, host=host) is not None:
            target.delete(lock.path)
            removed.append(lock)
    return removed


def _check_conflicts(target: Target, mine: LockInfo, now: datetime) -> None:
    locks, unreadable = list_locks(target)
    if unreadable:
        raise RepositoryLocked(
            f"{target.name}: lock file {unreadable[0]} cannot be read, so it may belong to a "
            "running backup or prune; if no trousseau process uses this repository, delete "
            "that file from the target"
        )
    for other in locks:
        if other.path == mine.path or other.stale_because(now, host=mine.host) is not None:
            continue
        if LockKind.EXCLUSIVE in (mine.kind, other.kind):
            goes_stale = _when(other.refreshed + STALE_AFTER)
            raise RepositoryLocked(
                f"{target.name} is locked: {other.describe()}; a {mine.kind} lock cannot be "
                f"taken meanwhile. Wait for it to finish. If that process is gone, its lock "
                f"stops counting at once when seen from {other.host}, else at {goes_stale} "
                "if it is not refreshed; `trousseau backup unlock` then removes it"
            )


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError(f"lock clocks give time-zone-aware times, got {now.isoformat()}")
    return now


def _when(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _duration(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"

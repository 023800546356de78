"""Processes: whether one that left its identity behind still runs, seen from this host, and
how one ends without the interpreter's teardown.

Two things are left behind by processes that may die without a goodbye: a worker's
heartbeat (its leased jobs) and a vault writer's partial file. Both record who wrote them,
so whoever finds them can tell at once whether that process is gone. This module sits below
every package (it imports nothing of trousseau) so the queue and the vault share it.

A worker killed without a goodbye (SIGKILL, the OOM killer, a crashed container) leaves its
jobs leased until the lease runs out, a minute by default. Another host can only wait for
that lease: it cannot see the process. A worker on the same host can, the way restic treats
a lock whose process is gone: each heartbeat records the process's identity, and a worker
that starts or beats on that host releases at once the leases of a process that no longer
exists.

An identity is `<boot id>/<PID namespace>/<start time>`: a PID alone is not enough (PIDs are
reused, and a restarted container's worker often gets the same PID as the one that died),
and a PID means nothing in another PID namespace (containers sharing a host name). A process
is judged gone only when the identity was taken in this very boot and PID namespace and no
process with that PID and start time exists; anything else is unknown, and the lease decides.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import sys
import threading
from enum import StrEnum
from pathlib import Path
from typing import NoReturn

_PROC = Path("/proc")


class Liveness(StrEnum):
    """What this host can tell about a process from its recorded identity."""

    ALIVE = "alive"
    GONE = "gone"
    UNKNOWN = "unknown"
    """Another host, boot or PID namespace, or no /proc: only the lease can tell."""


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (field 22 of /proc/PID/stat), or
    None when no such process runs (a zombie, killed but not yet reaped, runs no more)."""
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
    except (OSError, ValueError):
        return None
    fields = stat[stat.rfind(")") + 2 :].split()
    if len(fields) <= 19 or fields[0] in ("Z", "X"):
        return None
    return fields[19]


def _here() -> str | None:
    """This host's boot id and this process's PID namespace: the scope of a PID."""
    try:
        boot = (_PROC / "sys/kernel/random/boot_id").read_text().strip()
        namespace = (_PROC / "self/ns/pid").stat().st_ino
    except OSError:
        return None
    return f"{boot}/{namespace}"


def identity(pid: int | None = None) -> str | None:
    """The identity of process `pid` (this one by default), or None where /proc cannot tell."""
    pid = os.getpid() if pid is None else pid
    scope, started = _here(), _start_time(pid)
    if scope is None or started is None:
        return None
    return f"{scope}/{started}"


def liveness(pid: int, recorded: str | None) -> Liveness:
    """Whether the process recorded as (`pid`, `recorded` identity) still runs, seen from here."""
    if not recorded:
        return Liveness.UNKNOWN
    scope, _, started = recorded.rpartition("/")
    if scope != _here():
        return Liveness.UNKNOWN
    return Liveness.ALIVE if _start_time(pid) == started else Liveness.GONE


_TOKEN = re.compile(
    r"(?P<pid>[0-9]+)\.(?P<boot>[0-9a-f-]+)\.(?P<namespace>[0-9]+)\.(?P<started>[0-9]+)"
)


def identity_token(pid: int | None = None) -> str | None:
    """Process `pid`'s PID and identity (this one's by default) as one file-name-safe word,
    ``<pid>.<boot id>.<PID namespace>.<start time>``; None where /proc cannot tell."""
    pid = os.getpid() if pid is None else pid
    recorded = identity(pid)
    if recorded is None:
        return None
    return f"{pid}." + recorded.replace("/", ".")


def token_liveness(token: str) -> Liveness:
    """Whether the process an `identity_token` names still runs; UNKNOWN for a malformed one."""
    match = _TOKEN.fullmatch(token)
    if match is None:
        return Liveness.UNKNOWN
    recorded = f"{match['boot']}/{match['namespace']}/{match['started']}"
    return liveness(int(match["pid"]), recorded)


def exit_now(code: int = 0) -> NoReturn:
    """End this process at once, its standard streams flushed, nothing else run.

    For a process whose work is closed and written (a job process, the job-process server):
    finalising every module it imported (libvips, numpy, SQLAlchemy, pydantic) costs 0.1-0.2 s
    on the way out, measured, and each `work --until-idle` waited for it.
    """
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


def exit_quickly(code: object) -> NoReturn:
    """End a command: its exit handlers run (loggers flushed, temporary directories removed,
    child processes reaped), then the process ends without the interpreter's teardown.

    Where a thread other than this one still runs, or `code` is not a plain status (a message
    for stderr), the interpreter's own exit does it, joining the threads as usual.
    """
    if code is None:
        code = 0
    if not isinstance(code, int) or threading.active_count() > 1:
        raise SystemExit(code)
    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:  # a closed pipe: the interpreter's exit reports it as usual
        raise SystemExit(code) from None
    os._exit(code)

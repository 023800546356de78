"""Execution slots for a worker: child processes (the default) or the worker's own process.

The worker process owns the queue (claims, leases, completions); the children only run job
functions. A child that dies — a segfault in a decoder, the OOM killer, SIGKILL — costs only
the job it was running, which is failed and retried; its other jobs are released and the
child is replaced. Children ignore SIGINT and SIGTERM: shutting down is the worker's call.
"""

from __future__ import annotations

import contextlib
import importlib
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from trousseau.clock import Clock, utc_now
from trousseau.jobs.context import Resources
from trousseau.jobs.execution import Outcome, execute
from trousseau.jobs.queue import ClaimedJob
from trousseau.processes import exit_now
from trousseau.settings import Settings


class Pool(Protocol):
    """Where claimed jobs run.

    A pool may also say what it is, for the worker's heartbeat: a `mode` ("process",
    "inline", "batch", ...) and `slots` (jobs it runs at once). Both are optional; the
    worker falls back to the class name and to `free()` at start (`pool_shape`).
    """

    def free(self) -> int: ...
    def held(self) -> list[int]: ...
    def submit(self, jobs: Sequence[ClaimedJob]) -> None: ...
    def wait(self, timeout: float, wakers: Sequence[Any] = ()) -> list[Outcome]: ...
    def stop(self) -> list[Outcome]: ...


def import_kinds(modules: Sequence[str]) -> None:
    """Import the modules that register job kinds (in each process that runs jobs)."""
    for module in modules:
        importlib.import_module(module)


class InlinePool:
    """Runs jobs in the worker's own process: for tests, `--workers 0` and measurements."""

    mode = "inline"
    slots = 1

    def __init__(
        self, settings: Settings, kind_modules: Sequence[str] = (), *, clock: Clock = utc_now
    ) -> None:
        import_kinds(kind_modules)
        self._resources = Resources(settings, clock=clock)
        self._done: list[Outcome] = []

    def free(self) -> int:
        return 1

    def held(self) -> list[int]:
        return []

    def submit(self, jobs: Sequence[ClaimedJob]) -> None:
        self._done.extend(execute(job, self._resources) for job in jobs)

    def wait(self, timeout: float, wakers: Sequence[Any] = ()) -> list[Outcome]:
        if not self._done:
            if wakers:
                multiprocessing.connection.wait(list(wakers), timeout)
            else:
                time.sleep(timeout)
        done, self._done = self._done, []
        return done

    def stop(self) -> list[Outcome]:
        self._resources.close()
        return []


def _die_with(parent: int) -> None:
    """Have the kernel kill this job process when its worker dies (Linux), so a worker killed
    with SIGKILL leaves no orphan still running jobs that are released to other workers.

    A spawned job process is the worker's child; one forked by the job-process server is the
    server's, which exits when the worker does (multiprocessing's forkserver watches it).
    """
    with contextlib.suppress(Exception):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    try:
        os.kill(parent, 0)  # the worker died before the signal was asked for
    except ProcessLookupError:
        os._exit(0)
    except OSError:
        pass


def _child_main(
    conn: Any,
    settings: Settings,
    kind_modules: Sequence[str],
    parent: int | None = None,
    clock: Clock = utc_now,
) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if parent is not None and sys.platform == "linux":
        _die_with(parent)
    import_kinds(kind_modules)
    resources = Resources(settings, clock=clock)
    try:
        while True:
            try:
                chunk = conn.recv()
            except (EOFError, OSError):
                break
            if chunk is None:
                break
            for job in chunk:
                outcome = execute(job, resources)
                conn.send(
                    (
                        outcome.job_id,
                        outcome.ok,
                        outcome.error,
                        outcome.permanent,
                        outcome.seconds,
                        outcome.vault,
                    )
                )
    finally:
        resources.close()
    # Spawned, it would otherwise finalise every module it imported on the way out of every
    # `work --until-idle`; the catalog and vault are closed and jobs write nothing buffered.
    exit_now(0)


@dataclass
class _Child:
    process: Any
    conn: Any
    chunk: list[ClaimedJob] = field(default_factory=list)
    reported: int = 0
    progress_at: float = 0.0
    kill_reason: str | None = None

    @property
    def busy(self) -> bool:
        return self.reported < len(self.chunk)


class ProcessPool:
    """`size` child processes, each running one chunk of jobs at a time, in deadline order."""

    mode = "process"

    def __init__(
        self,
        size: int,
        settings: Settings,
        kind_modules: Sequence[str] = (),
        *,
        job_timeout_seconds: float | None = None,
        clock: Clock = utc_now,
        start_method: str = "spawn",
    ) -> None:
        """`clock` reaches every job function; it must pickle (a module-level function).

        `start_method` "forkserver" forks job processes from a server that has imported
        them already (`start_job_server`, called early by the commands): a new job process is
        ready in milliseconds instead of re-importing trousseau (~0.45 s). A forked process
        sees the environment of the moment the server started, so library callers and tests
        keep "spawn".
        """
        if size < 1:
            raise ValueError("a process pool needs at least one process")
        if start_method not in ("spawn", "forkserver"):
            raise ValueError(f"unknown start method {start_method!r}")
        self.slots = size
        self._settings = settings
        self._kind_modules = tuple(kind_modules)
        self._timeout = job_timeout_seconds
        self._clock = clock
        self._context: Any = multiprocessing.get_context(start_method)
        self._children = [self._spawn() for _ in range(size)]

    def _spawn(self) -> _Child:
        parent, child = self._context.Pipe(duplex=True)
        process = self._context.Process(
            target=_child_main,
            args=(child, self._settings, self._kind_modules, os.getpid(), self._clock),
            name="trousseau-job",
            daemon=True,
        )
        process.start()
        child.close()
        return _Child(process=process, conn=parent)

    def pids(self) -> list[int]:
        """Process ids of the children (tests kill them)."""
        return [c.process.pid for c in self._children]

    def free(self) -> int:
        return sum(1 for c in self._children if not c.busy)

    def held(self) -> list[int]:
        return [j.id for c in self._children for j in c.chunk[c.reported :]]

    def submit(self, jobs: Sequence[ClaimedJob]) -> None:
        """Spread jobs over idle children round-robin, so the earliest deadlines start first."""
        idle = [c for c in self._children if not c.busy]
        if not idle:
            raise RuntimeError("submit called with no idle child")
        chunks: list[list[ClaimedJob]] = [[] for _ in idle]
        for i, job in enumerate(jobs):
            chunks[i % len(idle)].append(job)
        now = time.monotonic()
        for child, chunk in zip(idle, chunks, strict=True):
            if not chunk:
                continue
            child.chunk, child.reported, child.progress_at = chunk, 0, now
            with contextlib.suppress(OSError):  # a dead child is reported by its sentinel
                child.conn.send(chunk)

    def wait(self, timeout: float, wakers: Sequence[Any] = ()) -> list[Outcome]:
        """Outcomes that arrived within `timeout` seconds (sooner if a waker is readable)."""
        self._enforce_timeouts()
        sentinels = {c.process.sentinel: c for c in self._children}
        conns = {c.conn: c for c in self._children if c.busy}
        ready = multiprocessing.connection.wait([*conns, *sentinels, *wakers], timeout=timeout)
        outcomes: list[Outcome] = []
        for obj in ready:
            if obj in conns:
                outcomes.extend(self._drain(conns[obj]))
        for obj in ready:
            if obj in sentinels:
                outcomes.extend(self._replace(sentinels[obj]))
        return outcomes

    def _drain(self, child: _Child) -> list[Outcome]:
        outcomes = []
        try:
            while child.busy and child.conn.poll():
                job_id, ok, error, permanent, seconds, vault = child.conn.recv()
                outcomes.append(Outcome(job_id, ok, error, permanent, seconds, vault=vault))
                child.reported += 1
                child.progress_at = time.monotonic()
        except (EOFError, OSError):
            pass
        return outcomes

    def _replace(self, child: _Child) -> list[Outcome]:
        outcomes = self._drain(child)
        child.process.join(timeout=1)
        code = child.process.exitcode
        remaining = child.chunk[child.reported :]
        if remaining:
            if child.kill_reason:
                why = child.kill_reason
            elif code is not None and code < 0:
                why = f"the job process was killed by {signal.Signals(-code).name}"
            else:
                why = f"the job process exited with status {code}"
            outcomes.append(
                Outcome(remaining[0].id, ok=False, error=f"{why} while running this job")
            )
            outcomes.extend(Outcome(j.id, ok=False, started=False) for j in remaining[1:])
        child.conn.close()
        self._children[self._children.index(child)] = self._spawn()
        return outcomes

    def _enforce_timeouts(self) -> None:
        if self._timeout is None:
            return
        now = time.monotonic()
        for child in self._children:
            if child.busy and child.kill_reason is None and now - child.progress_at > self._timeout:
                child.kill_reason = f"timed out after {self._timeout:g} s"
                child.process.kill()

    def stop(self) -> list[Outcome]:
        """Stop every child now; jobs they had not finished are returned as not started."""
        outcomes = []
        for child in self._children:
            outcomes.extend(self._drain(child))
            if child.busy:
                child.process.kill()
            else:
                with contextlib.suppress(OSError):
                    child.conn.send(None)
        for child in self._children:
            child.process.join(timeout=5)
            if child.process.is_alive():
                child.process.kill()
                child.process.join()
            outcomes.extend(
                Outcome(j.id, ok=False, started=False) for j in child.chunk[child.reported :]
            )
            child.conn.close()
        self._children = []
        return outcomes


def pool_shape(pool: Pool) -> tuple[str, int]:
    """The pool's mode and slots for a heartbeat, for any Pool (the two are optional)."""
    mode = getattr(pool, "mode", None) or type(pool).__name__.lower()
    slots = getattr(pool, "slots", None)
    return str(mode), int(pool.free() if slots is None else slots)


def default_size() -> int:
    """One job process per core."""
    return os.cpu_count() or 1

"""What every benchmark shares: messages, the docs section it owns, machine load, recipes and
processes released at once.

The benchmarks run as modules from the repository root (`python -m bench.queue`): run as a
file, bench/ would come first on sys.path and bench/queue.py would shadow the standard
library's `queue`, which multiprocessing, asyncio and psycopg import.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import queue
import signal
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs" / "benchmarks.md"
PREAMBLE = (
    "# Benchmarks\n\nFigures measured on the machine named in each section; compare "
    "ratios within one run rather than absolute numbers across machines.\n"
)


def compile_bytecode() -> None:
    """Compile trousseau's sources to bytecode, as installing its wheel does.

    The benchmarks time trousseau as installed. From the source tree, with
    PYTHONDONTWRITEBYTECODE set (as on the development machines), every command and job
    process would compile ~100 modules again (~0.13 s each time, 0.75 s for a whole `backup
    run` with nothing to do): a cost no installed trousseau pays.
    """
    import compileall

    compileall.compile_dir(REPO / "src", quiet=1)


compile_bytecode()


def say(message: str) -> None:
    """Progress for the person watching, on stderr (stdout is the report)."""
    print(message, file=sys.stderr, flush=True)


def write_section(path: Path, section: str, *, start: str, end: str, heading: str) -> None:
    """Put `section` (which begins with `start` and ends with `end`) in place of the text
    between those markers in `path`, or append it under `heading`; other sections stay."""
    text = path.read_text(encoding="utf-8") if path.exists() else PREAMBLE
    first, last = text.find(start), text.find(end)
    if first != -1 and last > first:
        text = text[:first] + section + text[last + len(end) :]
    else:
        text = text.rstrip("\n") + f"\n\n{heading}\n\n{section}\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def exit_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit, so `finally` blocks drop databases and stop children."""

    def terminate(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, terminate)


def profile_overrides(texts: Iterable[str], error: Callable[[str], Any]) -> dict[str, dict]:
    """`--set PROFILE.FIELD=VALUE` options as {profile: {field: value}} (JSON values when
    they parse, else strings); `error` (argparse's parser.error) for a malformed one."""
    overrides: dict[str, dict] = {}
    for text in texts:
        key, sep, value = text.partition("=")
        profile, dot, name = key.partition(".")
        if not (sep and dot and profile and name):
            error(f"--set {text!r}: use PROFILE.FIELD=VALUE, e.g. social.effort=2")
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = value
        overrides.setdefault(profile, {})[name] = parsed
    return overrides


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine spent busy since boot (/proc/stat; steal counts)."""
    with contextlib.suppress(OSError, ValueError):
        fields = [int(f) for f in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
        user, nice, system, _idle, _iowait, irq, softirq, steal = fields
        return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")
    return 0.0


def recipe(
    module: str,
    argv: Sequence[str],
    *,
    local: Iterable[str] = ("--docs", "--date"),
    flags: Iterable[str] = (),
) -> str:
    """The command line that reproduces a run, without its local details: the options in
    `local` (with their values) and the switches in `flags`."""
    local, flags = tuple(local), tuple(flags)
    shown: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg in local:
            skip = True
        elif not arg.startswith(tuple(f"{o}=" for o in local)) and arg not in flags:
            shown.append(arg)
    return " ".join([".venv/bin/python -m", module, *shown])


@dataclass(frozen=True)
class Released:
    """Processes started together: when they were released, and what each returned when."""

    t0: float
    done: list[tuple[Any, float]]
    busy_seconds: float

    @property
    def seconds(self) -> float:
        """From the release to the last process's end."""
        return max(at for _, at in self.done) - self.t0


def child(target: Callable[..., Any], args: tuple[Any, ...], go: Any, results: Any) -> None:
    """Run `target(*args, ready)` in a child; it calls `ready()` once set up, then works."""
    try:

        def ready() -> None:
            results.put(("ready", os.getpid(), 0.0))
            go.wait()

        value = target(*args, ready)
        results.put(("done", value, time.monotonic()))
    except BaseException:
        results.put(("error", traceback.format_exc(), 0.0))


def run_released(
    target: Callable[..., Any],
    args: tuple[Any, ...],
    n: int,
    *,
    ready_within: float = 300,
    limit: float = 1800,
) -> Released:
    """Start `n` spawned processes, wait until all are set up, release them at once, and
    return what each reported with the time it ended.

    `time.monotonic()` is one clock for all processes of the machine (CLOCK_MONOTONIC).
    """
    ctx = multiprocessing.get_context("spawn")
    go, results = ctx.Event(), ctx.Queue()
    procs = [
        ctx.Process(target=child, args=(target, args, go, results), daemon=True) for _ in range(n)
    ]
    try:
        for p in procs:
            p.start()

        def collect(kind: str, timeout: float) -> list[tuple[Any, float]]:
            got = []
            until = time.monotonic() + timeout
            while len(got) < n:
                try:
                    what, value, at = results.get(timeout=max(0.1, until - time.monotonic()))
                except queue.Empty:
                    raise RuntimeError(f"{n} process(es) did not report {kind!r} in time") from None
                if what == "error":
                    raise RuntimeError(f"a benchmark process failed:\n{value}")
                got.append((value, at))
            return got

        collect("ready", ready_within)
        busy0 = machine_busy_seconds()
        t0 = time.monotonic()
        go.set()
        done = collect("done", limit)
        busy = machine_busy_seconds() - busy0
        for p in procs:
            p.join(timeout=10)
        return Released(t0=t0, done=done, busy_seconds=busy)
    finally:
        for p in procs:
            if p.is_alive():
                p.kill()
                p.join()

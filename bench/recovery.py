"""Crash recovery benchmark: SIGKILL a worker mid-batch, restart it, time the way back.

Run `.venv/bin/python -m bench.recovery [--photos 40] [--megapixels 6]`. In a fresh data
directory it ingests a wedding of generated photos (same-day), starts
`trousseau work --workers 2` with the default lease (60 s), SIGKILLs the worker process
(not its job processes: those die with it) once a few jobs are done, restarts
`trousseau work --workers 2 --until-idle` on the same host and measures:

- restart to last job done: the restarted worker's wall time;
- the remaining work alone: a control run in another fresh data directory, the same number
  of photos (the ones left) ingested and drained by the same command, cold;
- the difference, which is the recovery's cost: a few seconds when the restarted worker
  releases the dead process's leases at once, a whole lease (60 s) when it must wait.

It then checks that every job is done exactly once, every photo has all its variants and
`trousseau verify` is clean. The table goes to stdout and between the `bench:recovery`
markers of docs/benchmarks.md (`--no-docs` to skip).
"""

from __future__ import annotations

if __name__ == "__main__" and not __package__:
    raise SystemExit("run it from the repository root as a module: python -m bench.recovery")

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.harness import DOCS, REPO, machine_busy_seconds, recipe, say, write_section

CACHE = REPO / ".bench" / "recovery"
START = "<!-- bench:recovery:start -->"
END = "<!-- bench:recovery:end -->"
LEASE_SECONDS = 60.0


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TROUSSEAU_")}
    env["PYTHONPATH"] = str(REPO / "src")
    return env


def _cli(data: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "trousseau", "--data-dir", str(data), *args]


def _photos(count: int, megapixels: float) -> list[Path]:
    from trousseau.demo.samples import generate_photo

    folder = CACHE / f"photos-{megapixels:g}mp"
    folder.mkdir(parents=True, exist_ok=True)
    when = dt.datetime(2026, 6, 13, 14, 0, tzinfo=dt.UTC)
    paths = []
    for index in range(1, count + 1):
        path = folder / f"IMG_{index:04d}.jpg"
        if not path.exists():
            data = generate_photo(index, seed=2026, megapixels=megapixels, when=when)
            partial = path.with_suffix(".partial")
            partial.write_bytes(data)
            partial.replace(path)
        paths.append(path)
    return paths


def _counts(data: Path) -> dict[str, int]:
    """Jobs by state, read straight from the SQLite catalog (no trousseau import)."""
    with sqlite3.connect(f"file:{data / 'catalog.sqlite3'}?mode=ro", uri=True) as db:
        rows = db.execute("SELECT state, count(*) FROM job GROUP BY state").fetchall()
    return dict(rows)


def _ingest(data: Path, folder: Path) -> None:
    subprocess.run(
        _cli(data, "ingest", str(folder), "--wedding", "bench", "--sla", "same-day"),
        env=_env(),
        check=True,
        capture_output=True,
    )


def _drain(data: Path, *, host: str | None = None) -> tuple[float, str]:
    """`work --until-idle` on `data`; with `host`, in a UTS namespace of that host name (a
    worker of another host, which cannot see the dead process and must wait for the lease)."""
    command = _cli(data, "work", "--workers", "2", "--until-idle")
    if host is not None:
        rename = f'hostname {host} && exec "$@"'
        command = ["unshare", "--uts", "sh", "-c", rename, "sh", *command]
    started = time.perf_counter()
    done = subprocess.run(
        command,
        env=_env(),
        check=True,
        capture_output=True,
        text=True,
    )
    return time.perf_counter() - started, done.stdout


@dataclass
class Result:
    photos: int
    megapixels: float
    killed_after: int
    running_at_kill: int
    restart_seconds: float
    control_seconds: float
    recovered: str
    attempts_2: int
    verified: bool
    problems: list[str]
    other_cores: float
    other_host_seconds: float | None = None

    @property
    def cost(self) -> float:
        return self.restart_seconds - self.control_seconds


def can_fake_another_host() -> bool:
    """Whether this run may start a worker under another host name (root with unshare)."""
    return os.geteuid() == 0 and shutil.which("unshare") is not None


def other_host_run(paths: list[Path], kill_after: int) -> float:
    """Restart-to-done when the restarted worker is on another host: the lease decides."""
    work = Path(tempfile.mkdtemp(prefix="recovery-other-", dir=CACHE))
    try:
        card = work / "card"
        card.mkdir()
        for p in paths:
            os.link(p, card / p.name)
        data = work / "data"
        _ingest(data, card)
        _kill_mid_batch(data, kill_after)
        seconds, _ = _drain(data, host="another-host")
        return seconds
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _kill_mid_batch(data: Path, kill_after: int) -> tuple[int, int]:
    """Start a worker, SIGKILL it once `kill_after` jobs are done; (done, running) then."""
    worker = subprocess.Popen(
        _cli(data, "work", "--workers", "2"),
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 300
    while _counts(data).get("done", 0) < kill_after:
        if time.monotonic() > deadline or worker.poll() is not None:
            worker.kill()
            raise SystemExit("the worker never got going")
        time.sleep(0.05)
    running = _counts(data).get("running", 0)
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    return _counts(data).get("done", 0), running


def measure(photos: int, megapixels: float, kill_after: int) -> Result:
    paths = _photos(photos, megapixels)
    work = Path(tempfile.mkdtemp(prefix="recovery-", dir=CACHE))
    busy_before, wall_before = machine_busy_seconds(), time.monotonic()
    try:
        card = work / "card"
        card.mkdir()
        for p in paths:
            os.link(p, card / p.name)
        data = work / "data"
        say(f"ingest {photos} photos of {megapixels:g} MP")
        _ingest(data, card)
        done_at_kill, running = _kill_mid_batch(data, kill_after)
        say(f"SIGKILLed the worker with {done_at_kill} done and {running} running")
        restart, out = _drain(data)
        flat = " ".join(out.split())
        recovered = flat[flat.find("done ") :] if "done " in flat else flat
        counts = _counts(data)
        problems = []
        if counts != {"done": photos}:
            problems.append(f"jobs by state {counts}, expected {photos} done")
        with sqlite3.connect(f"file:{data / 'catalog.sqlite3'}?mode=ro", uri=True) as db:
            retried = db.execute("SELECT count(*) FROM job WHERE attempts >= 2").fetchone()[0]
        verify = subprocess.run(_cli(data, "verify"), env=_env(), capture_output=True, text=True)
        if verify.returncode != 0:
            problems.append(f"verify failed: {verify.stdout[-300:]} {verify.stderr[-300:]}")
        status = json.loads(
            subprocess.run(
                _cli(data, "status", "--json"), env=_env(), capture_output=True, text=True
            ).stdout
        )
        if status["workers"]["orphaned_jobs"]:
            problems.append("jobs still held by a dead worker")

        remaining = photos - done_at_kill
        control = work / "control"
        control_card = work / "control-card"
        control_card.mkdir()
        for p in paths[done_at_kill:]:
            os.link(p, control_card / p.name)
        say(f"control: {remaining} photos, ingested and drained cold")
        _ingest(control, control_card)
        control_seconds, _ = _drain(control)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    wall = time.monotonic() - wall_before
    return Result(
        photos=photos,
        megapixels=megapixels,
        killed_after=done_at_kill,
        running_at_kill=running,
        restart_seconds=restart,
        control_seconds=control_seconds,
        recovered=recovered,
        attempts_2=retried,
        verified=verify.returncode == 0,
        problems=problems,
        other_cores=max(0.0, (machine_busy_seconds() - busy_before) / wall - 2.0),
    )


def table(r: Result, *, date: str, command: str) -> str:
    lines = [
        START,
        f"Measured {date} on {platform.machine()} with {os.cpu_count()} cores, SQLite catalog, "
        f"the default lease ({LEASE_SECONDS:g} s), `trousseau work --workers 2`: {r.photos} "
        f"photos of {r.megapixels:g} MP (same-day), the worker process SIGKILLed mid-batch "
        f"(its job processes die with it), then restarted on the same host.",
        "",
        "| measure | value |",
        "|---|---:|",
        f"| jobs done when killed | {r.killed_after} ({r.running_at_kill} running) |",
        f"| restart to last job done | {r.restart_seconds:.1f} s |",
        f"| the remaining {r.photos - r.killed_after} photos alone (control, cold) | "
        f"{r.control_seconds:.1f} s |",
        f"| **recovery cost** (restart minus control) | **{r.cost:+.1f} s** "
        f"(a lease is {LEASE_SECONDS:g} s) |",
        *(
            [
                f"| the same restart on another host (waits for the lease) | "
                f"{r.other_host_seconds:.1f} s |"
            ]
            if r.other_host_seconds is not None
            else []
        ),
        f"| jobs run twice (interrupted, attempt counted) | {r.attempts_2} |",
        f"| all {r.photos} jobs done once, every variant, `trousseau verify` clean | "
        f"{'yes' if not r.problems else 'NO: ' + '; '.join(r.problems)} |",
        "",
        f"Restarted worker's summary: `{r.recovered}`. Other load on the machine meanwhile: "
        f"{r.other_cores:.2f} cores. Before this change every restarted worker waited for the "
        "dead worker's leases to expire, as a worker on another host still does (measured "
        "above by restarting in a UTS namespace with another host name, when the run has root "
        "and `unshare`); the `trousseau_jobs_orphaned` gauge shows the jobs held meanwhile.",
        "",
        f"Command: `{command}`",
        END,
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--photos", type=int, default=40)
    parser.add_argument("--megapixels", type=float, default=6.0)
    parser.add_argument("--kill-after", type=int, default=8, help="jobs done before the kill")
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument(
        "--no-other-host", action="store_true", help="skip the restart as another host (~80 s)"
    )
    parser.add_argument("--date", default=dt.date.today().isoformat())
    args = parser.parse_args(argv)
    result = measure(args.photos, args.megapixels, args.kill_after)
    if not args.no_other_host and can_fake_another_host():
        say("the same kill, restarted as another host (waits for the lease)")
        paths = _photos(args.photos, args.megapixels)
        result.other_host_seconds = other_host_run(paths, args.kill_after)
    text = table(
        result,
        date=args.date,
        command=recipe(
            "bench.recovery", sys.argv[1:] if argv is None else argv, flags=("--no-docs",)
        ),
    )
    print(text)
    if not args.no_docs:
        write_section(DOCS, text, start=START, end=END, heading="## Crash recovery")
    return 1 if result.problems else 0


if __name__ == "__main__":
    raise SystemExit(main())

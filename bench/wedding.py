"""End-to-end benchmark: a wedding of 24-megapixel JPEGs, ingest to every variant recorded.

Run `.venv/bin/python -m bench.wedding [--photos 500] [--quick]`. It generates the wedding once
(`trousseau.demo.samples.generate_photo`, cached under .bench/wedding-24mp/), then, in a fresh
data directory, runs the real command line as a studio would:

    python -m trousseau --data-dir DIR ingest PHOTOS --wedding bench --sla same-day
    python -m trousseau --data-dir DIR work --workers 2 --until-idle
    python -m trousseau --data-dir DIR status --json

and reports the ingest, processing and total times, photos/min from the start of the ingest
to the last variant recorded, the variants in the catalog (photos x enabled profiles), late
jobs, and the peak RSS of each job process. The result is printed and written between the
`bench:wedding` markers of docs/benchmarks.md.
"""

from __future__ import annotations

if __name__ == "__main__" and not __package__:
    raise SystemExit("run it from the repository root as a module: python -m bench.wedding")

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.harness import (
    DOCS,
    REPO,
    exit_on_sigterm,
    machine_busy_seconds,
    profile_overrides,
    recipe,
    say,
    write_section,
)

CACHE = REPO / ".bench"
PHOTOS = CACHE / "wedding-24mp"
START_MARK = "<!-- bench:wedding:start -->"
END_MARK = "<!-- bench:wedding:end -->"
SECTION_HEADING = "## Wedding, end to end"

SEED = 2026
MEGAPIXELS = 24.0
WHEN = dt.datetime(2026, 6, 13, 14, 0, tzinfo=dt.UTC)
WEDDING = "bench"
SLA = "same-day"
FLOOR_PER_MINUTE = 300.0


# ---------------------------------------------------------------------------------------------
# The photos


def _make(index: int) -> int:
    """Write IMG_{index:04d}.jpg whole (aside, then renamed); return its size."""
    from trousseau.demo.samples import generate_photo

    path = PHOTOS / f"IMG_{index:04d}.jpg"
    data = generate_photo(index, seed=SEED, megapixels=MEGAPIXELS, when=WHEN)
    partial = path.with_name(f".{path.name}.part")
    partial.write_bytes(data)
    partial.replace(path)
    return len(data)


def generate(count: int, processes: int) -> list[Path]:
    """IMG_0001.jpg .. IMG_{count}.jpg under .bench/wedding-24mp/, generating the missing ones.

    They are the photos `trousseau demo` generates (same seed and shoot start).
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    PHOTOS.mkdir(parents=True, exist_ok=True)
    stamp = PHOTOS / "params.json"
    params = {"seed": SEED, "megapixels": MEGAPIXELS, "when": WHEN.isoformat()}
    if stamp.exists() and json.loads(stamp.read_text()) != params:
        say(f"{PHOTOS} holds photos of other parameters: regenerating")
        for old in PHOTOS.glob("IMG_*.jpg"):
            old.unlink()
    stamp.write_text(json.dumps(params))
    paths = [PHOTOS / f"IMG_{i:04d}.jpg" for i in range(1, count + 1)]
    missing = [i for i, p in enumerate(paths, start=1) if not p.is_file()]
    if missing:
        say(f"generating {len(missing)} photos of {MEGAPIXELS:g} MP into {PHOTOS} ...")
        started = time.perf_counter()
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(processes, mp_context=ctx) as pool:
            for done, _ in enumerate(pool.map(_make, missing, chunksize=4), start=1):
                if done % 50 == 0 or done == len(missing):
                    say(f"  {done}/{len(missing)} ({time.perf_counter() - started:.0f} s)")
    return paths


# ---------------------------------------------------------------------------------------------
# Peak RSS of the job processes, sampled from /proc


class RssSampler:
    """Polls VmHWM of every descendant of a process until stopped; keeps each one's peak."""

    def __init__(self, pid: int, interval: float = 0.25) -> None:
        self.pid = pid
        self.interval = interval
        self.peaks: dict[int, float] = {}
        self.names: dict[int, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _descendants(self) -> list[int]:
        parents: dict[int, int] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            with contextlib.suppress(OSError, ValueError, IndexError):
                stat = (entry / "stat").read_text()
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
        found, frontier = [], [self.pid]
        while frontier:
            current = frontier.pop()
            children = [p for p, pp in parents.items() if pp == current]
            found += children
            frontier += children
        return found

    def _run(self) -> None:
        while not self._stop.is_set():
            for pid in [self.pid, *self._descendants()]:
                with contextlib.suppress(OSError, ValueError):
                    status = Path(f"/proc/{pid}/status").read_text()
                    for line in status.splitlines():
                        if line.startswith("VmHWM:"):
                            mb = int(line.split()[1]) / 1024
                            self.peaks[pid] = max(self.peaks.get(pid, 0.0), mb)
            self._run_names()
            self._stop.wait(self.interval)

    def _run_names(self) -> None:
        for pid in self.peaks:
            if pid not in self.names:
                with contextlib.suppress(OSError):
                    raw = Path(f"/proc/{pid}/cmdline").read_bytes()
                    self.names[pid] = raw.replace(b"\0", b" ").decode(errors="replace")

    def job_processes(self) -> list[float]:
        """Peaks of the job processes: the worker's descendants but multiprocessing's helper."""
        return [
            mb
            for pid, mb in self.peaks.items()
            if pid != self.pid and "resource_tracker" not in self.names.get(pid, "")
        ]


# ---------------------------------------------------------------------------------------------
# The run


@dataclass
class Run:
    photos: int
    workers: int
    overlap: bool = False
    input_bytes: int = 0
    ingest_seconds: float = 0.0
    work_seconds: float = 0.0
    to_last_variant: float | None = None
    variants: int = 0
    expected_variants: int = 0
    by_profile: dict[str, tuple[int, float, str]] = field(default_factory=dict)
    photo_states: dict[str, int] = field(default_factory=dict)
    jobs: dict[str, int] = field(default_factory=dict)
    late: dict[str, int] = field(default_factory=dict)
    worker_rss: list[float] = field(default_factory=list)
    worker_main_rss: float | None = None
    profiles: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    ingest_tail: str = ""
    work_tail: str = ""
    what_if: list[str] = field(default_factory=list)
    cpu_seconds: float = 0.0  # the commands and their job processes, user + system
    other_cores: float | None = None  # the rest of the machine's CPU use meanwhile

    @property
    def total_seconds(self) -> float:
        return self.ingest_seconds + self.work_seconds

    @property
    def per_minute(self) -> float:
        seconds = self.to_last_variant or self.total_seconds
        return 60 * self.photos / seconds


def _environment() -> dict[str, str]:
    """This environment without TROUSSEAU_* settings, so only the defaults and flags apply."""
    return {k: v for k, v in os.environ.items() if not k.startswith("TROUSSEAU_")}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _cli(data_dir: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "trousseau", "--data-dir", str(data_dir), *args]


def _tail(text: str, lines: int = 3) -> str:
    return " / ".join(line.strip() for line in text.strip().splitlines()[-lines:] if line.strip())


def _variants_recorded(data_dir: Path) -> int:
    """Variant rows in the run's catalog (0 before it exists)."""
    from sqlalchemy import create_engine, text

    from trousseau.settings import load_settings

    url = load_settings(data_dir=data_dir).catalog_url
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM variant")).scalar_one())
    except Exception:
        return 0
    finally:
        engine.dispose()


def run(
    paths: Sequence[Path],
    workdir: Path,
    workers: int,
    *,
    extra_env: dict[str, str],
    overrides: dict[str, dict[str, Any]],
    overlap: bool,
) -> Run:
    from trousseau.imaging.profiles import enabled_profiles, load_profiles

    result = Run(photos=len(paths), workers=workers, overlap=overlap)
    result.profiles = [p.name for p in enabled_profiles(load_profiles(None, overrides or None))]
    result.expected_variants = len(paths) * len(result.profiles)
    photos = workdir / "photos"
    photos.mkdir()
    for path in paths:  # the first N photos of the cache, without copying them
        target = photos / path.name
        try:
            os.link(path, target)
        except OSError:
            shutil.copyfile(path, target)
        result.input_bytes += path.stat().st_size
    data = workdir / "data"
    env = {**_environment(), **extra_env}
    if overrides:
        env["TROUSSEAU_IMAGING__PROFILES"] = json.dumps(overrides)
    ingest = _cli(data, "ingest", str(photos), "--wedding", WEDDING, "--sla", SLA)
    work = _cli(data, "work", "--workers", str(workers))

    def ingest_done(done: subprocess.CompletedProcess[str] | Any, out: str, err: str) -> None:
        result.ingest_tail = _tail(out)
        if done.returncode != 0:
            raise RuntimeError(f"trousseau ingest failed ({done.returncode}):\n{err[-3000:]}")

    if overlap:  # a studio's worker runs all day: start it first, stop it once all is recorded
        subprocess.run(  # creates the catalog, so the two commands do not race to migrate it
            _cli(data, "status", "--json"), capture_output=True, env=env, check=True
        )
        say(f"trousseau work --workers {workers} (running), then ingest of {len(paths)} photos")
    else:
        say(f"ingest of {len(paths)} photos ...")
    busy0, cpu0 = machine_busy_seconds(), _children_cpu()
    began = dt.datetime.now(dt.UTC)
    t0 = time.perf_counter()
    if overlap:
        proc = subprocess.Popen(
            work, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        with RssSampler(proc.pid) as sampler:
            done = subprocess.run(ingest, capture_output=True, text=True, env=env, check=False)
            result.ingest_seconds = time.perf_counter() - t0
            ingest_done(done, done.stdout, done.stderr)
            deadline = time.monotonic() + 3600
            while _variants_recorded(data) < result.expected_variants:
                if proc.poll() is not None or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            proc.send_signal(signal.SIGTERM)  # finish running jobs (none left), then exit
            out, err = proc.communicate()
        result.work_seconds = time.perf_counter() - t0 - result.ingest_seconds
    else:
        done = subprocess.run(ingest, capture_output=True, text=True, env=env, check=False)
        result.ingest_seconds = time.perf_counter() - t0
        ingest_done(done, done.stdout, done.stderr)
        say(f"trousseau work --workers {workers} --until-idle ...")
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [*work, "--until-idle"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        with RssSampler(proc.pid) as sampler:
            out, err = proc.communicate()
        result.work_seconds = time.perf_counter() - t0
    result.work_tail = _tail(out)
    if proc.returncode != 0:
        raise RuntimeError(f"trousseau work failed ({proc.returncode}):\n{err[-3000:]}")
    result.cpu_seconds = _children_cpu() - cpu0
    other = machine_busy_seconds() - busy0 - result.cpu_seconds
    result.other_cores = max(0.0, other) / (result.ingest_seconds + result.work_seconds)
    result.worker_rss = sorted(sampler.job_processes(), reverse=True)
    result.worker_main_rss = sampler.peaks.get(proc.pid)

    done = subprocess.run(
        _cli(data, "status", "--json"), capture_output=True, text=True, env=env, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"trousseau status failed:\n{done.stderr[-3000:]}")
    status = json.loads(done.stdout)
    result.late = {k: int(v) for k, v in status.get("late", {}).items()}
    _read_catalog(result, status["catalog"], began)
    _check(result)
    return result


def _read_catalog(result: Run, url: str, began: dt.datetime) -> None:
    from sqlalchemy import text

    from trousseau.catalog import open_catalog

    catalog = open_catalog(url)
    try:
        with catalog.begin() as conn:
            result.variants = conn.execute(text("SELECT count(*) FROM variant")).scalar_one()
            for profile, n, mean_bytes, fmt, w, h in conn.execute(
                text(
                    "SELECT profile, count(*), avg(bytes), min(format), max(width), max(height)"
                    " FROM variant GROUP BY profile"
                )
            ):
                result.by_profile[profile] = (n, float(mean_bytes) / 1024, f"{fmt} {w}x{h}")
            result.photo_states = dict(
                conn.execute(text("SELECT state, count(*) FROM photo GROUP BY state")).all()
            )
            result.jobs = {
                f"{kind} {state}": n
                for kind, state, n in conn.execute(
                    text("SELECT kind, state, count(*) FROM job GROUP BY kind, state")
                )
            }
            last = conn.execute(text("SELECT max(created_at) FROM variant")).scalar_one()
    finally:
        catalog.dispose()
    if isinstance(last, str):
        last = dt.datetime.fromisoformat(last)
    if last is not None:
        if last.tzinfo is None:
            last = last.replace(tzinfo=dt.UTC)
        result.to_last_variant = (last - began).total_seconds()


def _check(result: Run) -> None:
    if result.variants != result.expected_variants:
        result.problems.append(
            f"{result.variants} variants in the catalog, expected {result.expected_variants} "
            f"({result.photos} photos x {len(result.profiles)} profiles)"
        )
    for profile in result.profiles:
        n = result.by_profile.get(profile, (0, 0.0, ""))[0]
        if n != result.photos:
            result.problems.append(f"profile {profile}: {n} variants for {result.photos} photos")
    unfinished = {k: n for k, n in result.jobs.items() if not k.endswith(" done")}
    if unfinished:
        result.problems.append(f"jobs not done: {unfinished}")
    late = sum(result.late.values())
    if late:
        result.problems.append(f"{late} late job(s): {result.late}")


# ---------------------------------------------------------------------------------------------
# Report


def floors(result: Run) -> list[tuple[bool, str]]:
    return [
        (
            result.per_minute >= FLOOR_PER_MINUTE,
            f"{result.photos} photos of 24 MP, ingest to all variants recorded with "
            f"{result.workers} workers: {result.per_minute:.0f} photos/min "
            f"(floor {FLOOR_PER_MINUTE:.0f})",
        ),
        (
            result.variants == result.expected_variants,
            f"variants recorded: {result.variants} = {result.photos} photos x "
            f"{len(result.profiles)} profiles ({result.expected_variants} expected)",
        ),
        (sum(result.late.values()) == 0, f"late jobs: {sum(result.late.values())}"),
    ]


def rows(result: Run) -> list[tuple[str, str]]:
    out = [
        (
            "photos",
            f"{result.photos} generated {MEGAPIXELS:g} MP JPEGs "
            f"({result.input_bytes / 1e9:.2f} GB, {result.input_bytes / result.photos / 1e6:.1f}"
            " MB each)",
        ),
        (
            "ingest",
            f"{result.ingest_seconds:.1f} s ({result.photos / result.ingest_seconds:.1f} photos/s)",
        ),
        (
            "processing",
            f"{result.work_seconds:.1f} s with `work --workers {result.workers}` "
            f"({60 * result.photos / result.work_seconds:.0f} photos/min, process start included)",
        )
        if not result.overlap
        else (
            "processing after the ingest",
            f"{result.work_seconds:.1f} s more with `work --workers {result.workers}`, "
            "which ran from before the ingest started",
        ),
        ("total (both commands)", f"{result.total_seconds:.1f} s"),
    ]
    if result.to_last_variant is not None:
        out.append(("ingest start to last variant recorded", f"{result.to_last_variant:.1f} s"))
    out.append(("throughput", f"**{result.per_minute:.0f} photos/min**"))
    out.append(
        (
            "variants recorded",
            f"{result.variants} (expected {result.expected_variants}: "
            f"{len(result.profiles)} profiles)",
        )
    )
    for profile in result.profiles:
        n, kb, shape = result.by_profile.get(profile, (0, 0.0, "-"))
        out.append((f"variant {profile}", f"{n}, mean {kb:.0f} KB, {shape} (largest)"))
    out.append(
        (
            "late jobs",
            f"{result.late.get('overdue_open', 0)} open past deadline, "
            f"{result.late.get('finished_late', 0)} finished after it ({SLA})",
        )
    )
    out.append(("jobs", ", ".join(f"{n} {k}" for k, n in sorted(result.jobs.items())) or "-"))
    out.append(("photos by state", ", ".join(f"{n} {s}" for s, n in result.photo_states.items())))
    if result.worker_rss:
        rss = ", ".join(f"{mb:.0f}" for mb in result.worker_rss[: max(4, result.workers)])
        out.append(
            (
                "peak RSS per job process",
                f"{rss} MB (VmHWM sampled every 0.25 s; median "
                f"{statistics.median(result.worker_rss):.0f} MB over "
                f"{len(result.worker_rss)} process(es))",
            )
        )
    out.append(
        (
            "CPU time",
            f"{result.cpu_seconds:.0f} s for both commands and their job processes "
            f"({1000 * result.cpu_seconds / result.photos:.0f} ms per photo)",
        )
    )
    if result.other_cores is not None:
        out.append(
            (
                "other load on the machine meanwhile",
                f"{result.other_cores:.2f} cores (a shared machine; /proc/stat busy time, "
                "steal included, minus ours)",
            )
        )
    if result.worker_main_rss:
        out.append(("peak RSS of `trousseau work` itself", f"{result.worker_main_rss:.0f} MB"))
    return out


def print_report(result: Run) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(140, Console().width))
    table = Table(title="Wedding, end to end", show_header=False)
    table.add_column("what")
    table.add_column("figure")
    for what, figure in rows(result):
        table.add_row(what, figure.replace("**", ""))
    console.print(table)
    for ok, text in floors(result):
        console.print(f"[{'green' if ok else 'red'}]{'PASS' if ok else 'MISS'}[/] {text}")
    for problem in result.problems:
        console.print(f"[red]PROBLEM[/] {problem}")


HOW = """\
How it is measured. The photos are generated once (the `trousseau demo` generator, seed
{seed}: 6000x4000 quality-90 JPEGs with EXIF) and cached under `.bench/wedding-24mp/`. Each
run starts from an empty data directory (SQLite catalog, local vault) and no `TROUSSEAU_*`
environment, and runs the command line in subprocesses, one after the other:
`python -m trousseau --data-dir DIR ingest PHOTOS --wedding {wedding} --sla {sla}` (hash,
store durably, record, enqueue), then `python -m trousseau --data-dir DIR work --workers
{workers} --until-idle` (render every enabled profile, store and record the variants; the
command exits once the queue is empty), then `status --json` for the late jobs. "ingest
start to last variant recorded" runs from just before the ingest command starts to the
`created_at` of the last variant row; the throughput is the photos divided by it. Process
start-ups are inside the clock. Peak RSS per job process is the largest VmHWM seen while
sampling every descendant process of `trousseau work` four times a second.
"""


def markdown(result: Run, date: str, command: str) -> str:
    lines = [
        START_MARK,
        f"_Generated by `python -m bench.wedding` on {date}; rerun it to refresh._",
        "",
        f"- Command: `{command}`",
        f"- Machine: {_describe_machine()}",
        *(
            [f"- **What-if run**: {', '.join(f'`{w}`' for w in result.what_if)}"]
            if result.what_if
            else []
        ),
        "",
        "| | |",
        "|---|---|",
    ]
    lines += [f"| {what} | {figure.replace('|', '/')} |" for what, figure in rows(result)]
    lines += ["", "Floors from the issue:", ""]
    lines += [f"- {'PASS' if ok else 'MISS'}: {text}" for ok, text in floors(result)]
    if result.problems:
        lines += ["", "Problems:", ""] + [f"- {p}" for p in result.problems]
    how = HOW.format(seed=SEED, wedding=WEDDING, sla=SLA, workers=result.workers).rstrip()
    if result.overlap:
        how += (
            "\n\nWith `--overlap`, `work --workers N` (without `--until-idle`) is started just "
            "before the ingest, as a studio's always-on worker would be, and stopped with SIGTERM "
            "once every variant is recorded."
        )
    lines += ["", how, END_MARK]
    return "\n".join(lines)


def _describe_machine() -> str:
    import pyvips

    model = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"{os.cpu_count()} CPU cores (os.cpu_count(), {model}); "
        f"{platform.system()} {platform.machine()}; Python {platform.python_version()}; "
        f"libvips {pyvips.version(0)}.{pyvips.version(1)}.{pyvips.version(2)}; SQLite catalog, "
        "local vault on the same disk"
    )


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, help="photos in the wedding (500; 50 with --quick)")
    parser.add_argument("--workers", type=int, default=2, help="`trousseau work` processes (2)")
    parser.add_argument("--quick", action="store_true", help="50 photos")
    parser.add_argument(
        "--generate-processes",
        type=int,
        default=os.cpu_count() or 1,
        help="processes generating missing photos (one per core)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the run's data directory")
    parser.add_argument(
        "--overlap",
        action="store_true",
        help="what-if: start `work` (as a service) before the ingest, stop it when all is done",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="PROFILE.FIELD=VALUE",
        help="what-if: change a profile (TROUSSEAU_IMAGING__PROFILES), e.g. social.effort=2",
    )
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="what-if: an environment variable for the commands, e.g. MALLOC_ARENA_MAX=2",
    )
    parser.add_argument(
        "--generate-only", action="store_true", help="generate the missing photos, then stop"
    )
    parser.add_argument("--date", help="date written in the docs (default: today)")
    parser.add_argument("--docs", type=Path, default=DOCS, help="Markdown file to update")
    parser.add_argument("--no-docs", action="store_true", help="print only; leave the docs alone")
    args = parser.parse_args(argv)
    args.photos = args.photos or (50 if args.quick else 500)
    if min(args.photos, args.workers, args.generate_processes) < 1:
        parser.error("--photos, --workers and --generate-processes must be positive")
    args.overrides = profile_overrides(args.set, parser.error)
    args.extra_env = {}
    for text in args.env:
        name, sep, value = text.partition("=")
        if not (sep and name):
            parser.error(f"--env {text!r}: use NAME=VALUE")
        args.extra_env[name] = value
    return args


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    exit_on_sigterm()
    paths = generate(args.photos, args.generate_processes)
    if args.generate_only:
        return 0
    for path in paths:  # from the page cache, as photos just copied off a card would be
        path.read_bytes()
    CACHE.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="wedding-run-", dir=CACHE))
    try:
        result = run(
            paths,
            workdir,
            args.workers,
            extra_env=args.extra_env,
            overrides=args.overrides,
            overlap=args.overlap,
        )
    finally:
        if args.keep:
            say(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    result.what_if = [*args.set, *args.env] + (["--overlap"] if args.overlap else [])
    print_report(result)
    if not args.no_docs:
        date = args.date or dt.date.today().isoformat()
        section = markdown(result, date, recipe("bench.wedding", argv, flags=("--keep",)))
        write_section(args.docs, section, start=START_MARK, end=END_MARK, heading=SECTION_HEADING)
        say(f"updated {args.docs}")
    return 1 if result.problems else 0


if __name__ == "__main__":
    sys.exit(main())

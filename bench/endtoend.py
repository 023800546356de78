"""End to end on camera-like photos: `ingest` + `work`, and `ingest --work`, against sharp
and the render alone.

Run `.venv/bin/python -m bench.endtoend [--photos 24,200] [--repeats 3] [--quick]`. In one
run, on the same files, for each photo count, it measures in turns (round after round, so
that the four share the machine's moods):

(a) trousseau end to end: a cold `python -m trousseau ingest` of the folder into an empty
    data directory, then `python -m trousseau work --workers 2 --until-idle` (the four
    default variants of every photo stored and recorded), as `bench.wedding` runs them;
    analysis.culling is off in both end-to-end modes, as sharp measures nothing
    (bench.culling measures what the `quality` jobs add);
(b) trousseau end to end in one command: a cold `python -m trousseau ingest --work
    --workers 2` into an empty data directory (the job processes start with the command
    and render each photo once it is recorded; it returns when no job is left), with the
    same checks;
(c) sharp's four per-output pipelines on the same files (`bench.imaging`'s driver: one Node
    process, 2 photos in flight);
(d) the render alone: trousseau's render path (`imaging.render` to the four profiles) in 2
    warm processes, as `bench.imaging` measures it;
(e) what any durable, content-addressed ingest costs before a job runs, the floor under the
    end-to-end modes: the folder stored alone (each file read, hashed once with SHA-256,
    written and fsync'd under its hash, as many threads as ingest stores with, no catalog
    and no verifying re-read), and the two commands' cold starts with nothing to do.

The inputs are textured, noisy 24 MP JPEGs like a camera's fine setting (quality 95, 4:4:4,
~7.5 MB: `generate_photo(..., fine=True)`, cached in .bench/fine-24mp/) and, as a second
row, the smooth 4:2:0 samples of `trousseau demo` (.bench/wedding-24mp/, shared with
bench.wedding). It reports the ratios to sharp, and for each end-to-end mode the time spent
outside the render per photo: (end to end - render alone) / photos, as a share of the
render's time per photo, and how much of that budget the floor (e) takes alone. The table
is printed and written between the `bench:endtoend`
markers of docs/benchmarks.md.
"""

from __future__ import annotations

if __name__ == "__main__" and not __package__:
    raise SystemExit("run it from the repository root as a module: python -m bench.endtoend")

import argparse
import datetime as dt
import hashlib
import json
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from bench import imaging, wedding
from bench.harness import (
    DOCS,
    REPO,
    exit_on_sigterm,
    machine_busy_seconds,
    recipe,
    say,
    write_section,
)

CACHE = REPO / ".bench"
FINE = CACHE / "fine-24mp"
START_MARK = "<!-- bench:endtoend:start -->"
END_MARK = "<!-- bench:endtoend:end -->"
SECTION_HEADING = "## End to end on camera-like photos"

SEED = wedding.SEED
WHEN = wedding.WHEN
MEGAPIXELS = 24.0
WORKERS = 2
VARIANTS_ONLY = {"TROUSSEAU_ANALYSIS__CULLING": "false"}
"""The end-to-end runs make the four variants only: no `quality` job (sharp makes none)."""
TEXTURED = "textured (q95 4:4:4)"
SMOOTH = "smooth demo (q90 4:2:0)"
E2E, ONE, SHARP, RENDER = "end to end", "one command", "sharp", "render alone"
STORE, STARTS = "durable store alone", "cold starts"
MODES = {E2E: "end to end (ingest + work)", ONE: "end to end, one command (ingest --work)"}

FLOOR_E2E = 1.5
FLOOR_RENDER = 2.0
FLOOR_OUTSIDE = 0.15


# ---------------------------------------------------------------------------------------------
# Inputs


def _make_fine(index: int) -> int:
    """Write IMG_{index:04d}.jpg whole (aside, then renamed) into .bench/fine-24mp/."""
    from trousseau.demo.samples import generate_photo

    path = FINE / f"IMG_{index:04d}.jpg"
    data = generate_photo(index, seed=SEED, megapixels=MEGAPIXELS, when=WHEN, fine=True)
    partial = path.with_name(f".{path.name}.part")
    partial.write_bytes(data)
    partial.replace(path)
    return len(data)


def fine_photos(count: int, processes: int) -> list[Path]:
    """IMG_0001.jpg .. IMG_{count}.jpg, textured, generating the missing ones."""
    FINE.mkdir(parents=True, exist_ok=True)
    stamp = FINE / "params.json"
    params = {"seed": SEED, "megapixels": MEGAPIXELS, "when": WHEN.isoformat(), "fine": True}
    if stamp.exists() and json.loads(stamp.read_text()) != params:
        say(f"{FINE} holds photos of other parameters: regenerating")
        for old in FINE.glob("IMG_*.jpg"):
            old.unlink()
    stamp.write_text(json.dumps(params))
    paths = [FINE / f"IMG_{i:04d}.jpg" for i in range(1, count + 1)]
    missing = [i for i, p in enumerate(paths, start=1) if not p.is_file()]
    if missing:
        say(f"generating {len(missing)} textured {MEGAPIXELS:g} MP photos into {FINE} ...")
        started = time.perf_counter()
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(processes, mp_context=ctx) as pool:
            for done, _ in enumerate(pool.map(_make_fine, missing, chunksize=4), start=1):
                if done % 50 == 0 or done == len(missing):
                    say(f"  {done}/{len(missing)} ({time.perf_counter() - started:.0f} s)")
    return paths


def describe(paths: Sequence[Path]) -> str:
    import pyvips

    first = pyvips.Image.new_from_file(str(paths[0]))
    field = "jpeg-chroma-subsample"
    chroma = first.get(field) if first.get_typeof(field) else "?"
    mb = statistics.fmean(p.stat().st_size for p in paths) / 1e6
    return f"{first.width}x{first.height} JPEG, {chroma}, {mb:.1f} MB mean"


# ---------------------------------------------------------------------------------------------
# Runs


@dataclass
class Timing:
    seconds: float
    cpu_seconds: float
    other_cores: float
    round: int
    ingest_seconds: float | None = None
    last_in_seconds: float | None = None  # one command: when the last photo was recorded


@dataclass
class Row:
    """One input set at one photo count: every system's runs."""

    inputs: str
    photos: int
    files: str = ""
    runs: dict[str, list[Timing]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def best(self, system: str) -> Timing | None:
        """The fastest run: on a shared machine, other load only ever adds time."""
        runs = self.runs.get(system)
        return min(runs, key=lambda t: t.seconds) if runs else None

    def ratio(self, fast: str, slow: str) -> float | None:
        a, b = self.best(fast), self.best(slow)
        return b.seconds / a.seconds if a and b else None

    def outside(self, mode: str = E2E) -> tuple[float, float] | None:
        """Seconds of an end-to-end mode outside the render per photo, and their share of the
        render per photo."""
        e2e, render = self.best(mode), self.best(RENDER)
        if not (e2e and render):
            return None
        per_photo = (e2e.seconds - render.seconds) / self.photos
        return per_photo, per_photo / (render.seconds / self.photos)

    def floor_share(self) -> tuple[float, float, float] | None:
        """The floor's budget outside the render (FLOOR_OUTSIDE of the render alone), in
        seconds for the whole row, and the durable store's and the cold starts' seconds."""
        render, store, starts = self.best(RENDER), self.best(STORE), self.best(STARTS)
        if not (render and store and starts):
            return None
        return FLOOR_OUTSIDE * render.seconds, store.seconds, starts.seconds


def run_e2e(paths: Sequence[Path], rnd: int) -> tuple[Timing, list[str]]:
    CACHE.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="endtoend-run-", dir=CACHE))
    try:
        result = wedding.run(
            paths, workdir, WORKERS, extra_env=VARIANTS_ONLY, overrides={}, overlap=False
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    timing = Timing(
        seconds=result.total_seconds,
        cpu_seconds=result.cpu_seconds,
        other_cores=result.other_cores or 0.0,
        round=rnd,
        ingest_seconds=result.ingest_seconds,
    )
    return timing, result.problems


def run_one_command(paths: Sequence[Path], rnd: int) -> tuple[Timing, list[str]]:
    """A cold `trousseau ingest --work --workers 2` into an empty data directory, timed from
    its start to its exit, then the same checks as `wedding.run` (every photo's variants
    recorded, every job done, none late)."""
    from trousseau.imaging.profiles import enabled_profiles, load_profiles

    CACHE.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="endtoend-one-", dir=CACHE))
    try:
        result = wedding.Run(photos=len(paths), workers=WORKERS)
        result.profiles = [p.name for p in enabled_profiles(load_profiles(None, None))]
        result.expected_variants = len(paths) * len(result.profiles)
        photos = workdir / "photos"
        photos.mkdir()
        for path in paths:  # linked, not copied, as wedding.run does
            target = photos / path.name
            try:
                os.link(path, target)
            except OSError:
                shutil.copyfile(path, target)
            result.input_bytes += path.stat().st_size
        data = workdir / "data"
        env = {**wedding._environment(), **VARIANTS_ONLY}
        command = wedding._cli(
            data,
            "ingest",
            str(photos),
            "--wedding",
            wedding.WEDDING,
            "--sla",
            wedding.SLA,
            "--work",
            "--workers",
            str(WORKERS),
        )
        say(f"trousseau ingest --work --workers {WORKERS} of {len(paths)} photos ...")
        busy0, cpu0 = machine_busy_seconds(), wedding._children_cpu()
        began = dt.datetime.now(dt.UTC)
        t0 = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        seconds = time.perf_counter() - t0
        cpu = wedding._children_cpu() - cpu0
        other = max(0.0, machine_busy_seconds() - busy0 - cpu) / seconds
        result.ingest_tail = wedding._tail(done.stdout)
        if done.returncode != 0:
            raise RuntimeError(
                f"trousseau ingest --work failed ({done.returncode}):\n"
                f"{(done.stdout + done.stderr)[-3000:]}"
            )
        status_run = subprocess.run(
            wedding._cli(data, "status", "--json"),
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        if status_run.returncode != 0:
            raise RuntimeError(f"trousseau status failed:\n{status_run.stderr[-3000:]}")
        status = json.loads(status_run.stdout)
        result.late = {k: int(v) for k, v in status.get("late", {}).items()}
        wedding._read_catalog(result, status["catalog"], began)
        wedding._check(result)
        last_in = _last_recorded(status["catalog"], began)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    timing = Timing(seconds, cpu, other, rnd, last_in_seconds=last_in)
    return timing, result.problems


def run_store(paths: Sequence[Path], rnd: int) -> Timing:
    """The least a durable, content-addressed store does with the folder, timed: each file read
    from the page cache, hashed once (its address), written and fsync'd under its hash in a
    fresh directory beside the data directories, then that directory fsync'd; as many threads
    as ingest stores with. No catalog, no verifying re-read, no job."""
    from trousseau.ingest.pipeline import STORE_AHEAD

    CACHE.mkdir(parents=True, exist_ok=True)
    target = Path(tempfile.mkdtemp(prefix="endtoend-store-", dir=CACHE))

    def put(path: Path) -> None:
        data = path.read_bytes()
        with (target / hashlib.sha256(data).hexdigest()).open("xb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())

    try:
        busy0, times0 = machine_busy_seconds(), os.times()
        t0 = time.perf_counter()
        with ThreadPoolExecutor(STORE_AHEAD) as pool:
            list(pool.map(put, paths))
        directory = os.open(target, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
        seconds = time.perf_counter() - t0
        times1 = os.times()
        cpu = (times1.user - times0.user) + (times1.system - times0.system)
        other = max(0.0, machine_busy_seconds() - busy0 - cpu) / seconds
    finally:
        shutil.rmtree(target, ignore_errors=True)
    return Timing(seconds, cpu, other, rnd)


def run_cold_starts(rnd: int) -> Timing:
    """The two end-to-end commands with nothing to do, one after the other: `ingest` of an
    empty folder into an empty data directory (its catalog created), then `work --workers 2
    --until-idle` on it."""
    CACHE.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="endtoend-starts-", dir=CACHE))
    try:
        empty, data = workdir / "photos", workdir / "data"
        empty.mkdir()
        env = {**wedding._environment(), **VARIANTS_ONLY}
        commands = [
            wedding._cli(
                data, "ingest", str(empty), "--wedding", wedding.WEDDING, "--sla", wedding.SLA
            ),
            wedding._cli(data, "work", "--workers", str(WORKERS), "--until-idle"),
        ]
        busy0, cpu0 = machine_busy_seconds(), wedding._children_cpu()
        t0 = time.perf_counter()
        for command in commands:
            done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
            if done.returncode != 0:
                raise RuntimeError(
                    f"{' '.join(command[2:])} failed ({done.returncode}):\n"
                    f"{(done.stdout + done.stderr)[-3000:]}"
                )
        seconds = time.perf_counter() - t0
        cpu = wedding._children_cpu() - cpu0
        other = max(0.0, machine_busy_seconds() - busy0 - cpu) / seconds
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return Timing(seconds, cpu, other, rnd)


def _last_recorded(url: str, began: dt.datetime) -> float | None:
    """Seconds from `began` to the last photo's record (its job enqueued with it)."""
    from sqlalchemy import text

    from trousseau.catalog import open_catalog

    catalog = open_catalog(url)
    try:
        with catalog.begin() as conn:
            last = conn.execute(text("SELECT max(created_at) FROM photo")).scalar_one()
    finally:
        catalog.dispose()
    if isinstance(last, str):
        last = dt.datetime.fromisoformat(last)
    if not isinstance(last, dt.datetime):
        return None
    if last.tzinfo is None:
        last = last.replace(tzinfo=dt.UTC)
    return (last - began).total_seconds()


def measure(
    rows: list[Row], sets: dict[str, list[Path]], repeats: int, sharp: imaging.Sharp | None
) -> None:
    specs = imaging.output_specs({})
    systems = [E2E, ONE, RENDER, STORE, STARTS] + ([SHARP] if sharp else [])
    for row in rows:
        paths = sets[row.inputs][: row.photos]
        items = [imaging.Item(p.name, str(p)) for p in paths]
        row.files = describe(paths)
        for rnd in range(repeats):
            order = systems[rnd % len(systems) :] + systems[: rnd % len(systems)]
            for system in order:
                for p in paths:  # from the page cache, as photos just copied off a card
                    p.read_bytes()
                say(f"{row.inputs}, {row.photos} photos, round {rnd + 1}: {system} ...")
                if system == E2E:
                    timing, problems = run_e2e(paths, rnd)
                    row.problems += [f"{MODES[E2E]}: {p}" for p in problems]
                elif system == ONE:
                    timing, problems = run_one_command(paths, rnd)
                    row.problems += [f"{MODES[ONE]}: {p}" for p in problems]
                elif system == STORE:
                    timing = run_store(paths, rnd)
                elif system == STARTS:
                    timing = run_cold_starts(rnd)
                elif system == SHARP:
                    assert sharp is not None
                    timed = sharp.run(specs, items)
                    timing = Timing(timed.seconds, timed.cpu_seconds, timed.background_cores, rnd)
                else:
                    timed = imaging.run_python(imaging.TROUSSEAU, specs, {}, items, WORKERS)
                    timing = Timing(timed.seconds, timed.cpu_seconds, timed.background_cores, rnd)
                row.runs.setdefault(system, []).append(timing)
                say(
                    f"  {timing.seconds:.1f} s ({row.photos / timing.seconds:.2f} photos/s), "
                    f"other load {timing.other_cores:.2f} cores"
                )


# ---------------------------------------------------------------------------------------------
# Report


def _x(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def _cell(row: Row, system: str) -> str:
    t = row.best(system)
    if t is None:
        return "-"
    cpu = 1000 * t.cpu_seconds / row.photos
    return f"{t.seconds:.1f} s ({row.photos / t.seconds:.2f}/s, {cpu:.0f} CPU ms/photo)"


COLUMNS = [
    "photos",
    "files",
    "end to end (ingest + work)",
    "end to end, one command (ingest --work)",
    "render alone",
    "sharp",
    "ingest + work vs sharp",
    "one command vs sharp",
    "render vs sharp",
    "outside render per photo, ingest + work",
    "outside render per photo, one command",
    "durable store alone (SHA-256, write, fsync)",
    "cold starts (ingest + work, nothing to do)",
    "the floor's budget outside the render (15% of it)",
    "other load (cores)",
]


def _outside_cell(row: Row, mode: str) -> str:
    outside = row.outside(mode)
    if outside is None:
        return "-"
    return f"{1000 * outside[0]:.0f} ms = {100 * outside[1]:.0f}% of the render"


def _seconds_cell(row: Row, system: str) -> str:
    t = row.best(system)
    return "-" if t is None else f"{t.seconds:.2f} s ({t.cpu_seconds:.2f} CPU s)"


def _budget_cell(row: Row) -> str:
    share = row.floor_share()
    if share is None:
        return "-"
    budget, store, starts = share
    return (
        f"{budget:.2f} s; the store and the cold starts alone take "
        f"{100 * (store + starts) / budget:.0f}% of it"
    )


def table(rows: Sequence[Row]) -> list[list[str]]:
    out = []
    for row in rows:
        loads = [t.other_cores for runs in row.runs.values() for t in runs]
        e2e, one = row.best(E2E), row.best(ONE)
        e2e_cell, one_cell = _cell(row, E2E), _cell(row, ONE)
        if e2e is not None and e2e.ingest_seconds is not None:
            e2e_cell += f"; ingest {e2e.ingest_seconds:.1f} s"
        if one is not None and one.last_in_seconds is not None:
            one_cell += f"; last photo in at {one.last_in_seconds:.1f} s"
        out.append(
            [
                f"{row.photos} {row.inputs}",
                row.files,
                e2e_cell,
                one_cell,
                _cell(row, RENDER),
                _cell(row, SHARP),
                _x(row.ratio(E2E, SHARP)),
                _x(row.ratio(ONE, SHARP)),
                _x(row.ratio(RENDER, SHARP)),
                _outside_cell(row, E2E),
                _outside_cell(row, ONE),
                _cell(row, STORE),
                _seconds_cell(row, STARTS),
                _budget_cell(row),
                f"{min(loads):.2f}-{max(loads):.2f}" if loads else "-",
            ]
        )
    return out


def floors(rows: Sequence[Row]) -> list[tuple[bool, str]]:
    out = []
    for row in rows:
        if row.inputs != TEXTURED:
            continue
        for mode, name in MODES.items():
            e2e = row.ratio(mode, SHARP)
            if e2e is not None:
                out.append(
                    (
                        e2e >= FLOOR_E2E,
                        f"{row.photos} textured, {name}: {e2e:.2f}x sharp (floor {FLOOR_E2E:g}x)",
                    )
                )
        render = row.ratio(RENDER, SHARP)
        if render is not None:
            out.append(
                (
                    render >= FLOOR_RENDER,
                    f"{row.photos} textured, render alone: {render:.2f}x sharp "
                    f"(floor {FLOOR_RENDER:g}x)",
                )
            )
        for mode, name in MODES.items():
            outside = row.outside(mode)
            if outside is not None:
                out.append(
                    (
                        outside[1] < FLOOR_OUTSIDE,
                        f"{row.photos} textured, {name}: outside the render "
                        f"{1000 * outside[0]:.0f} ms per photo, {100 * outside[1]:.0f}% of "
                        f"the render (floor < {100 * FLOOR_OUTSIDE:.0f}%)",
                    )
                )
    return out


def budget_notes(rows: Sequence[Row]) -> list[str]:
    """For each textured row, what the floor (e) alone spends of the outside-render budget:
    in wall time (the mode the issue names runs it before any job) and in CPU time (the
    one-command mode overlaps it with the render, on the same cores)."""
    out = []
    for row in rows:
        share = row.floor_share() if row.inputs == TEXTURED else None
        store, starts = row.best(STORE), row.best(STARTS)
        if share is None or store is None or starts is None:
            continue
        budget = share[0]
        cpu = store.cpu_seconds + starts.cpu_seconds
        out.append(
            f"{row.photos} textured: the budget outside the render is {budget:.2f} s "
            f"({100 * FLOOR_OUTSIDE:.0f}% of the render alone), {WORKERS * budget:.2f} CPU s on "
            f"{WORKERS} cores. Storing the folder durably (one SHA-256, write, fsync; nothing "
            f"else) took {store.seconds:.2f} s and the two commands' cold starts "
            f"{starts.seconds:.2f} s: {(store.seconds + starts.seconds) / budget:.1f}x the budget "
            f"before any job runs; in CPU, {cpu:.2f} s: "
            f"{cpu / (WORKERS * budget):.1f}x the budget's CPU"
        )
    return out


def print_report(rows: Sequence[Row]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(200, Console().width))
    grid = Table(title="End to end on camera-like photos (best of the runs)")
    for column in COLUMNS:
        grid.add_column(column)
    for cells in table(rows):
        grid.add_row(*cells)
    console.print(grid)
    for ok, text in floors(rows):
        console.print(f"[{'green' if ok else 'red'}]{'PASS' if ok else 'MISS'}[/] {text}")
    for text in budget_notes(rows):
        console.print(f"FLOOR {text}")
    for row in rows:
        for problem in row.problems:
            console.print(f"[red]PROBLEM[/] {row.photos} {row.inputs}: {problem}")


HOW = """\
How it is measured. Textured photos: `trousseau.demo.samples.generate_photo(i, seed={seed},
fine=True)`, the demo's scene under a fractal texture (Perlin octaves from 128 px to 2 px)
with luminance and chroma sensor noise, saved at quality 95 without chroma subsampling, as a
camera's fine JPEG setting writes; smooth photos: the demo's own (quality 90, 4:2:0). Both
are cached under `.bench/` and read once into the page cache before every run. Each system
runs `--repeats` times, in turns (the order rotating each round), and the fastest run of
each is shown (other load on a shared machine only adds time; the range of other load over
all runs is in the last column). Both end-to-end modes start cold on an empty data
directory (a fresh one for every run), store, record and placeholder every photo's four
default variants, and are checked afterwards: every variant recorded, every job done, none
late (a miss is listed under Problems). "End to end (ingest + work)", the mode the issue
names, is wall time from the start of `python -m trousseau --data-dir DIR ingest FOLDER` to
the exit of `python -m trousseau --data-dir DIR work --workers {workers} --until-idle`, run
one after the other; "ingest" is the first command's share. "End to end, one command
(ingest --work)" is wall time from the start to the exit of `python -m trousseau --data-dir
DIR ingest FOLDER --wedding W --sla same-day --work --workers {workers}`, whose job
processes start with the command and render each photo as soon as it is recorded while the
rest of the folder is read; it returns when no job is left ("last photo in" is when the last
photo was recorded, from the catalog). CPU is the commands' and their job processes'. "Render
alone" is trousseau's render path (`imaging.render` to the four profiles) in {workers} warm
processes, one photo at a time each; "sharp" is sharp's four per-output pipelines,
{workers} photos in flight (the driver of `bench.imaging`). Outside the render per photo, for
each end-to-end mode = (end to end - render alone) / photos, as a share of the render alone
per photo: ingest, process starts, the vault's durable writes and verified reads,
placeholders and the catalog (in the one-command mode, less what overlaps the render).
"Durable store alone" is the least any durable, content-addressed ingest does with the
folder, in this process: each file read from the page cache, hashed once with SHA-256, written
and fsync'd under its hash in a fresh directory on the data's disk, then the directory
fsync'd, by as many threads as ingest stores with (no catalog, no verifying re-read, no
job). "Cold starts" are the two end-to-end commands run with nothing to do: `ingest` of an
empty folder into an empty data directory, then `work --workers {workers} --until-idle`.
Their sum, set against the floor's budget outside the render, shows how much of that budget
is spent before a single job runs.
"""


def markdown(rows: Sequence[Row], date: str, command: str, machine: str, sharp: str) -> str:
    lines = [
        START_MARK,
        f"_Generated by `python -m bench.endtoend` on {date}; rerun it to refresh._",
        "",
        f"- Command: `{command}`",
        f"- Machine: {machine}",
        f"- sharp: {sharp}",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    lines += ["| " + " | ".join(c.replace("|", "/") for c in cells) + " |" for cells in table(rows)]
    lines += ["", "Floors from the issue:", ""]
    lines += [f"- {'PASS' if ok else 'MISS'}: {text}" for ok, text in floors(rows)]
    notes = budget_notes(rows)
    if notes:
        lines += ["", "What the outside-render floor leaves, measured in the same run:", ""]
        lines += [f"- {text}" for text in notes]
    problems = [f"{r.photos} {r.inputs}: {p}" for r in rows for p in r.problems]
    if problems:
        lines += ["", "Problems:", ""] + [f"- {p}" for p in problems]
    lines += ["", HOW.format(seed=SEED, workers=WORKERS).rstrip(), END_MARK]
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--photos", default="24,200", help="photo counts of the textured rows (24,200)"
    )
    parser.add_argument(
        "--smooth", default="24", help="photo counts of the smooth rows (24; 0 for none)"
    )
    parser.add_argument("--repeats", type=int, default=3, help="runs of each system per row (3)")
    parser.add_argument(
        "--repeats-large",
        type=int,
        default=1,
        help="runs of each system for rows of 100 photos or more (1)",
    )
    parser.add_argument("--quick", action="store_true", help="8 textured photos, one run each")
    parser.add_argument("--no-sharp", action="store_true", help="skip sharp")
    parser.add_argument(
        "--generate-processes",
        type=int,
        default=os.cpu_count() or 1,
        help="processes generating missing photos (one per core)",
    )
    parser.add_argument("--date", help="date written in the docs (default: today)")
    parser.add_argument("--docs", type=Path, default=DOCS, help="Markdown file to update")
    parser.add_argument("--no-docs", action="store_true", help="print only; leave the docs alone")
    args = parser.parse_args(argv)
    try:
        args.counts = [int(n) for n in args.photos.split(",") if n.strip()]
        args.smooth_counts = [int(n) for n in args.smooth.split(",") if n.strip() and int(n)]
    except ValueError:
        parser.error("--photos and --smooth take counts separated by commas: 24,200")
    if args.quick:
        args.counts, args.smooth_counts, args.repeats, args.repeats_large = [8], [], 1, 1
    if min([*args.counts, *args.smooth_counts, args.repeats, args.repeats_large, 1]) < 1:
        parser.error("photo counts and repeats must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    exit_on_sigterm()
    sets = {TEXTURED: fine_photos(max(args.counts), args.generate_processes)}
    if args.smooth_counts:
        sets[SMOOTH] = wedding.generate(max(args.smooth_counts), args.generate_processes)
    imaging.warm_input()
    sharp = None if args.no_sharp else imaging.Sharp(WORKERS)
    if sharp is not None and not sharp.install():
        say(f"sharp: {sharp.problem}")
        sharp = None
    rows = [Row(TEXTURED, n) for n in args.counts] + [Row(SMOOTH, n) for n in args.smooth_counts]
    for row in rows:
        repeats = args.repeats_large if row.photos >= 100 else args.repeats
        measure([row], sets, repeats, sharp)
    print_report(rows)
    if not args.no_docs:
        date = args.date or dt.date.today().isoformat()
        described = "not measured"
        if sharp is not None:
            v = sharp.version
            described = (
                f"sharp {v.get('sharp')} (libvips {v.get('vips')}, {v.get('jpeg')}), 1 Node "
                f"process, UV_THREADPOOL_SIZE={v.get('threadpool')}, concurrency "
                f"{v.get('concurrency')}"
            )
        machine = wedding._describe_machine()
        section = markdown(rows, date, recipe("bench.endtoend", argv), machine, described)
        write_section(args.docs, section, start=START_MARK, end=END_MARK, heading=SECTION_HEADING)
        say(f"updated {args.docs}")
    return 1 if any(r.problems for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())

"""End to end on camera-like photos: `ingest` + `work` against sharp and the render alone.

Run `.venv/bin/python -m bench.endtoend [--photos 24,200] [--repeats 3] [--quick]`. In one
run, on the same files, for each photo count, it measures in turns (round after round, so
that the three share the machine's moods):

(a) trousseau end to end: a cold `python -m trousseau ingest` of the folder into an empty
    data directory, then `python -m trousseau work --workers 2 --until-idle` (the four
    default variants of every photo stored and recorded), as `bench.wedding` runs them;
(b) sharp's four per-output pipelines on the same files (`bench.imaging`'s driver: one Node
    process, 2 photos in flight);
(c) the render alone: trousseau's render path (`imaging.render` to the four profiles) in 2
    warm processes, as `bench.imaging` measures it.

The inputs are textured, noisy 24 MP JPEGs like a camera's fine setting (quality 95, 4:4:4,
~7.5 MB: `generate_photo(..., fine=True)`, cached in .bench/fine-24mp/) and, as a second
row, the smooth 4:2:0 samples of `trousseau demo` (.bench/wedding-24mp/, shared with
bench.wedding). It reports the ratios to sharp, and the time spent outside the render per
photo: (end to end - render alone) / photos, as a share of the render's time per photo. The
table is printed and written between the `bench:endtoend` markers of docs/benchmarks.md.
"""

from __future__ import annotations

if __name__ == "__main__" and not __package__:
    raise SystemExit("run it from the repository root as a module: python -m bench.endtoend")

import argparse
import datetime as dt
import json
import multiprocessing
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from bench import imaging, wedding
from bench.harness import DOCS, REPO, exit_on_sigterm, recipe, say, write_section

CACHE = REPO / ".bench"
FINE = CACHE / "fine-24mp"
START_MARK = "<!-- bench:endtoend:start -->"
END_MARK = "<!-- bench:endtoend:end -->"
SECTION_HEADING = "## End to end on camera-like photos"

SEED = wedding.SEED
WHEN = wedding.WHEN
MEGAPIXELS = 24.0
WORKERS = 2
TEXTURED = "textured (q95 4:4:4)"
SMOOTH = "smooth demo (q90 4:2:0)"
E2E, SHARP, RENDER = "end to end", "sharp", "render alone"

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

    def outside(self) -> tuple[float, float] | None:
        """Seconds outside the render per photo, and their share of the render per photo."""
        e2e, render = self.best(E2E), self.best(RENDER)
        if not (e2e and render):
            return None
        per_photo = (e2e.seconds - render.seconds) / self.photos
        return per_photo, per_photo / (render.seconds / self.photos)


def run_e2e(paths: Sequence[Path], rnd: int) -> tuple[Timing, list[str]]:
    CACHE.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="endtoend-run-", dir=CACHE))
    try:
        result = wedding.run(paths, workdir, WORKERS, extra_env={}, overrides={}, overlap=False)
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


def measure(
    rows: list[Row], sets: dict[str, list[Path]], repeats: int, sharp: imaging.Sharp | None
) -> None:
    specs = imaging.output_specs({})
    systems = [E2E, RENDER] + ([SHARP] if sharp else [])
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
                    row.problems += problems
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
    "render alone",
    "sharp",
    "e2e vs sharp",
    "render vs sharp",
    "outside render per photo",
    "other load (cores)",
]


def table(rows: Sequence[Row]) -> list[list[str]]:
    out = []
    for row in rows:
        outside = row.outside()
        loads = [t.other_cores for runs in row.runs.values() for t in runs]
        e2e = row.best(E2E)
        e2e_cell = _cell(row, E2E)
        if e2e is not None and e2e.ingest_seconds is not None:
            e2e_cell += f"; ingest {e2e.ingest_seconds:.1f} s"
        out.append(
            [
                f"{row.photos} {row.inputs}",
                row.files,
                e2e_cell,
                _cell(row, RENDER),
                _cell(row, SHARP),
                _x(row.ratio(E2E, SHARP)),
                _x(row.ratio(RENDER, SHARP)),
                "-"
                if outside is None
                else f"{1000 * outside[0]:.0f} ms = {100 * outside[1]:.0f}% of the render",
                f"{min(loads):.2f}-{max(loads):.2f}" if loads else "-",
            ]
        )
    return out


def floors(rows: Sequence[Row]) -> list[tuple[bool, str]]:
    out = []
    for row in rows:
        if row.inputs != TEXTURED:
            continue
        e2e, render, outside = row.ratio(E2E, SHARP), row.ratio(RENDER, SHARP), row.outside()
        if e2e is not None:
            out.append(
                (
                    e2e >= FLOOR_E2E,
                    f"{row.photos} textured: end to end {e2e:.2f}x sharp (floor {FLOOR_E2E:g}x)",
                )
            )
        if render is not None:
            out.append(
                (
                    render >= FLOOR_RENDER,
                    f"{row.photos} textured: render alone {render:.2f}x sharp "
                    f"(floor {FLOOR_RENDER:g}x)",
                )
            )
        if outside is not None:
            out.append(
                (
                    outside[1] < FLOOR_OUTSIDE,
                    f"{row.photos} textured: outside the render {1000 * outside[0]:.0f} ms per "
                    f"photo, {100 * outside[1]:.0f}% of the render (floor < "
                    f"{100 * FLOOR_OUTSIDE:.0f}%)",
                )
            )
    return out


def print_report(rows: Sequence[Row]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(160, Console().width))
    grid = Table(title="End to end on camera-like photos (best of the runs)")
    for column in COLUMNS:
        grid.add_column(column)
    for cells in table(rows):
        grid.add_row(*cells)
    console.print(grid)
    for ok, text in floors(rows):
        console.print(f"[{'green' if ok else 'red'}]{'PASS' if ok else 'MISS'}[/] {text}")
    for row in rows:
        for problem in row.problems:
            console.print(f"[red]PROBLEM[/] {row.photos} {row.inputs}: {problem}")


HOW = """\
How it is measured. Textured photos: `trousseau.demo.samples.generate_photo(i, seed={seed},
fine=True)`, the demo's scene under a fractal texture (Perlin octaves from 128 px to 2 px)
with luminance and chroma sensor noise, saved at quality 95 without chroma subsampling, as a
camera's fine JPEG setting writes; smooth photos: the demo's own (quality 90, 4:2:0). Both
are cached under `.bench/` and read once into the page cache before every run. Each system
runs `--repeats` times, in turns, and the fastest run of each is shown (other load on a
shared machine only adds time; the range of other load over all runs is in the last column).
"End to end" is wall time from the start of a cold `python -m trousseau --data-dir DIR
ingest FOLDER` on an empty data directory to the exit of `python -m trousseau --data-dir DIR
work --workers {workers} --until-idle` (every photo's four default variants stored, recorded
and its placeholder computed; process starts included); its CPU is both commands and their
job processes. "Render alone" is trousseau's render path (`imaging.render` to the four
profiles) in {workers} warm processes, one photo at a time each; "sharp" is sharp's four
per-output pipelines, {workers} photos in flight (the driver of `bench.imaging`). Outside the
render per photo = (end to end - render alone) / photos: ingest, process starts, the vault's
durable writes and verified reads, placeholders and the catalog.
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

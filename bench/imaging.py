"""Imaging benchmark: trousseau's render path against Pillow, sharp and the decode-only bound.

Run `.venv/bin/python -m bench.imaging [--photos 12] [--quick]`. In one run, on this machine,
for the same inputs and the same four outputs (the enabled default profiles: portrait,
reception, social, thumb), it measures:

1. photos/s with 2 parallel workers (`--workers`) of
   (a) trousseau: 2 processes each calling `imaging.render` with the backend
       `select_backend(ImagingSettings())` builds, as `trousseau work` job processes do
       (libvips concurrency 1 per process);
   (b) Pillow, straightforward: `Image.open` -> `exif_transpose` -> RGB -> one LANCZOS
       `resize` from the full image per output, 2 processes; and "Pillow with draft", the
       same after `draft()` (JPEG shrink-on-load to the largest output), 2 processes;
   (c) sharp (npm, installed under .bench/node): one pipeline per output from the input
       buffer (`sharp(buf).rotate().resize(...).jpeg(...)`), one Node process with
       UV_THREADPOOL_SIZE=2, sharp's default concurrency (1 on glibc Linux) and 2 photos in
       flight;
   (d) the decode-only bound: `pyvips.Image.thumbnail_buffer(data, 3000, size="down")`
       forced with `.avg()`, 2 processes at libvips concurrency 1;
   on generated 24-megapixel JPEGs and on the real camera JPEGs of ../shared/data/photos;
2. where trousseau's time goes per photo (header, decode, each resize, each encode);
3. size, time and PSNR of the encoder settings the profiles choose between;
4. peak RSS of one fresh worker process rendering a 50-megapixel JPEG with every profile.

The results are printed as tables and written between the `bench:imaging` markers of
docs/benchmarks.md.
"""

from __future__ import annotations

if __name__ == "__main__" and not __package__:
    raise SystemExit("run it from the repository root as a module: python -m bench.imaging")

import argparse
import contextlib
import datetime as dt
import io
import json
import math
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.harness import (
    DOCS,
    REPO,
    child,
    exit_on_sigterm,
    profile_overrides,
    recipe,
    run_released,
    say,
    write_section,
)

CACHE = REPO / ".bench"
INPUTS = CACHE / "imaging-inputs"
NODE_DIR = CACHE / "node"
SHARED_PHOTOS = REPO.parent / "shared" / "data" / "photos"
START_MARK = "<!-- bench:imaging:start -->"
END_MARK = "<!-- bench:imaging:end -->"
SECTION_HEADING = "## Imaging"

SEED = 2026
WHEN = dt.datetime(2026, 6, 13, 14, 0, tzinfo=dt.UTC)
CAMERA_FILES = (  # real camera JPEGs of the shared test data, with their EXIF
    "exif/iphone6_gps.jpg",
    "exif/nokia83_gps.jpg",
    "color/adobe_rgb__canon_xmp.jpg",
)

TROUSSEAU = "trousseau"
PILLOW = "Pillow"
PILLOW_DRAFT = "Pillow with draft"
SHARP = "sharp"
DECODE = "decode-only bound"
DECODE_DCT = "decode-only, DCT-scaled"
SYSTEMS = (TROUSSEAU, PILLOW, PILLOW_DRAFT, SHARP, DECODE, DECODE_DCT)
GENERATED = "24 MP generated"
CAMERA = "camera files"

FLOOR_PILLOW = 4.0
FLOOR_SHARP = 2.0
FLOOR_DECODE = 2.5
FLOOR_RSS_MB = 400.0
QUIET_CORES = 0.25
"""A run during which the rest of the machine used more CPU than this is not quiet."""
MAX_RUNS_FACTOR = 3
RSS_RENDERS = 10
"""Renders of the 50 MP photo in the fresh process whose peak RSS is reported."""

# Heavy imports (pyvips, Pillow, trousseau) happen inside functions, so that the spawned
# worker processes, which re-import this file as `__mp_main__`, stay light.


# ---------------------------------------------------------------------------------------------
# Inputs


@dataclass(frozen=True)
class Item:
    """One input photo of a throughput run."""

    name: str
    path: str


def _generated(index: int, megapixels: float, seed: int = SEED) -> Path:
    """A cached `generate_photo(index)` JPEG of `megapixels`, written whole (aside, renamed)."""
    label = f"{megapixels:g}mp"
    path = INPUTS / f"gen-{label}-s{seed}-{index:03d}.jpg"
    if not path.exists():
        from trousseau.demo.samples import generate_photo

        INPUTS.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.part")
        partial.write_bytes(generate_photo(index, seed=seed, megapixels=megapixels, when=WHEN))
        partial.replace(path)
    return path


def generated_inputs(count: int) -> list[Item]:
    items = []
    for index in range(1, count + 1):
        path = _generated(index, 24)
        items.append(Item(path.name, str(path)))
    return items


def camera_inputs(photos_dir: Path, copies: int) -> list[Item]:
    """The shared camera JPEGs, each `copies` times (they are smaller than 24 MP)."""
    found = [photos_dir / rel for rel in CAMERA_FILES if (photos_dir / rel).is_file()]
    return [Item(p.name, str(p)) for _ in range(copies) for p in found]


def warm_input() -> Path:
    """A small photo each worker renders once before the clock starts."""
    return _generated(0, 2)


def _page_in(items: Sequence[Item]) -> None:
    """Read every input once so that all systems read them from the page cache."""
    for item in {i.path for i in items}:
        Path(item).read_bytes()


def describe_image(path: str) -> str:
    import pyvips

    image = pyvips.Image.new_from_file(path)
    mb = Path(path).stat().st_size / 1e6
    return f"{image.width}x{image.height} ({image.width * image.height / 1e6:.1f} MP, {mb:.1f} MB)"


# ---------------------------------------------------------------------------------------------
# Output specifications, from trousseau's enabled profiles


@dataclass(frozen=True)
class OutputSpec:
    """One output of every photo, with the encoder settings of its trousseau profile."""

    name: str
    long_edge: int
    fit: str
    box: tuple[int, int]
    crop: str
    format: str
    quality: int
    chroma: str
    optimize_coding: bool
    progressive: bool
    effort: int | None
    smart_subsample: bool
    sharpen: float

    def describe(self) -> str:
        parts = [f"{self.format.upper()} {self.long_edge} q{self.quality}"]
        if self.format == "jpeg":
            parts.append(self.chroma)
            parts.append(f"optimize_coding {'on' if self.optimize_coding else 'off'}")
            if self.progressive:
                parts.append("progressive")
        if self.format in ("webp", "avif"):
            parts.append(f"effort {4 if self.effort is None else self.effort}")
        if self.smart_subsample:
            parts.append("smart subsample")
        if self.sharpen:
            parts.append(f"sharpen {self.sharpen:g}")
        if self.fit == "cover":
            parts.append(f"cover {self.box[0]}x{self.box[1]} ({self.crop})")
        return " ".join(parts[:1]) + (", " + ", ".join(parts[1:]) if parts[1:] else "")


Overrides = dict[str, dict[str, Any]]


def all_profiles(overrides: Overrides) -> dict[str, Any]:
    """Every profile: the defaults with `--set` overrides applied (as settings would)."""
    from trousseau.imaging.profiles import load_profiles

    return load_profiles(None, overrides or None)


def active_profiles(overrides: Overrides) -> list[Any]:
    """The enabled profiles, largest first: what `trousseau work` renders."""
    from trousseau.imaging.profiles import enabled_profiles

    return enabled_profiles(all_profiles(overrides))


def output_specs(overrides: Overrides) -> list[OutputSpec]:
    return [
        OutputSpec(
            name=p.name,
            long_edge=p.long_edge,
            fit=p.fit,
            box=p.box(),
            crop=p.crop,
            format=p.format,
            quality=p.quality,
            chroma=p.chroma,
            optimize_coding=p.optimize_coding,
            progressive=p.progressive,
            effort=p.effort,
            smart_subsample=p.smart_subsample,
            sharpen=p.sharpen,
        )
        for p in active_profiles(overrides)
    ]


# ---------------------------------------------------------------------------------------------
# The Python systems: each `_setup_*` returns process(data, name) -> [(output, w, h, bytes)]

Outputs = list[tuple[str, int, int, int]]


def _setup_trousseau(
    specs: Sequence[OutputSpec], overrides: Overrides
) -> Callable[[bytes, str], Outputs]:
    from trousseau.imaging.render import Original, render
    from trousseau.imaging.selection import select_backend
    from trousseau.settings import ImagingSettings

    backend = select_backend(ImagingSettings())  # the defaults: libvips concurrency 1
    profiles = active_profiles(overrides)
    assert [p.name for p in profiles] == [s.name for s in specs]

    def process(data: bytes, name: str) -> Outputs:
        rendering = render(Original(data, "jpeg", name), profiles, backend)
        return [(v.profile, v.width, v.height, len(v.data)) for v in rendering.variants]

    return process


def _pillow_save(image: Any, spec: OutputSpec) -> bytes:
    buffer = io.BytesIO()
    if spec.format == "jpeg":
        image.save(
            buffer,
            "JPEG",
            quality=spec.quality,
            subsampling=0 if spec.chroma == "4:4:4" else 2,
            optimize=spec.optimize_coding,
            progressive=spec.progressive,
        )
    elif spec.format == "webp":
        image.save(
            buffer, "WEBP", quality=spec.quality, method=4 if spec.effort is None else spec.effort
        )
    elif spec.format == "avif":
        image.save(buffer, "AVIF", quality=spec.quality, speed=10 - (spec.effort or 0))
    else:
        image.save(buffer, "PNG")
    return buffer.getvalue()


def _pillow_resize(image: Any, spec: OutputSpec, profile: Any) -> Any:
    from PIL import Image, ImageOps

    width, height = profile.target_size(*image.size)  # trousseau's rounding
    if spec.fit == "cover":
        return ImageOps.fit(image, (width, height), Image.Resampling.LANCZOS)
    if (width, height) == image.size:
        return image
    return image.resize((width, height), Image.Resampling.LANCZOS)


def _setup_pillow(
    specs: Sequence[OutputSpec], overrides: Overrides, *, draft: bool
) -> Callable[[bytes, str], Outputs]:
    from PIL import Image, ImageOps

    profiles = all_profiles(overrides)
    largest = max(s.long_edge for s in specs)

    def process(data: bytes, name: str) -> Outputs:
        image = Image.open(io.BytesIO(data))
        if draft and image.format == "JPEG":
            # JPEG shrink-on-load: the smallest DCT scale still at least the largest output.
            scale = min(1.0, largest / max(image.size))
            image.draft("RGB", (math.ceil(image.width * scale), math.ceil(image.height * scale)))
        image = ImageOps.exif_transpose(image).convert("RGB")
        outputs = []
        for spec in specs:
            resized = _pillow_resize(image, spec, profiles[spec.name])
            data_out = _pillow_save(resized, spec)
            outputs.append((spec.name, resized.width, resized.height, len(data_out)))
        return outputs

    return process


def _setup_decode(specs: Sequence[OutputSpec]) -> Callable[[bytes, str], Outputs]:
    import pyvips

    pyvips.concurrency_set(1)
    largest = max(s.long_edge for s in specs)

    def process(data: bytes, name: str) -> Outputs:
        image = pyvips.Image.thumbnail_buffer(data, largest, height=largest, size="down")
        image.avg()  # forces every pixel through the decoder
        return [("decoded", image.width, image.height, 0)]

    return process


def source_dims(data: bytes) -> tuple[int, int]:
    """Stored (not upright) width and height from the header."""
    import pyvips

    header = pyvips.Image.new_from_buffer(data, "")
    return header.width, header.height


def jpeg_shrink(width: int, height: int, long_edge: int) -> int:
    """The largest JPEG DCT scale (1/2, 1/4, 1/8) that still leaves `long_edge` pixels."""
    for shrink in (8, 4, 2):
        if max(width, height) / shrink >= long_edge:
            return shrink
    return 1


def _setup_decode_dct(specs: Sequence[OutputSpec]) -> Callable[[bytes, str], Outputs]:
    """JPEG decode with the full DCT-domain shrink the largest output allows, forced.

    libvips' `thumbnail` (the bound above) keeps at least a 2x margin for its own resize, so
    it decodes a 6000 px JPEG for a 3000 px output at full size; sharp's default
    (`fastShrinkOnLoad`) and this row use the 1/2 DCT scale instead.
    """
    import pyvips

    pyvips.concurrency_set(1)
    largest = max(s.long_edge for s in specs)

    def process(data: bytes, name: str) -> Outputs:
        shrink = jpeg_shrink(*source_dims(data), largest)
        image = pyvips.Image.jpegload_buffer(data, shrink=shrink)
        image.avg()
        return [("decoded", image.width, image.height, 0)]

    return process


def _setup(
    system: str, specs: Sequence[OutputSpec], overrides: Overrides
) -> Callable[[bytes, str], Outputs]:
    if system == TROUSSEAU:
        return _setup_trousseau(specs, overrides)
    if system == PILLOW:
        return _setup_pillow(specs, overrides, draft=False)
    if system == PILLOW_DRAFT:
        return _setup_pillow(specs, overrides, draft=True)
    if system == DECODE:
        return _setup_decode(specs)
    if system == DECODE_DCT:
        return _setup_decode_dct(specs)
    raise ValueError(system)


def _peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM), in MB."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _python_worker(
    system: str,
    specs: Sequence[OutputSpec],
    overrides: Overrides,
    items: Sequence[Item],
    warm: str,
    counter: Any,
    ready: Callable[[], None],
) -> dict[str, Any]:
    """Set up, render the warm-up photo, wait for the start, then take photos until none left.

    Photos are handed out one at a time through a shared counter, as a job queue would, and
    each is read from disk (the page cache) inside the clock, as a job reads its original.
    """
    process = _setup(system, specs, overrides)
    process(Path(warm).read_bytes(), "warm-up")
    ready()
    before = resource.getrusage(resource.RUSAGE_SELF)
    done: dict[int, Outputs] = {}
    while True:
        with counter.get_lock():
            index = counter.value
            counter.value += 1
        if index >= len(items):
            break
        item = items[index]
        done[index] = process(Path(item.path).read_bytes(), item.name)
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"done": done, "rss_mb": _peak_rss_mb(), "cpu_s": cpu}


@dataclass
class Timed:
    """One timed run of one system over one input set."""

    seconds: float
    outputs: dict[int, Outputs]
    rss_mb: list[float]
    cpu_seconds: float  # user + system time of every worker, inside the clock
    busy_seconds: float = 0.0  # the whole machine's busy CPU time over the same span
    round: int = 0  # the round of turns it ran in

    @property
    def background_cores(self) -> float:
        """Cores' worth of CPU used by anything but our workers while they ran."""
        return max(0.0, self.busy_seconds - self.cpu_seconds) / self.seconds


def run_processes(
    target: Callable[..., Any], args: tuple[Any, ...], n: int, *, limit: float = 1800
) -> Timed:
    """Release `n` worker processes at once and time them; each target returns its outputs,
    peak RSS and CPU seconds."""
    released = run_released(target, args, n, ready_within=300, limit=limit)
    outputs: dict[int, Outputs] = {}
    for value, _ in released.done:
        outputs.update(value["done"])
    return Timed(
        seconds=released.seconds,
        outputs=outputs,
        rss_mb=[value["rss_mb"] for value, _ in released.done],
        cpu_seconds=sum(value["cpu_s"] for value, _ in released.done),
        busy_seconds=released.busy_seconds,
    )


def run_python(
    system: str,
    specs: Sequence[OutputSpec],
    overrides: Overrides,
    items: Sequence[Item],
    workers: int,
) -> Timed:
    import multiprocessing

    counter = multiprocessing.get_context("spawn").Value("q", 0)
    args = (system, list(specs), overrides, list(items), str(warm_input()), counter)
    timed = run_processes(_python_worker, args, workers)
    if len(timed.outputs) != len(items):
        raise RuntimeError(f"{system}: {len(timed.outputs)} of {len(items)} photos were done")
    return timed


# ---------------------------------------------------------------------------------------------
# sharp

SHARP_JS = r"""
// Generated by bench.imaging: one sharp pipeline per output, the way sharp's users write it.
const fs = require('fs');
const sharp = require('sharp');

const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
if (cfg.concurrency !== null) sharp.concurrency(cfg.concurrency);

function pipeline(buffer, o) {
  let p = sharp(buffer).rotate().resize({
    width: o.width, height: o.height, fit: o.fit, position: o.position,
    withoutEnlargement: true,
  });
  if (o.format === 'jpeg') {
    p = p.jpeg({ quality: o.quality, chromaSubsampling: o.chroma,
                 optimiseCoding: o.optimize, progressive: o.progressive });
  } else if (o.format === 'webp') {
    p = p.webp({ quality: o.quality, effort: o.effort, smartSubsample: o.smartSubsample });
  } else if (o.format === 'avif') {
    p = p.avif({ quality: o.quality, effort: o.effort, chromaSubsampling: o.chroma });
  } else {
    p = p.png();
  }
  return p.toBuffer({ resolveWithObject: true });
}

async function photo(file) {
  const buffer = await fs.promises.readFile(file);
  const done = await Promise.all(cfg.outputs.map((o) => pipeline(buffer, o)));
  return done.map((r, k) => [cfg.outputs[k].name, r.info.width, r.info.height, r.info.size]);
}

function machineBusy() {  // as machine_busy_seconds() in bench/harness.py, in clock ticks
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9)
    .map(Number);
  return f[0] + f[1] + f[2] + f[5] + f[6] + f[7];
}

async function main() {
  await photo(cfg.warm);
  const results = {};
  let next = 0;
  async function lane() {
    for (;;) {
      const i = next++;
      if (i >= cfg.files.length) return;
      results[i] = await photo(cfg.files[i]);
    }
  }
  const busy0 = machineBusy();
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: cfg.inflight }, lane));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const busyTicks = machineBusy() - busy0;
  process.stdout.write(JSON.stringify({
    seconds, results, cpu_seconds: (cpu.user + cpu.system) / 1e6, busy_ticks: busyTicks,
    rss_mb: process.resourceUsage().maxRSS / 1024,
    versions: sharp.versions, concurrency: sharp.concurrency(),
    threadpool: process.env.UV_THREADPOOL_SIZE || '4 (default)',
  }));
}

main().catch((e) => { console.error(e); process.exit(1); });
"""

_SHARP_POSITION = {"attention": "attention", "entropy": "entropy", "centre": "centre"}


class Sharp:
    """sharp installed with npm under .bench/node, driven by a generated script there."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.version: dict[str, str] = {}
        self.node = shutil.which("node")
        self.problem: str | None = None

    def install(self) -> bool:
        if self.node is None or shutil.which("npm") is None:
            self.problem = "node/npm not found: sharp was not measured"
            return False
        if not (NODE_DIR / "node_modules" / "sharp").is_dir():
            say("installing sharp with npm under .bench/node ...")
            NODE_DIR.mkdir(parents=True, exist_ok=True)
            done = subprocess.run(
                [
                    "npm",
                    "install",
                    "--no-save",
                    "--no-package-lock",
                    "--no-audit",
                    "--no-fund",
                    "--prefix",
                    str(NODE_DIR),
                    "sharp",
                ],
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            if done.returncode != 0:
                self.problem = f"npm install sharp failed: {done.stderr.strip()[-300:]}"
                return False
        (NODE_DIR / "bench-sharp.js").write_text(SHARP_JS, encoding="utf-8")
        return True

    def run(self, specs: Sequence[OutputSpec], items: Sequence[Item]) -> Timed:
        outputs = []
        for s in specs:
            width, height = s.box
            outputs.append(
                {
                    "name": s.name,
                    "width": width,
                    "height": height,
                    "fit": "cover" if s.fit == "cover" else "inside",
                    "position": _SHARP_POSITION[s.crop],
                    "format": s.format,
                    "quality": s.quality,
                    "chroma": s.chroma,
                    "optimize": s.optimize_coding,
                    "progressive": s.progressive,
                    "effort": 4 if s.effort is None else s.effort,
                    "smartSubsample": s.smart_subsample,
                }
            )
        config = {
            "outputs": outputs,
            "files": [i.path for i in items],
            "warm": str(warm_input()),
            "inflight": self.workers,
            "concurrency": None,  # sharp's default: 1 thread per pipeline on glibc Linux
        }
        config_path = NODE_DIR / "bench-sharp.json"
        config_path.write_text(json.dumps(config), encoding="utf-8")
        env = {**os.environ, "UV_THREADPOOL_SIZE": str(self.workers)}
        env.pop("VIPS_CONCURRENCY", None)
        done = subprocess.run(
            [self.node or "node", str(NODE_DIR / "bench-sharp.js"), str(config_path)],
            capture_output=True,
            text=True,
            env=env,
            cwd=NODE_DIR,
            timeout=1800,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"sharp failed:\n{done.stderr[-2000:]}")
        got = json.loads(done.stdout)
        self.version = {
            "sharp": got["versions"].get("sharp", "?"),
            "vips": got["versions"].get("vips", "?"),
            "concurrency": str(got["concurrency"]),
            "threadpool": str(got["threadpool"]),
            "jpeg": "mozjpeg" if "mozjpeg" in got["versions"] else "libjpeg-turbo",
        }
        results = {int(k): [tuple(o) for o in v] for k, v in got["results"].items()}
        return Timed(
            seconds=got["seconds"],
            outputs=results,
            rss_mb=[got["rss_mb"]],
            cpu_seconds=got["cpu_seconds"],
            busy_seconds=got["busy_ticks"] / os.sysconf("SC_CLK_TCK"),
        )


# ---------------------------------------------------------------------------------------------
# Throughput results


@dataclass
class Result:
    """One line of the throughput table: a system on an input set, repeated.

    The figures are medians over the quiet runs (other load under QUIET_CORES) when there are
    at least `min(3, repeats)` of them, else over every run; `used` says which.
    """

    inputs: str
    system: str
    photos: int
    workers: int
    repeats: int
    runs: list[Timed] = field(default_factory=list)
    outputs: dict[int, Outputs] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def quiet(self) -> list[Timed]:
        return [t for t in self.runs if t.background_cores < QUIET_CORES]

    @property
    def used(self) -> list[Timed]:
        quiet = self.quiet
        return quiet if len(quiet) >= min(3, self.repeats) else self.runs

    @property
    def enough_quiet(self) -> bool:
        return len(self.quiet) >= self.repeats

    @property
    def rate(self) -> float:
        return self.photos / statistics.median(t.seconds for t in self.used)

    @property
    def cpu_ms_per_photo(self) -> float:
        return 1000 * statistics.median(t.cpu_seconds for t in self.used) / self.photos

    @property
    def ms_per_photo_worker(self) -> float:
        return 1000 * self.workers / self.rate

    @property
    def spread(self) -> str:
        if len(self.used) < 2:
            return "-"
        rates = sorted(self.photos / t.seconds for t in self.used)
        return f"{rates[0]:.2f}-{rates[-1]:.2f}"

    @property
    def rss_mb(self) -> float:
        return max(mb for t in self.runs for mb in t.rss_mb)

    @property
    def runs_note(self) -> str:
        background = statistics.median(t.background_cores for t in self.used)
        kind = "quiet" if self.used is not self.runs else "all"
        return f"{len(self.used)}/{len(self.runs)} runs ({kind}), other load {background:.2f} cores"

    def mean_kb(self, output: str) -> float | None:
        sizes = [b for outs in self.outputs.values() for n, _, _, b in outs if n == output and b]
        return statistics.fmean(sizes) / 1024 if sizes else None


@dataclass
class Bench:
    workers: int
    repeats: int
    specs: list[OutputSpec]
    sets: dict[str, list[Item]]
    results: list[Result] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)
    overrides: Overrides = field(default_factory=dict)
    breakdown: list[Breakdown] = field(default_factory=list)
    encoders: list[EncoderRow] = field(default_factory=list)
    rss: dict[str, Any] = field(default_factory=dict)
    input_notes: dict[str, str] = field(default_factory=dict)

    def result(self, inputs: str, system: str) -> Result:
        for r in self.results:
            if (r.inputs, r.system) == (inputs, system):
                return r
        r = Result(inputs, system, len(self.sets[inputs]), self.workers, self.repeats)
        self.results.append(r)
        return r

    def find(self, inputs: str, system: str) -> Result | None:
        for r in self.results:
            if (r.inputs, r.system) == (inputs, system) and r.runs:
                return r
        return None


def check_outputs(bench: Bench) -> list[str]:
    """Every system's outputs must have the same dimensions as trousseau's, within 1 px."""
    lines = []
    for inputs in bench.sets:
        ours = bench.find(inputs, TROUSSEAU)
        if ours is None:
            continue
        for system in (PILLOW, PILLOW_DRAFT, SHARP):
            theirs = bench.find(inputs, system)
            if theirs is None:
                continue
            worst = 0
            checked = 0
            for index, outs in ours.outputs.items():
                mine = {n: (w, h) for n, w, h, _ in outs}
                for n, w, h, _ in theirs.outputs.get(index, []):
                    if n in mine:
                        checked += 1
                        worst = max(worst, abs(mine[n][0] - w), abs(mine[n][1] - h))
            expected = len(ours.outputs) * len(bench.specs)
            ok = worst <= 1 and checked == expected
            lines.append(
                f"{'ok' if ok else 'MISMATCH'}: {inputs}, {system}: {checked}/{expected} outputs "
                f"compared, largest difference {worst} px"
            )
            if not ok:
                bench.problems.append(
                    f"{inputs}, {system}: output dimensions differ from trousseau's by up to "
                    f"{worst} px ({checked}/{expected} outputs compared)"
                )
    return lines


# ---------------------------------------------------------------------------------------------
# Where the time goes: trousseau's render path, instrumented


BREAKDOWN_RENDER = "render() total"
BREAKDOWN_SUM = "sum of the stages"
BREAKDOWN_BOUND = "(decode-only bound, for reference)"
BREAKDOWN_BOUND_DCT = "(decode-only, DCT-scaled, for reference)"


@dataclass
class Breakdown:
    """Per-stage times of one column of the breakdown table: one photo, or a set's mean."""

    label: str
    photos: int
    stages: dict[str, float]  # mean over the photos of each photo's median over the rounds


def profile_render(bench: Bench, rounds: int) -> None:
    """Time each stage of `render` for each input, single process, libvips concurrency 1.

    The stages call the backend exactly as `imaging.render` does (source size, plan, decode,
    then resize + encode per cascade step); `render()` itself is timed on the same photo in
    alternation, so the two can be compared.
    """
    import pyvips

    from trousseau.imaging.backend import DecodeRequest
    from trousseau.imaging.cascade import plan
    from trousseau.imaging.render import Original, render
    from trousseau.imaging.selection import select_backend
    from trousseau.settings import ImagingSettings

    backend = select_backend(ImagingSettings())
    profiles = active_profiles(bench.overrides)
    by_name = {p.name: p for p in profiles}
    largest = max(p.long_edge for p in profiles)

    def one(data: bytes, name: str) -> tuple[dict[str, float], str]:
        times: dict[str, float] = {}
        t = time.perf_counter()
        render(Original(data, "jpeg", name), profiles, backend)
        times[BREAKDOWN_RENDER] = time.perf_counter() - t
        t = time.perf_counter()
        width, height = backend.source_size(data, fmt="jpeg", name=name)
        the_plan = plan(width, height, profiles)
        times["header + plan"] = time.perf_counter() - t
        t = time.perf_counter()
        (decoded,) = backend.decode_batch(
            [DecodeRequest(data, "jpeg", name, the_plan.decode_long_edge)]
        )
        times["decode (shrink-on-load to the largest output)"] = time.perf_counter() - t
        images = {None: decoded.image}
        for step in the_plan.steps:
            profile = by_name[step.profile]
            t = time.perf_counter()
            image = backend.resize(
                images[step.source], step.width, step.height, cover=step.cover, crop=profile.crop
            )
            source = "decoded" if step.source is None else step.source
            times[f"resize {source} -> {step.profile}"] = time.perf_counter() - t
            images[step.profile] = image
            t = time.perf_counter()
            backend.encode(image, profile, exif=decoded.exif)
            times[f"encode {step.profile} ({profile.format})"] = time.perf_counter() - t
        times[BREAKDOWN_SUM] = sum(
            v for k, v in times.items() if k not in (BREAKDOWN_RENDER, BREAKDOWN_SUM)
        )
        t = time.perf_counter()
        pyvips.Image.thumbnail_buffer(data, largest, height=largest, size="down").avg()
        times[BREAKDOWN_BOUND] = time.perf_counter() - t
        t = time.perf_counter()
        shrink = jpeg_shrink(*source_dims(data), largest)
        pyvips.Image.jpegload_buffer(data, shrink=shrink).avg()
        times[BREAKDOWN_BOUND_DCT] = time.perf_counter() - t
        decoded_size = f"{decoded.width}x{decoded.height}"
        return {k: 1000 * v for k, v in times.items()}, f"{width}x{height} -> {decoded_size}"

    def per_photo(items: Sequence[Item]) -> dict[str, tuple[dict[str, float], str]]:
        raw: dict[str, list[dict[str, float]]] = {}
        shapes: dict[str, str] = {}
        unique = list({i.path: i for i in items}.values())
        for _ in range(rounds):
            for item in unique:
                times, shapes[item.path] = one(Path(item.path).read_bytes(), item.name)
                raw.setdefault(item.path, []).append(times)
        return {
            path: ({k: statistics.median(r[k] for r in runs) for k in runs[0]}, shapes[path])
            for path, runs in raw.items()
        }

    for inputs, items in bench.sets.items():
        photos = per_photo(items)
        if inputs == GENERATED:
            stages = {
                k: statistics.fmean(t[k] for t, _ in photos.values())
                for k in next(iter(photos.values()))[0]
            }
            shape = next(iter(photos.values()))[1]
            label = f"{inputs}, mean of {len(photos)} ({shape})"
            bench.breakdown.append(Breakdown(label, len(photos), stages))
        else:
            for path, (stages, shape) in photos.items():
                bench.breakdown.append(Breakdown(f"{Path(path).name} ({shape})", 1, stages))


# ---------------------------------------------------------------------------------------------
# Encoder settings: size, time and PSNR


@dataclass
class EncoderRow:
    output: str
    setting: str
    kb: float
    ms: float
    psnr: float | None
    default: str


def _psnr(reference: Any, data: bytes) -> float | None:
    import pyvips

    try:
        decoded = pyvips.Image.new_from_buffer(data, "")
        if decoded.hasalpha():
            decoded = decoded.flatten()
        decoded = decoded.colourspace("srgb").cast("uchar")
        ref = reference.extract_band(0, n=3) if reference.bands > 3 else reference
        if (decoded.width, decoded.height) != (ref.width, ref.height):
            return None
        mse = ((ref.cast("float") - decoded.cast("float")) ** 2).avg()
    except pyvips.Error:
        return None
    return 99.0 if mse == 0 else 10 * math.log10(255**2 / mse)


def _jpeg_candidates(name: str) -> list[tuple[str, str, dict[str, Any]]]:
    rows = []
    for chroma in ("4:4:4", "4:2:0"):
        for label, optimize, progressive in (
            ("baseline", False, False),
            ("optimize_coding", True, False),
            ("progressive", True, True),
        ):
            rows.append(
                (
                    name,
                    f"{chroma}, {label}",
                    {"chroma": chroma, "optimize_coding": optimize, "progressive": progressive},
                )
            )
    return rows


def encoder_settings(bench: Bench, images: int, rounds: int, *, quick: bool) -> None:
    """Encode the cascaded images of a few 24 MP photos with each candidate setting.

    Each row is trousseau's own `encode` with the run's profile changed in the fields the row
    names, so the metadata policy and colour handling are those of a real variant.
    """
    from trousseau.imaging.backend import DecodeRequest
    from trousseau.imaging.cascade import plan
    from trousseau.imaging.encode import encode
    from trousseau.imaging.selection import select_backend
    from trousseau.settings import ImagingSettings

    backend = select_backend(ImagingSettings())
    every = all_profiles(bench.overrides)
    wanted = ["portrait", "reception", "social", "thumb", "avif"]
    profiles = [every[n] for n in wanted if n in every]
    by_name = {p.name: p for p in profiles}
    decoded_sets = []
    for item in bench.sets[GENERATED][:images]:
        data = Path(item.path).read_bytes()
        width, height = backend.source_size(data, fmt="jpeg", name=item.name)
        the_plan = plan(width, height, profiles)
        (decoded,) = backend.decode_batch(
            [DecodeRequest(data, "jpeg", item.name, the_plan.decode_long_edge)]
        )
        images_by = {None: decoded.image}
        for step in the_plan.steps:
            images_by[step.profile] = backend.resize(
                images_by[step.source],
                step.width,
                step.height,
                cover=step.cover,
                crop=by_name[step.profile].crop,
            )
        decoded_sets.append((images_by, decoded.exif))

    candidates: list[tuple[str, str, dict[str, Any]]] = []
    candidates += _jpeg_candidates("portrait") + _jpeg_candidates("reception")
    for effort in (0, 2, 4, 6):
        candidates.append(("social", f"effort {effort}", {"effort": effort}))
    candidates.append(
        ("social", "effort 4, smart_subsample", {"effort": 4, "smart_subsample": True})
    )
    for effort in (0, 2, 4):
        candidates.append(("thumb", f"effort {effort}", {"effort": effort}))
    for effort in (0, 2) if quick else (0, 2, 4):
        candidates.append(("avif", f"effort {effort}", {"effort": effort}))

    slow_avif = False
    for name, setting, update in candidates:
        if name not in by_name:
            continue
        base = by_name[name]
        if name == "avif" and slow_avif:
            bench.encoders.append(
                EncoderRow(_label(base), f"{setting} (skipped: too slow)", 0, 0, None, "")
            )
            continue
        profile = base.model_copy(update=update)
        used = all(getattr(base, k) == v for k, v in update.items())
        sizes, times, psnrs = [], [], []
        for images_by, exif in decoded_sets:
            image = images_by[name]
            runs = []
            for _ in range(rounds):
                t = time.perf_counter()
                data = encode(image, profile, exif=exif)
                runs.append(time.perf_counter() - t)
            times.append(statistics.median(runs))
            sizes.append(len(data))
            psnrs.append(_psnr(image, data))
        ms = 1000 * statistics.fmean(times)
        if name == "avif" and ms > 4000:
            slow_avif = True
        good = [p for p in psnrs if p is not None]
        bench.encoders.append(
            EncoderRow(
                output=_label(base),
                setting=setting,
                kb=statistics.fmean(sizes) / 1024,
                ms=ms,
                psnr=statistics.fmean(good) if good else None,
                default=("yes" if base.enabled else "yes (profile disabled)") if used else "",
            )
        )


def _label(profile: Any) -> str:
    text = f"{profile.name}: {profile.format.upper()} {profile.long_edge} q{profile.quality}"
    return text + ("" if profile.enabled else " (disabled)")


# ---------------------------------------------------------------------------------------------
# Peak RSS of one worker on a 50-megapixel photo


def _rss_probe(path: str, overrides: Overrides, ready: Callable[[], None]) -> dict[str, Any]:
    from trousseau.imaging.render import Original, render
    from trousseau.imaging.selection import select_backend
    from trousseau.settings import ImagingSettings

    ready()
    backend = select_backend(ImagingSettings())
    profiles = active_profiles(overrides)
    data = Path(path).read_bytes()
    before = _peak_rss_mb()
    peaks, seconds = [], []
    for _ in range(RSS_RENDERS):  # a worker renders photo after photo: the peak may creep
        t = time.perf_counter()
        rendering = render(Original(data, "jpeg", Path(path).name), profiles, backend)
        seconds.append(time.perf_counter() - t)
        peaks.append(_peak_rss_mb())
    return {
        "before_mb": before,
        "first_mb": peaks[0],
        "peak_mb": peaks[-1],
        "ru_maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "seconds": statistics.median(seconds),
        "variants": [(v.profile, v.width, v.height) for v in rendering.variants],
    }


def peak_rss(bench: Bench) -> None:
    import multiprocessing
    import queue

    path = _generated(1, 50)

    ctx = multiprocessing.get_context("spawn")
    go, results = ctx.Event(), ctx.Queue()
    go.set()
    args = (_rss_probe, (str(path), bench.overrides), go, results)
    proc = ctx.Process(target=child, args=args, daemon=True)
    proc.start()
    try:
        while True:
            what, value, _ = results.get(timeout=300)
            if what == "error":
                raise RuntimeError(f"the RSS probe failed:\n{value}")
            if what == "done":
                break
    except queue.Empty:
        raise RuntimeError("the RSS probe did not finish in 300 s") from None
    finally:
        proc.join(timeout=10)
        if proc.is_alive():
            proc.kill()
    bench.rss = {"input": describe_image(str(path)), **value}


# ---------------------------------------------------------------------------------------------
# The run


def run_throughput(bench: Bench, sharp: Sharp | None) -> None:
    """Every system on every input set, taking turns, until each has `repeats` quiet runs.

    A run is quiet when the rest of the machine used under QUIET_CORES while it ran (a shared
    machine: other people's tests, the hypervisor's steal). Each system gets at most
    MAX_RUNS_FACTOR x `repeats` runs; the rotation changes who goes first in every round.
    """
    systems = [s for s in SYSTEMS if s != SHARP or sharp is not None]
    for rnd in range(MAX_RUNS_FACTOR * bench.repeats):
        order = systems[rnd % len(systems) :] + systems[: rnd % len(systems)]
        pending = 0
        for inputs, items in bench.sets.items():
            for system in order:
                r = bench.result(inputs, system)
                if r.enough_quiet:
                    continue
                pending += 1
                if system == SHARP:
                    assert sharp is not None
                    timed = sharp.run(bench.specs, items)
                else:
                    timed = run_python(system, bench.specs, bench.overrides, items, bench.workers)
                timed.round = rnd
                r.runs.append(timed)
                r.outputs = timed.outputs
                say(
                    f"{inputs}: {system}, run {len(r.runs)}: {len(items) / timed.seconds:.2f} "
                    f"photos/s, other load {timed.background_cores:.2f} cores"
                    + ("" if timed.background_cores < QUIET_CORES else " (not quiet)")
                )
        if not pending:
            break
    for r in bench.results:
        if r.system == SHARP and sharp is not None:
            v = sharp.version
            r.notes.append(
                f"1 Node process, UV_THREADPOOL_SIZE={v.get('threadpool')}, "
                f"concurrency {v.get('concurrency')}, {bench.workers} photos in flight, "
                f"{len(bench.specs)} pipelines per photo"
            )
        elif r.system == DECODE:
            r.notes.append("thumbnail_buffer to the largest output + avg()")
        elif r.system == DECODE_DCT:
            r.notes.append("jpegload_buffer(shrink=1/2/4/8 for the largest output) + avg()")
        elif r.system == PILLOW_DRAFT:
            r.notes.append("draft() to the largest output, then as Pillow")
        elif r.system == PILLOW:
            r.notes.append("full decode, LANCZOS resize from it per output")
        elif r.system == TROUSSEAU:
            r.notes.append("imaging.render, libvips concurrency 1 per process")


def speedup(fast: Result, slow: Result) -> tuple[float, float]:
    """How many times `fast`'s photos/s is `slow`'s, and the same for CPU time per photo.

    Both are medians over the rounds in which both ran (used runs only) of the ratio within
    the round: the two ran minutes apart at most, which cancels the slow drifts of a shared
    machine's speed. Without a common round, the ratio of the medians.
    """
    a = {t.round: t for t in fast.used}
    b = {t.round: t for t in slow.used}
    common = sorted(set(a) & set(b))
    if not common:
        return fast.rate / slow.rate, slow.cpu_ms_per_photo / fast.cpu_ms_per_photo
    per_photo = fast.photos / slow.photos
    rate = statistics.median(b[r].seconds / a[r].seconds * per_photo for r in common)
    cpu = statistics.median(b[r].cpu_seconds / a[r].cpu_seconds * per_photo for r in common)
    return rate, cpu


def floors(bench: Bench) -> list[tuple[bool, str]]:
    out = []
    for inputs in bench.sets:
        ours = bench.find(inputs, TROUSSEAU)
        if ours is None:
            continue
        enforced = inputs == GENERATED
        suffix = "" if enforced else " (reported only)"
        for system, floor in ((PILLOW, FLOOR_PILLOW), (SHARP, FLOOR_SHARP)):
            theirs = bench.find(inputs, system)
            if theirs is not None:
                ratio, cpu = speedup(ours, theirs)
                out.append(
                    (
                        ratio >= floor,
                        f"{inputs}: trousseau {ours.rate:.2f} photos/s vs {system} "
                        f"{theirs.rate:.2f} photos/s = {ratio:.2f}x (floor {floor:g}x; "
                        f"CPU time per photo {cpu:.2f}x){suffix}",
                    )
                )
        bound = bench.find(inputs, DECODE)
        if bound is not None:
            ratio, cpu = speedup(bound, ours)
            out.append(
                (
                    ratio <= FLOOR_DECODE,
                    f"{inputs}: decode-only bound {bound.rate:.2f} photos/s is {ratio:.2f}x "
                    f"trousseau's (floor: within {FLOOR_DECODE:g}x; CPU time per photo "
                    f"{cpu:.2f}x){suffix}",
                )
            )
    if bench.rss:
        peak = bench.rss["peak_mb"]
        out.append(
            (
                peak < FLOOR_RSS_MB,
                f"peak RSS of a worker rendering a 50 MP JPEG ({RSS_RENDERS} times): {peak:.0f} MB "
                f"(floor < {FLOOR_RSS_MB:.0f} MB)",
            )
        )
    return out


def _sorted(results: list[Result], sets: Sequence[str]) -> list[Result]:
    return sorted(results, key=lambda r: (list(sets).index(r.inputs), SYSTEMS.index(r.system)))


def throughput_columns(specs: Sequence[OutputSpec]) -> list[str]:
    return [
        "inputs",
        "system",
        "photos/s",
        "range",
        "ms/photo/worker",
        "CPU ms/photo",
        "trousseau is",
        "peak RSS/worker",
        "mean KB " + "/".join(s.name for s in specs),
        "notes",
    ]


def _throughput_cells(bench: Bench, r: Result) -> list[str]:
    ours = bench.find(r.inputs, TROUSSEAU)
    if r.system == TROUSSEAU or ours is None:
        ratio = "-"
    elif r.system in (DECODE, DECODE_DCT):
        ratio = f"{speedup(r, ours)[0]:.2f}x slower"
    else:
        ratio = f"{speedup(ours, r)[0]:.2f}x faster"
    sizes = [r.mean_kb(s.name) for s in bench.specs]
    kb = "/".join(f"{s:.0f}" for s in sizes if s is not None) or "-"
    return [
        r.inputs,
        r.system,
        f"{r.rate:.2f}",
        r.spread,
        f"{r.ms_per_photo_worker:.0f}",
        f"{r.cpu_ms_per_photo:.0f}",
        ratio,
        f"{r.rss_mb:.0f} MB",
        kb,
        "; ".join([*r.notes, r.runs_note]),
    ]


def _breakdown_rows(bench: Bench) -> tuple[list[str], list[list[str]]]:
    """One row per stage, one column per photo (or set): ms, and the share of the stages."""
    stages: list[str] = []
    for b in bench.breakdown:
        for stage in b.stages:
            if stage not in stages:
                stages.append(stage)
    tail = [BREAKDOWN_SUM, BREAKDOWN_RENDER, BREAKDOWN_BOUND, BREAKDOWN_BOUND_DCT]
    order = [s for s in stages if s not in tail] + [s for s in tail if s in stages]
    columns = ["stage"] + [f"{b.label}: ms (share)" for b in bench.breakdown]
    rows = []
    for stage in order:
        row = [stage]
        for b in bench.breakdown:
            value = b.stages.get(stage)
            if value is None:
                row.append("-")
            elif stage in tail:
                row.append(f"{value:.1f}")
            else:
                row.append(f"{value:.1f} ({100 * value / b.stages[BREAKDOWN_SUM]:.0f} %)")
        rows.append(row)
    return columns, rows


ENCODER_COLUMNS = ["output", "setting", "mean KB", "encode ms", "PSNR dB", "profile uses it"]


def _encoder_cells(row: EncoderRow) -> list[str]:
    if row.ms == 0:
        return [row.output, row.setting, "-", "-", "-", ""]
    return [
        row.output,
        row.setting,
        f"{row.kb:.0f}",
        f"{row.ms:.1f}",
        f"{row.psnr:.2f}" if row.psnr is not None else "-",
        row.default,
    ]


def print_tables(bench: Bench, dims: list[str]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(200, Console().width))
    table = Table(
        title=f"Imaging throughput, {bench.workers} workers, median of {bench.repeats} run(s)"
    )
    for name in throughput_columns(bench.specs):
        table.add_column(name, justify="right" if name in ("photos/s",) else "left")
    for r in _sorted(bench.results, list(bench.sets)):
        table.add_row(*_throughput_cells(bench, r))
    console.print(table)
    columns, rows = _breakdown_rows(bench)
    if rows:
        table = Table(title="Where trousseau's render time goes (1 process, libvips concurrency 1)")
        for name in columns:
            table.add_column(name, justify="left" if name == "stage" else "right")
        for row in rows:
            table.add_row(*row)
        console.print(table)
    if bench.encoders:
        table = Table(title="Encoder settings on the cascaded images of 24 MP photos")
        for name in ENCODER_COLUMNS:
            table.add_column(name)
        for row in bench.encoders:
            table.add_row(*_encoder_cells(row))
        console.print(table)
    if bench.rss:
        console.print(
            f"50 MP worker: peak RSS {bench.rss['peak_mb']:.0f} MB after {RSS_RENDERS} renders "
            f"({bench.rss['first_mb']:.0f} MB after the first, {bench.rss['before_mb']:.0f} MB "
            f"before it), {bench.rss['seconds']:.2f} s per render"
        )
    for line in dims:
        console.print(line)
    for ok, text in floors(bench):
        console.print(f"[{'green' if ok else 'red'}]{'PASS' if ok else 'MISS'}[/] {text}")
    for problem in bench.problems:
        console.print(f"[red]PROBLEM[/] {problem}")


def _md_table(columns: Sequence[str], rows: Sequence[Sequence[str]], right: set[str]) -> list[str]:
    lines = [
        "| " + " | ".join(columns) + " |",
        "|" + "|".join("---:" if c in right else "---" for c in columns) + "|",
    ]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
    return lines


HOW = """\
How it is measured. Every system makes the same four outputs of every photo (the enabled
default profiles, with the same encoder settings: quality, chroma subsampling, Huffman
optimisation, WebP effort), with {workers} workers on the same inputs, in the same run; the
systems take turns (who goes first rotates), and each figure is the median of the runs, the
range their extremes. The machine is shared, so each run also records the CPU the rest of the
machine used meanwhile (/proc/stat busy time, steal included, minus our workers' CPU time):
a run is *quiet* when that stays under {quiet} cores; every system runs until it has
{repeats} quiet runs (at most {max_runs} runs), and its figures use the quiet runs when there
are at least 3, else all (the notes say which, and the median other load). Ratios between
two systems ("trousseau is", the floors) are the median, over the rounds in which both ran,
of the ratio within the round (the two ran minutes apart at most): the speed of a shared
machine drifts by more than the other load explains, and pairing cancels the slow drifts.
Each worker process is started, imports what it needs and renders a small warm-up photo
before the clock starts; photos are then handed out one at a time (a shared counter, as a
job queue would) and each is read from the page cache inside the clock. The clock stops
when the last worker finishes. "ms/photo/worker" is workers / (photos/s): the time one core
spends on a photo. "CPU ms/photo" is the user + system CPU time of all workers inside the
clock (Node: `process.cpuUsage()`, all threads) per photo: less sensitive than photos/s to
other load on a shared machine. "peak RSS/worker" is the largest VmHWM (Node: `maxRSS`) of
the workers.

- **trousseau**: `imaging.render(Original(data, "jpeg", name), enabled_profiles(load_profiles()),
  select_backend(ImagingSettings()))` in each of {workers} processes: the default settings, as
  `trousseau work` job processes run ({imaging_settings}). One
  shrink-on-load decode to the largest output, then the cascade 3000 -> 2048 -> 1080 -> 400.
  Outputs carry the metadata policy's EXIF and an sRGB ICC profile, pixels are converted to
  sRGB when the photo has an ICC profile.
- **Pillow** (straightforward): `Image.open` -> `ImageOps.exif_transpose` -> `convert("RGB")`,
  then per output one `resize(..., LANCZOS)` from the full-size image and `save` (JPEG
  `quality`, `subsampling`, `optimize`; WebP `quality`, `method` = the profile's effort), {workers}
  processes. No colour management, no metadata kept.
  **Pillow with draft**: the same after `draft("RGB", size)` with the largest output's size
  (libjpeg DCT scaling: a knowledgeable Pillow user's shrink-on-load). The floor is against
  the straightforward one.
- **sharp** {sharp_version}: as its users usually write it, one pipeline per output from the
  input buffer, `sharp(buffer).rotate().resize({{width, height, fit: "inside",
  withoutEnlargement: true}}).jpeg({{quality, chromaSubsampling, optimiseCoding}})` (or
  `.webp({{quality, effort}})`) `.toBuffer()`, the four of a photo under `Promise.all`; one Node
  process with UV_THREADPOOL_SIZE={workers} (one libuv thread per core) and sharp's default
  concurrency (1 libvips thread per pipeline on glibc Linux), {workers} photos in flight. Timed
  inside Node from after a warm-up photo to the last output. sharp converts to sRGB and strips
  metadata by default. Installed with `npm install --no-save --no-package-lock --prefix
  .bench/node sharp`; it brings its own libvips ({sharp_vips}, with {sharp_jpeg}).
- **decode-only bound**: `pyvips.Image.thumbnail_buffer(data, 3000, height=3000,
  size="down").avg()`: the shrink-on-load decode to the largest output's size, every pixel
  forced, no output; {workers} processes at libvips concurrency 1. The floor is against it.
  libvips' `thumbnail` keeps a 2x margin for its own resize, so for a 2-4x reduction it
  decodes the JPEG at full size: **decode-only, DCT-scaled** is the other bound, the JPEG
  decoded at the largest DCT scale (1/2, 1/4, 1/8) that still covers the largest output,
  `pyvips.Image.jpegload_buffer(data, shrink=...).avg()`, as sharp's default
  `fastShrinkOnLoad` decodes.
- Inputs: {inputs}.
- "Where the time goes" times each call `imaging.render` makes, on the same backend, one
  process, every input of the set {rounds} time(s); `render()` itself is timed on the same
  photos in alternation. The encoder table encodes the cascaded images of {encoder_images}
  generated 24 MP photo(s) with trousseau's own `encode` and the profile changed as the row
  says; PSNR is against the image before encoding.
"""


def markdown(bench: Bench, date: str, command: str, dims: list[str], rounds: int, enc: int) -> str:
    lines = [
        START_MARK,
        f"_Generated by `python -m bench.imaging` on {date}; rerun it to refresh._",
        "",
        f"- Command: `{command}`",
        f"- Machine: {_describe_machine(bench)}",
        "- Outputs (trousseau's enabled profiles): "
        + "; ".join(f"{s.name} {s.describe()}" for s in bench.specs),
    ]
    if bench.overrides:
        changes = ", ".join(
            f"`{p}.{k}={json.dumps(v)}`" for p, f in bench.overrides.items() for k, v in f.items()
        )
        lines.append(f"- **What-if run**: the profiles were changed for every system by {changes}")
    lines += ["", "### Throughput", ""]
    rows = [_throughput_cells(bench, r) for r in _sorted(bench.results, list(bench.sets))]
    lines += _md_table(
        throughput_columns(bench.specs), rows, {"photos/s", "ms/photo/worker", "CPU ms/photo"}
    )
    lines += ["", "Floors from the issue:", ""]
    lines += [f"- {'PASS' if ok else 'MISS'}: {text}" for ok, text in floors(bench)]
    if bench.rss:
        lines += [
            "",
            f"Peak RSS of one fresh worker process (default settings) rendering all profiles of "
            f"a generated 50 MP JPEG, {bench.rss['input']}, {RSS_RENDERS} times in a row: "
            f"**{bench.rss['peak_mb']:.0f} MB** (VmHWM; {bench.rss['first_mb']:.0f} MB after "
            f"the first render, {bench.rss['before_mb']:.0f} MB after imports and reading the "
            f"file), {bench.rss['seconds']:.2f} s per render. The throughput table's "
            f'"peak RSS/worker" is the same measure for its workers on 24 MP photos.',
        ]
    lines += ["", "Outputs compared (dimensions against trousseau's, per photo and output):", ""]
    lines += [f"- {line}" for line in dims]
    columns, brows = _breakdown_rows(bench)
    if brows:
        lines += [
            "",
            "### Where trousseau's render time goes",
            "",
            "One process, libvips concurrency 1; each photo's median over the rounds, and for "
            "the 24 MP set the mean over its photos.",
            "",
        ]
        lines += _md_table(columns, brows, set(columns) - {"stage"})
    if bench.encoders:
        lines += [
            "",
            "### Encoder settings",
            "",
            "Mean size and encode time per image over the cascaded images of generated 24 MP "
            "photos, with trousseau's `encode` and the profile changed as the row says; "
            '"profile uses it" marks the setting of the profiles this run measured.',
            "",
        ]
        lines += _md_table(
            ENCODER_COLUMNS,
            [_encoder_cells(r) for r in bench.encoders],
            {"mean KB", "encode ms", "PSNR dB"},
        )
    if bench.problems:
        lines += ["", "Problems:", ""] + [f"- {p}" for p in bench.problems]
    inputs = "; ".join(f"{k}: {v}" for k, v in bench.input_notes.items())
    sharp_version = bench.versions.get("sharp", "(not measured)")
    how = HOW.format(
        workers=bench.workers,
        sharp_version=sharp_version,
        sharp_vips=f"libvips {bench.versions.get('sharp libvips', '?')}",
        sharp_jpeg=bench.versions.get("sharp jpeg", "?"),
        inputs=inputs,
        rounds=rounds,
        encoder_images=enc,
        quiet=QUIET_CORES,
        imaging_settings=_imaging_settings(),
        repeats=bench.repeats,
        max_runs=MAX_RUNS_FACTOR * bench.repeats,
    )
    lines += ["", how.rstrip(), END_MARK]
    return "\n".join(lines)


def _imaging_settings() -> str:
    from trousseau.settings import ImagingSettings

    settings = ImagingSettings()
    return (
        f"libvips concurrency {settings.vips_concurrency or 'libvips default'}, "
        f"{settings.vips_cache_mb} MB operation cache"
    )


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "?"


def _describe_machine(bench: Bench) -> str:
    v = bench.versions
    parts = [
        f"{os.cpu_count()} CPU cores (os.cpu_count(), {_cpu_model()})",
        f"{platform.system()} {platform.machine()}",
        f"Python {platform.python_version()}",
        f"libvips {v.get('libvips', '?')} (pyvips {v.get('pyvips', '?')})",
        f"Pillow {v.get('Pillow', '?')} (libjpeg-turbo {v.get('libjpeg', '?')}, "
        f"libwebp {v.get('libwebp', '?')})",
    ]
    if "sharp" in v:
        parts.append(f"sharp {v['sharp']} on Node {v.get('node', '?')}")
    return "; ".join(parts)


def _versions() -> dict[str, str]:
    import pyvips

    found = {
        "libvips": f"{pyvips.version(0)}.{pyvips.version(1)}.{pyvips.version(2)}",
        "pyvips": pyvips.__version__,
    }
    with contextlib.suppress(ImportError):
        import PIL
        from PIL import features

        found["Pillow"] = PIL.__version__
        found["libjpeg"] = str(features.version("jpg"))
        found["libwebp"] = str(features.version("webp"))
    node = shutil.which("node")
    if node:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            found["node"] = subprocess.run(
                [node, "--version"], capture_output=True, text=True, timeout=30, check=False
            ).stdout.strip()
    return found


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, help="generated 24 MP inputs (12; 4 with --quick)")
    parser.add_argument(
        "--camera-copies", type=int, help="times each camera file is in its set (4; 2 with --quick)"
    )
    parser.add_argument("--workers", type=int, default=2, help="parallel workers per system (2)")
    parser.add_argument("--repeats", type=int, help="runs per measurement (5; 1 with --quick)")
    parser.add_argument("--quick", action="store_true", help="a smaller run, about 2 minutes")
    parser.add_argument("--no-sharp", action="store_true", help="skip sharp (no Node/npm)")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="PROFILE.FIELD=VALUE",
        help="change a profile for every system, e.g. social.effort=2 (repeatable; a what-if)",
    )
    parser.add_argument(
        "--photos-dir", type=Path, default=SHARED_PHOTOS, help="the shared test photos"
    )
    parser.add_argument("--date", help="date written in the docs (default: today)")
    parser.add_argument("--docs", type=Path, default=DOCS, help="Markdown file to update")
    parser.add_argument("--no-docs", action="store_true", help="print only; leave the docs alone")
    args = parser.parse_args(argv)
    args.photos = args.photos or (4 if args.quick else 12)
    args.camera_copies = args.camera_copies or (2 if args.quick else 4)
    args.repeats = args.repeats or (1 if args.quick else 5)
    if min(args.photos, args.camera_copies, args.repeats, args.workers) < 1:
        parser.error("--photos, --camera-copies, --repeats and --workers must be positive")
    args.overrides = profile_overrides(args.set, parser.error)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    exit_on_sigterm()
    started = time.perf_counter()
    try:
        import PIL  # noqa: F401
    except ImportError:
        print("Pillow is not installed: pip install pillow", file=sys.stderr)
        return 2

    say(f"preparing inputs under {INPUTS} ...")
    specs = output_specs(args.overrides)
    sets = {GENERATED: generated_inputs(args.photos)}
    camera = camera_inputs(args.photos_dir, args.camera_copies)
    if camera:
        sets[CAMERA] = camera
    else:
        say(f"no camera files under {args.photos_dir}: measuring generated photos only")
    warm_input()
    bench = Bench(
        workers=args.workers, repeats=args.repeats, specs=specs, sets=sets, overrides=args.overrides
    )
    bench.versions = _versions()
    gen = sets[GENERATED]
    bench.input_notes[GENERATED] = (
        f"{len(gen)} photos from `trousseau.demo.samples.generate_photo(i, seed={SEED}, "
        f"megapixels=24)`, {describe_image(gen[0].path)} each, quality 90 4:2:0, "
        "cached under .bench/imaging-inputs/"
    )
    if camera:
        unique = list({i.path: i for i in camera}.values())
        bench.input_notes[CAMERA] = (
            ", ".join(f"{Path(i.path).name} {describe_image(i.path)}" for i in unique)
            + f" (the shared test data), each {args.camera_copies} times"
        )
    for items in sets.values():
        _page_in(items)

    sharp: Sharp | None = None
    if not args.no_sharp:
        sharp = Sharp(args.workers)
        if not sharp.install():
            bench.problems.append(sharp.problem or "sharp could not be installed")
            sharp = None

    run_throughput(bench, sharp)
    if sharp is not None and sharp.version:
        bench.versions["sharp"] = sharp.version["sharp"]
        bench.versions["sharp libvips"] = sharp.version["vips"]
        bench.versions["sharp jpeg"] = sharp.version["jpeg"]
    dims = check_outputs(bench)
    rounds = 1 if args.quick else 2
    enc_images = 1 if args.quick else min(3, args.photos)
    say("profiling trousseau's render path ...")
    profile_render(bench, rounds)
    say("encoder settings ...")
    encoder_settings(bench, enc_images, 1 if args.quick else 3, quick=args.quick)
    say("peak RSS on a 50 MP photo ...")
    peak_rss(bench)
    say(f"done in {time.perf_counter() - started:.0f} s")
    print_tables(bench, dims)
    if not args.no_docs:
        date = args.date or dt.date.today().isoformat()
        command = recipe("bench.imaging", argv, local=("--docs", "--date", "--photos-dir"))
        section = markdown(bench, date, command, dims, rounds, enc_images)
        write_section(args.docs, section, start=START_MARK, end=END_MARK, heading=SECTION_HEADING)
        say(f"updated {args.docs}")
    return 1 if bench.problems else 0


if __name__ == "__main__":
    sys.exit(main())

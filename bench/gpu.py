"""GPU benchmark: trousseau's GPU render path against plain torchvision, the hardware decode
bound and trousseau's CPU path, plus a whole wedding through the real queue and GPU worker.

Run on the GPU machine from the repository root: `python -m bench.gpu [--photos 64]`. In one
run, on the same generated 24-megapixel JPEGs (cached under .bench/gpu-inputs/), it
measures photos/s of:

1. trousseau GPU: `GpuBackend.render_many` to the four enabled profiles (two JPEGs encoded
   on the GPU, two WebPs on CPU threads), batches of `--batch` photos;
2. plain torchvision: batched `decode_jpeg(device="cuda")` -> `interpolate(antialias=True)`
   to each of the four output sizes -> batched `encode_jpeg` (four JPEG outputs);
3. the decode-only bound: nvImageCodec's batched hardware decode, nothing else;
4. trousseau CPU: `imaging.render` with the libvips backend in one process per core;

with the ratios the issue sets floors on (>= 1.5x torchvision, within 1.4x of the decode
bound) and the PSNR of every GPU variant against the CPU variant of the same size (>= 38
dB). `--wedding N` then ingests N mixed photos (24 MP JPEGs with some HEIC and PNG) into a
fresh catalog and vault while `BatchPool` + `Worker` (what `trousseau work --gpu` runs)
drain the queue, and reports photos/min and the time to the first same-day photo ready.

`--cpu-only` runs the CPU parts (the CPU path, and the wedding on the CPU backend with the
batched worker) on a machine without a GPU, so this script is checked everywhere. Results
are printed and written between the `bench:gpu` markers of docs/benchmarks.md.
"""

from __future__ import annotations

if __name__ == "__main__" and not __package__:
    raise SystemExit("run it from the repository root as a module: python -m bench.gpu")

import argparse
import contextlib
import datetime as dt
import math
import os
import platform
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.harness import DOCS, REPO, recipe, say, write_section

CACHE = REPO / ".bench"
INPUTS = CACHE / "gpu-inputs"
START_MARK = "<!-- bench:gpu:start -->"
END_MARK = "<!-- bench:gpu:end -->"
SECTION_HEADING = "## GPU"
SEED = 2026
WHEN = dt.datetime(2026, 6, 13, 14, 0, tzinfo=dt.UTC)

GPU = "trousseau GPU (4 variants)"
TORCHVISION = "plain torchvision (4 JPEGs)"
DECODE = "nvImageCodec decode-only bound"
CPU = "trousseau CPU (libvips, all cores)"
FLOOR_TORCHVISION = 1.5
FLOOR_DECODE = 1.4
FLOOR_PSNR = 38.0


# ---------------------------------------------------------------------------------------------
# Inputs


def _make_jpeg(index: int, megapixels: float = 24.0) -> str:
    path = INPUTS / f"gen-{megapixels:g}mp-s{SEED}-{index:04d}.jpg"
    if not path.exists():
        from trousseau.demo.samples import generate_photo

        partial = path.with_name(f".{path.name}.part")
        partial.write_bytes(generate_photo(index, seed=SEED, megapixels=megapixels, when=WHEN))
        partial.replace(path)
    return str(path)


def _make_copy(index: int, scenes: int) -> str:
    """Scene ((index - 1) % scenes) + 1 as a distinct file: a COM segment naming `index` is
    inserted after its APPn segments, so the vault stores it anew and the decoder's work is
    the scene's (generating 2,000 scenes would cost more than the run it prepares)."""
    scene = (index - 1) % scenes + 1
    if scene == index:
        return _make_jpeg(index)
    path = INPUTS / f"copy-24mp-s{SEED}-{index:04d}-of-{scene:04d}.jpg"
    if not path.exists():
        data = Path(_make_jpeg(scene)).read_bytes()
        at = 2
        while data[at] == 0xFF and 0xE0 <= data[at + 1] <= 0xEF:
            at += 2 + int.from_bytes(data[at + 2 : at + 4], "big")
        comment = f"trousseau bench copy {index} of scene {scene}".encode()
        segment = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
        partial = path.with_name(f".{path.name}.part")
        partial.write_bytes(data[:at] + segment + data[at:])
        partial.replace(path)
    return str(path)


def _make_other(index: int, fmt: str) -> str:
    """A PNG made from a generated 24 MP JPEG, or a 12 MP HEIC (a phone's size; libheif's
    x265 through pillow-heif, preset ultrafast: a 24 MP one takes 25 s to encode)."""
    megapixels = 12 if fmt == "heic" else 24
    path = INPUTS / f"gen-{megapixels}mp-s{SEED}-{index:04d}.{fmt}"
    if not path.exists():
        import pyvips

        image = pyvips.Image.new_from_file(_make_jpeg(index, megapixels)).autorot()
        partial = path.with_name(f".{path.name}.part")
        if fmt == "png":
            image.pngsave(str(partial), compression=1)
        else:
            import pillow_heif

            pixels = image.numpy()
            heif = pillow_heif.from_bytes("RGB", (image.width, image.height), pixels.tobytes())
            heif.save(str(partial), quality=90, enc_params={"preset": "ultrafast"})
        partial.replace(path)
    return str(path)


def inputs(kinds: Sequence[tuple[int, str]], processes: int, scenes: int = 0) -> list[str]:
    """The cached input files for (index, format) pairs, generating the missing ones; with
    `scenes`, JPEGs past the first `scenes` indices are distinct copies of those."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    INPUTS.mkdir(parents=True, exist_ok=True)
    jobs = [(i, f) for i, f in kinds]
    with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn")) as pool:
        if scenes:  # the scenes first, so that no two processes write the same one
            list(pool.map(_make_jpeg, range(1, scenes + 1)))
        futures = [
            pool.submit(_make_other, i, f)
            if f != "jpeg"
            else pool.submit(_make_copy, i, scenes)
            if scenes
            else pool.submit(_make_jpeg, i)
            for i, f in jobs
        ]
        return [f.result() for f in futures]


def wedding_kinds(photos: int) -> list[tuple[int, str]]:
    """The wedding's (index, format): 5 % HEIC, 5 % PNG, the rest JPEG."""
    return [
        (i, "heic" if i % 20 == 7 else "png" if i % 20 == 13 else "jpeg")
        for i in range(1, photos + 1)
    ]


def prepare(photos: int, wedding: int, scenes: int, processes: int) -> None:
    """Generate every input a run with these arguments reads (bench/gpu-device.sh runs this
    while the GPU tests run, so the timed parts find them cached)."""
    inputs([(i, "jpeg") for i in range(1, photos + 1)], processes)
    if wedding:
        inputs(wedding_kinds(wedding), processes, min(wedding, scenes) if scenes else 0)


# ---------------------------------------------------------------------------------------------
# The systems


@dataclass
class Result:
    system: str
    photos: int
    seconds: float
    note: str = ""

    @property
    def per_second(self) -> float:
        return self.photos / self.seconds if self.seconds else 0.0


def _timed(run: Callable[[], Any], photos: int, repeats: int) -> float:
    best = math.inf
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best


def _profiles() -> list[Any]:
    from trousseau.imaging import enabled_profiles, load_profiles

    return enabled_profiles(load_profiles())


def measure_gpu(
    datas: list[bytes],
    batch: int,
    repeats: int,
    *,
    system: str = GPU,
    jpeg_only: bool = False,
    **options: Any,
) -> tuple[Result, list[Any]]:
    """trousseau's GPU path; `options` go to `GpuBackend` (codecs), `jpeg_only` leaves out
    the WebP profiles (what the CPU threads' encoding costs the pipeline)."""
    from trousseau.imaging import Original
    from trousseau.imaging.gpu.backend import GpuBackend

    backend = GpuBackend(max_pixels=10**9, **options)
    profiles = [p for p in _profiles() if p.format == "jpeg" or not jpeg_only]
    originals = [Original(d, "jpeg", f"IMG_{i}.JPG") for i, d in enumerate(datas)]
    try:
        backend.render_many(originals[: min(batch, 4)], profiles)  # warm-up: CUDA, codecs

        def run() -> list[Any]:
            out: list[Any] = []
            for start in range(0, len(originals), batch):
                out += backend.render_many(originals[start : start + batch], profiles)
            return out

        seconds = _timed(run, len(datas), repeats)
        renderings = run()
    finally:
        backend.close()
    failed = [r for r in renderings if not hasattr(r, "variants")]
    note = (
        f"batch {batch}, decode {backend.decoder}, JPEG encode {backend.jpeg_encoder}, "
        f"{backend.threads} CPU threads, {len(profiles)} variants"
        + (f"; {len(failed)} FAILED: {failed[0]}" if failed else "")
    )
    return Result(system, len(datas), seconds, note), renderings


def _gpu_worker(
    paths: list[str], batch: int, threads: int, repeats: int, go: Any, ends: Any
) -> None:
    """One GPU worker process of `measure_gpu_workers`: warm up, then render on each "go"."""
    from trousseau.imaging import Original
    from trousseau.imaging.gpu.backend import GpuBackend

    originals = [Original(Path(p).read_bytes(), "jpeg", Path(p).name) for p in paths]
    profiles = _profiles()
    backend = GpuBackend(max_pixels=10**9, cpu_threads=threads)
    try:
        backend.render_many(originals[: min(batch, 4)], profiles)
        ends.put(("ready", 0.0))
        for _ in range(repeats):
            go.get()
            for start in range(0, len(originals), batch):
                backend.render_many(originals[start : start + batch], profiles)
            ends.put(("done", time.monotonic()))
    except Exception as exc:  # reported to the parent, which records the failure
        ends.put(("failed", f"{type(exc).__name__}: {exc}"))
    finally:
        backend.close()


def measure_gpu_workers(paths: list[str], workers: int, batch: int, repeats: int) -> Result:
    """`workers` GPU worker processes sharing the GPU (as `trousseau work --gpu` started that
    many times), the cores split between them, each rendering every photo."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")  # CUDA cannot be forked
    go, ends = context.Queue(), context.Queue()
    threads = max(1, (os.cpu_count() or 1) // workers)
    procs = [
        context.Process(target=_gpu_worker, args=(paths, batch, threads, repeats, go, ends))
        for _ in range(workers)
    ]
    for proc in procs:
        proc.start()
    try:

        def collect() -> list[float]:
            out = []
            for _ in procs:
                kind, value = ends.get(timeout=300)
                if kind == "failed":
                    raise RuntimeError(f"a GPU worker failed: {value}")
                out.append(value)
            return out

        collect()  # every worker warmed up
        best = math.inf
        for _ in range(repeats):
            started = time.monotonic()
            for _ in procs:
                go.put(1)
            best = min(best, max(collect()) - started)
    finally:
        for proc in procs:
            proc.join(60)
            if proc.is_alive():
                proc.kill()
    return Result(
        f"GPU, {workers} worker processes",
        workers * len(paths),
        best,
        f"batch {batch}, {threads} CPU threads each, every worker renders all {len(paths)} photos",
    )


def attempt(label: str, run: Callable[[], Any], problems: list[str]) -> Any:
    """run(), or None with the error recorded: one failing system must not cost the others
    (a device run is scarce)."""
    import traceback

    say(f"{label} ...")
    try:
        return run()
    except Exception as exc:
        traceback.print_exc()
        problems.append(f"{label}: {type(exc).__name__}: {exc}")
        return None


def measure_torchvision(datas: list[bytes], batch: int, repeats: int) -> Result:
    import torch
    from torch.nn import functional
    from torchvision.io import ImageReadMode, decode_jpeg, encode_jpeg

    sizes = [(p.long_edge, p.quality) for p in _profiles()]
    tensors = [torch.frombuffer(bytearray(d), dtype=torch.uint8) for d in datas]

    def run() -> None:
        for start in range(0, len(tensors), batch):
            decoded = decode_jpeg(
                tensors[start : start + batch], mode=ImageReadMode.RGB, device="cuda"
            )
            for long_edge, quality in sizes:
                outs = []
                for image in decoded:
                    h, w = image.shape[1:]
                    s = long_edge / max(h, w)
                    x = functional.interpolate(
                        image[None].float(),
                        size=(round(h * s), round(w * s)),
                        mode="bilinear",
                        antialias=True,
                    )
                    outs.append(x.clamp_(0, 255).to(torch.uint8)[0])
                encode_jpeg(outs, quality=quality)
        torch.cuda.synchronize()

    run()  # warm-up
    return Result(TORCHVISION, len(datas), _timed(run, len(datas), repeats), "bilinear AA")


def measure_decode_bound(datas: list[bytes], batch: int, repeats: int) -> Result:
    import torch
    from nvidia import nvimgcodec

    decoder = nvimgcodec.Decoder()

    def run() -> None:
        for start in range(0, len(datas), batch):
            decoder.decode(datas[start : start + batch])
        torch.cuda.synchronize()

    run()
    return Result(DECODE, len(datas), _timed(run, len(datas), repeats), "hardware decode only")


def _cpu_render(path: str) -> int:
    from trousseau.imaging import Original, render, select_backend
    from trousseau.settings import ImagingSettings

    global _BACKEND
    if "_BACKEND" not in globals():
        _BACKEND = select_backend(ImagingSettings(backend="cpu"))
    data = Path(path).read_bytes()
    rendering = render(Original(data, "jpeg", path), _profiles(), _BACKEND)
    return len(rendering.variants)


def measure_cpu(paths: list[str], processes: int, repeats: int) -> Result:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(processes, mp_context=ctx) as pool:
        list(pool.map(_cpu_render, paths[:processes]))  # warm-up every process
        seconds = _timed(lambda: list(pool.map(_cpu_render, paths)), len(paths), repeats)
    return Result(CPU, len(paths), seconds, f"{processes} processes, libvips concurrency 1")


def psnr_check(datas: list[bytes], gpu_renderings: list[Any], count: int) -> float:
    """Smallest PSNR of a GPU variant against the CPU variant of the same size."""
    import numpy as np
    import pyvips

    from trousseau.imaging import Original, render, select_backend
    from trousseau.settings import ImagingSettings

    cpu = select_backend(ImagingSettings(backend="cpu"))
    worst = math.inf
    for index in range(min(count, len(datas))):
        expected = render(Original(datas[index], "jpeg", "x.jpg"), _profiles(), cpu)
        for g, c in zip(gpu_renderings[index].variants, expected.variants, strict=True):
            if (g.width, g.height) != (c.width, c.height):
                return 0.0
            a = pyvips.Image.new_from_buffer(g.data, "").numpy().astype(np.float64)
            b = pyvips.Image.new_from_buffer(c.data, "").numpy().astype(np.float64)
            mse = float(((a - b) ** 2).mean())
            worst = min(worst, math.inf if mse == 0 else 10 * math.log10(255**2 / mse))
    return worst


# ---------------------------------------------------------------------------------------------
# The wedding, through the real queue and worker


@dataclass
class Wedding:
    photos: int
    formats: dict[str, int]
    backend: str
    scenes: int = 0
    ingest_seconds: float = 0.0
    to_last_variant: float = 0.0
    to_first_ready: float | None = None
    variants: int = 0
    expected: int = 0
    jobs: dict[str, int] = field(default_factory=dict)
    batches: list[int] = field(default_factory=list)
    fallbacks: int = 0

    @property
    def per_minute(self) -> float:
        return 60 * self.photos / self.to_last_variant if self.to_last_variant else 0.0


def run_wedding(paths: list[str], *, gpu: bool, workdir: Path) -> Wedding:
    from sqlalchemy import text

    from trousseau.catalog import open_catalog
    from trousseau.clock import utc_now
    from trousseau.ingest import IngestSummary, WeddingSpec, ingest, prepare_wedding
    from trousseau.jobs import PoolMode, build_worker
    from trousseau.settings import load_settings
    from trousseau.vault import open_vault

    settings = load_settings(
        data_dir=workdir / "data",
        default_sla="same-day",
        imaging={"backend": "gpu" if gpu else "cpu"},
    )
    catalog = open_catalog(settings.catalog_url, auto_migrate=True)
    vault = open_vault(settings.vault_url)
    formats: dict[str, int] = {}
    for p in paths:
        formats[Path(p).suffix[1:]] = formats.get(Path(p).suffix[1:], 0) + 1
    result = Wedding(len(paths), formats, "gpu" if gpu else "cpu")
    result.expected = len(paths) * len(_profiles())
    worker = build_worker(settings, catalog, mode=PoolMode.BATCH)
    wedding = prepare_wedding(catalog, WeddingSpec(slug="bench", tenant="bench"), settings, utc_now)
    began = utc_now()
    started = time.perf_counter()

    def feed() -> None:
        summary = IngestSummary()
        for event in ingest(
            [Path(p) for p in paths],
            catalog=catalog,
            vault=vault,
            settings=settings,
            wedding=wedding,
            clock=utc_now,
        ):
            summary.add(event)
        result.ingest_seconds = time.perf_counter() - started
        worker.finish_when_idle()

    producer = threading.Thread(target=feed, name="ingest")
    producer.start()
    worker.run()
    producer.join()
    pool = worker.pool
    result.batches = pool.batches
    renderer = pool.resources._memo.get("renderer")
    result.fallbacks = getattr(renderer, "fallbacks", 0)
    with catalog.begin() as conn:
        result.variants = conn.execute(text("SELECT count(*) FROM variant")).scalar_one()
        result.jobs = dict(
            conn.execute(text("SELECT state, count(*) FROM job GROUP BY state")).all()
        )
        ready = [
            _utc(t)
            for (t,) in conn.execute(
                text("SELECT max(created_at) FROM variant GROUP BY photo_id ORDER BY 1")
            )
        ]
    catalog.dispose()
    vault.close()
    if ready:
        result.to_first_ready = (ready[0] - began).total_seconds()
        result.to_last_variant = (ready[-1] - began).total_seconds()
    return result


def _utc(value: Any) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


# ---------------------------------------------------------------------------------------------
# Report


def machine() -> str:
    model = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    gpu = "no GPU"
    with contextlib.suppress(Exception):
        import torch

        if torch.cuda.is_available():
            props = torch.cuda.get_device_properties(0)
            gpu = (
                f"{torch.cuda.get_device_name(0)} ({props.total_memory / 2**30:.0f} GiB; "
                f"torch {torch.__version__}, CUDA {torch.version.cuda})"
            )
    with contextlib.suppress(Exception):
        from nvidia import nvimgcodec

        gpu += f", nvImageCodec {nvimgcodec.__version__}"
    return (
        f"{gpu}; {os.cpu_count()} CPU cores ({model}); {platform.system()} "
        f"{platform.machine()}; Python {platform.python_version()}"
    )


def table(results: list[Result]) -> list[str]:
    by = {r.system: r for r in results}
    lines = [
        "| system | photos | seconds | photos/s | vs torchvision | decode bound / this | notes |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        tv = by.get(TORCHVISION)
        bound = by.get(DECODE)
        vs_tv = f"{r.per_second / tv.per_second:.2f}x" if tv else "-"
        vs_bound = f"{bound.per_second / r.per_second:.2f}x" if bound and r.per_second else "-"
        lines.append(
            f"| {r.system} | {r.photos} | {r.seconds:.2f} | {r.per_second:.1f} | {vs_tv} | "
            f"{vs_bound} | {r.note} |"
        )
    return lines


def floors(results: list[Result], worst_psnr: float | None) -> list[tuple[bool, str]]:
    by = {r.system: r for r in results}
    out = []
    gpu, tv, bound = by.get(GPU), by.get(TORCHVISION), by.get(DECODE)
    if gpu and tv:
        ratio = gpu.per_second / tv.per_second
        out.append(
            (
                ratio >= FLOOR_TORCHVISION,
                f"GPU path {ratio:.2f}x plain torchvision (floor {FLOOR_TORCHVISION}x)",
            )
        )
    if gpu and bound:
        ratio = bound.per_second / gpu.per_second
        out.append(
            (
                ratio <= FLOOR_DECODE,
                f"decode bound {ratio:.2f}x the GPU path (floor: within {FLOOR_DECODE}x)",
            )
        )
    if worst_psnr is not None:
        out.append(
            (
                worst_psnr >= FLOOR_PSNR,
                f"GPU vs CPU variants, worst PSNR {worst_psnr:.1f} dB (floor {FLOOR_PSNR})",
            )
        )
    return out


def wedding_lines(w: Wedding) -> list[str]:
    mix = ", ".join(f"{n} {fmt.upper()}" for fmt, n in sorted(w.formats.items()))
    first = f"{w.to_first_ready:.1f} s" if w.to_first_ready is not None else "-"
    return [
        f"- Wedding: {w.photos} photos ({mix}), same-day SLA, ingest and `BatchPool` + "
        f"`Worker` (`trousseau work --gpu`) running together, backend **{w.backend}**"
        + (
            f"; the JPEGs are distinct copies (a COM segment each) of {w.scenes} generated scenes"
            if w.scenes
            else ""
        ),
        f"- Throughput: **{w.per_minute:.0f} photos/min** (ingest start to last variant "
        f"recorded, {w.to_last_variant:.1f} s; ingest alone {w.ingest_seconds:.1f} s)",
        f"- Time to the first same-day photo ready (all its variants recorded): **{first}**",
        f"- Variants recorded: {w.variants} of {w.expected}; jobs: {w.jobs}; batches: "
        f"{len(w.batches)} (mean {sum(w.batches) / max(1, len(w.batches)):.1f} jobs); "
        f"GPU fallbacks to the CPU: {w.fallbacks}",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=64, help="24 MP JPEGs measured (64)")
    parser.add_argument("--batch", type=int, default=32, help="photos per GPU batch (32)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per system; best kept (3)")
    parser.add_argument("--psnr-photos", type=int, default=4, help="photos PSNR-checked (4)")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--wedding",
        type=int,
        nargs="?",
        const=2000,
        default=None,
        help="also run a wedding of N mixed photos (2000) through the worker",
    )
    parser.add_argument(
        "--scenes",
        type=int,
        default=200,
        help="the wedding's JPEGs are distinct copies of this many generated scenes (200; 0: all)",
    )
    parser.add_argument(
        "--diagnose",
        action="store_true",
        help="also the GPU path at other batch sizes, without WebP, with torchvision codecs",
    )
    parser.add_argument("--cpu-only", action="store_true", help="no GPU: the CPU parts only")
    parser.add_argument("--keep", action="store_true", help="keep the wedding's data directory")
    parser.add_argument("--date", help="date written in the docs (default: today)")
    parser.add_argument("--docs", type=Path, default=DOCS)
    parser.add_argument("--no-docs", action="store_true", help="print only")
    args = parser.parse_args(argv)

    say(f"machine: {machine()}")
    say(f"preparing {args.photos} photos of 24 MP in {INPUTS} ...")
    paths = inputs([(i, "jpeg") for i in range(1, args.photos + 1)], args.processes)
    datas = [Path(p).read_bytes() for p in paths]
    results: list[Result] = []
    worst = None
    problems: list[str] = []
    diagnostics: list[Result] = []
    if not args.cpu_only:
        b, r = args.batch, args.repeats
        measured = attempt("trousseau GPU", lambda: measure_gpu(datas, b, r), problems)
        if measured:
            results.append(measured[0])
            worst = attempt(
                "PSNR against the CPU variants",
                lambda: psnr_check(datas, measured[1], args.psnr_photos),
                problems,
            )
        for label, run in (
            ("plain torchvision", lambda: measure_torchvision(datas, b, r)),
            ("nvImageCodec decode-only", lambda: measure_decode_bound(datas, b, r)),
        ):
            result = attempt(label, run, problems)
            if result:
                results.append(result)
        if args.diagnose:
            variants: list[tuple[str, dict[str, Any]]] = [
                (f"GPU, batch {size}", {"batch": size}) for size in (64,) if size != b
            ]
            variants += [
                ("GPU, JPEG variants only (no CPU WebP)", {"jpeg_only": True}),
                ("GPU, JPEGs encoded inline (no encode thread)", {"encode_thread": False}),
                (
                    "GPU, nvImageCodec for every JPEG",
                    {"plain_444_on_torchvision": False},
                ),
                ("GPU, decoded images not reused", {"reuse_images": False}),
                ("GPU, torchvision JPEG encode", {"jpeg_encoder": "torchvision"}),
            ]
            for workers in (2, 4):
                result = attempt(
                    f"GPU, {workers} worker processes",
                    lambda w=workers: measure_gpu_workers(paths, w, b, r),
                    problems,
                )
                if result:
                    diagnostics.append(result)
            for label, options in variants:
                size = options.pop("batch", b)
                result = attempt(
                    label,
                    lambda s=size, o=options, lb=label: measure_gpu(datas, s, r, system=lb, **o)[0],
                    problems,
                )
                if result:
                    diagnostics.append(result)
    cpu = attempt(
        f"trousseau CPU, {args.processes} processes",
        lambda: measure_cpu(paths, args.processes, args.repeats),
        problems,
    )
    if cpu:
        results.append(cpu)

    print("\n".join(table(results + diagnostics)), flush=True)  # kept if the wedding fails
    for problem in problems:
        print(f"FAILED: {problem}", flush=True)
    wedding = None
    if args.wedding:
        n = args.wedding
        kinds = wedding_kinds(n)
        scenes = min(n, args.scenes) if args.scenes else 0
        say(f"preparing a wedding of {n} photos (5% HEIC, 5% PNG; JPEGs from {scenes} scenes) ...")
        wedding_paths = inputs(kinds, args.processes, scenes)
        CACHE.mkdir(parents=True, exist_ok=True)
        workdir = Path(tempfile.mkdtemp(prefix="gpu-wedding-", dir=CACHE))
        try:
            say("wedding: ingest while the batched worker drains the queue ...")
            wedding = run_wedding(wedding_paths, gpu=not args.cpu_only, workdir=workdir)
            wedding.scenes = scenes
        finally:
            if not args.keep:
                shutil.rmtree(workdir, ignore_errors=True)

    checks = floors(results, worst)
    date = args.date or dt.date.today().isoformat()
    command = recipe("bench.gpu", list(sys.argv[1:] if argv is None else argv))
    lines = [
        START_MARK,
        f"_Generated by `python -m bench.gpu` on {date}; rerun it on the GPU machine to refresh._",
        "",
        f"- Command: `{command.strip()}`",
        f"- Machine: {machine()}",
        f"- Inputs: {args.photos} generated 24-megapixel JPEGs (6000x4000, quality 90, EXIF), "
        f"the four enabled default profiles; best of {args.repeats} runs",
        "",
        *table(results),
        "",
        *([f"- {'PASS' if ok else 'MISS'}: {text}" for ok, text in checks] or ["- (CPU only)"]),
        *[f"- FAILED: {problem}" for problem in problems],
    ]
    if diagnostics:
        lines += ["", "Diagnostics (the GPU path varied one setting at a time):", ""]
        lines += table([*diagnostics, *[x for x in results if x.system in (TORCHVISION, DECODE)]])
    if wedding is not None:
        lines += ["", *wedding_lines(wedding)]
    lines += [
        "",
        "What runs on CPU threads during the GPU pipeline, and why: see docs/gpu.md.",
        END_MARK,
    ]
    section = "\n".join(lines)
    print(section)
    if not args.no_docs:
        write_section(args.docs, section, start=START_MARK, end=END_MARK, heading=SECTION_HEADING)
        say(f"wrote the section into {args.docs}")
    missing = wedding is not None and wedding.variants != wedding.expected
    return 1 if problems or missing or (worst is not None and worst < FLOOR_PSNR) else 0


if __name__ == "__main__":
    raise SystemExit(main())

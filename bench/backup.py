"""Backup: trousseau's snapshot repository against restic and borg, on the same vault.

Run `.venv/bin/python -m bench.backup [--gigabytes 2] [--quick]`. It generates a wedding's
worth of originals once (seeded, cached under `--data-dir`, outside the repository):

- camera-like JPEGs: textured, noisy 24 MP photos at quality 95, 4:4:4 (~7.5 MB,
  `trousseau.demo.samples.generate_photo(..., fine=True)`, as bench.endtoend's);
- RAW-like files: a DNG header (IFD0 with DNGVersion, CFA tags) over ~25 MB of 14-bit
  sensor samples packed 4 in 7 bytes (a smooth scene under shot noise: mostly incompressible);
- edited copies: a JPEG of the set with its EXIF APP1 segment rewritten (other Artist,
  Copyright, description: another length) and an XMP APP1 segment added (rating, label,
  keywords), as a culling tool writes them: the same pixels behind a shifted header;

ingests them into a fresh trousseau data directory (`trousseau ingest`, not timed), dumps
its catalog (SQL text), and then, for each system in turn, on the same bytes (the vault's
blobs and the catalog): a first backup into an empty repository, a second one with nothing
changed, a restore checked byte for byte, and the repository's size. The systems:

- trousseau: `trousseau backup init --to REPO`, `trousseau backup run` (twice),
  `trousseau backup restore --snapshot latest --to DIR`; it backs up its own vault and
  catalog;
- restic: `restic init` (repository format 2: zstd compression "auto", AES-256 + Poly1305),
  `restic backup VAULT/blobs catalog.sql` (twice), `restic restore latest --target DIR`;
- borg: `borg init --encryption=repokey-blake2`, `borg create --compression zstd,3` (twice),
  `borg extract`.

It also measures, when trousseau has a following backup (`backup run --follow`), the lag
from each photo's catalog record to its presence in a snapshot during a 500-photo ingest,
and the price of keeping pace: the same ingest's time with no backup following, and how long
the followed ingest says it waited for the backup (`backup.ingest_waits_above`).
The table, ratios to restic and the floors of issue 13 are printed and written between the
`bench:backup` markers of docs/benchmarks.md.
"""

from __future__ import annotations

if __name__ == "__main__" and not __package__:
    raise SystemExit("run it from the repository root as a module: python -m bench.backup")

import argparse
import contextlib
import datetime as dt
import hashlib
import json
import math
import multiprocessing
import os
import platform
import re
import shutil
import signal
import sqlite3
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.harness import DOCS, exit_on_sigterm, machine_busy_seconds, recipe, say, write_section

START_MARK = "<!-- bench:backup:start -->"
END_MARK = "<!-- bench:backup:end -->"
SECTION_HEADING = "## Backup"

SEED = 1313
WHEN = dt.datetime(2026, 6, 13, 14, 0, tzinfo=dt.UTC)
MEGAPIXELS = 24.0
PASSPHRASE = "correct horse battery staple, bench edition"
WEDDING = "bench-backup"
LAG_WEDDING = "bench-backup-lag"

# Shares of the data set's bytes, and the mean size of each kind (for planning the counts).
SHARE_RAW, SHARE_JPEG, SHARE_EDIT = 0.40, 0.45, 0.15
JPEG_BYTES = 7.2e6  # the textured 24 MP JPEGs: 7.2 to 7.6 MB
RAW_WIDTH, RAW_HEIGHT = 4240, 3392  # 14.4 M samples, 14-bit packed: 25.2 MB
RAW_BYTES = RAW_WIDTH * RAW_HEIGHT * 7 // 4

FLOOR_BACKUP = 1.0  # x restic's throughput
FLOOR_RESTORE = 1.0
FLOOR_SIZE = 1.02  # x restic's repository
FLOOR_NOCHANGE = 1.0  # seconds
FLOOR_LAG_P99 = 2.0  # seconds

TROUSSEAU, RESTIC, BORG = "trousseau", "restic", "borg"
SYSTEMS = (RESTIC, BORG, TROUSSEAU)
HEX64 = re.compile(r"^[0-9a-f]{64}$")


def default_data_dir() -> Path:
    return Path(tempfile.gettempdir()) / "trousseau-bench-backup"


# ---------------------------------------------------------------------------------------------
# Data


@dataclass(frozen=True)
class Plan:
    """How many files of each kind make a data set of about `gigabytes`."""

    gigabytes: float
    jpegs: int
    raws: int
    edits: int

    @classmethod
    def of(cls, gigabytes: float) -> Plan:
        total = gigabytes * 1e9 * 1.02  # a little over: "at least 2 GB"
        raws = max(1, math.ceil(total * SHARE_RAW / RAW_BYTES))
        jpegs = max(2, math.ceil(total * SHARE_JPEG / JPEG_BYTES))
        edits = max(1, min(jpegs, math.ceil(total * SHARE_EDIT / JPEG_BYTES)))
        return cls(gigabytes, jpegs, raws, edits)

    def names(self) -> list[str]:
        return (
            [jpeg_name(i) for i in range(1, self.jpegs + 1)]
            + [raw_name(i) for i in range(1, self.raws + 1)]
            + [edit_name(i) for i in range(1, self.edits + 1)]
        )


def jpeg_name(i: int) -> str:
    return f"IMG_{i:04d}.jpg"


def raw_name(i: int) -> str:
    return f"DSC_{i:04d}.dng"


def edit_name(i: int) -> str:
    return f"IMG_{i:04d}-edit.jpg"


def _write(path: Path, data: bytes) -> int:
    partial = path.with_name(f".{path.name}.part")
    partial.write_bytes(data)
    partial.replace(path)
    return len(data)


def _make_jpeg(folder: str, i: int) -> int:
    from trousseau.demo.samples import generate_photo

    data = generate_photo(i, seed=SEED, megapixels=MEGAPIXELS, when=WHEN, fine=True)
    return _write(Path(folder) / jpeg_name(i), data)


def _make_raw(folder: str, i: int) -> int:
    return _write(Path(folder) / raw_name(i), raw_file(i))


def _make_edit(folder: str, i: int) -> int:
    original = (Path(folder) / jpeg_name(i)).read_bytes()
    return _write(Path(folder) / edit_name(i), edited_copy(original, i))


def raw_file(i: int, width: int = RAW_WIDTH, height: int = RAW_HEIGHT) -> bytes:
    """A DNG-like file: a little-endian TIFF header whose IFD0 names a 14-bit CFA image (with
    DNGVersion, so trousseau's sniffing calls it DNG), then the samples packed 4 in 7 bytes:
    a smooth scene (a coarse grid of levels, a Bayer colour pattern) under shot noise."""
    import numpy as np

    rng = np.random.default_rng([SEED, i, 14])
    grid = rng.uniform(300.0, 11000.0, size=(height // 64 + 1, width // 64 + 1))
    scene = np.repeat(np.repeat(grid, 64, axis=0), 64, axis=1)[:height, :width]
    scene[0::2, 0::2] *= 0.55  # R
    scene[1::2, 1::2] *= 0.70  # B
    noise = rng.standard_normal(size=(height, width)) * (8.0 + np.sqrt(scene) * 0.9)
    samples = np.clip(scene + noise + 512.0, 0, 16383).astype(np.uint64).reshape(-1, 4)
    packed = samples[:, 0] | samples[:, 1] << 14 | samples[:, 2] << 28 | samples[:, 3] << 42
    payload = packed.astype("<u8").view(np.uint8).reshape(-1, 8)[:, :7].tobytes()
    return _dng_header(i, width, height, len(payload)) + payload


def _dng_header(i: int, width: int, height: int, strip_bytes: int) -> bytes:
    short, long_, ascii_, byte = 3, 4, 2, 1
    model = b"NIKON Z 6_2\x00"
    stamp = (WHEN + dt.timedelta(seconds=37 * i)).strftime("%Y:%m:%d %H:%M:%S").encode() + b"\0"
    entries: list[tuple[int, int, int, bytes]] = [  # tag, type, count, value bytes
        (254, long_, 1, struct.pack("<I", 0)),
        (256, long_, 1, struct.pack("<I", width)),
        (257, long_, 1, struct.pack("<I", height)),
        (258, short, 1, struct.pack("<H", 14)),
        (259, short, 1, struct.pack("<H", 1)),
        (262, short, 1, struct.pack("<H", 32803)),
        (271, ascii_, 18, b"NIKON CORPORATION\x00"),
        (272, ascii_, len(model), model),
        (273, long_, 1, b""),  # StripOffsets: where the samples begin, filled below
        (277, short, 1, struct.pack("<H", 1)),
        (278, long_, 1, struct.pack("<I", height)),
        (279, long_, 1, struct.pack("<I", strip_bytes)),
        (306, ascii_, len(stamp), stamp),
        (33421, short, 2, struct.pack("<HH", 2, 2)),
        (33422, byte, 4, bytes([0, 1, 1, 2])),
        (50706, byte, 4, bytes([1, 4, 0, 0])),
        (50708, ascii_, len(model), model),
    ]
    ifd_at = 8
    extra_at = ifd_at + 2 + 12 * len(entries) + 4  # values over 4 bytes follow the IFD
    extra_size = sum(len(v) + len(v) % 2 for _, _, _, v in entries if len(v) > 4)
    data_at = extra_at + extra_size
    data_at += -data_at % 16
    body, extra = struct.pack("<H", len(entries)), b""
    for tag, kind, count, value in entries:
        if tag == 273:
            value = struct.pack("<I", data_at)
        if len(value) > 4:
            body += struct.pack("<HHII", tag, kind, count, extra_at + len(extra))
            extra += value + (b"\0" if len(value) % 2 else b"")
        else:
            body += struct.pack("<HHI", tag, kind, count) + value.ljust(4, b"\0")
    head = b"II*\x00" + struct.pack("<I", ifd_at) + body + struct.pack("<I", 0) + extra
    return head.ljust(data_at, b"\0")


def jpeg_segments(data: bytes) -> tuple[list[bytes], int]:
    """The marker segments of a JPEG before its scan (each with marker and length), and
    where the rest (SOS onwards) begins."""
    if data[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG")
    at, segments = 2, []
    while at < len(data) and data[at] == 0xFF:
        marker = data[at + 1]
        if marker == 0xDA:  # start of scan: the rest is entropy-coded
            break
        length = int.from_bytes(data[at + 2 : at + 4], "big")
        segments.append(data[at : at + 2 + length])
        at += 2 + length
    return segments, at


def edited_copy(original: bytes, i: int) -> bytes:
    """The same JPEG after a culling tool edited its metadata: the EXIF APP1 segment rewritten
    (other Artist, Copyright and description, so another length) and an XMP APP1 segment
    added after it (rating, label, keywords); the scan's bytes are untouched."""
    import pyvips

    segments, scan = jpeg_segments(original)
    exif_at = next(
        (k for k, s in enumerate(segments) if s[1] == 0xE1 and s[4:10] == b"Exif\0\0"), None
    )
    header = pyvips.Image.new_from_buffer(original, "", access="sequential")
    tiny = pyvips.Image.black(8, 8, bands=3).copy()
    if exif_at is not None:
        tiny.set_type(pyvips.GValue.blob_type, "exif-data", header.get("exif-data"))
    tiny.set_type(pyvips.GValue.gstr_type, "exif-ifd0-Artist", f"Second shooter {i % 7}")
    tiny.set_type(
        pyvips.GValue.gstr_type, "exif-ifd0-Copyright", f"(c) 2026 Studio {i % 5}, all rights"
    )
    tiny.set_type(
        pyvips.GValue.gstr_type,
        "exif-ifd0-ImageDescription",
        "Ceremony, first look, family portraits " * (1 + i % 4),
    )
    new_segments, _ = jpeg_segments(tiny.jpegsave_buffer(Q=50))
    new_exif = next(s for s in new_segments if s[1] == 0xE1 and s[4:10] == b"Exif\0\0")
    keywords = "".join(f"<rdf:li>guest {k}</rdf:li>" for k in range(i % 11 + 3))
    packet = (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" '
        f'xmp:Rating="{i % 5 + 1}" xmp:Label="{("Red", "Green", "Blue")[i % 3]}">'
        f"<dc:subject><rdf:Bag>{keywords}</rdf:Bag></dc:subject>"
        "</rdf:Description></rdf:RDF></x:xmpmeta>" + " " * 512 + '<?xpacket end="w"?>'
    ).encode()
    xmp_body = b"http://ns.adobe.com/xap/1.0/\0" + packet
    xmp = b"\xff\xe1" + (len(xmp_body) + 2).to_bytes(2, "big") + xmp_body
    if exif_at is None:
        segments = [new_exif, xmp, *segments]
    else:
        segments = [*segments[:exif_at], new_exif, xmp, *segments[exif_at + 1 :]]
    return b"\xff\xd8" + b"".join(segments) + original[scan:]


def generate(data_dir: Path, plan: Plan, processes: int) -> tuple[Path, list[Path]]:
    """The files of `plan` in `data_dir/files` (generating the missing ones), linked into
    `data_dir/set-<G>gb/`: the folder every run ingests."""
    files = data_dir / "files"
    files.mkdir(parents=True, exist_ok=True)
    stamp = files / "params.json"
    params = {
        "seed": SEED,
        "megapixels": MEGAPIXELS,
        "when": WHEN.isoformat(),
        "raw": [RAW_WIDTH, RAW_HEIGHT, 14],
        "version": 1,
    }
    if stamp.exists() and json.loads(stamp.read_text()) != params:
        say(f"{files} holds files of other parameters: regenerating")
        shutil.rmtree(files)
        files.mkdir(parents=True)
    stamp.write_text(json.dumps(params))
    todo: list[tuple[Callable[[str, int], int], int, str]] = []
    for i in range(1, plan.jpegs + 1):
        if not (files / jpeg_name(i)).is_file():
            todo.append((_make_jpeg, i, jpeg_name(i)))
    for i in range(1, plan.raws + 1):
        if not (files / raw_name(i)).is_file():
            todo.append((_make_raw, i, raw_name(i)))
    if todo:
        say(f"generating {len(todo)} files into {files} ...")
        _run_pool(todo, files, processes)
    edits = [
        (_make_edit, i, edit_name(i))
        for i in range(1, plan.edits + 1)
        if not (files / edit_name(i)).is_file()
    ]
    if edits:
        say(f"generating {len(edits)} edited copies into {files} ...")
        _run_pool(edits, files, processes)
    folder = data_dir / f"set-{plan.gigabytes:g}gb"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir()
    paths = []
    for name in plan.names():
        with contextlib.suppress(OSError):
            os.link(files / name, folder / name)
        if not (folder / name).exists():
            shutil.copyfile(files / name, folder / name)
        paths.append(folder / name)
    return folder, paths


def _run_pool(todo: Sequence[tuple[Callable[[str, int], int], int, str]], folder: Path, n: int):
    started = time.perf_counter()
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max(1, n), mp_context=ctx) as pool:
        futures = [pool.submit(make, str(folder), i) for make, i, _ in todo]
        for done, future in enumerate(futures, start=1):
            future.result()
            if done % 25 == 0 or done == len(futures):
                say(f"  {done}/{len(futures)} ({time.perf_counter() - started:.0f} s)")


def describe_set(paths: Sequence[Path]) -> str:
    kinds = {"JPEG": [], "RAW": [], "edited": []}  # type: dict[str, list[int]]
    for p in paths:
        kind = "edited" if p.stem.endswith("-edit") else "RAW" if p.suffix == ".dng" else "JPEG"
        kinds[kind].append(p.stat().st_size)
    total = sum(sum(v) for v in kinds.values())
    parts = [
        f"{len(v)} {k} ({sum(v) / 1e6:,.0f} MB, {statistics.fmean(v) / 1e6:.1f} MB each)"
        for k, v in kinds.items()
        if v
    ]
    return f"{len(paths)} files, {total / 1e9:.2f} GB: " + ", ".join(parts)


# ---------------------------------------------------------------------------------------------
# Running commands


@dataclass
class Step:
    """One command: wall seconds, CPU seconds (with its children), peak RSS, other load."""

    seconds: float
    cpu: float
    rss_mb: float
    other_cores: float
    returncode: int
    out: str
    err: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def tail(self, lines: int = 4) -> str:
        text = (self.err.strip() or self.out.strip()).splitlines()
        return " / ".join(line.strip() for line in text[-lines:] if line.strip())


def timed(
    cmd: Sequence[str], env: dict[str, str], *, cwd: Path | None = None, limit: float = 3600
) -> Step:
    """Run `cmd`, its output into files (no pipe to drain), and time it: wall clock around
    the process, CPU and peak RSS from wait4 (the process and the children it waited for)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        busy0 = machine_busy_seconds()
        t0 = time.perf_counter()
        proc = subprocess.Popen(list(cmd), env=env, cwd=cwd, stdout=out, stderr=err)
        timer = threading.Timer(limit, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        seconds = time.perf_counter() - t0
        busy = machine_busy_seconds() - busy0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        cpu = usage.ru_utime + usage.ru_stime
        return Step(
            seconds=seconds,
            cpu=cpu,
            rss_mb=usage.ru_maxrss / 1024,
            other_cores=max(0.0, busy - cpu) / seconds if seconds > 0 else 0.0,
            returncode=proc.returncode,
            out=out.read().decode("utf-8", "replace"),
            err=err.read().decode("utf-8", "replace"),
        )


def _environment() -> dict[str, str]:
    """This environment without TROUSSEAU_*, RESTIC_* and BORG_* settings: each system gets
    only what the bench gives it."""
    prefixes = ("TROUSSEAU_", "RESTIC_", "BORG_")
    return {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}


def _trousseau(data_dir: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "trousseau", "--data-dir", str(data_dir), *args]


def tree_bytes(*roots: Path) -> tuple[int, int]:
    """Files and apparent bytes under `roots` (files or folders)."""
    files = size = 0
    for root in roots:
        if root.is_file():
            files, size = files + 1, size + root.stat().st_size
            continue
        for folder, _, names in os.walk(root):
            for name in names:
                with contextlib.suppress(OSError):
                    size += os.lstat(os.path.join(folder, name)).st_size
                    files += 1
    return files, size


def warm(roots: Iterable[Path]) -> None:
    """Read every file under `roots` once, so each system starts with its source in the
    page cache (the machine has the memory for it); no system pays the disk's first read."""
    for root in roots:
        walk = [(str(root.parent), [], [root.name])] if root.is_file() else os.walk(root)
        for folder, _, names in walk:
            for name in names:
                with contextlib.suppress(OSError), open(os.path.join(folder, name), "rb") as f:
                    while f.read(8 << 20):
                        pass


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(4 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def syncfs(path: Path) -> float:
    """Flush the file system holding `path` (what a restore wrote reaches the disk)."""
    t0 = time.perf_counter()
    fd = os.open(path, os.O_RDONLY)
    try:
        if hasattr(os, "syncfs"):
            os.syncfs(fd)  # type: ignore[attr-defined]
        else:
            os.sync()
    finally:
        os.close(fd)
    return time.perf_counter() - t0


# ---------------------------------------------------------------------------------------------
# The source: a trousseau data directory after the ingest, and its catalog dump


@dataclass
class Source:
    data: Path  # trousseau's data directory (vault and catalog)
    dump: Path  # the catalog as SQL text (what restic and borg back up of it)
    blobs: dict[str, int]  # sha256 -> bytes of every vault blob
    dump_sha256: str
    dump_bytes: int
    files: int
    bytes: int
    photos: int
    ingest: Step | None = None
    tables: dict[str, int] = field(default_factory=dict)

    @property
    def roots(self) -> list[Path]:
        return [self.data / "vault" / "blobs", self.dump]


def ingest(folder: Path, workdir: Path, env: dict[str, str]) -> Source:
    data = workdir / "trousseau-data"
    say(f"trousseau ingest {folder} (not timed as backup) ...")
    step = timed(
        _trousseau(data, "ingest", str(folder), "--wedding", WEDDING, "--date", "2026-06-13"),
        env,
    )
    if not step.ok:
        raise RuntimeError(f"trousseau ingest failed ({step.returncode}): {step.tail(12)}")
    catalog = data / "catalog.sqlite3"
    dump = workdir / "catalog-dump" / "catalog.sql"
    dump.parent.mkdir(parents=True)
    tables = {}
    with contextlib.closing(sqlite3.connect(catalog)) as db:
        dump.write_text("\n".join(db.iterdump()) + "\n", encoding="utf-8")
        for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            tables[name] = db.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
        photos = db.execute("SELECT count(*) FROM photo").fetchone()[0]
    blobs = {}
    for folder_, _, names in os.walk(data / "vault" / "blobs"):
        for name in names:
            if HEX64.match(name):
                blobs[name] = os.path.getsize(os.path.join(folder_, name))
    files, size = tree_bytes(data / "vault" / "blobs", dump)
    return Source(
        data=data,
        dump=dump,
        blobs=blobs,
        dump_sha256=sha256_file(dump),
        dump_bytes=dump.stat().st_size,
        files=files,
        bytes=size,
        photos=photos,
        ingest=step,
        tables=tables,
    )


def check_restore(source: Source, target: Path, *, catalog_dump: bool) -> tuple[str, list[str]]:
    """Hash every restored file: each vault blob must be there byte for byte (a file whose
    content hashes to the blob's name), and the catalog (the dump for restic and borg, a
    SQLite catalog with the same rows for trousseau). Returns a summary and the problems."""
    problems: list[str] = []
    found: set[str] = set()
    catalogs: list[Path] = []
    files = 0
    for folder, _, names in os.walk(target):
        for name in names:
            path = Path(folder, name)
            if path.is_symlink() or not path.is_file():
                continue
            files += 1
            digest = sha256_file(path)
            found.add(digest)
            if HEX64.match(name) and digest != name and name in source.blobs:
                problems.append(f"{path.relative_to(target)}: content does not hash to its name")
            if name.endswith((".sqlite3", ".sqlite", ".db")):
                catalogs.append(path)
    missing = [sha for sha in source.blobs if sha not in found]
    if missing:
        problems.append(f"{len(missing)} of {len(source.blobs)} vault blobs not restored intact")
    if catalog_dump:
        if source.dump_sha256 not in found:
            problems.append("the catalog dump is not restored intact")
        what = "catalog dump identical"
    else:
        what = _check_catalog(source, catalogs, problems)
    summary = (
        f"{len(source.blobs) - len(missing)}/{len(source.blobs)} blobs identical, {what}"
        if not problems
        else "FAILED"
    )
    return summary + f" ({files} files restored)", problems


def _check_catalog(source: Source, catalogs: list[Path], problems: list[str]) -> str:
    """A restored SQLite catalog: every table of the source's, with as many rows (tables of
    the backup's own bookkeeping may differ), and the same photos."""
    if not catalogs:
        problems.append("no catalog (*.sqlite3) in the restored files")
        return "no catalog"
    path = max(catalogs, key=lambda p: p.stat().st_size)
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            for table, rows in source.tables.items():
                if table.startswith(("backup", "alembic", "sqlite_")):
                    continue
                got = db.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
                if got != rows:
                    problems.append(f"restored catalog: {table} has {got} rows, source {rows}")
            shas = {r[0] for r in db.execute("SELECT sha256 FROM photo")}
    except sqlite3.Error as error:
        problems.append(f"restored catalog {path.name} cannot be read: {error}")
        return "catalog unreadable"
    if shas != set(source.blobs):
        problems.append("restored catalog's photos are not the vault's blobs")
    return f"catalog {path.name}: same rows"


# ---------------------------------------------------------------------------------------------
# Systems


@dataclass
class Result:
    system: str
    version: str = ""
    settings: str = ""
    unavailable: str | None = None
    init: Step | None = None
    backup: Step | None = None
    nochange: Step | None = None
    restore: Step | None = None
    restore_sync: float = 0.0
    repo_bytes: int = 0
    repo_files: int = 0
    check: str = ""
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def measured(self) -> bool:
        return self.unavailable is None and self.backup is not None

    @property
    def restore_seconds(self) -> float | None:
        return self.restore.seconds + self.restore_sync if self.restore else None


@dataclass
class Commands:
    """The commands of one system."""

    env: dict[str, str]
    repo: Path
    init: list[str]
    backup: Callable[[int], list[str]]
    restore: Callable[[Path], tuple[list[str], Path | None]]
    catalog_dump: bool  # backs up the catalog dump (restic, borg) or its own catalog


def version_of(cmd: Sequence[str]) -> str:
    try:
        done = subprocess.run(list(cmd), capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"unavailable ({error})"
    return (done.stdout or done.stderr).strip().splitlines()[0] if done.returncode == 0 else ""


def restic_plan(workdir: Path, source: Source) -> tuple[Commands | None, Result]:
    result = Result(RESTIC, settings="repository v2, compression auto (zstd), AES-256-CTR+Poly1305")
    exe = shutil.which("restic")
    if exe is None:
        result.unavailable = "restic is not installed (apt-get install restic)"
        return None, result
    result.version = version_of([exe, "version"]).split(" compiled")[0]
    repo = workdir / "restic-repo"
    env = {
        **_environment(),
        "RESTIC_REPOSITORY": str(repo),
        "RESTIC_PASSWORD": PASSPHRASE,
        "RESTIC_CACHE_DIR": str(workdir / "restic-cache"),
    }
    paths = [str(p) for p in source.roots]
    return Commands(
        env=env,
        repo=repo,
        init=[exe, "init", "--repository-version", "2"],
        backup=lambda n: [exe, "backup", "--host", "bench", *paths],
        restore=lambda target: ([exe, "restore", "latest", "--target", str(target)], None),
        catalog_dump=True,
    ), result


def borg_plan(workdir: Path, source: Source) -> tuple[Commands | None, Result]:
    result = Result(BORG, settings="repokey-blake2 (AES-256-CTR + BLAKE2b), zstd,3")
    exe = shutil.which("borg")
    if exe is None:
        result.unavailable = "borg is not installed (apt-get install borgbackup)"
        return None, result
    result.version = version_of([exe, "--version"])
    repo = workdir / "borg-repo"
    env = {
        **_environment(),
        "BORG_REPO": str(repo),
        "BORG_PASSPHRASE": PASSPHRASE,
        "BORG_BASE_DIR": str(workdir / "borg-base"),
    }
    paths = [str(p) for p in source.roots]
    return Commands(
        env=env,
        repo=repo,
        init=[exe, "init", "--encryption=repokey-blake2", str(repo)],
        backup=lambda n: [exe, "create", "--compression", "zstd,3", f"::run{n}", *paths],
        restore=lambda target: ([exe, "extract", "::run1"], target),
        catalog_dump=True,
    ), result


def trousseau_help(data: Path, *args: str) -> tuple[bool, str]:
    done = subprocess.run(
        _trousseau(data, *args, "--help"), capture_output=True, text=True, env=_environment()
    )
    text = done.stdout + done.stderr
    return done.returncode == 0, re.sub(r"[\s│╭╮╰╯─]+", " ", text).strip()


def trousseau_missing(data: Path) -> str | None:
    """Why `trousseau backup init/run/restore` cannot be measured yet, or None."""
    ok, text = trousseau_help(data, "backup")
    if not ok:
        first = re.sub(r"^.*?Error ", "", text)[:120]
        return f"`trousseau backup` is not a command yet ({first.strip()})"
    for command in ("init", "run", "restore"):
        ok, text = trousseau_help(data, "backup", command)
        if not ok:
            return f"`trousseau backup {command}` is not a command yet"
    ok, text = trousseau_help(data, "backup", "init")
    if "--to" not in text:
        return "`trousseau backup init` has no --to option"
    ok, text = trousseau_help(data, "backup", "restore")
    if "--snapshot" not in text or "--to" not in text:
        return "`trousseau backup restore` lacks --snapshot/--to"
    return None


def trousseau_plan(workdir: Path, source: Source) -> tuple[Commands | None, Result]:
    import trousseau

    version = getattr(trousseau, "__version__", "")
    result = Result(
        TROUSSEAU,
        version=f"trousseau {version}".strip(),
        settings="FastCDC, zstd, AES-256-GCM (its defaults)",
    )
    missing = trousseau_missing(source.data)
    if missing:
        result.unavailable = missing
        return None, result
    repo = workdir / "trousseau-repo"
    env = {
        **_environment(),
        "TROUSSEAU_BACKUP__PASSPHRASE": PASSPHRASE,
        "TROUSSEAU_BACKUP__TARGETS": json.dumps([str(repo)]),
    }
    data = source.data
    return Commands(
        env=env,
        repo=repo,
        init=_trousseau(data, "backup", "init", "--to", str(repo)),
        backup=lambda n: _trousseau(data, "backup", "run"),
        restore=lambda target: (
            _trousseau(data, "backup", "restore", "--snapshot", "latest", "--to", str(target)),
            None,
        ),
        catalog_dump=False,
    ), result


def measure(plan: Commands, result: Result, source: Source, workdir: Path) -> Result:
    """init (not timed), backup, backup again (nothing changed), restore (+ the file
    system's flush), the restore checked, the repository measured; all removed after."""
    name = result.system
    target = workdir / f"{name}-restore"
    try:
        say(f"{name}: init")
        result.init = timed(plan.init, plan.env)
        if not result.init.ok:
            result.problems.append(f"init failed ({result.init.returncode}): {result.init.tail()}")
            return result
        warm(source.roots)
        say(f"{name}: backup of {source.bytes / 1e9:.2f} GB ...")
        result.backup = timed(plan.backup(1), plan.env)
        if not result.backup.ok:
            result.problems.append(
                f"backup failed ({result.backup.returncode}): {result.backup.tail()}"
            )
            return result
        say(f"{name}: backup in {result.backup.seconds:.1f} s; again, nothing changed ...")
        result.nochange = timed(plan.backup(2), plan.env)
        if not result.nochange.ok:
            result.problems.append(
                f"second backup failed ({result.nochange.returncode}): {result.nochange.tail()}"
            )
        result.repo_files, result.repo_bytes = tree_bytes(plan.repo)
        target.mkdir(parents=True)
        cmd, cwd = plan.restore(target)
        say(f"{name}: restore ...")
        result.restore = timed(cmd, plan.env, cwd=cwd)
        result.restore_sync = syncfs(target)
        if not result.restore.ok:
            result.problems.append(
                f"restore failed ({result.restore.returncode}): {result.restore.tail()}"
            )
            return result
        say(f"{name}: restore in {result.restore.seconds:.1f} s; checking it ...")
        result.check, problems = check_restore(source, target, catalog_dump=plan.catalog_dump)
        result.problems += problems
        return result
    finally:
        shutil.rmtree(target, ignore_errors=True)
        shutil.rmtree(plan.repo, ignore_errors=True)


def best_of(runs: Sequence[Result]) -> Result:
    """One system's runs as one: the fastest of each step (other load on a shared machine
    only ever adds time), the median repository, every problem; the ranges in notes."""
    first = runs[0]
    if len(runs) == 1 or first.unavailable:
        return first
    out = Result(first.system, version=first.version, settings=first.settings)
    problems = [p for r in runs for p in r.problems]
    out.problems = list(dict.fromkeys(problems))
    out.check = next((r.check for r in runs if r.check), "")
    out.notes = list(dict.fromkeys(n for r in runs for n in r.notes))
    backups = [r.backup for r in runs if r.backup and r.backup.ok]
    nochanges = [r.nochange for r in runs if r.nochange and r.nochange.ok]
    restores = [r for r in runs if r.restore and r.restore.ok]
    sizes = sorted(r.repo_bytes for r in runs if r.repo_bytes)
    out.init = first.init
    out.backup = min(backups, key=lambda s: s.seconds) if backups else first.backup
    out.nochange = min(nochanges, key=lambda s: s.seconds) if nochanges else first.nochange
    if restores:
        fastest = min(restores, key=lambda r: r.restore_seconds or math.inf)
        out.restore, out.restore_sync = fastest.restore, fastest.restore_sync
    else:
        out.restore = first.restore
    if sizes:
        out.repo_bytes = sizes[len(sizes) // 2]
        out.repo_files = next(r.repo_files for r in runs if r.repo_bytes == out.repo_bytes)

    def spread(values: Sequence[float], unit: str, fmt: str = ".1f") -> str:
        return f"{min(values):{fmt}}-{max(values):{fmt}} {unit}"

    parts = [f"{len(runs)} runs"]
    if backups:
        parts.append("backup " + spread([s.seconds for s in backups], "s"))
    if nochanges:
        parts.append("no-change " + spread([s.seconds for s in nochanges], "s", ".2f"))
    if restores:
        parts.append(
            "restore "
            + spread([r.restore_seconds or 0.0 for r in restores], "s")
            + f" (of which the flush {fastest.restore_sync:.1f} s in the fastest)"
        )
    if sizes:
        parts.append("repository " + spread([b / 1e6 for b in sizes], "MB", ",.0f"))
    out.notes.insert(0, ", ".join(parts))
    return out


# ---------------------------------------------------------------------------------------------
# Lag: from a photo's catalog record to its presence in a snapshot


@dataclass
class Lag:
    photos: int = 0
    p50: float | None = None
    p99: float | None = None
    worst: float | None = None
    ingest_seconds: float | None = None
    ingest_mb: float = 0.0
    snapshots: int = 0
    caught_up: float | None = None  # from the ingest's end to the last photo's snapshot
    alone_seconds: float | None = None  # the same ingest with no backup following
    waited: float | None = None  # what the ingest says it waited for the backup
    unavailable: str | None = None
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def lag_photos(data_dir: Path, count: int, processes: int) -> Path:
    """`count` distinct textured JPEGs (IMG_0001..) in `data_dir/files`, generating the missing
    ones, linked into `data_dir/lag-<count>/`."""
    files = data_dir / "files"
    todo = [(_make_jpeg, i, jpeg_name(i)) for i in range(1, count + 1)]
    todo = [t for t in todo if not (files / t[2]).is_file()]
    if todo:
        say(f"generating {len(todo)} more photos for the lag ingest into {files} ...")
        _run_pool(todo, files, processes)
    folder = data_dir / f"lag-{count}"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir()
    for i in range(1, count + 1):
        with contextlib.suppress(OSError):
            os.link(files / jpeg_name(i), folder / jpeg_name(i))
        if not (folder / jpeg_name(i)).exists():
            shutil.copyfile(files / jpeg_name(i), folder / jpeg_name(i))
    return folder


def _utc(value: Any) -> dt.datetime:
    when = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def measure_lag(args: argparse.Namespace, workdir: Path) -> Lag:
    """`trousseau backup run --follow` on an empty data directory while `--lag-photos`
    photos are ingested at the command's own pace; for each photo, the time from its catalog
    record (photo.created_at) to the first snapshot holding its blob (the snapshot file's
    modification time on the target: when it landed)."""
    data = workdir / "lag-data"
    ok, text = trousseau_help(data, "backup", "run")
    if not ok:
        return Lag(unavailable="`trousseau backup run` is not a command yet")
    if "--follow" not in text:
        return Lag(unavailable="`trousseau backup run` has no --follow (no continuous backup yet)")
    try:
        from trousseau.backup import open_repository, open_target
    except ImportError as error:
        return Lag(unavailable=f"trousseau.backup's API cannot be read ({error})")
    folder = lag_photos(args.data_dir, args.lag_photos, args.generate_processes)
    lag = Lag(photos=args.lag_photos)
    repo_dir = workdir / "lag-repo"
    env = {
        **_environment(),
        "TROUSSEAU_BACKUP__PASSPHRASE": PASSPHRASE,
        "TROUSSEAU_BACKUP__TARGETS": json.dumps([str(repo_dir)]),
    }
    for step in (
        _trousseau(data, "init"),
        _trousseau(data, "backup", "init", "--to", str(repo_dir)),
    ):
        done = timed(step, env)
        if not done.ok:
            lag.unavailable = f"`{' '.join(step[4:])}` failed: {done.tail()}"
            return lag
    syncfs(workdir)  # the earlier rounds' writes leave the disk before anything is timed
    warm([folder])
    timed(_trousseau(workdir / "lag-alone", "init"), env)
    alone = timed(
        _trousseau(
            workdir / "lag-alone",
            "ingest",
            str(folder),
            "--wedding",
            LAG_WEDDING,
            "--date",
            "2026-06-13",
        ),
        env,
    )
    if alone.ok:
        lag.alone_seconds = alone.seconds
    shutil.rmtree(workdir / "lag-alone", ignore_errors=True)
    log = workdir / "lag-follow.log"
    with log.open("wb") as out:
        follow = subprocess.Popen(
            _trousseau(data, "backup", "run", "--follow"), env=env, stdout=out, stderr=out
        )
    try:
        time.sleep(3.0)  # started, repository opened, the first (empty) run done
        if follow.poll() is not None:
            lag.unavailable = f"`backup run --follow` exited ({follow.returncode}): {_tail(log)}"
            return lag
        warm([folder])
        say(f"lag: ingest of {lag.photos} photos while `backup run --follow` runs ...")
        ingest = timed(
            _trousseau(
                data, "ingest", str(folder), "--wedding", LAG_WEDDING, "--date", "2026-06-13"
            ),
            env,
        )
        lag.ingest_seconds = ingest.seconds
        waited = re.search(r"([0-9.]+) s\s+waiting\s+for\s+the\s+backup", ingest.out)
        lag.waited = float(waited.group(1)) if waited else 0.0
        lag.ingest_mb = tree_bytes(folder)[1] / 1e6
        ended = dt.datetime.now(dt.UTC)
        if not ingest.ok:
            lag.problems.append(f"ingest failed ({ingest.returncode}): {ingest.tail()}")
            return lag
        with contextlib.closing(sqlite3.connect(data / "catalog.sqlite3")) as db:
            recorded = {
                sha: _utc(at) for sha, at in db.execute("SELECT sha256, created_at FROM photo")
            }
        repo = open_repository(open_target(str(repo_dir)), PASSPHRASE)
        first_seen: dict[str, float] = {}
        seen_snapshots: set[str] = set()
        deadline = time.monotonic() + 120 + lag.photos
        while True:
            repo.refresh()
            for snapshot in repo.snapshots():
                if snapshot.id in seen_snapshots:
                    continue
                seen_snapshots.add(snapshot.id)
                landed = (repo_dir / "snapshots" / snapshot.id).stat().st_mtime
                for ref in snapshot.weddings:
                    for blob in repo.tree(ref).blobs:
                        if blob.sha256 not in first_seen or landed < first_seen[blob.sha256]:
                            first_seen[blob.sha256] = landed
            if all(sha in first_seen for sha in recorded) or time.monotonic() > deadline:
                break
            if follow.poll() is not None:
                lag.problems.append(f"`backup run --follow` exited ({follow.returncode})")
                break
            time.sleep(0.5)
    except Exception as error:  # the rest of the bench stands without the lag
        lag.problems.append(f"lag measurement: {type(error).__name__}: {error}")
        return lag
    finally:
        if follow.poll() is None:
            follow.send_signal(signal.SIGINT)  # the command's own stop: what is committed stays
            try:
                follow.wait(timeout=60)
            except subprocess.TimeoutExpired:
                doing = _process_state(follow.pid)
                follow.kill()
                follow.wait()
                lag.problems.append(
                    f"`backup run --follow` did not stop within 60 s of SIGINT ({doing}; "
                    f"its output: {_tail(log)})"
                )
    lag.snapshots = len(seen_snapshots)
    missing = [sha for sha in recorded if sha not in first_seen]
    if missing:
        lag.problems.append(f"{len(missing)} of {len(recorded)} photos in no snapshot after 2 min")
    lags = sorted(
        first_seen[sha] - at.timestamp() for sha, at in recorded.items() if sha in first_seen
    )
    if lags:
        lag.p50 = statistics.median(lags)
        lag.p99 = lags[min(len(lags) - 1, math.ceil(0.99 * len(lags)) - 1)]
        lag.worst = lags[-1]
        lag.caught_up = max(first_seen.values()) - ended.timestamp()
    lag.notes.append(
        f"lag: {len(recorded)} photos ({lag.ingest_mb:,.0f} MB) ingested in "
        f"{lag.ingest_seconds:.1f} s ({len(recorded) / lag.ingest_seconds:.0f} photos/s) by "
        f"`trousseau ingest` while `trousseau backup run --follow` (interval 0.5 s) ran, "
        f"{lag.waited or 0:.1f} s of it waiting for the backup to keep up "
        f"(`backup.ingest_waits_above`; the same ingest with no backup following: "
        + (f"{lag.alone_seconds:.1f} s" if lag.alone_seconds else f"failed, {alone.tail()}")
        + "); "
        f"{lag.snapshots} snapshots; worst {lag.worst or 0:.2f} s; the last photo was in a "
        f"snapshot {lag.caught_up or 0:.1f} s after the ingest ended"
    )
    return lag


def _process_state(pid: int) -> str:
    """What a process is doing, as Linux says (its state and the kernel function it waits
    in: "D" and a sync function is a disk flush, not a hang in Python)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
        state = next(
            line.split(":", 1)[1].strip()
            for line in status.splitlines()
            if line.startswith("State:")
        )
        wchan = Path(f"/proc/{pid}/wchan").read_text(encoding="utf-8").strip() or "-"
    except (OSError, StopIteration):
        return "state unknown"
    return f"state {state}, waiting in {wchan}"


def _tail(path: Path, lines: int = 4) -> str:
    with contextlib.suppress(OSError):
        text = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        return " / ".join(line.strip() for line in text[-lines:] if line.strip())
    return ""


# ---------------------------------------------------------------------------------------------
# Report


COLUMNS = [
    "system",
    "backup s",
    "backup MB/s",
    "vs restic",
    "no-change run s",
    "restore s",
    "restore MB/s",
    "vs restic",
    "repository MB",
    "of source",
    "vs restic",
    "CPU s backup/restore",
    "peak RSS MB",
    "restore check",
    "other load (cores)",
]


def _mbps(source: Source, seconds: float | None) -> float | None:
    return source.bytes / 1e6 / seconds if seconds else None


def _x(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def rows(results: Sequence[Result], source: Source, *, short: bool = False) -> list[list[str]]:
    """The table's cells; `short` (the terminal) leaves the reasons and checks to the lines
    printed below the table."""
    base = next((r for r in results if r.system == RESTIC and r.measured), None)
    out = []
    for r in results:
        if not r.measured:
            why = r.unavailable or "; ".join(r.problems) or "not measured"
            cell = "not available" if short else f"not available: {why}"
            out.append([r.system, cell, *["-"] * (len(COLUMNS) - 2)])
            continue
        assert r.backup is not None
        backup_rate = _mbps(source, r.backup.seconds)
        restore_rate = _mbps(source, r.restore_seconds)
        vs = base is not None and base is not r
        out.append(
            [
                r.system,
                f"{r.backup.seconds:.1f}",
                f"{backup_rate:,.0f}" if backup_rate else "-",
                _x(base.backup.seconds / r.backup.seconds)
                if vs and base.backup
                else "1.00x"
                if r is base
                else "-",
                f"{r.nochange.seconds:.2f}" if r.nochange else "-",
                f"{r.restore_seconds:.1f}" if r.restore_seconds else "-",
                f"{restore_rate:,.0f}" if restore_rate else "-",
                _x(base.restore_seconds / r.restore_seconds)
                if vs and base.restore_seconds and r.restore_seconds
                else "1.00x"
                if r is base
                else "-",
                f"{r.repo_bytes / 1e6:,.0f}",
                f"{100 * r.repo_bytes / source.bytes:.1f}%",
                _x(r.repo_bytes / base.repo_bytes)
                if vs and base.repo_bytes
                else "1.00x"
                if r is base
                else "-",
                f"{r.backup.cpu:.0f} / {r.restore.cpu:.0f}" if r.restore else f"{r.backup.cpu:.0f}",
                f"{r.backup.rss_mb:,.0f} / {r.restore.rss_mb:,.0f}"
                if r.restore
                else f"{r.backup.rss_mb:,.0f}",
                ("FAILED" if r.problems else "ok")
                if short
                else "; ".join(r.problems)
                if r.problems
                else r.check,
                f"{r.backup.other_cores:.2f} / {r.restore.other_cores:.2f}"
                if r.restore
                else f"{r.backup.other_cores:.2f}",
            ]
        )
    return out


def floors(results: Sequence[Result], lag: Lag) -> list[tuple[str, str]]:
    """(verdict, text): PASS, MISS, or NOT MEASURED with the reason."""
    got = {r.system: r for r in results}
    t, base = got.get(TROUSSEAU), got.get(RESTIC)
    out: list[tuple[str, str]] = []

    def ratio_floor(what: str, value: Callable[[Result], float | None], floor: float, up: bool):
        if t is None or not t.measured:
            why = t.unavailable if t else "trousseau not run"
            out.append(("NOT MEASURED", f"{what}: {why or 'trousseau failed'}"))
            return
        if base is None or not base.measured:
            out.append(("NOT MEASURED", f"{what}: restic not measured"))
            return
        a, b = value(t), value(base)
        if not a or not b:
            out.append(("NOT MEASURED", f"{what}: a step failed"))
            return
        ratio = a / b
        ok = ratio >= floor if up else ratio <= floor
        rel = "at least" if up else "at most"
        out.append(("PASS" if ok else "MISS", f"{what}: {ratio:.2f}x restic's ({rel} {floor:g}x)"))

    ratio_floor(
        "backup throughput",
        lambda r: 1 / r.backup.seconds if r.backup else None,
        FLOOR_BACKUP,
        up=True,
    )
    ratio_floor(
        "restore throughput",
        lambda r: 1 / r.restore_seconds if r.restore_seconds else None,
        FLOOR_RESTORE,
        up=True,
    )
    ratio_floor("repository size", lambda r: r.repo_bytes or None, FLOOR_SIZE, up=False)
    if t is not None and t.measured and t.nochange is not None:
        s = t.nochange.seconds
        out.append(
            (
                "PASS" if s < FLOOR_NOCHANGE and t.nochange.ok else "MISS",
                f"no-change incremental run: {s:.2f} s (floor < {FLOOR_NOCHANGE:g} s)",
            )
        )
    else:
        why = (t.unavailable if t else None) or "trousseau's second run did not happen"
        out.append(("NOT MEASURED", f"no-change incremental run: {why}"))
    if lag.p99 is not None:
        out.append(
            (
                "PASS" if lag.p99 < FLOOR_LAG_P99 else "MISS",
                f"change-to-backup lag during a {lag.photos}-photo ingest: p99 {lag.p99:.2f} s, "
                f"p50 {lag.p50:.2f} s (floor p99 < {FLOOR_LAG_P99:g} s)",
            )
        )
    else:
        why = lag.unavailable or "; ".join(lag.problems) or "not measured"
        out.append(("NOT MEASURED", f"change-to-backup lag: {why}"))
    return out


def machine(data_dir: Path) -> str:
    model = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = "?"
    with contextlib.suppress(OSError, ValueError):
        kb = int(Path("/proc/meminfo").read_text().split("\n", 1)[0].split()[1])
        memory = f"{kb / 1024 / 1024:.0f} GiB"
    fs = "?"
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        done = subprocess.run(
            ["df", "--output=fstype,source", str(data_dir)], capture_output=True, text=True
        )
        fs = " ".join(done.stdout.split()[2:4])
    return (
        f"{os.cpu_count()} CPU cores (os.cpu_count(), {model}); {memory} RAM; "
        f"{platform.system()} {platform.machine()}; Python {platform.python_version()}; "
        f"data, repositories and restores on one disk ({fs})"
    )


HOW = """\
How it is measured. The data set is generated once (seed {seed}) and cached outside the
repository; it is ingested (`trousseau ingest FOLDER --wedding W`, not part of any timing)
into a fresh trousseau data directory, whose catalog is then dumped as SQL text (Python's
`sqlite3` iterdump). Every system backs up the same bytes: the vault's blobs (the originals,
content-addressed: each edited copy is a blob of its own) and the catalog; restic and borg
back up the blobs folder and the dump (together the "source": throughput is its bytes /
wall seconds, MB = 10^6 bytes), trousseau its own vault and catalog. Each system, in turns
({repeats} run(s) each, the fastest of each step shown; the ranges are in the notes): a
fresh repository initialised (not timed), the source read once into the page cache (no
system pays the disk's first read; nothing is dropped), a first backup into the empty
repository, a second one with nothing changed, and a restore of the latest snapshot into
an empty folder, timed until the command exits plus the flush of the file system
(`syncfs`: what it wrote is on disk, as a restore drill needs). Every restored file is then
hashed: each vault blob must be back byte for byte (its content hashes to its name), and
the catalog (the dump; for trousseau a SQLite catalog with the source's rows). The
repository size is the sum of its files' sizes after the second run. CPU is user + system
time of the command and its children (wait4), peak RSS the largest process's, other load
the CPU the rest of the machine used meanwhile, in cores (backup / restore).
restic runs with its defaults (repository format 2: compression auto (zstd), content-defined
chunks of 512 KiB-8 MiB, AES-256-CTR + Poly1305-AES) and a fresh cache; borg with
`--encryption=repokey-blake2` (AES-256-CTR + BLAKE2b) and `--compression zstd,3`, chunks of
512 KiB-8 MiB (buzhash), a fresh `BORG_BASE_DIR`; trousseau with its defaults. Passphrases
go through `RESTIC_PASSWORD`, `BORG_PASSPHRASE` and `TROUSSEAU_BACKUP__PASSPHRASE`; each
command derives its key from the passphrase (restic's scrypt, borg's PBKDF2, trousseau's
scrypt), which is part of every time, the no-change runs' included. The lag: after the
rounds the disk is flushed, the lag photos are ingested once with no backup following (the
ingest alone), then into a fresh data directory while `backup run --follow` runs; for each
photo, the time from its catalog record to the first snapshot holding its blob (that
snapshot file's modification time on the target). trousseau's ingest waits between files
while the follower is more than `backup.ingest_waits_above` (0.5 s) behind: that wait is
the price of the lag and is reported with it. The machine is shared and noisy: compare the
ratios of one run, not absolute figures across runs.
"""


def markdown(
    results: Sequence[Result],
    lag: Lag,
    source: Source,
    described: str,
    date: str,
    command: str,
    machine_text: str,
    repeats: int,
) -> str:
    lines = [
        START_MARK,
        f"_Generated by `python -m bench.backup` on {date}; rerun it (or `make bench`) to "
        "refresh._",
        "",
        f"- Command: `{command}`",
        f"- Machine: {machine_text}",
        f"- Data: {described}; in the vault {len(source.blobs)} blobs and the catalog "
        f"({source.photos} photos; dump {source.dump_bytes / 1e6:.2f} MB): "
        f"{source.bytes / 1e9:.2f} GB of source",
        "- Systems: "
        + "; ".join(f"{r.system}: {r.version or '?'} ({r.settings})" for r in results),
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    lines += [
        "| " + " | ".join(c.replace("|", "/") for c in cells) + " |"
        for cells in rows(results, source)
    ]
    lines += ["", "Floors from the issue (ratios to restic in the same run):", ""]
    lines += [f"- {verdict}: {text}" for verdict, text in floors(results, lag)]
    notes = [f"{r.system}: {n}" for r in results for n in r.notes] + lag.notes
    if notes:
        lines += ["", "Notes:", ""] + [f"- {n}" for n in notes]
    problems = [f"{r.system}: {p}" for r in results for p in r.problems if r.unavailable is None]
    problems += [f"lag: {p}" for p in lag.problems]
    if problems:
        lines += ["", "Problems:", ""] + [f"- {p}" for p in problems]
    lines += ["", HOW.format(seed=SEED, repeats=repeats).rstrip(), END_MARK]
    return "\n".join(lines)


def print_report(results: Sequence[Result], lag: Lag, source: Source, described: str) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(200, Console().width))
    console.print(f"Data: {described}; source {source.bytes / 1e9:.2f} GB")
    grid = Table(title="Backup: trousseau, restic and borg on the same vault")
    for column in COLUMNS:
        grid.add_column(column)
    for cells in rows(results, source, short=True):
        grid.add_row(*cells)
    console.print(grid)
    colour = {"PASS": "green", "MISS": "red"}
    for verdict, text in floors(results, lag):
        console.print(f"[{colour.get(verdict, 'yellow')}]{verdict}[/] {text}")
    for r in results:
        if r.unavailable:
            console.print(f"[yellow]NOT AVAILABLE[/] {r.system}: {r.unavailable}")
        elif r.check:
            console.print(f"restore check, {r.system}: {r.check}")
        for note in r.notes:
            console.print(f"[dim]NOTE[/] {r.system}: {note}")
        if r.unavailable is None:
            for problem in r.problems:
                console.print(f"[red]PROBLEM[/] {r.system}: {problem}")
    for note in lag.notes:
        console.print(f"[dim]NOTE[/] {note}")
    for problem in lag.problems:
        console.print(f"[red]PROBLEM[/] lag: {problem}")


# ---------------------------------------------------------------------------------------------
# Main


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--gigabytes", type=float, default=2.0, help="size of the data set in GB (2)"
    )
    parser.add_argument("--quick", action="store_true", help="a 0.2 GB data set: a smoke run")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=default_data_dir(),
        help=f"where the data set is cached and runs happen ({default_data_dir()})",
    )
    parser.add_argument(
        "--systems",
        default=",".join(SYSTEMS),
        help=f"comma-separated, in this order ({','.join(SYSTEMS)})",
    )
    parser.add_argument(
        "--repeats", type=int, help="runs of each system, in turns; the best shown (3; 1 quick)"
    )
    parser.add_argument("--lag-photos", type=int, default=500, help="photos of the lag ingest")
    parser.add_argument("--no-lag", action="store_true", help="skip the lag measurement")
    parser.add_argument("--generate-only", action="store_true", help="prepare the data, stop")
    parser.add_argument("--keep", action="store_true", help="keep the run's folder")
    parser.add_argument(
        "--generate-processes",
        type=int,
        default=os.cpu_count() or 1,
        help="processes generating missing files (one per core)",
    )
    parser.add_argument("--date", help="date written in the docs (default: today)")
    parser.add_argument("--docs", type=Path, default=DOCS, help="Markdown file to update")
    parser.add_argument("--no-docs", action="store_true", help="print only; leave the docs alone")
    args = parser.parse_args(argv)
    if args.quick:
        args.gigabytes = 0.2
        args.lag_photos = min(args.lag_photos, 50)
    if args.repeats is None:
        args.repeats = 1 if args.quick else 3
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    if args.gigabytes <= 0:
        parser.error("--gigabytes must be positive")
    args.system_list = [s.strip() for s in args.systems.split(",") if s.strip()]
    unknown = set(args.system_list) - set(SYSTEMS)
    if unknown:
        parser.error(f"unknown systems {sorted(unknown)}: choose among {', '.join(SYSTEMS)}")
    args.data_dir = args.data_dir.resolve()
    return args


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    exit_on_sigterm()
    plan = Plan.of(args.gigabytes)
    folder, paths = generate(args.data_dir, plan, args.generate_processes)
    described = describe_set(paths)
    say(f"data set: {described}")
    if args.generate_only:
        return 0
    workdir = Path(tempfile.mkdtemp(prefix="run-", dir=args.data_dir))
    try:
        source = ingest(folder, workdir, _environment())
        say(
            f"ingested {source.photos} photos in {source.ingest.seconds:.1f} s; source "
            f"{source.bytes / 1e9:.2f} GB in {source.files} files"
        )
        makers = {RESTIC: restic_plan, BORG: borg_plan, TROUSSEAU: trousseau_plan}
        runs: dict[str, list[Result]] = {name: [] for name in args.system_list}
        for rnd in range(args.repeats):
            k = rnd % len(args.system_list)  # the order turns each round
            for name in args.system_list[k:] + args.system_list[:k]:
                commands, result = makers[name](workdir, source)
                if commands is not None:
                    say(f"round {rnd + 1}/{args.repeats}: {name}")
                    try:
                        measure(commands, result, source, workdir)
                    except Exception as error:  # one system failing must not lose the others
                        result.problems.append(f"{type(error).__name__}: {error}")
                elif rnd == 0:
                    say(f"{name}: not available: {result.unavailable}")
                runs[name].append(result)
        results = [best_of(runs[name]) for name in args.system_list]
        lag = (
            Lag(unavailable="skipped (--no-lag)")
            if args.no_lag or TROUSSEAU not in args.system_list
            else measure_lag(args, workdir)
        )
    finally:
        if args.keep:
            say(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print_report(results, lag, source, described)
    if not args.no_docs:
        date = args.date or dt.date.today().isoformat()
        command = recipe("bench.backup", argv, local=("--docs", "--date", "--data-dir"))
        section = markdown(
            results, lag, source, described, date, command, machine(args.data_dir), args.repeats
        )
        write_section(args.docs, section, start=START_MARK, end=END_MARK, heading=SECTION_HEADING)
        say(f"updated {args.docs}")
    failed = any(r.problems for r in results if r.unavailable is None) or bool(lag.problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

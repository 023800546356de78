"""A wedding day's photos for the culling benchmark: moments, pauses, bursts, with their truth.

bench.endtoend's textured 24 MP photos are independent scenes a fixed interval apart: one
moment and no burst, so grouping is never exercised. `wedding_day` lays them on a day as a
photographer shoots it (seeded):

- five moments (getting ready, ceremony, portraits, reception, party), an hour or more apart,
  shots within a moment 10-60 s apart;
- bursts of 3-5 near-identical frames a second apart: the burst's first photo, then frames
  made from it by shifting it a few pixels and changing its exposure slightly, re-encoded at
  quality 95 4:4:4 (what a camera's burst gives);
- quick pairs: two different scenes 1-2 s apart, which must not make a burst.

Each photo keeps its pixels and EXIF; its capture time (DateTime, DateTimeOriginal,
DateTimeDigitized, all 19 bytes) is rewritten in place. The photos and `truth.json` (the
bursts and the moments, as lists of file names) are cached under .bench/.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import random
import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from bench.harness import REPO, say

CACHE = REPO / ".bench"
SEED = 618
MOMENTS = (
    ("getting ready", dt.time(10, 0), 0.15),
    ("ceremony", dt.time(14, 0), 0.20),
    ("portraits", dt.time(16, 0), 0.20),
    ("reception", dt.time(18, 30), 0.30),
    ("party", dt.time(21, 30), 0.15),
)
"""Name, start and share of the day's photos (at 35 s a shot, for up to about 500 photos each
ends an hour or more before the next begins; `_plan` refuses a count that does not fit)."""
SPACING = (10, 60)
"""Seconds between two shots of a moment (under the 5-minute pause that may cut a moment)."""
BURST_CHANCE = 0.08
BURST_FRAMES = (3, 5)
QUICK_PAIR_CHANCE = 0.05
_STAMP = re.compile(rb"\d{4}:\d\d:\d\d \d\d:\d\d:\d\d")


@dataclass(frozen=True)
class Day:
    """The day's photos in capture order and what grouping should find."""

    paths: list[Path]
    bursts: list[list[str]]
    """Bursts of two or more frames, by file name."""
    moments: list[list[str]]


@dataclass(frozen=True)
class _Shot:
    source: Path
    name: str
    taken: dt.datetime
    shift: tuple[int, int] | None = None
    gain: float = 1.0


def wedding_day(base: list[Path], on: dt.date, processes: int = 2) -> Day:
    """`len(base)` photos of one day made from `base` (cached by count and seed)."""
    folder = CACHE / f"culling-day-{len(base)}-s{SEED}"
    index = folder / "truth.json"
    sources = [p.stat().st_size for p in base]  # the base photos this day was made of
    if index.is_file():
        truth = json.loads(index.read_text())
        if truth.get("sources") == sources:
            return Day([folder / n for n in truth["names"]], truth["bursts"], truth["moments"])
        say(f"{folder} was made of other photos: laying the day again")
    shots, bursts, moments = _plan(base, on)
    folder.mkdir(parents=True, exist_ok=True)
    say(f"laying {len(shots)} photos on a wedding day into {folder} ...")
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(processes, mp_context=context) as pool:
        list(pool.map(_write, shots, [folder] * len(shots), chunksize=8))
    names = [s.name for s in shots]
    truth = {"names": names, "bursts": bursts, "moments": moments, "sources": sources}
    index.write_text(json.dumps(truth))
    return Day([folder / n for n in names], bursts, moments)


def _plan(base: list[Path], on: dt.date) -> tuple[list[_Shot], list[list[str]], list[list[str]]]:
    rng = random.Random(SEED)
    shots: list[_Shot] = []
    bursts: list[list[str]] = []
    moments: list[list[str]] = []
    ends: list[dt.datetime] = []
    scenes = iter(base)
    total = len(base)
    sizes = [round(share * total) for _, _, share in MOMENTS]
    sizes[-1] = total - sum(sizes[:-1])
    for (_, start, _), size in zip(MOMENTS, sizes, strict=True):
        taken = dt.datetime.combine(on, start)
        moment: list[str] = []
        while len(moment) < size:
            source = next(scenes)
            name = f"IMG_{len(shots) + 1:04d}.jpg"
            shots.append(_Shot(source, name, taken))
            moment.append(name)
            left = size - len(moment)
            if left >= BURST_FRAMES[0] - 1 and rng.random() < BURST_CHANCE:
                frames = min(rng.randint(*BURST_FRAMES) - 1, left)
                burst = [name]
                for _ in range(frames):
                    next(scenes)  # a scene the burst's frames take the place of
                    taken += dt.timedelta(seconds=1)
                    frame = f"IMG_{len(shots) + 1:04d}.jpg"
                    shift = (rng.randint(2, 8), rng.randint(2, 8))
                    shots.append(_Shot(source, frame, taken, shift, rng.uniform(0.97, 1.03)))
                    moment.append(frame)
                    burst.append(frame)
                bursts.append(burst)
            if rng.random() < QUICK_PAIR_CHANCE:
                taken += dt.timedelta(seconds=rng.randint(1, 2))
            else:
                taken += dt.timedelta(seconds=rng.randint(*SPACING))
        moments.append(moment)
        ends.append(taken)
    starts = [dt.datetime.combine(on, start) for _, start, _ in MOMENTS]
    for end, following in zip(ends, starts[1:], strict=False):
        if following - end < dt.timedelta(minutes=30):  # the truth would be wrong
            raise ValueError(
                f"{total} photos do not fit the day: a moment ends at {end:%H:%M}, the next "
                f"begins at {following:%H:%M}; use fewer photos"
            )
    return shots, bursts, moments


def _write(shot: _Shot, folder: Path) -> None:
    """The shot's file: its source's bytes, or a burst frame made from them, with its
    capture time written over the source's."""
    data = shot.source.read_bytes()
    if shot.shift is not None:
        import pyvips

        image = pyvips.Image.new_from_buffer(data, "")
        dx, dy = shot.shift
        moved = image.crop(dx, dy, image.width - dx, image.height - dy).embed(
            0, 0, image.width, image.height, extend="copy"
        )
        data = (moved * shot.gain).cast("uchar").jpegsave_buffer(Q=95, subsample_mode="off")
    start, end = _exif_segment(data)
    stamp = shot.taken.strftime("%Y:%m:%d %H:%M:%S").encode()
    exif, found = _STAMP.subn(stamp, data[start:end])
    if not found:
        raise RuntimeError(f"{shot.source} carries no EXIF capture time to rewrite")
    path = folder / shot.name
    partial = path.with_name(f".{path.name}.part")
    partial.write_bytes(data[:start] + exif + data[end:])
    partial.replace(path)


def _exif_segment(data: bytes) -> tuple[int, int]:
    """Where the JPEG's EXIF (its APP1 segment starting "Exif") lies in `data`."""
    at = 2
    while at + 4 <= len(data) and data[at] == 0xFF:
        marker, length = data[at + 1], int.from_bytes(data[at + 2 : at + 4], "big")
        if marker == 0xDA:  # start of scan: no EXIF before the pixels
            break
        if marker == 0xE1 and data[at + 4 : at + 10] == b"Exif\0\0":
            return at + 4, at + 2 + length
        at += 2 + length
    raise RuntimeError("no EXIF segment before the scan")

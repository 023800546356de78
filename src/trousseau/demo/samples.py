"""Synthetic wedding photos for `make demo`: camera-sized JPEGs that behave like real ones.

A demo that ingests 100 flat-grey files proves nothing about throughput, so each photo is
a full-size 3:2 frame (24 MP is 6000x4000) whose content costs what a real photo costs to
store and decode: a sky and ground lit by a palette, soft bokeh, a couple and a few guests,
a vignette, fine texture and sensor noise, saved as a quality-90 JPEG of several megabytes.
The EXIF carries what the pipeline reads (Make, Model, DateTimeOriginal, Artist, Copyright,
Orientation 1) and, on every third photo, a GPS position for the metadata policy to strip.

`fine=True` makes what a camera's fine JPEG setting writes instead: the same scene under a
fractal texture (Perlin octaves from 128 px down to 2 px, the 1/f detail of fabric, foliage
and skin) and luminance plus chroma sensor noise, saved at quality 95 without chroma
subsampling (4:4:4): about 7.5 MB at 24 MP (the default: 6.4 MB at quality 90, 4:2:0). Real
wedding photos look like these to a decoder: every 8x8 block is busy and the chroma is full.

Speed: the scene is composed at 1/8 scale, where it is cheap, then enlarged; texture and
noise come from one small tile repeated across the frame (JPEG codes each 8x8 block on its
own, so repetition does not shrink the file). Everything random comes from a
`random.Random` seeded by (seed, index) and from libvips' seeded noise, so the same seed and
index always give the same bytes.
"""

from __future__ import annotations

import functools
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pyvips

SHOT_INTERVAL = timedelta(seconds=37)
GPS_EVERY = 3
QUALITY = 90
FINE_QUALITY = 95

_SCALE = 8
_TILE = 1024
_CAMERAS = (
    ("Canon", "Canon EOS R5"),
    ("Canon", "Canon EOS R6m2"),
    ("NIKON CORPORATION", "NIKON Z 6_2"),
    ("SONY", "ILCE-7M4"),
    ("FUJIFILM", "X-H2"),
)
_STUDIOS = (
    "Maison Lumiere Photography",
    "Orange Blossom Studio",
    "Two Rings Photo Co.",
    "Golden Hour Weddings",
)
_VENUES = (  # (latitude, longitude) of plausible wedding venues
    (43.7230, 10.3966),
    (48.8049, 2.1204),
    (51.4816, -0.6066),
    (38.7223, -9.1393),
    (41.3851, 2.1734),
    (37.3891, -5.9845),
)
_PALETTES = (  # sky top, sky at horizon, ground far, ground near, light
    ((70, 110, 175), (235, 200, 160), (95, 110, 70), (50, 60, 35), (255, 225, 170)),
    ((120, 150, 190), (225, 225, 225), (110, 120, 90), (70, 75, 55), (255, 250, 240)),
    ((40, 30, 45), (120, 70, 50), (60, 45, 35), (30, 22, 18), (255, 190, 110)),
    ((150, 170, 200), (250, 215, 185), (160, 140, 120), (90, 80, 70), (255, 240, 220)),
)
Colour = tuple[float, ...]

_DRESS = (238, 234, 226)
_SUIT = (32, 34, 45)
_SKIN = ((224, 180, 150), (190, 140, 105), (140, 95, 70), (235, 200, 175))


@dataclass(frozen=True, slots=True)
class _Shot:
    """Everything one photo's pixels and EXIF are made from."""

    width: int
    height: int
    make: str
    model: str
    artist: str
    taken: datetime
    gps: tuple[float, float] | None
    exposure: str
    f_number: str
    iso: int
    focal_length: str


def photo_size(megapixels: float) -> tuple[int, int]:
    """Width and height of a 3:2 landscape frame of about `megapixels` (24 -> 6000x4000)."""
    if megapixels <= 0:
        raise ValueError(f"megapixels must be > 0, not {megapixels}")
    unit = max(1, round(math.sqrt(megapixels * 1_000_000 / 6)))
    return 3 * unit, 2 * unit


def shot_time(when: datetime, index: int) -> datetime:
    """The capture time of photo `index` of a wedding whose coverage starts at `when`."""
    return when + index * SHOT_INTERVAL


def generate_photo(
    index: int, *, seed: int, megapixels: float = 24.0, when: datetime, fine: bool = False
) -> bytes:
    """One JPEG photo, identical for the same (index, seed, megapixels, when, fine).

    Its DateTimeOriginal is `shot_time(when, index)`; photos 1, 1 + GPS_EVERY, 1 + 2 *
    GPS_EVERY... carry a GPS position near the wedding's venue. `fine` gives a textured,
    noisy quality-95 4:4:4 JPEG, like a camera's fine setting (see the module's notes).
    """
    shot = _shot(index, seed=seed, megapixels=megapixels, when=when)
    rng = _rng(seed, index, "pixels")
    image = _pixels(shot, seed, rng, _fine_tile if fine else _grain_tile)
    if fine:
        data: bytes = _with_exif(image, shot).jpegsave_buffer(Q=FINE_QUALITY, subsample_mode="off")
    else:
        data = _with_exif(image, shot).jpegsave_buffer(Q=QUALITY, subsample_mode="on")
    return data


def generate_wedding(
    directory: Path,
    count: int,
    *,
    seed: int,
    megapixels: float = 24.0,
    start: datetime,
    progress: Callable[[int], None] | None = None,
) -> list[Path]:
    """Write IMG_0001.jpg .. IMG_{count}.jpg into `directory`; report each one done.

    Each file appears whole (written aside, then renamed), so a folder watcher never
    ingests half a photo.
    """
    directory.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for index in range(1, count + 1):
        path = directory / f"IMG_{index:04d}.jpg"
        partial = path.with_name(f".{path.name}.part")
        partial.write_bytes(generate_photo(index, seed=seed, megapixels=megapixels, when=start))
        partial.replace(path)
        paths.append(path)
        if progress is not None:
            progress(index)
    return paths


def _rng(seed: int, index: int, purpose: str) -> random.Random:
    """A private generator per (seed, index, purpose); str seeds are hashed stably."""
    return random.Random(f"trousseau-demo:{seed}:{index}:{purpose}")


def _shot(index: int, *, seed: int, megapixels: float, when: datetime) -> _Shot:
    """The camera, studio, venue and exposure of one photo: the wedding's, then the shot's."""
    wedding = _rng(seed, 0, "wedding")
    bodies = wedding.sample(_CAMERAS, 2)
    studio = wedding.choice(_STUDIOS)
    venue = wedding.choice(_VENUES)
    rng = _rng(seed, index, "exif")
    make, model = bodies[0] if rng.random() < 0.7 else bodies[1]
    gps = None
    if (index - 1) % GPS_EVERY == 0:
        gps = (venue[0] + rng.uniform(-4e-4, 4e-4), venue[1] + rng.uniform(-4e-4, 4e-4))
    width, height = photo_size(megapixels)
    return _Shot(
        width=width,
        height=height,
        make=make,
        model=model,
        artist=studio,
        taken=shot_time(when, index),
        gps=gps,
        exposure=rng.choice(("1/125", "1/160", "1/250", "1/320", "1/500", "1/60")),
        f_number=rng.choice(("12/10", "18/10", "28/10", "40/10", "56/10")),
        iso=rng.choice((100, 200, 400, 800, 1600, 3200)),
        focal_length=rng.choice(("35/1", "50/1", "85/1", "70/1", "135/1", "24/1")),
    )


def _pixels(
    shot: _Shot, seed: int, rng: random.Random, tile: Callable[[int], pyvips.Image]
) -> pyvips.Image:
    """The full-size frame: the small scene enlarged, plus repeated texture and noise."""
    small_w = math.ceil(shot.width / _SCALE) + 1
    small_h = math.ceil(shot.height / _SCALE) + 1
    scene = _scene(small_w, small_h, rng).cast("uchar").copy_memory()
    base = scene.resize(_SCALE, kernel="linear").crop(0, 0, shot.width, shot.height)
    grain = tile(seed)
    across = math.ceil(shot.width / _TILE) + 1
    down = math.ceil(shot.height / _TILE) + 1
    left, top = rng.randrange(_TILE), rng.randrange(_TILE)
    grain = grain.replicate(across, down).crop(left, top, shot.width, shot.height)
    return (base + grain).cast("uchar")


@functools.lru_cache(maxsize=4)
def _grain_tile(seed: int) -> pyvips.Image:
    """A wedding's tile of fine texture (seamless Perlin) plus luminance noise, signed bytes.

    One tile per wedding, shifted per photo: making it costs a tenth of a photo.
    """
    rng = _rng(seed, 0, "grain")
    texture = pyvips.Image.perlin(_TILE, _TILE, cell_size=16, seed=rng.randrange(1 << 30))
    noise = pyvips.Image.gaussnoise(
        _TILE, _TILE, sigma=rng.uniform(4.0, 6.5), mean=0.0, seed=rng.randrange(1 << 30)
    )
    return (texture * rng.uniform(6.0, 12.0) + noise).cast("char").copy_memory()


@functools.lru_cache(maxsize=4)
def _fine_tile(seed: int) -> pyvips.Image:
    """A wedding's tile for fine JPEGs: fractal texture, luminance and chroma noise (3 bands).

    Octaves of Perlin noise from 128 px cells down to 2 px, each weaker than the coarser one,
    give the busy, scale-free detail of real scenes; the noise is a sensor's at a middling ISO
    (luminance sigma ~2.5, an independent sigma ~1.2 per channel for the chroma noise).
    """
    rng = _rng(seed, 0, "fine")
    texture = sum(
        pyvips.Image.perlin(_TILE, _TILE, cell_size=cell, seed=rng.randrange(1 << 30)) * weight
        for cell, weight in ((128, 1.0), (32, 0.7), (8, 0.5), (2, 0.3))
    )
    amplitude = rng.uniform(12.0, 17.0)
    luminance = pyvips.Image.gaussnoise(
        _TILE, _TILE, sigma=rng.uniform(2.2, 2.8), mean=0.0, seed=rng.randrange(1 << 30)
    )
    chroma = [
        pyvips.Image.gaussnoise(_TILE, _TILE, sigma=1.2, mean=0.0, seed=rng.randrange(1 << 30))
        for _ in range(3)
    ]
    grey = texture * amplitude + luminance
    return (chroma[0].bandjoin(chroma[1:]) + grey).cast("char").copy_memory()


def _scene(width: int, height: int, rng: random.Random) -> pyvips.Image:
    """Sky, ground, bokeh, people and vignette at low resolution, as a float RGB image."""
    sky_top, sky_low, ground_far, ground_near, light = rng.choice(_PALETTES)
    xyz = pyvips.Image.xyz(width, height)
    x = xyz[0] / width
    y = xyz[1] / height
    horizon = rng.uniform(0.45, 0.7)
    sky = _gradient(sky_top, sky_low, (y / horizon).clamp(min=0, max=1))
    ground = _gradient(ground_far, ground_near, ((y - horizon) / (1 - horizon)).clamp(min=0, max=1))
    clouds = pyvips.Image.perlin(
        width, height, cell_size=rng.choice((48, 64, 96)), seed=rng.randrange(1 << 30)
    )
    sky = sky + clouds * rng.uniform(15, 40)
    meadow = pyvips.Image.perlin(width, height, cell_size=8, seed=rng.randrange(1 << 30))
    ground = ground * (1 + meadow * 0.25)
    scene = _blend(sky, ground, ((y - horizon) * 40 + 0.5).clamp(min=0, max=1))
    falloff = ((x - 0.5) * (x - 0.5) + (y - 0.5) * (y - 0.5)) * rng.uniform(0.6, 1.2)
    scene = (scene * (1 - falloff)).copy_memory()
    for _ in range(rng.randint(6, 16)):
        radius = rng.uniform(0.01, 0.05)
        colour = _lerp(light, (255, 255, 255), rng.random())
        centre = (rng.random(), rng.uniform(0, horizon))
        scene = _stamp(scene, colour, centre, (radius, radius * 1.5), rng.uniform(0.2, 0.6))
    for _ in range(rng.randint(0, 5)):
        scene = _person(scene, rng, rng.random(), horizon + 0.05, 0.5, _muted(rng))
    middle = rng.uniform(0.3, 0.6)
    scene = _person(scene, rng, middle, horizon + 0.25, 1.0, _DRESS)
    return _person(scene, rng, middle + 0.09, horizon + 0.22, 1.05, _SUIT)


def _person(
    scene: pyvips.Image,
    rng: random.Random,
    cx: float,
    feet: float,
    size: float,
    clothes: Colour,
) -> pyvips.Image:
    """A soft standing figure: a body ellipse and a head, feet at `feet` (frame heights)."""
    body_h = 0.32 * size
    scene = _stamp(scene, clothes, (cx, feet - body_h / 2), (0.045 * size, body_h / 2), 1.0)
    head = (cx, feet - body_h - 0.03 * size)
    return _stamp(scene, rng.choice(_SKIN), head, (0.022 * size, 0.032 * size), 1.0)


def _stamp(
    scene: pyvips.Image,
    colour: Colour,
    centre: tuple[float, float],
    radii: tuple[float, float],
    opacity: float,
) -> pyvips.Image:
    """`scene` with a soft-edged ellipse of `colour` laid on it, computed in its bounding box.

    Centre and radii are fractions of the frame's width and height.
    """
    cx, cy = centre[0] * scene.width, centre[1] * scene.height
    rx, ry = radii[0] * scene.width, radii[1] * scene.height
    left, top = max(0, math.floor(cx - rx)), max(0, math.floor(cy - ry))
    right = min(scene.width, math.ceil(cx + rx) + 1)
    bottom = min(scene.height, math.ceil(cy + ry) + 1)
    if right <= left or bottom <= top:
        return scene
    xyz = pyvips.Image.xyz(right - left, bottom - top)
    dx = (xyz[0] + (left - cx)) / rx
    dy = (xyz[1] + (top - cy)) / ry
    distance = dx * dx + dy * dy
    mask = ((1 - distance) * 4).clamp(min=0, max=1) * opacity
    region = scene.crop(left, top, right - left, bottom - top)
    return scene.insert(_blend(region, colour, mask), left, top)


def _lerp(a: Colour, b: Colour, t: float) -> Colour:
    """The colour a fraction `t` of the way from `a` to `b`."""
    return tuple(ai + (bi - ai) * t for ai, bi in zip(a, b, strict=True))


def _gradient(a: Colour, b: Colour, t: pyvips.Image) -> pyvips.Image:
    """Per pixel, the colour a fraction `t` (an image in 0..1) of the way from `a` to `b`."""
    return t * [bi - ai for ai, bi in zip(a, b, strict=True)] + list(a)


def _blend(under: pyvips.Image, over: pyvips.Image | Colour, alpha: pyvips.Image) -> pyvips.Image:
    """`over` (an image or a colour) laid on `under` with per-pixel opacity `alpha`."""
    return under + (under * -1 + (over if isinstance(over, pyvips.Image) else list(over))) * alpha


def _muted(rng: random.Random) -> Colour:
    """A guest's outfit: a muted colour."""
    return (rng.randint(40, 150), rng.randint(40, 150), rng.randint(40, 150))


def _with_exif(image: pyvips.Image, shot: _Shot) -> pyvips.Image:
    """`image` with the EXIF fields libvips writes into the JPEG's APP1 segment."""
    stamp = shot.taken.strftime("%Y:%m:%d %H:%M:%S")
    fields = {
        "exif-ifd0-Make": shot.make,
        "exif-ifd0-Model": shot.model,
        "exif-ifd0-Artist": shot.artist,
        "exif-ifd0-Copyright": f"Copyright {shot.taken.year} {shot.artist}",
        "exif-ifd0-DateTime": stamp,
        "exif-ifd2-DateTimeOriginal": stamp,
        "exif-ifd2-DateTimeDigitized": stamp,
        "exif-ifd2-ExposureTime": shot.exposure,
        "exif-ifd2-FNumber": shot.f_number,
        "exif-ifd2-ISOSpeedRatings": str(shot.iso),
        "exif-ifd2-FocalLength": shot.focal_length,
        "exif-ifd2-ColorSpace": "1",
    }
    if shot.gps is not None:
        latitude, longitude = shot.gps
        fields |= {
            "exif-ifd3-GPSLatitudeRef": "N" if latitude >= 0 else "S",
            "exif-ifd3-GPSLatitude": _dms(latitude),
            "exif-ifd3-GPSLongitudeRef": "E" if longitude >= 0 else "W",
            "exif-ifd3-GPSLongitude": _dms(longitude),
        }
    image = image.copy(xres=300 / 25.4, yres=300 / 25.4)
    for name, value in fields.items():
        image.set_type(pyvips.GValue.gstr_type, name, value)
    image.set_type(pyvips.GValue.gint_type, "orientation", 1)
    return image


def _dms(degrees: float) -> str:
    """An EXIF GPS coordinate as three rationals: degrees, minutes, hundredths of seconds."""
    value = abs(degrees)
    whole = int(value)
    minutes = int((value - whole) * 60)
    centiseconds = round(((value - whole) * 60 - minutes) * 6000)
    return f"{whole}/1 {minutes}/1 {centiseconds}/100"

"""What the catalog records about a photo, read from its header without decoding pixels.

`probe` opens a file lazily with libvips and reads dimensions, orientation and EXIF fields
only, so it costs milliseconds even for a 50-megapixel original. Its failure is not fatal to
ingest: the original is kept and the preview job reports the damage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pyvips

from trousseau.imaging.failure import vips_failures

_EXIF_VALUE = re.compile(r"^(?P<value>.*) \((?P=value), [^,]+, \d+ components, \d+ bytes\)$", re.S)
_EXIF_DATETIME = re.compile(r"^(\d{4})[:-](\d{2})[:-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_XMP_DATETIME = re.compile(
    r"(?:exif:DateTimeOriginal|photoshop:DateCreated)(?:=\"|>)\s*([0-9T:+.\-Z ]+)"
)
_SWAPPED_ORIENTATIONS = frozenset({5, 6, 7, 8})


@dataclass(frozen=True, slots=True)
class PhotoInfo:
    """A photo's upright size, capture time, camera and EXIF orientation.

    `width` and `height` are as the photo is viewed, after its EXIF orientation is applied
    (a portrait shot stored sideways with orientation 6 reports height > width).
    `captured_at` is the camera's wall-clock time, naive: EXIF DateTimeOriginal carries no
    zone, and the wedding's zone, not the server's, is what gives it one.
    """

    width: int
    height: int
    captured_at: datetime | None
    camera: str | None
    orientation: int | None


def probe(path: Path) -> PhotoInfo:
    """Read a photo's header; raise CorruptImage or ImagingError naming the file if libvips can't.

    For TIFF containers with SubIFDs (DNG, NEF, ARW), IFD0 holds a small preview; the size
    reported is that of the largest SubIFD libvips can read a header from.
    """
    with vips_failures(path.name, location=str(path)):
        image = pyvips.Image.new_from_file(str(path), revalidate=True)
        fields = set(image.get_fields())
        width, height = image.width, image.height
        if "n-subifds" in fields:
            width, height = _largest_subifd(path, image.get("n-subifds"), (width, height))
        orientation = image.get("orientation") if "orientation" in fields else None
        captured_at = _captured_at(image, fields)
        camera = camera_name(_exif(image, fields, "ifd0-Make"), _exif(image, fields, "ifd0-Model"))
    if orientation in _SWAPPED_ORIENTATIONS:
        width, height = height, width
    return PhotoInfo(width, height, captured_at, camera, orientation)


def camera_name(make: str | None, model: str | None) -> str | None:
    """ "Make Model", without repeating a make the model already starts with."""
    make, model = (make or "").strip(), (model or "").strip()
    if make and model and model.upper().startswith(make.split()[0].upper()):
        return model
    return " ".join(part for part in (make, model) if part) or None


def parse_exif_datetime(text: str, subseconds: str | None = None) -> datetime | None:
    """A naive datetime from EXIF "YYYY:MM:DD HH:MM:SS" (and SubSec digits), None if invalid."""
    match = _EXIF_DATETIME.match(text.strip())
    if match is None:
        return None
    digits = (subseconds or "").strip()
    microsecond = int(digits[:6].ljust(6, "0")) if digits.isdigit() else 0
    try:
        year, month, day, hour, minute, second = (int(group) for group in match.groups())
        return datetime(year, month, day, hour, minute, second, microsecond)
    except ValueError:
        return None


def exif_text(raw: str) -> str:
    """The value part of a libvips EXIF string field ("Canon (Canon, ASCII, 6 ...)")."""
    match = _EXIF_VALUE.match(raw)
    value = match.group("value") if match else raw.split(" (", 1)[0]
    return value.strip().strip("\x00").strip()


def _exif(image: pyvips.Image, fields: set[str], name: str) -> str | None:
    field = f"exif-{name}"
    if field not in fields:
        return None
    return exif_text(image.get(field)) or None


def _captured_at(image: pyvips.Image, fields: set[str]) -> datetime | None:
    """EXIF DateTimeOriginal, else DateTimeDigitized, else the XMP creation date."""
    for tag, subsec in (
        ("ifd2-DateTimeOriginal", "ifd2-SubSecTimeOriginal"),
        ("ifd2-DateTimeDigitized", "ifd2-SubSecTimeDigitized"),
    ):
        text = _exif(image, fields, tag)
        if text is not None:
            parsed = parse_exif_datetime(text, _exif(image, fields, subsec))
            if parsed is not None:
                return parsed
    if "xmp-data" in fields:
        match = _XMP_DATETIME.search(image.get("xmp-data").decode("utf-8", "replace"))
        if match is not None:
            try:
                return datetime.fromisoformat(match.group(1).strip()).replace(tzinfo=None)
            except ValueError:
                return None
    return None


def _largest_subifd(path: Path, count: int, fallback: tuple[int, int]) -> tuple[int, int]:
    """Width and height of the largest SubIFD whose header libvips reads, else `fallback`."""
    best = fallback
    for index in range(count):
        try:
            sub = pyvips.Image.tiffload(str(path), subifd=index, revalidate=True)
        except pyvips.Error:
            continue
        if sub.width * sub.height > best[0] * best[1]:
            best = (sub.width, sub.height)
    pyvips.vips_lib.vips_error_clear()
    return best

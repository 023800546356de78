"""What the catalog records about a photo, read from its header without decoding pixels.

`probe` opens a file lazily with libvips and reads dimensions, orientation and EXIF fields
only, so it costs milliseconds even for a 50-megapixel original. Its failure is not fatal to
ingest: the original is kept and the preview job reports the damage.

Metadata is what a camera, an editing tool or a hostile client wrote, so none of it is
trusted: a field that cannot be read (odd digits, broken text, a header that declares
thousands of sub-images) becomes "unknown" with a warning naming the file, and the work any
header can cause is bounded. Only an unreadable image header is an error.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import pyvips

from trousseau.errors import ImagingError
from trousseau.imaging.failure import vips_failures

_T = TypeVar("_T")

MAX_SUBIFDS = 8
"""SubIFDs probed for the largest image. DNG, NEF and ARW hold one to three; each probe
re-opens the file, so a header declaring 40,000 (a 160 KB file) would cost 20 s of CPU."""

_EXIF_VALUE = re.compile(
    r"^(?P<value>.*) \((?P=value), [^,]+, \d+ components, \d+ bytes\)$", re.S | re.ASCII
)
_EXIF_DATETIME = re.compile(r"^(\d{4})[:-](\d{2})[:-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})", re.ASCII)
_DIGITS = re.compile(r"[0-9]+")
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f\ufffd]")
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
    warnings: tuple[str, ...] = ()
    """The fields that could not be read, each naming the file and why: recorded as unknown."""


def probe(path: Path) -> PhotoInfo:
    """Read a photo's header; raise CorruptImage or ImagingError naming the file if libvips can't.

    Only the image header is required. Each metadata field that cannot be read is None and
    adds a warning; no exception other than an ImagingError leaves this function.
    For TIFF containers with SubIFDs (DNG, NEF, ARW), IFD0 holds a small preview; the size
    reported is that of the largest of the first `MAX_SUBIFDS` SubIFDs libvips can read.
    """
    with vips_failures(path.name, location=str(path)):
        image = pyvips.Image.new_from_source(_source(path), "")
        fields = set(image.get_fields())
        width, height = image.width, image.height
    warnings: list[str] = []

    def tolerant(what: str, read: Callable[[], _T], default: _T) -> _T:
        try:
            return read()
        except Exception as exc:  # any failure of a metadata field means "unknown"
            warnings.append(f"{path.name}: its {what} could not be read ({exc}); left unknown")
            return default

    if "n-subifds" in fields:
        width, height = tolerant(
            "sub-image sizes",
            lambda: _largest_subifd(path, image.get("n-subifds"), (width, height)),
            (width, height),
        )
    orientation = tolerant("orientation", lambda: _orientation(image, fields), None)
    captured_at = tolerant(
        "capture time",
        lambda: _captured_at(image, fields, lambda text: warnings.append(f"{path.name}: {text}")),
        None,
    )
    camera = tolerant(
        "camera",
        lambda: camera_name(_exif(image, fields, "ifd0-Make"), _exif(image, fields, "ifd0-Model")),
        None,
    )
    if orientation in _SWAPPED_ORIENTATIONS:
        width, height = height, width
    return PhotoInfo(width, height, captured_at, camera, orientation, tuple(warnings))


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
    microsecond = int(digits[:6].ljust(6, "0")) if _DIGITS.fullmatch(digits) else 0
    try:
        year, month, day, hour, minute, second = (int(group) for group in match.groups())
        return datetime(year, month, day, hour, minute, second, microsecond)
    except ValueError:
        return None


def exif_text(raw: str) -> str:
    """The value part of a libvips EXIF string field ("Canon (Canon, ASCII, 6 ...)"), without
    control characters or the marks of undecodable bytes (no text column must hold a NUL)."""
    match = _EXIF_VALUE.match(raw)
    value = match.group("value") if match else raw.split(" (", 1)[0]
    return _UNPRINTABLE.sub("", value).strip()


def _orientation(image: pyvips.Image, fields: set[str]) -> int | None:
    """The EXIF orientation 1-8, or None when absent or out of range."""
    if "orientation" not in fields:
        return None
    value = image.get("orientation")
    return value if isinstance(value, int) and 1 <= value <= 8 else None


EXIF_TEXT_MAX = 128
"""Characters kept of one EXIF text field: real makes and models are a few dozen; a 64 KiB
field is a hostile file, not a camera, and must not become a catalog column."""


def _exif(image: pyvips.Image, fields: set[str], name: str) -> str | None:
    field = f"exif-{name}"
    if field not in fields:
        return None
    return exif_text(image.get(field))[:EXIF_TEXT_MAX].strip() or None


def _captured_at(
    image: pyvips.Image, fields: set[str], warn: Callable[[str], None]
) -> datetime | None:
    """EXIF DateTimeOriginal, else DateTimeDigitized, else the XMP creation date.

    Sub-seconds that are not ASCII digits are dropped with a warning: the second stays known.
    """
    for tag, subsec in (
        ("ifd2-DateTimeOriginal", "ifd2-SubSecTimeOriginal"),
        ("ifd2-DateTimeDigitized", "ifd2-SubSecTimeDigitized"),
    ):
        text = _exif(image, fields, tag)
        if text is not None:
            fraction = _exif(image, fields, subsec)
            parsed = parse_exif_datetime(text, fraction)
            if parsed is not None:
                if fraction is not None and not _DIGITS.fullmatch(fraction):
                    name = subsec.removeprefix("ifd2-")
                    warn(f"its {name} {fraction!r} is not digits; the time is kept to the second")
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
    """Width and height of the largest of the first `MAX_SUBIFDS` SubIFDs whose header libvips
    reads, else `fallback`."""
    best = fallback
    for index in range(min(int(count), MAX_SUBIFDS)):
        try:
            sub = pyvips.Image.tiffload_source(_source(path), subifd=index)
        except pyvips.Error:
            continue
        if sub.width * sub.height > best[0] * best[1]:
            best = (sub.width, sub.height)
    pyvips.vips_lib.vips_error_clear()
    return best


def _source(path: Path) -> pyvips.Source:
    """A libvips source on its own descriptor of `path`: what every header read opens.

    Not `new_from_file`: libvips caches each file load, and the cached operation keeps the
    file open or mapped until 100 later operations evict it. A server probes each upload in
    its spool and deletes it next, so the last 100 uploads stayed on disk, deleted, for as
    long as the server ran. A load from a source is never cached (a stream cannot be read
    again), so the file is closed as soon as the image is dropped. libvips dups the
    descriptor; this one is closed at once. Opened by Python, a name that is not UTF-8 opens.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as exc:
        raise ImagingError(
            f"cannot open {path.name} to read its header ({exc.strerror}): check that the file "
            "is still there and readable by this user"
        ) from exc
    try:
        return pyvips.Source.new_from_descriptor(fd)
    finally:
        os.close(fd)

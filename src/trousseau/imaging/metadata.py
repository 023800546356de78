"""The metadata policy applied to EXIF bytes: what a gallery variant may say about its photo.

`filter_exif` rebuilds the EXIF block from allow-lists rather than deleting known-bad tags,
so a tag nobody reviewed (a vendor's owner field, a phone's location cache, an edit history)
never reaches a variant. It is pure, bytes in and bytes out, and costs well under a
millisecond.

Kept tags are copied entry by entry, with their type, count and value bytes unchanged, and
laid out afresh in the source's byte order. Pillow's `Image.Exif` was the obvious tool and is
not used: `tobytes()` re-guesses the type of every Exif-IFD tag it has no table entry for (a
+0.3 EV ExposureBiasValue becomes RATIONAL, a MakerNote BYTE), writes text through an
ASCII-only codec (an "Élodie" Artist becomes "??lodie"), and its reader stops at the first
entry whose data lies outside the block, losing every later tag of that IFD, where this
reader drops that one entry. A kept MakerNote is copied as it is; makers whose notes hold
offsets from the TIFF header (Canon, Sony) will not find their sub-entries after the move.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping
from typing import NamedTuple

import pyvips

from trousseau.imaging.profiles import MetadataPolicy

EXIF_PREFIX = b"Exif\x00\x00"
EXIF_IFD = 0x8769
GPS_IFD = 0x8825
ORIENTATION = 0x0112
COLOR_SPACE = 0xA001
EXIF_VERSION = 0x9000
SRGB = 1
SHORT, LONG = 3, 4

COPYRIGHT_TAGS = frozenset({0x8298, 0x013B})  # Copyright, Artist
CAPTURE_TIME_IFD0 = frozenset({0x0132})  # DateTime
CAPTURE_TIME_TAGS = frozenset(
    {
        0x9003,  # DateTimeOriginal
        0x9004,  # DateTimeDigitized
        0x9010,  # OffsetTime
        0x9011,  # OffsetTimeOriginal
        0x9012,  # OffsetTimeDigitized
        0x9290,  # SubSecTime
        0x9291,  # SubSecTimeOriginal
        0x9292,  # SubSecTimeDigitized
    }
)
CAMERA_IFD0 = frozenset({0x010F, 0x0110})  # Make, Model
CAMERA_TAGS = frozenset(
    {
        0x829A,  # ExposureTime
        0x829D,  # FNumber
        0x8822,  # ExposureProgram
        0x8827,  # ISOSpeedRatings (PhotographicSensitivity)
        0x8830,  # SensitivityType
        0x8832,  # RecommendedExposureIndex
        0x9201,  # ShutterSpeedValue
        0x9202,  # ApertureValue
        0x9203,  # BrightnessValue
        0x9204,  # ExposureBiasValue
        0x9205,  # MaxApertureValue
        0x9206,  # SubjectDistance
        0x9207,  # MeteringMode
        0x9208,  # LightSource
        0x9209,  # Flash
        0x920A,  # FocalLength
        0xA402,  # ExposureMode
        0xA403,  # WhiteBalance
        0xA404,  # DigitalZoomRatio
        0xA405,  # FocalLengthIn35mmFilm
        0xA406,  # SceneCaptureType
        0xA432,  # LensSpecification
        0xA433,  # LensMake
        0xA434,  # LensModel
    }
)
SERIAL_IFD0 = frozenset({0xC62F})  # CameraSerialNumber (DNG)
SERIAL_TAGS = frozenset(
    {
        0xA420,  # ImageUniqueID
        0xA430,  # CameraOwnerName
        0xA431,  # BodySerialNumber
        0xA435,  # LensSerialNumber
        0x927C,  # MakerNote: vendors keep serial numbers and shutter counts in it
    }
)

_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}
_ORDERS = {b"II*\x00": "<", b"MM\x00*": ">"}


class Entry(NamedTuple):
    """One IFD entry: TIFF type, component count, and the value bytes in the block's order."""

    kind: int
    components: int
    value: bytes


Tags = dict[int, Entry]


def filter_exif(exif: bytes | None, policy: MetadataPolicy) -> bytes | None:
    """The EXIF of `exif` that `policy` allows, as a libvips "exif-data" blob, or None.

    Accepts the libvips blob (b"Exif\\0\\0" then a TIFF header) or bare TIFF-header EXIF.
    The result always says Orientation 1 (variants are rendered upright) and ColorSpace sRGB
    (variants are converted to sRGB), and never has an IFD1 thumbnail (it would show the
    uncropped original), an Interop IFD, or a tag outside the allow-lists above. None when no
    allowed tag is present or the block cannot be parsed: bad metadata costs the metadata,
    never the variant. An entry whose value lies outside the block is dropped alone.
    """
    if not exif:
        return None
    data = bytes(exif).removeprefix(EXIF_PREFIX)
    order = _ORDERS.get(data[:4])
    if order is None or len(data) < 8:
        return None
    ifd0 = read_ifd(data, struct.unpack_from(order + "I", data, 4)[0], order)
    sub = read_ifd(data, _pointer(ifd0, EXIF_IFD, order), order)
    gps = read_ifd(data, _pointer(ifd0, GPS_IFD, order), order) if policy.keep_gps else {}
    kept0 = _pick(ifd0, _allowed_ifd0(policy))
    kept_sub = _pick(sub, _allowed_sub(policy))
    if not (kept0 or kept_sub or gps):
        return None
    kept0[ORIENTATION] = Entry(SHORT, 1, struct.pack(order + "H", 1))
    kept_sub[COLOR_SPACE] = Entry(SHORT, 1, struct.pack(order + "H", SRGB))
    if EXIF_VERSION in sub:
        kept_sub[EXIF_VERSION] = sub[EXIF_VERSION]
    return EXIF_PREFIX + write_tiff(order, kept0, kept_sub, gps)


def exif_of(image: pyvips.Image) -> bytes | None:
    """The "exif-data" blob libvips attached to `image` on load, if any."""
    if image.get_typeof("exif-data") == 0:
        return None
    data = image.get("exif-data")
    return bytes(data) if data else None


def exif_orientation(exif: bytes | None) -> int:
    """IFD0's Orientation (1-8) of a libvips "exif-data" blob or bare TIFF-header EXIF; 1
    when it is absent, out of range or the block cannot be parsed."""
    if not exif:
        return 1
    data = bytes(exif).removeprefix(EXIF_PREFIX)
    order = _ORDERS.get(data[:4])
    if order is None or len(data) < 8:
        return 1
    entry = read_ifd(data, struct.unpack_from(order + "I", data, 4)[0], order).get(ORIENTATION)
    if entry is None or entry.kind != SHORT:
        return 1
    (value,) = struct.unpack(order + "H", entry.value[:2])
    return value if 1 <= value <= 8 else 1


def read_ifd(data: bytes, offset: int | None, order: str) -> Tags:
    """The entries of the IFD at `offset` of a TIFF block; unreadable ones are skipped."""
    if offset is None or not 8 <= offset <= len(data) - 2:
        return {}
    (count,) = struct.unpack_from(order + "H", data, offset)
    tags: Tags = {}
    for index in range(count):
        at = offset + 2 + 12 * index
        if at + 12 > len(data):
            break
        tag, kind, components, field = struct.unpack_from(order + "HHI4s", data, at)
        size = _TYPE_SIZES.get(kind, 0) * components
        if size == 0 or tag in tags:
            continue
        if size <= 4:
            tags[tag] = Entry(kind, components, field[:size])
            continue
        (start,) = struct.unpack(order + "I", field)
        if start + size <= len(data):
            tags[tag] = Entry(kind, components, data[start : start + size])
    return tags


def write_tiff(order: str, ifd0: Tags, sub: Tags, gps: Tags) -> bytes:
    """A TIFF block of IFD0 (no IFD1), then the Exif IFD and the GPS IFD when not empty."""
    first = dict(ifd0)
    nested = [(tag, tags) for tag, tags in ((EXIF_IFD, sub), (GPS_IFD, gps)) if tags]
    for tag, _ in nested:
        first[tag] = Entry(LONG, 1, bytes(4))
    blocks = [first, *(tags for _, tags in nested)]
    offsets = [8]
    for tags in blocks[:-1]:
        offsets.append(offsets[-1] + _ifd_size(tags))
    for (tag, _), offset in zip(nested, offsets[1:], strict=True):
        first[tag] = Entry(LONG, 1, struct.pack(order + "I", offset))
    header = (b"II*\x00" if order == "<" else b"MM\x00*") + struct.pack(order + "I", 8)
    return header + b"".join(
        _ifd_bytes(tags, offset, order) for tags, offset in zip(blocks, offsets, strict=True)
    )


def _ifd_size(tags: Tags) -> int:
    return (
        2 + 12 * len(tags) + 4 + sum(_even(len(e.value)) for e in tags.values() if len(e.value) > 4)
    )


def _ifd_bytes(tags: Tags, offset: int, order: str) -> bytes:
    table = bytearray(struct.pack(order + "H", len(tags)))
    data = bytearray()
    data_at = offset + 2 + 12 * len(tags) + 4
    for tag in sorted(tags):
        kind, count, value = tags[tag]
        if len(value) <= 4:
            table += struct.pack(order + "HHI", tag, kind, count) + value.ljust(4, b"\x00")
        else:
            table += struct.pack(order + "HHII", tag, kind, count, data_at + len(data))
            data += value.ljust(_even(len(value)), b"\x00")
    return bytes(table + struct.pack(order + "I", 0) + data)


def _pointer(ifd: Tags, tag: int, order: str) -> int | None:
    entry = ifd.get(tag)
    if entry is None or entry.kind not in (LONG, 13) or entry.components != 1:
        return None
    (pointer,) = struct.unpack(order + "I", entry.value)
    return int(pointer)


def _allowed_ifd0(policy: MetadataPolicy) -> frozenset[int]:
    return _union(
        (COPYRIGHT_TAGS, policy.keep_copyright),
        (CAPTURE_TIME_IFD0, policy.keep_capture_time),
        (CAMERA_IFD0, policy.keep_camera),
        (SERIAL_IFD0, policy.keep_serials),
    )


def _allowed_sub(policy: MetadataPolicy) -> frozenset[int]:
    return _union(
        (CAPTURE_TIME_TAGS, policy.keep_capture_time),
        (CAMERA_TAGS, policy.keep_camera),
        (SERIAL_TAGS, policy.keep_serials),
    )


def _union(*groups: tuple[frozenset[int], bool]) -> frozenset[int]:
    return frozenset().union(*(tags for tags, keep in groups if keep))


def _pick(tags: Mapping[int, Entry], allowed: Iterable[int]) -> Tags:
    return {tag: tags[tag] for tag in sorted(allowed) if tag in tags}


def _even(length: int) -> int:
    return length + (length & 1)

"""Writing a Bayer (CFA) DNG from a real photo, for testing RAW decoding without camera files.

No Bayer RAW small enough to commit is in the shared data, so one is made: the photo's sRGB
pixels are linearised, seen through a simulated sensor (red and blue less sensitive than
green, a black level, 14-bit white), sampled through an RGGB colour filter array and written
as a 16-bit DNG whose colour matrix and as-shot neutral describe that sensor exactly. A
correct demosaic with camera white balance therefore gives the photo back, close enough to
compare mean colours. As cameras do, the raw sits in a SubIFD and IFD0 may hold a JPEG
preview, stored like the raw in sensor orientation with no orientation tag of its own.

The TIFF structure is written here (40 lines) rather than with tifffile, which will not
store an already-encoded JPEG strip unless imagecodecs is installed.
"""

from __future__ import annotations

import struct

import numpy as np
import pyvips

SENSOR_GAINS = (0.55, 1.0, 0.72)
"""Camera response to each linear sRGB primary: red and blue photosites see less light."""
BLACK_LEVEL = 512
WHITE_LEVEL = 16383

_XYZ_TO_SRGB = np.array(
    [
        [3.2404542, -1.5371385, -0.4985314],
        [-0.9692660, 1.8760108, 0.0415560],
        [0.0556434, -0.2040259, 1.0572252],
    ]
)
_TO_SENSOR = {1: None, 3: "d180", 6: "d270", 8: "d90"}
_BYTE, _ASCII, _SHORT, _LONG, _RATIONAL, _SRATIONAL = 1, 2, 3, 4, 5, 10
_PACK = {_BYTE: "B", _ASCII: "B", _SHORT: "H", _LONG: "I", _RATIONAL: "I", _SRATIONAL: "i"}
_DENOMINATOR = 10_000
_D65 = 21
_CFA = 32803
_YCBCR = 6
_JPEG = 7
_UNCOMPRESSED = 1

Entry = tuple[int, int, tuple[int, ...]]


def write_cfa_dng(
    upright: pyvips.Image,
    *,
    orientation: int = 1,
    preview_long_edge: int | None = None,
    preview_turned: bool = False,
    model: str = "Trousseau Test Bayer",
) -> bytes:
    """A DNG of `upright` (8-bit sRGB, even width and height).

    `orientation` (1, 3, 6 or 8) is written in IFD0 and the raw is stored turned the other
    way, so a reader that honours it shows `upright` again. `preview_long_edge` adds an
    embedded JPEG preview with that long edge, in sensor orientation as cameras store it,
    or already upright with `preview_turned` (as some phones and converters store it).
    """
    rotation = _TO_SENSOR[orientation]
    sensor = upright.rot(rotation) if rotation else upright
    if sensor.width % 2 or sensor.height % 2:
        raise ValueError(f"sides must be even, not {sensor.width}x{sensor.height}")
    raw = _mosaic(_linear(sensor)).astype("<u2").tobytes()
    raw_ifd = [
        (254, _LONG, (0,)),
        (256, _LONG, (sensor.width,)),
        (257, _LONG, (sensor.height,)),
        (258, _SHORT, (16,)),
        (259, _SHORT, (_UNCOMPRESSED,)),
        (262, _SHORT, (_CFA,)),
        (277, _SHORT, (1,)),
        (278, _LONG, (sensor.height,)),
        (33421, _SHORT, (2, 2)),
        (33422, _BYTE, (0, 1, 1, 2)),
        (50710, _BYTE, (0, 1, 2)),
        (50711, _SHORT, (1,)),
        (50713, _SHORT, (1, 1)),
        (50714, _LONG, (BLACK_LEVEL,)),
        (50717, _LONG, (WHITE_LEVEL,)),
    ]
    ifd0 = _camera_tags(orientation, model)
    if not preview_long_edge:
        ifd0 += raw_ifd
        return _tiff(ifd0, None, [(ifd0, raw)])
    shown = upright if preview_turned else sensor
    preview = shown.thumbnail_image(preview_long_edge, height=preview_long_edge)
    jpeg = preview.jpegsave_buffer(Q=90, keep=pyvips.enums.ForeignKeep.NONE)
    ifd0 += [
        (254, _LONG, (1,)),
        (256, _LONG, (preview.width,)),
        (257, _LONG, (preview.height,)),
        (258, _SHORT, (8, 8, 8)),
        (259, _SHORT, (_JPEG,)),
        (262, _SHORT, (_YCBCR,)),
        (277, _SHORT, (3,)),
        (278, _LONG, (preview.height,)),
    ]
    return _tiff(ifd0, raw_ifd, [(ifd0, jpeg), (raw_ifd, raw)])


def _tiff(
    ifd0: list[Entry], sub_ifd: list[Entry] | None, strips: list[tuple[list[Entry], bytes]]
) -> bytes:
    """Little-endian TIFF: header, strip data, IFD0, then the SubIFD IFD0 points to."""
    body = bytearray(b"II*\x00\x00\x00\x00\x00")
    for entries, data in strips:
        entries += [(273, _LONG, (len(body),)), (279, _LONG, (len(data),))]
        body += data + b"\x00" * (len(data) % 2)
    ifd0_at = len(body)
    if sub_ifd is not None:
        ifd0.append((330, _LONG, (0,)))
        sub_at = ifd0_at + len(_ifd(ifd0, ifd0_at))
        ifd0[-1] = (330, _LONG, (sub_at,))
    body[4:8] = struct.pack("<I", ifd0_at)
    body += _ifd(ifd0, ifd0_at)
    if sub_ifd is not None:
        body += _ifd(sub_ifd, len(body))
    return bytes(body)


def _ifd(entries: list[Entry], at: int) -> bytes:
    """One IFD placed at offset `at`, its values longer than 4 bytes right after it."""
    entries = sorted(entries)
    table = bytearray(struct.pack("<H", len(entries)))
    extra = bytearray()
    extra_at = at + 2 + 12 * len(entries) + 4
    for tag, kind, values in entries:
        packed = struct.pack(f"<{len(values)}{_PACK[kind]}", *values)
        count = len(values) // 2 if kind in (_RATIONAL, _SRATIONAL) else len(values)
        if len(packed) <= 4:
            table += struct.pack("<HHI", tag, kind, count) + packed.ljust(4, b"\x00")
        else:
            table += struct.pack("<HHII", tag, kind, count, extra_at + len(extra))
            extra += packed + b"\x00" * (len(packed) % 2)
    return bytes(table + struct.pack("<I", 0) + extra)


def _linear(image: pyvips.Image) -> np.ndarray:
    """Linear-light RGB in [0, 1] from 8-bit sRGB."""
    srgb = image.numpy().astype(np.float64) / 255.0
    return np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)


def _mosaic(linear: np.ndarray) -> np.ndarray:
    """One 16-bit sample per photosite through an RGGB filter, as the simulated sensor sees it."""
    levels = BLACK_LEVEL + linear * np.array(SENSOR_GAINS) * (WHITE_LEVEL - BLACK_LEVEL)
    mosaic = np.empty(linear.shape[:2], dtype=np.float64)
    mosaic[0::2, 0::2] = levels[0::2, 0::2, 0]
    mosaic[0::2, 1::2] = levels[0::2, 1::2, 1]
    mosaic[1::2, 0::2] = levels[1::2, 0::2, 1]
    mosaic[1::2, 1::2] = levels[1::2, 1::2, 2]
    return np.clip(np.rint(mosaic), 0, WHITE_LEVEL).astype(np.uint16)


def _camera_tags(orientation: int, model: str) -> list[Entry]:
    """IFD0 tags: identity, orientation and the colour description of the simulated sensor."""
    color_matrix = np.diag(SENSOR_GAINS) @ _XYZ_TO_SRGB
    neutral = np.array(SENSOR_GAINS) / SENSOR_GAINS[1]
    return [
        (271, _ASCII, _ascii(model.split()[0])),
        (272, _ASCII, _ascii(model)),
        (274, _SHORT, (orientation,)),
        (50706, _BYTE, (1, 4, 0, 0)),
        (50707, _BYTE, (1, 1, 0, 0)),
        (50708, _ASCII, _ascii(model)),
        (50721, _SRATIONAL, _rationals(color_matrix.ravel())),
        (50728, _RATIONAL, _rationals(neutral)),
        (50778, _SHORT, (_D65,)),
    ]


def _ascii(text: str) -> tuple[int, ...]:
    return tuple(text.encode("ascii") + b"\x00")


def _rationals(values: np.ndarray) -> tuple[int, ...]:
    """Numerator, denominator pairs, flattened."""
    pairs: list[int] = []
    for value in values:
        pairs += [round(float(value) * _DENOMINATOR), _DENOMINATOR]
    return tuple(pairs)

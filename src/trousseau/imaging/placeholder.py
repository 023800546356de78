"""What a gallery shows before a photo loads: a ThumbHash placeholder and the dominant colours.

The ThumbHash encoder follows Evan Wallace's reference (https://evanw.github.io/thumbhash/,
js/thumbhash.js) step for step, including JavaScript's `Math.round`, so the reference JS
decoder renders it; on the same pixels it gives the reference's bytes (checked on 48 photos
and patterns), except for the 7-or-8 nibble of a coefficient that is zero up to float noise.
It is our own rather than a PyPI package: `thumbhash` 0.1.2 fails on any image with alpha, and
`thumbhash-python` 1.0.1, though exact, requires Pillow < 11 and Typer and loops in pure
Python (about 30 ms a hash). Here the DCT is two small matrix products in numpy (~1 ms).

Dominant colours are a k-means clustering in CIELAB (distances there follow perception) of a
<= 64 px shrink, started from a variance-based median cut rather than random centres: the same
image always gives the same swatches, with no seed to keep stable.
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyvips

if TYPE_CHECKING:
    import numpy as np

# numpy is imported by the functions that use it, not here: `trousseau.imaging` is imported by
# every command (ingest, work's parent, status...), which never compute a placeholder, and
# numpy is the heaviest import of a cold start after SQLAlchemy.

_HASH_FIT = 100
_TINY = 7
_COLOUR_FIT = 64
_KMEANS_ROUNDS = 30
_NOISE = 1e-9


@dataclass(frozen=True, slots=True)
class Swatch:
    """One dominant colour: its sRGB hex ("#a1b2c3") and the share of pixels it stands for."""

    hex: str
    share: float


def thumbhash(image: pyvips.Image) -> str:
    """The ThumbHash of an upright 8-bit sRGB image (1-4 bands, any size), base64-encoded.

    The image is shrunk to fit 100x100 with libvips' lanczos3 thumbnail (alpha premultiplied),
    as the reference asks; smaller images are hashed as they are. The result is standard
    base64 with padding, as the reference's `btoa` writes it: 17-24 bytes decoded for an opaque
    image (24 when square), 23-25 with alpha, so at most 36 characters. Like
    `dominant_colours`, it reads the image once: give both an image in memory
    (`copy_memory()`), not one streamed from a file.

    An image under 7 px is first enlarged (pixels repeated) to at least 7: on fewer pixels the
    reference's 7 cosine terms alias, and a flat 1x1 image would decode as stripes.
    """
    image = _prepare(image, _HASH_FIT)
    if max(image.width, image.height) < _TINY:
        factor = math.ceil(_TINY / max(image.width, image.height))
        image = image.zoom(factor, factor)
    return base64.b64encode(_encode_thumbhash(_rgba(image))).decode("ascii")


def dominant_colours(image: pyvips.Image, count: int = 5) -> list[Swatch]:
    """Up to `count` representative colours of an 8-bit sRGB image, largest share first.

    Fully transparent pixels are ignored and shares are fractions of the remaining ones, so
    they sum to 1. An image with fewer distinct colours than `count` gives fewer swatches; a
    fully transparent one gives none. Each swatch is the mean sRGB colour of its cluster.
    Pixels are pooled by colour (5 bits per channel) before clustering, which keeps k-means
    to a few hundred weighted points.
    """
    import numpy as np

    if count < 1:
        raise ValueError(f"count must be >= 1, not {count}")
    small = _prepare(image, _COLOUR_FIT).copy_memory()
    rgba = _rgba(small).reshape(-1, 4)
    visible = rgba[:, 3] > 0
    if not visible.any():
        return []
    rgb = rgba[visible, :3]
    lab = small.colourspace(pyvips.enums.Interpretation.LAB).numpy().reshape(-1, 4)
    _, pool = np.unique((rgb >> 3).astype(np.intp) @ [1024, 32, 1], return_inverse=True)
    weights = np.bincount(pool).astype(np.float64)
    points = _pooled_mean(pool, lab[visible, :3], weights)
    labels = _kmeans(points, weights, _median_cut(points, weights, count))[pool]
    mass = np.bincount(labels).astype(np.float64)
    means = _pooled_mean(labels, rgb, mass)
    swatches = [
        Swatch("#" + "".join(f"{_js_round(v):02x}" for v in mean), float(share))
        for mean, share in zip(means, mass / mass.sum(), strict=True)
        if share > 0
    ]
    return sorted(swatches, key=lambda swatch: (-swatch.share, swatch.hex))


def _prepare(image: pyvips.Image, size: int) -> pyvips.Image:
    """The image shrunk (never enlarged) to fit size x size, as 4-band uchar sRGB.

    libvips' thumbnail premultiplies alpha while it filters with lanczos3; an image that
    already fits is left untouched. A missing alpha band is added as opaque.
    """
    if image.format != pyvips.enums.BandFormat.UCHAR or not 1 <= image.bands <= 4:
        raise ValueError(
            f"expected an 8-bit sRGB or grey image with 1-4 bands, "
            f"not {image.bands} bands of {image.format}"
        )
    if image.width > size or image.height > size:
        image = image.thumbnail_image(
            size, height=size, size=pyvips.enums.Size.DOWN, no_rotate=True
        )
    if image.bands <= 2:
        grey = image[0]
        image = grey.bandjoin([grey, grey, *([image[1]] if image.bands == 2 else [])])
    if image.bands == 3:
        image = image.bandjoin(255)
    return image.copy(interpretation=pyvips.enums.Interpretation.SRGB)


def _rgba(image: pyvips.Image) -> np.ndarray:
    """The pixels of a 4-band uchar image as a height x width x 4 array."""
    import numpy as np

    return np.ndarray(
        (image.height, image.width, 4), dtype=np.uint8, buffer=image.write_to_memory()
    )


def _js_round(value: float) -> int:
    """JavaScript's Math.round (halves up), which the reference quantises with."""
    return math.floor(value + 0.5)


def _encode_thumbhash(rgba: np.ndarray) -> bytes:
    """The reference `rgbaToThumbHash` on a height x width x 4 uchar array (<= 100x100)."""
    import numpy as np

    height, width = rgba.shape[:2]
    pixels = rgba.reshape(-1, 4) / 255.0
    alpha = pixels[:, 3]
    total_alpha = alpha.sum()
    average = alpha @ pixels[:, :3] / total_alpha if total_alpha else np.zeros(3)
    has_alpha = bool(total_alpha < width * height)
    limit = 5 if has_alpha else 7
    lx = max(1, _js_round(limit * width / max(width, height)))
    ly = max(1, _js_round(limit * height / max(width, height)))

    composited = np.outer(1 - alpha, average) + alpha[:, None] * pixels[:, :3]
    red, green, blue = composited.T.reshape(3, height, width)
    l_dc, l_ac, l_scale = _dct((red + green + blue) / 3, max(3, lx), max(3, ly))
    p_dc, p_ac, p_scale = _dct((red + green) / 2 - blue, 3, 3)
    q_dc, q_ac, q_scale = _dct(red - green, 3, 3)

    landscape = width > height
    header24 = (
        _js_round(63 * l_dc)
        | _js_round(31.5 + 31.5 * p_dc) << 6
        | _js_round(31.5 + 31.5 * q_dc) << 12
        | _js_round(31 * l_scale) << 18
        | has_alpha << 23
    )
    header16 = (
        (ly if landscape else lx)
        | _js_round(63 * p_scale) << 3
        | _js_round(63 * q_scale) << 9
        | landscape << 15
    )
    data = bytearray([header24 & 255, header24 >> 8 & 255, header24 >> 16, header16 & 255])
    data.append(header16 >> 8)
    factors = [l_ac, p_ac, q_ac]
    if has_alpha:
        a_dc, a_ac, a_scale = _dct(alpha.reshape(height, width), 5, 5)
        data.append(_js_round(15 * a_dc) | _js_round(15 * a_scale) << 4)
        factors.append(a_ac)
    nibbles = [_js_round(15 * f) for f in np.concatenate(factors)]
    nibbles += [0] * (len(nibbles) % 2)
    data += bytes(low | high << 4 for low, high in zip(nibbles[::2], nibbles[1::2], strict=True))
    return bytes(data)


def _dct(channel: np.ndarray, nx: int, ny: int) -> tuple[float, np.ndarray, float]:
    """The reference `encodeChannel`: DC, AC normalised to 0..1 and their scale.

    The reference keeps the triangle of coefficients with cx * ny < nx * (ny - cy), row by
    row. A coefficient that is zero in exact arithmetic (all AC terms of a flat channel, half
    of those of a symmetric image) comes out as rounding noise (1e-17) whose sign would pick
    the nibble 7 or 8; it is set to zero, giving 8, so the hash does not depend on the order
    in which numpy (or the reference) sums.
    """
    import numpy as np

    height, width = channel.shape
    fx = np.cos(np.pi / width * np.outer(np.arange(nx), np.arange(width) + 0.5))
    fy = np.cos(np.pi / height * np.outer(np.arange(ny), np.arange(height) + 0.5))
    coefficients = fy @ channel @ fx.T / (width * height)
    terms = np.array(
        [coefficients[cy, cx] for cy in range(ny) for cx in range(nx) if cx * ny < nx * (ny - cy)]
    )
    dc, ac = float(terms[0]), np.where(np.abs(terms[1:]) < _NOISE, 0.0, terms[1:])
    scale = float(np.abs(ac).max())
    return dc, (0.5 + 0.5 / scale * ac if scale else ac), scale


def _median_cut(points: np.ndarray, weights: np.ndarray, count: int) -> np.ndarray:
    """Up to `count` starting centres: the means of boxes cut from the colours.

    The box with the largest weighted variance is cut along its widest axis at its weighted
    median; a box of one point is never cut, so each box keeps at least one.
    """
    import numpy as np

    boxes = [np.arange(len(points))]
    while len(boxes) < count:
        errors = [_weighted_sse(points[box], weights[box]) if len(box) > 1 else 0 for box in boxes]
        widest = int(np.argmax(errors))
        if errors[widest] <= 0:
            break
        box = boxes.pop(widest)
        values, mass = points[box], weights[box]
        axis = int(np.argmax(mass @ (values - mass @ values / mass.sum()) ** 2))
        order = box[np.argsort(values[:, axis], kind="stable")]
        cumulative = np.cumsum(weights[order])
        cut = np.searchsorted(cumulative, cumulative[-1] / 2, side="right")
        cut = min(max(int(cut), 1), len(box) - 1)
        boxes += [order[:cut], order[cut:]]
    return np.array([weights[box] @ points[box] / weights[box].sum() for box in boxes])


def _weighted_sse(points: np.ndarray, weights: np.ndarray) -> float:
    mean = weights @ points / weights.sum()
    return float(weights @ ((points - mean) ** 2).sum(axis=1))


def _kmeans(points: np.ndarray, weights: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Weighted Lloyd iterations from `centres`; the cluster index of every point.

    A cluster left empty keeps its centre and ends with no points.
    """
    import numpy as np

    labels = np.full(len(points), -1)
    for _ in range(_KMEANS_ROUNDS):
        new_labels = ((centres**2).sum(axis=1) - 2 * points @ centres.T).argmin(axis=1)
        if np.array_equal(new_labels, labels):
            break
        labels = new_labels
        mass = np.bincount(labels, weights, minlength=len(centres))
        filled = mass > 0
        centres[filled] = _pooled_mean(labels, points * weights[:, None], mass)[filled]
    return labels


def _pooled_mean(groups: np.ndarray, values: np.ndarray, mass: np.ndarray) -> np.ndarray:
    """Per group, the sum of the rows of `values` (n x 3) divided by the group's `mass`."""
    import numpy as np

    sums = np.stack([np.bincount(groups, column, len(mass)) for column in values.T], axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        means: np.ndarray = sums / mass[:, None]
    return means

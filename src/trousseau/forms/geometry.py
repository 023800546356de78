"""Page geometry, pure: from a widget's /Rect in PDF user space to the displayed page.

A /Rect may name any two opposite corners; the page shows only its CropBox (whose origin is
rarely but sometimes not 0,0) and turns it by /Rotate degrees clockwise. A rectangle in the
reports is where a person sees the field: origin at the bottom left of the displayed page.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import isfinite

from trousseau.forms.model import Rect

LETTER: Rect = (0.0, 0.0, 612.0, 792.0)
"""The page box assumed when a page's own is missing or malformed (a warning says so)."""


def normalise_box(corners: Sequence[float]) -> Rect:
    """Four numbers naming two opposite corners, as [x0, y0, x1, y1] with x0 <= x1, y0 <= y1.

    Raises ValueError when there are not four finite numbers (the caller warns and skips).
    """
    if len(corners) != 4:
        raise ValueError(f"a rectangle needs 4 numbers, got {len(corners)}")
    xa, ya, xb, yb = map(float, corners)
    if not (isfinite(xa) and isfinite(ya) and isfinite(xb) and isfinite(yb)):
        raise ValueError("a rectangle's numbers must be finite")
    return (
        xa if xa <= xb else xb,
        ya if ya <= yb else yb,
        xb if xa <= xb else xa,
        yb if ya <= yb else ya,
    )


def normalise_rotation(rotate: int) -> int:
    """/Rotate as 0, 90, 180 or 270 (the spec wants multiples of 90; others are read as 0)."""
    turned = rotate % 360
    return turned if turned in (0, 90, 180, 270) else 0


def to_displayed(rect: Rect, page_box: Rect, rotation: int, ndigits: int = 3) -> Rect:
    """A rectangle in user space as seen on the displayed page (rounded to `ndigits`).

    `page_box` is the page's CropBox (or MediaBox), normalised; `rotation` its /Rotate,
    normalised. The page turns clockwise, so for 90° a point (x, y) of the unturned page
    (width W) lands at (y, W - x).
    """
    bx0, by0, bx1, by1 = page_box
    width, height = bx1 - bx0, by1 - by0
    x0, y0, x1, y1 = rect[0] - bx0, rect[1] - by0, rect[2] - bx0, rect[3] - by0
    if rotation == 90:
        x0, y0, x1, y1 = y0, width - x1, y1, width - x0
    elif rotation == 180:
        x0, y0, x1, y1 = width - x1, height - y1, width - x0, height - y0
    elif rotation == 270:
        x0, y0, x1, y1 = height - y1, x0, height - y0, x1
    return (round(x0, ndigits), round(y0, ndigits), round(x1, ndigits), round(y1, ndigits))


def union(rects: Sequence[Rect]) -> Rect:
    """The smallest rectangle holding every one of `rects` (at least one)."""
    return (
        min(r[0] for r in rects),
        min(r[1] for r in rects),
        max(r[2] for r in rects),
        max(r[3] for r in rects),
    )


def iou(a: Rect, b: Rect) -> float:
    """Intersection over union of two rectangles (0 when either is empty)."""
    ix = min(a[2], b[2]) - max(a[0], b[0])
    iy = min(a[3], b[3]) - max(a[1], b[1])
    if ix <= 0 or iy <= 0:
        return 0.0
    inter = ix * iy
    whole = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / whole if whole > 0 else 0.0


def inside_share(a: Rect, b: Rect) -> float:
    """How much of `a`'s area lies inside `b` (0 when `a` is empty)."""
    ix = min(a[2], b[2]) - max(a[0], b[0])
    iy = min(a[3], b[3]) - max(a[1], b[1])
    area = (a[2] - a[0]) * (a[3] - a[1])
    if ix <= 0 or iy <= 0 or area <= 0:
        return 0.0
    return ix * iy / area


def overlaps(a: Rect, b: Rect) -> bool:
    """Whether two rectangles overlap at all (a cheap test before measuring how much)."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def centred_in(rect: Rect, box: Rect) -> bool:
    """Whether `rect`'s centre lies strictly inside `box`."""
    x, y = (rect[0] + rect[2]) / 2, (rect[1] + rect[3]) / 2
    return box[0] < x < box[2] and box[1] < y < box[3]

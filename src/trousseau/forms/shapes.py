"""What a printed page is drawn with, as plain values: characters, rules, boxes and circles.

The detector (`detect`) reads these and nothing else, so it is tested on primitives written by
hand; `flat` fills them from a PDF page with pdfium. Every rectangle is in displayed-page
points, origin at the bottom left (`geometry.to_displayed`).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from trousseau.forms.model import Rect

THIN = 3.0
"""A filled or stroked rectangle at most this thick is a rule, not a box (Word draws table
borders and underlines as thin filled rectangles)."""
AXIS_TOLERANCE = 0.6
"""A segment whose ends differ by less than this across is horizontal (or vertical)."""
ARC_MAX = 20.0
"""Largest open curve kept as a rounded frame's corner."""


class Paint(StrEnum):
    """How a path's inside is painted, as far as the detector cares: not at all (or in a
    light colour or a tint: a box to write in), in a dark solid colour (a marker, a bullet,
    a label tab: nothing is written on it), in a mid grey (a shaded cell: "do not fill", as
    tax forms shade them), or with a pattern (hatching: "do not fill")."""

    OPEN = "open"
    DARK = "dark"
    GREY = "grey"
    PATTERN = "pattern"


@dataclass(frozen=True)
class Char:
    """One character of the page's text layer: `rect` is its loose box (the font's ascent to
    descent, good for lines of text), `glyph` its tight box (an underscore's ink)."""

    text: str
    rect: Rect
    glyph: Rect
    sure: bool = True
    """False for a letter OCR read with little confidence (shading, hatching, a stamp)."""
    style: str = ""
    """How the character is set: its font and colour ("" when unknown, as on a scan).
    A form filled in on a computer writes its answers in the filler's style, not the print's."""


@dataclass(frozen=True)
class PagePrimitives:
    """A page as the detector sees it: its size, its characters, its horizontal and vertical
    rules (as thin rectangles), its boxes (closed axis-aligned rectangles, filled or stroked),
    its small circles (radio buttons drawn as curves), the midpoints of its slanted straight
    strokes (hatching that marks a cell "do not fill"), the rectangles filled with a pattern
    or a mid grey (hatching drawn as a tiling pattern, shading), the boxes filled with a
    dark solid colour (also in `boxes`), the rules stroked with a dash pattern (also in
    `hlines` and `vlines`: dotted leaders, the dashes between an SSN's groups), the small
    open curves (a rounded frame's corners) and how many images it draws."""

    width: float
    height: float
    chars: tuple[Char, ...] = ()
    hlines: tuple[Rect, ...] = ()
    vlines: tuple[Rect, ...] = ()
    boxes: tuple[Rect, ...] = ()
    circles: tuple[Rect, ...] = ()
    hatches: tuple[tuple[float, float], ...] = ()
    patterned: tuple[Rect, ...] = ()
    dark: tuple[Rect, ...] = ()
    dotted: tuple[Rect, ...] = ()
    arcs: tuple[Rect, ...] = ()
    images: int = 0


@dataclass
class ShapeSink:
    """Gathers the primitives of one page while its paths are walked (`add_subpath`)."""

    hlines: list[Rect] = field(default_factory=list)
    vlines: list[Rect] = field(default_factory=list)
    boxes: list[Rect] = field(default_factory=list)
    circles: list[Rect] = field(default_factory=list)
    hatches: list[tuple[float, float]] = field(default_factory=list)
    patterned: list[Rect] = field(default_factory=list)
    dark: list[Rect] = field(default_factory=list)
    dotted: list[Rect] = field(default_factory=list)
    arcs: list[Rect] = field(default_factory=list)

    def add_subpath(
        self,
        points: Sequence[tuple[float, float]],
        *,
        curved: bool,
        closed: bool,
        paint: Paint = Paint.OPEN,
        dashed: bool = False,
    ) -> None:
        """One subpath of a painted path, its points already in displayed coordinates:
        a rectangle (4 or 5 corners) becomes a box or a rule, a small round curve a circle,
        and each axis-aligned straight piece of anything else a rule (noted as dotted too
        when the path is stroked with a dash pattern)."""
        points = [p for i, p in enumerate(points) if i == 0 or not _near(p, points[i - 1])]
        if len(points) < 2:
            return
        xs = [p[0] for p in points]
        ys = [p[1] for p in points]
        bounds = (min(xs), min(ys), max(xs), max(ys))
        width, height = bounds[2] - bounds[0], bounds[3] - bounds[1]
        if curved:
            if (
                4.0 <= width <= 72.0
                and 4.0 <= height <= 72.0
                and abs(width - height) <= 0.08 * width + 2
                and (closed or _returns(points, width))
            ):
                self.circles.append(bounds)
            elif not closed and max(width, height) <= ARC_MAX and _corner(points, width, height):
                self.arcs.append(bounds)
            return
        if _is_rectangle(points, closed):
            self.add_rect(bounds, paint)
            return
        rules, columns = len(self.hlines), len(self.vlines)
        for a, b in itertools.pairwise(points):
            self._segment(a, b)
        if closed:
            self._segment(points[-1], points[0])
        if dashed:
            self.dotted.extend(self.hlines[rules:])
            self.dotted.extend(self.vlines[columns:])

    def add_rect(self, rect: Rect, paint: Paint = Paint.OPEN) -> None:
        """An axis-aligned rectangle: a rule when thin, else a box (one filled with a
        pattern is kept apart: hatching, no box to write in)."""
        x0, y0, x1, y1 = rect
        width, height = x1 - x0, y1 - y0
        if paint in (Paint.PATTERN, Paint.GREY) and width > THIN and height > THIN:
            self.patterned.append(rect)
        elif height <= THIN and width > THIN * 2:
            mid = (y0 + y1) / 2
            self.hlines.append((x0, mid, x1, mid))
        elif width <= THIN and height > THIN * 2:
            mid = (x0 + x1) / 2
            self.vlines.append((mid, y0, mid, y1))
        elif width > THIN and height > THIN:
            self.boxes.append(rect)
            if paint is Paint.DARK:
                self.dark.append(rect)

    def _segment(self, a: tuple[float, float], b: tuple[float, float]) -> None:
        if abs(a[1] - b[1]) < AXIS_TOLERANCE and abs(a[0] - b[0]) > 1.0:
            y = (a[1] + b[1]) / 2
            self.hlines.append((min(a[0], b[0]), y, max(a[0], b[0]), y))
        elif abs(a[0] - b[0]) < AXIS_TOLERANCE and abs(a[1] - b[1]) > 1.0:
            x = (a[0] + b[0]) / 2
            self.vlines.append((x, min(a[1], b[1]), x, max(a[1], b[1])))
        elif abs(a[0] - b[0]) > 1.0 and abs(a[1] - b[1]) > 1.0:
            self.hatches.append(((a[0] + b[0]) / 2, (a[1] + b[1]) / 2))


def _is_rectangle(points: Sequence[tuple[float, float]], closed: bool) -> bool:
    """Four corners (a fifth repeating the first) joined by axis-aligned sides."""
    corners = list(points)
    if len(corners) == 5 and _near(corners[0], corners[4]):
        corners = corners[:4]
    elif len(corners) != 4 or not closed:
        return False
    for i in range(4):
        a, b = corners[i], corners[(i + 1) % 4]
        if not (abs(a[0] - b[0]) < AXIS_TOLERANCE or abs(a[1] - b[1]) < AXIS_TOLERANCE):
            return False
    return True


def _corner(points: Sequence[tuple[float, float]], width: float, height: float) -> bool:
    """Whether a curve turns a corner: a quarter arc, its ends at opposite corners of its
    bounds (a half circle's ends share a side; a letter's stroke wanders)."""
    (x0, y0), (x1, y1) = points[0], points[-1]
    return abs(x1 - x0) >= 0.8 * width and abs(y1 - y0) >= 0.8 * height


def _returns(points: Sequence[tuple[float, float]], size: float) -> bool:
    """Whether a curve ends where it began (a circle drawn without closing it), unlike a
    rounded corner's quarter arc, whose ends lie a whole side apart."""
    (x0, y0), (x1, y1) = points[0], points[-1]
    return max(abs(x1 - x0), abs(y1 - y0)) <= max(1.0, 0.2 * size)


def _near(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return abs(a[0] - b[0]) < AXIS_TOLERANCE and abs(a[1] - b[1]) < AXIS_TOLERANCE

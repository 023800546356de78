"""A scanned page as the detector sees a printed one: its rules, boxes and circles found in the
pixels, its text from OCR, placed in page points.

A scan is an image: there is no path to walk and no text layer. This module turns the page's
grey pixels (rendered by `scan`) into the same `PagePrimitives` a born-digital page gives, so
one detector (`detect`) serves both:

- the page is deskewed first: the angle whose horizontal ink profile is sharpest, searched
  within `MAX_SKEW` degrees (a hand-fed scanner or a phone photo is a few degrees off);
- rules: ink that survives a morphological opening with a long thin kernel (horizontal or
  vertical), so letters vanish and lines stay; each line's run becomes a thin rectangle;
- boxes (checkbox squares, comb cells, `[ ]`) and circles (radio buttons): the holes of the
  ink, kept when square or round, small and empty, and bracket strokes facing each other;
- text: OCR words (`ocr.OcrWord`), split evenly into characters, with a space between the
  words of a line and a line break after each line, as pdfium reads a text layer.

Pure: arrays and values in, values out (OpenCV and numpy compute; nothing is read or written).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from trousseau.forms.geometry import iou
from trousseau.forms.model import Rect
from trousseau.forms.shapes import Char, PagePrimitives

Gray = NDArray[np.uint8]

MAX_SKEW = 4.0
"""Degrees either way the deskew searches."""
HLINE_MIN_PT = 18.0
"""A horizontal rule is at least this long (letters, even a run of them, are broken by gaps
and never this long once opened)."""
VLINE_MIN_PT = 14.0
"""A vertical rule is at least this tall: taller than any letter of a form's text."""
BOX_MIN_PT, BOX_MAX_PT = 5.0, 72.0
"""The inside of a checkbox or comb cell, in points."""
PLAIN_MAX_PT = 14.0
"""The inside of a checkbox, at most, in points: a square hole this small with straight
sides, empty or holding a mark (a tick, a cross, a dot), is drawn, whatever OCR made of it
(`Marks.plain`)."""
SURE = 70.0
"""OCR confidence from which a word is taken as read (`Char.sure`): on the benchmark's scans
typed answers read at 82 or more, the shading and hatching of blank cells at 65 or less."""
INK_BLOCK = 31
"""Pixels across the neighbourhood a pixel is compared with (about 4 mm at 200 dpi)."""
INK_CONTRAST = 12
"""Grey levels darker than its neighbourhood a pixel must be to count as ink."""
DARK_PX = 25
"""A dark area at least this many pixels across every way is a banner (reversed text on a
dark fill), not a mark: strokes of text and rules are far thinner."""
SPECK_PX = 8
"""Ink components smaller than this many pixels are scanner noise, not print (a full stop
at 8 pt is about 16 pixels at 200 dpi)."""
HATCH_MIN_PT = 10.0
"""A slanted stroke at least this long (each way) is hatching: a letter's diagonals are
shorter."""
LINE_MAX_PT = 4.0
"""A rule is at most this thick once blurred and binarised."""


@dataclass(frozen=True)
class OcrWord:
    """One word OCR read: its text, its box in pixels (left, top, right, bottom, origin at
    the top left), the line it belongs to and the engine's confidence (0-100)."""

    text: str
    box: tuple[int, int, int, int]
    line: tuple[int, int, int, int]
    confidence: float


@dataclass(frozen=True)
class Scale:
    """Pixels to page points: `dpi` pixels per inch, and the page's height in points (the
    origin moves from the top left of the image to the bottom left of the page)."""

    dpi: float
    height: float

    def x(self, px: float) -> float:
        return round(px * 72.0 / self.dpi, 2)

    def y(self, px: float) -> float:
        return round(self.height - px * 72.0 / self.dpi, 2)

    def rect(self, left: float, top: float, right: float, bottom: float) -> Rect:
        return (self.x(left), self.y(bottom), self.x(right), self.y(top))

    def px(self, points: float) -> int:
        return max(1, round(points * self.dpi / 72.0))

    def pixels(self, rect: Rect) -> tuple[int, int, int, int]:
        """A rectangle in page points as pixels (left, top, right, bottom): `rect` undone."""
        x0, y0, x1, y1 = rect
        k = self.dpi / 72.0
        return (
            round(x0 * k),
            round((self.height - y1) * k),
            round(x1 * k),
            round((self.height - y0) * k),
        )


# --- ink and skew -----------------------------------------------------------------------------


def ink(gray: Gray) -> Gray:
    """Dark marks as 255 on 0: pixels darker than their neighbourhood (a threshold per
    region, not one for the page: a form's grey rules and a dark banner's white text both
    stay marks), after a light blur against scanner noise."""
    smooth = cv2.GaussianBlur(gray, (3, 3), 0)
    mask = cv2.adaptiveThreshold(
        smooth, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, INK_BLOCK, INK_CONTRAST
    )
    dark = np.where(smooth < 110, 255, 0).astype(np.uint8)
    solid = cv2.getStructuringElement(cv2.MORPH_RECT, (DARK_PX, DARK_PX))
    banners = cv2.dilate(cv2.morphologyEx(dark, cv2.MORPH_OPEN, solid), np.ones((9, 9), np.uint8))
    mask[banners > 0] = 0  # a dark banner's reversed text holds nothing to fill in
    return np.asarray(mask, dtype=np.uint8)


def _rotate(image: Gray, degrees: float, *, fill: int) -> Gray:
    height, width = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2.0, height / 2.0), degrees, 1.0)
    turned = cv2.warpAffine(
        image,
        matrix,
        (width, height),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=fill,
    )
    return np.asarray(turned, dtype=np.uint8)


def _sharpness(mask: Gray) -> float:
    profile = mask.sum(axis=1, dtype=np.float64)
    return float(np.square(np.diff(profile)).sum())


def skew_angle(mask: Gray) -> float:
    """The rotation (degrees, counter-clockwise) that makes the page's lines of text and rules
    horizontal: the one whose row profile of ink changes most sharply from row to row."""
    small: Gray = np.asarray(
        cv2.resize(mask, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA), dtype=np.uint8
    )
    if not small.any():
        return 0.0

    def best(candidates: Sequence[float]) -> float:
        scored = [(_sharpness(_rotate(small, a, fill=0)), a) for a in candidates]
        return max(scored)[1]

    coarse = best([a / 2.0 for a in range(int(-2 * MAX_SKEW), int(2 * MAX_SKEW) + 1)])
    fine = best([coarse + a / 10.0 for a in range(-5, 6)])
    return round(fine, 2)


def deskew(gray: Gray) -> tuple[Gray, float]:
    """The page turned straight, and the angle it was turned by."""
    angle = skew_angle(ink(gray))
    if abs(angle) < 0.05:
        return gray, 0.0
    return _rotate(gray, angle, fill=255), angle


# --- shapes -----------------------------------------------------------------------------------


def _runs(mask: Gray, kernel: tuple[int, int]) -> list[tuple[int, int, int, int]]:
    opened = cv2.morphologyEx(
        mask, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, kernel)
    )
    count, _, stats, _ = cv2.connectedComponentsWithStats(opened, connectivity=8)
    return [
        (int(x), int(y), int(x + w), int(y + h))
        for x, y, w, h, _ in (stats[i] for i in range(1, count))
    ]


def _inside_lettering(mask: Gray, left: int, top: int, right: int, bottom: int) -> bool:
    """A horizontal run with letters' ink just below or just above it along its length:
    blurred letters that touched at their tops or along their baseline, not a rule (text is
    printed at least a few points under a rule; a value written on one covers a part of it)."""
    gap, depth = 2, 4
    below = mask[bottom + gap : bottom + gap + depth, left:right]
    above = mask[max(top - gap - depth, 0) : max(top - gap, 0), left:right]
    return any(band.size and band.mean() > 255 * 0.35 for band in (below, above))


def rules(mask: Gray, scale: Scale) -> tuple[list[Rect], list[Rect]]:
    """The horizontal and vertical rules of the page, as zero-thickness rectangles in points
    (the form `ShapeSink` gives a drawn rule)."""
    thick = scale.px(LINE_MAX_PT)
    walls = [r for r in _runs(mask, (1, scale.px(VLINE_MIN_PT))) if r[2] - r[0] <= thick]
    hlines: list[Rect] = []
    for left, top, right, bottom in _runs(mask, (scale.px(HLINE_MIN_PT), 1)):
        if bottom - top <= thick and not _inside_lettering(mask, left, top, right, bottom):
            y = scale.y((top + bottom) / 2.0)
            hlines.append((scale.x(left), y, scale.x(right), y))
            continue
        row = _walled_row(mask, (left, top, right, bottom), walls, scale)
        if row is not None:
            hlines.append((scale.x(left), scale.y(row), scale.x(right), scale.y(row)))
    vlines: list[Rect] = []
    for left, top, right, bottom in walls:
        x = scale.x((left + right) / 2.0)
        vlines.append((x, scale.y(bottom), x, scale.y(top)))
    return hlines, vlines


WALL_REACH_PT = 2.0
"""How far past a run's ends and its edges a vertical rule may stop and still cross it."""
RULE_ROW_INK = 0.9
"""Share of a run's length a rule's row is inked along (letters leave gaps)."""
ROW_RULE_MAX_PT = 1.5
"""Thickest row rule told from the letters written against it: a table's row rules are
hairlines (at most 1.5 pt of fully inked rows at 200 dpi), where the edge of a push
button's dark face runs solid for 3 pt and more."""


def _walled_row(
    mask: Gray,
    run: tuple[int, int, int, int],
    walls: Sequence[tuple[int, int, int, int]],
    scale: Scale,
) -> float | None:
    """The row of a table's rule that the letters written on both sides of it made thick,
    or lettering-like (a form filled in to the brim): one row inked along nine tenths of the
    run, crossed by three vertical rules at least, one of them at an end, as a table's row
    rule meets its cells' walls, where blurred letters run between walls, not across them.
    None when it is no such rule."""
    left, top, right, bottom = run
    near = scale.px(WALL_REACH_PT)
    crossing = [
        (wl + wr) / 2
        for wl, wt, wr, wb in walls
        if left - near <= (wl + wr) / 2 <= right + near and wt <= top + near and wb >= bottom - near
    ]
    if len(crossing) < 3 or (min(crossing) > left + near and max(crossing) < right - near):
        return None
    coverage = (mask[top:bottom, left:right] > 0).mean(axis=1)
    best = int(np.argmax(coverage))
    full = np.count_nonzero(coverage >= RULE_ROW_INK)
    if coverage[best] < RULE_ROW_INK or full > scale.px(ROW_RULE_MAX_PT):
        return None  # no line, or the edge of a filled block (a push button)
    return top + best + 0.5  # the middle of the row's pixels, as `rules` places a rule


DOT_GAP_PT = 2.0
"""Widest gap between the dashes of a dashed rule: a scan leaves a form's dashed writing line
as dashes this far apart (a dot leader's dots, twice as far, stay dots)."""
DASH_MAX_PT = 2.0
"""Thickest a dashed rule is once scanned: a thin line blurred; closed lettering is taller."""
DASHED_MIN_PT = 36.0
"""Shortest dashed rule: a line to write on; shorter dashed runs are underlined words."""


def dashed_rules(mask: Gray, scale: Scale, solid: Sequence[Rect]) -> list[Rect]:
    """The page's dashed horizontal rules (writing lines printed dashed, which a scan leaves
    as a row of dashes): runs that appear once gaps of `DOT_GAP_PT` are closed, no thicker
    than `DASH_MAX_PT`, not lettering, and not along a solid rule already found."""
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (scale.px(DOT_GAP_PT), 1))
    closed = np.asarray(cv2.morphologyEx(mask, cv2.MORPH_CLOSE, kernel), dtype=np.uint8)
    thick = scale.px(DASH_MAX_PT)
    found: list[Rect] = []
    for left, top, right, bottom in _runs(closed, (scale.px(DASHED_MIN_PT), 1)):
        if bottom - top > thick or _inside_lettering(mask, left, top, right, bottom):
            continue
        y = scale.y((top + bottom) / 2.0)
        line = (scale.x(left), y, scale.x(right), y)
        if not any(
            abs(r[1] - y) <= LINE_MAX_PT and min(r[2], line[2]) > max(r[0], line[0]) for r in solid
        ):
            found.append(line)
    return found


HOLE_PAD = 3
"""Pixels around a hole's box in `_hole`'s image (the erosion needs room at the edges)."""


def _hole(contour: NDArray[Any], box: tuple[int, int, int, int]) -> Gray:
    """A hole's inside, its own outline left out however jagged the scan made it (eroded by
    two pixels), as 255 on an image `HOLE_PAD` pixels larger than its box all round: found
    once for the tests of what the hole holds."""
    x, y, w, h = box
    m = HOLE_PAD
    inside = np.zeros((h + 2 * m, w + 2 * m), np.uint8)
    cv2.drawContours(inside, [contour - np.array([x - m, y - m], np.int32)], -1, 255, cv2.FILLED)
    return np.asarray(cv2.erode(inside, np.ones((5, 5), np.uint8)), dtype=np.uint8)


def _ink_inside(mask: Gray, hole: Gray, box: tuple[int, int, int, int]) -> float:
    """The share of ink in a band just inside a hole's edge (`hole`, `_hole`; a tick or a
    dot in the middle, a checked mark, is not counted)."""
    x, y, w, h = box
    m = HOLE_PAD
    core = max(3, int(min(w, h) * 0.3) | 1)
    centre = cv2.erode(hole, np.ones((core, core), np.uint8))
    band = np.where(centre > 0, 0, hole).astype(np.uint8)[m : m + h, m : m + w]
    area = int(np.count_nonzero(band))
    if not area:
        return 1.0
    return float(np.count_nonzero(mask[y : y + h, x : x + w] & band)) / area


def _straight(contour: NDArray[Any], box: tuple[int, int, int, int]) -> bool:
    """Whether a hole has straight sides, as a checkbox is drawn: most of its columns and
    rows span most of it, which a letter's round or D-shaped bowl does not."""
    x, y, w, h = box
    hole = np.zeros((h, w), np.uint8)
    cv2.drawContours(hole, [contour - np.array([x, y], np.int32)], -1, 1, cv2.FILLED)
    spans = min((hole.sum(axis=0) >= 0.8 * h).mean(), (hole.sum(axis=1) >= 0.8 * w).mean())
    return bool(spans >= 0.8)


def _plain(mask: Gray, contour: NDArray[Any], box: tuple[int, int, int, int]) -> bool:
    """A square hole as a checkbox is drawn: straight sides (`_straight`) and nothing in its
    middle (a push button's sign, a tick)."""
    x, y, w, h = box
    if not _straight(contour, box):
        return False
    m = max(2, min(w, h) // 5)
    middle = mask[y + m : y + h - m, x + m : x + w - m]
    return bool(middle.size) and bool(np.count_nonzero(middle) <= 0.03 * middle.size)


def _bracket(mask: Gray, box: tuple[int, int, int, int]) -> str | None:
    """ "[" or "]" for a component shaped like one (a tall stroke with feet on one side)."""
    x, y, w, h = box
    part = mask[y : y + h, x : x + w] > 0
    edge = max(1, h // 6)
    feet = part[:edge].any(axis=0) & part[-edge:].any(axis=0)
    if feet.sum() < 0.6 * w:
        return None
    middle = part[edge:-edge]
    if not middle.size:
        return None
    third = max(1, w // 3)
    left, right = middle[:, :third].mean(), middle[:, -third:].mean()
    if left > 2.5 * right and left > 0.3:
        return "["
    if right > 2.5 * left and right > 0.3:
        return "]"
    return None


@dataclass(frozen=True)
class Marks:
    """The page's marks to fill, in points: checkbox squares and comb cells (boxes), radio
    buttons (circles), and `[ ]` pairs (the rectangles of the two brackets). `plain` holds
    the boxes drawn as a checkbox is (straight sides, at most `PLAIN_MAX_PT`, empty or
    ticked): OCR often reads such a square as letters of the word beside it ("[_]YES",
    "ClYes", a crossed box as "XARMY"), which does not make it a letter's bowl."""

    boxes: list[Rect]
    circles: list[Rect]
    brackets: list[tuple[Rect, Rect]]
    plain: list[Rect] = field(default_factory=list)
    ticked: list[Rect] = field(default_factory=list)
    """The boxes and circles among them that hold a mark (a tick, a cross, a dot), and the
    spans of the `[ ]` pairs holding one."""

    def bracket_chars(self) -> list[Char]:
        """Each `[ ]` as the characters a text layer would hold, a line of its own: the
        detector reads a bracket pair as a checkbox (`detect.pieces`)."""
        chars: list[Char] = []
        for opening, closing in self.brackets:
            gap = (opening[2], opening[1], closing[0], closing[3])
            chars += [
                Char("\n", (0.0, 0.0, 0.0, 0.0), (0.0, 0.0, 0.0, 0.0)),
                Char("[", opening, opening),
                Char(" ", gap, gap),
                Char("]", closing, closing),
            ]
        return chars

    def tick_chars(self) -> list[Char]:
        """Each ticked box or circle's mark as the character a text layer would hold (✔),
        a line of its own, centred in it."""
        chars: list[Char] = []
        for x0, y0, x1, y1 in self.ticked:
            cx, cy, r = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 4
            mark = (cx - r, cy - r, cx + r, cy + r)
            chars += [
                Char("\n", (0.0, 0.0, 0.0, 0.0), (0.0, 0.0, 0.0, 0.0)),
                Char(TICK, mark, mark),
            ]
        return chars


TICK = "\u2714"


def _mark_inside(mask: Gray, hole: Gray, box: tuple[int, int, int, int]) -> Gray:
    """The ink inside a hole (`hole`, `_hole`), its own outline left out."""
    x, y, w, h = box
    m = HOLE_PAD
    return np.asarray(mask[y : y + h, x : x + w] & hole[m : m + h, m : m + w], np.uint8)


def _centred_mark(marked: Gray) -> bool:
    """Whether the ink inside a hole (`_mark_inside`) is one mark in its middle (a dot in a
    radio button, a small tick), clear of its edge, where a letter's bowl has ink along its
    edge and a boxed number ("12") is several marks."""
    h, w = marked.shape
    ys, xs = np.nonzero(marked)
    if not len(xs) or cv2.connectedComponents(marked)[0] != 2:
        return False  # no mark, or several (a number, letters)
    clear = 0.12
    return bool(
        xs.min() >= clear * w
        and xs.max() <= (1 - clear) * w
        and ys.min() >= clear * h
        and ys.max() <= (1 - clear) * h
        and abs((xs.min() + xs.max()) / 2 - w / 2) <= 0.15 * w
        and abs((ys.min() + ys.max()) / 2 - h / 2) <= 0.15 * h
    )


def _tick_shaped(marked: Gray) -> bool:
    """Whether the one mark in a hole is shaped as a tick, a cross or a dot: about as wide
    as tall, a third of the hole's height at least, without a hole of its own (where a
    boxed number's digits, run together by the scan, are wider, or hold a bowl)."""
    lone = _lone_mark(marked)
    return lone is not None and _tick_shape(lone, marked.shape[0], 0.3)


def _tick_shape(
    lone: tuple[tuple[int, int, int, int, int], bool], height: int, least: float
) -> bool:
    """Whether a lone mark (`_lone_mark`) is shaped as a tick, a cross or a dot: about as
    wide as tall, `least` of its hole's `height` at least, without a hole of its own."""
    (_, _, w, h, _), holed = lone
    return 0.75 <= w / h <= 1.33 and h >= least * height and not holed


def _tick_filling(marked: Gray, w: int, h: int, scale: Scale) -> bool:
    """Whether the one mark in a small square hole is a tick or a cross drawn across most of
    it (a ✔ glyph set to the box's size reaches its edges, which `_centred_mark` does not
    allow)."""
    if max(w, h) > scale.px(PLAIN_MAX_PT):
        return False
    lone = _lone_mark(marked)
    return lone is not None and _tick_shape(lone, h, 0.45)


def _lone_mark(image: Gray) -> tuple[tuple[int, int, int, int, int], bool] | None:
    """The one mark in an image (its left, top, width, height and area, and whether it has a
    hole of its own, as a letter's bowl does); None when it holds none or several."""
    count, _, stats, _ = cv2.connectedComponentsWithStats(image)
    if count != 2:
        return None
    x, y, w, h, area = (int(v) for v in stats[1])
    _, hierarchy = cv2.findContours(image.copy(), cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    return (x, y, w, h, area), any(parent >= 0 for *_, parent in hierarchy[0])


SIGN_SHARE = 0.8
"""Share of a thin mark's ink on its middle row or column from which it is a plus sign (a
push button's face). A tick or a cross spreads wider; a dot is no thin mark."""
FACE_SHADE = 30
"""Grey levels under the page's paper from which the inside of a box is shaded (its lighter
quarter, clear of the blur of its outline and its mark): a push button's face (▲ ▼ + - on
grey), where a checkbox is as white as the page."""


GROUND_SHARE = 0.25
"""Least share of a hole left as ground (clear of its mark's blur) for its shade to tell."""
SOLID_FILL = 0.9
"""Least share of a filled box's block (its broken outline cut off) that is ink."""
SOLID_FULL = 0.75
"""Least share of a filled box's rows and of its columns inked along nine tenths of their
length (the filled boxes of the benchmark's scans 0.82-0.94; bold letters run together
0.62 at most)."""


def _button_face(
    marked: Gray,
    contour: NDArray[Any],
    box: tuple[int, int, int, int],
    gray: Gray | None,
    paper: float,
) -> bool:
    """Whether the mark inside a hole (`marked`, `_mark_inside`) is a push button's face, not
    a tick, a cross or a dot: a plus or a minus sign drawn along its middle row and column,
    or any mark on a shaded ground (when the page's grey pixels are known)."""
    ys, xs = np.nonzero(marked)
    if not len(xs):
        return False
    cx, cy = (xs.min() + xs.max()) / 2, (ys.min() + ys.max()) / 2
    wide, tall = int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)
    if not 0.4 <= wide / tall <= 2.5:
        return True  # a bar: a minus sign
    crossed = ((np.abs(xs - cx) <= 0.15 * wide) | (np.abs(ys - cy) <= 0.15 * tall)).mean()
    if len(xs) <= 0.5 * wide * tall and crossed >= SIGN_SHARE:
        return True  # a plus sign's thin strokes, where a dot fills its square
    if gray is None:
        return False
    x, y, w, h = box
    outline = np.zeros((h, w), np.uint8)
    cv2.drawContours(outline, [contour - np.array([x, y], np.int32)], -1, 1, cv2.FILLED)
    hole = cv2.erode(outline, np.ones((5, 5), np.uint8))
    near = cv2.dilate(marked, np.ones((5, 5), np.uint8))
    ground = gray[y : y + h, x : x + w][(hole > 0) & (near == 0)]
    if not ground.size or ground.size < GROUND_SHARE * np.count_nonzero(hole):
        return False  # a radio button's dot leaves a thin ring, all blur: no ground to judge
    return float(np.percentile(ground, 75)) < paper - FACE_SHADE


def _ticked_between(inner: Gray) -> bool:
    """Whether the ink between a pair of brackets is one mark clear of both, about as wide
    as tall and without a hole (`[x]`, `[✔]`), where a bracketed word or sign (`($)`, `(a)`)
    holds letters."""
    if not inner.size:
        return False
    lone = _lone_mark(inner)
    if lone is None:
        return False
    (x, _, w, h, area), holed = lone
    return (
        x >= 1
        and x + w <= inner.shape[1] - 1
        and area <= 0.6 * inner.size
        and 0.75 <= w / h <= 1.5
        and h >= 0.35 * inner.shape[0]
        and not holed  # a letter's bowl ("(a)"), where a tick or a cross has none
    )


def _dotted_ring(mask: Gray, box: tuple[int, int, int, int]) -> bool:
    """Whether a round outline holds a solid dot in its middle (a chosen radio button, ◉),
    where a ring around a letter (©, @) holds the letter's strokes and its counter."""
    x, y, w, h = box
    part = mask[y : y + h, x : x + w] > 0
    yy, xx = np.mgrid[0:h, 0:w]
    r = ((xx - (w - 1) / 2) / w) ** 2 + ((yy - (h - 1) / 2) / h) ** 2
    middle = part[r <= 0.2**2]
    return bool(middle.size) and float(middle.mean()) >= 0.95


def _solid_square(
    mask: Gray,
    box: tuple[int, int, int, int],
    scale: Scale,
    gray: Gray | None,
    paper: float,
) -> Rect | None:
    """The square of a filled (checked) box drawn as one solid block, in points (with its
    outline when the scan merged the two); None for any other shape. A light outline around
    a dark fill (■ in a grey □) leaves broken strokes stuck to the block, so the block is
    measured without them (an opening a fifth of its size wide). Bold letters that the blur
    ran together are no block: notches are left between them, so fewer of their rows and
    columns run full. A block on a dark ground (the edge of a banner) is no box either: a
    checkbox stands on the paper."""
    x, y, w, h = box
    part = mask[y : y + h, x : x + w]
    size = max(3, min(w, h) // 5)
    core = np.asarray(
        cv2.morphologyEx(part, cv2.MORPH_OPEN, np.ones((size, size), np.uint8)), np.uint8
    )
    found = _lone_mark(core)
    if found is None:
        return None
    (cx, cy, cw, ch, area), holed = found
    if (
        holed
        or abs(cw - ch) > 0.15 * max(cw, ch)
        or not scale.px(5.5) <= min(cw, ch)
        or area < SOLID_FILL * cw * ch
        or cw * ch < 0.6 * w * h
    ):
        return None
    block = core[cy : cy + ch, cx : cx + cw] > 0
    full = min((block.sum(axis=0) >= 0.9 * ch).mean(), (block.sum(axis=1) >= 0.9 * cw).mean())
    if full < SOLID_FULL:
        return None
    left, top = x + cx, y + cy
    if gray is not None:
        m = scale.px(2.0)
        x0, y0 = max(0, left - m), max(0, top - m)
        around = gray[y0 : top + ch + m, x0 : left + cw + m]
        ring = np.ones(around.shape, bool)
        ring[top - y0 : top - y0 + ch, left - x0 : left - x0 + cw] = False
        if ring.any() and float(np.median(around[ring])) < paper - FACE_SHADE:
            return None
    return scale.rect(left, top, left + cw, top + ch)


def _ticked_square(mask: Gray, box: tuple[int, int, int, int]) -> bool:
    """Whether an outline is a square drawn with a mark across it (a tick or a cross that
    splits its inside): its four sides inked along their length, ink in its middle."""
    x, y, w, h = box
    part = mask[y : y + h, x : x + w] > 0
    band = max(1, min(w, h) // 8)
    sides = (
        part[:band].any(axis=0).mean(),
        part[-band:].any(axis=0).mean(),
        part[:, :band].any(axis=1).mean(),
        part[:, -band:].any(axis=1).mean(),
    )
    middle = part[h // 3 : h - h // 3, w // 3 : w - w // 3]
    return min(sides) >= 0.9 and bool(middle.size) and middle.mean() >= 0.1


def marks(mask: Gray, scale: Scale, gray: Gray | None = None) -> Marks:
    """Checkbox squares and comb cells, radio buttons, and `[ ]` pairs: empty square or round
    holes in the ink (each as the outline around it), and bracket strokes facing each other.
    The page's `gray` pixels, when given, tell a push button's shaded face from a ticked box."""
    contours, hierarchy = cv2.findContours(mask, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_NONE)
    if not len(contours):
        return Marks([], [], [])
    paper = float(np.median(gray[::8, ::8][mask[::8, ::8] == 0])) if gray is not None else 255.0
    low, high = scale.px(BOX_MIN_PT), scale.px(BOX_MAX_PT)
    pad = scale.px(0.5)
    small = scale.px(PLAIN_MAX_PT)
    boxes: list[Rect] = []
    plain: list[Rect] = []
    circles: list[Rect] = []
    opening: list[tuple[int, int, int, int]] = []
    closing: list[tuple[int, int, int, int]] = []
    brackets: list[tuple[Rect, Rect]] = []
    ticked: list[Rect] = []
    split: list[Rect] = []
    dotted: list[Rect] = []
    faces: list[Rect] = []
    for contour, (_, _, child, parent) in zip(contours, hierarchy[0], strict=True):
        x, y, w, h = cv2.boundingRect(contour)
        if parent < 0:
            if (
                child >= 0
                and scale.px(6.0) <= w <= scale.px(20.0)
                and abs(w - h) <= 0.15 * max(w, h)
                and cv2.contourArea(contour) >= 0.85 * w * h
                and _ticked_square(mask, (x, y, w, h))
            ):
                split.append(scale.rect(x + pad, y + pad, x + w - pad, y + h - pad))
                continue  # a square a tick or a cross splits (unless its hole is found)
            if (
                child >= 0
                and scale.px(6.0) <= w <= scale.px(20.0)
                and abs(w - h) <= 0.15 * max(w, h)
                and 0.65 <= cv2.contourArea(contour) / float(w * h) <= 0.85
                and _dotted_ring(mask, (x, y, w, h))
            ):
                dotted.append(scale.rect(x - pad, y - pad, x + w + pad, y + h + pad))
                continue  # a chosen radio button whose dot the blur ran into its ring
            if child < 0 and scale.px(5.5) <= min(w, h) and max(w, h) <= scale.px(20.0):
                solid = _solid_square(mask, (x, y, w, h), scale, gray, paper)
                if solid is not None:  # a filled (checked) square
                    boxes.append(solid)
                    ticked.append(solid)
                    if max(solid[2] - solid[0], solid[3] - solid[1]) <= PLAIN_MAX_PT:
                        plain.append(solid)
                    continue
            if child < 0 and scale.px(6.0) <= h <= scale.px(18.0) and w <= 0.45 * h:
                side = _bracket(mask, (x, y, w, h))
                if side is not None:
                    (opening if side == "[" else closing).append((x, y, w, h))
            continue
        if not (low <= w <= high and low <= h <= high) or abs(w - h) > 0.25 * max(w, h):
            continue
        hole = _hole(contour, (x, y, w, h))
        ink = _mark_inside(mask, hole, (x, y, w, h)) if w <= scale.px(20.0) else None
        if _ink_inside(mask, hole, (x, y, w, h)) > 0.06:
            if ink is None or not (_centred_mark(ink) or _tick_filling(ink, w, h, scale)):
                continue  # a letter's bowl or a box written in, not a mark to tick
            marked = True  # a dot in a radio button, a small tick in a box
        else:  # a mark may stand in the middle, clear of the edge
            marked = ink is not None and _centred_mark(ink) and _tick_shaped(ink)
        if marked and ink is not None and _button_face(ink, contour, (x, y, w, h), gray, paper):
            faces.append(scale.rect(x, y, x + w, y + h))
            continue  # a push button, nothing to fill
        fill = cv2.contourArea(contour) / float(w * h)
        outline = scale.rect(x - pad, y - pad, x + w + pad, y + h + pad)
        if fill >= 0.8:
            boxes.append(outline)
            if (
                w <= small
                and h <= small
                and (
                    _straight(contour, (x, y, w, h))
                    if marked
                    else _plain(mask, contour, (x, y, w, h))
                )
            ):
                plain.append(outline)
        elif 0.6 <= fill < 0.8 and w >= scale.px(6.0):
            circles.append(outline)
        else:
            continue
        if marked:
            ticked.append(outline)
    for x, y, w, h in opening:
        for cx, cy, cw, ch in closing:
            gap = cx - (x + w)
            overlap = min(y + h, cy + ch) - max(y, cy)
            if scale.px(2.0) <= gap <= scale.px(20.0) and overlap >= 0.7 * max(h, ch):
                inner = mask[max(y, cy) : min(y + h, cy + ch), x + w : cx]
                empty = inner.size and inner.mean() <= 255 * 0.05
                if empty or _ticked_between(inner):
                    brackets.append(
                        (scale.rect(x, y, x + w, y + h), scale.rect(cx, cy, cx + cw, cy + ch))
                    )
                    if not empty:
                        ticked.append(scale.rect(x, min(y, cy), cx + cw, max(y + h, cy + ch)))
                    break
    for ring in dotted:
        if not any(iou(ring, c) > 0.5 for c in (*circles, *boxes, *faces)):
            circles.append(ring)
            ticked.append(ring)
    for square in split:
        if not any(iou(square, b) > 0.5 for b in (*boxes, *faces)):
            boxes.append(square)
            ticked.append(square)
            if square[2] - square[0] <= PLAIN_MAX_PT and square[3] - square[1] <= PLAIN_MAX_PT:
                plain.append(square)  # its four sides are straight (`_ticked_square`)
    return Marks(boxes, circles, brackets, plain, ticked)


def hatches(mask: Gray, scale: Scale) -> list[tuple[float, float]]:
    """The midpoints of slanted strokes (hatching that marks a cell "do not fill"), in points:
    ink that survives an opening along either diagonal, longer than a letter's stroke."""
    size = scale.px(HATCH_MIN_PT)
    found: list[tuple[float, float]] = []
    for kernel in (np.eye(size, dtype=np.uint8), np.fliplr(np.eye(size, dtype=np.uint8))):
        opened = cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel)
        count, _, stats, centres = cv2.connectedComponentsWithStats(opened, connectivity=8)
        for i in range(1, count):
            if stats[i, 2] >= size - 2 and stats[i, 3] >= size - 2:
                found.append((scale.x(float(centres[i][0])), scale.y(float(centres[i][1]))))
    return found


def without_rules(gray: Gray, mask: Gray, scale: Scale) -> Gray:
    """What OCR reads: the page with its rules, its paper and its specks of noise painted
    white (an underline touching a word turns its letters into noise, and Tesseract reads a
    noisy blank page for seconds), the marks left as scanned. `mask` is the page's `ink`."""
    thick = scale.px(LINE_MAX_PT)
    lines = np.zeros_like(mask)
    for kernel, across in (((scale.px(HLINE_MIN_PT), 1), 3), ((1, scale.px(VLINE_MIN_PT)), 2)):
        opened = cv2.morphologyEx(
            mask, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, kernel)
        )
        count, labels, stats, _ = cv2.connectedComponentsWithStats(opened, connectivity=8)
        thin = np.zeros(count, np.uint8)
        thin[1:] = np.where(stats[1:, across] <= thick, 255, 0)
        lines = np.maximum(lines, thin[labels])
    lines = np.asarray(cv2.dilate(lines, np.ones((3, 3), np.uint8)), dtype=np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    specks = np.zeros(count, np.uint8)
    specks[1:] = np.where(stats[1:, 4] < SPECK_PX, 255, 0)
    marks = np.asarray(cv2.dilate(mask, np.ones((3, 3), np.uint8)), dtype=np.uint8)
    clean = gray.copy()
    clean[(lines > 0) | (marks == 0) | (specks[labels] > 0)] = 255
    return clean


# --- boxes on a tinted ground -----------------------------------------------------------------

GROUND_BLUR = 7
"""Side of the box blur that evens out scanner noise before paper and tint are told apart."""
TINT_MIN_SHARE = 0.08
"""Least share of the page a ground's tint must cover (within two grey levels)."""
TINT_DEPTH = (5, 30)
"""How much darker than the paper a tint may be, in grey levels (more is shading)."""
WHITE_FILL = 0.8
"""Least share of its bounding box a white region fills to be a box."""
RING_PX = 5
"""Width of the ring around a white region that must be tint, in pixels."""
RING_TINT = 5
"""How far from the tint's grey level a pixel of that ring may be."""
RING_SHARE = 0.3
"""Least share of that ring at the tint's level (neither paper, nor the rules and text of
a ruled cell: a table on white paper beside a shaded band holds no white boxes)."""


def white_boxes(gray: Gray, scale: Scale) -> list[Rect]:
    """White boxes printed on a tinted ground, with no outline (the 1040's name and amount
    boxes on its pale cyan): the page's paper and tint levels from its grey histogram, then
    the rectangular regions of paper white surrounded by tint (RING_SHARE). None on a page without
    a tinted ground."""
    smooth = cv2.blur(gray, (GROUND_BLUR, GROUND_BLUR))
    counts = np.bincount(smooth.ravel(), minlength=256).astype(np.int64)
    paper = 200 + int(np.argmax(counts[200:]))
    shallow, deep = TINT_DEPTH
    tint, share = paper, 0.0
    for level in range(max(0, paper - deep), paper - shallow + 1):
        mass = float(counts[max(0, level - 2) : level + 3].sum()) / smooth.size
        if mass > share:
            tint, share = level, mass
    if share < TINT_MIN_SHARE:
        return []
    middle = (paper + tint) / 2
    above = np.where(smooth >= middle, 255, 0).astype(np.uint8)
    white = cv2.morphologyEx(above, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    count, _, stats, _ = cv2.connectedComponentsWithStats(white, connectivity=4)
    rows, columns = gray.shape[:2]
    found: list[Rect] = []
    for x, y, w, h, area in stats[1:count]:
        if w < scale.px(15.0) or h < scale.px(8.0) or w * h > 0.25 * rows * columns:
            continue
        if area < WHITE_FILL * w * h:
            continue
        if x == 0 or y == 0 or x + w == columns or y + h == rows:
            continue  # the paper at the page's edge
        x0, y0 = max(0, x - RING_PX), max(0, y - RING_PX)
        x1, y1 = min(columns, x + w + RING_PX), min(rows, y + h + RING_PX)
        window = smooth[y0:y1, x0:x1]
        around = np.abs(window.astype(np.int16) - tint) <= RING_TINT
        around[y - y0 : y - y0 + h, x - x0 : x - x0 + w] = False
        ring = window.size - w * h
        if ring <= 0 or int(np.count_nonzero(around)) < RING_SHARE * ring:
            continue
        found.append(scale.rect(x, y, x + w, y + h))
    return found


# --- second reading ---------------------------------------------------------------------------

STRIP_GAP = 24
"""White pixels around each cell's ink in a `Strip`: apart enough to read as lines of
their own."""
STRIP_INK = 160
"""A pixel darker than this in the OCR image is ink."""
STRIP_MIN_INK = 12
"""Fewest ink pixels that make a cell worth reading again (less is a speck)."""


@dataclass(frozen=True, eq=False)
class Strip:
    """The insides of some cells cut from a page's OCR image and stacked one under another
    on white, to be read in one OCR call as a block of lines (a tax form's line numbers,
    which OCR's sparse reading of the page skipped). `slots` holds, for each cell kept, its
    top and height in the strip and its left and top in the page's pixels."""

    image: Gray
    slots: tuple[tuple[int, int, int, int], ...]
    """(top in the strip, height, left in the page, top in the page) per cell."""

    def words(self, read: Sequence[OcrWord]) -> list[OcrWord]:
        """The words read on the strip, moved to where their cell is on the page (each a
        line of its own)."""
        placed = []
        for word in read:
            middle = (word.box[1] + word.box[3]) / 2
            for top, height, left, page_top in self.slots:
                if top <= middle < top + height:
                    dx, dy = left - STRIP_GAP, page_top - top
                    x0, y0, x1, y1 = word.box
                    box = (x0 + dx, y0 + dy, x1 + dx, y1 + dy)
                    placed.append(OcrWord(word.text, box, box, word.confidence))
                    break
        return placed


def strip_of(clean: Gray, cells: Sequence[Rect], scale: Scale) -> Strip | None:
    """The cells (page points) holding ink in the OCR image `clean` (`without_rules`), as a
    `Strip`; None when none holds any. Each is cut a point inside its edges (what is left
    of its rules stays out)."""
    inset = scale.px(1.0)
    rows, columns = clean.shape[:2]
    crops: list[tuple[int, int, Gray]] = []
    for cell in cells:
        x0, y0, x1, y1 = scale.pixels(cell)
        left, top = max(0, x0 + inset), max(0, y0 + inset)
        right, bottom = min(columns, x1 - inset), min(rows, y1 - inset)
        if right <= left or bottom <= top:
            continue
        crop = clean[top:bottom, left:right]
        if int(np.count_nonzero(crop < STRIP_INK)) >= STRIP_MIN_INK:
            crops.append((left, top, crop))
    if not crops:
        return None
    width = max(c.shape[1] for _, _, c in crops) + 2 * STRIP_GAP
    height = sum(c.shape[0] + STRIP_GAP for _, _, c in crops) + STRIP_GAP
    image = np.full((height, width), 255, np.uint8)
    slots = []
    y = STRIP_GAP
    for left, top, crop in crops:
        h, w = crop.shape[:2]
        image[y : y + h, STRIP_GAP : STRIP_GAP + w] = crop
        slots.append((y, h, left, top))
        y += h + STRIP_GAP
    return Strip(image, tuple(slots))


# --- text -------------------------------------------------------------------------------------

LOOSE = 0.15
"""OCR boxes hug the ink; a text layer's character box runs from the font's ascent to its
descent. Each OCR line is widened by this share of its height above and below, so the
detector's measures of a line of text (a label cell is under 2.2 lines tall) hold on scans."""

_SHAPE_ONLY = set("_-|=~.,:;'\"`[](){}<>/\\¦\u2013\u2014")


def _is_text(word: OcrWord) -> bool:
    """A word that is text, not OCR's reading of a rule or a stray speck."""
    if not word.text.strip() or all(ch in _SHAPE_ONLY for ch in word.text):
        return False
    return not (word.confidence < 20 and len(word.text) <= 2)


_ROUND = set("Oo0")


def _rings_read(box: Rect, text: str, circles: Sequence[Rect]) -> bool:
    """Whether a word is OCR's reading of the radio buttons in it ("OO" over two rings): it
    holds only round letters, one for each circle inside it, where a word whose letter's
    bowl is a circle holds other letters too."""
    if not set(text) <= _ROUND:
        return False
    return sum(1 for c in circles if _inside_any(c, [box])) >= len(text)


def _inside_any(rect: Rect, shapes: Sequence[Rect]) -> bool:
    cx, cy = (rect[0] + rect[2]) / 2, (rect[1] + rect[3]) / 2
    return any(s[0] <= cx <= s[2] and s[1] <= cy <= s[3] for s in shapes)


def characters(words: Sequence[OcrWord], scale: Scale, shapes: Sequence[Rect]) -> list[Char]:
    """The words as the text layer's characters: each word's box split evenly among its
    letters (a letter OCR read inside a box or circle is that mark, not text, and is left
    out), a space between the words of a line, a line break after each line."""
    chars: list[Char] = []
    previous: OcrWord | None = None
    for word in words:
        if not _is_text(word):
            continue
        left, top, right, bottom = word.box
        step = (right - left) / max(len(word.text), 1)
        reach = LOOSE * (max(bottom, word.line[3]) - min(top, word.line[1]))
        high, low = min(top, word.line[1]) - reach, max(bottom, word.line[3]) + reach
        letters = [
            Char(ch, scale.rect(x0, high, x1, low), glyph, word.confidence >= SURE)
            for i, ch in enumerate(word.text)
            if not _inside_any(
                glyph := scale.rect(x0 := left + i * step, top, x1 := x0 + step, bottom), shapes
            )
        ]
        letters = [c for c in letters if c.text not in "_|¦"]  # a rule read as letters
        if not letters:
            continue
        if previous is not None:
            if previous.line != word.line:
                chars.append(Char("\n", (0.0, 0.0, 0.0, 0.0), (0.0, 0.0, 0.0, 0.0)))
            else:
                gap = scale.rect(previous.box[2], top, left, bottom)
                chars.append(Char(" ", gap, gap))
        chars.extend(letters)
        previous = word
    return chars


def _through_text(line: Rect, words: Sequence[Rect]) -> bool:
    """A horizontal run through the middle of the words of a line of text, hardly longer
    than they are: letters blurred together, not a rule."""
    covered = 0.0
    for x0, y0, x1, y1 in words:
        band = 0.15 * (y1 - y0)
        if y0 + band <= line[1] <= y1 - band:
            covered += max(0.0, min(line[2], x1) - max(line[0], x0))
    return covered >= 0.7 * (line[2] - line[0])


@dataclass(frozen=True)
class InkShapes:
    """What a page's pixels show before its words are known: rules, marks, hatching and the
    boxes of a tinted ground. Found once a page, whatever its OCR readings."""

    hlines: list[Rect]
    vlines: list[Rect]
    marks: Marks
    hatches: list[tuple[float, float]]
    grounds: list[Rect]


def ink_shapes(mask: Gray, scale: Scale, gray: Gray | None = None) -> InkShapes:
    """A deskewed page's shapes from its ink (`ink`), and the boxes of its tinted ground
    (`white_boxes`) when its grey pixels are given."""
    hlines, vlines = rules(mask, scale)
    grounds = white_boxes(gray, scale) if gray is not None else []
    return InkShapes(hlines, vlines, marks(mask, scale, gray), hatches(mask, scale), grounds)


def scan_primitives(
    mask: Gray,
    words: Sequence[OcrWord],
    *,
    dpi: float,
    width: float,
    height: float,
    shapes: InkShapes | None = None,
) -> PagePrimitives:
    """A deskewed page's ink (`ink`) and its OCR words as the detector's primitives; its
    `shapes` when already found (`ink_shapes`: a page read twice finds them once)."""
    scale = Scale(dpi, height)
    drawn = shapes if shapes is not None else ink_shapes(mask, scale)
    hlines, vlines = drawn.hlines, drawn.vlines
    boxes_of_words = [scale.rect(*w.box) for w in words if _is_text(w)]
    hlines = [line for line in hlines if not _through_text(line, boxes_of_words)]
    dashed = [
        line
        for line in dashed_rules(mask, scale, hlines)
        if not _through_text(line, boxes_of_words)
    ]
    found = drawn.marks
    lettered = [
        box
        for w, box in ((w, scale.rect(*w.box)) for w in words)
        if _is_text(w)
        and sum(c.isalnum() for c in w.text) >= 2
        and not _rings_read(box, w.text, found.circles)
    ]
    plain = set(found.plain)
    boxes = [b for b in found.boxes if b in plain or not _inside_any(b, lettered)]
    circles = [c for c in found.circles if not _inside_any(c, lettered)]  # a letter's bowl
    dropped = {*found.boxes, *found.circles} - {*boxes, *circles}
    found = Marks(
        boxes,
        circles,
        found.brackets,
        found.plain,
        [t for t in found.ticked if t not in dropped],
    )
    outlines = [*found.boxes, *found.circles, *(b for pair in found.brackets for b in pair)]
    return PagePrimitives(
        width=width,
        height=height,
        chars=(
            *characters(words, scale, outlines),
            *found.bracket_chars(),
            *found.tick_chars(),
        ),
        hlines=(*hlines, *dashed),
        vlines=tuple(vlines),
        boxes=(*found.boxes, *drawn.grounds),
        circles=tuple(found.circles),
        hatches=tuple(drawn.hatches),
        dotted=tuple(dashed),
        images=1,
    )

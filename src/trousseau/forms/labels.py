"""A field's label from the page's text, pure: the nearest text run to its left or above
(to its right first for a checkbox or a radio button, where forms put their captions).

Runs and rectangles are in the same displayed-page coordinates (`geometry.to_displayed`).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from trousseau.forms.model import Rect

MAX_SIDE_GAP = 200.0
"""Farthest a label on the same line may stand from its field, in points."""
MAX_ABOVE_GAP = 40.0
"""Farthest a label above may stand from its field, in points (about two lines)."""
_TRIM = " \t_:.*|-\u2026\u2013\u2014\u2610\u25a1\u25cb"  # leaders, dashes, empty boxes


@dataclass(frozen=True)
class TextRun:
    """A run of text on a page (pdfium's rectangles: characters of one line and style)."""

    text: str
    rect: Rect


def clean_label(text: str) -> str | None:
    """The text as a label: spaces collapsed, leaders (underscores, dots, colons, boxes) taken
    off both ends; None when nothing is left or it is too long to be a caption."""
    words = " ".join(text.split()).strip(_TRIM).strip()
    if not words or len(words) > 160 or not any(ch.isalnum() for ch in words):
        return None
    return words


def _same_line(field: Rect, run: Rect) -> bool:
    overlap = min(field[3], run[3]) - max(field[1], run[1])
    shortest = max(min(field[3] - field[1], run[3] - run[1]), 0.1)
    centre = (run[1] + run[3]) / 2
    return overlap >= 0.5 * shortest or field[1] <= centre <= field[3]


def nearest_label(
    rect: Rect, runs: Sequence[TextRun], *, caption_right: bool = False
) -> str | None:
    """The cleaned text of the run nearest to `rect` on its left (same line) or above it
    (overlapping it across), within MAX_SIDE_GAP / MAX_ABOVE_GAP; with `caption_right`, a run
    to its right on the same line is preferred. None when no run is near."""
    return Labels.of_runs(runs).nearest(rect, caption_right=caption_right)


class Labels:
    """A page's candidate labels ordered by their bottom edge: a dense form asks for hundreds
    of fields' labels, and each looks only at the runs that can stand on its line or just
    above it, not at the whole page (`nearest_label` for one field). A run's text is asked
    of `text_of` (its index) only when it is the nearest candidate left, and cleaned once:
    reading a rectangle's text is most of what pdfium's page text costs."""

    def __init__(self, rects: Sequence[Rect], text_of: Callable[[int], str]) -> None:
        rects = [(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)) for x0, y0, x1, y1 in rects]
        self._rects = rects
        self._text_of = text_of
        self._cleaned: dict[int, str | None] = {}
        candidates = sorted((rect[1], order, rect) for order, rect in enumerate(rects))
        self._candidates = candidates
        self._bottoms = [c[0] for c in candidates]
        self._tallest = max((r[3] - r[1] for r in rects), default=0.0)

    def runs(self) -> list[TextRun]:
        """Every run with its text, in the page's order (normalised rectangles)."""
        return [TextRun(self._text_of(order), rect) for order, rect in enumerate(self._rects)]

    @classmethod
    def of_runs(cls, runs: Sequence[TextRun]) -> Labels:
        """The labels of runs whose text is known."""
        return cls([run.rect for run in runs], lambda order: runs[order].text)

    def nearest(self, rect: Rect, *, caption_right: bool = False) -> str | None:
        """The label `nearest_label` gives `rect` among this page's runs."""
        fx0, fy0, fx1, fy1 = rect
        # A run on the field's line overlaps it in height; one above starts within the gap
        # (from 2 pt under the field's top). The window only picks the candidates, so it is
        # a point wider than the rules, which then decide (a 40 pt gap rounds either way).
        first = bisect.bisect_left(self._bottoms, min(fy0 - self._tallest, fy1 - 2) - 1.0)
        last = bisect.bisect_right(self._bottoms, fy1 + MAX_ABOVE_GAP + 1.0)
        costs: list[tuple[float, int]] = []
        for ry0, order, run in self._candidates[first:last]:
            rx0, _, rx1, _ = run
            if _same_line(rect, run) and rx1 <= fx0 + 2 and fx0 - rx1 <= MAX_SIDE_GAP:
                costs.append((max(fx0 - rx1, 0.0), order))
            elif (
                caption_right
                and _same_line(rect, run)
                and rx0 >= fx1 - 2
                and rx0 - fx1 <= MAX_SIDE_GAP
            ):
                costs.append((max(rx0 - fx1, 0.0) * 0.5, order))
            elif ry0 >= fy1 - 2 and ry0 - fy1 <= MAX_ABOVE_GAP and rx0 < fx1 and rx1 > fx0 - 5:
                costs.append((2 * max(ry0 - fy1, 0.0) + 0.05 * abs(rx0 - fx0), order))
        for _, order in sorted(costs):
            text = self._label(order)
            if text is not None:
                return text
        return None

    def _label(self, order: int) -> str | None:
        """The run's cleaned text; None when there is nothing to read or the run is a line
        set vertically (a margin note)."""
        try:
            return self._cleaned[order]
        except KeyError:
            pass
        text = clean_label(self._text_of(order))
        rx0, ry0, rx1, ry1 = self._rects[order]
        if text is not None and len(text) > 2 and ry1 - ry0 > 1.5 * (rx1 - rx0):
            text = None
        self._cleaned[order] = text
        return text

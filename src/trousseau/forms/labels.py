"""A field's label from the page's text, pure: the nearest text run to its left or above
(to its right first for a checkbox or a radio button, where forms put their captions).

Runs and rectangles are in the same displayed-page coordinates (`geometry.to_displayed`).
"""

from __future__ import annotations

from collections.abc import Sequence
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
    fx0, _, fx1, fy1 = rect
    best: tuple[float, str] | None = None
    for run in runs:
        text = clean_label(run.text)
        rx0, ry0, rx1, ry1 = run.rect
        if text is None or (len(text) > 2 and ry1 - ry0 > 1.5 * (rx1 - rx0)):
            continue  # nothing to read, or a line set vertically (a margin note)
        cost: float | None = None
        if _same_line(rect, run.rect) and rx1 <= fx0 + 2 and fx0 - rx1 <= MAX_SIDE_GAP:
            cost = max(fx0 - rx1, 0.0)
        elif (
            caption_right
            and _same_line(rect, run.rect)
            and rx0 >= fx1 - 2
            and rx0 - fx1 <= MAX_SIDE_GAP
        ):
            cost = max(rx0 - fx1, 0.0) * 0.5
        elif ry0 >= fy1 - 2 and ry0 - fy1 <= MAX_ABOVE_GAP and rx0 < fx1 and rx1 > fx0 - 5:
            cost = 2 * max(ry0 - fy1, 0.0) + 0.05 * abs(rx0 - fx0)
        if cost is not None and (best is None or cost < best[0]):
            best = (cost, text)
    return best[1] if best is not None else None

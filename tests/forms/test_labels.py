"""Labels from the page text, pure: the nearest run on the left, above, or (for a checkbox)
on the right, within reach; leaders and margin notes ignored."""

from __future__ import annotations

import random

import pytest

from trousseau.forms.labels import (
    MAX_ABOVE_GAP,
    MAX_SIDE_GAP,
    Labels,
    TextRun,
    _same_line,
    clean_label,
    nearest_label,
)
from trousseau.forms.model import Rect

FIELD = (200.0, 700.0, 400.0, 715.0)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Bride's   name:  ", "Bride's name"),
        ("Date ________", "Date"),
        ("☐ Vegetarian", "Vegetarian"),
        ("Phone (mobile)", "Phone (mobile)"),
        ("______", None),
        ("", None),
        ("x" * 200, None),
    ],
)
def test_clean_label(raw: str, expected: str | None) -> None:
    assert clean_label(raw) == expected


def test_the_nearest_run_on_the_left_wins() -> None:
    runs = [
        TextRun("Far away:", (10, 702, 60, 712)),
        TextRun("Venue:", (150, 702, 190, 712)),
        TextRun("Next line", (150, 650, 190, 660)),
    ]
    assert nearest_label(FIELD, runs) == "Venue"


def test_a_caption_above_is_found_when_nothing_is_left() -> None:
    runs = [
        TextRun("Wedding date", (200, 718, 280, 728)),
        TextRun("Far above", (200, 790, 280, 800)),
    ]
    assert nearest_label(FIELD, runs) == "Wedding date"


def test_nothing_near_is_no_label() -> None:
    runs = [
        TextRun("Too far above", (200, 780, 280, 790)),
        TextRun("Right of it", (420, 702, 500, 712)),
    ]
    assert nearest_label(FIELD, runs) is None


def test_a_checkbox_caption_is_on_its_right() -> None:
    box = (100.0, 500.0, 110.0, 510.0)
    runs = [TextRun("Vegetarian", (114, 500, 170, 510)), TextRun("Meals:", (20, 500, 60, 510))]
    assert nearest_label(box, runs, caption_right=True) == "Vegetarian"
    assert nearest_label(box, runs) == "Meals"


def test_a_margin_note_set_vertically_is_not_a_label() -> None:
    runs = [TextRun("Print or type", (180, 600, 190, 760))]
    assert nearest_label(FIELD, runs) is None


def _every_run(rect: Rect, runs: list[TextRun], caption_right: bool) -> str | None:
    """The rule read literally: every run costed, the cheapest readable one (first on ties)."""
    best: tuple[float, str] | None = None
    fx0, _, fx1, fy1 = rect
    for run in runs:
        text = clean_label(run.text)
        rx0, ry0, rx1, ry1 = run.rect
        if text is None or (len(text) > 2 and ry1 - ry0 > 1.5 * (rx1 - rx0)):
            continue
        cost = None
        if _same_line(rect, run.rect) and rx1 <= fx0 + 2 and fx0 - rx1 <= MAX_SIDE_GAP:
            cost = max(fx0 - rx1, 0.0)
        elif caption_right and _same_line(rect, run.rect) and fx1 - 2 <= rx0 <= fx1 + MAX_SIDE_GAP:
            cost = max(rx0 - fx1, 0.0) * 0.5
        elif fy1 - 2 <= ry0 <= fy1 + MAX_ABOVE_GAP and rx0 < fx1 and rx1 > fx0 - 5:
            cost = 2 * max(ry0 - fy1, 0.0) + 0.05 * abs(rx0 - fx0)
        if cost is not None and (best is None or cost < best[0]):
            best = (cost, text)
    return best[1] if best is not None else None


@pytest.mark.parametrize("seed", range(20))
def test_looking_near_the_line_finds_what_looking_everywhere_finds(seed: int) -> None:
    rng = random.Random(seed)
    words = ["Name:", "____", "Date", "", "Guests", "☐", "Venue address", "x" * 170, "Phone"]
    runs = []
    for _ in range(120):
        x, y = rng.uniform(0, 560), rng.uniform(0, 780)
        w, h = rng.uniform(2, 160), rng.choice([8.0, 10.0, 12.0, 60.0])
        runs.append(TextRun(rng.choice(words), (x, y, x + w, y + h)))
    labels = Labels.of_runs(runs)
    for _ in range(60):
        x, y = rng.uniform(0, 560), rng.uniform(0, 780)
        rect = (x, y, x + rng.uniform(8, 200), y + rng.uniform(8, 20))
        for caption_right in (False, True):
            expected = _every_run(rect, runs, caption_right)
            assert labels.nearest(rect, caption_right=caption_right) == expected


def test_only_the_nearest_candidates_text_is_read() -> None:
    rects = [
        (10.0, 700.0, 190.0, 712.0),
        (500.0, 100.0, 560.0, 112.0),
        (200.0, 722.0, 300.0, 734.0),
    ]
    asked: list[int] = []

    def text_of(order: int) -> str:
        asked.append(order)
        return ["____", "Far away", "Bride's name"][order]

    assert Labels(rects, text_of).nearest(FIELD) == "Bride's name"
    assert asked == [
        0,
        2,
    ]  # the leader on the left first, then the caption above; never the far run


@pytest.mark.parametrize(
    ("field", "run"),
    [
        ((0.0, 5.0, 50.0, 19.761), (0.0, 59.761, 40.0, 69.761)),  # exactly 40 pt above
        ((0.0, 100.0, 50.0, 100.5), (0.0, 98.6, 40.0, 99.6)),  # a hairline field, 1 pt runs
        ((100.0, 100.0, 200.0, 110.0), (10.0, 110.0, 90.0, 100.0)),  # a rectangle upside down
    ],
)
def test_runs_at_the_edges_of_the_rules_are_found(field: Rect, run: Rect) -> None:
    assert nearest_label(field, [TextRun("Name", run)]) == "Name"

"""Labels from the page text, pure: the nearest run on the left, above, or (for a checkbox)
on the right, within reach; leaders and margin notes ignored."""

from __future__ import annotations

import pytest

from trousseau.forms.labels import TextRun, clean_label, nearest_label

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

"""Page geometry: a /Rect as a person sees it on the displayed (cropped, turned) page."""

from __future__ import annotations

import pytest

from trousseau.forms.geometry import normalise_box, normalise_rotation, to_displayed, union

LETTER = (0.0, 0.0, 612.0, 792.0)


def test_any_two_opposite_corners_make_the_same_box() -> None:
    assert normalise_box([300, 720, 100, 700]) == (100.0, 700.0, 300.0, 720.0)
    assert normalise_box([100, 720, 300, 700]) == (100.0, 700.0, 300.0, 720.0)


@pytest.mark.parametrize("bad", [[1, 2, 3], [0, 0, float("nan"), 1], [0, 0, float("inf"), 1]])
def test_a_malformed_box_is_refused(bad: list[float]) -> None:
    with pytest.raises(ValueError):
        normalise_box(bad)


@pytest.mark.parametrize(("rotate", "expected"), [(0, 0), (90, 90), (-90, 270), (450, 90), (45, 0)])
def test_rotation_is_a_quarter_turn(rotate: int, expected: int) -> None:
    assert normalise_rotation(rotate) == expected


def test_the_crop_box_origin_is_subtracted() -> None:
    assert to_displayed((110, 520, 210, 540), (10, 20, 410, 620), 0) == (100, 500, 200, 520)


@pytest.mark.parametrize(
    ("rotation", "expected"),
    [
        (0, (100.0, 700.0, 300.0, 720.0)),
        # Turned clockwise: the page is 792 wide and 612 high; (x, y) lands at (y, 612 - x).
        (90, (700.0, 312.0, 720.0, 512.0)),
        (180, (312.0, 72.0, 512.0, 92.0)),
        (270, (72.0, 100.0, 92.0, 300.0)),
    ],
)
def test_a_turned_page_moves_the_box_where_it_is_seen(
    rotation: int, expected: tuple[float, ...]
) -> None:
    assert to_displayed((100, 700, 300, 720), LETTER, rotation) == expected


def test_corners_of_the_page_stay_corners_whatever_the_turn() -> None:
    """The bottom-left square of the unturned page ends at the corner the turn takes it to."""
    square = (0.0, 0.0, 10.0, 10.0)
    assert to_displayed(square, LETTER, 90) == (0.0, 602.0, 10.0, 612.0)  # top left
    assert to_displayed(square, LETTER, 180) == (602.0, 782.0, 612.0, 792.0)  # top right
    assert to_displayed(square, LETTER, 270) == (782.0, 0.0, 792.0, 10.0)  # bottom right


def test_union_holds_every_box() -> None:
    assert union([(0, 0, 1, 1), (5, -1, 6, 0.5)]) == (0, -1, 6, 1)

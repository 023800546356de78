"""Printed-form detection: the pure detector on primitives written by hand, a PDF drawn in
the test and read back through pdfium, and the shared flat and scanned files."""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest
from pikepdf import Dictionary, Name

from trousseau.forms import FieldType, FormKind, read_form
from trousseau.forms.detect import detect_fields, infer_type, iou, pieces
from trousseau.forms.flat import detect_pages, page_primitives
from trousseau.forms.model import Field, Rect
from trousseau.forms.shapes import Char, PagePrimitives, Paint, ShapeSink


def chars(text: str, x: float, y: float, size: float = 10.0) -> list[Char]:
    """Characters of one line at baseline y, each 0.5 em wide (loose box from the descent to
    the ascent, an underscore's ink at the baseline)."""
    out = []
    for i, ch in enumerate(text):
        x0, x1 = x + i * size * 0.5, x + (i + 1) * size * 0.5
        loose = (x0, y - 0.2 * size, x1, y + 0.9 * size)
        glyph = (x0, y - 0.12 * size, x1, y - 0.05 * size) if ch == "_" else loose
        out.append(Char(ch, loose, glyph))
    return out


def page(**kwargs: object) -> PagePrimitives:
    return PagePrimitives(width=612, height=792, **kwargs)  # type: ignore[arg-type]


def close(a: Rect | None, b: Rect, within: float = 2.0) -> bool:
    return a is not None and all(abs(p - q) <= within for p, q in zip(a, b, strict=True))


def ruled(xs: tuple[float, ...], ys: tuple[float, ...]) -> dict[str, tuple[Rect, ...]]:
    """A table's rules: a horizontal rule at each of `ys` and a vertical at each of `xs`."""
    return {
        "hlines": tuple((xs[0], y, xs[-1], y) for y in ys),
        "vlines": tuple((x, ys[0], x, ys[-1]) for x in xs),
    }


def only(fields: list[Field]) -> Field:
    assert len(fields) == 1, fields
    return fields[0]


def test_an_underscore_run_after_a_label_is_a_text_line() -> None:
    field = only(detect_fields(page(chars=tuple(chars("Venue: __________", 72, 700))), 0))
    assert field.type is FieldType.TEXT
    assert field.label == "Venue"
    assert field.source == "detected"
    assert close(field.rect, (107, 698.8, 157, 714.8))
    assert field.name == "p1.venue"


def test_a_rule_after_a_date_label_is_a_date() -> None:
    primitives = page(chars=tuple(chars("Wedding date:", 72, 700)), hlines=((145, 700, 300, 700),))
    field = only(detect_fields(primitives, 2))
    assert (field.type, field.label, field.page) == (FieldType.DATE, "Wedding date", 2)
    assert close(field.rect, (145, 699, 300, 715))


def test_a_rule_with_its_caption_below_is_a_signature() -> None:
    primitives = page(
        chars=tuple(chars("Client signature", 72, 640, 8)), hlines=((72, 652, 300, 652),)
    )
    field = only(detect_fields(primitives, 0))
    assert (field.type, field.label) == (FieldType.SIGNATURE, "Client signature")


def test_a_rule_under_text_is_an_underline_not_a_field() -> None:
    primitives = page(
        chars=tuple(chars("Terms and conditions", 72, 700)), hlines=((72, 698, 172, 698),)
    )
    assert detect_fields(primitives, 0) == []


def test_a_tall_box_under_its_caption_is_multiline() -> None:
    primitives = page(
        chars=tuple(chars("Dietary requirements", 72, 700)), boxes=((72, 620, 540, 695),)
    )
    field = only(detect_fields(primitives, 0))
    assert (field.type, field.label, field.rect) == (
        FieldType.MULTILINE,
        "Dietary requirements",
        (72, 620, 540, 695),
    )


def test_equal_boxes_side_by_side_are_comb_cells() -> None:
    cells = tuple((200 + 16 * i, 600, 216 + 16 * i, 616) for i in range(5))
    primitives = page(chars=tuple(chars("Postcode:", 140, 604)), boxes=cells)
    field = only(detect_fields(primitives, 0))
    assert (field.type, field.max_length, field.rect) == (FieldType.COMB, 5, (200, 600, 280, 616))


def test_small_squares_are_checkboxes_captioned_to_their_right() -> None:
    primitives = page(
        chars=tuple(chars("Vegan", 86, 601) + chars("Halal", 186, 601)),
        boxes=((72, 600, 82, 610), (172, 600, 182, 610)),
    )
    fields = detect_fields(primitives, 0)
    assert [(f.type, f.label) for f in fields] == [
        (FieldType.CHECKBOX, "Vegan"),
        (FieldType.CHECKBOX, "Halal"),
    ]


@pytest.mark.parametrize("text", ["\u2610 Drone photos", "[ ] Drone photos", "[   ] Drone photos"])
def test_box_glyphs_and_brackets_are_checkboxes(text: str) -> None:
    field = only(detect_fields(page(chars=tuple(chars(text, 72, 600))), 0))
    assert (field.type, field.label) == (FieldType.CHECKBOX, "Drone photos")
    assert field.rect is not None and field.rect[0] == 72


def test_circles_on_one_line_are_one_radio_group() -> None:
    primitives = page(
        chars=tuple(
            chars("Package:", 72, 601) + chars("Silver", 146, 601) + chars("Gold", 216, 601)
        ),
        circles=((130, 600, 140, 610), (200, 600, 210, 610)),
    )
    field = only(detect_fields(primitives, 0))
    assert (field.type, field.label) == (FieldType.RADIO, "Package")
    assert [(o.label, o.rect) for o in field.options] == [
        ("Silver", (130, 600, 140, 610)),
        ("Gold", (200, 600, 210, 610)),
    ]
    assert len(field.widgets) == 2


def test_circle_glyphs_and_parentheses_are_radio_buttons() -> None:
    text = "Meal: \u25cb Fish ( ) Meat"
    field = only(detect_fields(page(chars=tuple(chars(text, 72, 600))), 0))
    assert field.type is FieldType.RADIO
    assert [o.label for o in field.options] == ["Fish", "Meat"]


def test_empty_cells_of_a_ruled_table_are_labelled_by_their_header() -> None:
    table = ruled((72.0, 142.0, 300.0), (600.0, 620.0, 640.0, 660.0))
    header = chars("Time", 76, 645) + chars("Contact phone", 146, 645)
    fields = detect_fields(page(chars=tuple(header), **table), 0)
    assert sorted((f.rect, f.label, f.type) for f in fields) == sorted(
        [
            ((72, 620, 142, 640), "Time", FieldType.TEXT),
            ((142, 620, 300, 640), "Contact phone", FieldType.PHONE),
            ((72, 600, 142, 620), "Time", FieldType.TEXT),
            ((142, 600, 300, 620), "Contact phone", FieldType.PHONE),
        ]
    )


def test_hatched_cells_are_not_fields() -> None:
    sink = ShapeSink()
    sink.add_subpath([(72, 600), (92, 620)], curved=False, closed=False)
    sink.add_subpath([(80, 600), (100, 620)], curved=False, closed=False)
    sink.add_subpath([(90, 600), (110, 620)], curved=False, closed=False)
    primitives = page(boxes=((72, 600, 142, 620),), hatches=tuple(sink.hatches))
    assert detect_fields(primitives, 0) == []
    assert detect_fields(page(boxes=((72, 600, 142, 620),)), 0) != []


def test_cells_filled_with_a_pattern_are_not_fields() -> None:
    sink = ShapeSink()
    sink.add_rect((72, 600, 142, 620), Paint.PATTERN)
    assert sink.boxes == [] and sink.patterned == [(72, 600, 142, 620)]
    cell = ruled((72, 142), (600, 620))
    assert detect_fields(page(**cell, patterned=tuple(sink.patterned)), 0) == []
    assert len(detect_fields(page(**cell), 0)) == 1


def test_a_dark_square_with_a_letter_is_a_line_marker_not_a_checkbox() -> None:
    sink = ShapeSink()
    sink.add_rect((300, 600, 312, 612), Paint.DARK)
    assert sink.boxes == sink.dark == [(300, 600, 312, 612)]
    label = chars("Opening inventory", 200, 603)
    marked = page(
        chars=tuple(label + chars("A", 303, 603)), boxes=(sink.boxes[0],), dark=(sink.dark[0],)
    )
    assert detect_fields(marked, 0) == []
    ticked = page(
        chars=tuple(label + chars("\u2714", 303, 603)), boxes=(sink.boxes[0],), dark=(sink.dark[0],)
    )
    assert only(detect_fields(ticked, 0)).type is FieldType.CHECKBOX
    light = page(chars=tuple(label + chars("A", 303, 603)), boxes=(sink.boxes[0],))
    assert only(detect_fields(light, 0)).type is FieldType.CHECKBOX


@pytest.mark.parametrize(
    ("sign", "field"), [("+", False), ("\u25b2", False), ("\u2714", True), ("X", True)]
)
def test_a_square_showing_a_button_sign_is_a_button_not_a_checkbox(sign: str, field: bool) -> None:
    primitives = page(chars=tuple(chars(sign, 303, 603)), boxes=((300, 600, 312, 612),))
    assert len(detect_fields(primitives, 0)) == (1 if field else 0)


def test_a_cell_with_a_line_marker_in_its_corner_is_still_a_field() -> None:
    hlines = ((441, 228, 543, 228), (441, 252, 543, 252))
    vlines = ((441, 228, 441, 252), (543, 228, 543, 252))
    marker = (441, 240, 453, 252)
    text = chars("Total", 380, 235) + chars("14", 443, 242, size=8)
    primitives = page(
        chars=tuple(text), hlines=hlines, vlines=vlines, boxes=(marker,), dark=(marker,)
    )
    assert [f.rect for f in detect_fields(primitives, 0)] == [(441, 228, 543, 252)]


def test_a_narrow_cell_holding_a_line_number_is_not_a_field() -> None:
    hlines = ((300, 600, 500, 600), (300, 618, 500, 618))
    vlines = ((300, 600, 300, 618), (325, 600, 325, 618), (500, 600, 500, 618))
    text = chars("Wages, salaries, tips", 100, 604) + chars("2b", 307, 604)
    fields = detect_fields(page(chars=tuple(text), hlines=hlines, vlines=vlines), 0)
    assert [f.rect for f in fields] == [(325, 600, 500, 618)]
    boxed = chars("Wages", 100, 604) + chars("2a", 302, 604)
    fields = detect_fields(page(chars=tuple(boxed), boxes=((300, 600, 400, 618),)), 0)
    assert [f.rect for f in fields] == [(300, 600, 400, 618)]  # a number at a wide box's edge


def test_a_column_of_line_numbers_is_no_field_where_a_number_is_misread_or_missing() -> None:
    """A scan's OCR misreads a tax form's "1c" as "te" and leaves another number out: the
    cells still stand in a column that numbers the lines, and take no answer. A cell with
    the same edges lower down, not stacked under them, is no part of that column."""
    grid = ruled((300, 325, 500), (500, 514, 528, 542, 556, 570))
    text: list[Char] = []
    for number, y in (("1a", 559), ("1b", 545), ("te", 531), ("1d", 517), ("", 503)):
        text += chars("Wages, salaries", 100, y) + chars(number, 307, y)
    fields = detect_fields(page(chars=tuple(text), **grid), 0)
    assert sorted(f.rect for f in fields if f.rect and f.rect[0] >= 300) == [
        (325, y0, 500, y1)
        for y0, y1 in ((500, 514), (514, 528), (528, 542), (542, 556), (556, 570))
    ]
    apart = ruled((300, 325, 500), (300, 314))  # the same edges lower down, not stacked
    lines = {k: grid[k] + apart[k] for k in grid}
    fields = detect_fields(page(chars=tuple(text), **lines), 0)
    assert (300, 300, 325, 314) in [f.rect for f in fields]


def test_a_tall_row_numbered_on_its_last_line_takes_its_amounts_there() -> None:
    """An item two lines long makes its row of amount cells two lines tall; its line number
    (`4a`) is on the last line, where the amounts go (a tax form's 1040NR page 4)."""
    grid = ruled((300, 325, 400, 500), (500, 514, 528, 542, 570))
    numbers = chars("3", 310, 503) + chars("2", 310, 517) + chars("1", 310, 531)

    def amounts(number: list[Char]) -> list[Rect]:
        fields = detect_fields(page(chars=tuple(numbers + number), **grid), 0)
        return sorted(f.rect for f in fields if f.rect and f.rect[3] > 545 and f.rect[0] >= 325)

    assert amounts(chars("4a", 307, 546)) == [(325, 542, 400, 556), (400, 542, 500, 556)]
    assert amounts(chars("4a", 307, 556)) == [(325, 542, 400, 570), (400, 542, 500, 570)]
    assert amounts([]) == [(325, 542, 400, 570), (400, 542, 500, 570)]  # no number: whole
    rows = ((500, 514), (514, 528), (528, 542), (542, 570))
    drawn = [(x0, y0, x1, y1) for y0, y1 in rows for x0, x1 in ((300, 325), (325, 400))]
    boxes = page(chars=tuple(numbers + chars("4a", 307, 546)), boxes=tuple(drawn))
    fields = detect_fields(boxes, 0)  # drawn boxes, no ruled table (as a scan finds them)
    assert (325, 542, 400, 556) in [f.rect for f in fields]
    alone = page(chars=tuple(chars("4a", 307, 546)), **grid)  # no other row is numbered
    fields = detect_fields(alone, 0)  # one line is the amount column's usual cell
    assert (325, 542, 400, 556) in [f.rect for f in fields]


def test_a_dotted_leader_running_to_a_box_is_not_a_field() -> None:
    sink = ShapeSink()
    sink.add_subpath([(215, 602), (420, 602)], curved=False, closed=False, dashed=True)
    assert sink.hlines == sink.dotted == [(215, 602, 420, 602)]
    text = chars("Wages, salaries, tips", 100, 604) + chars("7", 446, 604)
    boxes = ((436, 598, 460, 616), (460, 598, 560, 616))
    leader = page(
        chars=tuple(text), hlines=tuple(sink.hlines), dotted=tuple(sink.dotted), boxes=boxes
    )
    assert [f.rect for f in detect_fields(leader, 0)] == [(460, 598, 560, 616)]
    solid = page(chars=tuple(text), hlines=tuple(sink.hlines), boxes=boxes)
    assert len(detect_fields(solid, 0)) == 2  # a rule to write on, then the amount's box


def test_a_dotted_rule_with_no_words_before_it_is_a_line_to_write_on() -> None:
    """An item's blank lines are dotted rules running to the amount's box like its leader
    (1040NR Schedule A, "List type and amount"), but no words lead to them."""
    item = chars("Other expenses. List type and amount", 100, 622) + chars("7", 446, 604)
    blank = (100.0, 602.0, 420.0, 602.0)
    boxes = ((436, 598, 460, 616), (460, 598, 560, 616))
    lines = page(chars=tuple(item), hlines=(blank,), dotted=(blank,), boxes=boxes)
    assert sorted(f.rect for f in detect_fields(lines, 0)) == [
        (100, 601, 420, 617),
        (460, 598, 560, 616),
    ]
    words = chars("Wages, salaries, tips", 100, 604) + chars("7", 446, 604)  # a leader
    leader = (215.0, 602.0, 420.0, 602.0)  # from 10 pt after its words
    led = page(chars=tuple(words), hlines=(leader,), dotted=(leader,), boxes=boxes)
    assert [f.rect for f in detect_fields(led, 0)] == [(460, 598, 560, 616)]
    arrow = chars("Wages, salaries, tips \u25b6", 100, 604) + chars("7", 446, 604)
    entry = page(chars=tuple(arrow), hlines=(leader,), dotted=(leader,), boxes=boxes)
    assert len(detect_fields(entry, 0)) == 2  # after a `▶`: the place to write


def test_a_tall_cell_open_at_the_margin_beside_a_closed_one_is_a_field() -> None:
    """The cents column of a tax form's amounts has no rule at the page's edge; its cell is
    as tall as the dollars' cell beside it (a row numbered on its last line)."""
    hlines = ((300.0, 500.0, 430.0, 500.0), (300.0, 560.0, 430.0, 560.0))
    closed = ((300.0, 500.0, 300.0, 560.0), (400.0, 500.0, 400.0, 560.0))
    fields = detect_fields(page(hlines=hlines, vlines=closed), 0)
    assert sorted(f.rect for f in fields) == [(300, 500, 400, 560), (400, 500, 430, 560)]
    alone = detect_fields(page(hlines=hlines, vlines=closed[1:]), 0)
    assert (400, 500, 430, 560) not in [f.rect for f in alone]


def test_cells_drawn_open_under_the_rule_above_are_fields() -> None:
    """1040NR draws a line's number and amount boxes inside the text column as a bottom rule
    and sides that stop 3 pt under the rule above; dashed sides that stop short divide one
    field into its parts (an SSN's groups) and make no cells."""
    rules = ((300.0, 500.0, 430.0, 500.0), (100.0, 512.0, 430.0, 512.0))
    sides = tuple((x, 500.0, x, 509.0) for x in (300.0, 330.0, 400.0, 430.0))
    number = chars("9b", 310, 502)
    fields = detect_fields(page(chars=tuple(number), hlines=rules, vlines=sides), 0)
    assert sorted(f.rect for f in fields) == [(330, 500, 400, 512), (400, 500, 430, 512)]
    frame = ((300.0, 500.0, 300.0, 512.0), (430.0, 500.0, 430.0, 512.0))
    dashes = ((340.0, 500.0, 340.0, 509.0), (370.0, 500.0, 370.0, 509.0))
    ssn = page(hlines=rules, vlines=frame + dashes, dotted=dashes)
    assert [f.rect for f in detect_fields(ssn, 0)] == [(300, 500, 430, 512)]
    low = ((300.0, 500.0, 430.0, 500.0), (300.0, 510.0, 430.0, 510.0))  # a row 10 pt tall
    ticks = tuple((x, 500.0, x, 506.0) for x in (300.0, 430.0))  # ticks, not sides
    ticked = [f.rect for f in detect_fields(page(hlines=low, vlines=ticks), 0)]
    assert (300, 500, 430, 510) not in ticked


def test_a_cell_shaded_in_pieces_is_not_a_field() -> None:
    cell = ruled((300, 400), (600, 640))
    halves = ((300, 600, 400, 613), (300, 613, 400, 627), (300, 627, 400, 640))
    assert detect_fields(page(**cell, patterned=halves), 0) == []
    assert len(detect_fields(page(**cell, patterned=halves[:1]), 0)) == 1


def test_a_capitalised_caption_at_a_row_boxs_left_is_followed_by_its_field() -> None:
    """A government form rules a row as one box, its caption at the left ("CASE NUMBER")
    and the answer after it; a caption with its own empty box beside it labels that box."""
    row = page(chars=tuple(chars("CASE NUMBER", 20, 604)), boxes=((18, 600, 300, 616),))
    field = only(detect_fields(row, 0))
    assert (field.label, field.rect) == ("CASE NUMBER", (77, 600, 300, 616))
    colon = page(chars=tuple(chars("Zip code:", 20, 604)), boxes=((18, 600, 200, 616),))
    assert only(detect_fields(colon, 0)).rect == (67, 600, 200, 616)
    beside = page(
        chars=tuple(chars("CASE NUMBER", 20, 604)),
        boxes=((18, 600, 150, 616), (150, 600, 300, 616)),
    )
    assert only(detect_fields(beside, 0)).rect == (150, 600, 300, 616)
    header = page(
        chars=tuple(chars("NAME", 20, 604)), boxes=((18, 600, 300, 616), (18, 584, 300, 600))
    )
    assert [f.rect for f in detect_fields(header, 0)] == [(18, 584, 300, 600)]  # its column
    table = page(chars=tuple(chars("Interest payments", 20, 604)), boxes=((18, 600, 300, 616),))
    assert detect_fields(table, 0) == []  # a table's information, in mixed case


def test_a_row_of_captions_ending_with_colons_is_followed_by_their_fields() -> None:
    """DD 293 rules "ARMY: ___ NAVY: ___ AIR / FORCE: ___" as one box two lines tall, a
    caption on two lines among them; each caption's answer follows it."""
    text = (
        chars("ARMY:", 20, 604)
        + chars("NAVY:", 120, 604)
        + chars("AIR", 220, 611)
        + chars("FORCE:", 220, 599)
    )
    row = page(chars=tuple(text), boxes=((18, 596, 400, 622),))
    assert [(f.label, f.rect) for f in detect_fields(row, 0)] == [
        ("ARMY", (47, 596, 118, 622)),
        ("NAVY", (147, 596, 218, 622)),
        ("AIR FORCE", (252, 596, 400, 622)),
    ]
    plain = chars("ARMY:", 20, 604) + chars("NAVY", 120, 604)  # a caption without its colon
    assert detect_fields(page(chars=tuple(plain), boxes=((18, 600, 400, 616),)), 0) == []
    over = chars("Name of", 20, 624) + chars("applicant", 20, 612)  # at the top, room under
    field = only(detect_fields(page(chars=tuple(over), boxes=((18, 600, 300, 634),)), 0))
    assert field.rect[1] == 600 and field.rect[3] < 611  # the space under the caption


def test_a_capitalised_caption_with_an_aside_is_followed_by_its_field() -> None:
    """ "EMAIL (Address Required)": the aside, in mixed case and set apart, is part of the
    caption and does not make it a table's information."""
    text = chars("EMAIL", 20, 604) + chars("(Address Required)", 52, 604)
    row = page(chars=tuple(text), boxes=((18, 600, 400, 616),))
    field = only(detect_fields(row, 0))
    assert (field.label, field.rect) == ("EMAIL (Address Required)", (144, 600, 400, 616))


def test_a_box_filled_with_a_label_is_a_label_cell() -> None:
    primitives = page(chars=tuple(chars("Applicant name", 76, 604)), boxes=((72, 600, 200, 616),))
    assert detect_fields(primitives, 0) == []


def test_names_are_unique_on_a_page() -> None:
    text = chars("Date: _____", 72, 700) + chars("Date: _____", 72, 650)
    assert [f.name for f in detect_fields(page(chars=tuple(text)), 0)] == ["p1.date", "p1.date_2"]


@pytest.mark.parametrize(
    ("label", "shape", "expected"),
    [
        ("DOB", "line", FieldType.DATE),
        ("Rehearsal (mm/dd/yyyy)", "line", FieldType.DATE),
        ("E-mail", "line", FieldType.EMAIL),
        ("Tel.", "box", FieldType.PHONE),
        ("Phone number", "line", FieldType.PHONE),
        ("# of guests", "line", FieldType.NUMBER),
        ("Amount ($)", "box", FieldType.NUMBER),
        ("Signature of client", "line", FieldType.SIGNATURE),
        ("Date of signature", "line", FieldType.DATE),
        ("Select a package", "box", FieldType.CHOICE),
        ("Notes", "multiline", FieldType.MULTILINE),
        ("Code", "comb", FieldType.COMB),
        ("Venue", "line", FieldType.TEXT),
        (None, "line", FieldType.TEXT),
        ("Date", "checkbox", FieldType.CHECKBOX),
        ("Email", "radio", FieldType.RADIO),
    ],
)
def test_infer_type(label: str | None, shape: str, expected: FieldType) -> None:
    assert infer_type(label, shape) is expected


def test_pieces_split_at_wide_gaps_and_leaders() -> None:
    text = chars("Name: ____", 72, 700) + chars("Age", 300, 700)
    assert [(p.kind, p.text) for p in pieces(text)] == [
        ("text", "Name:"),
        ("leader", "____"),
        ("text", "Age"),
    ]


def test_shape_sink_sorts_rectangles_rules_and_circles() -> None:
    sink = ShapeSink()
    sink.add_subpath([(10, 10), (60, 10), (60, 30), (10, 30)], curved=False, closed=True)
    sink.add_subpath([(10, 50), (60, 50), (60, 51), (10, 51)], curved=False, closed=True)
    sink.add_subpath([(0, 0), (0, 40)], curved=False, closed=False)
    sink.add_subpath([(5, 5), (15, 5), (15, 15), (5, 15)], curved=True, closed=True)
    assert sink.boxes == [(10, 10, 60, 30)]
    assert sink.hlines == [(10, 50.5, 60, 50.5)]
    assert sink.vlines == [(0, 0, 0, 40)]
    assert sink.circles == [(5, 5, 15, 15)]
    again = ShapeSink()  # a rectangle drawn with a zero-length first side (`m` then `l` there)
    again.add_subpath(
        [(10, 10), (10, 10), (60, 10), (60, 30), (10, 30), (10, 10)], curved=False, closed=True
    )
    assert again.boxes == [(10, 10, 60, 30)] and again.hlines == []
    assert iou((0, 0, 10, 10), (5, 0, 15, 10)) == pytest.approx(1 / 3)


def test_a_rounded_frame_gives_no_radio_buttons_and_no_lines_to_write_on() -> None:
    """A margin note in a frame with rounded corners (the 1040's "Attach Sch. B if
    required"): each corner is a quarter arc, neither a radio button nor the end of a line."""
    sink = ShapeSink()
    for arc in (
        [(34, 249), (31, 249), (29, 247), (29, 244)],
        [(81, 249), (84, 249), (86, 247), (86, 244)],
        [(34, 219), (31, 219), (29, 221), (29, 224)],
        [(81, 219), (84, 219), (86, 221), (86, 224)],
    ):
        sink.add_subpath(arc, curved=True, closed=False)
    for side in ([(34, 249), (81, 249)], [(34, 219), (81, 219)]):
        sink.add_subpath(side, curved=False, closed=False)
    for side in ([(29, 224), (29, 244)], [(86, 224), (86, 244)]):
        sink.add_subpath(side, curved=False, closed=False)
    assert sink.circles == [] and len(sink.arcs) == 4
    note = chars("Attach Sch. B", 33, 236, 6) + chars("if required.", 33, 228, 6)
    frame = page(
        chars=tuple(note),
        hlines=tuple(sink.hlines),
        vlines=tuple(sink.vlines),
        arcs=tuple(sink.arcs),
    )
    assert detect_fields(frame, 0) == []
    sides = page(chars=tuple(note), hlines=tuple(sink.hlines), vlines=tuple(sink.vlines))
    assert detect_fields(sides, 0) != []  # without its corners, its top is a line to write on
    ring = ShapeSink()  # a circle drawn as four curves that end where they began, unclosed
    ring.add_subpath([(10, 5), (15, 10), (10, 15), (5, 10), (10, 5)], curved=True, closed=False)
    assert ring.circles == [(5, 5, 15, 15)] and ring.arcs == []
    half = ShapeSink()  # a half circle's ends share a side: no corner
    half.add_subpath([(5, 10), (7, 14), (10, 15), (13, 14), (15, 10)], curved=True, closed=False)
    assert half.arcs == [] and half.circles == []


def drawn_form() -> bytes:
    """A one-page printed form: underscores, a rule, a box, comb cells, a checkbox, a ☐-less
    `[ ]`, and a scanned second page (an image, no text)."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(612, 792))
    pdf.add_blank_page(page_size=(612, 792))
    font = Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica)
    first = pdf.pages[0].obj
    first.Resources = Dictionary(Font=Dictionary(F1=font))
    first.Contents = pdf.make_stream(
        b"BT /F1 10 Tf 72 700 Td (Couple: ____________________) Tj ET\n"
        b"BT /F1 10 Tf 72 660 Td (E-mail:) Tj ET 0.6 w 120 660 m 320 660 l S\n"
        b"BT /F1 10 Tf 72 630 Td (Special requests) Tj ET 0.6 w 72 560 468 60 re S\n"
        b"BT /F1 10 Tf 72 524 Td (ZIP:) Tj ET 0.6 w 100 520 16 16 re S 116 520 16 16 re S "
        b"132 520 16 16 re S 148 520 16 16 re S 164 520 16 16 re S\n"
        b"0.6 w 72 480 10 10 re S BT /F1 10 Tf 86 481 Td (Vegetarian) Tj ET\n"
        b"BT /F1 10 Tf 72 450 Td ([   ] Photo booth) Tj ET\n"
    )
    second = pdf.pages[1].obj
    image = pdf.make_stream(
        b"\x80" * 64,
        Type=Name.XObject,
        Subtype=Name.Image,
        Width=8,
        Height=8,
        ColorSpace=Name.DeviceGray,
        BitsPerComponent=8,
    )
    second.Resources = Dictionary(XObject=Dictionary(Im0=image))
    second.Contents = pdf.make_stream(b"q 612 0 0 792 0 0 cm /Im0 Do Q")
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def test_a_drawn_form_reads_back_its_fields_and_reports_its_scan() -> None:
    report = read_form(drawn_form(), name="printed.pdf")
    assert report.kind is FormKind.FLAT
    got = {(f.label, f.type): f for f in report.fields}
    expected = {
        ("Couple", FieldType.TEXT): (109.2, 697.8, 220.4, 713.8),
        ("E-mail", FieldType.EMAIL): (120, 659, 320, 675),
        ("Special requests", FieldType.MULTILINE): (72, 560, 540, 620),
        ("ZIP", FieldType.NUMBER): (100, 520, 180, 536),
        ("Vegetarian", FieldType.CHECKBOX): (72, 480, 82, 490),
        ("Photo booth", FieldType.CHECKBOX): (72.6, 448, 85.3, 457.2),
    }
    assert set(got) == set(expected)
    for key, rect in expected.items():
        assert close(got[key].rect, rect), (key, got[key].rect)
    assert got[("ZIP", FieldType.NUMBER)].max_length == 5
    assert all(f.page == 0 and f.source == "detected" for f in report.fields)
    assert any("1 page(s) are scanned images" in w for w in report.warnings)


def test_a_row_of_column_letters_is_not_fields_and_one_letter_alone_is() -> None:
    strip = ruled((200.0, 300.0, 400.0), (600.0, 614.0))
    letters = chars("A", 247, 603) + chars("B", 347, 603)
    assert detect_fields(page(chars=tuple(letters), **strip), 0) == []
    alone = page(chars=tuple(chars("M", 247, 603)), boxes=((200, 600, 300, 614),))
    assert len(detect_fields(alone, 0)) == 1  # a one-letter answer in a box of its own


def test_a_captioned_cell_over_empty_cells_is_the_column_header() -> None:
    table = ruled((200.0, 350.0, 500.0), (560.0, 580.0, 600.0, 640.0))
    header = chars("Opening inventory", 204, 628) + chars("Stamps received", 354, 628)
    fields = detect_fields(page(chars=tuple(header), **table), 0)
    assert sorted(f.rect for f in fields) == [
        (200, 560, 350, 580),
        (200, 580, 350, 600),
        (350, 560, 500, 580),
        (350, 580, 500, 600),
    ]
    assert {f.label for f in fields} == {"Opening inventory", "Stamps received"}


def hatched_form(*, fill: bytes = b"") -> bytes:
    """A printed table row: a label, a line marker (a black square with a white `A`), and
    two ruled cells, the second painted by `fill` (content stream operators) first."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(612, 792))
    font = Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica)
    tile = pdf.make_stream(
        b"0.5 w 0 0 m 6 6 l S",
        Type=Name.Pattern,
        PatternType=1,
        PaintType=1,
        TilingType=1,
        BBox=[0, 0, 6, 6],
        XStep=6,
        YStep=6,
        Resources=Dictionary(),
    )
    first = pdf.pages[0].obj
    first.Resources = Dictionary(Font=Dictionary(F1=font), Pattern=Dictionary(P0=tile))
    first.Contents = pdf.make_stream(
        b"BT /F1 10 Tf 72 604 Td (Opening inventory) Tj ET\n"
        b"0 g 244 603 12 12 re f BT 1 g /F1 9 Tf 247 606 Td (A) Tj ET 0 g\n"
        + fill
        + b"0.6 w 260 600 m 500 600 l S 260 618 m 500 618 l S\n"
        b"260 600 m 260 618 l S 380 600 m 380 618 l S 500 600 m 500 618 l S\n"
    )
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    "fill",
    [b"/Pattern cs /P0 scn 380 600 120 18 re f 0 g\n", b"0.75 g 380 600 120 18 re f 0 g\n"],
    ids=["hatching pattern", "grey shading"],
)
def test_hatched_or_shaded_cells_and_line_markers_drawn_in_a_pdf_are_not_fields(
    fill: bytes,
) -> None:
    plain = read_form(hatched_form(), name="inventory.pdf")
    assert sorted(f.rect for f in plain.fields) == [(260, 600, 380, 618), (380, 600, 500, 618)]
    tinted = read_form(hatched_form(fill=b"0.9 g 380 600 120 18 re f 0 g\n"), name="tint.pdf")
    assert len(tinted.fields) == 2  # a light tint marks where to write
    hatched = read_form(hatched_form(fill=fill), name="inventory.pdf")
    assert [f.rect for f in hatched.fields] == [(260, 600, 380, 618)]
    assert hatched.fields[0].label == "Opening inventory"


def test_white_boxes_on_a_tinted_ground_are_fields() -> None:
    """A form printed on a coloured ground (the 1040's pale cyan) draws its amount boxes as
    white fills without a stroke; on a white page the same fills are white-outs."""

    def form(ground: bytes) -> bytes:
        pdf = pikepdf.new()
        pdf.add_blank_page(page_size=(612, 792))
        font = Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica)
        pdf.pages[0].obj.Resources = Dictionary(Font=Dictionary(F1=font))
        pdf.pages[0].obj.Contents = pdf.make_stream(
            ground + b"1 g 300 600 120 14 re f 300 560 120 14 re f 0 g\n"
            b"BT /F1 10 Tf 250 603 Td (Wages) Tj ET BT /F1 10 Tf 270 563 Td (Tips) Tj ET\n"
        )
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()

    tinted = read_form(form(b"0.86 1 0.98 rg 60 500 480 150 re f\n"), name="tinted.pdf")
    assert sorted((f.label, f.rect) for f in tinted.fields) == [
        ("Tips", (300, 560, 420, 574)),
        ("Wages", (300, 600, 420, 614)),
    ]
    assert read_form(form(b""), name="white.pdf").fields == ()
    elsewhere = form(b"0.86 1 0.98 rg 0 0 612 300 re f\n")  # a tint, not under them
    assert read_form(elsewhere, name="white.pdf").fields == ()


def test_a_fillable_form_keeps_its_acroform_fields_only() -> None:
    from tests.forms.makeform import make_form

    report = read_form(make_form(), name="wedding.pdf")
    assert report.kind is FormKind.ACROFORM
    assert {f.source for f in report.fields} == {"acroform"}


def test_sf424_page_two_flattened(pdfs: Path) -> None:
    report = read_form(pdfs / "flat" / "sf424_page2_flattened.pdf")
    assert report.kind is FormKind.FLAT
    assert len(report.fields) >= 8
    labels = " | ".join(f.label or "" for f in report.fields)
    assert "Type of Applicant 1" in labels and "CFDA Title" in labels
    for f in report.fields:
        assert (
            f.rect is not None
            and 0 <= f.rect[0] < f.rect[2] <= 612
            and 0 <= f.rect[1] < f.rect[3] <= 792
        )


def test_a_filled_flat_report_finds_its_checkboxes(pdfs: Path) -> None:
    report = read_form(pdfs / "flat" / "wi_dcf_f2476_filled_report_form.pdf")
    boxes = [f for f in report.fields if f.type is FieldType.CHECKBOX]
    assert len(boxes) >= 25
    assert {"Yes", "No", "Female", "Male"} <= {f.label for f in boxes}
    assert any(f.type is FieldType.DATE for f in report.fields)


def test_every_flat_file_gives_fields(pdfs: Path) -> None:
    for path in sorted((pdfs / "flat").glob("*.pdf")):
        report = read_form(path)
        assert report.fields, path.name


def report_width(path: Path) -> float:
    return float(pdfium.PdfDocument(path)[0].get_size()[0])


def test_scanned_files_are_reported_as_scans(pdfs: Path) -> None:
    for name in (
        "ccitt_g4_bilevel_scan.pdf",
        "skewed_scan.pdf",
        "kodak_capture_scanner_output.pdf",
    ):
        report = read_form(pdfs / "scanned" / name)
        assert report.kind is FormKind.SCANNED, name
        assert any("scanned images without a text layer" in w for w in report.warnings)
        for f in report.fields:  # what OCR and the pixels give lies on the page
            assert f.source == "detected" and f.rect is not None
            assert 0 <= f.rect[0] < f.rect[2] <= report_width(pdfs / "scanned" / name) + 1


def test_a_rule_with_a_paragraph_sitting_on_it_is_a_separator() -> None:
    text = chars("the Photographer keeps the copyright", 72, 402) + chars("of", 260, 402)
    primitives = page(chars=tuple(text), hlines=((72, 400, 300, 400),))
    assert detect_fields(primitives, 0) == []


def test_a_rule_in_the_running_head_is_not_a_field() -> None:
    assert detect_fields(page(hlines=((36, 760, 500, 760),)), 0) == []


def test_a_caption_inside_a_box_labels_the_space_under_it() -> None:
    primitives = page(chars=tuple(chars("5 Address", 76, 630, 7)), boxes=((72, 600, 400, 640),))
    field = only(detect_fields(primitives, 0))
    assert field.label == "5 Address"
    assert field.rect is not None and field.rect[1] == 600 and field.rect[3] < 630


def test_a_box_holding_a_paragraph_is_not_a_field() -> None:
    text = [c for i in range(5) for c in chars(f"line {i} of the terms", 76, 680 - 12 * i)]
    assert detect_fields(page(chars=tuple(text), boxes=((72, 600, 400, 700),)), 0) == []


def test_large_squares_and_circles_with_large_captions_are_buttons() -> None:
    primitives = page(
        chars=tuple(chars("Exia", 140, 600, 20) + chars("Saturn", 140, 520, 20)),
        boxes=((80, 590, 130, 640),),
        circles=((80, 510, 130, 560),),
    )
    fields = detect_fields(primitives, 0)
    assert [(f.type, f.label) for f in fields] == [
        (FieldType.CHECKBOX, "Exia"),
        (FieldType.RADIO, None),
    ]
    assert fields[1].options[0].label == "Saturn"
    assert detect_fields(page(boxes=((80, 590, 130, 640),)), 0)[0].type is FieldType.MULTILINE


def test_a_row_between_two_rules_open_at_the_margin_is_a_field() -> None:
    hlines = ((36.0, 600.0, 576.0, 600.0), (36.0, 624.0, 576.0, 624.0))
    vlines = ((300.0, 600.0, 300.0, 624.0),)
    text = chars("Your first name", 38, 617, 6) + chars("Last name", 302, 617, 6)
    fields = detect_fields(page(chars=tuple(text), hlines=hlines, vlines=vlines), 0)
    assert [(f.label, f.rect[0] if f.rect else None) for f in fields] == [
        ("Your first name", 36.0),
        ("Last name", 300.0),
    ]


def test_characters_carry_their_fonts_name_and_colour_and_a_filled_form_its_answers() -> None:
    # Four cells captioned in black Helvetica, each answered in navy Courier a line under the
    # caption (too close for the rules alone), two of them on a rule labelled "Name:".
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(612, 792))
    sheet = pdf.pages[0].obj
    sheet.Resources = Dictionary(
        Font=Dictionary(
            F1=Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica),
            F2=Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Courier),
        )
    )
    content = []
    for n, (caption, answer) in enumerate(
        [
            ("Your first name", "Ada"),
            ("Last name", "Okafor"),
            ("City", "Lagos"),
            ("Country", "Nigeria"),
        ]
    ):
        x = 40 + 140 * n
        content.append(f"0.5 w {x} 690 136 24 re S".encode())
        content.append(f"BT 0 g /F1 7 Tf {x + 3} 706 Td ({caption}) Tj ET".encode())
        content.append(f"BT 0 0 0.5 rg /F2 8 Tf {x + 3} 697 Td ({answer}) Tj ET".encode())
    for n, answer in enumerate(["Rev. Adeyemi", "St Mary", "June 14"]):
        x = 40 + 180 * n
        content.append(f"BT 0 g /F1 9 Tf {x} 600 Td (Name:) Tj ET".encode())
        content.append(f"0.6 w {x + 30} 598 m {x + 170} 598 l S".encode())
        content.append(f"BT 0 0 0.5 rg /F2 9 Tf {x + 34} 600 Td ({answer}) Tj ET".encode())
    sheet.Contents = pdf.make_stream(b"\n".join(content))
    out = io.BytesIO()
    pdf.save(out)
    document = pdfium.PdfDocument(out.getvalue())
    try:
        primitives = page_primitives(document[0], (0, 0, 612, 792), 0)
    finally:
        document.close()
    styles = {c.text: c.style for c in primitives.chars if c.text in "YA"}
    assert styles == {"Y": "Helvetica 000000", "A": "Courier 000080"}
    report = read_form(out.getvalue(), name="filled.pdf", nearby_labels=False)
    values = {f.value for f in report.fields}
    assert {"Ada", "Okafor", "Lagos", "Nigeria", "Rev. Adeyemi", "St Mary", "June 14"} <= values


def test_a_long_document_is_searched_in_page_order_past_the_style_window() -> None:
    pdf = pikepdf.new()
    font = Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica)
    for n in range(11):
        pdf.add_blank_page(page_size=(612, 792))
        sheet = pdf.pages[n].obj
        sheet.Resources = Dictionary(Font=Dictionary(F1=font))
        sheet.Contents = pdf.make_stream(
            f"BT /F1 10 Tf 72 700 Td (Venue {n + 1}: ____________________) Tj ET".encode()
        )
    out = io.BytesIO()
    pdf.save(out)
    seen: list[int] = []
    found = detect_pages(out.getvalue(), range(11), check=seen.append)
    assert [(f.page, f.label) for f in found.fields] == [(n, f"Venue {n + 1}") for n in range(11)]
    assert seen[:8] == list(range(8))  # eight pages read before the first is searched
    assert sorted(seen) == sorted([*range(11), *range(11)])  # each read and searched in time
    broken = detect_pages(out.getvalue(), [0, 1, 99])  # a page that cannot be read
    assert broken.problem is not None
    assert [f.page for f in broken.fields] == [0, 1]  # the pages read before it are kept


def test_a_fonts_long_name_is_read_whole_into_the_style() -> None:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(612, 792))
    sheet = pdf.pages[0].obj
    long_name = "ABCDEF+" + "Wedding" * 20  # 147 bytes: longer than the first buffer
    sheet.Resources = Dictionary(
        Font=Dictionary(
            F1=Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica),
            F2=Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name("/" + long_name)),
        )
    )
    sheet.Contents = pdf.make_stream(
        b"BT /F1 9 Tf 72 600 Td (Hi) Tj ET BT 0 0 0.5 rg /F2 9 Tf 72 500 Td (Yo) Tj ET"
    )
    out = io.BytesIO()
    pdf.save(out)
    document = pdfium.PdfDocument(out.getvalue())
    try:
        chars = page_primitives(document[0], (0, 0, 612, 792), 0).chars
    finally:
        document.close()
    styles = {c.text: c.style for c in chars if c.text in "HY"}
    assert styles == {"H": "Helvetica 000000", "Y": "Wedding" * 20 + " 000080"}  # subset tag cut

"""Filled-in forms: answers told from printed words, and read back as the fields' values."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest
from bench.formgen import KINDS
from bench.forms import (
    PUBLIC,
    detected_boxes,
    filled_real_set,
    filled_set,
    generated_set,
    real_set,
    scores,
)

from tests.forms.test_flat import chars, only, page, ruled
from trousseau.forms import FieldType
from trousseau.forms.answers import (
    Reading,
    Styles,
    StyleVote,
    answer_in,
    read_answers,
    ticked,
    typed_answers,
)
from trousseau.forms.detect import detect_fields
from trousseau.forms.geometry import iou
from trousseau.forms.raster import Scale, ink, marks
from trousseau.forms.shapes import Char

BREAK = Char("\n", (0, 0, 0, 0), (0, 0, 0, 0))
"""A line break between runs of characters (the text layer's order)."""

needs_tesseract = pytest.mark.skipif(
    shutil.which("tesseract") is None, reason="the tesseract command (tesseract-ocr) is missing"
)


def test_an_answer_typed_on_a_labelled_rule_is_the_fields_value() -> None:
    rule = {"hlines": ((110.0, 698.0, 300.0, 698.6),)}
    blank = only(detect_fields(page(chars=tuple(chars("Venue:", 72, 700)), **rule), 0))
    written = [*chars("Venue:", 72, 700), BREAK, *chars("St Mary", 112, 700)]
    field = only(detect_fields(page(chars=tuple(written), **rule), 0))
    assert (field.rect, field.label, field.type) == (blank.rect, "Venue", FieldType.TEXT)
    assert (blank.value, field.value) == (None, "St Mary")


def test_words_over_most_of_a_rule_are_text_it_underlines_not_an_answer() -> None:
    # 105 pt of words over a 110 pt rule
    underlined = [*chars("Venue:", 72, 700), BREAK, *chars("Terms of the contract", 110, 700)]
    fields = detect_fields(page(chars=tuple(underlined), hlines=((110.0, 698.0, 220.0, 698.6),)), 0)
    assert fields == []


def test_words_on_a_rule_that_nothing_labels_are_no_answer() -> None:
    words = chars("and the balance is due", 120, 700)
    assert (
        typed_answers(
            [_Word("and the balance is due", _rect(words))], [(110, 698, 400, 698.6)], [], [], []
        )
        == set()
    )


def test_leaders_and_pointers_are_printed_never_written() -> None:
    label = _Word("Total:", (72, 698, 100, 709))
    leader = _Word(". . . . ▶", (112, 698, 160, 709))
    assert typed_answers([label, leader], [(110, 698, 300, 698.6)], [], [], []) == set()


def test_a_heading_over_words_on_a_rule_does_not_label_them() -> None:
    heading = _Word("Wedding contract", (112, 712, 240, 728))  # 16 pt tall
    words = _Word("Client name", (112, 698, 170, 709))
    assert typed_answers([heading, words], [(110, 698, 400, 698.6)], [], [], []) == set()
    label = _Word("Client name", (112, 712, 170, 723))  # the same size: a label over it
    assert typed_answers([label, words], [(110, 698, 400, 698.6)], [], [], []) == {1}


def test_labels_each_on_its_own_rule_are_no_answers_of_each_other() -> None:
    text = [
        *chars("Name", 72, 700),
        BREAK,
        *chars("Address", 72, 682),
        BREAK,
        *chars("City", 72, 664),
    ]
    rules = ((72.0, 698.0, 400.0, 698.0), (72.0, 680.0, 400.0, 680.0), (72.0, 662.0, 400.0, 662.0))
    assert all(f.value is None for f in detect_fields(page(chars=tuple(text), hlines=rules), 0))


def test_a_date_format_printed_in_its_box_is_no_answer() -> None:
    text = [*chars("Date:", 72, 702), BREAK, *chars("MM/DD/YYYY", 112, 701, 7)]
    fields = detect_fields(page(chars=tuple(text), boxes=((110.0, 695.0, 300.0, 713.0),)), 0)
    assert [f.value for f in fields] == [None]


def test_a_question_over_its_yes_no_boxes_and_two_printed_lines_hold_no_answer() -> None:
    cell = (72.0, 598.0, 302.0, 634.0)
    question = [
        *chars("Are you a US citizen?", 74, 625, 7),
        BREAK,
        *chars("\u2610 Yes  \u2610 No", 76, 603),
    ]
    assert all(
        f.value is None for f in detect_fields(page(chars=tuple(question), boxes=(cell,)), 0)
    )
    lines = [*chars("Part I", 74, 622), BREAK, *chars("Identification", 74, 604)]
    assert all(f.value is None for f in detect_fields(page(chars=tuple(lines), boxes=(cell,)), 0))


def test_an_answer_in_a_box_labelled_on_its_left_is_the_fields_value() -> None:
    box = (110.0, 695.0, 300.0, 713.0)
    written = [*chars("Phone:", 72, 700), BREAK, *chars("555-0142", 112, 700)]
    field = only(detect_fields(page(chars=tuple(written), boxes=(box,)), 0))
    assert (field.rect, field.type, field.value) == (box, FieldType.PHONE, "555-0142")


def test_words_in_a_box_nothing_outside_labels_stay_a_label_cell() -> None:
    box = (110.0, 695.0, 300.0, 713.0)
    fields = detect_fields(page(chars=tuple(chars("Form W-9 Request", 112, 700)), boxes=(box,)), 0)
    assert fields == []


def test_a_filled_tables_cells_are_fields_with_their_answers() -> None:
    table = ruled((72.0, 142.0, 300.0), (580.0, 600.0, 620.0, 640.0, 660.0))
    text = chars("Time", 76, 645) + chars("Event", 146, 645)
    text += chars("4:30 pm", 76, 625) + chars("Ceremony", 146, 625)
    text += chars("6:00 pm", 76, 605) + chars("Reception", 146, 605)  # the last row blank
    fields = detect_fields(page(chars=tuple(text), **table), 0)
    values = {(f.rect, f.label): f.value for f in fields}
    assert values == {
        ((72, 600, 142, 620), "Time"): "6:00 pm",
        ((142, 600, 300, 620), "Event"): "Reception",
        ((72, 620, 142, 640), "Time"): "4:30 pm",
        ((142, 620, 300, 640), "Event"): "Ceremony",
        ((72, 580, 142, 600), "Time"): None,
        ((142, 580, 300, 600), "Event"): None,
    }


def test_a_printed_column_beside_blank_ones_holds_no_answers() -> None:
    table = ruled((72.0, 172.0, 300.0), (580.0, 600.0, 620.0, 640.0))
    text = chars("Province", 76, 625) + chars("Amount", 176, 625)
    text += chars("Alberta", 76, 605) + chars("Ontario", 76, 585)
    fields = detect_fields(page(chars=tuple(text), **table), 0)
    assert sorted(f.rect for f in fields) == [(172, 580, 300, 600), (172, 600, 300, 620)]
    assert all(f.value is None and f.label == "Amount" for f in fields)


def test_a_tick_in_a_checkbox_and_a_dot_in_a_radio_button_are_read() -> None:
    square = (72.0, 700.0, 82.0, 710.0)
    text = chars("\u2714", 73.5, 702, 8) + chars("Vegan", 86, 701)
    box = only(detect_fields(page(chars=tuple(text), boxes=(square,)), 0))
    assert (box.type, box.value) == (FieldType.CHECKBOX, "Yes")
    blank = only(detect_fields(page(chars=tuple(chars("Vegan", 86, 701)), boxes=(square,)), 0))
    assert blank.value is None
    circles = ((150.0, 600.0, 160.0, 610.0), (210.0, 600.0, 220.0, 610.0))
    text = chars("Fish", 164, 601) + chars("Meat", 224, 601) + chars("\u25cf", 212.5, 602, 6)
    radio = only(detect_fields(page(chars=tuple(text), circles=circles), 0))
    assert radio.value == "meat" and radio.value in [o.value for o in radio.options]


def test_a_cross_drawn_with_two_strokes_ticks_a_box() -> None:
    square = (72.0, 700.0, 82.0, 710.0)
    assert ticked(square, [], [(77.0, 705.0), (77.2, 704.8)])
    assert not ticked(square, [], [(77.0, 705.0)])  # one stroke: a slash, a mark of the form
    assert not ticked(square, [], [(72.5, 709.5), (81.5, 700.5)])  # at its corners: its frame


def test_comb_characters_run_together() -> None:
    cells = tuple((110.0 + 16 * i, 700.0, 126.0 + 16 * i, 716.0) for i in range(5))
    text = chars("ZIP code:", 40, 704)
    for i, digit in enumerate("90210"):
        text += [BREAK, *chars(digit, 115 + 16 * i, 704)]
    field = only(detect_fields(page(chars=tuple(text), boxes=cells), 0))
    assert (field.max_length, field.value) == (5, "90210")


def test_words_of_one_line_stay_in_order_whatever_their_baselines_jitter() -> None:
    words = [_Word("tree", (58, 702.1, 80, 712)), _Word("No", (40, 701.9, 55, 712))]
    assert answer_in((30, 690, 300, 720), words, comb=False) == "No tree"


def test_answer_in_reads_lines_top_down_and_left_to_right() -> None:
    words = [
        _Word("nuts.", (60, 690, 90, 700)),
        _Word("No", (40, 702, 55, 712)),
        _Word("tree", (58, 702, 80, 712)),
    ]
    assert answer_in((38, 685, 300, 720), words, comb=False) == "No tree nuts."
    assert answer_in((300, 685, 400, 720), words, comb=False) is None


def test_generated_forms_filled_in_keep_their_fields_and_give_their_answers() -> None:
    filled = filled_set(6)
    truth = [b for _, _, t in filled for b in t]
    found = [b for name, data, _ in filled for b in detected_boxes(name, data)[0]]
    measured = scores(truth, found, semantic=True)
    assert measured["f1"] >= 0.97 and measured["labels"] >= 0.95
    assert measured["values"] >= 0.95
    assert sum(t.value is not None for t in truth) >= 0.6 * len(truth)  # a real test
    blank = generated_set(6)  # the same forms blank: unchanged, and no answer on them
    found = [b for name, data, _ in blank for b in detected_boxes(name, data)[0]]
    assert scores([b for _, _, t in blank for b in t], found, semantic=False)["f1"] == 1.0
    assert all(b.value is None for b in found)


def test_blank_federal_forms_give_no_answers_but_the_choice_one_ships_with() -> None:
    for name, data, _ in real_set(PUBLIC):
        found, _ = detected_boxes(name, data)
        written = [(b.type, b.value) for b in found if b.value is not None]
        if name == "usaf_daf4392.pdf":  # its radio group's /V is Choice5: the button is drawn on
            assert written == [("checkbox", "on")]
        else:
            assert written == [], (name, written)


def _filled_in(form: str, folder: Path) -> tuple[int, dict[str, float]]:
    """One of the public forms filled in by pikepdf and flattened (`filled_real_set`): how
    many of its fields hold an answer, and what trousseau reads of it."""
    shutil.copy(PUBLIC / form, folder)
    ((name, data, truth),) = filled_real_set(folder)
    found, _ = detected_boxes(name, data)
    written = sum(t.value is not None for t in truth)
    return written, scores(truth, found, semantic=False)


def test_a_real_form_filled_by_a_pdf_editor_gives_its_answers(tmp_path: Path) -> None:
    written, measured = _filled_in("va_21-0966_intent_to_file_xfa_hybrid.pdf", tmp_path)
    assert written >= 40
    assert measured["f1"] >= 0.7 and measured["values"] >= 0.45


@needs_tesseract
def test_a_scanned_filled_form_gives_its_ticks_dots_and_answers() -> None:
    from bench.scans import scan_pdf

    ((name, data, truth),) = [
        d for d in filled_set(KINDS.index("questionnaire") + 1) if "questionnaire" in d[0]
    ]
    found, _ = detected_boxes(name, scan_pdf(data, 0))
    measured = scores(truth, found, semantic=True)
    assert measured["f1"] >= 0.9 and measured["values"] >= 0.7
    on = {(t.type, t.rect) for t in truth if t.value == "on"}
    read = [f for f in found if f.value == "on"]
    assert on and sum(any(iou(f.rect, r) > 0.5 for f in read) for _, r in on) >= len(on) - 1


def test_scanned_ticks_crosses_and_dots_are_marks_that_hold_one() -> None:
    gray = np.full((300, 600), 255, np.uint8)
    cv2.rectangle(gray, (50, 50), (78, 78), 0, 2)  # a box crossed corner to corner
    cv2.line(gray, (52, 52), (76, 76), 0, 2)
    cv2.line(gray, (52, 76), (76, 52), 0, 2)
    cv2.circle(gray, (164, 64), 14, 0, 2)  # a radio button with its dot
    cv2.circle(gray, (164, 64), 7, 0, -1)
    cv2.rectangle(gray, (250, 50), (278, 78), 0, 2)  # an empty box
    scale = Scale(200, 108.0)
    found = marks(ink(gray), scale)
    crossed, dotted, empty = (
        scale.rect(50, 50, 79, 79),
        scale.rect(150, 50, 179, 79),
        scale.rect(250, 50, 279, 79),
    )
    assert any(iou(b, crossed) > 0.6 for b in found.boxes)
    assert any(iou(c, dotted) > 0.6 for c in found.circles)
    assert any(iou(t, crossed) > 0.6 for t in found.ticked)
    assert any(iou(t, dotted) > 0.6 for t in found.ticked)
    assert any(iou(b, empty) > 0.6 for b in found.boxes)
    assert not any(iou(t, empty) > 0.3 for t in found.ticked)
    ticks = [c for c in found.tick_chars() if c.text.strip()]
    assert len(ticks) == 2 and all(c.text == "\u2714" for c in ticks)


def test_a_small_mark_clear_of_a_box_s_edge_ticks_it() -> None:
    """A PDF editor draws its cross or dot small, in the middle of the box, clear of the
    band along its edge (DD 293's crosses): still a tick. Digits run together by the scan
    ("12" in a box) are not, nor is a speck."""
    gray = np.full((200, 600), 255, np.uint8)
    cv2.rectangle(gray, (50, 50), (80, 80), 0, 2)  # 11 pt box, a 4 pt cross in its middle
    cv2.line(gray, (59, 59), (71, 71), 0, 2)
    cv2.line(gray, (59, 71), (71, 59), 0, 2)
    cv2.rectangle(gray, (150, 50), (180, 80), 0, 2)  # a dot in its middle
    cv2.rectangle(gray, (161, 61), (169, 69), 0, -1)
    cv2.rectangle(gray, (250, 50), (290, 90), 0, 2)  # "12" printed in a box
    cv2.putText(gray, "12", (256, 80), cv2.FONT_HERSHEY_SIMPLEX, 0.6, 0, 2)
    cv2.rectangle(gray, (350, 50), (380, 80), 0, 2)  # a speck in its middle
    cv2.rectangle(gray, (364, 64), (366, 66), 0, -1)
    cv2.rectangle(gray, (450, 50), (480, 80), 200, -1)  # a push button: ▲ on a grey face
    cv2.rectangle(gray, (450, 50), (480, 80), 0, 2)
    cv2.fillPoly(gray, [np.array([(465, 58), (457, 72), (473, 72)], np.int32)], 0)
    scale = Scale(200, 72.0)
    found = marks(ink(gray), scale, gray)
    assert not any(iou(b, scale.rect(450, 50, 481, 81)) > 0.3 for b in found.boxes)
    crossed, dotted = scale.rect(50, 50, 81, 81), scale.rect(150, 50, 181, 81)
    assert any(iou(t, crossed) > 0.6 for t in found.ticked)
    assert any(iou(t, dotted) > 0.6 for t in found.ticked)
    assert len(found.ticked) == 2, found.ticked
    assert sum(any(iou(p, r) > 0.6 for p in found.plain) for r in (crossed, dotted)) == 2


def test_a_scanned_x_between_brackets_is_a_ticked_checkbox_and_a_boxed_number_is_not() -> None:
    gray = np.full((200, 400), 255, np.uint8)
    for x in (50, 150):  # "[ x ]" and "[   ]", 200 dpi
        cv2.line(gray, (x, 60), (x, 90), 0, 3)
        cv2.line(gray, (x, 60), (x + 6, 60), 0, 3)
        cv2.line(gray, (x, 90), (x + 6, 90), 0, 3)
        cv2.line(gray, (x + 40, 60), (x + 40, 90), 0, 3)
        cv2.line(gray, (x + 34, 60), (x + 40, 60), 0, 3)
        cv2.line(gray, (x + 34, 90), (x + 40, 90), 0, 3)
    cv2.line(gray, (64, 69), (76, 81), 0, 3)  # the x, clear of both brackets
    cv2.line(gray, (64, 81), (76, 69), 0, 3)
    cv2.rectangle(gray, (250, 50), (290, 90), 0, 2)  # a box with "12" printed in it
    cv2.putText(gray, "12", (256, 80), cv2.FONT_HERSHEY_SIMPLEX, 0.6, 0, 2)
    scale = Scale(200, 72.0)
    found = marks(ink(gray), scale)
    assert len(found.brackets) == 2
    assert len(found.ticked) == 1
    assert iou(found.ticked[0], scale.rect(48, 58, 92, 92)) > 0.6
    assert not any(iou(t, scale.rect(250, 50, 291, 91)) > 0.3 for t in found.ticked)


def test_a_bracketed_sign_is_no_ticked_checkbox() -> None:
    gray = np.full((200, 400), 255, np.uint8)
    cv2.putText(gray, "($)", (50, 100), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 0, 2)
    found = marks(ink(gray), Scale(200, 72.0))
    assert found.ticked == []


class _Word:
    def __init__(
        self,
        text: str,
        rect: tuple[float, float, float, float],
        sure: bool = True,
        style: str = "",
    ) -> None:
        self.text, self.rect, self.sure, self.style = text, rect, sure, style


def _rect(letters: list[Char]) -> tuple[float, float, float, float]:
    return (
        min(c.rect[0] for c in letters),
        min(c.rect[1] for c in letters),
        max(c.rect[2] for c in letters),
        max(c.rect[3] for c in letters),
    )


def test_words_ocr_was_unsure_of_write_no_cell() -> None:
    cells = [(72.0, 600 - 20.0 * r, 172.0, 620 - 20.0 * r) for r in range(4)]
    cells += [(172.0, 600 - 20.0 * r, 300.0, 620 - 20.0 * r) for r in range(4)]
    words = [
        _Word("Province", (76, 604, 120, 614)),
        _Word("Amount", (176, 604, 210, 614)),
        _Word("Alberta", (76, 584, 110, 594)),
        _Word("Ontario", (76, 564, 110, 574)),
        _Word("Quebec", (76, 544, 110, 554)),
        _Word("KAA", (176, 564, 196, 574), sure=False),  # a shaded cell read as letters
        _Word("RXALL", (176, 544, 206, 554), sure=False),
    ]
    assert typed_answers(words, [], cells, cells, []) == set()
    sure = [*words[:5], _Word("120", (176, 564, 196, 574)), _Word("4,500", (176, 544, 200, 554))]
    assert typed_answers(sure, [], cells, cells, []) == {2, 3, 4, 5, 6}


def test_the_cells_after_a_line_number_hold_its_answers() -> None:
    """A tax form's amount column: the line's words (in a box or not), then its number alone
    in a narrow cell, then the cells written in (dollars and cents). A printed numbered list
    and a row of numbered column headings stand in the same cells with no line's words
    before them, and a line's columns numbered after its words ("7a | 7b"): print."""
    row = [(400.0, 498.0, 420.0, 512.0), (420.0, 498.0, 500.0, 512.0), (500.0, 498.0, 520.0, 512.0)]
    listed = [(40.0, 400.0, 60.0, 414.0), (60.0, 400.0, 200.0, 414.0)]
    numbered = [(40.0 + 30 * i, 300.0, 70.0 + 30 * i, 314.0) for i in range(3)]
    headed = [(400.0, 598.0, 420.0, 612.0), (420.0, 598.0, 440.0, 612.0)]
    cells = [*row, *listed, *numbered, *headed]
    words = [
        _Word("Wages, salaries, tips", (40, 500, 200, 510)),
        _Word("8", (406, 500, 412, 510)),
        _Word("4,500", (424, 500, 450, 510)),
        _Word("00", (504, 500, 514, 510)),
        _Word("1", (46, 402, 52, 412)),
        _Word("Getting ready", (64, 402, 130, 412)),
        _Word("(1)", (46, 302, 60, 312)),
        _Word("(2)", (76, 302, 90, 312)),
        _Word("(3)", (106, 302, 120, 312)),
        _Word("Exemptions", (40, 600, 200, 610)),  # columns 7a and 7b headed after it
        _Word("7a", (404, 600, 414, 610)),
        _Word("7b", (424, 600, 434, 610)),
    ]
    frame = (30.0, 496.0, 400.0, 514.0)  # the lines' words stand in a box of their own
    reading = read_answers(words, [], [*cells, frame], cells, [])
    assert reading.answers == {2, 3}
    assert reading.labels == {1}
    blank = [w for i, w in enumerate(words) if i not in (2, 3)]
    assert typed_answers(blank, [], cells, cells, []) == set()


def test_an_answer_after_the_capitals_caption_at_a_cell_s_left_is_its_value() -> None:
    """A government form's cell asks with a caption in capitals at its left ("LAST",
    "NAME (If different)"), and the answer follows on its row after a gap. A second
    caption in capitals, a date's format, or words set just a space after it, are print."""

    def cell(*words: tuple[str, float, float]) -> set[str]:
        box = (90.0, 579.0, 594.0, 594.0)
        texts = [_Word(text, (x0, 582, x1, 591)) for text, x0, x1 in words]
        reading = read_answers(texts, [], [box], [box], [])
        return {texts[i].text for i in reading.answers}

    assert cell(("LAST", 94, 114), ("Okafor", 128, 160)) == {"Okafor"}
    assert cell(("NAME", 94, 120), ("(If different)", 122, 170), ("Ada Okafor", 180, 230)) == {
        "Ada Okafor"
    }
    assert cell(("EMAIL (Address Required)", 94, 200), ("ada@example.com", 210, 280)) == {
        "ada@example.com"
    }
    assert cell(("STREET", 94, 125), ("12 Marina Road", 135, 200)) == {"12 Marina Road"}
    assert cell(("LAST", 94, 114), ("FIRST", 200, 224)) == set()
    assert cell(("DATE", 94, 114), ("mm/dd/yyyy", 128, 180)) == set()
    assert cell(("LAST", 94, 114), ("name only", 116, 160)) == set()  # a word space after it
    assert cell(("last", 94, 114), ("Okafor", 128, 160)) == set()  # no caption in capitals


def test_the_cells_after_a_misread_line_number_hold_its_answers() -> None:
    """In a column of line numbers, a number OCR misread ("ta") or left out still starts its
    line: the cell after it holds the line's answer."""
    rows = [(600.0 - 14 * r, 614.0 - 14 * r) for r in range(5)]
    numbers = [(400.0, y0, 420.0, y1) for y0, y1 in rows]
    amounts = [(420.0, y0, 500.0, y1) for y0, y1 in rows]
    words = []
    for (y0, _), number in zip(rows, ("1a", "1b", "1c", "ta", ""), strict=True):
        words.append(_Word("Wages, salaries", (40, y0 + 2, 200, y0 + 12)))
        if number:
            words.append(_Word(number, (404, y0 + 2, 414, y0 + 12)))
        words.append(_Word("Lagos", (424, y0 + 2, 450, y0 + 12)))
    cells = [*numbers, *amounts]
    answers = read_answers(words, [], cells, cells, []).answers
    assert {words[i].text for i in answers} == {"Lagos"} and len(answers) == 5


def test_a_table_with_hatched_cells_is_filled_in_and_its_cells_hold_answers() -> None:
    """A return's table marks some cells "do not fill" with hatching: its other cells are
    to be filled, so their words are answers even without a filler's style (a scan): those
    in a hatched cell's row right of a cell, in its column under a cell, or in both a
    hatched cell's row and another's column. The column's heading on top and the row's
    label on the left stay print, as does the same table with no hatching."""
    cells = [
        (100.0 + 80.0 * c, 686.0 - 14.0 * r, 180.0 + 80.0 * c, 700.0 - 14.0 * r)
        for r in range(3)
        for c in range(3)
    ]
    hatched = [cells[4]]  # the middle cell
    words = [
        _Word("Quantity", (184, 688, 230, 698)),  # the hatched column's heading
        _Word("Opening", (104, 674, 150, 684)),  # the hatched row's label
        _Word("Lagos", (264, 674, 300, 684)),  # in its row, right of a cell
        _Word("+ 120", (184, 660, 230, 670)),  # in its column, under a cell
        _Word("4,500.00", (264, 660, 300, 670)),  # in neither
    ]
    assert read_answers(words, [], cells, cells, [], hatched).answers == {2, 3}
    assert read_answers(words, [], cells, cells, []).answers == set()
    corner = [_Word("Okafor", (104, 688, 150, 698))]  # hatching in its row and its column
    assert read_answers(corner, [], cells, cells, [], [cells[2], cells[6]]).answers == {0}
    assert read_answers(corner, [], cells, cells, [], [cells[2]]).answers == set()


def test_an_answer_under_a_cells_caption_is_its_value() -> None:
    cell = (72.0, 598.0, 302.0, 640.0)
    text = [
        *chars("Give address outside the United States", 74, 631, 7),
        BREAK,
        *chars("to which you want any refund check mailed", 74, 623, 7),
        BREAK,
        *chars("Lagos", 76, 601),  # a line's height under the caption
    ]
    field = only(detect_fields(page(chars=tuple(text), boxes=(cell,)), 0))
    assert field.value == "Lagos"
    assert field.label is not None and field.label.startswith("Give address")
    assert field.rect[3] < 623  # the space under the caption


def test_an_answer_set_larger_than_the_caption_right_over_it_needs_no_blank() -> None:
    cell = (36.0, 690.0, 237.0, 714.0)  # the 1040's "Your first name and middle initial"
    close = [*chars("Your first name and middle initial", 40, 706, 7), BREAK]
    larger = detect_fields(page(chars=(*close, *chars("Ada Okafor", 38, 694, 9)), boxes=(cell,)), 0)
    assert [f.value for f in larger] == ["Ada Okafor"]
    same = detect_fields(
        page(chars=(*close, *chars("and last name", 40, 698, 7)), boxes=(cell,)), 0
    )
    assert all(f.value is None for f in same)  # a caption's second line, set as close


def _styled(text: str, x: float, y: float, style: str, size: float = 10.0) -> list[Char]:
    return [replace(c, style=style) for c in chars(text, x, y, size)]


def test_read_answers_names_the_printed_words_that_told_each_answer() -> None:
    words = [
        _Word("Venue:", _rect(chars("Venue:", 72, 700))),
        _Word("St Mary", _rect(chars("St Mary", 112, 700))),
        _Word("Notes", _rect(chars("Notes", 72, 650))),
    ]
    reading = read_answers(words, [(110, 698, 300, 698.6)], [], [], [])
    assert (reading.answers, reading.labels) == ({1}, {0})


def _page_of(
    style: str, label_style: str, columns: int, *extra: _Word
) -> tuple[list[_Word], Reading]:
    """A page of `columns` rules, a column each, each with an answer on it set in `style`
    and a caption over it ("Venue", set in `label_style`, no colon), and `extra` words."""
    words: list[_Word] = []
    rules = []
    for n in range(columns):
        x, y = 72 + 160 * n, 700 - 60 * n
        words.append(_Word(f"Answer {n}", (x + 2, y, x + 50, y + 11), style=style))
        words.append(_Word("Venue", (x + 2, y + 14, x + 30, y + 24), style=label_style))
        rules.append((float(x), y - 1.0, x + 150.0, y - 0.4))
    words += extra
    return words, read_answers(words, rules, [], [], [])


FILL, PRINT = "Helvetica-Bold 000080", "HelveticaNeue 231f20"


def test_a_style_the_rules_read_as_answers_in_several_columns_is_the_fillers() -> None:
    vote = StyleVote()
    words, reading = _page_of(FILL, PRINT, 3)
    assert reading.answers == {0, 2, 4} and reading.labels == {1, 3, 5}
    vote.add(words, reading)
    assert vote.fillers() == {FILL}
    assert vote.result() == Styles(frozenset({FILL}), frozenset({PRINT}))  # the labels' style


def test_no_fillers_style_when_the_answers_share_the_labels_style() -> None:
    vote = StyleVote()
    vote.add(*_page_of("Helvetica 000000", "Helvetica 000000", 3))
    assert vote.result() == Styles()  # a form typed in the print's own style: no style at all


def test_no_fillers_style_from_answers_in_one_place_or_without_a_style() -> None:
    one_place = StyleVote()
    for _ in range(3):  # three pages, each with its answer in the same place
        one_place.add(*_page_of(FILL, PRINT, 1))
    assert one_place.fillers() == frozenset()  # a printed word mistaken on every page
    scan = StyleVote()
    scan.add(*_page_of("", "", 3))
    assert scan.fillers() == frozenset()


def test_a_style_that_asks_runs_on_or_is_mostly_not_answers_is_print() -> None:
    def place(k: int) -> tuple[float, float, float, float]:
        return (72, 400 - 12 * k, 400, 410 - 12 * k)

    asks = [_Word("Telephone:", place(k), style=FILL) for k in range(3)]
    sentences = [
        _Word("This agreement is made between the couple and the studio", place(k), style=FILL)
        for k in range(3)
    ]
    body = [_Word("word", place(k), style=FILL) for k in range(150)]
    for extra in (asks, sentences, body):
        vote = StyleVote()
        vote.add(*_page_of(FILL, PRINT, 3, *extra))
        assert vote.fillers() == frozenset(), extra[0].text


def test_a_printed_table_written_in_every_cell_casts_no_vote() -> None:
    cells = [
        (72.0 + 100 * c, 600 - 20.0 * r, 172.0 + 100 * c, 620 - 20.0 * r)
        for c in range(3)
        for r in range(4)
    ]
    words = [
        _Word(h, (76 + 100 * c, 604, 120 + 100 * c, 614), style="Arial-Bold 000000")
        for c, h in enumerate(["Item", "Price", "Notes"])
    ]
    words += [
        _Word(
            f"cell {c}{r}",
            (76 + 100 * c, 584 - 20 * r, 120 + 100 * c, 594 - 20 * r),
            style="ArialMT 000000",
        )
        for c in range(3)
        for r in range(3)
    ]
    reading = read_answers(words, [], cells, cells, [])
    assert len(reading.answers) == 9 and reading.tabled == reading.answers  # a price list
    vote = StyleVote()
    vote.add(words, reading)
    assert vote.result() == Styles()  # its captions elsewhere keep their style's words


def test_words_in_the_fillers_style_are_answers_where_the_rules_alone_miss_them() -> None:
    cell = (36.0, 690.0, 237.0, 714.0)
    caption = _styled("Your first name and initial", 40, 706, "HelveticaNeue 231f20", 7)
    answer = _styled("Ada Okafor", 40, 697, "Helvetica-Bold 000080", 7)  # set as close
    primitives = page(chars=(*caption, BREAK, *answer), boxes=(cell,))
    assert [f.value for f in detect_fields(primitives, 0)] == []  # a label cell
    (field,) = detect_fields(primitives, 0, styles=Styles(frozenset({"Helvetica-Bold 000080"})))
    assert field.value == "Ada Okafor"
    assert field.label is not None and field.label.startswith("Your first name")


def test_a_federal_form_filled_in_a_style_of_its_own_gives_its_answers(tmp_path: Path) -> None:
    written, measured = _filled_in("irs_1040nr_2007.pdf", tmp_path)
    assert written >= 300
    assert measured["f1"] >= 0.88 and measured["values"] >= 0.45  # 0.67 and 0.12 by place alone


def test_a_tables_row_headings_in_the_prints_style_are_no_answers_once_it_is_known() -> None:
    xs, ys = (72.0, 172.0, 300.0), (540.0, 560.0, 580.0, 600.0, 620.0)
    text: list[Char] = [*_styled("Province", 76, 606, "Arial 000000"), BREAK]
    text += [*_styled("Amount", 176, 606, "Arial 000000"), BREAK]
    for row, (province, amount) in enumerate(
        [("Alberta", "120"), ("Quebec", "85"), ("Yukon", "4,500")]
    ):
        y = 586 - 20 * row
        text += [*_styled(province, 76, y, "Arial 000000"), BREAK]
        text += [*_styled(amount, 176, y, "Courier 000080"), BREAK]
    primitives = page(chars=tuple(text), **ruled(xs, ys))
    by_place = detect_fields(primitives, 0)
    assert {f.value for f in by_place} >= {"Alberta", "120"}  # every cell written: all answers
    styles = Styles(frozenset({"Courier 000080"}), frozenset({"Arial 000000"}))
    by_style = detect_fields(primitives, 0, styles=styles)
    assert sorted((f.label, f.value) for f in by_style) == [
        ("Amount", "120"),
        ("Amount", "4,500"),
        ("Amount", "85"),
    ]  # the provinces are the rows' headings, printed


def test_a_w9_filled_in_gives_its_answers_stacked_in_one_column(tmp_path: Path) -> None:
    written, measured = _filled_in("irs_w9_rev2024_xfa_hybrid.pdf", tmp_path)
    assert written >= 15
    assert measured["values"] >= 0.8  # 0.52 when its answers had to stand in three columns


def test_generated_forms_filled_in_by_a_pdf_editor_are_read_by_their_style() -> None:
    filled = filled_set(6, ink="0 0 0.5 rg")  # the answers in navy, ticks and crosses too
    truth = [b for _, _, t in filled for b in t]
    found = [b for name, data, _ in filled for b in detected_boxes(name, data)[0]]
    measured = scores(truth, found, semantic=True)
    assert measured["f1"] == 1.0 and measured["labels"] == 1.0
    assert measured["values"] == 1.0


def test_a_tick_in_a_square_stays_an_answer_whatever_its_style() -> None:
    square = (72.0, 600.0, 84.0, 612.0)
    words = [_Word("X", (74, 601, 82, 611), style=PRINT)]
    reading = read_answers(words, [], [square], [], [square])
    assert reading.answers == reading.marked == {0}
    box = (72.0, 600.0, 84.0, 612.0)
    text = (*_styled("X", 74.5, 602.5, PRINT, 8), BREAK, *_styled("Vegan", 90, 602, PRINT))
    printed = Styles(frozenset({FILL}), frozenset({PRINT}))
    (field,) = detect_fields(page(chars=text, boxes=(box,)), 0, styles=printed)
    assert field.value == "Yes"  # the cross in the print's style still ticks the box

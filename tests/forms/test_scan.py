"""Scanned forms: a printed form put through a (simulated) scanner is straightened, OCRed and
read by the same detector; the pieces (deskew, marks, Tesseract's output) on their own."""

from __future__ import annotations

import io
import random
import shutil

import cv2
import numpy as np
import pikepdf
import pypdfium2 as pdfium
import pytest
from pikepdf import Dictionary, Name
from PIL import Image

from trousseau.forms import FieldType, FormKind, iou, read_form
from trousseau.forms.detect import unread_cells
from trousseau.forms.ocr import parse_tsv
from trousseau.forms.raster import (
    STRIP_GAP,
    OcrWord,
    Scale,
    characters,
    ink,
    marks,
    rules,
    scan_primitives,
    skew_angle,
    strip_of,
    white_boxes,
)
from trousseau.forms.shapes import Char, PagePrimitives

from .test_flat import drawn_form

needs_tesseract = pytest.mark.skipif(
    shutil.which("tesseract") is None, reason="the tesseract command (tesseract-ocr) is missing"
)


def scanned(data: bytes, *, angle: float, dpi: int = 200, seed: int = 1) -> bytes:
    """The first page of `data` as a scanner returns it: turned, blurred, noisy, JPEG."""
    rng = np.random.default_rng(seed)
    page = pdfium.PdfDocument(data)[0]
    gray = np.array(page.render(scale=dpi / 72.0, grayscale=True).to_numpy(), dtype=np.uint8)
    gray = gray[:, :, 0] if gray.ndim == 3 else gray
    height, width = gray.shape
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    gray = cv2.warpAffine(gray, matrix, (width, height), borderValue=255)
    gray = cv2.GaussianBlur(gray, (0, 0), 0.7)
    gray = np.clip(gray + rng.normal(0, 6, gray.shape), 0, 255).astype(np.uint8)
    ok, jpeg = cv2.imencode(".jpg", gray, [cv2.IMWRITE_JPEG_QUALITY, 70])
    assert ok
    out = io.BytesIO()
    Image.open(io.BytesIO(jpeg.tobytes())).save(out, "PDF", resolution=dpi)
    return out.getvalue()


@needs_tesseract
def test_a_scanned_printed_form_reads_back_its_fields() -> None:
    born_digital = {
        (f.label, f.type): f.rect for f in read_form(drawn_form(), name="printed.pdf").fields
    }
    report = read_form(scanned(drawn_form(), angle=1.6), name="scan.pdf")
    assert report.kind is FormKind.SCANNED
    assert any("read by OCR" in w for w in report.warnings)
    found = 0
    for (label, kind), rect in born_digital.items():
        near = [f for f in report.fields if f.type is kind and iou(f.rect, rect) >= 0.5]
        found += bool(near)
        if near and kind is not FieldType.NUMBER:
            assert near[0].label == label, (label, near[0].label)
    assert found >= 5, report.fields  # of 6: the comb's cells may merge under the noise
    assert len(report.fields) <= 7


def numbered_rows() -> bytes:
    """A tax form's column of amounts: each row's line number in bold in a narrow cell."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(612, 792))
    page = pdf.pages[0].obj
    bold = Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name("/Helvetica-Bold"))
    plain = Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica)
    page.Resources = Dictionary(Font=Dictionary(F1=bold, F2=plain))
    ops = []
    for i, n in enumerate(range(36, 44)):
        y = 700 - i * 14
        ops.append(f"0.6 w 430 {y} 25 14 re S 455 {y} 105 14 re S")
        ops.append(f"BT /F1 9 Tf 436 {y + 4} Td ({n}) Tj ET")
        ops.append(f"BT /F2 9 Tf 72 {y + 4} Td (Amount of item {n} as reported) Tj ET")
    page.Contents = pdf.make_stream("\n".join(ops).encode())
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


@needs_tesseract
def test_line_numbers_the_page_ocr_skipped_are_read_again(monkeypatch) -> None:
    """Tesseract's sparse reading of a page skips some bold numbers alone in their cells;
    read again together as a block, they make their cells line numbers, not fields. The
    column the numbers read at once stand in does too, on its own; without either, a
    number cell is taken for a field."""
    scan = scanned(numbered_rows(), angle=0.8)
    amounts = [(455, 700 - i * 14) for i in range(8)]

    def fields() -> list[tuple[int, int]]:
        report = read_form(scan, name="rows.pdf")
        return sorted((round(f.rect[0]), round(f.rect[1])) for f in report.fields)

    assert fields() == sorted(amounts)
    monkeypatch.setattr("trousseau.forms.detect.number_columns", lambda cells, numbered: set())
    assert fields() == sorted(amounts)  # the second reading alone
    monkeypatch.undo()
    monkeypatch.setattr("trousseau.forms.scan.unread_cells", lambda page: [])
    assert fields() == sorted(amounts)  # the column alone
    monkeypatch.setattr("trousseau.forms.detect.number_columns", lambda cells, numbered: set())
    assert any(x < 450 for x, _ in fields())  # neither: a number cell taken for a field


@needs_tesseract
def test_a_second_reading_that_fails_keeps_the_first(monkeypatch) -> None:
    from trousseau.errors import OcrUnavailable
    from trousseau.forms import ocr, scan

    def failing(png: bytes, **kwargs: object) -> list[OcrWord]:
        if kwargs.get("segmentation") == ocr.BLOCK:
            raise OcrUnavailable("rows.pdf page 1: tesseract failed (killed)")
        return ocr.recognise(png, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(scan, "recognise", failing)
    report = read_form(scanned(numbered_rows(), angle=0.8), name="rows.pdf")
    assert len([f for f in report.fields if f.rect[0] >= 450]) == 8  # the amounts, all read
    assert not any("tesseract" in w for w in report.warnings)


def test_narrow_cells_without_text_are_read_again_in_a_strip() -> None:
    cells = ((430.0, 700.0, 455.0, 714.0), (430.0, 686.0, 455.0, 700.0))
    empty_row = PagePrimitives(width=612, height=792, boxes=cells)
    assert sorted(unread_cells(empty_row)) == sorted(cells)
    numbered = PagePrimitives(
        width=612, height=792, boxes=cells, chars=tuple(characters_of("36", 436, 703))
    )
    assert unread_cells(numbered) == [cells[1]]
    square = PagePrimitives(width=612, height=792, boxes=((100.0, 700.0, 110.0, 710.0),))
    assert unread_cells(square) == []  # a checkbox
    tall = ((430.0, 600.0, 455.0, 630.0), (430.0, 500.0, 455.0, 545.0))
    assert unread_cells(PagePrimitives(width=612, height=792, boxes=tall)) == [tall[0]]
    scale = Scale(200, 792)
    page = np.full((2200, 1700), 255, np.uint8)
    page[230:250, 1210:1230] = 0  # ink in the first cell only (page pixels)
    strip = strip_of(page, cells, scale)
    assert strip is not None and len(strip.slots) == 1
    top, height, left, page_top = strip.slots[0]
    assert strip.image[top : top + height].min() == 0
    read = OcrWord("36", (STRIP_GAP + 5, top + 2, STRIP_GAP + 20, top + 12), (0, 0, 0, 0), 90.0)
    (word,) = strip.words([read])
    assert word.text == "36" and word.box == (left + 5, page_top + 2, left + 20, page_top + 12)
    assert strip_of(np.full((2200, 1700), 255, np.uint8), cells, scale) is None


def test_white_boxes_on_a_tinted_ground_are_boxes_and_paper_is_not() -> None:
    """The 1040 is printed on a pale tint, its boxes left white with no outline; scanned,
    only the difference of ten grey levels under the noise shows them."""
    rng = np.random.default_rng(3)
    scale = Scale(200, 792)
    page = np.full((2200, 1700), 251.0)
    page[300:1900, 200:1500] = 241.0  # the tint
    page[500:540, 300:900] = 251.0  # a box 216 x 14 pt, white on the tint
    noisy = np.clip(page + rng.normal(0, 6, page.shape), 0, 255).astype(np.uint8)
    (box,) = white_boxes(noisy, scale)
    assert all(abs(a - b) <= 1.5 for a, b in zip(box, scale.rect(300, 500, 900, 540), strict=True))
    plain = np.full((2200, 1700), 251.0)
    plain[500:540, 300:900] = 200.0  # a grey bar on white paper: no ground, no box
    noisy = np.clip(plain + rng.normal(0, 6, plain.shape), 0, 255).astype(np.uint8)
    assert white_boxes(noisy, scale) == []
    table = np.full((2200, 1700), 251.0)
    table[100:500, :] = 241.0  # a shaded band: a tint's share of the page
    for y in range(1000, 1601, 60):  # a ruled table on the white paper below it
        table[y : y + 3, 200:1400] = 30.0
    for x in range(200, 1401, 120):
        table[1000:1603, x : x + 3] = 30.0
    noisy = np.clip(table + rng.normal(0, 6, table.shape), 0, 255).astype(np.uint8)
    assert white_boxes(noisy, scale) == []  # its cells are ruled on paper, not white on tint


def characters_of(text: str, x: float, y: float) -> list[Char]:
    return [
        Char(ch, (x + 5 * i, y - 2, x + 5 * (i + 1), y + 9), (x + 5 * i, y, x + 5 * (i + 1), y + 7))
        for i, ch in enumerate(text)
    ]


def test_a_missing_tesseract_is_a_warning_naming_the_page(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    report = read_form(scanned(drawn_form(), angle=0.0), name="scan.pdf")
    assert report.kind is FormKind.SCANNED and report.fields == ()
    assert any("scan.pdf page 1" in w and "tesseract-ocr" in w for w in report.warnings)


def _page(angle: float) -> np.ndarray:
    """A white page with rules and lines of fake text, turned by `angle` degrees."""
    gray = np.full((1100, 850), 255, np.uint8)
    rng = random.Random(3)
    for row in range(120, 1000, 40):
        x = 80
        while x < 700:
            w = rng.randint(20, 70)
            cv2.rectangle(gray, (x, row), (x + w, row + 12), 0, -1)
            x += w + 12
    cv2.line(gray, (80, 1030), (760, 1030), 0, 2)
    matrix = cv2.getRotationMatrix2D((425, 550), angle, 1.0)
    return cv2.warpAffine(gray, matrix, (850, 1100), borderValue=255)


@pytest.mark.parametrize("angle", [-2.0, -0.7, 0.0, 1.3, 3.5])
def test_the_skew_is_found_within_a_fifth_of_a_degree(angle: float) -> None:
    assert skew_angle(ink(_page(angle))) == pytest.approx(-angle, abs=0.2)


def test_marks_rules_and_the_text_beside_them() -> None:
    gray = np.full((400, 600), 255, np.uint8)
    cv2.rectangle(gray, (50, 50), (78, 78), 0, 2)  # an empty checkbox (10 pt at 200 dpi)
    cv2.rectangle(gray, (150, 50), (178, 78), 0, 2)
    cv2.circle(gray, (164, 64), 5, 0, -1)  # a checked one
    cv2.circle(gray, (264, 64), 14, 0, 2)  # a radio button
    cv2.line(gray, (50, 200), (450, 200), 0, 2)  # an underline
    cv2.line(gray, (500, 120), (500, 380), 0, 2)  # a vertical rule
    scale = Scale(200, 144.0)
    found = marks(ink(gray), scale)
    assert len(found.boxes) == 2 and len(found.circles) == 1
    assert max(iou(b, scale.rect(50, 50, 79, 79)) for b in found.boxes) > 0.7
    assert max(iou(b, scale.rect(150, 50, 179, 79)) for b in found.boxes) > 0.7
    hlines, vlines = rules(ink(gray), scale)
    assert len(hlines) == 1 and len(vlines) == 1
    assert hlines[0][0] == pytest.approx(18.0, abs=1.5)
    assert hlines[0][2] == pytest.approx(162.0, abs=1.5)
    # OCR's reading of the box as "O" is left out; the words stay, a space between them
    words = [
        OcrWord("O", (50, 50, 79, 79), (50, 50, 300, 79), 40.0),
        OcrWord("Vegan", (90, 55, 140, 75), (50, 50, 300, 79), 95.0),
        OcrWord("menu", (200, 55, 240, 75), (50, 50, 300, 79), 95.0),
        OcrWord("____", (50, 195, 450, 205), (50, 195, 450, 205), 30.0),
    ]
    text = "".join(c.text for c in characters(words, scale, found.boxes))
    assert text == "Vegan menu"


def test_a_checkbox_ocr_read_into_the_word_beside_it_stays_a_checkbox() -> None:
    """Tesseract often reads a small square and the caption after it as one word ("ClYes",
    "[_]NAVY"). The square is still a checkbox; a letter's bowl of the same size inside a
    word (a large "D") and a push button's face (a square holding "+") are not."""
    scale = Scale(200, 144.0)
    gray = np.full((400, 900), 255, np.uint8)
    cv2.rectangle(gray, (50, 50), (78, 78), 0, 2)  # 10 pt checkbox, caption touching it
    cv2.putText(gray, "Yes", (84, 77), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 0, 2)
    for inset, colour in ((0, 0), (4, 255)):  # a large "D": a square bowl, its right side round
        radius = 18 - inset
        cv2.rectangle(gray, (296 + inset, 66 - radius), (314, 66 + radius), colour, -1)
        cv2.circle(gray, (314, 66), radius, colour, -1)
    cv2.rectangle(gray, (500, 50), (528, 78), 0, 2)  # a push button: "+" in a square
    cv2.line(gray, (507, 64), (521, 64), 0, 2)
    cv2.line(gray, (514, 57), (514, 71), 0, 2)
    line = (40, 40, 800, 92)
    words = [
        OcrWord("ClYes", (50, 50, 130, 79), line, 45.0),
        OcrWord("Dance", (295, 47, 420, 86), line, 90.0),
        OcrWord("EIJI]", (500, 50, 529, 79), line, 10.0),
    ]
    mask = ink(gray)
    assert len(marks(mask, scale).boxes) == 2  # the bowl is a square hole too; "+" a face
    primitives = scan_primitives(mask, words, dpi=200, width=324.0, height=144.0)
    assert len(primitives.boxes) == 1, primitives.boxes
    assert iou(primitives.boxes[0], scale.rect(50, 50, 79, 79)) > 0.7
    assert all(not 18 <= c.glyph[0] < 28 for c in primitives.chars if c.text.strip())


def test_a_ticked_checkbox_ocr_read_into_the_word_beside_it_stays_a_ticked_checkbox() -> None:
    """A crossed box, a box with a tick or a dot clear of its edge, read by OCR into the
    caption beside it ("XARMY"): still a checkbox, ticked (as an empty one is, above)."""
    scale = Scale(200, 144.0)
    gray = np.full((400, 900), 255, np.uint8)
    cv2.rectangle(gray, (50, 50), (78, 78), 0, 2)  # crossed corner to corner
    cv2.line(gray, (52, 52), (76, 76), 0, 2)
    cv2.line(gray, (52, 76), (76, 52), 0, 2)
    cv2.putText(gray, "ARMY", (84, 77), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 0, 2)
    cv2.rectangle(gray, (300, 50), (328, 78), 0, 2)  # a small cross in its middle
    cv2.line(gray, (308, 58), (320, 70), 0, 2)
    cv2.line(gray, (308, 70), (320, 58), 0, 2)
    cv2.putText(gray, "NAVY", (334, 77), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 0, 2)
    line = (40, 40, 800, 92)
    words = [
        OcrWord("XARMY", (50, 50, 160, 79), line, 60.0),
        OcrWord("[x]NAVY", (300, 50, 410, 79), line, 40.0),
    ]
    primitives = scan_primitives(ink(gray), words, dpi=200, width=324.0, height=144.0)
    squares = (scale.rect(50, 50, 79, 79), scale.rect(300, 50, 329, 79))
    assert all(any(iou(b, s) > 0.6 for b in primitives.boxes) for s in squares)
    ticks = [c for c in primitives.chars if c.text == "\u2714"]
    assert len(ticks) == 2 and all(any(iou(c.rect, s) > 0 for s in squares) for c in ticks)


def test_a_filled_square_is_a_ticked_checkbox_even_with_its_broken_outline_stuck_to_it() -> None:
    """A checked box drawn as a black square inside a light outline (■ in a grey □): the
    scan keeps pieces of the outline stuck to the block, which made it no square before.
    Still a ticked checkbox, and one whatever OCR read over it ("4B"). Bold letters the blur
    ran into one block, and a square block at the edge of a dark banner, are no box."""
    scale = Scale(200, 144.0)
    gray = np.full((400, 900), 255, np.uint8)
    cv2.rectangle(gray, (52, 52), (69, 69), 0, -1)  # the fill, 6.3 pt
    cv2.line(gray, (49, 60), (49, 72), 0, 1)  # what is left of its outline, stuck to it
    cv2.putText(gray, "DIPLOMA", (80, 70), cv2.FONT_HERSHEY_SIMPLEX, 0.6, 0, 1)
    cv2.putText(gray, "N", (300, 72), cv2.FONT_HERSHEY_SIMPLEX, 0.75, 0, 6)  # bold, run together
    cv2.rectangle(gray, (500, 30), (880, 100), 70, -1)  # a dark banner...
    cv2.rectangle(gray, (520, 52), (537, 69), 0, -1)  # ...with a darker block on it
    gray = cv2.GaussianBlur(gray, (0, 0), 0.8)
    mask = ink(gray)
    found = marks(mask, scale, gray)
    square = scale.rect(52, 52, 70, 70)
    assert [b for b in found.boxes if iou(b, square) > 0.6] == [
        t for t in found.ticked if iou(t, square) > 0.6
    ]
    assert any(iou(b, square) > 0.6 for b in found.boxes)
    assert len(found.boxes) == 1, found.boxes  # not the bold "N", nor the banner's block
    words = [OcrWord("4B", (48, 51, 71, 71), (40, 40, 200, 80), 30.0)]
    primitives = scan_primitives(mask, words, dpi=200, width=324.0, height=144.0)
    assert any(iou(b, square) > 0.6 for b in primitives.boxes)
    assert [c.text for c in primitives.chars if c.text == "\u2714"] == ["\u2714"]


def test_a_chosen_radio_button_is_a_ticked_circle_however_its_dot_meets_its_ring() -> None:
    """A radio button's dot the blur ran into its ring on one side (its hole a crescent), and
    one whose ring of paper around the dot is all blur (no shaded ground: no push button's
    face), are chosen radio buttons."""
    scale = Scale(200, 144.0)
    gray = np.full((300, 700), 255, np.uint8)
    cv2.circle(gray, (60, 60), 14, 0, 2)
    cv2.circle(gray, (62, 60), 10, 0, -1)  # off centre, touching the ring
    cv2.circle(gray, (200, 60), 14, 0, 2)
    cv2.circle(gray, (200, 60), 9, 0, -1)  # a thin gap all around
    gray = cv2.GaussianBlur(gray, (0, 0), 1.0)
    found = marks(ink(gray), scale, gray)
    chosen = (scale.rect(46, 46, 75, 75), scale.rect(186, 46, 215, 75))
    for ring in chosen:
        assert any(iou(c, ring) > 0.6 for c in found.circles), (ring, found.circles)
        assert any(iou(t, ring) > 0.6 for t in found.ticked), (ring, found.ticked)


def test_radio_buttons_ocr_read_as_round_letters_stay_radio_buttons() -> None:
    """Tesseract reads a row of empty radio buttons as "OO": the circles stay; a word whose
    letter's bowl is a circle ("DOG") still hides it."""
    gray = np.full((300, 700), 255, np.uint8)
    for x in (60, 130):
        cv2.circle(gray, (x, 60), 14, 0, 2)
    cv2.circle(gray, (400, 60), 14, 0, 2)
    line = (40, 40, 600, 80)
    words = [
        OcrWord("OO", (44, 44, 146, 76), line, 50.0),
        OcrWord("DOG", (360, 44, 440, 76), line, 50.0),
    ]
    primitives = scan_primitives(ink(gray), words, dpi=200, width=252.0, height=144.0)
    assert len(primitives.circles) == 2, primitives.circles
    assert all(c[2] < 60 for c in primitives.circles)


def test_a_tick_that_comes_close_to_a_small_box_s_sides_ticks_it() -> None:
    """A ✔ set to a small box's size comes close to its sides (an 8 pt box as a PDF editor
    fills it), where the centred-mark test wants a margin; with the box joined to the rule
    beside it, no other test sees the box. Ticked, where a number typed in such a box (two
    marks) is no mark to tick."""
    scale = Scale(200, 144.0)
    gray = np.full((200, 400), 255, np.uint8)
    for left, right in ((50, 86), (250, 286)):  # 13 pt boxes, each joined to a rule
        cv2.rectangle(gray, (left, 50), (right, 86), 0, 2)
        cv2.line(gray, (left - 40, 50), (left, 50), 0, 2)
    tick = np.array([[56, 68], [64, 78], [80, 58]], np.int32)
    cv2.polylines(gray, [tick], False, 0, 2)
    cv2.putText(gray, "47", (254, 80), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 0, 2)
    found = marks(ink(gray), scale, gray)
    assert any(iou(t, scale.rect(50, 50, 87, 87)) > 0.6 for t in found.ticked), found
    assert not any(iou(t, scale.rect(250, 50, 287, 87)) > 0.3 for t in found.ticked)


def test_a_table_s_row_rule_with_answers_written_up_to_it_on_both_sides_is_a_rule() -> None:
    """A tax form's amount column filled in to the brim: the answers touch the rule between
    two rows from above and below, which made it look like letters blurred together along
    their baseline. Crossed by the cells' walls, it is a rule; the edges of a push button's
    dark face, between its outline's sides, are not."""
    scale = Scale(200, 144.0)
    gray = np.full((400, 900), 255, np.uint8)
    for x in (100, 160, 500, 580):
        cv2.line(gray, (x, 50), (x, 300), 0, 2)
    for y in (150, 190, 230):
        cv2.line(gray, (100, y), (580, y), 0, 2)
    font = cv2.FONT_HERSHEY_SIMPLEX
    for text, x, y in (("15", 110, 186), ("+1 555 010 2233", 166, 188), ("120", 506, 188)):
        cv2.putText(gray, text, (x, y), font, 1.0, 0, 3)
    for text, x in (("16b", 104), ("Lagos Nigeria 1234", 166), ("Lag", 506)):
        cv2.putText(gray, text, (x, 215), cv2.FONT_HERSHEY_TRIPLEX, 1.0, 0, 2)
    cv2.rectangle(gray, (620, 60), (880, 110), 120, 2)  # a push button: a light outline...
    cv2.rectangle(gray, (625, 65), (875, 105), 80, -1)  # ...around a dark face
    cv2.putText(gray, "SUBMIT", (680, 98), font, 1.0, 230, 2)
    gray = cv2.GaussianBlur(gray, (0, 0), 0.8)
    hlines, _ = rules(ink(gray), scale)
    table = [y for x0, y, _, _ in hlines if x0 < 100]
    assert len(table) == 3, hlines
    assert any(abs(y - scale.y(190)) <= 1.0 for y in table), hlines
    button = sorted(y for x0, y, _, _ in hlines if x0 > 200)
    assert len(button) == 2 and all(
        min(abs(y - scale.y(60)), abs(y - scale.y(110))) <= 1.0 for y in button
    ), button


def test_a_dashed_writing_line_is_a_rule_and_a_dot_leader_or_small_print_is_not() -> None:
    """A scan leaves a dashed writing line as a row of dashes: it is a rule (dotted, so the
    leader rule applies). Dots spaced as a leader's, and small letters in a row, are not."""
    gray = np.full((400, 900), 255, np.uint8)
    for x in range(100, 600, 8):  # dashes 5 px long, 3 px apart (200 dpi)
        cv2.line(gray, (x, 100), (x + 4, 100), 0, 1)
    for x in range(100, 600, 12):  # a dot leader
        cv2.rectangle(gray, (x, 200), (x + 1, 201), 0, -1)
    for x in range(100, 600, 7):  # small print: letters 5 px wide, 2 px apart
        cv2.rectangle(gray, (x, 290), (x + 4, 300), 0, -1)
    scale = Scale(200, 144.0)
    primitives = scan_primitives(ink(gray), [], dpi=200, width=324.0, height=144.0)
    assert len(primitives.hlines) == 1 and primitives.dotted == primitives.hlines
    x0, y, x1, _ = primitives.hlines[0]
    assert y == pytest.approx(scale.y(100), abs=1.0)
    assert x0 == pytest.approx(scale.x(100), abs=1.0) and x1 == pytest.approx(scale.x(600), abs=2)


def test_letters_blurred_together_along_their_baseline_are_no_rule() -> None:
    """Dense small print, blurred by a scan, touches along its baseline: a run as long as a
    word with the letters' ink just above it is lettering; a rule with a value written on a
    part of it is still a rule."""
    scale = Scale(150, 144.0)
    gray = np.full((300, 600), 255, np.uint8)
    for x in range(100, 160, 6):  # letters 5 px wide, touching at the baseline
        cv2.rectangle(gray, (x, 84), (x + 4, 100), 0, -1)
    cv2.line(gray, (100, 100), (160, 100), 0, 2)
    assert rules(ink(gray), scale)[0] == []
    written = np.full((300, 600), 255, np.uint8)
    cv2.line(written, (100, 200), (400, 200), 0, 2)
    for x in range(110, 170, 6):  # a value written on the first fifth of the rule
        cv2.rectangle(written, (x, 184), (x + 4, 199), 0, -1)
    assert len(rules(ink(written), scale)[0]) == 1


def test_tesseract_tsv_becomes_words_with_their_lines() -> None:
    tsv = (
        "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"
        "1\t1\t0\t0\t0\t0\t0\t0\t850\t1100\t-1\t\n"
        "4\t1\t1\t1\t1\t0\t100\t200\t300\t30\t-1\t\n"
        "5\t1\t1\t1\t1\t1\t100\t205\t80\t22\t96.5\tWedding\n"
        "5\t1\t1\t1\t1\t2\t190\t205\t50\t22\t91.0\tdate:\n"
        "5\t1\t1\t1\t1\t3\t250\t205\t10\t22\t10.0\t \n"
        "5\t1\t1\t1\t1\t4\t250\tx\t10\t22\t10.0\tbad\n"
    )
    words = parse_tsv(tsv)
    assert [w.text for w in words] == ["Wedding", "date:"]
    assert words[0].box == (100, 205, 180, 227) and words[0].line == (100, 200, 400, 230)
    assert words[1].confidence == 91.0

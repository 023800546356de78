"""Fields of a printed (flat) form found in its page primitives, pure: no PDF, no I/O.

A printed form shows where to write with a few marks, and each becomes a field:

- a run of underscores in the text (`Name: ________`) or a horizontal rule not part of a box
  or a table: a line to write on, labelled by the text to its left, else below (a signature
  line with its caption under it), else above;
- a box, or an empty cell of a ruled table: a box to write in (multiline when tall), labelled
  by a caption inside its top, else the text (or header cell) to its left or above;
- a row of two or more equal boxes touching side by side: comb cells, one character each;
- a small square (4 to 20 points; vector, ☐ □, or `[ ]`): a checkbox, captioned to its right;
- a small circle (vector, ○ ◯, or `( )`): a radio button; buttons on one line or stacked in
  one column are one radio group, labelled by the question to their left or above.

Each field's type comes from its label and shape (`infer_type`): a "Date" or "mm/dd/yyyy"
line is a date, "E-mail" an email, "Phone" a phone, "Signature" a signature, "# of guests" or
"Amount" a number. Overlapping candidates are resolved by the order above from the most
specific (comb, checkbox) to the least (underscores).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from trousseau.forms.answers import (
    ENTER_MARKS,
    LINE_NUMBER,
    TICKS,
    Reading,
    Styles,
    answer_in,
    in_capitals,
    number_columns,
    read_answers,
    short_tokens,
    ticked,
)
from trousseau.forms.geometry import centred_in, inside_share, iou, overlaps, union
from trousseau.forms.labels import MAX_ABOVE_GAP, TextRun, clean_label, nearest_label
from trousseau.forms.model import Field, FieldType, Option, Rect, Widget
from trousseau.forms.shapes import Char, PagePrimitives

LINE_HEIGHT = 16.0
"""Height given to a field written on a line (a rule or underscores), room permitting."""
MIN_LINE = 20.0
"""Shortest rule (or underscore run) taken for a line to write on, in points."""
CHECKBOX_MIN, CHECKBOX_MAX = 4.0, 20.0
"""Side of a square taken for a checkbox, in points."""
COMB_MAX_CELL = 26.0
"""Widest box taken as one comb cell."""
MULTILINE_HEIGHT = 40.0
"""A box at least this tall is a multiline field."""
SHORT_OF_TOP = 4.0
"""How far short of the rule above a cell's sides may stop (a tax form's amount boxes drawn
open at the top, under the line before)."""
OPEN_ROW = 30.0
"""Tallest row between two rules taken as a field when one of its sides is open."""
MARGIN_BAND = 0.08
"""Rules this close to the top or bottom of the page (a share of its height) without a label
on their left are running heads' and footers' rules."""
NEAR_LEFT = 60.0
"""A label on the same line farther than this loses to one just above the field."""
MIN_ROOM = 7.0
"""A rule with less free space than this above it has text sitting on it: not a line to
write on (a rule between paragraphs, under a heading)."""
TOL = 1.5
"""How far two edges may miss each other and still meet, in points."""
LEADER_GAP = 24.0
"""How far short of a box a dotted leader may stop (room for a `▶` before the box)."""
LEADER_LEAD = 20.0
"""How far after its line's last word a dotted leader may start."""
"""Marks that point at the place to write (a tax form's "enter here")."""

CAPTION_ROOM = 40.0
"""Least room after a caption in its box for the answer, in points."""
AFTER_CAPTION = 0.3
"""Least share of its box that a row's one caption leaves empty after it."""
CAPTION_GAP = 8.0
"""Widest gap between two pieces of one caption, in points."""
CAPTION_INDENT = 8.0
"""Farthest a row's first caption starts from its box's left edge, in points."""

BOX_GLYPHS = frozenset("\u2610\u25a1\u2751\u274f\u25a2\u2b1c")  # ☐ □ ❑ ❏ ▢ ⬜
CIRCLE_GLYPHS = frozenset("\u25cb\u25ef\u274d\u26aa")  # ○ ◯ ❍ ⚪

_TYPE_RULES: tuple[tuple[FieldType, re.Pattern[str]], ...] = (
    (FieldType.EMAIL, re.compile(r"e-?\s?mail")),
    (FieldType.PHONE, re.compile(r"phone|\btel\b|\btel\.|mobile|\bcell\b|\bfax\b")),
    (
        FieldType.DATE,
        re.compile(r"\bdate\b|\bdob\b|birth|mm\s*/\s*dd|dd\s*/\s*mm|yyyy|\bdated\b"),
    ),
    (FieldType.SIGNATURE, re.compile(r"signature|\bsign\b|\bsigned\b|initials")),
    (
        FieldType.NUMBER,
        re.compile(
            r"#|\bnumber\b|\bno\.|amount|\$|how many|\bcount\b|\btotal\b|guests\b|budget|"
            r"\bprice\b|\bfee\b|\bqty\b|quantity|deposit|\bage\b|\bzip\b"
        ),
    ),
    (FieldType.CHOICE, re.compile(r"\b(select|choose)\b")),
)


def infer_type(label: str | None, shape: str) -> FieldType:
    """A detected field's type from its label's words and its shape ("line", "box",
    "comb", "checkbox", "radio"): buttons keep their shape's type; a text field takes the
    first type whose words its label holds (email, phone, date, signature, number, choice),
    else multiline for a tall box, comb for comb cells, text otherwise."""
    if shape == "checkbox":
        return FieldType.CHECKBOX
    if shape == "radio":
        return FieldType.RADIO
    words = (label or "").casefold()
    for kind, pattern in _TYPE_RULES:
        if pattern.search(words):
            return kind
    if shape == "multiline":
        return FieldType.MULTILINE
    if shape == "comb":
        return FieldType.COMB
    return FieldType.TEXT


@dataclass(frozen=True)
class _Piece:
    """Characters of one line that belong together: words of a phrase, a leader, a glyph."""

    kind: str  # "text", "leader", "box" or "circle"
    text: str
    rect: Rect  # loose
    glyph: Rect  # tight
    sure: bool = True  # every letter read with confidence (OCR)
    style: str = ""  # the style of all its characters, "" when they differ or it is unknown


@dataclass
class _Candidate:
    shape: str  # "line", "box", "multiline", "comb", "checkbox", "radio"
    rect: Rect
    rank: int
    caption: str | None = None
    cells: int | None = None
    cell: bool = False
    filled: bool = False
    """A box whose caption leaves no room under it (centred in it): a header, unless the
    space beside the caption is the field."""


def _char_class(ch: str) -> str:
    if ch == "_":
        return "leader"
    if ch in BOX_GLYPHS:
        return "box"
    if ch in CIRCLE_GLYPHS:
        return "circle"
    return "text"


def _bracket_marks(chars: Sequence[Char]) -> dict[int, str]:
    """Indexes of characters that draw `[ ]` (a checkbox) or `( )` (a radio button): the
    opening bracket, at most three spaces, the closing one."""
    marks: dict[int, str] = {}
    pairs = {"[": ("]", "box"), "(": (")", "circle")}
    i = 0
    while i < len(chars):
        opening = pairs.get(chars[i].text)
        if opening is not None:
            j = i + 1
            while j < len(chars) and j - i <= 4 and chars[j].text == " ":
                j += 1
            if j < len(chars) and j - i >= 2 and chars[j].text == opening[0]:
                for k in range(i, j + 1):
                    marks[k] = opening[1]
                i = j + 1
                continue
        i += 1
    return marks


def pieces(chars: Sequence[Char]) -> list[_Piece]:
    """The page's characters, in their reading order, cut into pieces: a new piece starts
    on a new line, after a gap wider than half a line, and where a leader, a glyph or a
    bracket pair begins or ends; each box or circle glyph is a piece of its own."""
    marks = _bracket_marks(chars)
    result: list[_Piece] = []
    current: list[Char] = []
    kind = ""
    inked = Char("", (0.0, 0.0, 0.0, 0.0), (0.0, 0.0, 0.0, 0.0))

    def flush() -> None:
        while current and current[-1].text == " ":
            current.pop()
        if current:
            text = "".join(c.text for c in current)
            result.append(
                _Piece(
                    kind,
                    text,
                    union([c.rect for c in current]),
                    union([c.glyph for c in current]),
                    all(c.sure for c in current),
                    _one_style(current),
                )
            )
            current.clear()

    for index, char in enumerate(chars):
        if char.text in "\r\n":
            flush()
            continue
        klass = marks.get(index) or _char_class(char.text)
        if char.text == " " and kind == "leader":
            flush()
            continue
        if current:
            last = inked
            height = max(last.rect[3] - last.rect[1], 1.0)
            centre, last_centre = (
                (char.rect[1] + char.rect[3]) / 2,
                (last.rect[1] + last.rect[3]) / 2,
            )
            new_line = abs(centre - last_centre) > 0.5 * height
            gap = char.rect[0] - last.rect[2]
            bracket_start = index in marks and (index - 1) not in marks
            inside_bracket = index in marks and not bracket_start
            if (
                new_line
                or (gap > 0.6 * height and not inside_bracket)
                or gap < -height
                or klass != kind
                or (klass in ("box", "circle") and (index not in marks or bracket_start))
            ):
                flush()
        if not current and char.text == " ":
            continue
        kind = klass
        current.append(char)
        if char.text != " ":
            inked = char  # the piece's last inked character (it never starts with a space)
    flush()
    return result


def _one_style(chars: Sequence[Char]) -> str:
    """The style all of a piece's inked characters are set in, "" when they differ."""
    styles = {c.style for c in chars if c.text != " "}
    return styles.pop() if len(styles) == 1 else ""


def _merge_lines(lines: Sequence[Rect], horizontal: bool) -> list[Rect]:
    """Collinear rules that touch or overlap joined into one (drawn in pieces by Word)."""
    if horizontal:
        keyed = sorted(lines, key=lambda r: (round(r[1] / TOL), r[0]))
    else:
        keyed = sorted(lines, key=lambda r: (round(r[0] / TOL), r[1]))
    merged: list[list[float]] = []
    for r in keyed:
        if merged:
            m = merged[-1]
            if horizontal and abs(m[1] - r[1]) <= TOL / 2 and r[0] <= m[2] + TOL:
                m[2] = max(m[2], r[2])
                continue
            if not horizontal and abs(m[0] - r[0]) <= TOL / 2 and r[1] <= m[3] + TOL:
                m[3] = max(m[3], r[3])
                continue
        merged.append(list(r))
    return [(m[0], m[1], m[2], m[3]) for m in merged]


def _cells(hlines: Sequence[Rect], vlines: Sequence[Rect]) -> list[Rect]:
    """The cells of ruled tables: for each rule, the columns between the vertical rules that
    rise from it, each closed by the first rule above that spans it, when both verticals
    reach that rule (or stop just short of it: SHORT_OF_TOP); the end of a rule may stand
    for a missing outer vertical (rows of a form open at the margin) when the row is at
    most OPEN_ROW tall, or when the cell continues a closed one of the same rows. Dashed
    verticals are not given: they divide one field into its parts."""
    cells: list[Rect] = []
    margin: list[Rect] = []
    by_y = sorted(hlines, key=lambda r: r[1])
    for lo in by_y:
        y = lo[1]
        rising = sorted(
            {
                round(v[0], 1)
                for v in vlines
                if lo[0] - TOL <= v[0] <= lo[2] + TOL and v[1] <= y + TOL and v[3] > y + 4
            }
        )
        if not rising:
            continue
        ends = {round(lo[0], 1), round(lo[2], 1)}
        rising = sorted({*rising, *ends})
        for xa, xb in itertools.pairwise(rising):
            if xb - xa < 4:
                continue
            top = next(
                (
                    h[1]
                    for h in by_y
                    if h[1] > y + 4 and h[0] <= xa + TOL and h[2] >= xb - TOL
                    # the first rule above spanning the column
                ),
                None,
            )
            if top is None:
                continue
            reach = [v for v in vlines if abs(v[0] - xa) <= TOL or abs(v[0] - xb) <= TOL]
            short = min(SHORT_OF_TOP, 0.25 * (top - y))  # a tick on a rule closes nothing
            left = any(
                abs(v[0] - xa) <= TOL and v[1] <= y + TOL and v[3] >= top - short for v in reach
            )
            right = any(
                abs(v[0] - xb) <= TOL and v[1] <= y + TOL and v[3] >= top - short for v in reach
            )
            open_left, open_right = xa in ends and not left, xb in ends and not right
            closed = (left or open_left) and (right or open_right) and (left or right)
            if closed and ((left and right) or top - y <= OPEN_ROW):
                cells.append((xa, y, xb, top))
            elif closed:
                margin.append((xa, y, xb, top))
    return cells + [c for c in margin if _continues_row(c, cells)]


def _page_boxes(page: PagePrimitives) -> tuple[list[Rect], list[Rect], list[Rect]]:
    """The page's merged horizontal rules, its table cells (`_cells`), and its boxes and
    cells together without duplicates, none over a quarter of the page. Dashed verticals
    divide one field into its parts (an SSN's groups), not a table into cells."""
    hlines = _merge_lines(page.hlines, horizontal=True)
    dashed = {d for d in page.dotted if d[0] == d[2]}
    vlines = _merge_lines([v for v in page.vlines if v not in dashed], horizontal=False)
    cells = _cells(hlines, vlines)
    most = 0.25 * page.width * page.height
    boxes = _dedupe_boxes(
        [b for b in (*page.boxes, *cells) if (b[2] - b[0]) * (b[3] - b[1]) < most]
    )
    return hlines, cells, boxes


def _continues_row(cell: Rect, cells: Sequence[Rect]) -> bool:
    """Whether a tall cell open at the end of its rules continues a closed cell of the same
    rows beside it (an amount's cents column with no rule at the page's edge)."""
    return any(
        abs(c[1] - cell[1]) <= TOL
        and abs(c[3] - cell[3]) <= TOL
        and (abs(c[2] - cell[0]) <= TOL or abs(c[0] - cell[2]) <= TOL)
        for c in cells
    )


def _large_button(r: Rect, texts: Sequence[_Piece]) -> bool:
    """A square (or circle) larger than a checkbox is still a button on a page drawn large:
    empty, with a caption just to its right whose letters are at least 40% of its side."""
    w, h = r[2] - r[0], r[3] - r[1]
    if not (CHECKBOX_MAX < w <= 72 and abs(w - h) <= 0.08 * w + 2):
        return False
    if any(inside_share(p.rect, r) > 0.5 for p in texts):
        return False
    for p in texts:
        centre = (p.rect[1] + p.rect[3]) / 2
        tall = p.rect[3] - p.rect[1]
        if r[1] <= centre <= r[3] and 0 <= p.rect[0] - r[2] <= w and tall >= 0.4 * h:
            return True
    return False


def _is_square(r: Rect) -> bool:
    w, h = r[2] - r[0], r[3] - r[1]
    return (
        CHECKBOX_MIN <= w <= CHECKBOX_MAX and CHECKBOX_MIN <= h <= CHECKBOX_MAX and abs(w - h) <= 3
    )


def _dedupe_boxes(boxes: Sequence[Rect]) -> list[Rect]:
    """One box for each place (a filled background and its stroked border are one box)."""
    kept: list[Rect] = []
    for b in sorted(boxes, key=lambda r: (r[1], r[0])):
        if not any(iou(b, k) > 0.85 for k in kept):
            kept.append(b)
    return kept


def _combs(boxes: Sequence[Rect]) -> tuple[list[tuple[Rect, int]], set[int]]:
    """Rows of two or more equal small boxes touching side by side: (their union, how many) and the
    indexes of the boxes they use."""
    small = [
        i for i, b in enumerate(boxes) if b[2] - b[0] <= COMB_MAX_CELL and 6 <= b[3] - b[1] <= 30
    ]
    small.sort(key=lambda i: (round(boxes[i][1]), boxes[i][0]))
    combs: list[tuple[Rect, int]] = []
    used: set[int] = set()
    run: list[int] = []

    def close() -> None:
        if len(run) >= 2:
            combs.append((union([boxes[i] for i in run]), len(run)))
            used.update(run)
        run.clear()

    for i in small:
        b = boxes[i]
        if run:
            last = boxes[run[-1]]
            same_row = abs(b[1] - last[1]) <= TOL and abs(b[3] - last[3]) <= TOL
            touching = -TOL <= b[0] - last[2] <= TOL
            similar = abs((b[2] - b[0]) - (last[2] - last[0])) <= 2.5
            if not (same_row and touching and similar):
                close()
        run.append(i)
    close()
    return combs, used


def _room_above(rect: Rect, obstacles: Sequence[Rect], default: float) -> float:
    """How tall a field on the line at rect's bottom may be before it meets text or a rule
    above it (at most `default`)."""
    x0, y, x1 = rect[0], rect[1], rect[2]
    room = default
    for o in obstacles:
        if o[0] < x1 - 1 and o[2] > x0 + 1 and o[1] > y + 6:
            room = min(room, o[1] - y - 1)
    return room


def _underlines_text(line: Rect, texts: Sequence[_Piece]) -> bool:
    """Whether a rule underlines text printed on it (a heading, a link, a paragraph above a
    separator) rather than being a line to write on: text sits just above it from its start
    across most of its length, or along most of it in pieces."""
    length = line[2] - line[0]
    sitting = 0.0
    for p in texts:
        r = p.rect
        if r[1] - 4 <= line[1] <= r[1] + 3:
            covered = min(r[2], line[2]) - max(r[0], line[0])
            if covered >= 0.8 * length and abs(r[0] - line[0]) <= 4:
                return True
            sitting += max(covered, 0.0)
    return sitting >= 0.6 * length


def _text_inside(rect: Rect, texts: Sequence[_Piece]) -> list[_Piece]:
    """The words inside a box that say something: signs (`+`, `=`, `$`) and short line
    numbers at its edge (`2a`) are printed in fields to write in, and do not count."""
    return [p for p in _held(rect, texts) if sum(ch.isalnum() for ch in p.text) >= 3]


_LINE_NUMBER = re.compile(r"\(?\d{1,3}[a-z]?\)?\.?|\(?[a-z]\)?\.?", re.IGNORECASE)
UNREAD_MIN_WIDTH, UNREAD_MIN_HEIGHT, UNREAD_MAX_HEIGHT = 10.0, 8.0, 40.0
"""Sizes of the narrow cells read a second time on a scan (`unread_cells`)."""
NUMBER_CELL = 40.0
"""Widest cell that a line number centred in it makes a label cell (`1`, `2b`, `11a`: the
number column of a tax form), not a field."""


def _centred_token(rect: Rect, texts: Sequence[_Piece]) -> Rect | None:
    """The ink box of a line number or a letter printed alone in a cell, centred in it."""
    inside = _held(rect, texts)
    if len(inside) != 1 or not _LINE_NUMBER.fullmatch(inside[0].text.strip()):
        return None
    token = inside[0].rect
    width = rect[2] - rect[0]
    if abs((token[0] + token[2]) / 2 - (rect[0] + rect[2]) / 2) > width / 4:
        return None
    return token


def _held(rect: Rect, texts: Sequence[_Piece]) -> list[_Piece]:
    """The words mostly inside a box (three fifths of their own box or more)."""
    return [p for p in texts if overlaps(p.rect, rect) and inside_share(p.rect, rect) >= 0.6]


def _numbering(areas: Sequence[Rect], texts: Sequence[_Piece]) -> set[Rect]:
    """The cells that number the form rather than take an answer: a line number alone in a
    narrow cell (`1`, `2b`: the number column of a tax form), and a row of strips each with
    its column's letter (`A`, `B`: no taller than twice the letter, side by side)."""
    lettered: dict[Rect, Rect] = {}
    for area in areas:
        token = _centred_token(area, texts)
        if token is not None:
            lettered[area] = token
    numbering = {a for a in lettered if a[2] - a[0] <= NUMBER_CELL}
    strips = [a for a, t in lettered.items() if a[3] - a[1] <= 2 * (t[3] - t[1])]
    for a in strips:
        for b in strips:
            if (
                a is not b
                and abs(a[1] - b[1]) <= TOL
                and abs(a[3] - b[3]) <= TOL
                and (abs(a[2] - b[0]) <= TOL or abs(b[2] - a[0]) <= TOL)
            ):
                numbering.add(a)
    numbers = {
        a
        for a in numbering
        if a[2] - a[0] <= NUMBER_CELL
        and all(LINE_NUMBER.fullmatch(p.text.strip()) for p in _held(a, texts))
    }
    column = number_columns(areas, numbers)
    for area in column - numbering:
        if short_tokens(p.text for p in _held(area, texts)):
            numbering.add(area)  # a number a scan's OCR misread ("ta") or left out
    return numbering


def _covered(area: Rect, fills: Sequence[Rect]) -> bool:
    """Whether fills (patterns, grey shading) cover most of a box, together: a column may be
    shaded row by row."""
    return sum(inside_share(area, f) for f in fills) >= 0.5


def _button_face(box: Rect, texts: Sequence[_Piece]) -> bool:
    """Whether a small square shows a sign that is no tick mark (`+`, `-`, `▲`, `▼`): a push
    button drawn on the page (add a row, move it), nothing to tick or write."""
    inside = _centred_inside(box, texts)
    if len(inside) != 1:
        return False
    sign = inside[0].text.strip()
    return len(sign) == 1 and not sign.isalnum() and sign not in TICKS


def _centred_inside(box: Rect, texts: Sequence[_Piece]) -> list[_Piece]:
    """The words whose centre lies inside a box (a mark printed on it)."""
    return [p for p in texts if _centred_in_any(p.rect, (box,))]


def _centred_in_any(rect: Rect, boxes: Sequence[Rect]) -> bool:
    return any(centred_in(rect, b) for b in boxes)


def _marker(box: Rect, dark: Sequence[Rect], texts: Sequence[_Piece]) -> bool:
    """Whether a box is a line marker: a small dark square with a letter or a number on it
    (`A`, `B`, `12` beside the lines they name), printed, nothing to tick. A tick mark on a
    dark checkbox (`✔`) or a value in a dark field is no marker."""
    if not (_is_square(box) and any(iou(box, d) > 0.85 for d in dark)):
        return False
    inside = _centred_inside(box, texts)
    return len(inside) == 1 and inside[0].text.isalnum() and len(inside[0].text) <= 2


def _hatched(area: Rect, hatches: Sequence[tuple[float, float]]) -> bool:
    """Whether slanted strokes cross a box (hatching: "do not write here")."""
    inside = 0
    for x, y in hatches:
        if area[0] < x < area[2] and area[1] < y < area[3]:
            inside += 1
            if inside >= 3:
                return True
    return False


def _candidates(
    page: PagePrimitives,
    parts: Sequence[_Piece],
    marks: tuple[list[Rect], list[Rect], list[Rect]],
) -> list[_Candidate]:
    texts = [p for p in parts if p.kind == "text"]
    found: list[_Candidate] = []
    hlines, cells, boxes = marks
    printed = {  # line markers and push buttons: marks of the form, nothing to fill
        i
        for i, b in enumerate(boxes)
        if _marker(b, page.dark, texts) or (_is_square(b) and _button_face(b, texts))
    }
    used = set(printed)
    free = [i for i in range(len(boxes)) if i not in used]
    combs, in_combs = _combs([boxes[i] for i in free])
    used |= {free[i] for i in in_combs}
    for rect, count in combs:
        found.append(_Candidate("comb", rect, 0, cells=count))
    for i, b in enumerate(boxes):
        if i not in used and (_is_square(b) or _large_button(b, texts)):
            found.append(_Candidate("checkbox", b, 1))
            used.add(i)
    for c in page.circles:
        if c[2] - c[0] <= CHECKBOX_MAX or _large_button(c, texts):
            found.append(_Candidate("radio", c, 1))
    for p in parts:
        if p.kind == "box":
            found.append(_Candidate("checkbox", _glyph_box(p), 2))
        elif p.kind == "circle":
            found.append(_Candidate("radio", _glyph_box(p), 2))
    areas = [b for i, b in enumerate(boxes) if i not in used]
    cell_set = set(cells)
    numbering = _numbering(areas, texts)
    unmarked = [b for i, b in enumerate(boxes) if i not in printed]
    for area in areas:
        if _hatched(area, page.hatches) or _covered(area, page.patterned) or area in numbering:
            continue
        for candidate in _area_fields(area, unmarked, texts):
            candidate.cell = area in cell_set
            found.append(candidate)
    found = _on_last_lines(_without_column_headers(found), numbering, texts)
    edges = [*areas, *[b for i, b in enumerate(boxes) if i in used and i not in printed]]
    obstacles = [p.rect for p in texts] + list(hlines)
    for line in hlines:
        length = line[2] - line[0]
        if length < MIN_LINE or length > 0.9 * page.width:
            continue
        if any(_on_edge(line, e) for e in edges) or _underlines_text(line, texts):
            continue
        if _leader(line, page.dotted, edges, texts) or _into_arc(line, page.arcs):
            continue
        margin = not (MARGIN_BAND * page.height < line[1] < (1 - MARGIN_BAND) * page.height)
        if margin and not any(
            _same_row((line[0], line[1], line[2], line[1] + 10), t.rect)
            and t.rect[2] <= line[0] + 2
            for t in texts
        ):
            continue  # a rule under the running head or over the footer
        y = line[1]
        height = _room_above((line[0], y, line[2], y), obstacles, LINE_HEIGHT)
        if height < MIN_ROOM:
            continue  # text sits on it: a rule between paragraphs, no room to write
        found.append(_Candidate("line", (line[0], y - 1, line[2], y - 1 + height), 4))
    for p in parts:
        if p.kind == "leader" and p.text.count("_") >= 3 and p.glyph[2] - p.glyph[0] >= 12:
            y = p.glyph[1]
            height = max(_room_above((p.glyph[0], y, p.glyph[2], y), obstacles, LINE_HEIGHT), 8)
            found.append(_Candidate("line", (p.glyph[0], y - 1, p.glyph[2], y - 1 + height), 5))
    return found


def _without_column_headers(found: list[_Candidate]) -> list[_Candidate]:
    """The candidates less the header cells of tables: a cell with a caption (or a box whose
    caption fills it), standing on empty boxes or cells that fill its width (one of its
    column, or the parts a column is split into), names that column; the fields are the
    cells under it."""
    empty = [c.rect for c in found if c.shape in ("box", "multiline") and c.caption is None]

    def header(c: _Candidate) -> bool:
        if c.caption is None or not (c.cell or c.filled):
            return False
        x0, y0, x1, _ = c.rect
        under = [
            e for e in empty if abs(e[3] - y0) <= TOL and e[0] >= x0 - TOL and e[2] <= x1 + TOL
        ]
        return sum(e[2] - e[0] for e in under) >= 0.9 * (x1 - x0)

    return [c for c in found if not header(c)]


def _on_last_lines(
    found: list[_Candidate], numbering: set[Rect], texts: Sequence[_Piece]
) -> list[_Candidate]:
    """The candidates, with the amount boxes and cells of a tax form's long items cut to their
    last line.

    An item two or more lines long ("76 Dividends paid by: / a U.S. corporations") makes its
    row of cells (or of drawn boxes: a scan finds narrow cells as boxes) that tall, but its
    line number (`76a`) is printed on the last line, and the amount goes there, one line
    tall: as tall as the page's shortest numbered cell (one line of the form), else as the
    amount column's usual cell. A tall cell with no line number on its last line (a notes
    row, a cell to write several lines in) is left whole."""
    empty = [c for c in found if c.caption is None and c.shape in ("box", "multiline")]
    numbers = [n for n in numbering if n[2] - n[0] <= NUMBER_CELL]  # not a column's letters
    cut: dict[int, _Candidate] = {}
    for c in empty:
        x0, y0, x1, y1 = c.rect
        row = [n for n in numbers if n[2] <= x0 + TOL and n[1] >= y0 - TOL and n[3] <= y1 + TOL]
        if not row:
            continue
        token = _centred_token(max(row, key=lambda n: (n[2], -n[1])), texts)  # nearest, lowest
        if token is None:
            continue
        numbered = [n[3] - n[1] for n in numbers if n[3] - n[1] >= token[3] - token[1]]
        line = min(numbered) if len(numbered) >= 3 else _usual_height(c.rect, empty)
        if line is not None and y1 - y0 >= 1.6 * line and token[3] <= y0 + line + TOL:
            cut[id(c)] = replace(c, rect=(x0, y0, x1, y0 + line), shape="box")
    return [cut.get(id(c), c) for c in found]


def _usual_height(rect: Rect, cells: Sequence[_Candidate]) -> float | None:
    """The median height of the cells of `rect`'s column (the same left and right edges),
    None for a column of fewer than three."""
    heights = sorted(
        e.rect[3] - e.rect[1]
        for e in cells
        if abs(e.rect[0] - rect[0]) <= TOL and abs(e.rect[2] - rect[2]) <= TOL
    )
    return heights[len(heights) // 2] if len(heights) >= 3 else None


def _leader(
    line: Rect, dotted: Sequence[Rect], edges: Sequence[Rect], texts: Sequence[_Piece]
) -> bool:
    """Whether a rule is a dotted leader: mostly dotted, running from the words of its line
    up to the left edge of a box or cell (a tax form's dots from a line's words to its
    amount's box), which guides the eye to the field rather than being one. A dotted rule
    with no words just before it (a line of an item's blank lines), or after a `▶` (the
    form's "enter here"), is a line to write on."""
    y = line[1]
    dots = sum(
        max(0.0, min(d[2], line[2]) - max(d[0], line[0]))
        for d in dotted
        if abs(d[1] - y) <= TOL and d[1] == d[3]
    )
    if dots < 0.8 * (line[2] - line[0]):
        return False
    if not any(abs(e[0] - line[2]) <= LEADER_GAP and e[1] - TOL <= y <= e[3] + TOL for e in edges):
        return False
    before = [
        t
        for t in texts
        if t.rect[1] - TOL <= y <= t.rect[3] and line[0] - LEADER_LEAD <= t.rect[2] <= line[0] + 2
    ]
    return bool(before) and not any(t.text.rstrip().endswith(ENTER_MARKS) for t in before)


def _into_arc(line: Rect, arcs: Sequence[Rect]) -> bool:
    """Whether a rule runs into a rounded corner: a side of a rounded frame (a margin note's
    box), not a line to write on."""
    ends = ((line[0], line[1]), (line[2], line[3]))
    return any(
        a[0] - TOL <= x <= a[2] + TOL and a[1] - TOL <= y <= a[3] + TOL
        for a in arcs
        for x, y in ends
    )


def _glyph_box(p: _Piece) -> Rect:
    """A glyph's (or bracket pair's) square: its ink for ☐ and ○, the span of the brackets
    across a square of the line's height for `[ ]` and `( )`."""
    if len(p.text) == 1:
        return p.glyph
    x0, _, x1, _ = p.glyph
    y0, y1 = p.glyph[1], p.glyph[3]
    return (x0, y0, x1, y1)


def _on_edge(line: Rect, area: Rect) -> bool:
    """Whether a rule is the top or bottom edge of a box or cell."""
    near = abs(line[1] - area[1]) <= TOL or abs(line[1] - area[3]) <= TOL
    overlap = min(line[2], area[2]) - max(line[0], area[0])
    return near and overlap >= 0.5 * min(line[2] - line[0], area[2] - area[0])


def _area_fields(area: Rect, areas: Sequence[Rect], texts: Sequence[_Piece]) -> list[_Candidate]:
    """A box or a table cell as a field, or none: too small, holding other boxes (a frame),
    or a label cell (text fills it); a caption printed inside its top becomes its label, and
    the field the space under it; a one-line box may hold fields after its captions."""
    w, h = area[2] - area[0], area[3] - area[1]
    if w < 15 or h < 8:
        return []
    if any(
        o is not area and overlaps(o, area) and inside_share(o, area) > 0.95 and o != area
        for o in areas
    ):
        return []
    inside = _text_inside(area, texts)
    caption: str | None = None
    if inside:
        line = max(p.rect[3] - p.rect[1] for p in inside)
        captions = _caption_columns(inside)
        if h < 2.2 * line or _captions_across(area, captions, line):
            return _after_caption(area, captions, areas, texts)  # a label cell, unless room follows
        inked = sum((p.rect[2] - p.rect[0]) * (p.rect[3] - p.rect[1]) for p in inside)
        if len(inside) > 3 or inked > 0.35 * w * h:
            return []  # a paragraph or a list printed in a box: nothing to write
        top = max(inside, key=lambda p: (p.rect[3], -p.rect[0]))
        if top.rect[3] < area[3] - 0.45 * h:
            return []  # text in the middle or at the bottom: a printed paragraph
        caption = clean_label(top.text)
        below = min(p.rect[1] for p in inside) - 0.5
        if below - area[1] >= 8:
            area = (area[0], area[1], area[2], below)  # the space under the caption
            h = below - area[1]
            inside = []
    shape = "multiline" if h >= MULTILINE_HEIGHT else "box"
    return [_Candidate(shape, area, 3, caption=caption, filled=bool(inside))]


def _after_caption(
    area: Rect,
    captions: Sequence[tuple[Rect, str]],
    areas: Sequence[Rect],
    texts: Sequence[_Piece],
) -> list[_Candidate]:
    """The fields in a one-line box after its captions; none for a label cell.

    Government forms rule a row as one box and print its caption at the box's left, the
    answer written after it ("CASE NUMBER ____", "ZIP ____"). Such a caption is set in
    capitals (an aside in brackets not counted: "EMAIL (Address Required)") or ends with a
    colon, starts within CAPTION_INDENT of the box's edge and leaves at least AFTER_CAPTION
    of the box (and CAPTION_ROOM) empty; a box with an empty box or cell right after it is
    a label cell, whose field is that neighbour. A row may hold several captions, each
    ending with a colon, with room after each ("ARMY: ___ NAVY: ___"). Mixed-case text in a
    box (a table of information, a value typed into a box) stays a label cell. `captions`
    are the box's words as `_caption_columns` gathers them."""
    w, h = area[2] - area[0], area[3] - area[1]
    if not captions or captions[0][0][0] - area[0] > CAPTION_INDENT:
        return []
    if len(captions) > 1 and not all(text.endswith(":") for _, text in captions):
        return []
    if len(captions) == 1:
        text = captions[0][1]
        if not (in_capitals(text) or text.endswith(":")):
            return []
    ends = [c[0][0] for c in captions[1:]] + [area[2]]
    spans = [(rect[2], end) for (rect, _), end in zip(captions, ends, strict=True)]
    if any(end - start < CAPTION_ROOM for start, end in spans):
        return []
    if len(captions) == 1 and spans[0][1] - spans[0][0] < AFTER_CAPTION * w:
        return []
    for a in areas:
        beside = abs(a[0] - area[2]) <= TOL
        level = min(a[3], area[3]) - max(a[1], area[1]) >= 0.5 * h
        if beside and level and not _text_inside(a, texts):
            return []
    under = [
        a
        for a in areas
        if abs(a[3] - area[1]) <= TOL
        and a[0] >= area[0] - TOL
        and a[2] <= area[2] + TOL
        and not _text_inside(a, texts)
    ]
    if sum(a[2] - a[0] for a in under) >= 0.9 * w:
        return []  # a column's header over its empty cells
    return [
        _Candidate(
            "box",
            (start + 2, area[1], end - (2 if end < area[2] else 0), area[3]),
            3,
            caption=clean_label(text),
        )
        for (start, end), (_, text) in zip(spans, captions, strict=True)
    ]


def _captions_across(area: Rect, captions: Sequence[tuple[Rect, str]], line: float) -> bool:
    """Whether a box two lines tall holds a row of captions, each beside its answer, rather
    than a caption over the space to write in: a caption printed on two lines, and every
    caption centred across the box, leaving no room to write under it."""
    h = area[3] - area[1]
    if h > 3.2 * line:
        return False
    middle = (area[1] + area[3]) / 2
    if not captions or min(r[1] for r, _ in captions) - area[1] >= MIN_ROOM:
        return False  # no caption, or room to write under them: captions over their fields
    return any(r[3] - r[1] >= 1.5 * line for r, _ in captions) and all(
        abs((r[1] + r[3]) / 2 - middle) <= 0.2 * h for r, _ in captions
    )


def _caption_columns(inside: Sequence[_Piece]) -> list[tuple[Rect, str]]:
    """The words in a box gathered into captions, left to right: pieces whose spans across
    overlap are one caption printed on two lines ("AIR / FORCE:"), read top down, and a
    piece just after another (an aside set in italics) continues it."""
    columns: list[list[_Piece]] = []
    for p in sorted(inside, key=lambda p: p.rect[0]):
        last = columns[-1] if columns else None
        if last is not None and p.rect[0] < max(q.rect[2] for q in last) + CAPTION_GAP:
            last.append(p)
        else:
            columns.append([p])
    result = []
    for column in columns:
        lines = sorted(column, key=lambda p: (-round((p.rect[1] + p.rect[3]) / 2 / 4), p.rect[0]))
        text = " ".join(p.text.strip() for p in lines).strip()
        if text:
            result.append((union([p.rect for p in column]), text))
    return result


def _resolve(found: Sequence[_Candidate]) -> list[_Candidate]:
    """Candidates by rank (most specific first), each dropped when it mostly overlaps one
    already kept (an underline at the bottom of a box, a glyph over a drawn square)."""
    kept: list[_Candidate] = []
    for c in sorted(found, key=lambda c: (c.rank, -c.rect[3], c.rect[0])):
        clash = False
        for k in kept:
            if not overlaps(c.rect, k.rect):
                continue  # neither measure can clash
            if iou(c.rect, k.rect) > 0.3 or inside_share(c.rect, k.rect) > 0.6:
                clash = True
                break
            if (
                k.shape in ("checkbox", "radio", "comb")
                and c.shape not in ("checkbox", "radio")
                and inside_share(k.rect, c.rect) > 0.6
                and c.rank > 3
            ):
                clash = True
                break
        if not clash:
            kept.append(c)
    return kept


def _radio_groups(radios: Sequence[_Candidate]) -> list[list[_Candidate]]:
    """Radio buttons grouped: those on one line within 250 points of each other, or
    stacked in one column less than 30 points apart, are one group."""
    parent = list(range(len(radios)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, a in enumerate(radios):
        for j in range(i + 1, len(radios)):
            b = radios[j]
            ca, cb = (a.rect[1] + a.rect[3]) / 2, (b.rect[1] + b.rect[3]) / 2
            same_line = abs(ca - cb) <= 3 and abs(a.rect[0] - b.rect[0]) <= 250
            same_column = abs(a.rect[0] - b.rect[0]) <= 3 and abs(ca - cb) <= 30
            if same_line or same_column:
                parent[find(i)] = find(j)
    groups: dict[int, list[_Candidate]] = {}
    for i, r in enumerate(radios):
        groups.setdefault(find(i), []).append(r)
    return [sorted(g, key=lambda c: (-c.rect[3], c.rect[0])) for g in groups.values()]


def _label_for(c: _Candidate, runs: Sequence[TextRun]) -> str | None:
    """A field's label: its caption inside; for a table cell its column's header; else the
    text on its left on the same line (unless it is far and text stands just above), else
    the nearer of the text just above it and, for a line, the text just below it (a
    signature's caption)."""
    if c.caption:
        return c.caption
    if c.cell:
        header = _column_header(c.rect, runs)
        if header is not None:
            return header
    left_runs = [r for r in runs if r.rect[2] <= c.rect[0] + 2 and _same_row(c.rect, r.rect)]
    left = nearest_label(c.rect, left_runs)
    above = _above(c.rect, runs)
    near_left = any(c.rect[0] - r.rect[2] <= NEAR_LEFT for r in left_runs)
    if left is not None and (near_left or above is None):
        return left
    if c.shape == "line":
        below = _below(c.rect, runs)
        if below is not None and (above is None or below[0] < above[0]):
            return below[1]
    return above[1] if above is not None else nearest_label(c.rect, runs)


def _column_header(rect: Rect, runs: Sequence[TextRun]) -> str | None:
    """For a table cell, the nearest text above it within its column (its header cell)."""
    best: tuple[float, str] | None = None
    for run in runs:
        r = run.rect
        if r[1] < rect[3] - 2 or r[1] - rect[3] > 400:
            continue
        overlap = min(r[2], rect[2]) - max(r[0], rect[0])
        if overlap < 0.6 * (r[2] - r[0]):
            continue
        text = clean_label(run.text)
        if text is None:
            continue
        gap = r[1] - rect[3]
        if best is None or gap < best[0]:
            best = (gap, text)
    return best[1] if best is not None else None


def _same_row(field: Rect, run: Rect) -> bool:
    centre = (run[1] + run[3]) / 2
    return field[1] - 2 <= centre <= field[3]


def _above(rect: Rect, runs: Sequence[TextRun]) -> tuple[float, str] | None:
    """The text just over a field (its bottom within MAX_ABOVE_GAP of the field's top),
    starting within the field's span, and how far it is."""
    best: tuple[float, str] | None = None
    for run in runs:
        r = run.rect
        if r[1] < rect[3] - 2 or r[1] - rect[3] > MAX_ABOVE_GAP:
            continue
        if not (rect[0] - 5 <= r[0] < rect[2]):
            continue
        text = clean_label(run.text)
        if text is None:
            continue
        gap = max(r[1] - rect[3], 0.0)
        if best is None or gap < best[0]:
            best = (gap, text)
    return best


def _below(rect: Rect, runs: Sequence[TextRun]) -> tuple[float, str] | None:
    """The text just under a line (its top within 14 points), mostly within its span, and
    how far it is."""
    best: tuple[float, str] | None = None
    y = rect[1] + 1
    for run in runs:
        r = run.rect
        if r[3] > y + 2 or y - r[3] > 14:
            continue
        overlap = min(r[2], rect[2]) - max(r[0], rect[0])
        if overlap < 0.5 * (r[2] - r[0]):
            continue
        text = clean_label(run.text)
        if text is None:
            continue
        gap = max(y - r[3], 0.0)
        if best is None or gap < best[0]:
            best = (gap, text)
    return best


def _slug(text: str | None, fallback: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", (text or "").casefold()).strip("_")[:40].strip("_")
    return slug or fallback


def unread_cells(page: PagePrimitives) -> list[Rect]:
    """The narrow cells and boxes of a page (a line number's, up to three lines tall: an
    item's number is on its last line) that hold no text: where a scan's OCR may have missed
    what is printed (Tesseract's sparse reading skips a tax form's bold line numbers, `36`,
    alone in their cells), worth a second, closer reading. Squares of a checkbox's size are
    left out."""
    texts = [p.rect for p in pieces(page.chars) if p.kind == "text"]
    found = []
    for b in _page_boxes(page)[2]:
        w, h = b[2] - b[0], b[3] - b[1]
        if not (
            UNREAD_MIN_WIDTH <= w <= NUMBER_CELL and UNREAD_MIN_HEIGHT <= h <= UNREAD_MAX_HEIGHT
        ):
            continue
        if _is_square(b):
            continue
        if any(inside_share(t, b) >= 0.5 for t in texts):
            continue
        found.append(b)
    return found


@dataclass(frozen=True)
class Written:
    """A page's words cut into pieces, its marks, and what the answer rules read of its
    words (`texts`, the pieces of text, are what `reading` numbers)."""

    parts: list[_Piece]
    marks: tuple[list[Rect], list[Rect], list[Rect]]
    texts: list[_Piece]
    reading: Reading

    def answers(self, styles: Styles) -> list[_Piece]:
        """The pieces written into the form: those the rules read, less the words set in the
        print's style (a mark in a square stays), and every piece set in the filler's
        (`answers.StyleVote`)."""
        reading = self.reading
        chosen = {
            i
            for i in reading.answers
            if i in reading.marked or self.texts[i].style not in styles.printed
        }
        if styles.filler:
            chosen.update(i for i, t in enumerate(self.texts) if t.style in styles.filler)
        return [self.texts[i] for i in sorted(chosen)]


def read_written(page: PagePrimitives) -> Written:
    """What `detect_fields` reads of a page before it looks for fields: its pieces, marks
    and answers, for a document's pages to vote on the filler's style first."""
    parts = pieces(page.chars)
    marks = _page_boxes(page)
    texts = [p for p in parts if p.kind == "text"]
    return Written(parts, marks, texts, _answers(page, parts, marks, texts))


def detect_fields(
    page: PagePrimitives,
    page_index: int,
    *,
    styles: Styles | None = None,
    written: Written | None = None,
) -> list[Field]:
    """The fields of one printed page, in reading order (top to bottom, left to right),
    each with its rectangle, label and type; `name` is made from the label, unique on the
    page with a suffix, prefixed with the page (`p1.wedding_date`). `styles`, voted over
    the document, say which words are answers wherever they stand (the filler's style) and
    which are print (the print's); `written` is the page's `read_written`, when it was read
    already."""
    written = written or read_written(page)
    answers = written.answers(styles or Styles())
    taken = {id(a) for a in answers}
    parts = [p for p in written.parts if id(p) not in taken]
    marks = written.marks
    texts = [p for p in parts if p.kind == "text"]
    markers = [d for d in page.dark if _marker(d, page.dark, texts)]
    runs = [TextRun(p.text, p.rect) for p in texts if not _centred_in_any(p.rect, markers)]
    kept = _resolve(_candidates(page, parts, marks))
    radios = [c for c in kept if c.shape == "radio"]
    others = [c for c in kept if c.shape != "radio"]
    built: list[tuple[Rect, Field]] = []
    for c in others:
        caption_right = c.shape == "checkbox"
        label = (
            nearest_label(c.rect, runs, caption_right=True)
            if caption_right
            else _label_for(c, runs)
        )
        kind = infer_type(label, c.shape)
        built.append(
            (
                c.rect,
                Field(
                    name="",
                    type=kind,
                    page=page_index,
                    rect=_rounded(c.rect),
                    label=label,
                    label_source="nearby" if label is not None else None,
                    value=(
                        ("Yes" if ticked(c.rect, answers, page.hatches) else None)
                        if c.shape == "checkbox"
                        else answer_in(c.rect, answers, comb=c.shape == "comb")
                    ),
                    max_length=c.cells,
                    widgets=(Widget(page_index, _rounded(c.rect)),),
                    source="detected",
                ),
            )
        )
    for group in _radio_groups(radios):
        rects = [_rounded(c.rect) for c in group]
        whole = union(rects)
        options = tuple(
            Option(
                value=_slug(nearest_label(r, runs, caption_right=True), str(i + 1)),
                label=nearest_label(r, runs, caption_right=True),
                page=page_index,
                rect=r,
            )
            for i, r in enumerate(rects)
        )
        label = nearest_label(whole, [r for r in runs if not _beside_any(r.rect, rects)])
        built.append(
            (
                whole,
                Field(
                    name="",
                    type=FieldType.RADIO,
                    page=page_index,
                    rect=whole,
                    label=label,
                    label_source="nearby" if label is not None else None,
                    value=next(
                        (
                            o.value
                            for o in options
                            if o.rect and ticked(o.rect, answers, page.hatches)
                        ),
                        None,
                    ),
                    options=options,
                    widgets=tuple(Widget(page_index, r) for r in rects),
                    source="detected",
                ),
            )
        )
    built.sort(key=lambda item: (-round(item[0][3] / 4), item[0][0]))
    seen: dict[str, int] = {}
    result = []
    for _, f in built:
        base = f"p{page_index + 1}.{_slug(f.label, f.type.value)}"
        seen[base] = seen.get(base, 0) + 1
        name = base if seen[base] == 1 else f"{base}_{seen[base]}"
        result.append(_with_name(f, name))
    return result


def _answers(
    page: PagePrimitives,
    parts: Sequence[_Piece],
    marks: tuple[list[Rect], list[Rect], list[Rect]],
    texts: Sequence[_Piece],
) -> Reading:
    """What the answer rules read of the words written into the form's marks
    (`answers.read_answers`): its rules and underscore runs, its boxes and cells, its
    checkboxes and radio buttons."""
    hlines, cells, boxes = marks
    rules = [*hlines, *(p.glyph for p in parts if p.kind == "leader" and "_" in p.text)]
    squares = [
        *(b for b in boxes if _is_square(b)),
        *page.circles,
        *(_glyph_box(p) for p in parts if p.kind in ("box", "circle")),
    ]
    hatched = [c for c in cells if _hatched(c, page.hatches)]
    return read_answers(texts, rules, boxes, cells, squares, hatched)


def _beside_any(run: Rect, rects: Sequence[Rect]) -> bool:
    """Whether a run is an option's caption (just right of one of the buttons)."""
    for r in rects:
        centre = (run[1] + run[3]) / 2
        if r[1] - 2 <= centre <= r[3] + 2 and 0 <= run[0] - r[2] <= 40:
            return True
    return False


def _with_name(f: Field, name: str) -> Field:
    from dataclasses import replace

    return replace(f, name=name)


def _rounded(r: Rect) -> Rect:
    return (round(r[0], 2), round(r[1], 2), round(r[2], 2), round(r[3], 2))

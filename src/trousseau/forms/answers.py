"""Answers typed into a printed form, told apart from its printed words, pure.

A form comes back filled in: typed in a PDF editor and flattened, or typed into the Word
document before it was printed. Its answers are words like the labels, so the detector would
take them for text (a box holding words is a label cell, a rule with words on it underlines
them) and lose the fields they fill, or take an answer for a field's label. An answer is
told by where it stands, against the marks of the form:

- words sitting on a rule (or a run of underscores) that something labels: "Name:" ending
  just before the rule on its row, a caption alone just under it (a signature's), or a
  short label alone over the words, aligned with them, no larger and a blank apart (a
  heading is larger, a paragraph's next line closer); a word sitting on a rule of its own
  labels no other (stacked rows); words over most of a rule are a line of text it
  underlines (a heading, a link, a form's row), and leaders, pointers and date formats
  (`. . .`, `▶`, `MM/DD/YYYY`) are print;
- words at the top left of a box (not a table's cell, nor a frame around other boxes)
  labelled from outside it: "Name:" or a close caption on its left, or a caption over it
  (the caption of the cell around it, too); and the last row of words in a box or cell,
  a line's height under the caption printed at its top, or set larger than it (not a
  question's "☐ Yes ☐ No");
- words in the body cells of a ruled table headed by labels, when some column is partly
  blank, or when every cell is written: a table whose written columns stand beside blank
  ones is printed (its row headings, the cells to fill beside them), and a line's number or
  a sign in a cell (`7`, `+`) is printed too; a second row of headings (words, no figure)
  is no answer; on a scan, OCR's unsure words (shading, hatching) write no cell;
- a tick mark (`TICKS`) centred in a small square, a dot in a circle (or a cross drawn
  with two strokes); letters and figures in a row of squares side by side (comb cells, a
  character each, or a line of text across them as a form filler without comb spacing
  draws it).

A form filled in on a computer also says it by its answers' style: the filler writes them
all in its fields' font and colour. `StyleVote` elects that style over a document's pages
from the answers the rules above find, and every word set in it is an answer, where the
rules alone miss some (cells captioned as tight over their answers as over a caption's
second line); a style that labels the answers is the print's, and a form typed in it is read
by the rules alone.

`typed_answers` (`read_answers`, with the labels that told them) says which words are
answers; the detector then finds the fields as on a blank form, without them, and
`answer_in` gives each field the answer it holds.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from trousseau.forms.geometry import centred_in, inside_share, overlaps
from trousseau.forms.model import Rect

ANSWER_LEAD = 60.0
"""Farthest (points) a label may end before the rule or box it labels, on its row."""
CLOSE = 12.0
"""Farthest a label without a colon may end before the box it labels."""
SITS_BELOW, SITS_ABOVE = 3.0, 6.0
"""A word sits on a rule when its bottom is at most this far below or above it."""
CAPTION_UNDER = 8.0
"""Farthest a caption may stand under its rule (a signature's)."""
LABEL_OVER = 10.0
"""Farthest a label may stand over the answer it asks for."""
LEADING = 2.0
"""Least blank between a label and the words under it: a paragraph's next line is closer."""
CELL_CAPTION = 30.0
"""Farthest a cell's caption may stand over the box to write in under it, in the cell."""
MOST = 0.7
"""Words over more of a rule's length than this are a line of text it underlines (a
heading, a link, a row of a form ruled under its text), not an answer written on it."""
CAPTIONED = 300.0
"""Longest line a caption under it may name (a signature's; longer ones are separators)."""
CAPTION_CHARS = 40
"""Longest caption or label standing over or under a field."""
ROOM = 0.9
"""A box to write in is at least this many times as tall as its words (a caption bar's
words fill it)."""
CAPTION_ROWS = 3
"""Most rows a caption printed at the top of a box may take."""
BLANK = 0.9
"""A blank gap between a caption and the answer under it, as a share of the answer's height."""
LARGER = 1.12
"""An answer this many times as tall as the caption over it needs no blank between them
(the 1040 prints 7 pt captions over its boxes, a filler writes 9 pt: loose boxes 8.2 and
9.5 pt tall, 2.6 pt apart)."""
HEADING = 1.2
"""Words over others taller than this many times their height are a heading, no label."""
INDENT = 6.0
"""An answer typed in a box starts within this of its left side and its top."""
ENTER_MARKS = ("\u25b6", "\u25ba")  # ▶ ►
"""Pointers a form prints before the place to write."""
PRINTED = (*ENTER_MARKS, "..", ". .", "__")
"""Leaders and pointers: printed, never written."""
PLACEHOLDER = re.compile(r"(?i)\(?(mm|dd|yy|yyyy)([/.\- ](mm|dd|yy|yyyy))+\)?")
"""A date's format printed in its box ("MM/DD/YYYY"): print, not an answer."""
BOX_MARKS = frozenset("\u2610\u25a1\u2751\u274f\u25a2\u2b1c\u25cb\u25ef\u274d\u26aa")
"""Checkbox and radio glyphs (☐ □ ❑ ❏ ▢ ⬜ ○ ◯ ❍ ⚪): a row holding one is print."""

TOL = 1.5
LINE_NUMBER = re.compile(r"\(?\d{1,2}[a-z]?\)?\.?")
"""A line's number printed in a table's cell ("7", "12a"), no answer. Narrower than the
detector's (`detect._LINE_NUMBER`, which takes three digits and a lone letter as a number
cell's): in a table's body, "120" guests is an answer."""
HEADING_NUMBER = re.compile(r"\(\d{1,2}[a-z]?\)|\d{1,2}[a-z]")
"""A number that names a line or a column ("7b", "(2)"), where an amount is digits alone."""
NARROW = 40.0
"""A column this narrow holds line numbers or signs, not answers."""


class Words(Protocol):
    """Anything with a text and its rectangle: the detector's pieces of text."""

    @property
    def text(self) -> str: ...

    @property
    def rect(self) -> Rect: ...

    @property
    def sure(self) -> bool:
        """False for words OCR read with little confidence."""


@dataclass(frozen=True)
class Reading:
    """What the rules read of a page's words: which are answers, and which printed words
    told them (the labels, captions and headings the answers were written against)."""

    answers: frozenset[int]
    labels: frozenset[int]
    tabled: frozenset[int] = frozenset()
    """The answers read from tables written in every cell, which a printed table (a price
    list) is as well: they cast no vote for a style (`StyleVote`)."""
    marked: frozenset[int] = frozenset()
    """The answers in checkboxes, radio buttons and comb cells: a mark in a square is an
    answer whatever style it is set in."""


def typed_answers(
    texts: Sequence[Words],
    rules: Sequence[Rect],
    boxes: Sequence[Rect],
    cells: Sequence[Rect],
    squares: Sequence[Rect],
    hatched: Sequence[Rect] = (),
) -> set[int]:
    """The indices of `texts` that are answers written into the form's marks: on `rules`
    (horizontal rules and underscore runs, as thin rectangles), in `boxes` (closed boxes and
    table cells, `cells` among them, `hatched` the cells marked "do not fill") and `squares`
    (checkboxes, radio buttons): the plain form of `read_answers` (which the detector calls,
    for the labels too)."""
    return set(read_answers(texts, rules, boxes, cells, squares, hatched).answers)


def read_answers(
    texts: Sequence[Words],
    rules: Sequence[Rect],
    boxes: Sequence[Rect],
    cells: Sequence[Rect],
    squares: Sequence[Rect],
    hatched: Sequence[Rect] = (),
) -> Reading:
    """`typed_answers`, with the printed words that labelled them."""
    page = _Page(texts, rules, boxes, squares)
    answers: set[int] = set()
    labels: set[int] = set()

    def add(found: tuple[list[int], list[int]]) -> None:
        if found[0]:
            answers.update(found[0])
            labels.update(found[1])

    for rule, on in page.on_rules.items():
        label = _rule_label(rule, on, page)
        if label is not None:
            add((on, [label]))
    cell_set = set(cells)
    for box in boxes:
        if box in page.frames or box in page.squares:
            continue
        if box not in cell_set:
            add(_in_box(box, page))
        add(_under_caption(box, page))
        add(_after_caption(box, page))
    tabled, headings, full = _in_tables(page, cells)
    add((tabled, headings))
    add(_after_numbers(page, cells))
    add((_beside_hatching(page, cells, hatched), []))
    marked: set[int] = set()
    for square in squares:
        marked.update(
            i for i, t in enumerate(texts) if t.text.strip() in TICKS and centred_in(t.rect, square)
        )
    for row in _combs(squares):
        marked.update(
            i for i, t in enumerate(texts) if _said(t.text) and inside_share(t.rect, row) >= 0.6
        )
    answers |= marked
    return Reading(
        frozenset(answers), frozenset(labels - answers), frozenset(full), frozenset(marked)
    )


FILLER_PLACES = 3
"""Least number of places (squares `FILLER_PLACE` a side) a style's answers stand in before
it is taken for the filler's: a word the rules mistake on every page of a form stands in
one. (Answers stacked in one column count: the W-9's name, business and address boxes.)"""
FILLER_PLACE = 20.0
"""Side of the squares a style's answers are counted in (`FILLER_PLACES`), in points."""
FILLER_SHARE = 0.03
"""Least share of a style's words the rules read as answers before it is the filler's."""
LABELS_SHARE = 0.1
"""Most labels of answers a filler's style may set, as a share of its answers (an answer
overflowing onto the row under it reads as that row's label)."""
PRINT_SHARE = 0.02
"""Most share of a style's words that may ask ("Name:") before it is print."""
LONG_WORDS, LONG_SHARE = 50, 0.1
"""A run of more characters than this is a sentence; more than this share of them, print."""


class Styled(Words, Protocol):
    """Words with the style they are set in: the detector's pieces of a born-digital page."""

    @property
    def style(self) -> str:
        """How the words are set (font and colour), "" when unknown (a scan)."""


@dataclass
class _Tally:
    """What a document's words in one style were: how many, how many the rules read as
    answers (outside tables written in every cell) and in which places, how many labelled
    an answer, asked ("Name:") or ran on."""

    words: int = 0
    answers: int = 0
    labels: int = 0
    asks: int = 0
    long: int = 0
    places: set[tuple[int, int]] = field(default_factory=set)


@dataclass(frozen=True)
class Styles:
    """What a document's vote says of its styles (`StyleVote`)."""

    filler: frozenset[str] = frozenset()
    """The styles the answers are written in: every word set in one is an answer."""
    printed: frozenset[str] = frozenset()
    """Where a filler's style is known, the styles that label answers (more than one in ten
    of their own answers) or ask: the print's, whose words the rules took for answers are
    print too (a table's row headings, written in every cell once its other columns are
    filled)."""


class StyleVote:
    """The filler's style, voted over a document's pages. A form filled in on a computer
    writes every answer in its fields' style (a font and a colour; the size fits each
    field), which the print rarely shares. The rules (`read_answers`) find some answers by
    where they stand; a style whose words they read as answers in several places, which
    seldom labels an answer, never asks ("Name:") and never runs on in sentences, is the
    filler's: every word set in it is an answer, also where the rules alone miss it (the
    answers of cells captioned tight over them). A form typed in the print's own style (a
    Word document filled in before printing) gets no filler's style: its labels share it."""

    def __init__(self) -> None:
        self._tallies: dict[str, _Tally] = {}

    def add(self, texts: Sequence[Styled], reading: Reading) -> None:
        """Count one page's words (`texts`) and what the rules read of them."""
        for i, t in enumerate(texts):
            if not t.style or not _said(t.text):
                continue
            tally = self._tallies.setdefault(t.style, _Tally())
            tally.words += 1
            text = t.text.strip()
            tally.asks += _asks(text)
            tally.long += len(text) > LONG_WORDS
            if i in reading.tabled:
                continue
            if i in reading.answers:
                tally.answers += 1
                tally.places.add((round(t.rect[0] / FILLER_PLACE), round(t.rect[1] / FILLER_PLACE)))
            elif i in reading.labels:
                tally.labels += 1

    def result(self) -> Styles:
        """The filler's styles (none when no style stands out) and, when there are, the
        print's."""
        filler = self.fillers()
        if not filler:
            return Styles()
        printed = frozenset(
            style
            for style, t in self._tallies.items()
            if style not in filler
            and (t.labels > LABELS_SHARE * t.answers or t.asks > PRINT_SHARE * t.words)
        )
        return Styles(filler, printed)

    def fillers(self) -> frozenset[str]:
        """The styles the answers are written in (none when no style stands out)."""
        return frozenset(
            style
            for style, t in self._tallies.items()
            if len(t.places) >= FILLER_PLACES
            and t.answers >= FILLER_SHARE * t.words
            and t.labels <= LABELS_SHARE * t.answers
            and t.asks <= PRINT_SHARE * t.words
            and t.long <= LONG_SHARE * t.words
        )


class _Page:
    """What the rules read of a page, found once: which boxes hold each word (`holders`)
    and which words each box holds (`inside`), the frames (boxes around other boxes), and
    the words sitting on each rule."""

    def __init__(
        self,
        texts: Sequence[Words],
        rules: Sequence[Rect],
        boxes: Sequence[Rect],
        squares: Sequence[Rect],
    ) -> None:
        self.texts = texts
        self.squares = set(squares)
        held = _shares([t.rect for t in texts], boxes) >= 0.6
        self.holders = [[boxes[int(j)] for j in np.flatnonzero(row)] for row in held]
        self.inside: dict[Rect, list[int]] = {b: [] for b in boxes}
        for i, holding in enumerate(self.holders):
            for b in holding:
                self.inside[b].append(i)
        within = _shares(boxes, boxes) > 0.95
        np.fill_diagonal(within, False)
        self.frames = {boxes[int(j)] for j in np.flatnonzero(within.any(axis=0))}
        self.free = [i for i, holding in enumerate(self.holders) if not holding]
        self.on_rules: dict[Rect, list[int]] = {}
        self.sitting: set[int] = set()
        """Words sitting on a rule (a label on its own rule labels no other)."""
        if self.free and rules:
            free = np.array([texts[i].rect for i in self.free], dtype=float).reshape(-1, 4)
            for rule in rules:
                rise = free[:, 1] - rule[1]
                sits = (
                    (rise >= -SITS_BELOW)
                    & (rise <= SITS_ABOVE)
                    & (free[:, 0] >= rule[0] - TOL)
                    & (free[:, 2] <= rule[2] + TOL)
                )
                on = [self.free[int(k)] for k in np.flatnonzero(sits)]
                self.sitting.update(on)
                if on and _written_on(rule, on, texts):
                    self.on_rules[rule] = on


def _written_on(rule: Rect, on: Sequence[int], texts: Sequence[Words]) -> bool:
    """Whether the words on a rule may be written on it: no leader, pointer or placeholder
    among them, over less than most of it."""
    if any(_printed(texts[i].text) for i in on):
        return False
    covered = sum(min(texts[i].rect[2], rule[2]) - max(texts[i].rect[0], rule[0]) for i in on)
    return covered <= MOST * max(rule[2] - rule[0], 1e-6)


TICKS = frozenset(
    "\u2713\u2714\u2715\u2716\u2717\u2718\u00d7xX\u25a0\u25aa\u25fc\u25cf\u2022\u25c6\u2605\u2611\u2612"
)
"""What a ticked checkbox or a chosen radio button shows (✓ ✔ ✕ ✖ ✗ ✘, the times sign, x, ■
▪ ◼ ● • ◆ ★ ☑ ☒: ZapfDingbats' marks as pdfium maps them)."""


def answer_in(field: Rect, answers: Sequence[Words], *, comb: bool) -> str | None:
    """The answer written in a field (the answers' words whose centre lies in it, or sits on
    its rule), in reading order: rows top down (words whose bottoms are within 2 pt are one
    row), each left to right; a comb's characters run together. None when it is blank."""
    x0, y0, x1, y1 = field[0] - 2, field[1] - SITS_BELOW, field[2] + 2, field[3] + 2
    words = [
        t
        for t in answers
        if x0 <= (t.rect[0] + t.rect[2]) / 2 <= x1 and y0 <= (t.rect[1] + t.rect[3]) / 2 <= y1
    ]
    ordered = [words[i] for row in _rows(range(len(words)), words) for i in row]
    return ("" if comb else " ").join(t.text.strip() for t in ordered) or None


def ticked(
    square: Rect, texts: Sequence[Words], strokes: Sequence[tuple[float, float]] = ()
) -> bool:
    """Whether a checkbox or a radio button shows a tick mark or a dot: a mark among
    `texts`, or a cross drawn with two slanted strokes across its middle (`strokes`: the
    midpoints of the page's slanted strokes)."""
    if any(t.text.strip() in TICKS and centred_in(t.rect, square) for t in texts):
        return True
    x0, y0, x1, y1 = square
    mx, my = (x1 - x0) / 4, (y1 - y0) / 4
    return sum(x0 + mx < x < x1 - mx and y0 + my < y < y1 - my for x, y in strokes) >= 2


def _rule_label(rule: Rect, on: Sequence[int], page: _Page) -> int | None:
    """The words that label a rule, if any: "Name:" ending before it on its row, a caption just
    under it with no other words under the line (a signature's), or a label alone just
    over the words on it, no larger than they are, with a blank between (a paragraph's
    lines are closer). Words that sit on a rule themselves label no other rule (stacked rows,
    each label on its own rule)."""
    texts = page.texts
    y = rule[1]
    top = max(texts[i].rect[3] for i in on)
    start = min(texts[i].rect[0] for i in on)
    tall = max(texts[i].rect[3] - texts[i].rect[1] for i in on)
    for i in page.free:
        if i in on:
            continue
        r, text = texts[i].rect, texts[i].text.strip()
        if _asks(text) and _left_of(r, rule[0]) and y - 2 <= (r[1] + r[3]) / 2 <= y + 16:
            return i
        if i in page.sitting:
            continue
        under = r[3] <= y + 1 and y - r[3] <= CAPTION_UNDER and abs(r[0] - rule[0]) <= 6
        if (
            under
            and _caption(text)
            and rule[2] - rule[0] <= CAPTIONED
            and _alone_under(i, rule, page)
        ):
            return i  # a signature's caption
        over = top + LEADING <= r[1] <= top + LABEL_OVER and abs(r[0] - start) <= 6
        if over and _caption(text) and _alone(i, texts, page.free) and _small(r, tall):
            return i
    return None


def _alone_under(index: int, rule: Rect, page: _Page) -> bool:
    """Whether a caption is the only word on its row under the rule's length (a table's
    row of text under a rule is no caption)."""
    r = page.texts[index].rect
    span = (rule[0], r[1], rule[2], r[3])
    return not any(
        j != index and _same_row(page.texts[j].rect, r) and overlaps(page.texts[j].rect, span)
        for j in page.free
    )


def _in_box(box: Rect, page: _Page) -> tuple[list[int], list[int]]:
    """The words written in a box, and the label that tells them: words at its top left,
    with room around them, the box labelled by words outside it that stand in no box, or in
    the cell around it: a label on its left ("Name:", or a caption close to it), or a label
    alone just over it (a cell's caption over the box to write in)."""
    texts, inside = page.texts, page.inside[box]
    if not inside or any(_printed(texts[i].text) or not _said(texts[i].text) for i in inside):
        return [], []
    tall = max(texts[i].rect[3] - texts[i].rect[1] for i in inside)
    if (
        box[3] - box[1] < ROOM * tall
        or min(texts[i].rect[0] for i in inside) - box[0] > INDENT
        or box[3] - max(texts[i].rect[3] for i in inside) > INDENT + tall
    ):
        return [], []
    near = (box[0] - ANSWER_LEAD - 4, box[1] - 4, box[2] + 4, box[3] + CELL_CAPTION + 4)
    around = [
        i
        for i, held in enumerate(page.holders)
        if overlaps(texts[i].rect, near)
        and box not in held
        and all(inside_share(box, b) >= 0.95 for b in held)
    ]
    for i in around:
        r, text = texts[i].rect, texts[i].text.strip()
        left = _left_of(r, box[0]) and box[1] <= (r[1] + r[3]) / 2 <= box[3]
        if left and (_asks(text) or (_caption(text) and box[0] - r[2] <= CLOSE)):
            return inside, [i]
        reach = CELL_CAPTION if page.holders[i] else LABEL_OVER  # a caption in the cell around
        over = box[3] - 2 <= r[1] <= box[3] + reach and abs(r[0] - box[0]) <= 6
        if over and _caption(text) and _alone(i, texts, around) and _small(r, tall):
            return inside, [i]
    return [], []


def _under_caption(box: Rect, page: _Page) -> tuple[list[int], list[int]]:
    """The words written in a box or cell under the caption printed at its top ("Give
    address ...", then the answer): its last row of words, set apart from the caption's
    rows above by a blank gap as tall as it, or set larger than them, when the caption
    starts at the box's top left.
    A row beside a checkbox (a question's "☐ Yes ☐ No") is print."""
    texts, inside = page.texts, page.inside[box]
    rows = _rows(inside, texts)
    if not 2 <= len(rows) <= 1 + CAPTION_ROWS:
        return [], []
    last, above = rows[-1], [i for row in rows[:-1] for i in row]
    tall = max(texts[i].rect[3] - texts[i].rect[1] for i in last)
    top = max(texts[i].rect[3] for i in above)
    gap = min(texts[i].rect[1] for i in above) - max(texts[i].rect[3] for i in last)
    written = " ".join(texts[i].text for i in last).strip()
    beside_a_box = any(
        _same_row(texts[i].rect, square) and -2 <= texts[i].rect[0] - square[2] <= 20
        for i in last
        for square in page.squares
    )
    caption = max(texts[i].rect[3] - texts[i].rect[1] for i in above)
    apart = gap >= BLANK * tall or (gap >= 0 and tall >= LARGER * caption)
    if (
        not apart
        or box[3] - top > INDENT
        or min(texts[i].rect[0] for i in above) - box[0] > INDENT
        or not _said(written)
        or _printed(written)
        or written.endswith((".", ":"))
        or beside_a_box
        or any(ch in BOX_MARKS for ch in written)
    ):
        return [], []
    return last, above


ANSWER_GAP = 6.0
"""Least gap (points) between a cell's caption and the answer written after it on its row:
more than a word space."""
ASIDE = re.compile(r"\([^)]*\)")
"""An aside in brackets, not counted in a caption's case: "EMAIL (Address Required)"."""


def in_capitals(text: str) -> bool:
    """Whether words are set in capitals, as a government form's captions are: four fifths
    of their letters upper case, an aside in brackets not counted."""
    letters = [ch for ch in ASIDE.sub("", text) if ch.isalpha()]
    return bool(letters) and sum(ch.isupper() for ch in letters) >= 0.8 * len(letters)


def _after_caption(box: Rect, page: _Page) -> tuple[list[int], list[int]]:
    """The words written after the caption printed at a box's left, on its one row, as a
    government form's cells ask ("LAST  Okafor", "STREET  12 Marina"): the caption in
    capitals (`in_capitals`; an aside in brackets may follow it), starting at the box's
    left; after a gap, words that are not in capitals, not an aside and not print (a date's
    format). A cell's own second caption ("LAST  FIRST") is in capitals too and stays print.
    Two limits: an instruction printed after a caption ("TELEPHONE  Include area code")
    reads as an answer, and an answer written in capitals is not read."""
    texts, inside = page.texts, page.inside[box]
    rows = _rows(inside, texts)
    if len(rows) != 1 or len(rows[0]) < 2:
        return [], []
    row = rows[0]
    first = texts[row[0]]
    if first.rect[0] - box[0] > INDENT or not in_capitals(first.text):
        return [], []
    captions = [row[0]]
    for i in row[1:]:
        if not texts[i].text.strip().startswith("("):
            break
        captions.append(i)  # the caption's aside, set apart: "NAME  (If different)"
    rest = row[len(captions) :]
    if not rest:
        return [], []
    gap = texts[rest[0]].rect[0] - max(texts[i].rect[2] for i in captions)
    if gap < ANSWER_GAP or not all(
        _said(texts[i].text)
        and not _printed(texts[i].text)
        and not in_capitals(texts[i].text)
        and not texts[i].text.strip().startswith("(")
        for i in rest
    ):
        return [], []
    return rest, captions


def _in_tables(page: _Page, cells: Sequence[Rect]) -> tuple[list[int], list[int], list[int]]:
    """The words written in the body cells of ruled tables headed by labels, where some
    column is partly blank and two columns at least are written in (two cells each: one may
    be a speck OCR read), or where every cell is written (a form filled in to its last row;
    a printed table of codes written in every cell reads so too: they cannot be told apart
    by where the words stand). A table whose written columns stand beside blank ones is
    printed (row headings, the cells to fill beside them). A sign or a line's number writes
    no cell; a cell holding only words OCR was unsure of (shading read as letters, or a
    blurred word) counts as neither written nor blank. Also the headings, and which of the
    answers fill a table written in every cell."""
    texts = page.texts
    inside: dict[Rect, list[int]] = {c: [] for c in cells}
    unsure: set[Rect] = set()
    for c in cells:
        for i in page.inside.get(c, ()):
            text = texts[i].text.strip()
            if _said(text) and not LINE_NUMBER.fullmatch(text):
                if texts[i].sure:
                    inside[c].append(i)
                else:
                    unsure.add(c)
    answers: list[int] = []
    headings: list[int] = []
    full_tables: list[int] = []
    for runs in _tables(cells, inside, texts):
        if any(_printed(texts[i].text) for run in runs for c in run for i in inside[c]):
            continue
        body = 2 if all(_heading(run[1], inside, texts) for run in runs) else 1
        known = [[c for c in run[body:] if inside[c] or c not in unsure] for run in runs]
        written = [sum(bool(inside[c]) for c in cells) for cells in known]
        partly = any(2 <= w < len(k) for w, k in zip(written, known, strict=True))
        full = all(k and w == len(k) for w, k in zip(written, known, strict=True))
        if (partly and sum(w >= 2 for w in written) >= 2) or full:
            found = [i for run in runs for c in run[body:] for i in inside[c]]
            answers += found
            headings += [i for run in runs for c in run[:body] for i in inside[c]]
            if full:
                full_tables += found
    return answers, headings, full_tables


def _after_numbers(page: _Page, cells: Sequence[Rect]) -> tuple[list[int], list[int]]:
    """The words written in the cells that follow a line's number on its row, as a tax
    form's amount column does ("Wages . . . | 8 | 4,500 | 00"): the number alone in a narrow
    cell (or a short token, or nothing, in a column of such cells: a scan's OCR misreads
    "1a" as "ta"), the line's words on its left (in a box or not), each next cell sharing
    the edge of the one before and the number's row, its words on one row. A row of
    numbered cells with no words before it (a table's numbered column headings, a printed
    numbered list) is no line."""
    texts = page.texts
    answers: list[int] = []
    labels: list[int] = []
    by_left: dict[int, list[Rect]] = {}
    for c in cells:
        by_left.setdefault(round(c[0]), []).append(c)

    numbered = {
        c
        for c in cells
        if page.inside.get(c)
        and all(LINE_NUMBER.fullmatch(texts[i].text.strip()) for i in page.inside[c])
    }
    column = number_columns(cells, numbered)
    for cell in cells:
        numbers = page.inside.get(cell, [])
        if (
            cell[2] - cell[0] > NARROW
            or not (
                cell in numbered
                or (cell in column and short_tokens(texts[i].text for i in numbers))
            )
            or not any(
                _same_row(t.rect, cell)
                and t.rect[2] <= cell[0] + TOL
                and sum(ch.isalpha() for ch in t.text) >= 3
                for t in texts
            )
        ):
            continue
        edge = cell
        while True:
            following = [
                c
                for x in (round(edge[2]) - 1, round(edge[2]), round(edge[2]) + 1)
                for c in by_left.get(x, ())
                if abs(c[0] - edge[2]) <= TOL and _row_mates(c, cell)
            ]
            if not following:
                break
            edge = following[0]
            words = page.inside.get(edge, [])
            if words and all(HEADING_NUMBER.fullmatch(texts[i].text.strip()) for i in words):
                break  # the next line's number: a row of numbered headings ("7a | 7b")
            if words and _written_row(words, texts):
                answers += words
                labels += numbers
    return answers, labels


def _beside_hatching(page: _Page, cells: Sequence[Rect], hatched: Sequence[Rect]) -> list[int]:
    """The words written in the cells of a table that marks some of its cells "do not
    fill" with hatching: the table is to be filled in, its cells' words one row each are
    answers where no filler's style tells them apart (a scan). A cell counts when a hatched
    cell shares its row and its column, or its column and a cell stands above it (not the
    column's heading), or its row and a cell stands to its left (not the row's label). The
    hatching labels nothing, so no label comes back."""
    if not hatched:
        return []
    texts = page.texts
    answers: list[int] = []
    for cell in cells:
        words = page.inside.get(cell, [])
        if not words or cell in hatched:
            continue
        row = any(_row_mates(cell, h) for h in hatched)
        column = any(_column_mates(cell, h) for h in hatched)
        above = column and any(_column_mates(cell, c) and abs(c[1] - cell[3]) <= TOL for c in cells)
        left = row and any(_row_mates(cell, c) and abs(c[2] - cell[0]) <= TOL for c in cells)
        if not ((row and column) or above or left):
            continue
        if _written_row(words, texts):
            answers += words
    return answers


def _written_row(words: Sequence[int], texts: Sequence[Words]) -> bool:
    """Whether a cell's words stand on one row and say something that is not print (a
    leader, a date's format): what a filler writes in a cell."""
    return len(_rows(words, texts)) == 1 and all(
        _said(texts[i].text) and not _printed(texts[i].text) for i in words
    )


SHORT_TOKEN = 3
"""Most characters of what OCR made of a line number it misread ("ta" for "1a", '1"')."""


def _row_mates(a: Rect, b: Rect) -> bool:
    """Whether two cells stand in one table row (the same top and bottom)."""
    return abs(a[1] - b[1]) <= TOL and abs(a[3] - b[3]) <= TOL


def _column_mates(a: Rect, b: Rect) -> bool:
    """Whether two cells stand in one table column (the same left and right edges)."""
    return abs(a[0] - b[0]) <= TOL and abs(a[2] - b[2]) <= TOL


def short_tokens(words: Iterable[str]) -> bool:
    """Whether every word is a short token (`SHORT_TOKEN`), as a misread line number is."""
    return all(len(word.strip()) <= SHORT_TOKEN for word in words)


NUMBER_GAP = 36.0
"""Tallest gap (points) between two cells of one column of line numbers: a form's rows
skip a heading or a shaded line, and a scan may lose a row's rule."""


def number_columns(cells: Sequence[Rect], numbered: Collection[Rect]) -> set[Rect]:
    """The narrow cells (`NARROW`) stacked in a column (gaps of `NUMBER_GAP` at most) with
    three or more of them holding a line's number (`numbered`: `LINE_NUMBER`, where an
    amount has three digits or more). The column numbers the form's lines, so each of its
    cells holds a number even where a scan's OCR misread it or left it out; none of them
    takes an answer (callers keep the cells holding more than a short token out,
    `short_tokens`)."""
    found: set[Rect] = set()
    for column in _columns(c for c in cells if c[2] - c[0] <= NARROW):
        runs: list[list[Rect]] = []
        for c in sorted(column, key=lambda c: -c[3]):
            if runs and runs[-1][-1][1] - c[3] <= NUMBER_GAP:
                runs[-1].append(c)
            else:
                runs.append([c])
        for run in runs:
            if sum(1 for c in run if c in numbered) >= 3:
                found.update(run)
    return found


def _columns(cells: Iterable[Rect]) -> list[list[Rect]]:
    """Cells grouped by their left and right edges (within `TOL`)."""
    columns: dict[tuple[float, float], list[Rect]] = {}
    for c in cells:
        key = next(
            (k for k in columns if abs(k[0] - c[0]) <= TOL and abs(k[1] - c[2]) <= TOL),
            (c[0], c[2]),
        )
        columns.setdefault(key, []).append(c)
    return list(columns.values())


def _tables(
    cells: Sequence[Rect], inside: dict[Rect, list[int]], texts: Sequence[Words]
) -> list[list[list[Rect]]]:
    """The ruled tables among the cells: columns (cells stacked, top first) headed by a
    label, wider than a line number's, at least two beside each other over the same rows."""
    tables: dict[tuple[int, int], list[list[Rect]]] = {}
    for column in _columns(cells):
        for run in _stacked(sorted(column, key=lambda c: -c[3])):
            header = run[0]
            if len(run) > 2 and header[2] - header[0] > NARROW and _labels(header, inside, texts):
                tables.setdefault((round(header[3]), round(run[-1][1])), []).append(run)
    return [runs for runs in tables.values() if len(runs) >= 2 and _grid(runs)]


def _grid(runs: Sequence[Sequence[Rect]]) -> bool:
    """Whether a table's columns share their rows, a cell each (a heading over several
    columns, or a column's rows split, make a printed layout)."""
    rows = [[(round(c[1]), round(c[3])) for c in run] for run in runs]
    return all(r == rows[0] for r in rows)


def _stacked(column: Sequence[Rect]) -> list[list[Rect]]:
    """A column's cells, top first, cut into runs of cells each under the one before."""
    runs: list[list[Rect]] = []
    for c in column:
        if runs and abs(runs[-1][-1][1] - c[3]) <= TOL:
            runs[-1].append(c)
        else:
            runs.append([c])
    return runs


def _labels(cell: Rect, inside: dict[Rect, list[int]], texts: Sequence[Words]) -> bool:
    """Whether a header cell holds a label: words, not a number or a sign."""
    return any(sum(ch.isalpha() for ch in texts[i].text) >= 3 for i in inside[cell])


def _heading(cell: Rect, inside: dict[Rect, list[int]], texts: Sequence[Words]) -> bool:
    """Whether a cell reads as a column's heading: words, none of them a figure (answers in
    a schedule hold times, dates, amounts, phone numbers)."""
    words = [texts[i].text for i in inside[cell]]
    return bool(words) and not any(ch.isdigit() for w in words for ch in w)


def _combs(squares: Sequence[Rect]) -> list[Rect]:
    """Rows of two or more squares side by side, touching (comb cells, a character each)."""
    rows: list[list[Rect]] = []
    for square in sorted(squares, key=lambda r: (round(r[1]), r[0])):
        last = rows[-1][-1] if rows else None
        if (
            last is not None
            and abs(last[1] - square[1]) <= TOL
            and abs(last[3] - square[3]) <= TOL
            and abs(last[2] - square[0]) <= TOL
        ):
            rows[-1].append(square)
        else:
            rows.append([square])
    return [(r[0][0], r[0][1], r[-1][2], r[-1][3]) for r in rows if len(r) >= 2]


def _asks(text: str) -> bool:
    """A label that asks for what follows it: "Name:"."""
    return text.endswith(":") and any(ch.isalpha() for ch in text)


def _caption(text: str) -> bool:
    """Words short enough to caption a field, not a sentence's line."""
    return (
        any(ch.isalpha() for ch in text)
        and len(text) <= CAPTION_CHARS
        and not text.endswith((".", ",", ";"))
    )


def _left_of(label: Rect, x: float) -> bool:
    """Whether a label ends just before `x` (at most ANSWER_LEAD before it)."""
    return 0 <= x + 2 - label[2] <= ANSWER_LEAD + 2


def _alone(index: int, texts: Sequence[Words], free: Sequence[int]) -> bool:
    """Whether no other word stands on the same row as texts[index]."""
    r = texts[index].rect
    return not any(
        j != index and r[1] <= (texts[j].rect[1] + texts[j].rect[3]) / 2 <= r[3] for j in free
    )


def _rows(indices: Sequence[int], texts: Sequence[Words]) -> list[list[int]]:
    """Words (their indices) grouped into rows, top down, each left to right: a word whose
    bottom is within 2 pt of its row's first word's joins it."""
    rows: list[list[int]] = []
    for i in sorted(indices, key=lambda i: -texts[i].rect[1]):
        if rows and abs(texts[rows[-1][0]].rect[1] - texts[i].rect[1]) <= 2:
            rows[-1].append(i)
        else:
            rows.append([i])
    return [sorted(row, key=lambda i: texts[i].rect[0]) for row in rows]


def _same_row(word: Rect, other: Rect) -> bool:
    centre = (word[1] + word[3]) / 2
    return other[1] - 2 <= centre <= other[3] + 2


def _shares(rects: Sequence[Rect], boxes: Sequence[Rect]) -> NDArray[np.float64]:
    """For each rectangle (rows) and box (columns), how much of the rectangle lies inside
    the box: `geometry.inside_share` for every pair at once."""
    a = np.asarray(rects, dtype=float).reshape(-1, 4)[:, None, :]
    b = np.asarray(boxes, dtype=float).reshape(-1, 4)[None, :, :]
    ix = np.clip(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0, None)
    iy = np.clip(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0, None)
    area = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(area > 0, ix * iy / np.where(area > 0, area, 1.0), 0.0)


def _small(label: Rect, tall: float) -> bool:
    """Whether a label over words is set no larger than they are (a heading is larger)."""
    return label[3] - label[1] <= HEADING * tall


def _printed(text: str) -> bool:
    """Leaders, pointers and placeholders ("MM/DD/YYYY"): print, never written."""
    return any(mark in text for mark in PRINTED) or bool(PLACEHOLDER.fullmatch(text.strip()))


def _said(text: str) -> bool:
    return any(ch.isalnum() for ch in text)

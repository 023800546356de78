"""Answers typed into a printed form, told apart from its printed words, pure.

A form comes back filled in: typed in a PDF editor and flattened, or typed into the Word
document before it was printed. Its answers are words like the labels, so the detector would
take them for text (a box holding words is a label cell, a rule with words on it underlines
them) and lose the fields they fill, or take an answer for a field's label. An answer is
told by where it stands, against the marks of the form:

- words sitting on a rule (or a run of underscores) that something labels: a label ending
  just before the rule on its row, a caption just under it (a signature's), or a label just
  above the words, left-aligned with the rule; words over most of a rule are a line of text
  it underlines (a heading, a link, a form's row), and leaders or pointers (`. . .`, `▶`)
  are printed, never written;
- words at the top left of a box (not a table's cell, nor a frame around other boxes)
  labelled from outside every box, on its left on the same row or just above it;
- words in the body cells of a ruled table headed by labels, when some column is partly
  blank, or when every cell is written: a table whose written columns stand beside blank
  ones is printed (its row headings, the cells to fill beside them), and a line's number or
  a sign in a cell (`7`, `+`) is printed too; a second row of headings (words, no figure)
  is no answer;
- a tick mark (`TICKS`) centred in a small square, a dot in a circle (or a cross drawn
  with two strokes); letters and figures in a row of squares side by side (comb cells, a
  character each, or a line of text across them as a form filler without comb spacing
  draws it).

`typed_answers` says which words are answers; the detector then finds the fields as on a
blank form, without them, and `answer_in` gives each field the answer it holds.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

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
BLANK = 0.5
"""A blank gap between a caption and the answer under it, as a share of the answer's height."""
HEADING = 1.2
"""Words over others taller than this many times their height are a heading, no label."""
INDENT = 6.0
"""An answer typed in a box starts within this of its left side and its top."""
PRINTED = ("\u25b6", "\u25ba", "..", ". .", "__")
"""Leaders and pointers: printed, never written."""
TOL = 1.5
LINE_NUMBER = re.compile(r"\(?\d{1,2}[a-z]?\)?\.?")
"""A line's number printed in a table's cell ("7", "12a"), no answer."""
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


def typed_answers(
    texts: Sequence[Words],
    rules: Sequence[Rect],
    boxes: Sequence[Rect],
    cells: Sequence[Rect],
    squares: Sequence[Rect],
    *,
    tables: bool = True,
) -> set[int]:
    """The indices of `texts` that are answers written into the form's marks: on `rules`
    (horizontal rules and underscore runs, as thin rectangles), in `boxes` (closed boxes and
    table cells, `cells` among them) and `squares` (checkboxes, radio buttons). Without
    `tables` (words read by OCR, which reads a table's shading and hatching as words, so
    that every cell looks written), no table's cells hold answers."""
    holders = [[b for b in boxes if _share(t.rect, b) >= 0.6] for t in texts]
    boxed = {i for i, held in enumerate(holders) if held}
    free = [i for i in range(len(texts)) if i not in boxed]
    answers: set[int] = set()
    for rule in rules:
        answers.update(_on_rule(rule, texts, free))
    cell_set = set(cells)
    for box in boxes:
        if box not in cell_set and box not in squares:
            answers.update(_in_box(box, boxes, texts, holders))
        if box not in squares:
            answers.update(_under_caption(box, boxes, texts, holders))
    if tables:
        answers |= _in_tables(texts, cells, boxed)
    for square in squares:
        answers.update(
            i for i, t in enumerate(texts) if t.text.strip() in TICKS and _centred(t.rect, square)
        )
    for row in _combs(squares):
        answers.update(
            i for i, t in enumerate(texts) if _said(t.text) and _share(t.rect, row) >= 0.6
        )
    return answers


TICKS = frozenset(
    "\u2713\u2714\u2715\u2716\u2717\u2718\u00d7xX\u25a0\u25aa\u25fc\u25cf\u2022\u25c6\u2605\u2611\u2612"
)
"""What a ticked checkbox or a chosen radio button shows (✓ ✔ ✕ ✖ ✗ ✘, the times sign, x, ■
▪ ◼ ● • ◆ ★ ☑ ☒: ZapfDingbats' marks as pdfium maps them)."""


def answer_in(field: Rect, answers: Sequence[Words], *, comb: bool) -> str | None:
    """The answer written in a field (the answers' words whose centre lies in it, or sits on
    its rule), in reading order; a comb's characters run together. None when it is blank."""
    x0, y0, x1, y1 = field[0] - 2, field[1] - SITS_BELOW, field[2] + 2, field[3] + 2
    words = [
        t
        for t in answers
        if x0 <= (t.rect[0] + t.rect[2]) / 2 <= x1 and y0 <= (t.rect[1] + t.rect[3]) / 2 <= y1
    ]
    words.sort(key=lambda t: (-round(t.rect[1] / 4), t.rect[0]))
    return ("" if comb else " ").join(t.text.strip() for t in words) or None


def ticked(
    square: Rect, texts: Sequence[Words], strokes: Sequence[tuple[float, float]] = ()
) -> bool:
    """Whether a checkbox or a radio button shows a tick mark or a dot: a mark among
    `texts`, or a slanted stroke drawn across its middle (`strokes`: their midpoints; a
    cross drawn with two lines)."""
    if any(t.text.strip() in TICKS and _centred(t.rect, square) for t in texts):
        return True
    x0, y0, x1, y1 = square
    mx, my = (x1 - x0) / 4, (y1 - y0) / 4
    return any(x0 + mx < x < x1 - mx and y0 + my < y < y1 - my for x, y in strokes)


def _on_rule(rule: Rect, texts: Sequence[Words], free: Sequence[int]) -> list[int]:
    """The words written on a rule: sitting on it, over less than most of it, no leader
    among them, and the rule labelled (`_rule_labelled`)."""
    on = [
        i
        for i in free
        if -SITS_BELOW <= texts[i].rect[1] - rule[1] <= SITS_ABOVE
        and texts[i].rect[0] >= rule[0] - TOL
        and texts[i].rect[2] <= rule[2] + TOL
    ]
    if not on or any(_printed(texts[i].text) for i in on):
        return []
    covered = sum(min(texts[i].rect[2], rule[2]) - max(texts[i].rect[0], rule[0]) for i in on)
    if covered > MOST * (rule[2] - rule[0]) or not _rule_labelled(rule, on, texts, free):
        return []
    return on


def _rule_labelled(
    rule: Rect, on: Sequence[int], texts: Sequence[Words], free: Sequence[int]
) -> bool:
    """Whether words label a rule: "Name:" ending before it on its row, a caption just
    under it (a signature's line), or a label alone just over the words on it."""
    y = rule[1]
    top = max(texts[i].rect[3] for i in on)
    start = min(texts[i].rect[0] for i in on)
    tall = max(texts[i].rect[3] - texts[i].rect[1] for i in on)
    for i in free:
        if i in on:
            continue
        r, text = texts[i].rect, texts[i].text.strip()
        if _asks(text) and _left_of(r, rule[0]) and y - 2 <= (r[1] + r[3]) / 2 <= y + 16:
            return True
        under = r[3] <= y + 1 and y - r[3] <= CAPTION_UNDER and abs(r[0] - rule[0]) <= 6
        if under and _caption(text) and rule[2] - rule[0] <= CAPTIONED:
            return True
        over = top - 1 <= r[1] <= top + LABEL_OVER and abs(r[0] - start) <= 6
        if over and _caption(text) and _alone(i, texts, free) and _small(r, tall):
            return True
    return False


def _in_box(
    box: Rect, boxes: Sequence[Rect], texts: Sequence[Words], holders: Sequence[list[Rect]]
) -> list[int]:
    """The words written in a box (not a frame around other boxes): at its top left, with
    room around them, and the box labelled by words outside it that stand in no box, or in
    the cell around it: a label on its left ("Name:", or a caption close to it), or a label
    alone just over it (a cell's caption over the box to write in)."""
    if any(o != box and _share(o, box) > 0.95 for o in boxes):
        return []
    inside = [i for i, held in enumerate(holders) if box in held]
    if not inside or any(_printed(texts[i].text) or not _said(texts[i].text) for i in inside):
        return []
    tall = max(texts[i].rect[3] - texts[i].rect[1] for i in inside)
    if (
        box[3] - box[1] < ROOM * tall
        or min(texts[i].rect[0] for i in inside) - box[0] > INDENT
        or box[3] - max(texts[i].rect[3] for i in inside) > INDENT + tall
    ):
        return []
    around = [
        i
        for i, held in enumerate(holders)
        if box not in held and all(_share(box, b) >= 0.95 for b in held)
    ]
    for i in around:
        r, text = texts[i].rect, texts[i].text.strip()
        left = _left_of(r, box[0]) and box[1] <= (r[1] + r[3]) / 2 <= box[3]
        if left and (_asks(text) or (_caption(text) and box[0] - r[2] <= CLOSE)):
            return inside
        reach = CELL_CAPTION if holders[i] else LABEL_OVER  # a caption in the cell around
        over = box[3] - 2 <= r[1] <= box[3] + reach and abs(r[0] - box[0]) <= 6
        if over and _caption(text) and _alone(i, texts, around) and _small(r, tall):
            return inside
    return []


def _under_caption(
    box: Rect, boxes: Sequence[Rect], texts: Sequence[Words], holders: Sequence[list[Rect]]
) -> list[int]:
    """The words written in a box or cell under the caption printed at its top ("Give
    address ...", then the answer): its last row of words, set apart from the caption's
    rows above by a blank gap, when the caption starts at the box's top left (a box of
    paragraphs, or one holding other boxes, holds no answer)."""
    if any(o != box and _share(o, box) > 0.95 for o in boxes):
        return []
    inside = [i for i, held in enumerate(holders) if box in held]
    rows: list[list[int]] = []
    for i in sorted(inside, key=lambda i: -texts[i].rect[1]):
        if rows and abs(texts[rows[-1][0]].rect[1] - texts[i].rect[1]) <= 2:
            rows[-1].append(i)
        else:
            rows.append([i])
    if not 2 <= len(rows) <= 1 + CAPTION_ROWS:
        return []
    last, above = rows[-1], [i for row in rows[:-1] for i in row]
    tall = max(texts[i].rect[3] - texts[i].rect[1] for i in last)
    top = max(texts[i].rect[3] for i in above)
    gap = min(texts[i].rect[1] for i in above) - max(texts[i].rect[3] for i in last)
    written = " ".join(texts[i].text for i in last).strip()
    if (
        gap < BLANK * tall
        or box[3] - top > INDENT
        or min(texts[i].rect[0] for i in above) - box[0] > INDENT
        or not _said(written)
        or _printed(written)
        or written.endswith((".", ":"))
    ):
        return []
    return last


def _in_tables(texts: Sequence[Words], cells: Sequence[Rect], boxed: set[int]) -> set[int]:
    """The words written in the body cells of ruled tables headed by labels: where some
    column is partly blank and two columns at least are written in (two cells each: one may
    be a speck OCR read), or every cell is written (a table whose written columns stand
    beside blank ones is printed: row headings, the cells to fill beside them). A sign or a
    line's number writes no cell; a cell holding only words OCR was unsure of (shading read
    as letters, or a blurred word) counts as neither written nor blank."""
    inside: dict[Rect, list[int]] = {c: [] for c in cells}
    unsure: set[Rect] = set()
    for i in boxed:
        text = texts[i].text.strip()
        if _said(text) and not LINE_NUMBER.fullmatch(text):
            for c in cells:
                if _share(texts[i].rect, c) >= 0.6:
                    if texts[i].sure:
                        inside[c].append(i)
                    else:
                        unsure.add(c)
    answers: set[int] = set()
    for runs in _tables(cells, inside, texts):
        if any(_printed(texts[i].text) for run in runs for c in run for i in inside[c]):
            continue
        body = 2 if all(_heading(run[1], inside, texts) for run in runs) else 1
        known = [[c for c in run[body:] if inside[c] or c not in unsure] for run in runs]
        written = [sum(bool(inside[c]) for c in cells) for cells in known]
        partly = any(2 <= w < len(k) for w, k in zip(written, known, strict=True))
        full = all(k and w == len(k) for w, k in zip(written, known, strict=True))
        if (partly and sum(w >= 2 for w in written) >= 2) or full:
            answers.update(i for run in runs for c in run[body:] for i in inside[c])
    return answers


def _tables(
    cells: Sequence[Rect], inside: dict[Rect, list[int]], texts: Sequence[Words]
) -> list[list[list[Rect]]]:
    """The ruled tables among the cells: columns (cells stacked, top first) headed by a
    label, wider than a line number's, at least two beside each other over the same rows."""
    columns: dict[tuple[float, float], list[Rect]] = {}
    for c in cells:
        key = next(
            (k for k in columns if abs(k[0] - c[0]) <= TOL and abs(k[1] - c[2]) <= TOL),
            (c[0], c[2]),
        )
        columns.setdefault(key, []).append(c)
    tables: dict[tuple[int, int], list[list[Rect]]] = {}
    for column in columns.values():
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


def _small(label: Rect, tall: float) -> bool:
    """Whether a label over words is set no larger than they are (a heading is larger)."""
    return label[3] - label[1] <= HEADING * tall


def _printed(text: str) -> bool:
    return any(mark in text for mark in PRINTED)


def _said(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def _centred(word: Rect, square: Rect) -> bool:
    x, y = (word[0] + word[2]) / 2, (word[1] + word[3]) / 2
    return square[0] < x < square[2] and square[1] < y < square[3]


def _share(a: Rect, b: Rect) -> float:
    """How much of `a`'s area lies inside `b`."""
    ix = min(a[2], b[2]) - max(a[0], b[0])
    iy = min(a[3], b[3]) - max(a[1], b[1])
    area = (a[2] - a[0]) * (a[3] - a[1])
    if ix <= 0 or iy <= 0 or area <= 0:
        return 0.0
    return ix * iy / area

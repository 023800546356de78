"""A seeded generator of wedding forms written as real AcroForms, with exact ground truth.

`generate(seed, kind)` lays out a questionnaire, a contract or a timeline on US Letter pages:
its labels and its printed marks (underlines, underscores, boxes, comb cells, checkbox squares,
`[ ]`, radio circles, signature lines with their caption below, ruled tables) are page content,
as on a form printed from Word; each field is also an AcroForm widget over its mark (the
fillable version). The flat version is the same pages without the widgets and the /AcroForm:
what a printed form looks like. The truth is the widgets: page, rectangle (PDF points, origin
bottom left), type (with its meaning: date, email, phone, number, …) and the label printed for
it. The same seed gives the same bytes and the same truth.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field, replace

import pikepdf
from pikepdf import Array, Dictionary, Name, String

WIDTH, HEIGHT = 612.0, 792.0
MARGIN = 54.0
KINDS = ("questionnaire", "contract", "timeline")

TEXT_LABELS = (
    ("Bride's full name", "text"),
    ("Groom's full name", "text"),
    ("Partner name", "text"),
    ("Wedding date", "date"),
    ("Date of birth", "date"),
    ("Rehearsal date (mm/dd/yyyy)", "date"),
    ("Ceremony start time", "text"),
    ("Venue name", "text"),
    ("Venue address", "text"),
    ("City", "text"),
    ("Contact e-mail", "email"),
    ("Email address", "email"),
    ("Mobile phone", "phone"),
    ("Phone", "phone"),
    ("Planner's phone", "phone"),
    ("Number of guests", "number"),
    ("Estimated budget ($)", "number"),
    ("Deposit amount", "number"),
    ("Officiant", "text"),
    ("First dance song", "text"),
    ("Photographer arrival time", "text"),
    ("Florist", "text"),
    ("Wedding colours", "text"),
)
LONG_LABELS = ("Dietary requirements", "Special requests", "Must-have shots", "Family notes")
COMB_LABELS = (
    ("ZIP code", 5, "number"),
    ("Guest count", 3, "number"),
    ("Table number", 2, "number"),
)
CHECK_LABELS = (
    "Vegetarian",
    "Vegan",
    "Gluten-free",
    "Halal",
    "Kosher",
    "Drone photos",
    "Second shooter",
    "Engagement session",
    "Photo booth",
    "Live band",
    "Printed album",
)
RADIO_QUESTIONS = (
    ("Ceremony location", ("Indoor", "Outdoor")),
    ("Package", ("Silver", "Gold", "Platinum")),
    ("Reception style", ("Buffet", "Plated", "Family style")),
    ("Delivery", ("Online gallery", "USB")),
)
CLAUSES = (
    "The Photographer agrees to photograph the wedding on the date and at the venue below.",
    "A non-refundable deposit secures the date; the balance is due two weeks before the event.",
    "Images are delivered as an online gallery within the period agreed in this contract.",
    "The Client grants access to the venue and informs the Photographer of any restrictions.",
    "Cancellation by the Client less than ninety days before the event forfeits the deposit.",
)
TIMELINE_HEADERS = (
    ("Time", "text"),
    ("Event", "text"),
    ("Location", "text"),
    ("Contact phone", "phone"),
)


CONCEPT_OF = {
    "Bride's full name": "partner1_name",
    "Groom's full name": "partner2_name",
    "Partner name": None,  # which partner? a reader should abstain
    "Wedding date": "wedding_date",
    "Date of birth": "date_of_birth",
    "Rehearsal date (mm/dd/yyyy)": "rehearsal_date",
    "Ceremony start time": "ceremony_time",
    "Venue name": "venue_name",
    "Venue address": "venue_address",
    "City": "city",
    "Contact e-mail": "contact_email",
    "Email address": "contact_email",
    "Mobile phone": "contact_phone",
    "Phone": "contact_phone",
    "Planner's phone": "planner_phone",
    "Number of guests": "guest_count",
    "Estimated budget ($)": "budget",
    "Deposit amount": "deposit",
    "Officiant": "officiant",
    "First dance song": "first_dance_song",
    "Photographer arrival time": "photographer_arrival_time",
    "Florist": "florist",
    "Wedding colours": "wedding_colours",
    "Dietary requirements": "dietary_needs",
    "Special requests": "special_requests",
    "Must-have shots": "shot_list",
    "Family notes": "family_notes",
    "ZIP code": "postal_code",
    "Guest count": "guest_count",
    "Table number": "table_number",
    **dict.fromkeys(("Vegetarian", "Vegan", "Gluten-free", "Halal", "Kosher"), "dietary_needs"),
    **dict.fromkeys(
        (
            "Drone photos",
            "Second shooter",
            "Engagement session",
            "Photo booth",
            "Live band",
            "Printed album",
        ),
        "add_ons",
    ),
    "Ceremony location": "ceremony_setting",
    "Package": "package",
    "Reception style": "reception_style",
    "Delivery": "delivery_method",
    "Client name": "client_name",
    "Event date": "wedding_date",
    "Total fee ($)": "total_price",
    "Deposit ($)": "deposit",
    "I agree to the cancellation policy": "terms_agreement",
    "Client signature": "client_signature",
    "Photographer signature": "vendor_signature",
    "Date": "signature_date",  # the date beside a signature line
    "Day-of coordinator": "coordinator",
    "Time": "schedule_time",
    "Event": "schedule_event",
    "Location": "schedule_location",
    "Contact phone": "contact_phone",
    "Notes": "notes",
}
"""The wedding concept (trousseau.forms.concepts) each printed label stands for; None where
the label is ambiguous and the right answer is to abstain."""


@dataclass(frozen=True)
class Truth:
    """One widget of the generated form: where it is, what it is, what labels it, and the
    wedding concept it stands for (a radio button: its question's)."""

    page: int
    rect: tuple[float, float, float, float]
    type: str
    label: str
    field: str
    concept: str | None = None
    value: str | None = None
    """The answer drawn in a filled form (`generate_filled`)."""


@dataclass
class _Page:
    ops: list[str] = field(default_factory=list)
    widgets: list[tuple[str, dict]] = field(default_factory=list)


def _esc(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _width(text: str, size: float) -> float:
    """A generous estimate of Helvetica's width of `text` (layout only needs no overlap)."""
    return 0.6 * size * len(text)


class _Writer:
    """Lays out one document, page by page, from the top."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.pages: list[_Page] = [_Page()]
        self.y = HEIGHT - MARGIN
        self.truth: list[Truth] = []
        self.count = 0

    @property
    def page(self) -> _Page:
        return self.pages[-1]

    def need(self, height: float) -> None:
        if self.y - height < MARGIN:
            self.pages.append(_Page())
            self.y = HEIGHT - MARGIN

    def text(self, x: float, y: float, text: str, size: float = 10) -> None:
        self.page.ops.append(f"BT /F1 {size:g} Tf {x:.2f} {y:.2f} Td ({_esc(text)}) Tj ET")

    def rect(self, r: tuple[float, float, float, float]) -> None:
        self.page.ops.append(
            f"0.6 w {r[0]:.2f} {r[1]:.2f} {r[2] - r[0]:.2f} {r[3] - r[1]:.2f} re S"
        )

    def line(self, x0: float, y: float, x1: float, width: float = 0.6) -> None:
        self.page.ops.append(f"{width:g} w {x0:.2f} {y:.2f} m {x1:.2f} {y:.2f} l S")

    def circle(self, cx: float, cy: float, r: float) -> None:
        k = 0.5523 * r
        self.page.ops.append(
            f"0.6 w {cx + r:.2f} {cy:.2f} m "
            f"{cx + r:.2f} {cy + k:.2f} {cx + k:.2f} {cy + r:.2f} {cx:.2f} {cy + r:.2f} c "
            f"{cx - k:.2f} {cy + r:.2f} {cx - r:.2f} {cy + k:.2f} {cx - r:.2f} {cy:.2f} c "
            f"{cx - r:.2f} {cy - k:.2f} {cx - k:.2f} {cy - r:.2f} {cx:.2f} {cy - r:.2f} c "
            f"{cx + k:.2f} {cy - r:.2f} {cx + r:.2f} {cy - k:.2f} {cx + r:.2f} {cy:.2f} c S"
        )

    def widget(
        self, kind: str, rect: tuple[float, float, float, float], label: str, **extra: object
    ) -> str:
        self.count += 1
        name = f"f{self.count}"
        rounded = (round(rect[0], 2), round(rect[1], 2), round(rect[2], 2), round(rect[3], 2))
        self.page.widgets.append((name, {"kind": kind, "rect": rounded, **extra}))
        truth_type = str(extra.get("meaning", kind))
        self.truth.append(
            Truth(len(self.pages) - 1, rounded, truth_type, label, name, CONCEPT_OF[label])
        )
        return name

    def text_field(self, label: str, meaning: str, x: float, width: float) -> None:
        """One text field on its own line (`text_row` with one field)."""
        self.text_row([(label, meaning)], x, width)

    def text_row(self, fields: list[tuple[str, str]], x: float, width: float) -> None:
        """Text fields side by side on one line, `Label: ____`, each with a mark chosen at
        random: a stroked rule, a thin filled rectangle (as Word draws it), underscores or a
        box; one field alone may have its label above its mark instead."""
        height = self.rng.choice((14.0, 16.0, 18.0))
        size = self.rng.choice((9.0, 10.0, 11.0))
        above = len(fields) == 1 and self.rng.random() < 0.25
        self.need(height + (30 if above else 16))
        if above:
            self.text(x, self.y - size, fields[0][0], size)
            self.y -= size + 4
        base = self.y - height
        span = (min(x + width, WIDTH - MARGIN) - x) / len(fields)
        for i, (label, meaning) in enumerate(fields):
            left = x + i * span
            style = self.rng.choice(("rule", "rule", "filled", "underscores", "box"))
            if above:
                fx = left
            else:
                self.text(left, base + 3, f"{label}:", size)
                fx = left + _width(f"{label}:", size) + 6
            fx1 = left + span - (12 if i < len(fields) - 1 else 0)
            if fx1 - fx < 40:
                fx1 = min(fx + 60, WIDTH - MARGIN)
            if style == "rule":
                self.line(fx, base, fx1)
            elif style == "filled":
                self.page.ops.append(f"{fx:.2f} {base - 0.4:.2f} {fx1 - fx:.2f} 0.8 re f")
            elif style == "underscores":
                count = max(int((fx1 - fx) / 5.56), 3)
                self.text(fx, base + 1.6, "_" * count)
                fx1 = fx + count * 5.56
            else:
                self.rect((fx, base, fx1, base + height))
            self.widget("text", (fx, base, fx1, base + height), label, meaning=meaning)
        self.y = base - 10

    def signature(self, caption: str) -> None:
        self.need(40)
        base = self.y - 24
        x0 = MARGIN + self.rng.choice((0.0, 20.0))
        x1 = x0 + self.rng.choice((200.0, 240.0))
        self.line(x0, base, x1)
        self.text(x0, base - 11, caption, 8)
        self.widget("signature", (x0, base, x1, base + 18), caption, meaning="signature")
        dx = x1 + 30
        self.line(dx, base, dx + 110)
        self.text(dx, base - 11, "Date", 8)
        self.widget("text", (dx, base, dx + 110, base + 18), "Date", meaning="date")
        self.y = base - 24

    def checkboxes(self, labels: list[str]) -> None:
        self.need(20)
        x = MARGIN
        base = self.y - 12
        bracket = self.rng.random() < 0.3
        for label in labels:
            if x + 140 > WIDTH - MARGIN:
                self.y = base - 8
                self.need(20)
                base, x = self.y - 12, MARGIN
            if bracket:
                self.text(x, base + 1, "[   ]")
                box = (x, base - 1.2, x + 14.5, base + 8.8)
            else:
                box = (x, base, x + 10, base + 10)
                self.rect(box)
            self.text(box[2] + 4, base + 1.5, label)
            self.widget("checkbox", box, label, meaning="checkbox")
            x += max(_width(label, 10) + 40, 120)
        self.y = base - 10

    def radios(self, question: str, options: tuple[str, ...]) -> None:
        self.need(20)
        base = self.y - 12
        self.text(MARGIN, base + 1.5, f"{question}:")
        x = MARGIN + _width(f"{question}:", 10) + 12
        buttons = []
        for option in options:
            box = (x, base, x + 10, base + 10)
            self.circle(x + 5, base + 5, 5)
            self.text(x + 14, base + 1.5, option)
            buttons.append((box, option))
            self.truth.append(
                Truth(
                    len(self.pages) - 1,
                    box,
                    "radio",
                    option,
                    f"f{self.count + 1}",
                    CONCEPT_OF[question],
                )
            )
            x += _width(option, 10) + 34
        self.count += 1
        self.page.widgets.append((f"f{self.count}", {"kind": "radio", "buttons": buttons}))
        self.y = base - 10

    def long_field(self, label: str) -> None:
        height = self.rng.choice((44.0, 60.0))
        self.need(height + 22)
        self.text(MARGIN, self.y - 10, label)
        top = self.y - 14
        box = (MARGIN, top - height, WIDTH - MARGIN, top)
        self.rect(box)
        self.widget("multiline", box, label, meaning="multiline")
        self.y = top - height - 10

    def comb(self, label: str, cells: int, meaning: str) -> None:
        self.need(26)
        base = self.y - 16
        self.text(MARGIN, base + 4, f"{label}:")
        x = MARGIN + _width(f"{label}:", 10) + 8
        side = 16.0
        for i in range(cells):
            self.rect((x + i * side, base, x + (i + 1) * side, base + side))
        box = (x, base, x + cells * side, base + side)
        self.widget("comb", box, label, meaning=meaning, cells=cells)
        self.y = base - 10

    def heading(self, text: str) -> None:
        self.need(30)
        self.text(MARGIN, self.y - 16, text, 14)
        self.y -= 28

    def paragraph(self, text: str) -> None:
        self.need(16)
        self.text(MARGIN, self.y - 10, text, 9)
        self.y -= 15

    def table(self, headers: tuple[tuple[str, str], ...], rows: int) -> None:
        widths = [70.0, 190.0, 140.0, 104.0]
        row_h = self.rng.choice((18.0, 20.0))
        self.need(row_h * (rows + 1) + 10)
        top = self.y - 4
        xs = [MARGIN]
        for w in widths:
            xs.append(xs[-1] + w)
        bottom = top - row_h * (rows + 1)
        for r in range(rows + 2):
            self.line(xs[0], top - r * row_h, xs[-1], 0.8)
        for x in xs:
            self.page.ops.append(f"0.8 w {x:.2f} {bottom:.2f} m {x:.2f} {top:.2f} l S")
        for (header, _), x in zip(headers, xs, strict=False):
            self.text(x + 4, top - row_h + 5, header)
        for r in range(1, rows + 1):
            y1 = top - r * row_h
            for c, (header, meaning) in enumerate(headers):
                self.widget("text", (xs[c], y1 - row_h, xs[c + 1], y1), header, meaning=meaning)
        self.y = bottom - 12


def _questionnaire(w: _Writer) -> None:
    rng = w.rng
    w.heading(rng.choice(("Wedding questionnaire", "Couple's planning form", "Photography brief")))
    chosen = rng.sample(TEXT_LABELS, rng.randint(8, 12))
    while chosen:
        if len(chosen) >= 2 and rng.random() < 0.3:
            w.text_row([chosen.pop(), chosen.pop()], MARGIN, 504.0)
        else:
            w.text_field(*chosen.pop(), MARGIN, rng.choice((300.0, 420.0, 504.0)))
    label, cells, meaning = rng.choice(COMB_LABELS)
    w.comb(label, cells, meaning)
    w.paragraph("Please tick all that apply:")
    w.checkboxes(rng.sample(CHECK_LABELS, rng.randint(3, 6)))
    for question, options in rng.sample(RADIO_QUESTIONS, 2):
        w.radios(question, options)
    w.long_field(rng.choice(LONG_LABELS))
    w.signature("Client signature")


def _contract(w: _Writer) -> None:
    rng = w.rng
    w.heading("Wedding photography contract")
    for label, meaning in (("Client name", "text"), ("Event date", "date")):
        w.text_field(label, meaning, MARGIN, 420.0)
    for clause in rng.sample(CLAUSES, 4):
        w.paragraph(clause)
    for label, meaning in (("Total fee ($)", "number"), ("Deposit ($)", "number")):
        w.text_field(label, meaning, MARGIN, 260.0)
    w.checkboxes(["I agree to the cancellation policy"])
    w.signature("Client signature")
    w.signature("Photographer signature")


def _timeline(w: _Writer) -> None:
    rng = w.rng
    w.heading("Wedding day timeline")
    w.text_field("Wedding date", "date", MARGIN, 300.0)
    w.text_field("Day-of coordinator", "text", MARGIN, 400.0)
    w.table(TIMELINE_HEADERS, rng.randint(5, 10))
    w.long_field("Notes")


def generate(seed: int, kind: str) -> tuple[bytes, bytes, list[Truth]]:
    """(fillable PDF, flat PDF, truth) of one generated `kind` of form ("questionnaire",
    "contract" or "timeline"); the same seed gives the same bytes and truth."""
    writer = _layout(seed, kind)
    return _save(writer, fillable=True), _save(writer, fillable=False), writer.truth


def generate_filled(seed: int, kind: str, *, ink: str | None = None) -> tuple[bytes, list[Truth]]:
    """(flat PDF, truth) of the same form as `generate(seed, kind)`, filled in and printed:
    each answer drawn where a filled widget's appearance puts it when a form is flattened
    (a line of text 2 pt inside its field, vertically centred; a comb's characters one a
    cell; a multiline answer from the top; a ZapfDingbats tick or an X in a checked box, a
    dot in the chosen radio button). About one text field in eight is left blank, half the
    checkboxes are ticked and a radio group may have no choice; each truth's
    `value` is the answer drawn (None: left blank; "on" for a ticked box or button).
    The answers are set in the print's own font and colour (a Word document typed into
    before printing), or with `ink` (a PDF fill colour, "0 0 0.5 rg") in that colour, as a
    PDF editor draws its fields' appearances."""
    writer = _layout(seed, kind)
    rng = random.Random(f"filled:{kind}:{seed}")
    specs = {name: spec for page in writer.pages for name, spec in page.widgets}
    truth: list[Truth] = []
    chosen: dict[str, int] = {}
    for t in writer.truth:
        spec = specs[t.field]
        page_ops = writer.pages[t.page].ops
        ops: list[str] = []
        value: str | None = None
        if spec["kind"] == "radio":
            options = len(spec["buttons"])
            pick = chosen.setdefault(t.field, rng.randrange(options + 1))  # `options`: none
            index = [b for b, _ in spec["buttons"]].index(t.rect)
            if index == pick:
                value = "on"
                ops.append(_dingbat("l", t.rect, 0.6))
        elif spec["kind"] == "checkbox":
            if rng.random() < 0.5:
                value = "on"
                ops.append(_dingbat("4", t.rect, 0.8) if rng.random() < 0.5 else _cross(t.rect))
        elif rng.random() < 0.875:
            value = _answer(rng, t.type, spec)
            ops.extend(_typed(value, t.rect, spec))
        page_ops.extend(f"q {ink} {op} Q" if ink else op for op in ops)
        truth.append(replace(t, value=value))
    return _save(writer, fillable=False), truth


ANSWERS = {
    "text": (
        "Ada Okafor",
        "Tunde Bello",
        "St Mary's Church",
        "Lagos",
        "Rose gold and ivory",
        "Clair de Lune",
        "Bloom & Wild",
        "4:30 pm",
        "Rev. J. Adeyemi",
    ),
    "date": ("06/14/2027", "2027-06-14", "June 14, 2027", "14/06/2027"),
    "email": ("ada.okafor@example.com", "tunde@mail.example.org"),
    "phone": ("+1 555 010 2233", "(555) 201-7788", "555-0142"),
    "number": ("120", "4,500", "85", "1,250.00"),
    "multiline": (
        "Two vegan guests; no nuts at table 4.",
        "Grandma Ada with all the cousins before the ceremony.",
    ),
    "signature": ("A. Okafor", "T. Bello"),
}


def _answer(rng: random.Random, meaning: str, spec: dict) -> str:
    if spec["kind"] == "comb":
        return "".join(rng.choice("0123456789") for _ in range(int(spec["cells"])))
    return rng.choice(ANSWERS.get(meaning, ANSWERS["text"]))


def _typed(value: str, rect: tuple[float, float, float, float], spec: dict) -> list[str]:
    x0, y0, x1, y1 = rect
    if spec["kind"] == "comb":
        side = (x1 - x0) / int(spec["cells"])
        return [
            f"BT /F1 10 Tf {x0 + i * side + (side - _width(ch, 10)) / 2:.2f} "
            f"{y0 + (y1 - y0 - 7) / 2:.2f} Td ({_esc(ch)}) Tj ET"
            for i, ch in enumerate(value)
        ]
    size = min(10.0, (y1 - y0) * 0.7)
    while size > 6 and _width(value, size) > x1 - x0 - 4:
        size -= 0.5
    y = y1 - 2 - size if spec["kind"] == "multiline" else y0 + (y1 - y0 - 0.7 * size) / 2
    return [f"BT /F1 {size:g} Tf {x0 + 2:.2f} {y:.2f} Td ({_esc(value)}) Tj ET"]


def _dingbat(glyph: str, rect: tuple[float, float, float, float], share: float) -> str:
    x0, y0, x1, y1 = rect
    size = (y1 - y0) * share / 0.7
    return (
        f"BT /F2 {size:.2f} Tf {x0 + (x1 - x0) * (1 - share) / 2:.2f} "
        f"{y0 + (y1 - y0) * (1 - share) / 2:.2f} Td ({glyph}) Tj ET"
    )


def _cross(rect: tuple[float, float, float, float]) -> str:
    x0, y0, x1, y1 = rect
    size = (y1 - y0) * 0.9
    return f"BT /F1 {size:.2f} Tf {x0 + (x1 - x0 - 0.667 * size) / 2:.2f} {y0 + 1:.2f} Td (X) Tj ET"


def _layout(seed: int, kind: str) -> _Writer:
    writer = _Writer(random.Random(f"{kind}:{seed}"))
    {"questionnaire": _questionnaire, "contract": _contract, "timeline": _timeline}[kind](writer)
    return writer


def _save(writer: _Writer, *, fillable: bool) -> bytes:
    pdf = pikepdf.new()
    font = pdf.make_indirect(
        Dictionary(
            Type=Name.Font,
            Subtype=Name.Type1,
            BaseFont=Name.Helvetica,
            Encoding=Name.WinAnsiEncoding,
        )
    )
    dingbats = pdf.make_indirect(
        Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.ZapfDingbats)
    )
    fields = Array()
    for spec in writer.pages:
        pdf.add_blank_page(page_size=(WIDTH, HEIGHT))
        page = pdf.pages[-1].obj
        page.Resources = Dictionary(Font=Dictionary(F1=font, F2=dingbats))
        page.Contents = pdf.make_stream("\n".join(spec.ops).encode("latin-1"))
        if not fillable:
            continue
        annots = Array()
        for name, w in spec.widgets:
            if w["kind"] == "radio":
                parent = pdf.make_indirect(
                    Dictionary(FT=Name.Btn, Ff=1 << 15, T=String(name), Kids=Array())
                )
                for i, (box, _option) in enumerate(w["buttons"]):
                    kid = pdf.make_indirect(
                        Dictionary(
                            Type=Name.Annot,
                            Subtype=Name.Widget,
                            Rect=Array(list(box)),
                            P=page,
                            Parent=parent,
                            AS=Name.Off,
                            AP=Dictionary(
                                N=Dictionary(
                                    {
                                        f"/o{i + 1}": pdf.make_stream(b""),
                                        "/Off": pdf.make_stream(b""),
                                    }
                                )
                            ),
                        )
                    )
                    parent.Kids.append(kid)
                    annots.append(kid)
                fields.append(parent)
                continue
            entries: dict[str, object] = {}
            if w["kind"] == "checkbox":
                entries = {
                    "/FT": Name.Btn,
                    "/AS": Name.Off,
                    "/AP": Dictionary(
                        N=Dictionary({"/Yes": pdf.make_stream(b""), "/Off": pdf.make_stream(b"")})
                    ),
                }
            elif w["kind"] == "signature":
                entries = {"/FT": Name.Sig}
            elif w["kind"] == "multiline":
                entries = {"/FT": Name.Tx, "/Ff": 1 << 12}
            elif w["kind"] == "comb":
                entries = {"/FT": Name.Tx, "/Ff": 1 << 24, "/MaxLen": w["cells"]}
            else:
                entries = {"/FT": Name.Tx}
            obj = pdf.make_indirect(
                Dictionary(
                    {
                        "/Type": Name.Annot,
                        "/Subtype": Name.Widget,
                        "/T": String(name),
                        "/Rect": Array(list(w["rect"])),
                        "/P": page,
                        **entries,
                    }
                )
            )
            annots.append(obj)
            fields.append(obj)
        page.Annots = annots
    if fillable:
        pdf.Root.AcroForm = Dictionary(Fields=fields, DA=String("/Helv 10 Tf 0 g"))
    out = io.BytesIO()
    pdf.save(out, deterministic_id=True)
    return out.getvalue()

"""A fillable PDF rebuilt from a flat or scanned one: the detected fields become AcroForm
widgets on a copy of the original pages.

The pure part decides each new field's name (`field_names`: the wedding concept, else the
label, else the detected name, unique and qualified by its page: `p1.wedding_date`), places
its rectangle back in the page's user space (`to_user`, the inverse of
`geometry.to_displayed`) and writes its appearance streams; `rebuild_fillable` is the thin
I/O shell (pikepdf) that opens the original, adds one parent field per page (`p1`, `p2`, …)
with the new fields as its kids, each with a widget on its page, and saves the copy.

Each field gets its type (text, multiline, comb with /MaxLen, checkbox, radio group with one
button per option, combo box or list with its options, signature), its label as tooltip
(/TU) and appearance streams (a thin border; a check or a dot for the on state of a button);
/NeedAppearances asks a viewer to redraw text fields with their values as a fallback.
Fields read from existing AcroForm widgets are kept as they are and not added twice.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pikepdf
from pikepdf import Array, Dictionary, Name, String

from trousseau.errors import PdfCorrupt
from trousseau.forms.classify import COMB, COMBO, MULTILINE, RADIO
from trousseau.forms.geometry import normalise_box, normalise_rotation
from trousseau.forms.model import Field, FieldType, Option, Rect, Widget
from trousseau.forms.source import mapped_pdf, qpdf_cause, read_source, sniff
from trousseau.settings import FormsSettings

NO_TOGGLE_TO_OFF = 1 << 14
"""A radio group's flag: one button is always on once chosen (ISO 32000-2, 12.7.5.2.4)."""

PRINT = 4
"""An annotation's Print flag: the widget prints with the page."""

_TEXTUAL = {
    FieldType.TEXT,
    FieldType.MULTILINE,
    FieldType.COMB,
    FieldType.DATE,
    FieldType.EMAIL,
    FieldType.PHONE,
    FieldType.NUMBER,
}


def read_back_type(kind: FieldType) -> FieldType:
    """The type an AcroForm reader finds for a rebuilt field of type `kind`: the meanings
    given to text fields from their labels (date, email, phone, number) are plain text in
    AcroForm; a push button is not rebuilt."""
    return (
        FieldType.TEXT
        if kind in (FieldType.DATE, FieldType.EMAIL, FieldType.PHONE, FieldType.NUMBER)
        else kind
    )


def _slug(text: str | None) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", (text or "").casefold()).strip("_")[:40].strip("_")
    return slug


def to_rebuild(fields: Iterable[Field]) -> list[Field]:
    """The fields a rebuild adds: those detected on printed or scanned pages (read AcroForm
    fields are in the file already), with a page and rectangle, not push buttons."""
    return [
        f
        for f in fields
        if f.source != "acroform"
        and f.page is not None
        and f.rect is not None
        and f.type is not FieldType.BUTTON
    ]


def field_names(fields: Sequence[Field]) -> list[str]:
    """Each field's new qualified name: `p<page>.<part>`, the part its wedding concept, else
    its label's slug, else the last part of its name, else its type; `_2`, `_3`, … make
    it unique on its page."""
    seen: dict[str, int] = {}
    names = []
    for f in fields:
        last = f.name.rsplit(".", 1)[-1]
        part = f.concept or _slug(f.label) or _slug(last) or f.type.value
        base = f"p{(f.page or 0) + 1}.{part}"
        seen[base] = seen.get(base, 0) + 1
        names.append(base if seen[base] == 1 else f"{base}_{seen[base]}")
    return names


def to_user(rect: Rect, box: Rect, rotation: int) -> Rect:
    """A rectangle of the displayed page back in the page's user space: the inverse of
    `geometry.to_displayed` for the page's box (CropBox, else MediaBox) and /Rotate."""
    bx0, by0, bx1, by1 = box
    width, height = bx1 - bx0, by1 - by0
    x0, y0, x1, y1 = rect
    if rotation == 90:
        x0, y0, x1, y1 = width - y1, x0, width - y0, x1
    elif rotation == 180:
        x0, y0, x1, y1 = width - x1, height - y1, width - x0, height - y0
    elif rotation == 270:
        x0, y0, x1, y1 = y0, height - x1, y1, height - x0
    return (x0 + bx0, y0 + by0, x1 + bx0, y1 + by0)


def _border(width: float, height: float) -> bytes:
    return f"q 0.5 0.5 0.5 RG 0.5 w 0.25 0.25 {width - 0.5:.2f} {height - 0.5:.2f} re S Q".encode()


def _check(width: float, height: float) -> bytes:
    """A check mark drawn with lines (no font needed) inside the box."""
    return (
        f"q 0 g 0 G {max(min(width, height) / 10, 0.8):.2f} w 1 J 1 j "
        f"{width * 0.2:.2f} {height * 0.5:.2f} m {width * 0.42:.2f} {height * 0.25:.2f} l "
        f"{width * 0.8:.2f} {height * 0.78:.2f} l S Q"
    ).encode()


def _dot(width: float, height: float) -> bytes:
    """A filled circle in the middle of the box (four Bézier quarters)."""
    cx, cy, r = width / 2, height / 2, min(width, height) / 4
    k = 0.5523 * r
    return (
        f"q 0 g {cx + r:.2f} {cy:.2f} m "
        f"{cx + r:.2f} {cy + k:.2f} {cx + k:.2f} {cy + r:.2f} {cx:.2f} {cy + r:.2f} c "
        f"{cx - k:.2f} {cy + r:.2f} {cx - r:.2f} {cy + k:.2f} {cx - r:.2f} {cy:.2f} c "
        f"{cx - r:.2f} {cy - k:.2f} {cx - k:.2f} {cy - r:.2f} {cx:.2f} {cy - r:.2f} c "
        f"{cx + k:.2f} {cy - r:.2f} {cx + r:.2f} {cy - k:.2f} {cx + r:.2f} {cy:.2f} c f Q"
    ).encode()


def _on_states(options: Sequence[Option]) -> list[str]:
    """A button's on-state name per option: its value's slug, unique, never "Off"."""
    seen: set[str] = set()
    states = []
    for i, o in enumerate(options):
        state = _slug(o.value) or _slug(o.label) or str(i + 1)
        if state.casefold() == "off":
            state = f"{state}_"
        base, n = state, 1
        while state in seen:
            n += 1
            state = f"{base}_{n}"
        seen.add(state)
        states.append(state)
    return states


def rebuild_fillable(
    source: Path | str | bytes,
    fields: Sequence[Field],
    *,
    name: str | None = None,
    password: str = "",
    limits: FormsSettings | None = None,
) -> bytes:
    """A copy of the PDF (a path, or its bytes named by `name`) with an AcroForm field and
    widget for each detected field of `fields` (`to_rebuild`), named by `field_names`.

    Raises the FormErrors of reading (not a PDF, encrypted, damaged beyond repair, over
    forms.max_bytes). The copy is not encrypted; its existing AcroForm fields are kept.
    """
    limits = limits or FormsSettings()
    label, data = read_source(source, name, limits.max_bytes)
    sniff(label, data)
    chosen = to_rebuild(fields)
    with mapped_pdf(label, data, password) as pdf:
        try:
            _add_fields(pdf, chosen)
            out = io.BytesIO()
            pdf.save(out, encryption=False, deterministic_id=True)
        except (pikepdf.PikepdfError, RuntimeError) as exc:
            raise PdfCorrupt(
                f"{label} is damaged beyond repair ({qpdf_cause(exc)}): "
                "ask the sender for a new copy"
            ) from None
    return out.getvalue()


def _page_box(page: pikepdf.Page) -> tuple[Rect, int]:
    try:
        box = normalise_box([float(v) for v in page.cropbox])
    except (ValueError, TypeError):
        box = normalise_box([float(v) for v in page.mediabox])
    rotate = page.obj.get("/Rotate", 0)
    return box, normalise_rotation(int(rotate)) if isinstance(rotate, int) else 0


def _add_fields(pdf: pikepdf.Pdf, fields: Sequence[Field]) -> None:
    acroform = pdf.Root.get("/AcroForm")
    if not isinstance(acroform, pikepdf.Dictionary):
        acroform = pdf.Root.AcroForm = Dictionary(Fields=Array())
    if not isinstance(acroform.get("/Fields"), pikepdf.Array):
        acroform.Fields = Array()
    if "/DA" not in acroform:
        acroform.DA = String("/Helv 0 Tf 0 g")
    resources = acroform.get("/DR")
    if not isinstance(resources, pikepdf.Dictionary):
        resources = acroform.DR = Dictionary()
    fonts = resources.get("/Font")
    if not isinstance(fonts, pikepdf.Dictionary):
        fonts = resources.Font = Dictionary()
    if "/Helv" not in fonts:
        fonts.Helv = pdf.make_indirect(
            Dictionary(
                Type=Name.Font,
                Subtype=Name.Type1,
                BaseFont=Name.Helvetica,
                Encoding=Name.WinAnsiEncoding,
            )
        )
    acroform.NeedAppearances = True
    if not fields:
        return
    pages = list(pdf.pages)
    geometry = [_page_box(p) for p in pages]
    parents: dict[int, pikepdf.Object] = {}
    for f, full in zip(fields, field_names(fields), strict=True):
        assert f.page is not None and f.rect is not None  # to_rebuild keeps only these
        if not 0 <= f.page < len(pages):
            continue
        parent = parents.get(f.page)
        if parent is None:
            parent = parents[f.page] = pdf.make_indirect(
                Dictionary(T=String(f"p{f.page + 1}"), Kids=Array())
            )
            acroform.Fields.append(parent)
        kid = _field(pdf, f, full.split(".", 1)[1], parent, pages, geometry)
        parent.Kids.append(kid)


def _annotate(page: pikepdf.Page, widget: pikepdf.Object) -> None:
    annots = page.obj.get("/Annots")
    if not isinstance(annots, pikepdf.Array):
        annots = page.obj.Annots = Array()
    annots.append(widget)


def _widget(
    pdf: pikepdf.Pdf,
    page: pikepdf.Page,
    rect: Rect,
    entries: Mapping[str, Any],
) -> pikepdf.Dictionary:
    return pdf.make_indirect(
        Dictionary(
            {
                "/Type": Name.Annot,
                "/Subtype": Name.Widget,
                "/Rect": Array([round(v, 3) for v in rect]),
                "/P": page.obj,
                "/F": PRINT,
                **entries,
            }
        )
    )


def _stream(pdf: pikepdf.Pdf, width: float, height: float, content: bytes) -> pikepdf.Stream:
    return pdf.make_stream(
        content,
        Type=Name.XObject,
        Subtype=Name.Form,
        BBox=Array([0, 0, round(width, 3), round(height, 3)]),
        Resources=Dictionary(),
    )


def _field(
    pdf: pikepdf.Pdf,
    f: Field,
    part: str,
    parent: pikepdf.Object,
    pages: list[pikepdf.Page],
    geometry: list[tuple[Rect, int]],
) -> pikepdf.Object:
    """One new terminal field (with its widget, or a radio group with a kid per button)."""
    assert f.page is not None and f.rect is not None
    page = pages[f.page]
    box, rotation = geometry[f.page]
    rect = to_user(f.rect, box, rotation)
    width, height = rect[2] - rect[0], rect[3] - rect[1]
    common: dict[str, Any] = {"/T": String(part), "/Parent": parent}
    if f.label:
        common["/TU"] = String(f.label)
    if f.type is FieldType.RADIO and f.options:
        return _radio(pdf, f, common, pages, geometry)
    entries: dict[str, Any] = dict(common)
    kind = read_back_type(f.type)
    if kind is FieldType.CHECKBOX or kind is FieldType.RADIO:  # a radio without options: a box
        state = _on_states(f.options)[0] if f.options else "Yes"
        entries.update(
            {
                "/FT": Name.Btn,
                "/V": Name.Off,
                "/AS": Name.Off,
                "/MK": Dictionary(BC=Array([0.5, 0.5, 0.5])),
                "/AP": Dictionary(
                    N=Dictionary(
                        {
                            f"/{state}": _stream(
                                pdf,
                                width,
                                height,
                                _border(width, height) + b" " + _check(width, height),
                            ),
                            "/Off": _stream(pdf, width, height, _border(width, height)),
                        }
                    )
                ),
            }
        )
    elif kind in (FieldType.CHOICE, FieldType.LIST):
        entries.update(
            {
                "/FT": Name.Ch,
                "/Ff": COMBO if kind is FieldType.CHOICE else 0,
                "/Opt": Array(
                    [
                        Array([String(o.value), String(o.label)])
                        if o.label and o.label != o.value
                        else String(o.value)
                        for o in f.options
                    ]
                ),
                "/DA": String("/Helv 0 Tf 0 g"),
                "/AP": Dictionary(N=_stream(pdf, width, height, _border(width, height))),
            }
        )
    elif kind is FieldType.SIGNATURE:
        entries.update(
            {
                "/FT": Name.Sig,
                "/AP": Dictionary(N=_stream(pdf, width, height, _border(width, height))),
            }
        )
    else:
        flags = 0
        if kind is FieldType.MULTILINE:
            flags |= MULTILINE
        if kind is FieldType.COMB and f.max_length:
            flags |= COMB
            entries["/MaxLen"] = f.max_length
        entries.update(
            {
                "/FT": Name.Tx,
                "/Ff": flags,
                "/DA": String("/Helv 0 Tf 0 g"),
                "/AP": Dictionary(
                    N=_stream(pdf, width, height, _border(width, height) + b" /Tx BMC EMC")
                ),
            }
        )
    widget = _widget(pdf, page, rect, entries)
    _annotate(page, widget)
    return widget


def _radio(
    pdf: pikepdf.Pdf,
    f: Field,
    common: dict[str, Any],
    pages: list[pikepdf.Page],
    geometry: list[tuple[Rect, int]],
) -> pikepdf.Object:
    """A radio group: the field, with one widget kid per option on its page and rectangle,
    each on-state the option's value; /Opt keeps the options' texts."""
    group = pdf.make_indirect(
        Dictionary(
            {
                **common,
                "/FT": Name.Btn,
                "/Ff": RADIO | NO_TOGGLE_TO_OFF,
                "/V": Name.Off,
                "/Kids": Array(),
                "/Opt": Array([String(o.label or o.value) for o in f.options]),
            }
        )
    )
    for option, state in zip(f.options, _on_states(f.options), strict=True):
        index = option.page if option.page is not None else f.page
        place = option.rect or f.rect
        if index is None or place is None or not 0 <= index < len(pages):
            continue
        box, rotation = geometry[index]
        rect = to_user(place, box, rotation)
        width, height = rect[2] - rect[0], rect[3] - rect[1]
        kid = _widget(
            pdf,
            pages[index],
            rect,
            {
                "/Parent": group,
                "/AS": Name.Off,
                "/MK": Dictionary(BC=Array([0.5, 0.5, 0.5])),
                "/AP": Dictionary(
                    N=Dictionary(
                        {
                            f"/{state}": _stream(pdf, width, height, _dot(width, height)),
                            "/Off": _stream(pdf, width, height, b""),
                        }
                    )
                ),
            },
        )
        group.Kids.append(kid)
        _annotate(pages[index], kid)
    return group


def fields_from_result(result: Mapping[str, Any]) -> list[Field]:
    """The fields of an analysis result (`FormReport.to_dict`, as the catalog keeps it) as
    Field values again, for a rebuild from what a worker read."""
    fields = []
    for raw in result.get("fields", ()):
        fields.append(
            Field(
                name=str(raw["name"]),
                type=FieldType(raw["type"]),
                page=raw.get("page"),
                rect=_rect(raw.get("rect")),
                label=raw.get("label"),
                label_source=raw.get("label_source"),
                value=tuple(raw["value"])
                if isinstance(raw.get("value"), list)
                else raw.get("value"),
                options=tuple(
                    Option(
                        value=str(o["value"]),
                        label=o.get("label"),
                        page=o.get("page"),
                        rect=_rect(o.get("rect")),
                    )
                    for o in raw.get("options", ())
                ),
                required=bool(raw.get("required", False)),
                read_only=bool(raw.get("read_only", False)),
                max_length=raw.get("max_length"),
                widgets=tuple(
                    Widget(int(w["page"]), r)
                    for w in raw.get("widgets", ())
                    if (r := _rect(w.get("rect"))) is not None
                ),
                concept=raw.get("concept"),
                concept_confidence=raw.get("concept_confidence"),
                source=str(raw.get("source", "acroform")),
            )
        )
    return fields


def _rect(raw: Any) -> Rect | None:
    if not isinstance(raw, list | tuple) or len(raw) != 4:
        return None
    return (float(raw[0]), float(raw[1]), float(raw[2]), float(raw[3]))

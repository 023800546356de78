"""Reading a fillable PDF: every AcroForm field with its type, place, label, options and value.

The I/O shell around the pure decisions of `classify` and `geometry`. qpdf's form helper
(pikepdf's `Pdf.acroform`) finds each page's widgets and their fields, with the inheritance
of /FT, /Ff, /V and /DA from parent fields done for us. qpdf lists each button of a radio
group as a terminal field of the group's name; they are gathered here into one field whose
options are the buttons (their on-state names, rectangles and pages), as the spec means it.
XFA forms are detected (an /XFA stream or array in /AcroForm) and reported, not read.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import pikepdf

from trousseau.errors import PdfCorrupt, PdfTooLarge
from trousseau.forms.classify import READ_ONLY, REQUIRED, field_type, form_kind
from trousseau.forms.geometry import LETTER, normalise_box, normalise_rotation, to_displayed, union
from trousseau.forms.labels import nearest_label
from trousseau.forms.model import Field, FieldType, FormReport, Option, Rect, Widget
from trousseau.forms.pagetext import text_runs
from trousseau.forms.source import open_pdf, qpdf_cause, read_source, sniff
from trousseau.settings import FormsSettings

MAX_WARNINGS = 20
"""Warnings listed one by one; beyond this a last line counts the rest."""

_MAX_DEPTH = 64
"""Longest /Parent chain followed (a loop in a damaged file stops here)."""


@dataclass
class _Gathered:
    """One logical field while its widgets are collected, page by page."""

    helper: pikepdf.AcroFormField
    widgets: list[tuple[int | None, Rect, pikepdf.Object]] = field(default_factory=list)


def read_fillable(
    source: Path | str | bytes,
    *,
    name: str | None = None,
    password: str = "",
    limits: FormsSettings | None = None,
    clock: Callable[[], float] = time.monotonic,
    nearby_labels: bool = True,
) -> FormReport:
    """Read every AcroForm field of a PDF (a path, or its bytes named by `name`).

    Raises a FormError naming the file when it is not a PDF, needs a password, is damaged
    beyond repair or is over a limit of `limits` (bytes, pages, reading time measured with
    `clock`). A file qpdf repairs is read, with a "repaired: …" warning; an XFA form is
    reported with a warning saying its XFA fields were not read. Fields without a tooltip
    are labelled by the nearest text on their page unless `nearby_labels` is False (an
    inventory that needs no labels reads about 2.5 times faster without).
    """
    limits = limits or FormsSettings()
    label, data = read_source(source, name, limits.max_bytes)
    sniff(label, data)
    started = clock()
    pdf = open_pdf(label, data, password)
    try:
        return _read(pdf, label, data, password, limits, clock, started, nearby_labels)
    except (pikepdf.PikepdfError, RuntimeError) as exc:
        raise PdfCorrupt(
            f"{label} is damaged beyond repair ({qpdf_cause(exc)}): ask the sender for a new copy"
        ) from None
    finally:
        pdf.close()


def _read(
    pdf: pikepdf.Pdf,
    label: str,
    data: bytes,
    password: str,
    limits: FormsSettings,
    clock: Callable[[], float],
    started: float,
    nearby_labels: bool,
) -> FormReport:
    warnings: list[str] = []
    repairs = [qpdf_cause(Exception(w)) for w in pdf.get_warnings()]
    pages = len(pdf.pages)
    repairs += [qpdf_cause(Exception(w)) for w in pdf.get_warnings()]
    if pages > limits.max_pages:
        raise PdfTooLarge(
            f"{label} has {pages:,} pages, over the limit of {limits.max_pages:,} "
            "(forms.max_pages): split the document or raise the limit"
        )
    if pdf.is_encrypted and not password:
        warnings.append(
            f"{label} is encrypted for its owner only (it opens without a password): read as is"
        )
    acroform = pdf.Root.get("/AcroForm")
    if not isinstance(acroform, pikepdf.Dictionary):
        acroform = None
    xfa = _xfa_storage(acroform)
    fields: list[Field] = []
    if acroform is not None:
        geometry: dict[int, tuple[Rect, int]] = {}
        fields = _fields(pdf, label, limits, clock, started, warnings, geometry)
        _check_time(label, limits, clock, started, "before labelling its fields")
        if nearby_labels:
            fields = _labels_from_text(fields, data, password, geometry, warnings)
    kind = form_kind(bool(fields), xfa)
    if xfa is not None and not fields:
        warnings.append(
            f"XFA form ({xfa}): fields defined in XFA are not read; open {label} in a reader "
            "that shows XFA and print it to PDF, or send a version with AcroForm fields"
        )
    elif xfa is not None:
        warnings.append(
            f"hybrid form: XFA ({xfa}) and AcroForm both define fields; the AcroForm fields "
            "were read (an XFA-aware reader may show more)"
        )
    if xfa is None and bool(pdf.Root.get("/NeedsRendering", False)):
        warnings.append(
            f"{label} asks to be rendered from XFA (/NeedsRendering) but holds no XFA: "
            "no fields can be read from it"
        )
    later = [qpdf_cause(Exception(w)) for w in pdf.get_warnings()]
    if later:
        warnings.append(f"qpdf: {later[0]} ({len(later)} warning(s) while reading the form)")
    if repairs:
        causes = [c for c in repairs if c != "file is damaged"] or repairs
        warnings.insert(
            0,
            f"repaired: {label} is damaged ({causes[0]}); qpdf rebuilt what it could "
            f"and what it recovered was read ({len(repairs)} qpdf warning(s))",
        )
    if len(warnings) > MAX_WARNINGS:
        rest = len(warnings) - MAX_WARNINGS
        warnings = [*warnings[:MAX_WARNINGS], f"… and {rest} more warning(s)"]
    return FormReport(
        name=label,
        sha256=hashlib.sha256(data).hexdigest(),
        bytes=len(data),
        pages=pages,
        kind=kind,
        fields=tuple(fields),
        warnings=tuple(warnings),
    )


def _check_time(
    label: str, limits: FormsSettings, clock: Callable[[], float], started: float, where: str
) -> None:
    """PdfTooLarge once reading has taken longer than forms.timeout_seconds (checked between
    pages: one page's work is not interrupted)."""
    if clock() - started > limits.timeout_seconds:
        raise PdfTooLarge(
            f"{label} took longer than {limits.timeout_seconds:g} s to read "
            f"(forms.timeout_seconds), stopped {where}: split the document or raise the limit"
        )


def _xfa_storage(acroform: pikepdf.Dictionary | None) -> str | None:
    """How /AcroForm stores XFA: "stream" (one XML stream), "array" (named packets), or None."""
    if acroform is None or "/XFA" not in acroform:
        return None
    xfa = acroform.get("/XFA")
    if isinstance(xfa, pikepdf.Stream):
        return "stream"
    if isinstance(xfa, pikepdf.Array):
        return "array"
    return None


def _fields(
    pdf: pikepdf.Pdf,
    label: str,
    limits: FormsSettings,
    clock: Callable[[], float],
    started: float,
    warnings: list[str],
    geometry: dict[int, tuple[Rect, int]],
) -> list[Field]:
    """Every logical field, in the order its first widget appears, page by page; each page's
    (box, rotation) is kept in `geometry`."""
    helper = pdf.acroform
    gathered: dict[object, _Gathered] = {}
    page_index: dict[tuple[int, int], int] = {}
    for index, page in enumerate(pdf.pages):
        _check_time(label, limits, clock, started, f"at page {index + 1} of {len(pdf.pages)}")
        page_index[page.obj.objgen] = index
        box, rotation = geometry[index] = _page_geometry(page.obj, index, warnings)
        for annotation in helper.get_widget_annotations_for_page(page):
            widget = annotation.obj
            terminal = helper.get_field_for_annotation(annotation)
            logical = _logical(terminal)
            key = _key(logical)
            entry = gathered.setdefault(key, _Gathered(logical))
            rect = _widget_rect(widget, box, rotation)
            if rect is None:
                warnings.append(
                    f"a widget of field {_name(logical)!r} on page {index} has no usable "
                    "/Rect: left out"
                )
                continue
            entry.widgets.append((index, rect, widget))
    for terminal in helper.fields:
        logical = _logical(terminal)
        key = _key(logical)
        if key in gathered:
            continue
        entry = gathered.setdefault(key, _Gathered(logical))
        _place_unlisted(pdf, terminal.obj, page_index, entry, warnings)
    result = []
    orphans = 0
    for entry in gathered.values():
        if not str(entry.helper.field_type) and not _name(entry.helper):
            orphans += len(entry.widgets) or 1
            continue
        built = _build(entry, warnings)
        if built is not None:
            result.append(built)
    if orphans:
        warnings.append(
            f"{orphans} widget(s) belong to no form field (a form flattened without removing "
            "its widgets?): left out"
        )
    return result


def _labels_from_text(
    fields: list[Field],
    data: bytes,
    password: str,
    geometry: dict[int, tuple[Rect, int]],
    warnings: list[str],
) -> list[Field]:
    """Fields without a tooltip labelled by the nearest text on their page, and radio and
    checkbox options without a text by the caption beside their button."""

    def wanting(f: Field) -> bool:
        return f.page is not None and (
            f.label is None or any(o.label is None and o.rect is not None for o in f.options)
        )

    pages = sorted({f.page for f in fields if f.page is not None and wanting(f)})
    if not pages:
        return fields
    runs, problem = text_runs(data, password, pages, geometry)
    if problem is not None:
        warnings.append(f"labels from the page text are missing: pdfium cannot read it ({problem})")
        return fields
    labelled = []
    for f in fields:
        if f.page not in runs or f.rect is None:
            labelled.append(f)
            continue
        page_runs = runs[f.page]
        label, source = f.label, f.label_source
        if label is None:
            caption_right = f.type is FieldType.CHECKBOX
            label = nearest_label(f.rect, page_runs, caption_right=caption_right)
            source = "nearby" if label is not None else None
        options = tuple(
            replace(o, label=nearest_label(o.rect, runs[o.page], caption_right=True))
            if o.label is None and o.rect is not None and o.page in runs
            else o
            for o in f.options
        )
        labelled.append(replace(f, label=label, label_source=source, options=options))
    return labelled


def _place_unlisted(
    pdf: pikepdf.Pdf,
    widget: pikepdf.Object,
    page_index: dict[tuple[int, int], int],
    entry: _Gathered,
    warnings: list[str],
) -> None:
    """A field in /Fields whose widget no page lists in /Annots: placed by its /P, if any."""
    page_ref = widget.get("/P")
    index = page_index.get(page_ref.objgen) if isinstance(page_ref, pikepdf.Dictionary) else None
    if index is None:
        warnings.append(
            f"field {_name(entry.helper)!r} is drawn on no page (no page lists its widget, "
            "no /P names one): read without a place"
        )
        return
    box, rotation = _page_geometry(pdf.pages[index].obj, index, warnings)
    rect = _widget_rect(widget, box, rotation)
    if rect is not None:
        entry.widgets.append((index, rect, widget))


def _logical(terminal: pikepdf.AcroFormField) -> pikepdf.AcroFormField:
    """The field a widget belongs to: qpdf calls a nameless kid widget (a radio button, a
    second appearance of a text field) a field of its own; its parent is the field."""
    if "/T" not in terminal.obj:
        parent = terminal.parent
        if not parent.is_null:
            return parent
    return terminal


def _key(logical: pikepdf.AcroFormField) -> object:
    objgen = logical.obj.objgen
    if objgen != (0, 0):
        return objgen
    return ("direct", logical.fully_qualified_name, id(logical.obj))


def _name(logical: pikepdf.AcroFormField) -> str:
    return str(logical.fully_qualified_name)


def _inherited(obj: pikepdf.Object, key: str) -> pikepdf.Object | None:
    """An attribute of a page or a field, looked up its /Parent chain as the spec allows
    (page boxes and /Rotate; a field's /FT, /Ff, /V, /DA, /MaxLen)."""
    node: pikepdf.Object | None = obj
    for _ in range(_MAX_DEPTH):
        if not isinstance(node, pikepdf.Dictionary):
            return None
        if key in node:
            value: pikepdf.Object = node[key]
            return value
        node = node.get("/Parent")
    return None


def _page_geometry(page: pikepdf.Object, index: int, warnings: list[str]) -> tuple[Rect, int]:
    """The page's visible box (CropBox, else MediaBox) and its /Rotate, normalised."""
    box: Rect | None = None
    for key in ("/CropBox", "/MediaBox"):
        raw = _inherited(page, key)
        if isinstance(raw, pikepdf.Array):
            try:
                box = normalise_box([float(v) for v in raw])
                break
            except (ValueError, TypeError):
                continue
    if box is None:
        warnings.append(f"page {index} has no usable page box: read as US Letter")
        box = LETTER
    rotate = _inherited(page, "/Rotate")
    try:
        rotation = normalise_rotation(int(rotate)) if rotate is not None else 0
    except (ValueError, TypeError):
        rotation = 0
    return box, rotation


def _widget_rect(widget: pikepdf.Object, box: Rect, rotation: int) -> Rect | None:
    raw = widget.get("/Rect")
    if not isinstance(raw, pikepdf.Array):
        return None
    try:
        return to_displayed(normalise_box([float(v) for v in raw]), box, rotation)
    except (ValueError, TypeError):
        return None


def _text(value: object) -> str | None:
    """A PDF string or name as text (a name without its slash); None for anything else."""
    if isinstance(value, pikepdf.String):
        return str(value)
    if isinstance(value, pikepdf.Name):
        return str(value)[1:]
    return None


def _value(obj: object) -> str | tuple[str, ...] | None:
    """A field's /V (inherited: qpdf looks it up the parents) as text, a list as a tuple;
    None when the field is empty (qpdf hands an absent /V over as an empty string)."""
    if isinstance(obj, pikepdf.Array):
        return tuple(t for t in (_text(v) for v in obj) if t is not None) or None
    return _text(obj) or None


def _tooltip(logical: pikepdf.AcroFormField, widgets: list[pikepdf.Object]) -> str | None:
    for obj in (logical.obj, *widgets[:1]):
        text = _text(obj.get("/TU")) if isinstance(obj, pikepdf.Dictionary) else None
        if text is not None and text.strip():
            return " ".join(text.split())
    return None


def _on_state(widget: pikepdf.Object) -> str | None:
    """The name a checkbox's or radio button's widget takes when on: its appearance state that
    is not /Off, or None when it draws none. When the normal appearances (/N) name several
    (files in the wild carry stray ones), the one the down appearances (/D) or the current
    state (/AS) also name wins."""
    appearances = widget.get("/AP")
    if not isinstance(appearances, pikepdf.Dictionary):
        return None
    candidates: dict[str, list[str]] = {}
    for key in ("/N", "/D"):
        states = appearances.get(key)
        names = [str(s) for s in states] if isinstance(states, pikepdf.Dictionary) else []
        candidates[key] = [n for n in names if n != "/Off"]
    normal, down = candidates["/N"], candidates["/D"]
    current = widget.get("/AS")
    if len(normal) > 1:
        preferred = [n for n in normal if n in down] or [n for n in normal if n == current]
        normal = preferred or normal
    chosen = normal or down
    return chosen[0][1:] if chosen else None


def _button_options(
    logical: pikepdf.AcroFormField, widgets: list[tuple[int | None, Rect, pikepdf.Object]]
) -> tuple[Option, ...]:
    """One option per button: its on-state name, the /Opt text for it if any, its place."""
    opt = logical.obj.get("/Opt")
    texts = [_text(v) for v in opt] if isinstance(opt, pikepdf.Array) else []
    options = []
    for i, (page, rect, widget) in enumerate(widgets):
        state = _on_state(widget)
        if state is None:
            continue
        shown = texts[i] if len(texts) == len(widgets) else None
        options.append(Option(value=state, label=shown, page=page, rect=rect))
    return tuple(options)


def _choice_options(logical: pikepdf.AcroFormField) -> tuple[Option, ...]:
    """A choice's entries: a string (shown and exported alike) or [export, shown]."""
    opt = logical.get_inheritable_field_value("/Opt")
    if not isinstance(opt, pikepdf.Array):
        return ()
    options = []
    for entry in opt:
        if isinstance(entry, pikepdf.Array) and len(entry) >= 2:
            export, shown = _text(entry[0]), _text(entry[1])
            if export is not None:
                options.append(Option(value=export, label=shown))
        else:
            text = _text(entry)
            if text is not None:
                options.append(Option(value=text, label=text))
    return tuple(options)


def _integer(obj: object) -> int | None:
    """A PDF integer as an int (pikepdf hands them over as Python ints); None otherwise."""
    return obj if isinstance(obj, int) and not isinstance(obj, bool) else None


def _build(entry: _Gathered, warnings: list[str]) -> Field | None:
    """The Field of one gathered logical field, or None (with a warning) when its type is
    unknown or its dictionary cannot be read."""
    logical = entry.helper
    name = _name(logical)
    try:
        ft = str(logical.field_type).lstrip("/") or None
        max_length = (
            _integer(logical.get_inheritable_field_value("/MaxLen")) if ft == "Tx" else None
        )
        flags = int(logical.flags)
        kind = field_type(ft, flags, max_length)
        if kind is None:
            warnings.append(f"field {name!r} has an unknown field type {ft!r}: left out")
            return None
        widgets = entry.widgets
        first_page = widgets[0][0] if widgets else None
        if kind is FieldType.RADIO and widgets:
            rect: Rect | None = union([r for p, r, _ in widgets if p == first_page])
        else:
            rect = widgets[0][1] if widgets else None
        if kind in (FieldType.RADIO, FieldType.CHECKBOX):
            options = _button_options(logical, widgets)
        elif kind in (FieldType.CHOICE, FieldType.LIST):
            options = _choice_options(logical)
        else:
            options = ()
        tooltip = _tooltip(logical, [w for _, _, w in widgets])
        return Field(
            name=name,
            type=kind,
            page=first_page,
            rect=rect,
            label=tooltip,
            label_source="tooltip" if tooltip is not None else None,
            value=_value(logical.value),
            options=options,
            required=bool(flags & REQUIRED),
            read_only=bool(flags & READ_ONLY),
            max_length=max_length,
            widgets=tuple(Widget(page=p, rect=r) for p, r, _ in widgets if p is not None),
        )
    except (pikepdf.PdfError, ValueError, TypeError, AttributeError, KeyError) as exc:
        warnings.append(f"field {name!r} cannot be read ({qpdf_cause(exc)}): left out")
        return None

"""Reading a fillable PDF: every AcroForm field with its type, place, label, options and value.

The I/O shell around the pure decisions of `classify` and `geometry`. The document is
opened memory-mapped (`source.mapped_pdf`); each object the form needs is read once, as qpdf
writes it in JSON (`_Objects`: one call and one C parse, where pikepdf's key-by-key access
costs about a microsecond a key); the /AcroForm /Fields tree is walked once (`_Tree`, by the
rules of qpdf's form helper, which is not built) and each page's /Annots once. Every widget
finds its field, whose qualified name and inherited /FT, /Ff, /V, /MaxLen and /Opt are its
own or its parent's, computed once per node. Each button of a radio group is a terminal of
the group; they are gathered into one field whose options are the buttons (their on-state
names, rectangles and pages), as the spec means it.
XFA forms are detected (an /XFA stream or array in /AcroForm) and reported, not read.
"""

from __future__ import annotations

import hashlib
import json
import json.scanner
import re
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pikepdf

from trousseau.errors import PageTextUnreadable, PdfCorrupt, PdfTooLarge
from trousseau.forms.classify import READ_ONLY, REQUIRED, field_type, form_kind
from trousseau.forms.geometry import LETTER, normalise_box, normalise_rotation, to_displayed, union
from trousseau.forms.model import Field, FieldType, FormReport, Option, Rect, Widget
from trousseau.forms.pagetext import each_page_labels
from trousseau.forms.source import mapped_pdf, qpdf_cause, read_source, sniff
from trousseau.settings import FormsSettings

MAX_WARNINGS = 20
"""Warnings listed one by one; beyond this a last line counts the rest."""

_MAX_DEPTH = 64
"""Longest /Parent chain followed (a loop in a damaged file stops here)."""

_MAX_TREE_DEPTH = 100
"""Deepest /Kids nesting walked from /AcroForm /Fields (qpdf's limit)."""

_REF = re.compile(r"\d+ \d+ R")
"""An indirect reference as qpdf's JSON writes it ("12 0 R")."""


class _StreamDict(dict[str, Any]):
    """A stream's dictionary: not a dictionary as the form's rules mean it (an appearance
    stream is no dictionary of appearance states)."""


Node = dict[str, Any]
"""A PDF dictionary as qpdf's JSON (version 2) writes it: keys `/Name`; names `/Name`,
strings `u:text` (or `b:hex`), references `N G R`, numbers, lists, dictionaries, None."""


_DECODER = json.JSONDecoder()
_scan = json.scanner.make_scanner(_DECODER)  # type: ignore[arg-type]  # typeshed wants a scanner


def _decode(text: str) -> Any:
    """JSON text to Python values; given `str`, not the `bytes` qpdf writes, as `json.loads` on
    bytes first guesses their encoding in Python (half its time on small objects). The C
    scanner is called directly (a third faster on a form's small objects); text it does not
    read whole goes to the decoder, which raises as `json.loads` would."""
    try:
        value, end = _scan(text, 0)
    except StopIteration:
        return _DECODER.decode(text)
    if end != len(text):
        return _DECODER.decode(text)
    return value


class _Objects:
    """The document's indirect objects as plain Python values, each read once.

    qpdf writes one object (its dictionary, arrays and direct values, its references left as
    `N G R`) as JSON in a single call, which Python's C JSON parser reads in a few
    microseconds; asking pikepdf for the same dictionary key by key costs about a microsecond
    a key (five for an absent one) and most of a dense form's reading time went there.
    """

    def __init__(self, pdf: pikepdf.Pdf) -> None:
        self._pdf = pdf
        self._cache: dict[str, Any] = {}

    def get(self, ref: str) -> Any:
        """The object `ref` names (None for a missing one)."""
        try:
            return self._cache[ref]
        except KeyError:
            pass
        number, generation, _ = ref.split(" ")
        obj = self._pdf.get_object(int(number), int(generation))
        value = _decode(obj.to_json(dereference=True).decode())
        if type(value) is dict and isinstance(obj, pikepdf.Stream):
            value = _StreamDict(value)
        self._cache[ref] = value
        return value

    def value(self, value: Any) -> Any:
        """`value`, or the object it refers to when it is a reference."""
        if type(value) is str and value[-1:] == "R":
            try:
                return self._cache[value]  # its keys are references
            except KeyError:
                if _REF.fullmatch(value):
                    return self.get(value)
        return value

    def text(self, value: Any) -> str | None:
        """A string or a name (without its slash) as text; None for anything else."""
        value = self.value(value)
        if type(value) is not str:
            return None
        if value[:1] == "/":
            return value[1:]
        if value[:3] == "n:/":
            return value[3:]
        return self.string(value)

    def string(self, value: Any) -> str | None:
        """A PDF string as text (UTF-16 or PDFDocEncoding decoded); None for anything else."""
        value = self.value(value)
        if type(value) is not str:
            return None
        if value[:2] == "u:":
            return value[2:]
        if value[:2] == "b:":  # bytes qpdf does not call text: decoded as pikepdf does
            try:
                return str(pikepdf.String(bytes.fromhex(value[2:])))
            except ValueError:
                return None
        return None


_NUMBER = (int, float)


def _is_dict(value: Any) -> bool:
    return type(value) is dict


def _name_of(value: Any) -> str | None:
    """A name's text without its slash; None when `value` is not a name."""
    if type(value) is not str:
        return None
    if value[:1] == "/":
        return value[1:]
    if value[:3] == "n:/":
        return value[3:]
    return None


_Info = tuple[str, Any, Any, Any, Any, Any]
"""A field's qualified name and its inherited /FT, /Ff, /V, /MaxLen and /Opt (ISO 32000-2,
12.7.4.1; /DA is not needed)."""

_NO_INFO: _Info = ("", None, None, None, None, None)


def _ref_key(ref: str) -> tuple[int, int]:
    number, generation, _ = ref.split(" ")
    return int(number), int(generation)


@dataclass
class _Gathered:
    """One logical field while its widgets are collected, page by page."""

    ref: str | None
    node: Node
    widgets: list[tuple[int | None, Rect, Node]] = field(default_factory=list)


class _Tree:
    """The /AcroForm /Fields tree, walked once: which terminal field each widget belongs to,
    with qualified names and inherited values (/FT, /Ff, /V, /MaxLen, /Opt) cached per node.

    The rules are those of qpdf's form helper: a node with /Kids is a field whose kids are
    walked; a leaf is a widget when it has /Subtype, /Rect or /AP, and a field of its own
    when it is a root or has a /Parent, else a widget of its parent; direct objects and loops
    are ignored. Building the helper and its per-field wrappers cost more than reading the
    fields; this walk reads each dictionary once (`_Objects`).
    """

    def __init__(self, objects: _Objects, roots: Any) -> None:
        self.objects = objects
        self.field_of: dict[str, str] = {}
        self.terminals: dict[str, None] = {}
        self._info: dict[str, _Info] = {}
        self._busy: set[str] = set()
        if type(roots) is list:
            visited: set[str] = set()
            for root in roots:
                self._walk(root, None, 0, visited)

    def _walk(self, item: Any, parent: str | None, depth: int, visited: set[str]) -> None:
        if depth > _MAX_TREE_DEPTH or type(item) is not str or not _REF.fullmatch(item):
            return
        if item in visited:
            return
        visited.add(item)
        node = self.objects.get(item)
        if not _is_dict(node):
            return
        is_field = depth == 0
        is_widget = False
        kids = node.get("/Kids")
        if type(kids) is str:
            kids = self.objects.value(kids)
        if type(kids) is list:
            for kid in kids:
                self._walk(kid, item, depth + 1, visited)
        else:
            is_field = is_field or node.get("/Parent") is not None
            is_widget = (
                node.get("/Subtype") is not None
                or node.get("/Rect") is not None
                or node.get("/AP") is not None
            )
        if is_widget:
            owner = item if is_field or parent is None else parent
            self.field_of[item] = owner
            self.terminals.setdefault(owner, None)

    def _parent(self, node: Node) -> tuple[str | None, Any]:
        parent = node.get("/Parent")
        if type(parent) is str and _REF.fullmatch(parent):
            return parent, self.objects.get(parent)
        return None, parent

    def info(self, ref: str | None, node: Node, depth: int = 0) -> _Info:
        """The node's fully qualified name (the /T of its parents and its own, joined by
        dots) and its inherited /FT, /Ff, /V, /MaxLen and /Opt (its own, else its parent's),
        computed once per node: a parent's answer serves all its kids."""
        if ref is not None:
            known = self._info.get(ref)
            if known is not None:
                return known
        base = _NO_INFO
        if depth < _MAX_DEPTH and node.get("/Parent") is not None:
            parent_ref, parent = self._parent(node)
            if _is_dict(parent) and (parent_ref is None or parent_ref not in self._busy):
                if ref is not None:
                    self._busy.add(ref)
                try:
                    base = self.info(parent_ref, parent, depth + 1)
                finally:
                    self._busy.discard(ref or "")
        name = base[0]
        title = node.get("/T")
        if title is not None:
            title = self.objects.string(title)
            if title is not None:
                name = f"{name}.{title}" if name else title
        value = self.objects.value
        get = node.get
        ft, ff, v, max_len, opt = (
            get("/FT"),
            get("/Ff"),
            get("/V"),
            get("/MaxLen"),
            get("/Opt"),
        )
        info: _Info = (
            name,
            base[1] if ft is None else value(ft),
            base[2] if ff is None else value(ff),
            base[3] if v is None else value(v),
            base[4] if max_len is None else value(max_len),
            base[5] if opt is None else value(opt),
        )
        if ref is not None:
            self._info[ref] = info
        return info

    def name(self, ref: str | None, node: Node) -> str:
        """The fully qualified name of a node."""
        return self.info(ref, node)[0]


def _fields(
    pdf: pikepdf.Pdf,
    acroform: pikepdf.Dictionary,
    label: str,
    limits: FormsSettings,
    clock: Callable[[], float],
    started: float,
    warnings: list[str],
    geometry: dict[int, tuple[Rect, int]],
) -> list[Field]:
    """Every logical field, in the order its first widget appears, page by page; each page's
    (box, rotation) is kept in `geometry`."""
    objects = _Objects(pdf)
    # /Fields through pikepdf: the JSON of /AcroForm (or of the catalog) would make qpdf
    # resolve all they refer to (fonts, XFA streams, metadata); a number is no list of fields
    roots = acroform.get("/Fields")
    listed = _direct(roots) if isinstance(roots, pikepdf.Object) else None
    tree = _Tree(objects, objects.value(listed))
    gathered: dict[object, _Gathered] = {}
    page_refs: list[str] = []
    placed: set[str] = set()
    unreachable = 0
    pages = pdf.pages
    count = len(pages)
    for index, page in enumerate(pages):
        _check_time(label, limits, clock, started, f"at page {index + 1} of {count}")
        page_ref = _ref(page.obj)
        page_refs.append(page_ref)
        node = _page_node(objects, page.obj, page_ref)
        box, rotation = geometry[index] = _page_geometry(objects, node, index, warnings)
        annots = objects.value(node.get("/Annots")) if _is_dict(node) else None
        if type(annots) is not list:
            continue
        for item in annots:
            ref = item if type(item) is str and _REF.fullmatch(item) else None
            widget = objects.get(ref) if ref is not None else item
            if not _is_dict(widget) or widget.get("/Subtype") != "/Widget":
                continue
            owner = tree.field_of.get(ref) if ref is not None else None
            if owner is None:
                unreachable += 1  # not in /Fields: read as a field of its own, as qpdf does
                terminal: tuple[str | None, Node] = (ref, widget)
            else:
                placed.add(owner)
                terminal = (owner, objects.get(owner))
            logical = _logical(tree, *terminal)
            key = _key(tree, *logical)
            entry = gathered.get(key)
            if entry is None:
                entry = gathered[key] = _Gathered(*logical)
            rect = _widget_rect(objects, widget, box, rotation)
            if rect is None:
                warnings.append(
                    f"a widget of field {tree.name(*logical)!r} on page {index} has no usable "
                    "/Rect: left out"
                )
                continue
            entry.widgets.append((index, rect, widget))
    unlisted = [owner for owner in tree.terminals if owner not in placed]
    for owner in sorted(unlisted, key=_ref_key):
        logical = _logical(tree, owner, objects.get(owner))
        key = _key(tree, *logical)
        if key in gathered:
            continue
        entry = gathered[key] = _Gathered(*logical)
        _place_unlisted(objects, objects.get(owner), page_refs, entry, tree, warnings)
    result = []
    orphans = 0
    for entry in gathered.values():
        info = tree.info(entry.ref, entry.node)
        if not info[0] and _name_of(info[1]) is None:
            orphans += len(entry.widgets) or 1
            continue
        built = _build(entry, info, tree, warnings)
        if built is not None:
            result.append(built)
    if orphans:
        warnings.append(
            f"{orphans} widget(s) belong to no form field (a form flattened without removing "
            "its widgets?): left out"
        )
    elif unreachable:
        warnings.append(
            f"{unreachable} widget(s) are not reachable from /AcroForm /Fields: each read as a "
            "field of its own"
        )
    return result


def _ref(obj: pikepdf.Object) -> str:
    number, generation = obj.objgen
    return f"{number} {generation} R"


def _direct(value: pikepdf.Object) -> Any:
    """A value as its dictionary's JSON holds it (a reference stays `N G R`)."""
    return _decode(value.to_json().decode())


_PAGE_KEYS = ("/Annots", "/CropBox", "/MediaBox", "/Rotate", "/Parent")
"""What this reader asks of a page dictionary."""


def _page_node(objects: _Objects, page: pikepdf.Object, ref: str) -> Any:
    """The entries of a page this reader needs (`_PAGE_KEYS`), as its JSON holds them.

    The whole page's JSON would make qpdf resolve every object it refers to (its content
    streams and resources among them: qpdf leaves out entries that are null), which cost
    more than reading its fields on a small form. A page that is not a dictionary, or
    whose entry pikepdf gives as a Python value other than an integer, is read whole.
    """
    if not isinstance(page, pikepdf.Dictionary):
        return objects.get(ref)
    node: Node = {}
    for key in _PAGE_KEYS:
        value: object = page.get(key)
        if value is None:
            continue
        if isinstance(value, pikepdf.Object):
            node[key] = _direct(value)
        elif type(value) is int:
            node[key] = value
        else:
            return objects.get(ref)
    return node


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
    inventory that needs no labels reads about 1.9-2.6 times faster without).
    """
    limits = limits or FormsSettings()
    label, data = read_source(source, name, limits.max_bytes)
    sniff(label, data)
    started = clock()
    with mapped_pdf(label, data, password) as pdf:
        try:
            return _read(pdf, label, data, password, limits, clock, started, nearby_labels)
        except (pikepdf.PikepdfError, RuntimeError) as exc:
            raise PdfCorrupt(
                f"{label} is damaged beyond repair ({qpdf_cause(exc)}): "
                "ask the sender for a new copy"
            ) from None


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
        fields = _fields(pdf, acroform, label, limits, clock, started, warnings, geometry)
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


def _labels_from_text(
    fields: list[Field],
    data: bytes,
    password: str,
    geometry: dict[int, tuple[Rect, int]],
    warnings: list[str],
) -> list[Field]:
    """Fields without a tooltip labelled by the nearest text on their page, and radio and
    checkbox options without a text by the caption beside their button. The pages are read
    in order, one open at a time (`each_page_labels`): what each page is asked is gathered
    first, since a field's options may lie on other pages than the field."""
    asked: dict[int, list[tuple[int, int | None, Rect, bool]]] = {}
    for i, f in enumerate(fields):
        if f.label is None and f.page is not None and f.rect is not None:
            caption_right = f.type is FieldType.CHECKBOX
            asked.setdefault(f.page, []).append((i, None, f.rect, caption_right))
        for j, o in enumerate(f.options):
            if o.label is None and o.rect is not None and o.page is not None:
                asked.setdefault(o.page, []).append((i, j, o.rect, True))
    if not asked:
        return fields
    found: dict[tuple[int, int | None], str | None] = {}
    try:
        with closing(each_page_labels(data, password, sorted(asked), geometry)) as pages:
            for index, labels in pages:
                for at, option, rect, caption_right in asked[index]:
                    found[at, option] = labels.nearest(rect, caption_right=caption_right)
    except PageTextUnreadable as exc:
        warnings.append(f"labels from the page text are missing: pdfium cannot read it ({exc})")
        return fields
    labelled = []
    for i, f in enumerate(fields):
        options = f.options
        if any((i, j) in found for j in range(len(options))):
            options = tuple(
                replace(o, label=found[i, j]) if (i, j) in found else o
                for j, o in enumerate(options)
            )
        if (i, None) in found:
            label = found[i, None]
            source = "nearby" if label is not None else None
            f = replace(f, label=label, label_source=source, options=options)
        elif options is not f.options:
            f = replace(f, options=options)
        labelled.append(f)
    return labelled


def _place_unlisted(
    objects: _Objects,
    widget: Node,
    page_refs: list[str],
    entry: _Gathered,
    tree: _Tree,
    warnings: list[str],
) -> None:
    """A field in /Fields whose widget no page lists in /Annots: placed by its /P, if any."""
    page_ref = widget.get("/P")
    index = page_refs.index(page_ref) if page_ref in page_refs else None
    if index is None:
        warnings.append(
            f"field {tree.name(entry.ref, entry.node)!r} is drawn on no page (no page lists "
            "its widget, no /P names one): read without a place"
        )
        return
    page = objects.get(page_refs[index])
    box, rotation = _page_geometry(objects, page, index, warnings)
    rect = _widget_rect(objects, widget, box, rotation)
    if rect is not None:
        entry.widgets.append((index, rect, widget))


def _logical(tree: _Tree, ref: str | None, node: Node) -> tuple[str | None, Node]:
    """The field a widget belongs to: a nameless terminal (a radio button, a second
    appearance of a text field) is a widget of its parent, the field."""
    if node.get("/T") is None:
        parent_ref, parent = tree._parent(node)
        if _is_dict(parent):
            return parent_ref, parent
    return ref, node


def _key(tree: _Tree, ref: str | None, node: Node) -> object:
    if ref is not None:
        return ref
    return ("direct", tree.name(ref, node), id(node))


def _inherited(objects: _Objects, node: Any, key: str) -> Any:
    """An attribute of a page looked up its /Parent chain (page boxes and /Rotate)."""
    for _ in range(_MAX_DEPTH):
        if not _is_dict(node):
            return None
        value = objects.value(node.get(key))
        if value is not None:
            return value
        node = objects.value(node.get("/Parent"))
    return None


def _page_geometry(
    objects: _Objects, page: Any, index: int, warnings: list[str]
) -> tuple[Rect, int]:
    """The page's visible box (CropBox, else MediaBox) and its /Rotate, normalised."""
    box: Rect | None = None
    for key in ("/CropBox", "/MediaBox"):
        raw = _inherited(objects, page, key)
        if type(raw) is list:
            try:
                box = normalise_box(_numbers(objects, raw))
                break
            except (ValueError, TypeError):
                continue
    if box is None:
        warnings.append(f"page {index} has no usable page box: read as US Letter")
        box = LETTER
    rotate = _inherited(objects, page, "/Rotate")
    rotation = normalise_rotation(int(rotate)) if type(rotate) in (int, float) else 0
    return box, rotation


def _numbers(objects: _Objects, raw: list[Any]) -> list[float]:
    """The numbers of an array; TypeError when one is not a number."""
    values = []
    for item in raw:
        item = objects.value(item)
        if type(item) not in (int, float):
            raise TypeError("not a number")
        values.append(float(item))
    return values


def _widget_rect(objects: _Objects, widget: Node, box: Rect, rotation: int) -> Rect | None:
    """A widget's /Rect on the displayed page; None unless it is four finite numbers."""
    raw = widget.get("/Rect")
    if type(raw) is str:
        raw = objects.value(raw)
    if type(raw) is not list or len(raw) != 4:
        return None
    xa, ya, xb, yb = raw
    if not (type(xa) in _NUMBER and type(ya) in _NUMBER and type(xb) in _NUMBER) or (
        type(yb) not in _NUMBER
    ):
        try:
            xa, ya, xb, yb = _numbers(objects, raw)  # references to numbers
        except TypeError:
            return None
    if (xa - xa) or (ya - ya) or (xb - xb) or (yb - yb):  # infinite or NaN: not zero
        return None
    rect = (  # min and max, as the builtins choose between equals
        xb if xb < xa else xa,
        yb if yb < ya else ya,
        xb if xb > xa else xa,
        yb if yb > ya else ya,
    )
    return to_displayed(rect, box, rotation)


def _value(objects: _Objects, value: Any) -> str | tuple[str, ...] | None:
    """A field's /V as text, a list as a tuple; None when the field is empty."""
    value = objects.value(value)
    if type(value) is list:
        return tuple(t for t in (objects.text(v) for v in value) if t is not None) or None
    return objects.text(value) or None


def _tooltip(objects: _Objects, logical: Node, widget: Node | None) -> str | None:
    """The /TU of the field, else of its first widget, with its white space collapsed."""
    for obj in (logical, widget):
        text = objects.text(obj.get("/TU")) if type(obj) is dict else None
        if text is not None and text.strip():
            return " ".join(text.split())
    return None


def _on_state(objects: _Objects, widget: Node) -> str | None:
    """The name a checkbox's or radio button's widget takes when on: its appearance state that
    is not /Off, or None when it draws none. When the normal appearances (/N) name several
    (files in the wild carry stray ones), the one the down appearances (/D) or the current
    state (/AS) also name wins."""
    appearances = objects.value(widget.get("/AP"))
    if not _is_dict(appearances):
        return None
    candidates: dict[str, list[str]] = {}
    for key in ("/N", "/D"):
        states = objects.value(appearances.get(key))
        names = list(states) if _is_dict(states) else []
        candidates[key] = [n for n in names if n != "/Off"]
    normal, down = candidates["/N"], candidates["/D"]
    current = objects.value(widget.get("/AS"))
    if len(normal) > 1:
        preferred = [n for n in normal if n in down] or [n for n in normal if n == current]
        normal = preferred or normal
    chosen = normal or down
    return _name_of(chosen[0]) if chosen else None


def _button_options(
    objects: _Objects, logical: Node, widgets: list[tuple[int | None, Rect, Node]]
) -> tuple[Option, ...]:
    """One option per button: its on-state name, the /Opt text for it if any, its place."""
    opt = objects.value(logical.get("/Opt"))
    texts = [objects.text(v) for v in opt] if type(opt) is list else []
    options = []
    for i, (page, rect, widget) in enumerate(widgets):
        state = _on_state(objects, widget)
        if state is None:
            continue
        shown = texts[i] if len(texts) == len(widgets) else None
        options.append(Option(value=state, label=shown, page=page, rect=rect))
    return tuple(options)


def _choice_options(tree: _Tree, entry: _Gathered) -> tuple[Option, ...]:
    """A choice's entries: a string (shown and exported alike) or [export, shown]."""
    objects = tree.objects
    opt = tree.info(entry.ref, entry.node)[5]
    if type(opt) is not list:
        return ()
    options = []
    for item in opt:
        item = objects.value(item)
        if type(item) is list and len(item) >= 2:
            export, shown = objects.text(item[0]), objects.text(item[1])
            if export is not None:
                options.append(Option(value=export, label=shown))
        else:
            text = objects.text(item)
            if text is not None:
                options.append(Option(value=text, label=text))
    return tuple(options)


def _integer(value: Any) -> int | None:
    """A PDF integer as an int; None otherwise."""
    return value if type(value) is int else None


def _build(entry: _Gathered, info: _Info, tree: _Tree, warnings: list[str]) -> Field | None:
    """The Field of one gathered logical field (`info`: its name and inherited values), or
    None (with a warning) when its type is unknown or its dictionary cannot be read."""
    objects = tree.objects
    logical = entry.node
    name, type_name, flag_bits, value, max_len, _ = info
    try:
        ft = _name_of(type_name) or None
        max_length = _integer(max_len) if ft == "Tx" else None
        flags = _integer(flag_bits) or 0
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
            options = _button_options(objects, logical, widgets)
        elif kind in (FieldType.CHOICE, FieldType.LIST):
            options = _choice_options(tree, entry)
        else:
            options = ()
        tooltip = _tooltip(objects, logical, widgets[0][2] if widgets else None)
        return Field(
            name=name,
            type=kind,
            page=first_page,
            rect=rect,
            label=tooltip,
            label_source="tooltip" if tooltip is not None else None,
            value=_value(objects, value),
            options=options,
            required=bool(flags & REQUIRED),
            read_only=bool(flags & READ_ONLY),
            max_length=max_length,
            widgets=tuple([Widget(p, r) for p, r, _ in widgets if p is not None]),
        )
    except (pikepdf.PdfError, ValueError, TypeError, AttributeError, KeyError) as exc:
        warnings.append(f"field {name!r} cannot be read ({qpdf_cause(exc)}): left out")
        return None

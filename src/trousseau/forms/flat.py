"""Printed (flat) forms: the I/O edge that reads a page's drawing with pdfium, and `read_form`,
which reads any PDF form: its AcroForm fields, and the fields detected on its other pages.

pdfium (through pypdfium2's raw API) walks each page's objects, descending into form
XObjects with their matrices: paths become rules, boxes and circles (`shapes.ShapeSink`), the
text layer becomes characters with their loose and tight boxes. The pure detector
(`detect.detect_fields`) turns those primitives into fields. A page without any text but with
images is a scan: it is deskewed and OCRed (`scan`), and its pixels give the primitives.
"""

from __future__ import annotations

import ctypes
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as raw

from trousseau.errors import OcrUnavailable, PdfTooLarge
from trousseau.forms.answers import StyleVote
from trousseau.forms.concepts import assign_concepts
from trousseau.forms.detect import Written, detect_fields, read_written
from trousseau.forms.fillable import read_fillable
from trousseau.forms.geometry import normalise_box, normalise_rotation, to_displayed
from trousseau.forms.model import Field, FormKind, FormReport, Rect
from trousseau.forms.pagetext import page_lines
from trousseau.forms.scan import scan_page
from trousseau.forms.shapes import Char, PagePrimitives, Paint, ShapeSink
from trousseau.forms.source import read_source
from trousseau.settings import FormsSettings

Matrix = tuple[float, float, float, float, float, float]
_IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
_PATH, _IMAGE, _FORM = 2, 3, 5
_MOVETO, _BEZIER = 2, 1
MAX_SEGMENTS = 400
"""A path with more segments is artwork (a logo, a map): only its bounds are looked at."""
_MAX_DEPTH = 12
GREY_SHADE = 200
"""Lightest neutral grey fill read as shading ("do not fill"; tax forms use 192): lighter
tints (Word's 217 for header rows, 230-240 backgrounds) are boxes like any other."""
STYLE_WINDOW = 8
"""Pages read ahead before the first is searched for fields, so that the filler's style
(`answers.StyleVote`) is voted over them; later pages are searched as they are read, with
the vote so far (a page past the window is read with the style its predecessors elected)."""
_TINT_TOL = 1.5
"""Points a white box may stick out of the tint it is drawn on."""


def _compose(inner: Matrix, outer: Matrix) -> Matrix:
    """The matrix applying `inner` then `outer` (PDF's row-vector convention)."""
    a, b, c, d, e, f = inner
    oa, ob, oc, od, oe, of = outer
    return (
        a * oa + b * oc,
        a * ob + b * od,
        c * oa + d * oc,
        c * ob + d * od,
        e * oa + f * oc + oe,
        e * ob + f * od + of,
    )


def _matrix(obj: raw.FPDF_PAGEOBJECT) -> Matrix:
    m = raw.FS_MATRIX()
    if not raw.FPDFPageObj_GetMatrix(obj, m):
        return _IDENTITY
    return (m.a, m.b, m.c, m.d, m.e, m.f)


class _Walker:
    """Walks one page's objects, placing every path's points on the displayed page."""

    def __init__(self, box: Rect, rotation: int, document: raw.FPDF_DOCUMENT) -> None:
        self.box, self.rotation, self.document = box, rotation, document
        self.sink = ShapeSink()
        self.images = 0
        self._x, self._y = ctypes.c_float(), ctypes.c_float()
        self._fill, self._stroke = ctypes.c_int(), raw.FPDF_BOOL()
        self._rgba = [ctypes.c_uint() for _ in range(4)]
        self._white = False
        self._tints: list[Rect] = []

    def place(self, x: float, y: float, m: Matrix) -> tuple[float, float]:
        """A point of an object's space on the displayed page."""
        px, py = m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]
        r = to_displayed((px, py, px, py), self.box, self.rotation, ndigits=2)
        return r[0], r[1]

    def walk(self, objects: list[raw.FPDF_PAGEOBJECT], outer: Matrix, depth: int) -> None:
        for obj in objects:
            kind = raw.FPDFPageObj_GetType(obj)
            if kind == _IMAGE:
                self.images += 1
            elif kind == _FORM and depth < _MAX_DEPTH:
                total = _compose(_matrix(obj), outer)
                count = raw.FPDFFormObj_CountObjects(obj)
                children = [raw.FPDFFormObj_GetObject(obj, i) for i in range(max(count, 0))]
                self.walk(children, total, depth + 1)
            elif kind == _PATH:
                self._path(obj, _compose(_matrix(obj), outer))

    def _visible(self, obj: raw.FPDF_PAGEOBJECT) -> bool:
        """Painted, and not a white fill without a stroke (a page background, a white-out;
        `_white` says a path was one)."""
        self._white = False
        if not raw.FPDFPath_GetDrawMode(obj, self._fill, self._stroke):
            return False
        if self._stroke.value:
            return True
        if self._fill.value == 0:
            return False
        r, g, b, a = self._rgba
        if raw.FPDFPageObj_GetFillColor(obj, r, g, b, a):
            self._white = _whitish(self._rgba) and a.value > 0
            return not self._white and a.value > 0
        return True

    def _paint(self, obj: raw.FPDF_PAGEOBJECT) -> Paint:
        """How a visible path's inside is painted (`_visible` has read its draw mode): with a
        pattern (pdfium renders its tile), a dark solid colour, a mid grey, or none of them."""
        if self._fill.value == 0:
            return Paint.OPEN
        tile = raw.FPDFPageObj_GetRenderedFillPattern(self.document, obj)
        if tile:
            raw.FPDFBitmap_Destroy(tile)
            return Paint.PATTERN
        r, g, b, a = self._rgba
        if not (raw.FPDFPageObj_GetFillColor(obj, r, g, b, a) and a.value > 0):
            return Paint.OPEN
        luma = 0.299 * r.value + 0.587 * g.value + 0.114 * b.value
        if luma < 128:
            return Paint.DARK
        neutral = max(r.value, g.value, b.value) - min(r.value, g.value, b.value) <= 8
        return Paint.GREY if neutral and luma <= GREY_SHADE else Paint.OPEN

    def _path(self, obj: raw.FPDF_PAGEOBJECT, m: Matrix) -> None:
        if self._visible(obj):
            paint = self._paint(obj)
        elif self._white and self._tints:
            paint = Paint.OPEN  # shown only if it lies on a tint (`_on_tint`)
        else:
            return
        white = self._white
        dashed = bool(self._stroke.value) and raw.FPDFPageObj_GetDashCount(obj) > 0
        count = raw.FPDFPath_CountSegments(obj)
        if count <= 0 or count > MAX_SEGMENTS:
            return
        points: list[tuple[float, float]] = []
        curved = closed = False
        subpaths: list[tuple[list[tuple[float, float]], bool, bool]] = []
        for i in range(count):
            segment = raw.FPDFPath_GetPathSegment(obj, i)
            kind = raw.FPDFPathSegment_GetType(segment)
            if kind == _MOVETO and points:
                subpaths.append((points, curved, closed))
                points, curved, closed = [], False, False
            raw.FPDFPathSegment_GetPoint(segment, self._x, self._y)
            points.append(self.place(self._x.value, self._y.value, m))
            curved = curved or kind == _BEZIER
            closed = closed or bool(raw.FPDFPathSegment_GetClose(segment))
        subpaths.append((points, curved, closed))
        tinted = (
            bool(self._fill.value)
            and paint is Paint.OPEN
            and bool(raw.FPDFPageObj_GetFillColor(obj, *self._rgba))
            and self._rgba[3].value > 0
            and not _whitish(self._rgba)
        )
        if white or tinted:
            xs = [x for sub, _, _ in subpaths for x, _ in sub]
            ys = [y for sub, _, _ in subpaths for _, y in sub]
            bounds = (min(xs), min(ys), max(xs), max(ys))
            if white and not self._on_tint(bounds):
                return
            if not white:
                self._tints.append(bounds)
        lettering = sum(1 for _, bent, _ in subpaths if bent) > 2
        for points, bent, shut in subpaths:
            if bent and lettering:
                continue  # text drawn as outlines (an O is no radio button)
            self.sink.add_subpath(points, curved=bent, closed=shut, paint=paint, dashed=dashed)

    def _on_tint(self, bounds: Rect) -> bool:
        """Whether a white fill lies on a tinted fill drawn before it: a form printed on a
        coloured ground shows its boxes as white fills, with no stroke (the 1040's amount
        boxes)."""
        x0, y0, x1, y1 = bounds
        return any(
            t[0] - _TINT_TOL <= x0
            and t[1] - _TINT_TOL <= y0
            and x1 <= t[2] + _TINT_TOL
            and y1 <= t[3] + _TINT_TOL
            for t in self._tints
        )


_TEXT_OBJECT = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int)(
    ctypes.cast(raw.FPDFText_GetTextObject, ctypes.c_void_p).value or 0
)
"""pdfium's FPDFText_GetTextObject answering the handle as a plain int: a key for a dict,
read for every character at a quarter of the cost of the typed binding and a cast. The C
calling convention, as pypdfium2 loads pdfium (`ctypes.CDLL`)."""


class _StyleReader:
    """The style of each character of a text page (`Char.style`): its font's name and its
    colour, read once per text object. The size is left out: a form filler sizes each
    field's text to fit it."""

    def __init__(self, textpage: pdfium.PdfTextPage) -> None:
        self._textpage = ctypes.cast(textpage.raw, ctypes.c_void_p).value
        self._objects: dict[int, str] = {}
        self._name = ctypes.create_string_buffer(128)
        self._rgba = [ctypes.c_uint() for _ in range(4)]

    def of(self, index: int) -> str:
        key = _TEXT_OBJECT(self._textpage, index) or 0
        look = self._objects.get(key)
        if look is None:
            look = self._look(ctypes.cast(key, raw.FPDF_PAGEOBJECT)) if key else ""
            self._objects[key] = look
        return look

    def _look(self, obj: raw.FPDF_PAGEOBJECT) -> str:
        font = raw.FPDFTextObj_GetFont(obj)
        length = raw.FPDFFont_GetBaseFontName(font, self._name, len(self._name)) if font else 0
        if length > len(self._name):  # pdfium wrote nothing: a longer buffer, then again
            self._name = ctypes.create_string_buffer(length)
            length = raw.FPDFFont_GetBaseFontName(font, self._name, len(self._name))
        name = self._name.raw[: max(0, min(length, len(self._name)) - 1)].decode("latin-1")
        r, g, b, a = self._rgba
        colour = (
            f"{r.value:02x}{g.value:02x}{b.value:02x}"
            if raw.FPDFPageObj_GetFillColor(obj, r, g, b, a)
            else "-"
        )
        return f"{name.split('+')[-1]} {colour}"


class _CharBoxes:
    """Each character's loose and tight box, read from pdfium into buffers made once (the
    typed helper makes four numbers for every call)."""

    def __init__(self, textpage: pdfium.PdfTextPage) -> None:
        self._textpage = textpage.raw
        self._rect = raw.FS_RECTF()
        self._left, self._right, self._bottom, self._top = (ctypes.c_double() for _ in range(4))

    def of(self, index: int) -> tuple[Rect, Rect] | None:
        """(loose, tight) as left, bottom, right, top; None when pdfium lacks either."""
        if not raw.FPDFText_GetLooseCharBox(self._textpage, index, self._rect):
            return None
        if not raw.FPDFText_GetCharBox(
            self._textpage, index, self._left, self._right, self._bottom, self._top
        ):
            return None
        r = self._rect
        return (
            (r.left, r.bottom, r.right, r.top),
            (self._left.value, self._bottom.value, self._right.value, self._top.value),
        )


def _whitish(rgba: list[ctypes.c_uint]) -> bool:
    """Whether a colour read into `rgba` is white as far as paper goes (each channel 245+)."""
    return all(c.value >= 245 for c in rgba[:3])


def page_primitives(page: pdfium.PdfPage, box: Rect, rotation: int) -> PagePrimitives:
    """One page's characters, rules, boxes and circles on the displayed page."""
    walker = _Walker(box, rotation, page.pdf.raw)
    count = raw.FPDFPage_CountObjects(page)
    walker.walk([raw.FPDFPage_GetObject(page, i) for i in range(count)], _IDENTITY, 0)
    chars: list[Char] = []
    textpage = page.get_textpage()
    styles = _StyleReader(textpage)
    boxes = _CharBoxes(textpage)
    try:
        for i in range(textpage.count_chars()):
            code = raw.FPDFText_GetUnicode(textpage, i)
            text = chr(code) if 0 < code < 0x110000 else ""
            if raw.FPDFText_IsGenerated(textpage, i) == 1:
                if text in ("\r", "\n"):
                    chars.append(Char("\n", (0.0, 0.0, 0.0, 0.0), (0.0, 0.0, 0.0, 0.0)))
                continue
            if not text:
                continue
            read = boxes.of(i)
            if read is None:
                continue
            try:
                loose = to_displayed(normalise_box(read[0]), box, rotation, 2)
                tight = to_displayed(normalise_box(read[1]), box, rotation, 2)
            except ValueError:
                continue
            style = styles.of(i) if text != " " else ""
            chars.append(Char(text, loose, tight, style=style))
    finally:
        textpage.close()
    width, height = box[2] - box[0], box[3] - box[1]
    if rotation in (90, 270):
        width, height = height, width
    sink = walker.sink
    return PagePrimitives(
        width=width,
        height=height,
        chars=tuple(chars),
        hlines=tuple(sink.hlines),
        vlines=tuple(sink.vlines),
        boxes=tuple(sink.boxes),
        circles=tuple(sink.circles),
        hatches=tuple(sink.hatches),
        patterned=tuple(sink.patterned),
        dark=tuple(sink.dark),
        dotted=tuple(sink.dotted),
        arcs=tuple(sink.arcs),
        images=walker.images,
    )


def is_scanned(primitives: PagePrimitives) -> bool:
    """A page with no text layer but an image: a scan (or a photo) waiting for OCR."""
    has_text = any(c.text.strip() for c in primitives.chars)
    return not has_text and primitives.images > 0


@dataclass
class DetectedPages:
    """What `detect_pages` found: the fields, the pages that are scans, the scans OCR could
    not read (page -> why), and why pdfium could not read the pages (None when it could)."""

    fields: list[Field] = field(default_factory=list)
    scanned: list[int] = field(default_factory=list)
    unread: dict[int, str] = field(default_factory=dict)
    problem: str | None = None


def detect_pages(
    data: bytes,
    pages: Iterable[int],
    *,
    password: str = "",
    check: Callable[[int], None] | None = None,
    name: str = "the PDF",
    ocr_seconds: Callable[[], float] = lambda: 60.0,
) -> DetectedPages:
    """The fields detected on each of `pages` (0-based) of a PDF's bytes; a scanned page is
    straightened and OCRed first (`scan.scan_page`) and read by the same detector.
    `check(index)` is called before each page (the time limit); `ocr_seconds()` says how long
    OCR of the next page may take."""
    found = DetectedPages()
    try:
        document = pdfium.PdfDocument(data, password=password or None)
    except pdfium.PdfiumError as exc:
        found.problem = str(exc)
        return found
    vote = StyleVote()
    waiting: list[tuple[int, PagePrimitives, Written]] = []

    def search() -> None:
        styles = vote.result()
        while waiting:
            index, primitives, written = waiting.pop(0)
            if check is not None:
                check(index)
            found.fields.extend(detect_fields(primitives, index, styles=styles, written=written))

    window = STYLE_WINDOW
    try:
        for index in pages:
            if check is not None:
                check(index)
            page = document[index]
            try:
                box = normalise_box(page.get_cropbox())
                rotation = normalise_rotation(page.get_rotation())
                primitives = page_primitives(page, box, rotation)
                if is_scanned(primitives):
                    found.scanned.append(index)
                    try:
                        primitives, _ = scan_page(
                            page,
                            width=primitives.width,
                            height=primitives.height,
                            timeout=max(ocr_seconds(), 1.0),
                            what=f"{name} page {index + 1}",
                        )
                    except OcrUnavailable as exc:
                        found.unread[index] = str(exc)
                        continue
            finally:
                page.close()
            written = read_written(primitives)
            vote.add(written.texts, written.reading)
            waiting.append((index, primitives, written))
            if len(waiting) >= window:
                search()
                window = 1
        search()
        return found
    except (pdfium.PdfiumError, ValueError, IndexError) as exc:
        found.problem = str(exc)
        try:  # the pages read before the one that failed
            search()
        except (pdfium.PdfiumError, ValueError, IndexError):
            waiting.clear()
        return found
    finally:
        document.close()


def read_form(
    source: Path | str | bytes,
    *,
    name: str | None = None,
    password: str = "",
    limits: FormsSettings | None = None,
    clock: Callable[[], float] = time.monotonic,
    nearby_labels: bool = True,
) -> FormReport:
    """Read any PDF form: its AcroForm fields (`read_fillable`), and on every page that has
    none, the fields detected from its printed lines, boxes and text (`source` "detected").

    The form kind becomes `flat` when only detected fields were found, `scanned` when every
    page without AcroForm fields is a scan (scans are named in a warning: their fields come
    from OCR; a scan OCR could not read is named with the reason). Raises the FormErrors
    of `read_fillable`, and PdfTooLarge past the time limit.
    """
    limits = limits or FormsSettings()
    started = clock()
    label, data = read_source(source, name, limits.max_bytes)
    report = read_fillable(
        data,
        name=label,
        password=password,
        limits=limits,
        clock=clock,
        nearby_labels=nearby_labels,
    )
    if report.kind in (FormKind.XFA_STREAM, FormKind.XFA_ARRAY):
        return report
    filled = {w.page for f in report.fields for w in f.widgets} | {
        f.page for f in report.fields if f.page is not None
    }
    todo = [i for i in range(report.pages) if i not in filled]
    if not todo:
        return with_concepts(report, data, password, headings=nearby_labels)

    def check(index: int) -> None:
        if clock() - started > limits.timeout_seconds:
            raise PdfTooLarge(
                f"{report.name} took longer than {limits.timeout_seconds:g} s to read "
                f"(forms.timeout_seconds), stopped at page {index + 1} of {report.pages}: "
                "split the document or raise the limit"
            )

    pages = detect_pages(
        data,
        todo,
        password=password,
        check=check,
        name=report.name,
        ocr_seconds=lambda: limits.timeout_seconds - (clock() - started),
    )
    detected, scanned = pages.fields, pages.scanned
    warnings = list(report.warnings)
    if pages.problem is not None:
        warnings.append(
            f"printed fields not detected: pdfium cannot read the pages ({pages.problem})"
        )
    if scanned:
        shown = ", ".join(str(i) for i in scanned[:10]) + (" …" if len(scanned) > 10 else "")
        warnings.append(
            f"{len(scanned)} page(s) are scanned images without a text layer (page(s) {shown}): "
            "their fields were read by OCR, so check them; send a born-digital PDF if there "
            "is one"
        )
    warnings.extend(pages.unread.values())
    kind = report.kind
    if kind is FormKind.NONE and scanned and len(scanned) == len(todo):
        kind = FormKind.SCANNED
    elif kind is FormKind.NONE and detected:
        kind = FormKind.FLAT
    done = replace(
        report,
        kind=kind,
        fields=(*report.fields, *detected),
        warnings=tuple(warnings),
    )
    return with_concepts(done, data, password, headings=nearby_labels)


def with_concepts(report: FormReport, data: bytes, password: str, *, headings: bool) -> FormReport:
    """The report with each field's wedding concept and its confidence
    (`concepts.assign_concepts`); with `headings`, the page text above each field (a section
    heading such as "Bride") is read for context."""
    pages = sorted({f.page for f in report.fields if f.page is not None})
    lines = page_lines(data, password, pages) if headings and pages else {}
    runs = {page: [(run.rect, run.text) for run in found] for page, found in lines.items()}
    return replace(report, fields=tuple(assign_concepts(report.fields, runs)))

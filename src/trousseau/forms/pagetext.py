"""The I/O edge for page text: pdfium's text runs of chosen pages, in displayed coordinates.

pdfium (through pypdfium2) reads the page content's text with its rectangles; the widgets'
own appearances are not page content, so a field's value never reads as its label.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager

import pypdfium2 as pdfium

from trousseau.forms.geometry import normalise_box, normalise_rotation, to_displayed
from trousseau.forms.labels import Labels, TextRun
from trousseau.forms.model import Rect


@contextmanager
def page_labels(
    data: bytes, password: str, pages: Iterable[int], geometry: Mapping[int, tuple[Rect, int]]
) -> Iterator[tuple[dict[int, Labels], str | None]]:
    """The `Labels` of each of `pages` (placed with that page's (box, rotation)) while the
    document is open, and why pdfium could not read them (None when it could): labels are a
    help, never a failure. Each page's text rectangles are read at once, a rectangle's text
    only when a field asks for it; a text pdfium then fails to read, or one asked for after
    the document is closed, counts as none."""
    problem: str | None = None
    try:
        document = pdfium.PdfDocument(data, password=password or None)
    except pdfium.PdfiumError as exc:
        problem = str(exc)
    if problem is not None:
        yield {}, problem
        return
    opened: list[pdfium.PdfPage | pdfium.PdfTextPage] = []
    open_ = [True]
    try:
        result: dict[int, Labels] = {}
        try:
            for index in pages:
                box, rotation = geometry[index]
                page = document[index]
                opened.append(page)
                textpage = page.get_textpage()
                opened.append(textpage)
                bounds = [textpage.get_rect(i) for i in range(textpage.count_rects())]
                rects = [to_displayed(normalise_box(list(b)), box, rotation) for b in bounds]
                result[index] = Labels(rects, _reader(textpage, bounds, open_))
        except (pdfium.PdfiumError, ValueError, IndexError) as exc:
            result, problem = {}, str(exc)
        yield result, problem
    finally:
        open_[0] = False
        for item in reversed(opened):
            item.close()
        document.close()


def _reader(
    textpage: pdfium.PdfTextPage, bounds: Sequence[Rect], open_: list[bool]
) -> Callable[[int], str]:
    """A rectangle's text by its index (empty when pdfium cannot read it or the document is
    closed: `open_[0]` says whether it still is)."""

    def text_of(order: int) -> str:
        if not open_[0]:
            return ""
        try:
            return str(textpage.get_text_bounded(*bounds[order]))
        except (pdfium.PdfiumError, ValueError):
            return ""

    return text_of


def text_runs(
    data: bytes, password: str, pages: Iterable[int], geometry: Mapping[int, tuple[Rect, int]]
) -> tuple[dict[int, list[TextRun]], str | None]:
    """The text runs of each of `pages`, placed with that page's (box, rotation), and why
    pdfium could not read them (None when it could): labels are a help, never a failure."""
    with page_labels(data, password, pages, geometry) as (labels, problem):
        return {index: page.runs() for index, page in labels.items()}, problem


def page_lines(data: bytes, password: str, pages: Iterable[int]) -> dict[int, list[TextRun]]:
    """The text runs of each of `pages` on its displayed page (its CropBox and /Rotate as
    pdfium reads them); empty when pdfium cannot read the document (context is a help)."""
    try:
        document = pdfium.PdfDocument(data, password=password or None)
    except pdfium.PdfiumError:
        return {}
    try:
        geometry = {}
        for index in pages:
            page = document[index]
            try:
                box = normalise_box(page.get_cropbox())
                geometry[index] = (box, normalise_rotation(page.get_rotation()))
            finally:
                page.close()
    except (pdfium.PdfiumError, ValueError, IndexError):
        return {}
    finally:
        document.close()
    runs, _ = text_runs(data, password, geometry, geometry)
    return runs

"""The I/O edge for page text: pdfium's text runs of chosen pages, in displayed coordinates.

pdfium (through pypdfium2) reads the page content's text with its rectangles; the widgets'
own appearances are not page content, so a field's value never reads as its label.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from contextlib import closing

import pypdfium2 as pdfium

from trousseau.errors import PageTextUnreadable
from trousseau.forms.geometry import normalise_box, normalise_rotation, to_displayed
from trousseau.forms.labels import Labels, TextRun
from trousseau.forms.model import Rect


def each_page_labels(
    data: bytes, password: str, pages: Iterable[int], geometry: Mapping[int, tuple[Rect, int]]
) -> Generator[tuple[int, Labels], None, None]:
    """The `Labels` of each of `pages` in turn (placed with that page's (box, rotation)), one
    page open at a time: a page's labels are read until the next page is asked for, then
    it is closed (a 2,000-page form never holds more than one page's text). Each page's text
    rectangles are read at once, a rectangle's text only when a field asks for it; a text
    pdfium then fails to read, or one asked for after its page is closed, counts as none.
    Raises PageTextUnreadable when pdfium cannot read the document or a page."""
    try:
        document = pdfium.PdfDocument(data, password=password or None)
    except pdfium.PdfiumError as exc:
        raise PageTextUnreadable(str(exc)) from None
    try:
        for index in pages:
            box, rotation = geometry[index]
            page, textpage = _open_page(document, index)
            open_ = [True]
            try:
                try:
                    bounds = [textpage.get_rect(i) for i in range(textpage.count_rects())]
                    rects = [to_displayed(normalise_box(list(b)), box, rotation) for b in bounds]
                except (pdfium.PdfiumError, ValueError, IndexError) as exc:
                    raise PageTextUnreadable(str(exc)) from None
                yield index, Labels(rects, _reader(textpage, bounds, open_))
            finally:
                open_[0] = False
                try:
                    textpage.close()
                finally:
                    page.close()
    finally:
        document.close()


def _open_page(
    document: pdfium.PdfDocument, index: int
) -> tuple[pdfium.PdfPage, pdfium.PdfTextPage]:
    """A page and its text page; PageTextUnreadable (nothing left open) when pdfium cannot
    load them."""
    try:
        page = document[index]
    except (pdfium.PdfiumError, ValueError, IndexError) as exc:
        raise PageTextUnreadable(str(exc)) from None
    try:
        return page, page.get_textpage()
    except (pdfium.PdfiumError, ValueError, IndexError) as exc:
        page.close()
        raise PageTextUnreadable(str(exc)) from None


def _reader(
    textpage: pdfium.PdfTextPage, bounds: Sequence[Rect], open_: list[bool]
) -> Callable[[int], str]:
    """A rectangle's text by its index (empty when pdfium cannot read it or its page is
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
    try:
        with closing(each_page_labels(data, password, pages, geometry)) as read:
            return {index: page.runs() for index, page in read}, None
    except PageTextUnreadable as exc:
        return {}, str(exc)


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

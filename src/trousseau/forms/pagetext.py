"""The I/O edge for page text: pdfium's text runs of chosen pages, in displayed coordinates.

pdfium (through pypdfium2) reads the page content's text with its rectangles; the widgets'
own appearances are not page content, so a field's value never reads as its label.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pypdfium2 as pdfium

from trousseau.forms.geometry import normalise_box, normalise_rotation, to_displayed
from trousseau.forms.labels import TextRun
from trousseau.forms.model import Rect


def text_runs(
    data: bytes, password: str, pages: Iterable[int], geometry: Mapping[int, tuple[Rect, int]]
) -> tuple[dict[int, list[TextRun]], str | None]:
    """The text runs of each of `pages`, placed with that page's (box, rotation), and why
    pdfium could not read them (None when it could): labels are a help, never a failure."""
    try:
        document = pdfium.PdfDocument(data, password=password or None)
    except pdfium.PdfiumError as exc:
        return {}, str(exc)
    try:
        result: dict[int, list[TextRun]] = {}
        for index in pages:
            box, rotation = geometry[index]
            page = document[index]
            textpage = page.get_textpage()
            try:
                runs = []
                for i in range(textpage.count_rects()):
                    left, bottom, right, top = textpage.get_rect(i)
                    text = textpage.get_text_bounded(left, bottom, right, top)
                    rect = to_displayed(normalise_box([left, bottom, right, top]), box, rotation)
                    runs.append(TextRun(str(text), rect))
                result[index] = runs
            finally:
                textpage.close()
                page.close()
        return result, None
    except (pdfium.PdfiumError, ValueError, IndexError) as exc:
        return {}, str(exc)
    finally:
        document.close()


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

"""The I/O edge for scanned pages: render the page, straighten it, OCR it, and hand the
detector the same primitives a born-digital page gives (`raster.scan_primitives`)."""

from __future__ import annotations

import time
from collections.abc import Callable

import cv2
import numpy as np
import pypdfium2 as pdfium

from trousseau.errors import OcrUnavailable
from trousseau.forms.detect import unread_cells
from trousseau.forms.ocr import BLOCK, recognise
from trousseau.forms.raster import (
    Gray,
    Scale,
    deskew,
    ink,
    ink_shapes,
    scan_primitives,
    strip_of,
    without_rules,
)
from trousseau.forms.shapes import PagePrimitives

DPI = 200
"""Pixels per inch a scanned page is read at: OCR's sweet spot for a form's 8-12 pt text
(300 doubles the time for no measured gain; 150 loses small print)."""
SECOND_READING_MIN = 1.0
"""Fewest seconds left of a page's OCR time worth a second reading of its unread cells."""


def render_gray(page: pdfium.PdfPage, dpi: int = DPI) -> Gray:
    """The displayed page (CropBox, /Rotate) as grey pixels at `dpi`."""
    bitmap = page.render(scale=dpi / 72.0, grayscale=True, may_draw_forms=False)
    try:
        pixels = np.array(bitmap.to_numpy(), dtype=np.uint8, copy=True)
    finally:
        bitmap.close()
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        return pixels[:, :, 0]
    if pixels.ndim == 3:
        return np.asarray(cv2.cvtColor(pixels, cv2.COLOR_BGR2GRAY), dtype=np.uint8)
    return pixels


def scan_page(
    page: pdfium.PdfPage,
    *,
    width: float,
    height: float,
    timeout: float,
    what: str,
    clock: Callable[[], float] = time.monotonic,
) -> tuple[PagePrimitives, float]:
    """A scanned page's primitives (deskewed, OCRed) and the angle it was turned by.
    The narrow cells the page's OCR left without text are read again, together, as a block
    (`detect.unread_cells`, `raster.Strip`), within what is left of `timeout` (measured with
    `clock`); a second reading that fails or has no time left leaves the first one's words.
    OcrUnavailable when Tesseract is missing or the page's reading fails."""
    started = clock()
    gray, angle = deskew(render_gray(page))
    mask = ink(gray)  # once: rules, marks and the OCR image all start from it
    scale = Scale(DPI, height)
    clean = without_rules(gray, mask, scale)
    words = recognise(_png(clean), dpi=DPI, timeout=timeout, what=what)
    shapes = ink_shapes(mask, scale, gray)
    primitives = scan_primitives(mask, words, dpi=DPI, width=width, height=height, shapes=shapes)
    strip = strip_of(clean, unread_cells(primitives), scale)
    if strip is None:
        return primitives, angle
    left = timeout - (clock() - started)
    if left < SECOND_READING_MIN:
        return primitives, angle
    try:
        read = recognise(_png(strip.image), dpi=DPI, timeout=left, what=what, segmentation=BLOCK)
    except OcrUnavailable:
        return primitives, angle
    more = strip.words(read)
    if not more:
        return primitives, angle
    everything = [*words, *more]
    return (
        scan_primitives(mask, everything, dpi=DPI, width=width, height=height, shapes=shapes),
        angle,
    )


def _png(image: Gray) -> bytes:
    ok, png = cv2.imencode(".png", image)
    if not ok:
        raise ValueError("the page image could not be encoded for OCR")
    return png.tobytes()

"""The I/O edge for scanned pages: render the page, straighten it, OCR it, and hand the
detector the same primitives a born-digital page gives (`raster.scan_primitives`)."""

from __future__ import annotations

import cv2
import numpy as np
import pypdfium2 as pdfium

from trousseau.forms.ocr import recognise
from trousseau.forms.raster import Gray, Scale, deskew, ink, scan_primitives, without_rules
from trousseau.forms.shapes import PagePrimitives

DPI = 200
"""Pixels per inch a scanned page is read at: OCR's sweet spot for a form's 8-12 pt text
(300 doubles the time for no measured gain; 150 loses small print)."""


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
    page: pdfium.PdfPage, *, width: float, height: float, timeout: float, what: str
) -> tuple[PagePrimitives, float]:
    """A scanned page's primitives (deskewed, OCRed) and the angle it was turned by.
    OcrUnavailable when Tesseract is missing or fails."""
    gray, angle = deskew(render_gray(page))
    mask = ink(gray)  # once: rules, marks and the OCR image all start from it
    ok, png = cv2.imencode(".png", without_rules(gray, mask, Scale(DPI, height)))
    if not ok:
        raise ValueError("the page image could not be encoded for OCR")
    words = recognise(png.tobytes(), dpi=DPI, timeout=timeout, what=what)
    return scan_primitives(mask, words, dpi=DPI, width=width, height=height), angle

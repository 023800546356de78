"""Rendered scans of born-digital PDFs: what a vendor's form looks like after a printer and a
scanner (or a phone), seeded so every run scans the same way.

Each document is rendered at one of 150, 175 or 200 dpi; each page is turned by up to +/-2
degrees, blurred (Gaussian, sigma 0.4-0.9 px), given sensor noise (sigma 4-9 grey levels),
JPEG-compressed at quality 55-80, and written back as a one-image page of the original page's
size in points, so the original fields' rectangles stay the ground truth.
"""

from __future__ import annotations

import io
import random

import cv2
import numpy as np
import pypdfium2 as pdfium
from PIL import Image


def scan_pdf(data: bytes, seed: int) -> bytes:
    """`data`'s pages as a scanned PDF (text layer and vectors gone: only pixels)."""
    rng = random.Random(seed)
    document = pdfium.PdfDocument(data)
    images: list[Image.Image] = []
    dpi = rng.choice([150, 175, 200])  # one scanner setting for the document
    try:
        for index in range(len(document)):
            page = document[index]
            bitmap = page.render(scale=dpi / 72.0, grayscale=True)
            gray = np.array(bitmap.to_numpy(), dtype=np.uint8)
            if gray.ndim == 3:
                gray = gray[:, :, 0]
            page.close()
            images.append(Image.fromarray(degrade(gray, rng)))
    finally:
        document.close()
    out = io.BytesIO()
    images[0].save(out, "PDF", resolution=dpi, save_all=True, append_images=images[1:], quality=95)
    return out.getvalue()


def degrade(gray: np.ndarray, rng: random.Random) -> np.ndarray:
    height, width = gray.shape
    angle = rng.uniform(-2.0, 2.0)
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    turned = cv2.warpAffine(gray, matrix, (width, height), flags=cv2.INTER_LINEAR, borderValue=255)
    sigma = rng.uniform(0.4, 0.9)
    blurred = cv2.GaussianBlur(turned, (0, 0), sigma)
    noise = np.random.default_rng(rng.randrange(2**32)).normal(0, rng.uniform(4, 9), gray.shape)
    noisy = np.clip(blurred.astype(np.float64) + noise, 0, 255).astype(np.uint8)
    ok, jpeg = cv2.imencode(".jpg", noisy, [cv2.IMWRITE_JPEG_QUALITY, rng.randint(55, 80)])
    assert ok
    return cv2.imdecode(jpeg, cv2.IMREAD_GRAYSCALE)

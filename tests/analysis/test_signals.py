"""Pixels through the imaging decode, as the analysis reads them: colour in OpenCV's BGR
order, transparency flattened on white, grey made colour, EXIF orientation applied."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import pyvips

from trousseau.analysis.signals import colour_pixels
from trousseau.errors import CorruptImage


def _pixels(data: bytes, fmt: str) -> np.ndarray:
    return colour_pixels(data, fmt=fmt, name="X", long_edge=10_000, max_pixels=10**8)


def test_colour_comes_in_bgr_order() -> None:
    blue = np.zeros((20, 30, 3), np.uint8)
    blue[..., 0] = 255  # BGR: blue
    ok, data = cv2.imencode(".png", blue)
    assert ok
    out = _pixels(data.tobytes(), "png")
    assert out.shape == (20, 30, 3) and (out == blue).all()


def test_transparency_is_flattened_on_white_and_grey_made_colour() -> None:
    clear = pyvips.Image.black(8, 6, bands=4).copy(interpretation="srgb")  # alpha 0
    out = _pixels(clear.pngsave_buffer(), "png")
    assert out.shape == (6, 8, 3) and (out == 255).all()
    grey = (pyvips.Image.black(8, 6) + 100).cast("uchar")
    out = _pixels(grey.jpegsave_buffer(Q=100), "jpeg")
    assert out.shape == (6, 8, 3) and np.abs(out.astype(int) - 100).max() <= 1


def test_exif_orientation_is_applied() -> None:
    wide = pyvips.Image.black(40, 20, bands=3).cast("uchar").copy(interpretation="srgb")
    rotated = wide.copy()
    rotated.set_type(pyvips.GValue.gint_type, "orientation", 6)
    out = _pixels(rotated.jpegsave_buffer(), "jpeg")
    assert out.shape == (40, 20, 3)  # upright: turned a quarter


def test_a_damaged_file_is_an_imaging_error_naming_it() -> None:
    with pytest.raises(CorruptImage, match="X"):
        _pixels(b"\xff\xd8\xff\xe0 not a jpeg", "jpeg")

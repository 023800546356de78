"""Quality signals of one photo from a reduced grayscale image (pure: pixels in, values out).

The image is brought to `LONG_SIDE` pixels on its long side first, so every figure is
measured at one scale whatever the variant it came from:

- sharpness: the variance of the Laplacian (log10(1 + var)); a blurred frame has less
- motion blur: how directional the image's gradients are (the structure tensor's
  anisotropy, 0 none .. 1 all in one direction): a shaken frame keeps the edges across the
  motion only
- exposure: the share of clipped highlights (>= 250) and crushed shadows (<= 5), and the
  mean luminance
- noise: Immerkaer's estimate of the noise's standard deviation (in 0..255 levels)

`keep_score` starts at the sharpness score (0 below var 20, 1 above var 316) and is lowered
by blown highlights, crushed shadows, a dark or bright frame and noise, each named in
`reasons`. The thresholds are the documented defaults; they are a starting point to be set
by measurement on labelled weddings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from trousseau.errors import InvalidValue

LONG_SIDE = 1024
SHARP_LOW, SHARP_HIGH = math.log10(1 + 20), math.log10(1 + 316)
_IMMERKAER = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], dtype=np.float64)


@dataclass(frozen=True)
class Quality:
    sharpness: float
    motion_blur: float
    mean_luminance: float
    highlights: float
    shadows: float
    noise: float
    keep_score: float
    reasons: tuple[str, ...]


def _reduced(gray: np.ndarray) -> np.ndarray:
    if gray.ndim == 3:
        gray = cv2.cvtColor(gray, cv2.COLOR_BGR2GRAY)
    if gray.ndim != 2 or min(gray.shape) < 16:
        raise InvalidValue(f"an image of {gray.shape} pixels is too small to judge")
    h, w = gray.shape
    scale = LONG_SIDE / max(h, w)
    if scale < 1:
        gray = cv2.resize(gray, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    return gray


def _anisotropy(img: np.ndarray) -> float:
    gx = cv2.Sobel(img, cv2.CV_64F, 1, 0, ksize=3)
    gy = cv2.Sobel(img, cv2.CV_64F, 0, 1, ksize=3)
    jxx, jyy, jxy = float((gx * gx).sum()), float((gy * gy).sum()), float((gx * gy).sum())
    trace = jxx + jyy
    if trace <= 0:
        return 0.0
    spread = math.sqrt((jxx - jyy) ** 2 + 4 * jxy * jxy)
    return spread / trace


def _noise(img: np.ndarray) -> float:
    h, w = img.shape
    conv = cv2.filter2D(img, cv2.CV_64F, _IMMERKAER, borderType=cv2.BORDER_REFLECT)
    inner = np.abs(conv[1:-1, 1:-1]).sum()
    return float(inner * math.sqrt(math.pi / 2) / (6 * (w - 2) * (h - 2)))


def measure(gray: np.ndarray) -> Quality:
    """The signals of a photo from its pixels (grayscale or BGR, any size)."""
    img = _reduced(np.asarray(gray))
    f = img.astype(np.float64)
    sharpness = math.log10(1 + float(cv2.Laplacian(f, cv2.CV_64F, ksize=3).var()))
    motion = _anisotropy(f)
    mean = float(f.mean()) / 255
    highlights = float((img >= 250).mean())
    shadows = float((img <= 5).mean())
    noise = _noise(f)
    score = min(1.0, max(0.0, (sharpness - SHARP_LOW) / (SHARP_HIGH - SHARP_LOW)))
    reasons: list[str] = []
    if score < 0.5:
        reasons.append(f"blurred (sharpness {sharpness:.2f})")
    if motion > 0.6 and score < 0.8:
        reasons.append(f"motion blur (gradients {motion:.0%} one way)")
        score *= 0.7
    if highlights > 0.05:
        reasons.append(f"{highlights:.0%} of the frame blown out")
        score *= max(0.3, 1 - 4 * highlights)
    if shadows > 0.3:
        reasons.append(f"{shadows:.0%} of the frame crushed to black")
        score *= max(0.3, 1.3 - shadows)
    if mean < 0.12:
        reasons.append(f"underexposed (mean {mean:.0%})")
        score *= 0.5
    elif mean > 0.88:
        reasons.append(f"overexposed (mean {mean:.0%})")
        score *= 0.5
    if noise > 8:
        reasons.append(f"noisy (sigma {noise:.1f})")
        score *= max(0.4, 1 - (noise - 8) / 20)
    return Quality(sharpness, motion, mean, highlights, shadows, noise, round(score, 4),
                   tuple(reasons))  # fmt: skip

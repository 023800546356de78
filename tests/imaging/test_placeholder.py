"""thumbhash gives the reference ThumbHash; dominant_colours finds known colours in order."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import numpy as np
import pytest
import pyvips

from trousseau.imaging.placeholder import Swatch, dominant_colours, thumbhash

RED, BLUE, WHITE = (230, 20, 30), (20, 40, 200), (255, 255, 255)
PHOTOS = [
    "exif/iphone6_gps.jpg",
    "exif/nokia83_gps.jpg",
    "exif/canon40d_empty_gps_ifd.jpg",
    "orientation/Portrait_1.jpg",
    "color/alpha_rgba.png",
    "color/cmyk_ycck_adobe.jpg",
]

# Hashes of `pattern(...)` by the reference js/thumbhash.js (github.com/evanw/thumbhash at
# a652ce6), run with node on the same RGBA bytes.
REFERENCE = [
    (100, 75, False, "H/gJNZpwd3d3d1h3d3Z4h3CJCHiI"),
    (30, 90, False, "H/gJMhpwWGWEh3d3gHoJeIk="),
    (100, 100, False, "H/gJNxpwdnd4eGh3d3Z4eHeHCIiHgIcI"),
    (64, 64, True, "3ceFDQg2QDU3RHZleHBZCYKUW3ifhnVohw=="),
    (80, 80, True, "nceFFQg2QDk3dXZneFBJCYOEW3ifhnVohw=="),
    (100, 64, True, "nLeBC4YmAIlHhHYQWQqBhT53r4ZkeHg="),
    (7, 3, True, "TzqGGoo3Qpxmd3BTZzCT+Ax2iYd1iKg="),
]


def pattern(width: int, height: int, alpha: bool) -> pyvips.Image:
    """Gradients with no symmetry (so no DCT term is zero), alpha an off-centre disc."""
    data = bytearray()
    for y in range(height):
        for x in range(width):
            red = 255 * x // max(width - 1, 1)
            green = (255 * y // max(height - 1, 1) + 7 * x) % 256
            data += bytes([red, green, (x * x + 3 * y) % 256])
            if alpha:
                distance = (3 * x - width) ** 2 + (4 * y - height) ** 2
                data.append(max(0, 255 - 255 * distance // (4 * width * height)))
    return pyvips.Image.new_from_memory(bytes(data), width, height, 4 if alpha else 3, "uchar")


def solid(width: int, height: int, colour: tuple[int, ...]) -> pyvips.Image:
    return (pyvips.Image.black(width, height) + list(colour)).cast("uchar")


def blocks(
    width: int, height: int, parts: list[tuple[tuple[int, int, int], float]]
) -> pyvips.Image:
    """Vertical stripes, each colour over its fraction of the width."""
    image, left = solid(width, height, parts[0][0]), 0
    for colour, fraction in parts:
        right = left + round(fraction * width)
        image = image.draw_rect(list(colour), left, 0, right - left, height, fill=True)
        left = right
    return image


def decode(hash_b64: str) -> tuple[np.ndarray, float]:
    """The reference `thumbHashToRGBA`: the placeholder (h x w x 4, 0..1) and aspect ratio."""
    data = base64.b64decode(hash_b64)
    header24 = data[0] | data[1] << 8 | data[2] << 16
    header16 = data[3] | data[4] << 8
    l_dc = (header24 & 63) / 63
    p_dc = (header24 >> 6 & 63) / 31.5 - 1
    q_dc = (header24 >> 12 & 63) / 31.5 - 1
    l_scale = (header24 >> 18 & 31) / 31
    has_alpha = bool(header24 >> 23)
    p_scale = (header16 >> 3 & 63) / 63
    q_scale = (header16 >> 9 & 63) / 63
    landscape = bool(header16 >> 15)
    l_max = 5 if has_alpha else 7
    lx = max(3, l_max if landscape else header16 & 7)
    ly = max(3, header16 & 7 if landscape else l_max)
    a_dc = (data[5] & 15) / 15 if has_alpha else 1.0
    a_scale = (data[5] >> 4) / 15 if has_alpha else 0.0
    nibbles = [n for byte in data[6 if has_alpha else 5 :] for n in (byte & 15, byte >> 4)]

    def channel(nx: int, ny: int, scale: float) -> list[tuple[int, int, float]]:
        terms = [(cx, cy) for cy in range(ny) for cx in range(nx) if cx * ny < nx * (ny - cy)]
        return [(cx, cy, (nibbles.pop(0) / 7.5 - 1) * scale) for cx, cy in terms[1:]]

    l_ac = channel(lx, ly, l_scale)
    p_ac = channel(3, 3, p_scale * 1.25)
    q_ac = channel(3, 3, q_scale * 1.25)
    a_ac = channel(5, 5, a_scale) if has_alpha else []

    ratio = (l_max if landscape else header16 & 7) / (header16 & 7 if landscape else l_max)
    width = round(32 if ratio > 1 else 32 * ratio)
    height = round(32 / ratio if ratio > 1 else 32)
    xs, ys = np.meshgrid(np.arange(width) + 0.5, np.arange(height) + 0.5)

    def render(dc: float, ac: list[tuple[int, int, float]]) -> np.ndarray:
        total = np.full((height, width), dc)
        for cx, cy, f in ac:
            total += 2 * f * np.cos(np.pi / width * xs * cx) * np.cos(np.pi / height * ys * cy)
        return total

    lum, p, q = render(l_dc, l_ac), render(p_dc, p_ac), render(q_dc, q_ac)
    b = lum - 2 / 3 * p
    r = (3 * lum - b + q) / 2
    rgba = np.stack([r, r - q, b, render(a_dc, a_ac)], axis=2)
    return np.clip(rgba, 0, 1), ratio


def rgb(swatch: Swatch) -> tuple[int, int, int]:
    red, green, blue = (int(swatch.hex[i : i + 2], 16) for i in (1, 3, 5))
    return red, green, blue


def load(photos: Path, name: str, size: int = 400) -> pyvips.Image:
    image = pyvips.Image.thumbnail(str(photos / name), size, output_profile="srgb")
    return image.copy_memory()


@pytest.mark.parametrize(("width", "height", "alpha", "expected"), REFERENCE)
def test_thumbhash_matches_the_reference_implementation(
    width: int, height: int, alpha: bool, expected: str
) -> None:
    assert thumbhash(pattern(width, height, alpha)) == expected


@pytest.mark.parametrize("colour", [(200, 30, 90), (12, 200, 240), (128, 128, 128), (0, 0, 0)])
def test_a_solid_colour_decodes_back_to_that_colour(colour: tuple[int, int, int]) -> None:
    placeholder, ratio = decode(thumbhash(solid(120, 120, colour)))

    assert ratio == 1
    assert np.abs(placeholder[..., :3] * 255 - colour).max() < 8
    assert (placeholder[..., 3] == 1).all()


@pytest.mark.parametrize(
    "name",
    ["exif/iphone6_gps.jpg", "exif/canon40d_empty_gps_ifd.jpg", "orientation/Portrait_1.jpg"],
)
def test_a_photo_decodes_to_a_blur_of_it(photos: Path, name: str) -> None:
    image = load(photos, name)
    placeholder, _ = decode(thumbhash(image))
    placeholder = placeholder[..., :3]
    height, width = placeholder.shape[:2]
    small = image.resize(width / image.width, vscale=height / image.height).numpy() / 255
    blur = image.resize(7 / image.width, vscale=7 / image.height)
    blur = blur.resize(width / 7, vscale=height / 7, kernel="linear").numpy() / 255

    def correlation(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.corrcoef(a.mean(axis=2).ravel(), b.mean(axis=2).ravel())[0, 1])

    assert placeholder.mean(axis=(0, 1)) * 255 == pytest.approx(
        small.mean(axis=(0, 1)) * 255, abs=6
    )
    assert np.abs(placeholder - blur).mean() < 0.08
    assert correlation(placeholder, small) > correlation(placeholder, small[::-1, ::-1]) + 0.3


@pytest.mark.parametrize(
    ("name", "landscape"), [("exif/iphone6_gps.jpg", True), ("orientation/Portrait_1.jpg", False)]
)
def test_the_thumbhash_carries_the_aspect_ratio(photos: Path, name: str, landscape: bool) -> None:
    image = load(photos, name)
    _, ratio = decode(thumbhash(image))

    assert (ratio > 1) is landscape
    assert ratio == pytest.approx(image.width / image.height, rel=0.1)


def test_a_large_image_is_shrunk_first_and_keeps_its_aspect_ratio() -> None:
    gradient = (pyvips.Image.xyz(1600, 800)[0] * 255 / 1599).cast("uchar")
    image = gradient.bandjoin([gradient, gradient])
    placeholder, ratio = decode(thumbhash(image))
    luminance = placeholder[..., :3].mean(axis=2)

    assert ratio == 7 / 4
    assert luminance[:, 0].mean() < 0.2 < 0.8 < luminance[:, -1].mean()


def test_thumbhash_is_deterministic(photos: Path) -> None:
    assert thumbhash(load(photos, "exif/iphone6_gps.jpg")) == thumbhash(
        load(photos, "exif/iphone6_gps.jpg")
    )


def test_an_alpha_image_encodes_where_it_is_transparent() -> None:
    image = solid(80, 40, (30, 160, 60, 255)).draw_rect([30, 160, 60, 0], 40, 0, 40, 40, fill=True)
    hash_b64 = thumbhash(image)
    placeholder, ratio = decode(hash_b64)

    assert base64.b64decode(hash_b64)[2] & 0x80
    assert ratio > 1
    assert placeholder[:, :8, 3].mean() > 0.9 > 0.1 > placeholder[:, -8:, 3].mean()
    assert np.abs(placeholder[:, :8, :3] * 255 - (30, 160, 60)).max() < 25


def test_a_fully_transparent_image_has_a_hash() -> None:
    placeholder, _ = decode(thumbhash(solid(10, 10, (255, 0, 0, 0))))
    assert (placeholder[..., 3] == 0).all()


def test_an_opaque_alpha_band_hashes_like_no_alpha_band() -> None:
    opaque = pattern(50, 40, alpha=False)
    assert thumbhash(opaque.bandjoin(255)) == thumbhash(opaque)


def test_a_grey_image_hashes_like_its_rgb_copy() -> None:
    grey = pattern(60, 30, alpha=False)[1]
    assert thumbhash(grey) == thumbhash(grey.bandjoin([grey, grey]))
    assert thumbhash(grey.bandjoin(200)) == thumbhash(grey.bandjoin([grey, grey, 200]))


@pytest.mark.parametrize(
    ("width", "height", "alpha"),
    [
        *[(1, 1, False), (100, 1, False), (1, 100, False), (100, 100, False), (400, 300, False)],
        *[(1, 1, True), (100, 1, True), (100, 100, True), (300, 400, True)],
    ],
)
def test_the_hash_is_compact_standard_base64(width: int, height: int, alpha: bool) -> None:
    hash_b64 = thumbhash(pattern(width, height, alpha))
    data = base64.b64decode(hash_b64, validate=True)

    assert re.fullmatch(r"[A-Za-z0-9+/]+={0,2}", hash_b64)
    assert len(hash_b64) <= 36
    assert (23 <= len(data) <= 25) if alpha else (17 <= len(data) <= 24)


@pytest.mark.parametrize("name", PHOTOS)
def test_real_photos_give_a_placeholder_and_swatches(photos: Path, name: str) -> None:
    image = load(photos, name)
    placeholder, ratio = decode(thumbhash(image))
    swatches = dominant_colours(image)

    assert ratio == pytest.approx(image.width / image.height, rel=0.25)
    assert placeholder.shape[2] == 4
    assert len(swatches) == 5
    assert [s.share for s in swatches] == sorted((s.share for s in swatches), reverse=True)
    assert sum(s.share for s in swatches) == pytest.approx(1)
    assert all(re.fullmatch(r"#[0-9a-f]{6}", s.hex) for s in swatches)


@pytest.mark.parametrize("size", [(50, 20), (400, 200)])
def test_dominant_colours_of_known_blocks_come_out_largest_first(size: tuple[int, int]) -> None:
    """The 400 px image is shrunk: the pixels blended at the block edges make small swatches."""
    image = blocks(*size, [(RED, 0.6), (BLUE, 0.3), (WHITE, 0.1)])
    swatches = dominant_colours(image)

    main, blends = swatches[:3], swatches[3:]
    for swatch, (colour, share) in zip(main, [(RED, 0.6), (BLUE, 0.3), (WHITE, 0.1)], strict=True):
        assert swatch.share == pytest.approx(share, abs=0.05)
        assert rgb(swatch) == pytest.approx(colour, abs=12)
    assert all(swatch.share < 0.05 for swatch in blends)


def test_exact_blocks_give_exact_colours_and_shares() -> None:
    image = blocks(50, 20, [(RED, 0.6), (BLUE, 0.3), (WHITE, 0.1)])
    assert dominant_colours(image) == [
        Swatch("#e6141e", 0.6),
        Swatch("#1428c8", 0.3),
        Swatch("#ffffff", 0.1),
    ]


def test_fewer_swatches_are_asked_for_the_largest_clusters_survive() -> None:
    image = blocks(50, 20, [(RED, 0.6), (BLUE, 0.3), (WHITE, 0.1)])
    swatches = dominant_colours(image, count=2)

    assert len(swatches) == 2
    assert swatches[0].hex == "#e6141e"
    assert sum(s.share for s in swatches) == pytest.approx(1)


@pytest.mark.parametrize("image", [solid(64, 48, (128, 128, 128)), solid(64, 48, (128,))])
def test_a_grey_image_is_one_grey_swatch(image: pyvips.Image) -> None:
    assert dominant_colours(image) == [Swatch("#808080", 1.0)]


@pytest.mark.parametrize("size", [(1, 1), (2, 3), (6, 1)])
def test_a_tiny_image_is_its_colour(size: tuple[int, int]) -> None:
    placeholder, _ = decode(thumbhash(solid(*size, (1, 2, 254))))

    assert np.abs(placeholder[..., :3] * 255 - (1, 2, 254)).max() < 8
    assert dominant_colours(solid(*size, (1, 2, 254))) == [Swatch("#0102fe", 1.0)]


def test_fully_transparent_pixels_are_ignored() -> None:
    image = solid(40, 40, (10, 200, 10, 255)).draw_rect([255, 0, 0, 0], 0, 0, 30, 40, fill=True)
    assert dominant_colours(image) == [Swatch("#0ac80a", 1.0)]
    assert dominant_colours(solid(40, 40, (255, 0, 0, 0))) == []


def test_dominant_colours_are_deterministic(photos: Path) -> None:
    image = load(photos, "exif/iphone6_gps.jpg")
    first = dominant_colours(image)
    assert all(dominant_colours(load(photos, "exif/iphone6_gps.jpg")) == first for _ in range(3))


def test_one_swatch_is_the_mean_colour() -> None:
    noise = pyvips.Image.gaussnoise(64, 64, sigma=3, mean=0, seed=1)
    image = noise.bandjoin([noise, noise]).linear(1, [200, 120, 40]).cast("uchar")
    [swatch] = dominant_colours(image, count=1)

    assert swatch.share == 1
    assert rgb(swatch) == pytest.approx((200, 120, 40), abs=1)


@pytest.mark.parametrize("bad", [solid(8, 8, (1, 2, 3)).cast("float"), solid(8, 8, (1,) * 5)])
def test_images_that_are_not_8_bit_rgb_or_grey_are_refused(bad: pyvips.Image) -> None:
    with pytest.raises(ValueError, match="8-bit"):
        thumbhash(bad)
    with pytest.raises(ValueError, match="8-bit"):
        dominant_colours(bad)


def test_count_must_be_positive() -> None:
    with pytest.raises(ValueError, match="count"):
        dominant_colours(solid(4, 4, (1, 2, 3)), count=0)


def test_the_aspect_ratio_is_coarser_with_alpha() -> None:
    assert decode(thumbhash(pattern(100, 50, alpha=False)))[1] == 7 / 4
    assert decode(thumbhash(pattern(50, 100, alpha=True)))[1] == 3 / 5

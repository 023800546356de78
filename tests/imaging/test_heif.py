"""HEIC/HEIF through libheif: iPhone P3 photos, 10-bit, alpha, multi-image files, damage."""

from __future__ import annotations

import io
import time
from pathlib import Path

import numpy as np
import pillow_heif
import pytest
import pyvips
from PIL import Image

from trousseau.errors import CorruptImage, ImageTooLarge
from trousseau.imaging.decode import Decoded, decode, source_size

LIMIT = 200_000_000

SIZES = {
    "iphone13pro_p3_gps_depth.heic": (4032, 3024),
    "iphone8plus_p3_portrait.heic": (3024, 4032),
    "xiaomi_gps.heic": (2592, 1944),
    "nokia_alpha_3images.heic": (1440, 960),
    "nokia_burst_4images.heic": (1280, 720),
    "rgb_10bit.heif": (128, 128),
    "rgba_8bit.heif": (128, 128),
}


def decode_heic(path: Path, long_edge: int = 512, max_pixels: int = LIMIT) -> Decoded:
    return decode(
        path.read_bytes(), fmt="heic", name=path.name, long_edge=long_edge, max_pixels=max_pixels
    )


def means(image: pyvips.Image) -> np.ndarray:
    return np.array([image.extract_band(band).avg() for band in range(3)])


def chroma(image: pyvips.Image) -> float:
    """Mean per-pixel saturation (max - min channel): what a missed P3 conversion lowers."""
    pixels = image.numpy().astype(float)[..., :3]
    return float((pixels.max(-1) - pixels.min(-1)).mean())


def exif_orientation(blob: bytes) -> int | None:
    exif = Image.Exif()
    exif.load(blob)
    return exif.get(0x0112)


def reference(path: Path, long_edge: int) -> pyvips.Image:
    """The primary image decoded by pillow-heif, converted with its own ICC profile."""
    heif = pillow_heif.open_heif(path.read_bytes())
    pixels = np.asarray(heif)
    image = pyvips.Image.new_from_array(pixels).copy(interpretation="srgb")
    image.set_type(pyvips.GValue.blob_type, "icc-profile-data", heif.info["icc_profile"])
    return image.icc_transform("srgb", embedded=True).thumbnail_image(long_edge, height=long_edge)


@pytest.mark.parametrize(("name", "size"), sorted(SIZES.items()))
def test_heif_files_decode_to_upright_srgb(photos: Path, name: str, size: tuple[int, int]):
    path = photos / "heic" / name
    decoded = decode_heic(path)
    assert decoded.path == "heif"
    assert (decoded.width, decoded.height) == size
    assert source_size(path.read_bytes(), fmt="heic", name=name) == size
    image = decoded.image
    assert (image.format, image.interpretation) == ("uchar", "srgb")
    assert image.bands == (4 if name == "rgba_8bit.heif" else 3)
    assert max(image.width, image.height) == min(512, max(size))
    assert "orientation" not in image.get_fields()
    assert 5 < image.avg() < 250


@pytest.mark.parametrize(
    "name", ["iphone13pro_p3_gps_depth.heic", "iphone8plus_p3_portrait.heic", "xiaomi_gps.heic"]
)
def test_phone_photos_carry_their_exif_with_orientation_reset(photos: Path, name: str):
    decoded = decode_heic(photos / "heic" / name)
    assert decoded.exif is not None
    assert decoded.exif.startswith(b"Exif\x00\x00")
    assert exif_orientation(decoded.exif) == 1


def test_heif_rotation_is_not_applied_twice(photos: Path):
    path = photos / "heic" / "iphone8plus_p3_portrait.heic"
    original_exif = pillow_heif.open_heif(path.read_bytes()).info["exif"]
    assert exif_orientation(original_exif) == 6
    decoded = decode_heic(path)
    assert decoded.image.height > decoded.image.width
    assert b"irot" in path.read_bytes()
    assert (4032, 3024) in stored_sizes(path.read_bytes())
    assert (3024, 4032) not in stored_sizes(path.read_bytes())


def stored_sizes(data: bytes) -> set[tuple[int, int]]:
    """Every `ispe` (stored, before rotation) size property in a HEIF file."""
    sizes = set()
    start = data.find(b"ispe")
    while start >= 0:
        sizes.add(
            (
                int.from_bytes(data[start + 8 : start + 12]),
                int.from_bytes(data[start + 12 : start + 16]),
            )
        )
        start = data.find(b"ispe", start + 4)
    return sizes


@pytest.mark.parametrize("name", ["iphone13pro_p3_gps_depth.heic", "iphone8plus_p3_portrait.heic"])
def test_display_p3_is_converted_to_srgb(photos: Path, name: str):
    path = photos / "heic" / name
    decoded = decode_heic(path, 400)
    expected = reference(path, 400)
    assert np.abs(means(decoded.image) - means(expected)).max() < 1.0
    assert chroma(decoded.image) == pytest.approx(chroma(expected), abs=0.3)
    stored = np.asarray(pillow_heif.open_heif(path.read_bytes()))
    untransformed = pyvips.Image.new_from_array(stored).thumbnail_image(400, height=400)
    assert chroma(untransformed) < chroma(expected) - 1.0


def test_nclx_display_p3_without_a_profile_is_converted(tmp_path: Path):
    pixels = np.zeros((64, 64, 3), np.uint8)
    pixels[...] = (60, 170, 90)
    heif = pillow_heif.from_bytes("RGB", (64, 64), pixels.tobytes())
    heif.info["nclx_profile"] = {
        "color_primaries": 12,
        "transfer_characteristics": 13,
        "matrix_coefficients": 6,
        "full_range_flag": 1,
    }
    output = io.BytesIO()
    heif.save(output, quality=95, chroma=444)
    path = tmp_path / "p3_nclx.heic"
    path.write_bytes(output.getvalue())
    stored = np.asarray(pillow_heif.open_heif(output.getvalue())).reshape(-1, 3).mean(0)
    expected = pyvips.Image.black(64, 64) + list(stored)
    expected = (
        expected.cast("uchar").copy(interpretation="srgb").icc_transform("srgb", input_profile="p3")
    )
    decoded = decode_heic(path, 64)
    assert np.abs(means(decoded.image) - means(expected)).max() < 1.5
    assert means(decoded.image)[0] < stored[0] - 30


def test_10_bit_heif_is_reduced_to_8_bit(photos: Path):
    path = photos / "heic" / "rgb_10bit.heif"
    decoded = decode_heic(path, 128)
    sixteen = np.asarray(pillow_heif.open_heif(path.read_bytes(), convert_hdr_to_8bit=False))
    assert sixteen.dtype == np.uint16
    assert decoded.image.format == "uchar"
    assert decoded.image.avg() == pytest.approx(sixteen.mean() / 257, abs=1.0)


def test_heif_alpha_is_kept(photos: Path):
    path = photos / "heic" / "rgba_8bit.heif"
    alpha = np.asarray(pillow_heif.open_heif(path.read_bytes()))[..., 3]
    decoded = decode_heic(path, 128)
    assert decoded.image.bands == 4
    assert decoded.image.extract_band(3).avg() == pytest.approx(alpha.mean(), abs=0.5)


def test_multi_image_files_give_their_primary_image(photos: Path):
    path = photos / "heic" / "nokia_burst_4images.heic"
    heif = pillow_heif.open_heif(path.read_bytes())
    assert len(heif) == 4
    primary = np.asarray(heif[heif.primary_index])
    decoded = decode_heic(path, 1280)
    assert np.abs(decoded.image.numpy().astype(int) - primary).mean() < 1.0


@pytest.mark.parametrize(
    ("name", "detail"),
    [
        ("heic_corrupted.heic", "libheif"),
        ("heic_second_image_truncated.heic", "item 2 ends at byte 3658"),
    ],
)
def test_damaged_heic_fails_naming_the_file(photos: Path, name: str, detail: str):
    with pytest.raises(CorruptImage) as caught:
        decode_heic(photos / "bad" / name)
    assert name in str(caught.value)
    assert detail in str(caught.value)
    if name == "heic_corrupted.heic":
        with pytest.raises(CorruptImage, match=name):
            source_size((photos / "bad" / name).read_bytes(), fmt="heic", name=name)


def test_the_pixel_limit_is_checked_before_decoding(photos: Path):
    path = photos / "heic" / "iphone13pro_p3_gps_depth.heic"
    started = time.perf_counter()
    with pytest.raises(ImageTooLarge, match=r"4032x3024 pixels \(12 MP\)"):
        decode_heic(path, max_pixels=10_000_000)
    assert time.perf_counter() - started < 0.1

"""Camera RAW through LibRaw: a Bayer DNG made from a real photo, a LinearRaw DNG, a JPEG XL DNG."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import pyvips
import rawpy

from tests.imaging.dng import write_cfa_dng
from trousseau.errors import CorruptImage, ImageTooLarge, ImagingError
from trousseau.imaging.decode import Decoded, RawPolicy, decode, source_size

LIMIT = 200_000_000


SOURCE = Path(__file__).resolve().parents[3] / "shared/data/photos/orientation/Portrait_0.jpg"


@pytest.fixture(scope="module")
def upright() -> pyvips.Image:
    """The real photo the generated RAWs are made from: 1200x1800, portrait, sRGB."""
    if not SOURCE.is_file():
        pytest.skip("../shared/data is absent")
    return pyvips.Image.new_from_file(str(SOURCE)).copy_memory()


@pytest.fixture(scope="module")
def with_preview(upright: pyvips.Image) -> bytes:
    """A Bayer DNG shot in portrait (orientation 6) with a full-size embedded JPEG."""
    return write_cfa_dng(upright, orientation=6, preview_long_edge=1800)


def decode_raw(
    data: bytes,
    long_edge: int,
    policy: RawPolicy = RawPolicy.AUTO,
    name: str = "generated.dng",
    max_pixels: int = LIMIT,
) -> Decoded:
    return decode(
        data,
        fmt="dng",
        name=name,
        long_edge=long_edge,
        max_pixels=max_pixels,
        raw_policy=policy,
    )


def means(image: pyvips.Image) -> np.ndarray:
    return np.array([image.extract_band(band).avg() for band in range(3)])


def difference(decoded: pyvips.Image, upright: pyvips.Image) -> float:
    """Mean absolute difference from the source photo shrunk to the decoded size."""
    expected = upright.thumbnail_image(decoded.width, height=decoded.height, size="force")
    return (decoded - expected).abs().avg()


def test_the_generated_dng_is_a_bayer_raw_libraw_reads(with_preview: bytes):
    with rawpy.imread(io.BytesIO(with_preview)) as raw:
        assert raw.raw_type == rawpy.RawType.Flat
        assert raw.raw_pattern.tolist() == [[0, 1], [3, 2]]
        assert raw.color_desc == b"RGBG"
        assert raw.sizes.flip == 6
        assert raw.extract_thumb().format == rawpy.ThumbFormat.JPEG


@pytest.mark.parametrize("orientation", [1, 3, 6, 8])
def test_demosaic_gives_back_the_photo_upright_with_its_colours(
    upright: pyvips.Image, orientation: int
):
    data = write_cfa_dng(upright, orientation=orientation)
    decoded = decode_raw(data, 1800, RawPolicy.DEMOSAIC)
    assert decoded.path == "raw-demosaic"
    assert (decoded.width, decoded.height) == (1200, 1800)
    assert (decoded.image.width, decoded.image.height) == (1200, 1800)
    assert source_size(data, fmt="dng", name="generated.dng") == (1200, 1800)
    assert (decoded.image.format, decoded.image.interpretation) == ("uchar", "srgb")
    assert np.abs(means(decoded.image) - means(upright)).max() < 2.0
    assert difference(decoded.image, upright) < 3.0
    assert difference(decoded.image.rot180(), upright) > 20


def test_half_size_demosaic_when_it_covers_the_long_edge(upright: pyvips.Image):
    data = write_cfa_dng(upright, orientation=8)
    decoded = decode_raw(data, 600, RawPolicy.DEMOSAIC)
    assert (decoded.image.width, decoded.image.height) == (400, 600)
    assert np.abs(means(decoded.image) - means(upright)).max() < 2.0
    assert difference(decoded.image, upright) < 4.0


@pytest.mark.parametrize("orientation", [1, 3, 6, 8])
def test_auto_uses_a_preview_that_covers_the_long_edge(upright: pyvips.Image, orientation: int):
    data = write_cfa_dng(upright, orientation=orientation, preview_long_edge=1800)
    decoded = decode_raw(data, 1200)
    assert decoded.path == "raw-preview"
    assert (decoded.width, decoded.height) == (1200, 1800)
    assert (decoded.image.width, decoded.image.height) == (800, 1200)
    assert "orientation" not in decoded.image.get_fields()
    assert difference(decoded.image, upright) < 3.0
    assert difference(decoded.image.fliphor(), upright) > 20


def test_a_preview_stored_upright_is_not_turned_again(upright: pyvips.Image):
    data = write_cfa_dng(upright, orientation=6, preview_long_edge=900, preview_turned=True)
    decoded = decode_raw(data, 900, RawPolicy.PREVIEW)
    assert (decoded.image.width, decoded.image.height) == (600, 900)
    assert difference(decoded.image, upright) < 3.0


def test_auto_demosaics_when_the_preview_is_too_small(upright: pyvips.Image):
    data = write_cfa_dng(upright, orientation=6, preview_long_edge=600)
    assert decode_raw(data, 600).path == "raw-preview"
    decoded = decode_raw(data, 1000)
    assert decoded.path == "raw-demosaic"
    assert (decoded.image.width, decoded.image.height) == (667, 1000)


def test_preview_policy_takes_any_preview_and_demosaic_policy_none(
    upright: pyvips.Image, with_preview: bytes
):
    small = write_cfa_dng(upright, orientation=6, preview_long_edge=600)
    decoded = decode_raw(small, 1800, RawPolicy.PREVIEW)
    assert decoded.path == "raw-preview"
    assert (decoded.image.width, decoded.image.height) == (400, 600)
    assert difference(decoded.image, upright) < 3.0
    assert decode_raw(with_preview, 300, RawPolicy.DEMOSAIC).path == "raw-demosaic"
    without = write_cfa_dng(upright, orientation=1)
    assert decode_raw(without, 300, RawPolicy.PREVIEW).path == "raw-demosaic"


def test_preview_and_demosaic_agree(with_preview: bytes):
    preview = decode_raw(with_preview, 900, RawPolicy.PREVIEW).image
    developed = decode_raw(with_preview, 900, RawPolicy.DEMOSAIC).image
    assert (preview.width, preview.height) == (developed.width, developed.height)
    assert (preview - developed).abs().avg() < 5.0


def test_raw_exif_comes_from_the_extracted_preview(with_preview: bytes):
    decoded = decode_raw(with_preview, 300, RawPolicy.DEMOSAIC)
    assert decoded.exif is not None
    tagged = decoded.image.copy()
    tagged.set_type(pyvips.GValue.blob_type, "exif-data", decoded.exif)
    written = pyvips.Image.new_from_buffer(tagged.jpegsave_buffer(keep="all"), "")
    assert written.get("exif-ifd0-Model").startswith("Test Bayer")
    assert written.get("orientation") == 1


def test_linear_dng_is_demosaiced_upright(photos: Path):
    path = photos / "raw" / "oneplus_a6003_linear.dng"
    data = path.read_bytes()
    decoded = decode_raw(data, 1000, name=path.name)
    assert decoded.path == "raw-demosaic"
    assert (decoded.width, decoded.height) == (866, 1154)
    assert source_size(data, fmt="dng", name=path.name) == (866, 1154)
    assert (decoded.image.width, decoded.image.height) == (750, 1000)
    assert 60 < decoded.image.avg() < 200
    camera = decode_raw(data, 256, RawPolicy.PREVIEW, name=path.name).image
    assert (camera.width, camera.height) == (192, 256)
    developed = decoded.image.thumbnail_image(192, height=256, size="force")
    developed *= camera.avg() / developed.avg()
    assert (developed - camera).abs().avg() < 8
    assert (developed.rot180() - camera).abs().avg() > 15


def test_jpeg_xl_dng_fails_clearly_unless_its_preview_is_enough(photos: Path):
    path = photos / "raw" / "nikon_z9_dng17_jxl.dng"
    data = path.read_bytes()
    for policy in (RawPolicy.AUTO, RawPolicy.DEMOSAIC):
        with pytest.raises(ImagingError) as caught:
            decode_raw(data, 2048, policy, name=path.name)
        message = str(caught.value)
        assert f"cannot decode {path.name}" in message
        assert "LibRaw" in message
        assert "640x424" in message
        assert not isinstance(caught.value, CorruptImage)
    fallback = decode_raw(data, 600, RawPolicy.DEMOSAIC, name=path.name)
    assert fallback.path == "raw-preview-fallback"
    assert (fallback.width, fallback.height) == (5392, 3592)
    assert (fallback.image.width, fallback.image.height) == (600, 398)
    assert decode_raw(data, 600, name=path.name).path == "raw-preview"


@pytest.mark.parametrize("fmt", ["dng", "nef", "cr3"])
def test_what_libraw_cannot_open_fails_naming_the_file(photos: Path, fmt: str):
    data = (photos / "bad" / "text_file_renamed.jpg").read_bytes()
    with pytest.raises(ImagingError, match=f"cannot decode x.{fmt}"):
        decode(data, fmt=fmt, name=f"x.{fmt}", long_edge=100, max_pixels=LIMIT)
    with pytest.raises(ImagingError, match=f"x.{fmt}"):
        source_size(data, fmt=fmt, name=f"x.{fmt}")


def test_truncated_raw_data_is_corrupt(photos: Path):
    data = (photos / "raw" / "oneplus_a6003_linear.dng").read_bytes()
    with pytest.raises(CorruptImage, match=r"cut\.dng is damaged or truncated"):
        decode_raw(data[: len(data) // 2], 600, RawPolicy.DEMOSAIC, name="cut.dng")


def test_the_pixel_limit_is_checked_before_unpacking(with_preview: bytes):
    with pytest.raises(ImageTooLarge, match=r"generated.dng declares 1200x1800 pixels"):
        decode_raw(with_preview, 600, max_pixels=2_000_000)

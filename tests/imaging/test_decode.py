"""decode() on real files through libvips: upright, sRGB, 8-bit, alpha kept, limits, damage."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
import pyvips

from trousseau.demo.samples import generate_photo
from trousseau.errors import CorruptImage, ImageTooLarge, ImagingError
from trousseau.imaging.decode import Decoded, RawPolicy, decode, source_size
from trousseau.imaging.formats import classify_tiff, detect_format
from trousseau.imaging.pixels import upright_exif

LIMIT = 200_000_000

GOOD = [
    "orientation/Landscape_6.jpg",
    "orientation/Portrait_8.jpg",
    "color/adobe_rgb__canon_xmp.jpg",
    "color/cmyk_ycck_adobe.jpg",
    "color/display_p3_gps_iphonexs.avif",
    "color/alpha.avif",
    "color/alpha.webp",
    "color/lossy_exif.webp",
    "color/animated_31frames.gif",
    "color/static.gif",
    "color/gray_16bit.tif",
    "color/rgb_16bit.tiff",
    "color/rgba_16bit.png",
    "color/progressive_big_icc_tiffrgb.jpg",
    "exif/iphone6_gps.jpg",
]

BAD = {
    "avif_declares_17000x17000.avif": ImageTooLarge,
    "gif_decompression_bomb_65535x66601.gif": ImageTooLarge,
    "gif_frame_extents_bomb.gif": ImageTooLarge,
    "gif_truncated.gif": CorruptImage,
    "gif_zero_width.gif": CorruptImage,
    "jpeg_missing_soi_marker.jpg": ImagingError,
    "jpeg_scan_data_altered.jpg": CorruptImage,
    "jpeg_truncated_baseline.jpg": CorruptImage,
    "jpeg_truncated_progressive.jpg": CorruptImage,
    "png_broken_header.png": CorruptImage,
    "png_corrupt_zlib_stream.png": CorruptImage,
    "png_missing_ihdr.png": CorruptImage,
    "png_text_chunk_decompression_bomb.png": ImagingError,
    "png_truncated_end_chunk.png": CorruptImage,
    "png_truncated_in_idat.png": CorruptImage,
    "png_wrong_crc.png": CorruptImage,
    "png_wrong_signature.png": ImagingError,
    "text_file_renamed.jpg": ImagingError,
    "zero_bytes.jpg": CorruptImage,
}


def sniff(data: bytes, path: Path) -> str:
    """The format as ingest names it from content; the extension only for non-images."""
    fmt = detect_format(data[:64])
    if fmt == "tiff":
        return classify_tiff(data)
    return fmt or {"jpg": "jpeg"}.get(path.suffix[1:], path.suffix[1:])


def decode_file(path: Path, long_edge: int = 400) -> Decoded:
    data = path.read_bytes()
    return decode(
        data, fmt=sniff(data, path), name=path.name, long_edge=long_edge, max_pixels=LIMIT
    )


def means(image: pyvips.Image) -> np.ndarray:
    return np.array([image.extract_band(band).avg() for band in range(3)])


def chroma(image: pyvips.Image) -> float:
    """Mean per-pixel saturation (max - min channel): what a missed colour transform changes."""
    pixels = image.numpy().astype(float)[..., :3]
    return float((pixels.max(-1) - pixels.min(-1)).mean())


def assert_ready(decoded: Decoded, bands: int = 3) -> None:
    image = decoded.image
    assert image.format == "uchar"
    assert image.interpretation == "srgb"
    assert image.bands == bands
    assert "orientation" not in image.get_fields()


@pytest.mark.parametrize("kind", ["Landscape", "Portrait"])
@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_comes_out_upright(photos: Path, kind: str, orientation: int):
    reference = decode_file(photos / "orientation" / f"{kind}_0.jpg", 300).image
    decoded = decode_file(photos / "orientation" / f"{kind}_{orientation}.jpg", 300)
    assert_ready(decoded)
    assert (decoded.width, decoded.height) == (1800, 1200) if kind == "Landscape" else (1200, 1800)
    assert (decoded.image - reference).abs().avg() < 5


def test_a_wrong_orientation_would_be_caught(photos: Path):
    reference = decode_file(photos / "orientation" / "Landscape_0.jpg", 300).image
    for wrong in (reference.fliphor(), reference.flipver(), reference.rot180()):
        assert (wrong - reference).abs().avg() > 40
    unrotated = pyvips.Image.thumbnail(
        str(photos / "orientation" / "Landscape_6.jpg"), 300, no_rotate=True
    )
    assert (unrotated.width, unrotated.height) == (reference.height, reference.width)


@pytest.mark.parametrize(
    ("name", "import_profile"),
    [
        ("adobe_rgb__canon_xmp.jpg", None),
        ("prophoto_rgb.jpg", None),
        ("display_p3_gps_iphonexs.avif", None),
        ("progressive_big_icc_tiffrgb.jpg", None),
        ("cmyk_ycck_adobe.jpg", "cmyk"),
    ],
)
def test_embedded_profiles_and_cmyk_are_converted_to_srgb(
    photos: Path, name: str, import_profile: str | None
):
    path = photos / "color" / name
    decoded = decode_file(path, 400)
    assert_ready(decoded)
    source = pyvips.Image.new_from_file(str(path))
    options = {"input_profile": import_profile} if import_profile else {}
    reference = source.icc_transform("srgb", embedded=True, **options)
    reference = reference.thumbnail_image(400, height=400)
    assert np.abs(means(decoded.image) - means(reference)).max() < 1.0
    assert abs(chroma(decoded.image) - chroma(reference)) < 0.5
    if import_profile is None:
        untransformed = source.thumbnail_image(400, height=400)
        assert abs(chroma(untransformed) - chroma(reference)) > 1.0


def test_cmyk_jpeg_shows_its_red_letters(photos: Path):
    image = decode_file(photos / "color" / "cmyk_ycck_adobe.jpg").image
    red = image.numpy()[..., 0].astype(int) - image.numpy()[..., 1:].max(-1)
    assert (red > 100).mean() > 0.05


@pytest.mark.parametrize(
    ("name", "bands"),
    [
        ("rgb_16bit.png", 3),
        ("rgb_16bit.tiff", 3),
        ("rgba_16bit.png", 4),
        ("rgba_16bit_srgb_icc.tiff", 4),
        ("gray_16bit.tif", 3),
    ],
)
def test_16_bit_is_scaled_to_8_bit_not_cast(photos: Path, name: str, bands: int):
    path = photos / "color" / name
    decoded = decode_file(path, 1000)
    assert_ready(decoded, bands)
    source = pyvips.Image.new_from_file(str(path))
    assert source.format == "ushort"
    assert abs(decoded.image.avg() - source.colourspace("srgb").avg()) < 1.5
    if source.max() > 255 * 4:
        assert decoded.image.max() < 256
        assert decoded.image.max() > source.max() / 257 - 2


@pytest.mark.parametrize(
    "name",
    [
        "alpha_rgba.png",
        "alpha_srgb_icc.png",
        "alpha.webp",
        "alpha.avif",
        "rgba_16bit.png",
        "rgba_16bit_srgb_icc.tiff",
    ],
)
def test_alpha_is_kept(photos: Path, name: str):
    path = photos / "color" / name
    decoded = decode_file(path, 1000)
    assert_ready(decoded, bands=4)
    source = pyvips.Image.new_from_file(str(path))
    source_alpha = source.extract_band(source.bands - 1).avg()
    if source.format == "ushort":
        source_alpha /= 257
    assert decoded.image.extract_band(3).avg() == pytest.approx(source_alpha, abs=1.5)


def test_grey_is_promoted_to_three_band_srgb(photos: Path):
    decoded = decode_file(photos / "color" / "gray_16bit.tif")
    assert_ready(decoded)
    red, green, blue = means(decoded.image)
    assert red == green == blue


def test_animated_gif_gives_its_first_frame(photos: Path):
    path = photos / "color" / "animated_31frames.gif"
    decoded = decode_file(path, 1000)
    assert_ready(decoded, bands=4)
    assert (decoded.image.width, decoded.image.height) == (320, 240)
    first = pyvips.Image.new_from_file(str(path), n=1)
    second = pyvips.Image.new_from_file(str(path), page=5, n=1)
    assert (decoded.image - first).abs().avg() < 0.5
    assert (second - first).abs().avg() > 1


@pytest.mark.parametrize("name", GOOD)
def test_source_size_matches_the_decoded_full_size(photos: Path, name: str):
    path = photos / name
    data = path.read_bytes()
    decoded = decode_file(path, 256)
    assert source_size(data, fmt=sniff(data, path), name=path.name) == (
        decoded.width,
        decoded.height,
    )
    assert max(decoded.image.width, decoded.image.height) == min(
        256, max(decoded.width, decoded.height)
    )


def test_shrinks_to_the_long_edge_and_never_enlarges(photos: Path):
    path = photos / "orientation" / "Portrait_6.jpg"
    assert (decode_file(path, 900).image.width, decode_file(path, 900).image.height) == (600, 900)
    full = decode_file(path, 10_000)
    assert (full.image.width, full.image.height) == (full.width, full.height) == (1200, 1800)


def test_exif_is_returned_with_its_orientation_reset(photos: Path):
    decoded = decode_file(photos / "orientation" / "Landscape_6.jpg")
    assert decoded.exif is not None
    tagged = decoded.image.copy()
    tagged.set_type(pyvips.GValue.blob_type, "exif-data", decoded.exif)
    written = pyvips.Image.new_from_buffer(tagged.jpegsave_buffer(keep="all"), "")
    assert written.get("orientation") == 1
    assert written.get("exif-ifd0-Orientation").startswith("1 ")
    assert decode_file(photos / "color" / "static.gif").exif is None


def test_upright_exif_leaves_what_it_cannot_parse():
    assert upright_exif(None) is None
    assert upright_exif(b"") is None
    assert upright_exif(b"not exif at all") == b"not exif at all"
    assert (
        upright_exif(b"Exif\x00\x00II*\x00\xff\xff\xff\x7f")
        == b"Exif\x00\x00II*\x00\xff\xff\xff\x7f"
    )


def test_exif_comes_from_webp_and_avif(photos: Path):
    for name in ("lossy_exif.webp", "exif.avif", "display_p3_gps_iphonexs.avif"):
        assert decode_file(photos / "color" / name).exif


@pytest.mark.parametrize(("name", "error"), sorted(BAD.items()))
def test_bad_files_fail_with_a_precise_error(photos: Path, name: str, error: type[Exception]):
    started = time.perf_counter()
    with pytest.raises(error) as caught:
        decode_file(photos / "bad" / name, 2048)
    assert time.perf_counter() - started < 1.0
    message = str(caught.value)
    assert name in message
    assert "\n" not in message
    if error is ImagingError:
        assert not isinstance(caught.value, CorruptImage | ImageTooLarge)


def test_bombs_are_refused_from_their_declared_size(photos: Path):
    with pytest.raises(ImageTooLarge, match=r"65535x66601 pixels \(4365 MP\).*200 MP"):
        decode_file(photos / "bad" / "gif_decompression_bomb_65535x66601.gif")
    with pytest.raises(ImagingError, match="decompression bomb"):
        decode_file(photos / "bad" / "png_text_chunk_decompression_bomb.png")
    with pytest.raises(CorruptImage, match="IDAT chunk at byte 30331"):
        decode_file(photos / "bad" / "png_truncated_end_chunk.png")


def test_lenient_damage_still_decodes(photos: Path):
    assert decode_file(photos / "bad" / "png_missing_iend.png").image.width == 10
    misnamed = decode_file(photos / "bad" / "jpeg_misnamed_as.nef")
    assert misnamed.path == "libvips"
    assert (misnamed.width, misnamed.height) == (2000, 3008)


def test_the_pixel_limit_is_configurable(photos: Path):
    path = photos / "orientation" / "Landscape_0.jpg"
    data = path.read_bytes()
    with pytest.raises(ImageTooLarge, match="1800x1200 pixels"):
        decode(data, fmt="jpeg", name=path.name, long_edge=300, max_pixels=2_000_000)
    assert decode(data, fmt="jpeg", name=path.name, long_edge=300, max_pixels=2_160_000).width


def test_unknown_formats_and_bad_arguments_are_refused(photos: Path):
    data = (photos / "orientation" / "Landscape_0.jpg").read_bytes()
    with pytest.raises(ImagingError, match="JPEG XL"):
        decode(data, fmt="jxl", name="a.jxl", long_edge=300, max_pixels=LIMIT)
    with pytest.raises(ImagingError, match="JPEG XL"):
        source_size(data, fmt="jxl", name="a.jxl")
    with pytest.raises(ValueError, match="long_edge"):
        decode(data, fmt="jpeg", name="a.jpg", long_edge=0, max_pixels=LIMIT)
    with pytest.raises(ValueError, match="max_pixels"):
        decode(data, fmt="jpeg", name="a.jpg", long_edge=10, max_pixels=0)
    with pytest.raises(ValueError, match="not a valid RawPolicy"):
        decode(data, fmt="dng", name="a.dng", long_edge=10, max_pixels=LIMIT, raw_policy="fast")
    assert RawPolicy("preview") is RawPolicy.PREVIEW


@pytest.mark.slow
def test_a_24_megapixel_jpeg_shrinks_on_load():
    data = generate_photo(1, seed=2026, megapixels=24, when=datetime(2026, 6, 13, 14, tzinfo=UTC))
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        decoded = decode(data, fmt="jpeg", name="big.jpg", long_edge=3000, max_pixels=LIMIT)
        timings.append(time.perf_counter() - started)
    assert (decoded.width, decoded.height) == (6000, 4000)
    assert (decoded.image.width, decoded.image.height) == (3000, 2000)
    assert min(timings) < 0.6


@pytest.mark.parametrize("name", GOOD)
@pytest.mark.parametrize("long_edge", [400, 100_000])
def test_decode_rgb_gives_decodes_pixels_flattened_on_white(
    photos: Path, name: str, long_edge: int
) -> None:
    """The analysis' read of a photo (one pass of the pipeline into an array) holds exactly
    the pixels of `decode`, shrunk or at full size, transparency flattened on white."""
    from trousseau.imaging import decode_rgb

    path = photos / name
    data = path.read_bytes()
    fmt = sniff(data, path)
    rgb = decode_rgb(data, fmt=fmt, name=path.name, long_edge=long_edge, max_pixels=LIMIT)
    image = decode(data, fmt=fmt, name=path.name, long_edge=long_edge, max_pixels=LIMIT).image
    if image.hasalpha():
        image = image.flatten(background=[255, 255, 255]).cast("uchar")
    expected = np.ndarray(
        buffer=image.write_to_memory(), dtype=np.uint8, shape=(image.height, image.width, 3)
    )
    assert rgb.shape == expected.shape and rgb.dtype == np.uint8
    assert np.array_equal(rgb, expected)


@pytest.mark.parametrize(("name", "error"), sorted(BAD.items()))
def test_decode_rgb_fails_as_decode_does(photos: Path, name: str, error: type[Exception]):
    """Damage that surfaces only while the pipeline is read still names the file."""
    from trousseau.imaging import decode_rgb

    path = photos / "bad" / name
    data = path.read_bytes()
    with pytest.raises(error) as caught:
        decode_rgb(data, fmt=sniff(data, path), name=name, long_edge=2048, max_pixels=LIMIT)
    assert name in str(caught.value) and "\n" not in str(caught.value)
    if error is ImagingError:
        assert not isinstance(caught.value, CorruptImage | ImageTooLarge)

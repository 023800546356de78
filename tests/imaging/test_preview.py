"""render_preview on real photos: upright, sRGB, opaque, bounded, metadata-free, repeatable."""

from __future__ import annotations

from pathlib import Path

import pytest
import pyvips

from trousseau.errors import CorruptImage, ImagingError
from trousseau.imaging import Preview, render_preview

ORIENTATIONS = [f"{kind}_{n}.jpg" for kind in ("Landscape", "Portrait") for n in range(9)]

CORRUPT = [
    "jpeg_truncated_baseline.jpg",
    "jpeg_truncated_progressive.jpg",
    "jpeg_scan_data_altered.jpg",
    "png_broken_header.png",
    "png_corrupt_zlib_stream.png",
    "png_missing_ihdr.png",
    "png_truncated_in_idat.png",
    "png_wrong_crc.png",
    "gif_truncated.gif",
    "gif_zero_width.gif",
    "gif_decompression_bomb_65535x66601.gif",
    "heic_corrupted.heic",
    "avif_declares_17000x17000.avif",
]


def decode(preview: Preview) -> pyvips.Image:
    return pyvips.Image.new_from_buffer(preview.data, "")


def mean_abs_difference(a: pyvips.Image, b: pyvips.Image) -> float:
    assert (a.width, a.height) == (b.width, b.height)
    return (a - b).abs().avg()


@pytest.mark.parametrize("name", ORIENTATIONS)
def test_every_exif_orientation_comes_out_upright(photos: Path, name: str) -> None:
    folder = photos / "orientation"
    upright = decode(
        render_preview(folder / f"{name.split('_')[0]}_1.jpg", long_edge=256, quality=90)
    )
    preview = render_preview(folder / name, long_edge=256, quality=90)
    image = decode(preview)

    assert (preview.width, preview.height) == (upright.width, upright.height)
    assert mean_abs_difference(image, upright) < 6
    assert "orientation" not in image.get_fields()


@pytest.mark.parametrize("n", [2, 3, 4])
def test_the_orientation_comparison_can_tell_a_wrong_orientation(photos: Path, n: int) -> None:
    folder = photos / "orientation"
    upright = decode(render_preview(folder / "Landscape_1.jpg", long_edge=256, quality=90))
    as_stored = pyvips.Image.thumbnail(str(folder / f"Landscape_{n}.jpg"), 256, no_rotate=True)

    assert mean_abs_difference(as_stored, upright) > 20


@pytest.mark.parametrize(
    "name",
    [
        "color/cmyk_ycck_adobe.jpg",
        "color/adobe_rgb__canon_xmp.jpg",
        "color/prophoto_rgb.jpg",
        "color/progressive_big_icc_tiffrgb.jpg",
        "color/display_p3_gps_iphonexs.avif",
        "color/gray_16bit.tif",
        "color/rgb_16bit.png",
        "color/rgba_16bit_srgb_icc.tiff",
        "color/alpha.webp",
        "color/animated_31frames.gif",
    ],
)
def test_output_is_8_bit_opaque_srgb_with_only_an_srgb_profile(photos: Path, name: str) -> None:
    image = decode(render_preview(photos / name, long_edge=256, quality=85))
    reference = decode(
        render_preview(photos / "orientation/Landscape_1.jpg", long_edge=64, quality=85)
    )

    assert image.interpretation == "srgb"
    assert (image.bands, image.format) == (3, "uchar")
    assert image.get("icc-profile-data") == reference.get("icc-profile-data")
    assert "sRGB".encode("utf-16-be") in image.get("icc-profile-data")


@pytest.mark.parametrize("name", ["color/adobe_rgb__canon_xmp.jpg", "color/prophoto_rgb.jpg"])
def test_wide_gamut_pixels_are_converted_not_relabelled(photos: Path, name: str) -> None:
    preview = decode(render_preview(photos / name, long_edge=256, quality=95))
    unmanaged = pyvips.Image.thumbnail(str(photos / name), 256)

    assert mean_abs_difference(preview, unmanaged) > 1


def test_cmyk_is_converted_to_rgb(photos: Path) -> None:
    source = pyvips.Image.new_from_file(str(photos / "color/cmyk_ycck_adobe.jpg"))
    image = decode(render_preview(photos / "color/cmyk_ycck_adobe.jpg", long_edge=256, quality=90))

    assert source.interpretation == "cmyk"
    assert image.interpretation == "srgb"
    assert image.bands == 3


def test_transparency_is_flattened_on_white(photos: Path) -> None:
    source = pyvips.Image.new_from_file(str(photos / "color/alpha_rgba.png"))
    image = decode(render_preview(photos / "color/alpha_rgba.png", long_edge=400, quality=95))

    assert source[3].crop(0, 0, 16, 16).max() == 0
    assert image.bands == 3
    assert image.crop(0, 0, 12, 12).min() > 245


@pytest.mark.parametrize(
    ("name", "size"),
    [
        ("orientation/Landscape_1.jpg", (512, 341)),
        ("orientation/Portrait_1.jpg", (341, 512)),
        ("orientation/Landscape_6.jpg", (512, 341)),
        ("exif/nokia83_gps.jpg", (512, 220)),
        ("bad/png_missing_iend.png", (10, 6)),
    ],
)
def test_long_edge_fits_and_small_images_are_not_upscaled(
    photos: Path, name: str, size: tuple[int, int]
) -> None:
    preview = render_preview(photos / name, long_edge=512, quality=85)
    image = decode(preview)

    assert (preview.width, preview.height) == size
    assert (image.width, image.height) == size


@pytest.mark.parametrize(
    "name",
    ["exif/iphone6_gps.jpg", "exif/nokia83_gps.jpg", "exif/tiny_gps.jpg", "color/exif.avif"],
)
def test_no_exif_gps_xmp_or_iptc_survives(photos: Path, name: str) -> None:
    source = pyvips.Image.new_from_file(str(photos / name))
    image = decode(render_preview(photos / name, long_edge=256, quality=85))
    fields = image.get_fields()

    if name != "color/exif.avif":
        assert any(field.startswith("exif-ifd3-GPS") for field in source.get_fields())
    assert not [field for field in fields if field.startswith("exif-")]
    assert "xmp-data" not in fields
    assert "iptc-data" not in fields
    assert b"Exif\x00\x00" not in render_preview(photos / name, long_edge=256, quality=85).data


def test_the_same_input_gives_the_same_bytes_from_a_path_or_from_bytes(photos: Path) -> None:
    path = photos / "color/adobe_rgb__canon_xmp.jpg"

    first = render_preview(path, long_edge=300, quality=85)
    second = render_preview(path, long_edge=300, quality=85)
    from_bytes = render_preview(path.read_bytes(), long_edge=300, quality=85)

    assert first == second == from_bytes


@pytest.mark.parametrize("name", CORRUPT)
def test_damaged_files_raise_corrupt_image_naming_the_file(photos: Path, name: str) -> None:
    with pytest.raises(CorruptImage) as raised:
        render_preview(photos / "bad" / name, long_edge=256, quality=85)

    message = str(raised.value)
    assert name in message
    assert "\n" not in message
    assert str(photos) not in message


@pytest.mark.parametrize("name", CORRUPT)
def test_damaged_bytes_raise_corrupt_image_too(photos: Path, name: str) -> None:
    with pytest.raises(CorruptImage, match="<bytes>"):
        render_preview((photos / "bad" / name).read_bytes(), long_edge=256, quality=85)


@pytest.mark.parametrize("name", ["text_file_renamed.jpg", "jpeg_missing_soi_marker.jpg"])
def test_content_no_loader_recognises_is_an_imaging_error_not_corruption(
    photos: Path, name: str
) -> None:
    with pytest.raises(ImagingError, match="no format") as raised:
        render_preview(photos / "bad" / name, long_edge=256, quality=85)

    assert not isinstance(raised.value, CorruptImage)


def test_heic_renders_or_says_the_decoder_is_missing(photos: Path) -> None:
    try:
        preview = render_preview(photos / "heic/xiaomi_gps.heic", long_edge=256, quality=85)
    except CorruptImage:  # pragma: no cover - would be a regression
        raise
    except ImagingError as error:
        assert "decoder" in str(error)
        assert "xiaomi_gps.heic" in str(error)
    else:
        assert max(preview.width, preview.height) == 256


def test_a_stale_libvips_error_does_not_leak_into_the_next_message(photos: Path) -> None:
    pyvips.Image.thumbnail_buffer((photos / "bad/jpeg_truncated_baseline.jpg").read_bytes(), 64)

    with pytest.raises(CorruptImage) as raised:
        render_preview(photos / "bad/png_wrong_crc.png", long_edge=64, quality=85)

    assert "CRC" in str(raised.value)
    assert "JPEG" not in str(raised.value)


@pytest.mark.parametrize(("long_edge", "quality"), [(0, 85), (256, 0), (256, 101)])
def test_nonsense_arguments_are_refused(photos: Path, long_edge: int, quality: int) -> None:
    with pytest.raises(ValueError):
        render_preview(photos / "orientation/Landscape_1.jpg", long_edge=long_edge, quality=quality)

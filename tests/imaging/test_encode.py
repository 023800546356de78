"""encode: every output is 8-bit sRGB at the given size, carries only what its policy allows
(re-read with both libvips and Pillow), follows its encoder settings and is repeatable."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
import pyvips
from PIL import ExifTags, Image, ImageCms, features

from tests.imaging.test_metadata import (
    ARTIST,
    COPYRIGHT,
    GPS_IFD,
    MAKER_NOTE,
    exif_entries,
    full_exif,
)
from trousseau.demo.samples import generate_photo
from trousseau.errors import ImagingError
from trousseau.imaging.encode import encode
from trousseau.imaging.metadata import exif_of
from trousseau.imaging.profiles import DEFAULT_PROFILES, MetadataPolicy, Profile

LOADERS = {"jpeg": "jpegload_buffer", "webp": "webpload_buffer", "avif": "heifload_buffer"}
LOADERS["png"] = "pngload_buffer"
GPS_PHOTOS = ["exif/iphone6_gps.jpg", "exif/nokia83_gps.jpg", "color/display_p3_gps_iphonexs.avif"]
WHEN = datetime(2026, 6, 13, 14, 0, tzinfo=UTC)
ALL_FORMATS = [
    *DEFAULT_PROFILES.values(),
    Profile(name="lossless", long_edge=400, format="png", quality=100, effort=3),
]


def rendered(path: Path, profile: Profile) -> tuple[pyvips.Image, bytes | None]:
    """The photo as the pipeline hands it to encode: upright, sRGB, at the profile's size.

    The image keeps every metadata field libvips loaded (EXIF fields, XMP, IPTC, ICC), as a
    careless pipeline would, so encode alone is what must strip them.
    """
    source = pyvips.Image.new_from_file(str(path))
    width, height = profile.target_size(source.width, source.height)
    image = pyvips.Image.thumbnail(str(path), width, height=height, size="down")
    if "icc-profile-data" in source.get_fields():
        image = image.icc_transform("srgb", embedded=True)
        image.set_type(pyvips.GValue.blob_type, "icc-profile-data", source.get("icc-profile-data"))
    return image.copy_memory(), exif_of(source)


def reread(data: bytes) -> pyvips.Image:
    return pyvips.Image.new_from_buffer(data, "")


def pil_exif(data: bytes) -> Image.Exif | None:
    """The EXIF Pillow reads from an output, or None when Pillow cannot open the format."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.getexif()
    except Exception:
        if data[4:12] == b"ftypavif" and not features.check("avif"):
            return None
        raise


def assert_clean(data: bytes, profile: Profile, size: tuple[int, int]) -> None:
    """sRGB, 8-bit, the right size and format; no GPS, XMP or IPTC; upright; ICC per policy."""
    image = reread(data)
    assert image.get("vips-loader") == LOADERS[profile.format]
    assert (image.width, image.height) == size
    assert image.format == "uchar" and image.bands in (3, 4)
    assert image.interpretation == "srgb"
    fields = image.get_fields()
    assert not [f for f in fields if f.startswith("exif-ifd3")], "GPS in libvips' view"
    assert "xmp-data" not in fields and "iptc-data" not in fields
    assert image.get("orientation") == 1 if "orientation" in fields else True
    if "exif-data" in fields:
        entries = exif_entries(image.get("exif-data"))
        assert GPS_IFD not in entries["ifd0"] and entries["gps"] == {}
        assert MAKER_NOTE not in entries["exif"]
        assert entries["ifd1"] == {}
    exif = pil_exif(data)
    if exif is not None:
        assert exif.get_ifd(ExifTags.IFD.GPSInfo) == {}
        assert exif.get(ExifTags.Base.Orientation, 1) == 1
    if profile.metadata.icc == "srgb":
        icc = image.get("icc-profile-data")
        description = ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(icc)))
        assert "sRGB" in description
    else:
        assert "icc-profile-data" not in fields


@pytest.mark.parametrize("profile", ALL_FORMATS, ids=lambda p: p.name)
@pytest.mark.parametrize("name", GPS_PHOTOS)
def test_gps_photos_give_clean_srgb_outputs(shared_data: Path, name: str, profile: Profile) -> None:
    image, exif = rendered(shared_data / "photos" / name, profile)
    data = encode(image, profile, exif=exif)
    assert_clean(data, profile, (image.width, image.height))
    fields = reread(data).get_fields()
    assert ("exif-ifd0-Make" in fields) == profile.metadata.keep_camera
    assert "exif-ifd2-DateTimeOriginal" in fields


@pytest.mark.parametrize("profile", ALL_FORMATS, ids=lambda p: p.name)
def test_demo_wedding_photo_keeps_credit_and_loses_gps(profile: Profile) -> None:
    data = generate_photo(1, seed=2026, megapixels=1, when=WHEN)
    source = pyvips.Image.new_from_buffer(data, "")
    assert "exif-ifd3-GPSLatitude" in source.get_fields()
    width, height = profile.target_size(source.width, source.height)
    image = pyvips.Image.thumbnail_buffer(data, width, height=height).copy_memory()
    out = encode(image, profile, exif=exif_of(source))
    assert_clean(out, profile, (width, height))
    entries = exif_entries(reread(out).get("exif-data"))
    assert ARTIST in entries["ifd0"] and COPYRIGHT in entries["ifd0"]


@pytest.mark.parametrize(
    "name", ["color/adobe_rgb__canon_xmp.jpg", "exif/nokia_iptc.jpg", "color/prophoto_rgb.jpg"]
)
def test_xmp_iptc_and_foreign_icc_never_reach_an_output(shared_data: Path, name: str) -> None:
    profile = DEFAULT_PROFILES["reception"]
    image, exif = rendered(shared_data / "photos" / name, profile)
    assert {"xmp-data", "iptc-data"} & set(image.get_fields()) or name.endswith("prophoto_rgb.jpg")
    data = encode(image, profile, exif=exif)
    assert_clean(data, profile, (image.width, image.height))


def test_exif_fields_on_the_image_are_ignored(shared_data: Path) -> None:
    """Without `exif`, nothing the image carries (its exif-ifd3 GPS fields) is written."""
    image, _ = rendered(shared_data / "photos/exif/iphone6_gps.jpg", DEFAULT_PROFILES["social"])
    assert "exif-ifd3-GPSLatitude" in image.get_fields()
    data = encode(image, DEFAULT_PROFILES["social"])
    assert not [f for f in reread(data).get_fields() if f.startswith("exif")]
    assert b"Exif\x00\x00" not in data


def test_keep_gps_writes_the_position(shared_data: Path) -> None:
    profile = DEFAULT_PROFILES["reception"].model_copy(
        update={"metadata": MetadataPolicy(keep_gps=True)}
    )
    image, exif = rendered(shared_data / "photos/exif/nokia83_gps.jpg", profile)
    fields = reread(encode(image, profile, exif=exif)).get_fields()
    assert "exif-ifd3-GPSLatitude" in fields


def test_a_policy_that_keeps_nothing_writes_no_exif(shared_data: Path) -> None:
    nothing = MetadataPolicy(keep_copyright=False, keep_capture_time=False, keep_camera=False)
    profile = DEFAULT_PROFILES["portrait"].model_copy(update={"metadata": nothing})
    image, exif = rendered(shared_data / "photos/exif/iphone6_gps.jpg", profile)
    data = encode(image, profile, exif=exif)
    assert "exif-data" not in reread(data).get_fields()
    assert b"Exif\x00\x00" not in data


@pytest.mark.parametrize("fmt", ["jpeg", "webp", "avif", "png"])
def test_icc_none_writes_no_profile_and_the_same_pixels(fmt: str) -> None:
    image = _gradient(120, 80)
    with_icc = Profile(name="a", long_edge=120, format=fmt, quality=90)
    without = with_icc.model_copy(update={"metadata": MetadataPolicy(icc="none")})
    a, b = reread(encode(image, with_icc)), reread(encode(image, without))
    assert "icc-profile-data" in a.get_fields()
    assert "icc-profile-data" not in b.get_fields()
    assert (a - b).abs().max() == 0


@pytest.mark.parametrize("profile", ALL_FORMATS, ids=lambda p: p.name)
def test_encoding_is_repeatable(shared_data: Path, profile: Profile) -> None:
    image, exif = rendered(shared_data / "photos/exif/nokia83_gps.jpg", profile)
    assert encode(image, profile, exif=exif) == encode(image, profile, exif=exif)


def test_jpeg_settings_are_followed() -> None:
    image = _gradient(640, 480)
    portrait = reread(encode(image, DEFAULT_PROFILES["portrait"]))
    progressive = DEFAULT_PROFILES["reception"].model_copy(update={"progressive": True})
    reception = reread(encode(image, progressive))
    assert portrait.get("jpeg-chroma-subsample") == "4:4:4"
    assert portrait.get("jpeg-multiscan") == 0
    assert reception.get("jpeg-chroma-subsample") == "4:2:0"
    assert reception.get("jpeg-multiscan") == 1
    assert reread(encode(image, DEFAULT_PROFILES["reception"])).get("jpeg-multiscan") == 0


def test_optimize_coding_makes_a_smaller_baseline_jpeg() -> None:
    image = _gradient(640, 480)
    plain = Profile(name="a", long_edge=640, format="jpeg", quality=85, optimize_coding=False)
    optimized = plain.model_copy(update={"optimize_coding": True})
    assert len(encode(image, optimized)) < len(encode(image, plain))


def test_alpha_is_flattened_on_the_background_for_jpeg() -> None:
    image = _gradient(64, 64).bandjoin(0)
    profile = Profile(name="a", long_edge=64, format="jpeg", quality=95, background="#ff0000")
    out = reread(encode(image, profile))
    assert out.bands == 3
    red, green, blue = (out[band].avg() for band in range(3))
    assert red > 240 and green < 15 and blue < 15


@pytest.mark.parametrize("fmt", ["webp", "avif", "png"])
def test_alpha_is_kept_where_the_format_has_it(fmt: str) -> None:
    alpha = pyvips.Image.black(64, 64).draw_rect(255, 0, 0, 32, 64, fill=True)
    image = _gradient(64, 64).bandjoin(alpha.cast("uchar"))
    out = reread(encode(image, Profile(name="a", long_edge=64, format=fmt, quality=90)))
    assert out.bands == 4
    assert out[3].crop(0, 0, 24, 64).min() > 240 and out[3].crop(40, 0, 24, 64).max() < 15


def test_an_opaque_alpha_band_is_dropped() -> None:
    image = _gradient(64, 64).bandjoin(255)
    out = reread(encode(image, Profile(name="a", long_edge=64, format="webp", quality=90)))
    assert out.bands == 3


@pytest.mark.parametrize(
    "image",
    [
        pyvips.Image.black(40, 30).copy(interpretation="b-w") + 128,
        (pyvips.Image.black(40, 30, bands=3) + 30000).cast("ushort").copy(interpretation="rgb16"),
        pyvips.Image.black(40, 30).copy(interpretation="b-w").bandjoin(255).cast("uchar"),
    ],
    ids=["grey", "rgb16", "grey-alpha"],
)
def test_grey_and_16_bit_input_become_8_bit_srgb(image: pyvips.Image) -> None:
    out = reread(encode(image, DEFAULT_PROFILES["social"]))
    assert (out.bands, out.format, out.interpretation) == (3, "uchar", "srgb")


def test_sharpen_changes_edges_only() -> None:
    image = _gradient(200, 200).draw_rect([20, 20, 20], 60, 60, 80, 80, fill=True)
    soft = Profile(name="a", long_edge=200, format="png", quality=100)
    sharp = soft.model_copy(update={"sharpen": 1.0})
    a, b = reread(encode(image, soft)), reread(encode(image, sharp))
    assert (a - b).abs().max() > 10
    assert (a - b).abs().crop(0, 0, 40, 40).max() <= 1


@pytest.mark.parametrize("profile", ALL_FORMATS, ids=lambda p: p.name)
def test_non_ascii_credits_survive_byte_for_byte(profile: Profile) -> None:
    """libvips transliterates EXIF text it writes from string fields ("É" -> "E"); the blob
    encode attaches is written back unchanged."""
    out = reread(encode(_gradient(64, 48), profile, exif=full_exif()))
    entries = exif_entries(out.get("exif-data"))
    assert entries["ifd0"][ARTIST][2] == "Élodie Martin".encode() + b"\x00"
    assert entries["ifd0"][COPYRIGHT][2] == "© 2026 Élodie Martin".encode() + b"\x00"


def test_exif_reports_the_variant_size_and_srgb(shared_data: Path) -> None:
    profile = DEFAULT_PROFILES["thumb"]
    image, exif = rendered(shared_data / "photos/exif/iphone6_gps.jpg", profile)
    out = reread(encode(image, profile, exif=exif))
    assert out.get("exif-ifd2-PixelXDimension").startswith(f"{image.width} ")
    assert out.get("exif-ifd2-ColorSpace").startswith("1 ")
    assert "exif-ifd0-Make" not in out.get_fields()


def test_an_encoder_failure_names_the_profile() -> None:
    too_wide = pyvips.Image.black(17000, 8, bands=3).cast("uchar")
    with pytest.raises(ImagingError, match=r"profile 'social'.*webp"):
        encode(too_wide, DEFAULT_PROFILES["social"])


def _gradient(width: int, height: int) -> pyvips.Image:
    x = pyvips.Image.xyz(width, height)
    red = x[0] * 255 / max(1, width - 1)
    green = x[1] * 255 / max(1, height - 1)
    return red.bandjoin([green, (red + green) / 2]).cast("uchar").copy(interpretation="srgb")

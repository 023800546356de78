"""libvips failures become one line that names the image and gives the reason."""

from __future__ import annotations

import pytest

from trousseau.errors import CorruptImage, ImagingError
from trousseau.imaging.failure import failure_reason, imaging_error


@pytest.mark.parametrize(
    ("detail", "warnings", "expected"),
    [
        ("VipsJpeg: premature end of JPEG image\n", [], "VipsJpeg: premature end of JPEG image"),
        (
            "x.heic: bad seek to 7627076\nx.heic: bad seek to 4786\nheif: Invalid input\n",
            [],
            "heif: Invalid input",
        ),
        ("", ["VIPS: error in tile 0 x 8", "VIPS: IHDR: CRC error"], "IHDR: CRC error"),
        ("", ["VIPS: read gave 2 warnings", "VIPS: "], "libvips gave no reason"),
        ("", [], "libvips gave no reason"),
    ],
)
def test_failure_reason_skips_noise(detail: str, warnings: list[str], expected: str) -> None:
    assert failure_reason(detail, warnings) == expected


def test_damage_is_corrupt_image() -> None:
    error = imaging_error("a.jpg", "VipsJpeg: premature end of JPEG image")

    assert isinstance(error, CorruptImage)
    assert str(error).startswith("a.jpg ")


@pytest.mark.parametrize(
    "reason",
    [
        "heif: Support for this compression format has not been built in: HEVC",
        'VipsForeignLoad: "a.cr3" is not a known file format',
        "VipsForeignLoad: buffer is not in a known format",
    ],
)
def test_a_missing_decoder_is_an_imaging_error_but_not_corruption(reason: str) -> None:
    error = imaging_error("a.cr3", reason)

    assert isinstance(error, ImagingError)
    assert not isinstance(error, CorruptImage)
    assert reason in str(error)

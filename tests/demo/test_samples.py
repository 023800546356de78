"""Synthetic wedding photos: 3:2, readable EXIF, GPS on some, repeatable, distinct."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
import pyvips

from trousseau.demo.samples import (
    GPS_EVERY,
    generate_photo,
    generate_wedding,
    photo_size,
    shot_time,
)
from trousseau.imaging import decode, probe
from trousseau.imaging.probe import exif_text

START = datetime(2026, 6, 13, 14, 0, 0)


@pytest.fixture(scope="module")
def wedding(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("wedding")
    return generate_wedding(folder, 4, seed=11, megapixels=0.5, start=START)


def fields(path: Path) -> dict[str, str]:
    image = pyvips.Image.new_from_file(str(path))
    return {name: image.get(name) for name in image.get_fields() if name.startswith("exif-ifd")}


def test_files_are_named_like_a_camera_card(wedding: list[Path]) -> None:
    assert [path.name for path in wedding] == [f"IMG_000{n}.jpg" for n in range(1, 5)]
    assert sorted(path.name for path in wedding[0].parent.iterdir()) == [p.name for p in wedding]
    assert all(path.stat().st_size > 0 for path in wedding)


def test_photos_are_3_by_2_at_the_requested_size(wedding: list[Path]) -> None:
    image = pyvips.Image.new_from_file(str(wedding[0]))

    assert (image.width, image.height) == photo_size(0.5)
    assert image.width * 2 == image.height * 3
    assert image.width * image.height == pytest.approx(500_000, rel=0.01)


@pytest.mark.parametrize(("megapixels", "size"), [(24, (6000, 4000)), (6, (3000, 2000))])
def test_photo_size(megapixels: float, size: tuple[int, int]) -> None:
    assert photo_size(megapixels) == size


def test_photo_size_refuses_nothing() -> None:
    with pytest.raises(ValueError):
        photo_size(0)


def test_exif_reads_back(wedding: list[Path]) -> None:
    for index, path in enumerate(wedding, start=1):
        info = probe(path)
        exif = {name: exif_text(value) for name, value in fields(path).items()}

        assert info.captured_at == shot_time(START, index)
        assert info.camera
        assert info.orientation == 1
        assert exif["exif-ifd0-Artist"]
        assert exif["exif-ifd0-Copyright"].startswith("Copyright 2026 ")
        assert exif["exif-ifd0-Copyright"].endswith(exif["exif-ifd0-Artist"])


def test_some_photos_carry_gps(wedding: list[Path]) -> None:
    with_gps = [
        index
        for index, path in enumerate(wedding, start=1)
        if "exif-ifd3-GPSLatitude" in fields(path)
    ]

    assert with_gps == [n for n in range(1, 5) if (n - 1) % GPS_EVERY == 0]
    gps = fields(wedding[0])
    assert exif_text(gps["exif-ifd3-GPSLatitudeRef"]) in {"N", "S"}
    assert exif_text(gps["exif-ifd3-GPSLongitudeRef"]) in {"E", "W"}


def test_capture_times_increase(wedding: list[Path]) -> None:
    times = [probe(path).captured_at for path in wedding]

    assert times == sorted(times)
    assert len(set(times)) == len(times)


def test_the_same_seed_and_index_give_the_same_bytes() -> None:
    first = generate_photo(3, seed=5, megapixels=0.3, when=START)
    again = generate_photo(3, seed=5, megapixels=0.3, when=START)

    assert first == again


def test_photos_differ_by_index_and_by_seed() -> None:
    photos = {
        generate_photo(1, seed=5, megapixels=0.3, when=START),
        generate_photo(2, seed=5, megapixels=0.3, when=START),
        generate_photo(1, seed=6, megapixels=0.3, when=START),
    }

    assert len(photos) == 3


def test_progress_reports_each_photo(tmp_path: Path) -> None:
    done: list[int] = []

    paths = generate_wedding(
        tmp_path / "w", 3, seed=1, megapixels=0.1, start=START, progress=done.append
    )

    assert done == [1, 2, 3]
    assert len(paths) == 3


def test_photos_decode_fully(wedding: list[Path]) -> None:
    decoded = decode(
        wedding[1].read_bytes(), fmt="jpeg", name=wedding[1].name, long_edge=256, max_pixels=10**8
    )

    assert (decoded.image.width, decoded.image.height) == (256, 171)


def test_content_is_not_flat(wedding: list[Path]) -> None:
    image = pyvips.Image.new_from_file(str(wedding[0]))

    assert image.deviate() > 10


@pytest.mark.slow
def test_a_24_megapixel_photo_weighs_like_a_camera_jpeg() -> None:
    data = generate_photo(1, seed=2, when=START)
    image = pyvips.Image.new_from_buffer(data, "")

    assert (image.width, image.height) == (6000, 4000)
    assert 3_000_000 < len(data) < 15_000_000


def test_fine_photos_are_textured_q95_444_jpegs(tmp_path: Path) -> None:
    """`fine=True`: what a camera's fine setting writes (full chroma, busy blocks), repeatable."""
    fine = generate_photo(2, seed=5, megapixels=0.5, when=START, fine=True)
    smooth = generate_photo(2, seed=5, megapixels=0.5, when=START)

    image = pyvips.Image.new_from_buffer(fine, "")
    assert image.get("jpeg-chroma-subsample") == "4:4:4"
    assert pyvips.Image.new_from_buffer(smooth, "").get("jpeg-chroma-subsample") == "4:2:0"
    assert (image.width, image.height) == photo_size(0.5)
    assert len(fine) > len(smooth)
    assert generate_photo(2, seed=5, megapixels=0.5, when=START, fine=True) == fine
    (tmp_path / "fine.jpg").write_bytes(fine)
    assert probe(tmp_path / "fine.jpg").camera

"""Culling signals on real camera photos and on degraded copies of them: blurred, shaken,
under- and over-exposed frames score below their originals and say why; a re-encoded copy
lands in the original's burst, different scenes do not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest

from trousseau.analysis import Shot, group_bursts, measure, perceptual_hash
from trousseau.errors import InvalidValue

SCENES = (
    "orientation/Landscape_0.jpg",
    "exif/iphone6_gps.jpg",
    "exif/nokia83_gps.jpg",
    "color/adobe_rgb__canon_xmp.jpg",
    "faces/_groups/couple.jpg",
    "faces/_groups/obama_and_biden.jpg",
    "faces/_groups/two_people.jpg",
)
"""Distinct real scenes (camera photos, groups of people), none smaller than 600 px."""


def _photos(shared: Path) -> list[np.ndarray]:
    images = [cv2.imread(str(shared / "photos" / p), cv2.IMREAD_GRAYSCALE) for p in SCENES]
    return [i for i in images if i is not None]


@pytest.fixture
def photos(shared_data: Path) -> list[np.ndarray]:
    found = _photos(shared_data)
    assert len(found) == len(SCENES), "a shared photo is missing"
    return found


def _scale(img: np.ndarray) -> float:
    """How many of the image's pixels make one of the 1024-px image the signals are read on."""
    return max(1.0, max(img.shape) / 1024)


def _motion(img: np.ndarray, length: int = 21) -> np.ndarray:
    length = int(length * _scale(img)) | 1
    kernel = np.zeros((length, length))
    kernel[length // 2, :] = 1 / length
    return cv2.filter2D(img, -1, kernel)


def test_blur_and_shake_score_below_the_original(photos) -> None:
    for img in photos:
        sharp = measure(img)
        blurred = measure(cv2.GaussianBlur(img, (0, 0), 4 * _scale(img)))
        shaken = measure(_motion(img))
        assert blurred.sharpness < sharp.sharpness and blurred.keep_score <= sharp.keep_score
        assert shaken.sharpness < sharp.sharpness and shaken.keep_score <= sharp.keep_score
        assert any("blurred" in r for r in blurred.reasons)


def test_exposure_problems_are_named(photos) -> None:
    for img in photos:
        dark = measure((img.astype(np.float64) * 0.08).astype(np.uint8))
        bright = measure(np.clip(img.astype(np.float64) * 4 + 60, 0, 255).astype(np.uint8))
        assert any("underexposed" in r or "crushed" in r for r in dark.reasons), dark
        assert any("blown out" in r or "overexposed" in r for r in bright.reasons), bright
        assert dark.keep_score < measure(img).keep_score


def test_noise_is_measured(photos) -> None:
    rng = np.random.default_rng(1)
    img = photos[0]
    noisy = np.clip(img + rng.normal(0, 25, img.shape), 0, 255).astype(np.uint8)
    assert measure(noisy).noise > measure(img).noise + 5


def test_a_reencoded_copy_joins_its_burst_and_other_scenes_do_not(photos) -> None:
    t0 = datetime(2027, 6, 19, 14, 0, tzinfo=UTC)
    shots = []
    for i, img in enumerate(photos):
        at = t0 + timedelta(minutes=5 * i)
        ok, jpeg = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 55])
        assert ok
        copy = cv2.imdecode(jpeg, cv2.IMREAD_GRAYSCALE)
        shots.append(Shot(2 * i, f"IMG_{i}.JPG", at, perceptual_hash(img), measure(img).keep_score))
        shots.append(Shot(2 * i + 1, f"IMG_{i}b.JPG", at, perceptual_hash(copy),
                          measure(copy).keep_score))  # fmt: skip
    bursts = group_bursts(shots)
    assert sorted(sorted(s.id for s in b.shots) for b in bursts) == [
        [2 * i, 2 * i + 1] for i in range(len(photos))
    ]
    # the same scenes without capture times: told apart by their hashes alone
    timeless = [Shot(s.id, s.name, None, s.dhash, s.keep_score) for s in shots]
    assert len(group_bursts(timeless)) == len(photos)


def test_the_pick_is_the_best_frame_of_its_burst() -> None:
    t0 = datetime(2027, 6, 19, 14, 0, tzinfo=UTC)
    burst = [Shot(i, f"IMG_{i}", t0 + timedelta(seconds=i), 0b1011, s)
             for i, s in enumerate([0.4, 0.9, 0.7])]  # fmt: skip
    (only,) = group_bursts(burst)
    assert only.pick.id == 1
    apart = [*burst, Shot(9, "IMG_9", t0 + timedelta(minutes=5), 0b1011, 1.0)]
    assert len(group_bursts(apart)) == 2  # same look, minutes apart: another moment


def test_a_tiny_image_is_refused() -> None:
    with pytest.raises(InvalidValue, match="too small"):
        measure(np.zeros((8, 8), dtype=np.uint8))


def test_the_day_is_cut_into_moments_at_pauses_and_scene_changes() -> None:
    from trousseau.analysis import day_moments as moments

    t0 = datetime(2027, 6, 19, 11, 0, tzinfo=UTC)
    ready = [Shot(i, f"a{i}", t0 + timedelta(minutes=2 * i), 0x0F0F, 0.5 + i / 100)
             for i in range(5)]  # fmt: skip
    ceremony = [Shot(10 + i, f"b{i}", t0 + timedelta(hours=2, minutes=i), 0x0F0F, 0.6)
                for i in range(5)]  # fmt: skip
    # 7 minutes later, another scene (the hashes far apart): the portraits
    other_scene = ~0x0F0F & (2**64 - 1)
    portraits = [Shot(20 + i, f"c{i}", t0 + timedelta(hours=2, minutes=11 + i), other_scene, 0.7)
                 for i in range(3)]  # fmt: skip
    undated = [Shot(30, "scan.jpg", None, 0, 0.9)]
    cut = moments([*portraits, *undated, *ceremony, *ready])
    assert [len(m.shots) for m in cut] == [5, 5, 3, 1]
    assert cut[0].representative.id == 4 and cut[0].start == t0
    assert cut[3].start is None
    # the same 7-minute pause without a scene change stays in the moment
    same = [Shot(40 + i, f"d{i}", t0 + timedelta(hours=2, minutes=11 + i), 0x0F0F, 0.7)
            for i in range(3)]  # fmt: skip
    assert [len(m.shots) for m in moments([*ceremony, *same])] == [8]

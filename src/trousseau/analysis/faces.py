"""Faces in a photo: where they are (a detection cascade) and who they look like (embeddings).

Detection is OpenCV's YuNet, run twice: once on the photo reduced to `first_pass` pixels on
its long edge (every face of a portrait or a group), then, when the photo is larger than
that, on the whole photo at up to `second_pass` pixels (in tiles of at most `tile` pixels
a side, spread evenly, so memory stays bounded), where the small faces of a crowd are; the
two passes are merged by non-maximum suppression. A face that was small in the pass that
found it is located again on a full-resolution crop around it, so that its landmarks are
the photo's own. Each face is then aligned on its five landmarks (the
similarity transform to the 112x112 template SFace was trained on) and embedded by SFace
into a unit 128-d vector: the cosine of two embeddings is their likeness.

This replaced square 1,280 px tiles at full resolution overlapping by 320 px, which read
1.6 times a 24 MP photo's pixels: at 4,800 px a crowd's 40 px faces are still 32 px, which
YuNet finds, and six even tiles overlapping by 192 px read 1.14 times the reduced photo's
(bench.analysis' 24 MP crowd frames, one core: 1.33 s a frame instead of 2.27, every face
still found; peak memory 0.52 GB instead of 0.37, one untiled pass 1.5 GB).

The models are loaded once per process from their package, checked against their pinned
digests (`analysis.models`). Pixels come in as a BGR uint8 array (OpenCV's order); boxes
and landmarks come out in that array's pixels (`faces_from_variant`: the original's).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import cv2
import numpy as np

from trousseau.analysis.models import DETECTOR, RECOGNISER, model_path

EMBEDDING_SIZE = 128
SHARPNESS_FROM = 112
"""The least face size (px) whose crop sharpness says something of focus (`Face.sharpness`)."""
_TEMPLATE = np.array(
    [
        [38.2946, 51.6963],
        [73.5318, 51.5014],
        [56.0252, 71.7366],
        [41.5493, 92.3655],
        [70.7299, 92.2041],
    ],
    dtype=np.float32,
)


@dataclass(frozen=True)
class Face:
    """One face: its box (x0, y0, x1, y1), detector score, five landmarks (eyes, nose tip,
    mouth corners) and, once embedded, its unit embedding."""

    box: tuple[float, float, float, float]
    score: float
    landmarks: tuple[tuple[float, float], ...]
    embedding: np.ndarray | None = None
    sharpness: float | None = None
    """log10(1 + the variance of the Laplacian) of the aligned 112 px crop's middle (eyes to
    mouth), once embedded: the subject's sharpness. None for a face under `SHARPNESS_FROM`
    px in the pixels it was found in: its crop is an enlargement, soft whatever the focus."""

    @property
    def size(self) -> float:
        """The box's shorter side, in pixels: how small a face the photo holds."""
        return min(self.box[2] - self.box[0], self.box[3] - self.box[1])

    def scaled(self, factor: float) -> Face:
        """The same face in pixels `factor` times larger (e.g. a variant's to the original's)."""
        x0, y0, x1, y1 = self.box
        return replace(
            self,
            box=(x0 * factor, y0 * factor, x1 * factor, y1 * factor),
            landmarks=tuple((x * factor, y * factor) for x, y in self.landmarks),
        )


@dataclass(frozen=True)
class Cascade:
    """How faces are looked for: the reduced pass, the whole-photo pass, and what counts as
    a face."""

    first_pass: int = 1280
    second_pass: int | None = 4800
    """Long edge of the pass over the whole photo (a larger photo is reduced to it); None:
    the reduced pass alone (faster; the small faces of crowds are missed)."""
    tile: int = 2000
    """Longest side of a tile of the second pass (YuNet's memory grows with its input:
    about 1.1 GB more for a whole 4,800 x 3,200 photo than for its tiles)."""
    overlap: int = 192
    """Least overlap of neighbouring tiles, in the second pass's pixels: a face up to this
    size cut by one tile's edge is whole in its neighbour. Larger faces found in a tile are
    dropped (they may be a part of a face cut by its edge): the first pass finds them."""
    refine_below: float = 112
    """A face smaller than this many pixels in the pass that found it is located again at
    full resolution (SFace's template is 112 px: smaller, its landmarks are coarse)."""
    refine_margin: float = 1.0
    """The full-resolution crop around such a face: its box grown by this many box sides."""
    crowd_below: float = 112
    """A face smaller than this many pixels in a variant sends the photo to its original
    (`FaceAnalyser.faces_from_variant`): the crowds and large groups whose faces a reduced
    photo loses (on bench.analysis' crowd frames, 3000 px variants find 91% of the faces,
    their originals all)."""
    original_edge: int = 4800
    """Longest edge an original is read at for its faces (`FaceAnalyser.faces_from_variant`):
    the second pass's, so that the pass reads the decoded pixels as they are. A 24 MP frame
    is reduced while it is decoded rather than after (bench.analysis' crowd frames: the same
    faces and persons one photo at a time, 0.14 s less a frame); a 100 MP frame or a
    panorama is never held whole."""
    min_score: float = 0.7
    nms_iou: float = 0.3

    def __post_init__(self) -> None:
        if not 0 <= self.overlap < self.tile:
            raise ValueError(f"tiles of {self.tile} px cannot overlap by {self.overlap} px")
        if self.original_edge < 1:
            raise ValueError(f"original_edge must be at least 1 px, not {self.original_edge}")


class FaceAnalyser:
    """The loaded detector and recogniser of this process (OpenCV's nets are not shared
    between threads: one analyser per thread or process)."""

    def __init__(self, cascade: Cascade | None = None) -> None:
        self.cascade = cascade or Cascade()
        self._detector = cv2.FaceDetectorYN.create(
            str(model_path(DETECTOR)), "", (320, 320), self.cascade.min_score, 0.3, 5000
        )
        self._recogniser = cv2.dnn.readNetFromONNX(str(model_path(RECOGNISER)))

    def faces(self, image: np.ndarray) -> list[Face]:
        """Every face of a BGR image, embedded."""
        return [self.embed(image, face) for face in self.detect(image)]

    def detect(self, image: np.ndarray) -> list[Face]:
        """The faces of a BGR image, by the cascade, strongest first."""
        return self._cascade(image, self._pass(image, self.cascade.first_pass))

    def faces_from_variant(
        self,
        variant: np.ndarray,
        factor: float,
        original: Callable[[], np.ndarray | None],
    ) -> list[Face]:
        """Every face of a photo, embedded, in its original's pixels, read from a variant
        `factor` times smaller than the original; or from the original itself, which
        `original` decodes (upright, BGR), when the variant shows a face smaller than
        `Cascade.crowd_below`: a crowd or a large group, whose faces the variant's pixels
        shrink past what the detector finds and the recogniser tells apart. When the
        original cannot be read (`original` gives None) or OpenCV refuses it, the variant's
        faces stand."""
        c = self.cascade
        first = self._pass(variant, c.first_pass)
        found: list[Face] | None = None
        if factor <= 1.0 or not any(f.size < c.crowd_below for f, _ in first):
            found = self._cascade(variant, first)
            if factor <= 1.0 or not any(f.size < c.crowd_below for f in found):
                return [self.embed(variant, f).scaled(factor) for f in found]
        pixels = original()
        if pixels is not None:
            ratio = max(pixels.shape[:2]) / max(variant.shape[:2])
            moved = [(f.scaled(ratio), scale / ratio) for f, scale in first]
            try:
                faces = [self.embed(pixels, f) for f in self._cascade(pixels, moved)]
            except cv2.error:  # the nets refuse the original: the variant's faces stand
                pass
            else:  # in the pixels decoded; the original's, should the decode differ
                return [f.scaled(factor / ratio) for f in faces]
        found = self._cascade(variant, first) if found is None else found
        return [self.embed(variant, f).scaled(factor) for f in found]

    def _cascade(self, image: np.ndarray, first: list[tuple[Face, float]]) -> list[Face]:
        """The first pass's faces (each with the scale of the pass that found it) merged
        with the second pass's, the small ones located again at full resolution."""
        height, width = image.shape[:2]
        c = self.cascade
        found = list(first)
        if c.second_pass is not None and max(height, width) > c.first_pass:
            found += self._pass(image, c.second_pass)
        scale_of = {id(face): scale for face, scale in found}
        return [
            self._refine(image, face)
            if scale_of[id(face)] < 1.0 and face.size * scale_of[id(face)] < c.refine_below
            else face
            for face in suppress([face for face, _ in found], c.nms_iou)
        ]

    def _pass(self, image: np.ndarray, edge: int) -> list[tuple[Face, float]]:
        """The faces YuNet finds in the image reduced to `edge` pixels on its long side (in
        tiles), in the image's pixels, each with the pass's scale."""
        height, width = image.shape[:2]
        c = self.cascade
        scale = min(1.0, edge / max(height, width))
        pixels = image
        if scale < 1.0:
            pixels = reduce(image, (max(1, round(width * scale)), max(1, round(height * scale))))
        rows, columns = pixels.shape[:2]
        parts = tiles(columns, rows, c.tile, c.overlap)
        found = []
        for x, y, w, h in parts:
            for face in self._detect(pixels[y : y + h, x : x + w]):
                if len(parts) > 1 and face.size > c.overlap:  # maybe cut by the edge
                    continue
                found.append((_moved(face, x, y).scaled(1 / scale), scale))
        return found

    def _refine(self, image: np.ndarray, face: Face) -> Face:
        """The face as YuNet finds it on a full-resolution crop around it (its landmarks
        exact to the pixel); the face as it was when the crop holds no such face."""
        height, width = image.shape[:2]
        x0, y0, x1, y1 = face.box
        margin = max(x1 - x0, y1 - y0) * self.cascade.refine_margin
        cx0, cy0 = int(max(0.0, x0 - margin)), int(max(0.0, y0 - margin))
        cx1, cy1 = int(min(width, x1 + margin)), int(min(height, y1 + margin))
        again = [_moved(f, cx0, cy0) for f in self._detect(image[cy0:cy1, cx0:cx1])]
        best = max(again, key=lambda f: overlap(f.box, face.box), default=None)
        return best if best is not None and overlap(best.box, face.box) > 0.3 else face

    def embed(self, image: np.ndarray, face: Face) -> Face:
        """The face with its unit SFace embedding, from the image's own pixels."""
        aligned = align(image, face.landmarks)
        blob = cv2.dnn.blobFromImage(aligned, 1.0, (112, 112), (0, 0, 0), True, False)
        self._recogniser.setInput(blob, "data")
        output: Any = self._recogniser.forward()
        vector = np.asarray(output, dtype=np.float32).reshape(-1)
        norm = float(np.linalg.norm(vector))
        sharpness = crop_sharpness(aligned) if face.size >= SHARPNESS_FROM else None
        return replace(face, embedding=vector / norm if norm else vector, sharpness=sharpness)

    def _detect(self, image: np.ndarray) -> list[Face]:
        height, width = image.shape[:2]
        if min(height, width) < 16:
            return []
        self._detector.setInputSize((width, height))
        rows: Any = self._detector.detect(np.ascontiguousarray(image))[1]
        return [] if rows is None else [_face(row) for row in rows]


@functools.cache
def shared_analyser() -> FaceAnalyser:
    """One analyser for this process (a job process or a command)."""
    return FaceAnalyser()


def tiles(width: int, height: int, tile: int, overlap: int) -> list[tuple[int, int, int, int]]:
    """Rectangles (x, y, w, h) of at most `tile` pixels a side covering the image, as few as
    can be and spread evenly, neighbours overlapping by at least `overlap` pixels."""

    def spans(length: int) -> list[tuple[int, int]]:
        if length <= tile:
            return [(0, length)]
        count = math.ceil((length - overlap) / (tile - overlap))
        size = min(tile, math.ceil((length + (count - 1) * overlap) / count))
        return [((length - size) * i // (count - 1), size) for i in range(count)]

    return [(x, y, w, h) for y, h in spans(height) for x, w in spans(width)]


def reduce(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The image reduced to `size` (width, height) by area averaging: first by the largest
    whole factor (OpenCV's fast path: 7 ms for a 24 MP frame halved, where one fractional
    step to 1,280 px takes 84), then by the fraction left."""
    height, width = image.shape[:2]
    whole = int(min(width / size[0], height / size[1]))
    if whole >= 2:
        image = cv2.resize(image, (width // whole, height // whole), interpolation=cv2.INTER_AREA)
    if (image.shape[1], image.shape[0]) == size:
        return image
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def suppress(faces: Sequence[Face], iou: float) -> list[Face]:
    """Non-maximum suppression: the strongest of faces overlapping by more than `iou`."""
    kept: list[Face] = []
    for face in sorted(faces, key=lambda f: -f.score):
        if all(overlap(face.box, other.box) <= iou for other in kept):
            kept.append(face)
    return kept


def overlap(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """Intersection over union of two (x0, y0, x1, y1) boxes."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def align(image: np.ndarray, landmarks: Sequence[tuple[float, float]]) -> np.ndarray:
    """The 112x112 face crop SFace expects: the similarity transform taking the five
    landmarks onto the template."""
    source = np.asarray(landmarks, dtype=np.float32)
    matrix: Any = cv2.estimateAffinePartial2D(source, _TEMPLATE, method=cv2.LMEDS)[0]
    if matrix is None:  # degenerate landmarks: the box's centre square instead
        matrix = _box_transform(source)
    return cv2.warpAffine(image, matrix, (112, 112), flags=cv2.INTER_LINEAR)


def crop_sharpness(aligned: np.ndarray) -> float:
    """log10(1 + the variance of the Laplacian) over the middle of an aligned 112 px face
    (eyes, nose and mouth; the background at the crop's edges left out)."""
    gray = cv2.cvtColor(aligned, cv2.COLOR_BGR2GRAY) if aligned.ndim == 3 else aligned
    middle = gray[16:104, 16:96].astype(np.float64)
    return math.log10(1 + float(cv2.Laplacian(middle, cv2.CV_64F).var()))


def _box_transform(points: np.ndarray) -> np.ndarray:
    x0, y0 = points.min(axis=0)
    x1, y1 = points.max(axis=0)
    side = max(x1 - x0, y1 - y0, 1.0) * 2.2
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    s = 112 / side
    return np.array([[s, 0, 56 - s * cx], [0, s, 56 - s * cy]], dtype=np.float32)


def _face(row: Any) -> Face:
    x, y, w, h = (float(v) for v in row[:4])
    points = tuple((float(row[4 + 2 * i]), float(row[5 + 2 * i])) for i in range(5))
    return Face(box=(x, y, x + w, y + h), score=float(row[14]), landmarks=points)


def _moved(face: Face, dx: int, dy: int) -> Face:
    x0, y0, x1, y1 = face.box
    return replace(
        face,
        box=(x0 + dx, y0 + dy, x1 + dx, y1 + dy),
        landmarks=tuple((x + dx, y + dy) for x, y in face.landmarks),
    )

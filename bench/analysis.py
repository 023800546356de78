"""Faces, measured: trousseau's cascade and persons against dlib's HOG + ResNet, on the shared
labelled faces and on a harder set made from them the way a wedding looks.

`python -m bench.analysis [--frames 36] [--dlib-frames 12]`. Two sets, both from
`../shared/data/photos/faces` (18 people; skipped cleanly when absent):

- shared: the single-person photos as they are (the largest face of each);
- hard: `--frames` 24-megapixel crowd frames (seeded): 3-8 faces of 40-120 px pasted with
  soft edges into a generated scene, some cut by the frame's edge, then reception light
  (-1.5 to -3 EV with a colour cast), sensor noise, motion blur on every third frame, and a
  JPEG at quality 90. One photo of each person is held out as their selfie.

For each system: detection recall (a truth face is found when a detected box's centre lies
in it and their sizes are within 2.5x), false detections, pairwise precision and recall of
the persons it makes (false detections count as people of their own), find-me precision@10
(each held-out selfie against the frames; k is at most the frames the person is in), and
seconds per photo on one core (detection and embeddings, decode not counted). trousseau runs
on the full frame and on the 3,000 px variant its scan reads; dlib (`dlib-bin` with
`face_recognition_models`, in its own virtual environment under .bench/, made on first use)
with HOG at full size with one upsampling (the accuracy reference) and at 2,048 px (the
time-matched one), its 128-d ResNet descriptors, and chinese whispers at 0.5 (its usual
setting), on the first `--dlib-frames` hard frames (7-8 s a frame at full size), trousseau
scored again on those same frames beside it. Floors (issue 18): shared precision and
recall 1.00; hard detection >= 0.97, pairwise precision >= 0.99 and recall >= 0.97, <= 1.5 s
per 24 MP frame on one core.
The table is written between the `bench:analysis` markers of docs/benchmarks.md.
"""

from __future__ import annotations

if __name__ == "__main__" and not __package__:
    raise SystemExit("run it from the repository root as a module: python -m bench.analysis")

import argparse
import datetime as dt
import json
import math
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from bench.harness import DOCS, REPO, recipe, say, write_section
from trousseau.analysis.faces import overlap

FACES = REPO.parent / "shared" / "data" / "photos" / "faces"
CACHE = REPO / ".bench" / "analysis"
DLIB_VENV = REPO / ".bench" / "dlib-venv"
START, END = "<!-- bench:analysis:start -->", "<!-- bench:analysis:end -->"
SEED = 1818
VARIANT_ALONE = "trousseau, 3000 px variant alone (for contrast)"
FACES_JOB = "trousseau, faces job (variant, then original)"
WHEN = dt.datetime(2027, 6, 19, 21, 0, tzinfo=dt.UTC)


@dataclass
class Truth:
    box: tuple[float, float, float, float]
    person: str


@dataclass
class Frame:
    path: Path
    faces: list[Truth]


@dataclass
class Detection:
    frame: int
    box: tuple[float, float, float, float]
    embedding: np.ndarray | None = None
    label: object = None


@dataclass
class Run:
    system: str
    detections: list[Detection] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    persons: list[object] = field(default_factory=list)
    selfies: dict[str, np.ndarray] = field(default_factory=dict)
    metric: str = "cosine"
    note: str = ""


# ---------------------------------------------------------------------------------------------
# The sets


def labelled_photos() -> dict[str, list[Path]]:
    return {
        p.name: sorted(p.iterdir())
        for p in sorted(FACES.iterdir())
        if p.is_dir() and not p.name.startswith("_")
    }


def shared_set(photos: dict[str, list[Path]]) -> list[Frame]:
    """Each single-person photo, its face's truth box from the analyser (the largest face)."""
    from trousseau.analysis import FaceAnalyser

    analyser = FaceAnalyser()
    frames = []
    for person, paths in photos.items():
        for path in paths:
            faces = analyser.detect(cv2.imread(str(path)))
            box = max(faces, key=lambda f: f.size).box if faces else (0, 0, 1, 1)
            frames.append(Frame(path, [Truth(box, person)]))
    return frames


def hard_set(photos: dict[str, list[Path]], count: int) -> tuple[list[Frame], dict[str, Path]]:
    """Crowd frames (cached by seed and count) and each person's held-out selfie."""
    from trousseau.analysis import FaceAnalyser
    from trousseau.demo.samples import generate_photo

    selfies = {person: paths[0] for person, paths in photos.items()}
    pool = [(person, p) for person, paths in photos.items() for p in paths[1:]]
    folder = CACHE / f"hard-s{SEED}-{count}"
    index = folder / "truth.json"
    if index.exists():
        rows = json.loads(index.read_text())
        frames = [
            Frame(folder / r["file"], [Truth(tuple(t["box"]), t["person"]) for t in r["faces"]])
            for r in rows
        ]
        return frames, selfies
    folder.mkdir(parents=True, exist_ok=True)
    analyser = FaceAnalyser()
    crops = {}
    for person, path in pool:
        image = cv2.imread(str(path))
        faces = analyser.detect(image)
        if not faces:
            continue
        x0, y0, x1, y1 = max(faces, key=lambda f: f.size).box
        size = max(x1 - x0, y1 - y0)
        m = 0.45 * size
        cx0, cy0 = int(max(0, x0 - m)), int(max(0, y0 - m))
        cx1, cy1 = int(min(image.shape[1], x1 + m)), int(min(image.shape[0], y1 + m))
        crops[(person, path.name)] = (
            image[cy0:cy1, cx0:cx1],
            (x0 - cx0, y0 - cy0, x1 - cx0, y1 - cy0),
        )
    rng = np.random.default_rng(SEED)
    keys = sorted(crops)
    rows = []
    frames = []
    for n in range(count):
        scene = cv2.imdecode(
            np.frombuffer(
                generate_photo(n + 1, seed=SEED, megapixels=24, when=WHEN, fine=True), np.uint8
            ),
            cv2.IMREAD_COLOR,
        ).astype(np.float32)
        height, width = scene.shape[:2]
        people = rng.choice(
            sorted({k[0] for k in keys}), size=int(rng.integers(3, 9)), replace=False
        )
        taken: list[tuple[float, float, float, float]] = []
        truths = []
        for person in people:
            options = [k for k in keys if k[0] == person]
            crop, (fx0, fy0, fx1, fy1) = crops[options[int(rng.integers(len(options)))]]
            scale = float(rng.uniform(40, 120)) / max(fx1 - fx0, fy1 - fy0)
            piece = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
            ph, pw = piece.shape[:2]
            partial = rng.random() < 0.12
            for _ in range(200):
                x = int(
                    rng.integers(
                        -pw // 3 if partial else 0, width - (2 * pw // 3 if partial else pw)
                    )
                )
                y = int(rng.integers(0, height - ph))
                box = (x + fx0 * scale, y + fy0 * scale, x + fx1 * scale, y + fy1 * scale)
                if all(overlap((x, y, x + pw, y + ph), t) == 0 for t in taken):
                    break
            taken.append((x, y, x + pw, y + ph))
            _paste(scene, piece, x, y)
            clipped = (max(0.0, box[0]), box[1], min(float(width), box[2]), box[3])
            truths.append(Truth(clipped, str(person)))
        ev = float(rng.uniform(1.5, 3.0))
        cast = np.array([rng.uniform(0.75, 0.95), 1.0, rng.uniform(1.05, 1.25)])  # BGR: warm
        scene = scene * (2.0**-ev) * cast
        scene += rng.normal(0, float(rng.uniform(2, 5)), scene.shape)
        if n % 3 == 2:
            length = int(rng.integers(5, 10))
            kernel = np.zeros((length, length), np.float32)
            kernel[length // 2, :] = 1.0 / length
            scene = cv2.filter2D(scene, -1, kernel)
        name = f"crowd-{n:03d}.jpg"
        cv2.imwrite(
            str(folder / name),
            np.clip(scene, 0, 255).astype(np.uint8),
            [cv2.IMWRITE_JPEG_QUALITY, 90],
        )
        frames.append(Frame(folder / name, truths))
        rows.append(
            {"file": name, "faces": [{"box": list(t.box), "person": t.person} for t in truths]}
        )
        say(f"  frame {n + 1}/{count}: {len(truths)} faces")
    index.write_text(json.dumps(rows))
    return frames, selfies


def _paste(scene: np.ndarray, piece: np.ndarray, x: int, y: int) -> None:
    ph, pw = piece.shape[:2]
    mask = np.zeros((ph, pw), np.float32)
    cv2.ellipse(mask, (pw // 2, ph // 2), (int(pw * 0.48), int(ph * 0.5)), 0, 0, 360, 1.0, -1)
    mask = cv2.GaussianBlur(mask, (0, 0), max(1.0, pw / 20))[..., None]
    x0, x1 = max(0, x), min(scene.shape[1], x + pw)
    region = scene[y : y + ph, x0:x1]
    part = piece[:, x0 - x : x1 - x].astype(np.float32)
    alpha = mask[:, x0 - x : x1 - x]
    scene[y : y + ph, x0:x1] = region * (1 - alpha) + part * alpha


# ---------------------------------------------------------------------------------------------
# The systems


def largest_only(run: Run) -> Run:
    """The shared set labels one face per photo: keep each photo's largest detection."""
    best: dict[int, Detection] = {}
    for d in run.detections:
        size = max(d.box[2] - d.box[0], d.box[3] - d.box[1])
        if d.frame not in best or size > max(
            best[d.frame].box[2] - best[d.frame].box[0], best[d.frame].box[3] - best[d.frame].box[1]
        ):
            best[d.frame] = d
    keep = {id(d) for d in best.values()}
    labels = [label for d, label in zip(run.detections, run.persons, strict=True) if id(d) in keep]
    run.detections = [d for d in run.detections if id(d) in keep]
    run.persons = labels
    return run


def run_trousseau(
    frames: list[Frame], selfies: dict[str, Path], *, long_edge: int | None, label: str
) -> Run:
    from trousseau.analysis import FaceAnalyser

    cv2.setNumThreads(1)
    analyser = FaceAnalyser()
    run = Run(label)
    for index, frame in enumerate(frames):
        image = cv2.imread(str(frame.path))
        factor = 1.0
        if long_edge and max(image.shape[:2]) > long_edge:
            factor = max(image.shape[:2]) / long_edge
            image = cv2.resize(
                image, None, fx=1 / factor, fy=1 / factor, interpolation=cv2.INTER_AREA
            )
        started = time.process_time()
        faces = analyser.faces(image)
        run.seconds.append(time.process_time() - started)
        run.detections += [Detection(index, f.scaled(factor).box, f.embedding) for f in faces]
    return _grouped(run, analyser, selfies)


def _grouped(run: Run, analyser: Any, selfies: dict[str, Path]) -> Run:
    """The run's faces grouped as analysis.scan groups a batch of photos (up to 64: faces of
    one frame apart), and each person's selfie embedded for find-me."""
    from trousseau.analysis import cluster

    embeddings = (
        np.array([d.embedding for d in run.detections]) if run.detections else np.zeros((0, 128))
    )
    run.persons = list(cluster(embeddings, photos=[d.frame for d in run.detections]))
    for person, path in selfies.items():
        faces = analyser.faces(cv2.imread(str(path)))
        if faces:
            run.selfies[person] = max(faces, key=lambda f: f.size).embedding
    return run


def run_faces_job(frames: list[Frame], selfies: dict[str, Path], *, label: str) -> Run:
    """What the `faces` job does with each frame: its largest default variant, rendered by
    trousseau's imaging (3000 px, as the variants job stores it), decoded and searched, and
    the original decoded and searched instead when the variant shows small faces. The time
    is both decodes' and the search's (the variant's rendering and the reads are not
    counted: the variants job and the vault do them)."""
    from trousseau.analysis import FaceAnalyser
    from trousseau.analysis.signals import colour_pixels
    from trousseau.imaging import (
        Original,
        cpu_backend,
        enabled_profiles,
        load_profiles,
        render,
        source_size,
    )
    from trousseau.settings import Settings

    cv2.setNumThreads(1)
    imaging = Settings().imaging
    largest = enabled_profiles(load_profiles())[0]
    backend = cpu_backend(imaging)
    analyser = FaceAnalyser()
    run = Run(label)
    originals = 0
    for index, frame in enumerate(frames):
        data = frame.path.read_bytes()
        (variant,) = render(Original(data, "jpeg", frame.path.name), [largest], backend).variants
        long_side = max(source_size(data, fmt="jpeg", name=frame.path.name))

        def original(
            data: bytes = data, name: str = frame.path.name, long_side: int = long_side
        ) -> np.ndarray:
            nonlocal originals
            originals += 1
            return colour_pixels(
                data,
                fmt="jpeg",
                name=name,
                long_edge=min(long_side, analyser.cascade.original_edge),
                max_pixels=imaging.max_pixels,
            )

        started = time.process_time()
        pixels = cv2.imdecode(np.frombuffer(variant.data, np.uint8), cv2.IMREAD_COLOR)
        factor = long_side / max(variant.width, variant.height)
        faces = analyser.faces_from_variant(pixels, factor, original)
        run.seconds.append(time.process_time() - started)
        run.detections += [Detection(index, f.box, f.embedding) for f in faces]
    run.note = (
        f"{label}: the 3000 px variant rendered as the variants job stores it, decoded and "
        f"searched; {originals} of {len(frames)} frames showed small faces there and were read "
        "from their original (decoded upright at full size by the imaging decode); both "
        "decodes are in its time"
    )
    return _grouped(run, analyser, selfies)


def one_photo_at_a_time(run: Run) -> Run:
    """The same faces grouped as the `faces` job groups them: each photo's faces join the
    persons made so far (`assign`), one photo after another, nothing regrouped."""
    from trousseau.analysis import Known, assign

    labels: list[object] = [None] * len(run.detections)
    known: dict[int, Known] = {}
    made = 0
    for frame in sorted({d.frame for d in run.detections}):
        rows = [i for i, d in enumerate(run.detections) if d.frame == frame]
        batch = np.array([run.detections[i].embedding for i in rows])
        persons = assign(batch, known, photos=[frame] * len(rows)).persons
        new: dict[int, int] = {}
        for i, person in zip(rows, persons, strict=True):
            if person < 0:
                if person not in new:
                    made += 1
                    new[person] = made
                person = new[person]
            labels[i] = person
            total, count = (known[person].total, known[person].count) if person in known else (0, 0)
            known[person] = Known(total + run.detections[i].embedding, count + 1)
    return Run(
        run.system + ", one photo at a time (as the faces job groups)",
        run.detections,
        run.seconds,
        labels,
        run.selfies,
        run.metric,
    )


DLIB_DRIVER = r"""
import json, sys, time
import dlib, numpy as np, face_recognition_models as models
from PIL import Image
Image.MAX_IMAGE_PIXELS = None
job = json.load(open(sys.argv[1]))
detector = dlib.get_frontal_face_detector()
shape = dlib.shape_predictor(models.pose_predictor_five_point_model_location())
net = dlib.face_recognition_model_v1(models.face_recognition_model_location())
def faces(path, long_edge, upsample):
    image = Image.open(path).convert("RGB")
    factor = 1.0
    if long_edge and max(image.size) > long_edge:
        factor = max(image.size) / long_edge
        size = (round(image.width / factor), round(image.height / factor))
        image = image.resize(size, Image.LANCZOS)
    pixels = np.asarray(image)
    started = time.process_time()
    found = []
    for r in detector(pixels, upsample):
        d = net.compute_face_descriptor(pixels, shape(pixels, r))
        box = [r.left(), r.top(), r.right(), r.bottom()]
        found.append({"box": [v * factor for v in box], "embedding": list(d)})
    return found, time.process_time() - started
out = {"frames": [], "selfies": {}}
for path in job["frames"]:
    found, seconds = faces(path, job["long_edge"], job["upsample"])
    out["frames"].append({"faces": found, "seconds": seconds})
for person, path in job["selfies"].items():
    found, _ = faces(path, 0, 1)
    if found:
        out["selfies"][person] = max(found, key=lambda f: f["box"][2] - f["box"][0])["embedding"]
descriptors = [dlib.vector(f["embedding"]) for fr in out["frames"] for f in fr["faces"]]
out["labels"] = list(dlib.chinese_whispers_clustering(descriptors, 0.5)) if descriptors else []
json.dump(out, open(sys.argv[2], "w"))
"""


def dlib_python() -> Path | None:
    python = DLIB_VENV / "bin" / "python"
    if python.exists():
        return python
    say(f"making dlib's environment in {DLIB_VENV} (dlib-bin, face_recognition_models) ...")
    try:
        subprocess.run([sys.executable, "-m", "venv", str(DLIB_VENV)], check=True)
        subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "-q",
                "dlib-bin",
                "face_recognition_models",
                "numpy",
                "pillow",
                "setuptools",
            ],
            check=True,
        )
    except subprocess.CalledProcessError as exc:
        say(f"dlib unavailable: {exc}")
        return None
    return python


def run_dlib(
    frames: list[Frame], selfies: dict[str, Path], *, long_edge: int, label: str
) -> Run | None:
    python = dlib_python()
    if python is None:
        return None
    CACHE.mkdir(parents=True, exist_ok=True)
    driver, job, result = CACHE / "dlib_driver.py", CACHE / "dlib_job.json", CACHE / "dlib_out.json"
    driver.write_text(DLIB_DRIVER)
    job.write_text(
        json.dumps(
            {
                "frames": [str(f.path) for f in frames],
                "long_edge": long_edge,
                "upsample": 1,
                "selfies": {p: str(s) for p, s in selfies.items()},
            }
        )
    )
    subprocess.run(
        [str(python), str(driver), str(job), str(result)],
        check=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    out = json.loads(result.read_text())
    run = Run(label, metric="euclidean")
    for index, entry in enumerate(out["frames"]):
        run.seconds.append(entry["seconds"])
        run.detections += [
            Detection(index, tuple(f["box"]), np.array(f["embedding"])) for f in entry["faces"]
        ]
    run.persons = list(out["labels"])
    run.selfies = {p: np.array(e) for p, e in out["selfies"].items()}
    return run


# ---------------------------------------------------------------------------------------------
# Scoring


@dataclass
class Score:
    system: str
    truth: int
    found: int
    false: int
    precision: float
    recall: float
    at10: float
    seconds: float

    @property
    def detection(self) -> float:
        return self.found / self.truth if self.truth else 1.0


def score(frames: list[Frame], run: Run) -> Score:
    from trousseau.analysis import DEFAULT_THRESHOLD, pairwise_scores

    matched: dict[int, str] = {}
    found = 0
    for index, frame in enumerate(frames):
        mine = [i for i, d in enumerate(run.detections) if d.frame == index]
        for truth in frame.faces:
            tx0, ty0, tx1, ty1 = truth.box
            tsize = max(tx1 - tx0, ty1 - ty0)
            best = None
            for i in mine:
                if i in matched:
                    continue
                x0, y0, x1, y1 = run.detections[i].box
                cx, cy, size = (x0 + x1) / 2, (y0 + y1) / 2, max(x1 - x0, y1 - y0)
                if tx0 <= cx <= tx1 and ty0 <= cy <= ty1 and 1 / 2.5 <= size / tsize <= 2.5:
                    best = i
                    break
            if best is not None:
                matched[best] = truth.person
                found += 1
    truth_labels = [matched.get(i, f"false-{i}") for i in range(len(run.detections))]
    precision, recall = pairwise_scores(truth_labels, run.persons)
    frames_of: dict[str, set[int]] = {}
    for i, person in matched.items():
        frames_of.setdefault(person, set()).add(run.detections[i].frame)
    hits = []
    for person, selfie in run.selfies.items():
        relevant = frames_of.get(person, set()) | {
            n for n, f in enumerate(frames) if any(t.person == person for t in f.faces)
        }
        if not relevant:
            continue
        best: dict[int, float] = {}
        for d in run.detections:
            if run.metric == "cosine":
                s = float(d.embedding @ selfie)
                ok = s >= DEFAULT_THRESHOLD
            else:
                s = -float(np.linalg.norm(d.embedding - selfie))
                ok = -s <= 0.6
            if ok and s > best.get(d.frame, -math.inf):
                best[d.frame] = s
        ranked = sorted(best, key=lambda f: -best[f])
        k = min(10, len(relevant))
        hits.append(sum(1 for f in ranked[:k] if f in relevant) / k)
    truth_count = sum(len(f.faces) for f in frames)
    return Score(
        run.system,
        truth_count,
        found,
        len(run.detections) - len(matched),
        precision,
        recall,
        float(np.mean(hits)) if hits else 0.0,
        float(np.mean(run.seconds)),
    )


# ---------------------------------------------------------------------------------------------
# Report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=36, help="hard crowd frames (36)")
    parser.add_argument(
        "--dlib-frames",
        type=int,
        default=12,
        help="the first N hard frames dlib runs on (7-8 s a frame), trousseau again beside it",
    )
    parser.add_argument("--no-dlib", action="store_true", help="trousseau only")
    parser.add_argument("--date")
    parser.add_argument("--docs", type=Path, default=DOCS)
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args(argv)
    if not FACES.is_dir():
        say(f"{FACES} is absent: this benchmark needs the shared labelled faces")
        return 0
    photos = labelled_photos()
    say("shared set ...")
    shared = shared_set(photos)
    say(f"hard set: {args.frames} crowd frames of 24 MP ...")
    hard, selfies = hard_set(photos, args.frames)
    rows: list[tuple[str, Score]] = []
    notes: list[str] = []
    few = hard[: args.dlib_frames]
    for name, frames, picks in (("shared", shared, {}), ("hard", hard, selfies)):
        systems: list[tuple[str, Callable[[], Run | None], list[Frame]]] = [
            (
                "trousseau, full frame",
                lambda f=frames, s=picks: run_trousseau(
                    f, s, long_edge=None, label="trousseau, full frame"
                ),
                frames,
            )
        ]
        if name == "hard":
            systems.append(
                (
                    VARIANT_ALONE,
                    lambda f=frames, s=picks: run_trousseau(
                        f, s, long_edge=3000, label=VARIANT_ALONE
                    ),
                    frames,
                )
            )
            systems.append(
                (
                    FACES_JOB,
                    lambda f=frames, s=picks: run_faces_job(f, s, label=FACES_JOB),
                    frames,
                )
            )
        if not args.no_dlib:
            subset = frames if name == "shared" else few
            on = "" if name == "shared" else f" (first {len(few)} frames)"
            if name == "hard":
                systems.append(
                    (
                        f"trousseau, full frame{on}",
                        lambda s=picks, on=on: run_trousseau(
                            few, s, long_edge=None, label=f"trousseau, full frame{on}"
                        ),
                        few,
                    )
                )
            systems.append(
                (
                    f"dlib HOG, full size, upsample 1{on}",
                    lambda f=subset, s=picks, on=on: run_dlib(
                        f, s, long_edge=0, label=f"dlib HOG, full size, upsample 1{on}"
                    ),
                    subset,
                )
            )
            if name == "hard":
                systems.append(
                    (
                        f"dlib HOG, 2048 px, upsample 1{on}",
                        lambda s=picks, on=on: run_dlib(
                            few, s, long_edge=2048, label=f"dlib HOG, 2048 px, upsample 1{on}"
                        ),
                        few,
                    )
                )
        for label, make, used in systems:
            say(f"{name}: {label} ...")
            run = make()
            if run is not None and name == "shared":
                run = largest_only(run)
            if run is not None:
                rows.append((name, score(used, run)))
                if run.note:
                    notes.append(run.note)
            if run is not None and name == "hard" and label in ("trousseau, full frame", FACES_JOB):
                rows.append((name, score(used, one_photo_at_a_time(run))))
    table = [
        "| set | system | faces | detected | false detections | pairwise precision "
        "| pairwise recall | find-me P@10 | s/photo, one core |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, s in rows:
        at10 = f"{s.at10:.2f}" if name == "hard" else "-"
        table.append(
            f"| {name} | {s.system} | {s.truth} | {s.found} ({s.detection:.3f}) | {s.false} | "
            f"{s.precision:.3f} | {s.recall:.3f} | {at10} | {s.seconds:.2f} |"
        )
    checks = []
    for name, s in rows:
        if s.system == "trousseau, full frame" and name == "shared":
            checks.append(
                (
                    s.precision == 1.0 and s.recall == 1.0 and s.detection == 1.0,
                    f"shared: detection {s.detection:.3f}, precision {s.precision:.3f}, "
                    f"recall {s.recall:.3f} (floor 1.00)",
                )
            )
        if (
            name == "hard"
            and s.system.startswith("trousseau")
            and "first" not in s.system
            and s.system != VARIANT_ALONE
        ):
            checks.append(
                (s.detection >= 0.97, f"hard, {s.system}: detection {s.detection:.3f} (floor 0.97)")
            )
            checks.append(
                (
                    s.precision >= 0.99,
                    f"hard, {s.system}: pairwise precision {s.precision:.3f} (floor 0.99)",
                )
            )
            checks.append(
                (s.recall >= 0.97, f"hard, {s.system}: pairwise recall {s.recall:.3f} (floor 0.97)")
            )
            checks.append(
                (
                    s.seconds <= 1.5,
                    f"hard, {s.system}: {s.seconds:.2f} s per frame on one core (floor 1.5)",
                )
            )
    date = args.date or dt.date.today().isoformat()
    cpu = platform.processor() or platform.machine()
    command = recipe("bench.analysis", list(sys.argv[1:] if argv is None else argv)).strip()
    section = "\n".join(
        [
            START,
            f"_Generated by `python -m bench.analysis` on {date}; rerun it (or `make bench`) "
            "to refresh._",
            "",
            f"- Command: `{command}`",
            f"- Machine: {os.cpu_count()} CPU cores ({cpu}), Python {platform.python_version()}, "
            f"OpenCV {cv2.__version__}; every system on one core (process CPU time of detection "
            "and embeddings; decoding not counted, except in the faces job's rows, which count "
            "both decodes)",
            f"- Sets: shared = the {len(shared)} single-person photos of "
            f"../shared/data/photos/faces ({len(photos)} people, each photo's largest face); "
            f"hard = {len(hard)} generated 24 MP crowd frames (3-8 faces of 40-120 px, some cut "
            "by the edge, -1.5 to -3 EV with a warm cast, noise, motion blur on every third, "
            "JPEG q90), each person's first photo held out as the selfie; dlib (7-8 s a frame "
            f"at full size) runs on the first {len(few)}, trousseau again beside it on the same "
            "frames",
            "",
            *table,
            "",
            *[f"- {note}." for note in notes],
            "",
            *[f"- {'PASS' if ok else 'MISS'}: {text}" for ok, text in checks],
            END,
        ]
    )
    print(section)
    if not args.no_docs:
        write_section(args.docs, section, start=START, end=END, heading="## Analysis: faces")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

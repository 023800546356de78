"""Looking for the faces of a wedding's new photos and grouping them into persons (the I/O
shell around `faces` and `persons`; the CLI, and next the API and the job kind, call it).

Each photo is read from its largest variant (3000 px by default), its faces are found and
embedded, their boxes scaled to the upright original's pixels, and a batch of photos joins
the wedding's persons in one transaction with the photos' scan marks. A photo whose variant
shows small faces (a crowd, a large group) is read again from its original, decoded upright
by the imaging decode: a reduced photo loses the smallest faces and blurs the others past
telling guests apart (`FaceAnalyser.faces_from_variant`). A photo that cannot be read is
marked with its reason and not tried again; one without variants yet waits for its next
scan; one whose original cannot be read keeps the faces of its variant.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import cv2
import numpy as np
import pyvips

from trousseau.analysis.faces import EMBEDDING_SIZE, Face, FaceAnalyser, shared_analyser
from trousseau.analysis.persons import Known, assign, find_me
from trousseau.analysis.signals import colour_pixels
from trousseau.catalog import (
    Catalog,
    FoundFace,
    Photo,
    Wedding,
    already_scanned,
    create_person,
    grow_person,
    load_persons,
    lock_persons,
    photos_by_id,
    photos_to_scan,
    record_scan,
    variants_by_photo,
    wedding_faces,
)
from trousseau.errors import (
    BlobCorrupt,
    BlobMissing,
    FacesDisabled,
    ImagingError,
    NoFace,
    TrousseauError,
)
from trousseau.vault import Vault

BATCH = 64


@dataclass
class ScanReport:
    """What one scan did: photos scanned, faces found, photos waiting for their variants,
    photos that could not be read (name, reason), persons created."""

    photos: int = 0
    faces: int = 0
    waiting: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    new_persons: int = 0
    originals: int = 0
    """Photos read again from their original (small faces in their variant)."""
    unread_originals: list[tuple[str, str]] = field(default_factory=list)
    """Photos whose original could not be read (name, reason): their variant's faces stand."""


def require_faces(wedding: Wedding) -> None:
    """FacesDisabled unless the wedding opted in."""
    if not wedding.faces:
        raise FacesDisabled(
            f"face analysis is off for wedding {wedding.slug!r}: the couple must opt in "
            "(`trousseau ingest --faces` when the wedding is created, `faces: true` when the "
            "API creates it, or the setting analysis.faces_default for new weddings)"
        )


def scan_faces(
    catalog: Catalog,
    vault: Vault,
    wedding: Wedding,
    *,
    clock: Callable[[], datetime],
    threshold: float,
    analyser: FaceAnalyser | None = None,
    batch: int = BATCH,
    photo_ids: Sequence[int] | None = None,
    raw_policy: str = "auto",
) -> ScanReport:
    """Find and group the faces of the wedding's photos not scanned yet (of `photo_ids`
    only, when given: the `faces` job's one photo). A RAW original read for its small faces
    is decoded by `raw_policy`, the setting its variants were rendered with (imaging.raw_policy),
    so that the boxes land where the variants show the faces."""
    require_faces(wedding)
    analyser = analyser or shared_analyser()
    report = ScanReport()
    with catalog.begin() as conn:
        pending = [photo_id for photo_id, _ in photos_to_scan(conn, wedding.id)]
    if photo_ids is not None:
        pending = [p for p in pending if p in set(photo_ids)]
    for start in range(0, len(pending), batch):
        ids = pending[start : start + batch]
        with catalog.begin() as conn:
            photos = photos_by_id(conn, ids)
            variants = variants_by_photo(conn, ids)
        found: dict[int, list[Face]] = {}
        errors: dict[int, str] = {}
        for photo_id in ids:
            photo = photos.get(photo_id)
            if photo is None:  # erased meanwhile
                continue
            choices = variants.get(photo_id, [])
            if not choices:
                report.waiting += 1
                continue
            source = max(choices, key=lambda v: max(v.width, v.height))
            try:
                data = vault.get_bytes(source.sha256)
            except TrousseauError as exc:
                errors[photo_id] = f"variant {source.profile} unreadable: {exc}"
                continue
            pixels = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
            if pixels is None:
                errors[photo_id] = f"variant {source.profile} could not be decoded"
                continue
            long_side = max(photo.width or 0, photo.height or 0)
            factor = long_side / max(source.width, source.height) if long_side else 1.0
            original = _original_loader(
                vault, photo, report, long_edge=analyser.cascade.original_edge,
                raw_policy=raw_policy,
            )  # fmt: skip
            try:
                found[photo_id] = analyser.faces_from_variant(pixels, factor, original)
            except cv2.error as exc:  # an input OpenCV's nets refuse: recorded, not retried
                reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else "cv2.error"
                errors[photo_id] = f"face analysis failed on variant {source.profile}: {reason}"
        _record(catalog, wedding, found, errors, clock(), threshold, report)
        report.photos += len(found) + len(errors)
        report.failed += [(photos[i].original_name, errors[i]) for i in errors]
    return report


def _original_loader(
    vault: Vault, photo: Photo, report: ScanReport, *, long_edge: int, raw_policy: str
) -> Callable[[], np.ndarray | None]:
    """What reads a photo's original when its faces need it: upright BGR pixels at full
    size (reduced to `long_edge` when larger), or None (with the reason in `report`) when it
    is missing, damaged or cannot be decoded. Any other vault error (a store that does not
    answer) is raised: the job is retried rather than the photo marked scanned without its
    original."""

    def load() -> np.ndarray | None:
        try:
            data = vault.get_bytes(photo.sha256)
            pixels = colour_pixels(
                data,
                fmt=photo.format,
                name=photo.original_name,
                long_edge=min(long_edge, max(photo.width or 1, photo.height or 1)),
                max_pixels=max(1, (photo.width or 1) * (photo.height or 1)),
                raw_policy=raw_policy,
            )
        except (BlobMissing, BlobCorrupt, ImagingError) as exc:
            report.unread_originals.append((photo.original_name, str(exc)))
            return None
        except (pyvips.Error, MemoryError) as exc:
            reason = " ".join(str(exc).split()) or type(exc).__name__
            report.unread_originals.append(
                (photo.original_name, f"{photo.original_name} could not be decoded ({reason})")
            )
            return None
        report.originals += 1
        return pixels

    return load


def _record(
    catalog: Catalog,
    wedding: Wedding,
    found: dict[int, list[Face]],
    errors: dict[int, str],
    now: datetime,
    threshold: float,
    report: ScanReport,
) -> None:
    with catalog.begin() as conn:
        # one writer of a wedding's persons at a time (jobs of its photos run in parallel):
        # the persons are read after the lock, so no two jobs make one guest twice
        lock_persons(conn, wedding.id)
        scanned = already_scanned(conn, [*found, *errors])
        for photo_id in scanned:  # another scan recorded them meanwhile
            found.pop(photo_id, None)
            errors.pop(photo_id, None)
        rows = [(photo_id, f) for photo_id, faces in found.items() for f in faces]
        known = {p.id: Known(p.total, p.faces) for p in load_persons(conn, wedding.id)}
        embeddings = np.array([f.embedding for _, f in rows], dtype=np.float32)
        photos = [photo_id for photo_id, _ in rows]
        assignment = assign(embeddings, known, threshold, photos).persons if rows else ()
        totals = {pid: (k.total.copy(), k.count) for pid, k in known.items()}
        for (_, f), pid in zip(rows, assignment, strict=True):
            total, count = totals.get(pid, (np.zeros(EMBEDDING_SIZE, np.float32), 0))
            totals[pid] = (total + f.embedding, count + 1)
        ids: dict[int, int] = {}
        for pid, (total, count) in totals.items():
            if pid < 0:
                ids[pid] = create_person(
                    conn,
                    tenant_id=wedding.tenant_id,
                    wedding_id=wedding.id,
                    total=total,
                    faces=count,
                    now=now,
                )
                report.new_persons += 1
            elif count != known[pid].count:
                grow_person(conn, pid, total=total, faces=count)
        by_photo: dict[int, list[FoundFace]] = {photo_id: [] for photo_id in found}
        for (photo_id, f), pid in zip(rows, assignment, strict=True):
            assert f.embedding is not None
            by_photo[photo_id].append(
                FoundFace(f.box, f.score, f.embedding, ids.get(pid, pid), f.sharpness)
            )
        for photo_id, faces in by_photo.items():
            record_scan(
                conn,
                tenant_id=wedding.tenant_id,
                wedding_id=wedding.id,
                photo_id=photo_id,
                faces=faces,
                now=now,
            )
            report.faces += len(faces)
        for photo_id, reason in errors.items():
            record_scan(
                conn,
                tenant_id=wedding.tenant_id,
                wedding_id=wedding.id,
                photo_id=photo_id,
                faces=[],
                now=now,
                error=reason,
            )


@dataclass(frozen=True)
class Match:
    """A photo of the person in the selfie: its original name and the likeness."""

    photo_id: int
    photo: str
    confidence: float


def find_person(
    catalog: Catalog,
    wedding: Wedding,
    selfie: np.ndarray,
    *,
    threshold: float,
    analyser: FaceAnalyser | None = None,
) -> list[Match]:
    """The wedding's photos of the person whose face is largest in `selfie` (BGR pixels),
    most alike first; NoFace when the selfie holds none."""
    require_faces(wedding)
    analyser = analyser or shared_analyser()
    faces = analyser.faces(selfie)
    if not faces:
        raise NoFace("no face was found in the selfie: use a photo where the face is clear")
    mine = max(faces, key=lambda f: f.size)
    assert mine.embedding is not None
    with catalog.begin() as conn:
        rows = wedding_faces(conn, wedding.id)
    names = {r.photo_id: r.original_name for r in rows}
    ranked = find_me(mine.embedding, [(r.photo_id, r.embedding) for r in rows], threshold)
    return [Match(photo_id, names[photo_id], score) for photo_id, score in ranked]

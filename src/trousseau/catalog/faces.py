"""Faces and persons: every statement on `person`, `face` and `face_scan`, and the wedding's
opt-in (`wedding.faces`).

Embeddings are stored as little-endian float32 bytes and leave this module only as numpy
arrays for the analysis that compares them; nothing here hands them to the web.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection, delete, func, select, update

from trousseau.catalog.engine import inserted_id
from trousseau.catalog.schema import face, face_scan, person, photo, wedding
from trousseau.catalog.text import check_text
from trousseau.errors import InvalidValue, NotFound

if TYPE_CHECKING:  # numpy loads with the first vector: every command opens the catalog
    import numpy as np


@dataclass(frozen=True)
class FoundFace:
    """A face to record: its box in the upright original's pixels, score, embedding and the
    person it joined."""

    box: tuple[float, float, float, float]
    score: float
    embedding: np.ndarray
    person_id: int
    sharpness: float | None = None


@dataclass(frozen=True)
class FaceRow:
    id: int
    photo_id: int
    original_name: str
    box: tuple[float, float, float, float]
    score: float
    person_id: int | None
    embedding: np.ndarray


@dataclass(frozen=True)
class PersonRow:
    id: int
    name: str | None
    faces: int
    total: np.ndarray


def photos_of_persons(faces: Sequence[FaceRow]) -> dict[int, list[tuple[int, str]]]:
    """Each person's photos as (photo id, original name), in the faces' order, once each."""
    out: dict[int, list[tuple[int, str]]] = {}
    for row in faces:
        if row.person_id is None:
            continue
        photos = out.setdefault(row.person_id, [])
        if (row.photo_id, row.original_name) not in photos:
            photos.append((row.photo_id, row.original_name))
    return out


def encode_vector(vector: np.ndarray) -> bytes:
    import numpy as np

    return np.asarray(vector, dtype="<f4").tobytes()


def decode_vector(data: bytes) -> np.ndarray:
    import numpy as np

    return np.frombuffer(data, dtype="<f4").copy()


def set_wedding_faces(conn: Connection, wedding_id: int, enabled: bool) -> None:
    """Turn face analysis on or off for a wedding (off keeps what was found; forget deletes)."""
    conn.execute(update(wedding).where(wedding.c.id == wedding_id).values(faces=enabled))


def wedding_faces_enabled(conn: Connection, wedding_id: int) -> bool:
    value = conn.execute(select(wedding.c.faces).where(wedding.c.id == wedding_id)).scalar()
    return bool(value)


def photos_to_scan(conn: Connection, wedding_id: int) -> list[tuple[int, str]]:
    """(id, original name) of the wedding's photos whose faces were not looked for yet."""
    scanned = select(face_scan.c.photo_id).where(face_scan.c.wedding_id == wedding_id)
    rows = conn.execute(
        select(photo.c.id, photo.c.original_name)
        .where(photo.c.wedding_id == wedding_id, photo.c.id.not_in(scanned))
        .order_by(photo.c.id)
    )
    return [(r.id, r.original_name) for r in rows]


def lock_persons(conn: Connection, wedding_id: int) -> None:
    """Hold the wedding's persons for this transaction: a write to its row takes PostgreSQL's
    row lock and SQLite's write lock, so concurrent scans of one wedding queue here."""
    conn.execute(update(wedding).where(wedding.c.id == wedding_id).values(faces=wedding.c.faces))


def already_scanned(conn: Connection, photo_ids: Sequence[int]) -> set[int]:
    """Which of these photos have a scan mark."""
    if not photo_ids:
        return set()
    rows = conn.execute(select(face_scan.c.photo_id).where(face_scan.c.photo_id.in_(photo_ids)))
    return set(rows.scalars())


def load_persons(conn: Connection, wedding_id: int) -> list[PersonRow]:
    rows = conn.execute(
        select(person.c.id, person.c.name, person.c.faces, person.c.total)
        .where(person.c.wedding_id == wedding_id)
        .order_by(person.c.id)
    )
    return [PersonRow(r.id, r.name, r.faces, decode_vector(r.total)) for r in rows]


def create_person(
    conn: Connection,
    *,
    tenant_id: int,
    wedding_id: int,
    total: np.ndarray,
    faces: int,
    now: datetime,
) -> int:
    return inserted_id(
        conn.execute(
            person.insert().values(
                tenant_id=tenant_id,
                wedding_id=wedding_id,
                name=None,
                total=encode_vector(total),
                faces=faces,
                created_at=now,
            )
        )
    )


def grow_person(conn: Connection, person_id: int, *, total: np.ndarray, faces: int) -> None:
    """Store a person's new embedding sum and face count (after faces joined it)."""
    conn.execute(
        update(person)
        .where(person.c.id == person_id)
        .values(total=encode_vector(total), faces=faces)
    )


def record_scan(
    conn: Connection,
    *,
    tenant_id: int,
    wedding_id: int,
    photo_id: int,
    faces: Sequence[FoundFace],
    now: datetime,
    error: str | None = None,
) -> None:
    """A photo's faces (or why they could not be looked for), written with its scan mark."""
    for found in faces:
        x0, y0, x1, y1 = found.box
        conn.execute(
            face.insert().values(
                tenant_id=tenant_id,
                wedding_id=wedding_id,
                photo_id=photo_id,
                person_id=found.person_id,
                x0=x0,
                y0=y0,
                x1=x1,
                y1=y1,
                score=found.score,
                embedding=encode_vector(found.embedding),
                sharpness=found.sharpness,
            )
        )
    conn.execute(
        face_scan.insert().values(
            photo_id=photo_id,
            wedding_id=wedding_id,
            faces=len(faces),
            error=error,
            scanned_at=now,
        )
    )


def wedding_faces(conn: Connection, wedding_id: int) -> list[FaceRow]:
    """Every face of the wedding with its photo's original name, by photo then position."""
    rows = conn.execute(
        select(face, photo.c.original_name)
        .join(photo, photo.c.id == face.c.photo_id)
        .where(face.c.wedding_id == wedding_id)
        .order_by(face.c.photo_id, face.c.id)
    )
    return [
        FaceRow(
            r.id,
            r.photo_id,
            r.original_name,
            (r.x0, r.y0, r.x1, r.y1),
            r.score,
            r.person_id,
            decode_vector(r.embedding),
        )
        for r in rows
    ]


def subject_sharpness(conn: Connection, wedding_id: int) -> dict[int, float]:
    """Each photo's sharpest measured face, by photo id: the subject's sharpness, for the
    photos with a face large enough to measure (opted-in weddings only have faces)."""
    rows = conn.execute(
        select(face.c.photo_id, func.max(face.c.sharpness))
        .where(face.c.wedding_id == wedding_id, face.c.sharpness.is_not(None))
        .group_by(face.c.photo_id)
    )
    return {photo_id: float(value) for photo_id, value in rows}


def scan_failures(conn: Connection, wedding_id: int) -> list[tuple[str, str]]:
    """(original name, reason) of the wedding's photos whose faces could not be looked for."""
    rows = conn.execute(
        select(photo.c.original_name, face_scan.c.error)
        .join(photo, photo.c.id == face_scan.c.photo_id)
        .where(face_scan.c.wedding_id == wedding_id, face_scan.c.error.is_not(None))
        .order_by(photo.c.id)
    )
    return [(r.original_name, r.error) for r in rows]


def name_person(conn: Connection, wedding_id: int, person_id: int, name: str | None) -> None:
    """Name (or un-name) one of the wedding's persons; NotFound for another wedding's."""
    if name is not None:
        check_text(name, field="the person's name")
    done = conn.execute(
        update(person)
        .where(person.c.id == person_id, person.c.wedding_id == wedding_id)
        .values(name=name)
    )
    if done.rowcount == 0:
        raise NotFound(f"no person {person_id} in this wedding: `trousseau people` lists them")


def forget_person(conn: Connection, wedding_id: int, person_id: int) -> int:
    """Delete a person and its faces with their embeddings; the photos stay scanned, so the
    person does not come back. Returns the faces deleted."""
    exists = conn.execute(
        select(func.count())
        .select_from(person)
        .where(person.c.id == person_id, person.c.wedding_id == wedding_id)
    ).scalar_one()
    if not exists:
        raise NotFound(f"no person {person_id} in this wedding: `trousseau people` lists them")
    gone = conn.execute(
        delete(face).where(face.c.person_id == person_id, face.c.wedding_id == wedding_id)
    ).rowcount
    conn.execute(delete(person).where(person.c.id == person_id))
    return int(gone)


def merge_persons(conn: Connection, wedding_id: int, into: int, other: int) -> int:
    """Make `other` part of `into` (one guest found as two): its faces move, the embedding
    sums and counts add up, `into` keeps its name (or takes `other`'s), and `other` is
    deleted. Returns the faces moved; NotFound for a person not in this wedding."""
    if into == other:
        raise InvalidValue(
            f"person {into} cannot be merged into itself: give the ids of two persons "
            "(`trousseau people` lists them)"
        )
    lock_persons(conn, wedding_id)
    found = {p.id: p for p in _persons(conn, wedding_id, [into, other])}
    for person_id in (into, other):
        if person_id not in found:
            raise NotFound(f"no person {person_id} in this wedding: `trousseau people` lists them")
    keep, gone = found[into], found[other]
    moved = conn.execute(
        update(face)
        .where(face.c.person_id == other, face.c.wedding_id == wedding_id)
        .values(person_id=into)
    ).rowcount
    conn.execute(
        update(person)
        .where(person.c.id == into)
        .values(
            total=encode_vector(keep.total + gone.total),
            faces=keep.faces + gone.faces,
            name=keep.name if keep.name is not None else gone.name,
        )
    )
    conn.execute(delete(person).where(person.c.id == other))
    return int(moved)


def split_person(
    conn: Connection,
    wedding_id: int,
    person_id: int,
    face_ids: Sequence[int],
    *,
    now: datetime,
) -> int:
    """Take some of a person's faces out into a new person (two guests found as one): the
    new person's embedding sum is those faces', the rest stay. Returns the new person's id;
    InvalidValue unless the faces are some, not all, of the person's."""
    import numpy as np

    wanted = set(face_ids)
    if not wanted:
        raise InvalidValue("name the faces to split off (their ids from `trousseau people`)")
    lock_persons(conn, wedding_id)
    found = _persons(conn, wedding_id, [person_id])
    if not found:
        raise NotFound(f"no person {person_id} in this wedding: `trousseau people` lists them")
    rows = conn.execute(
        select(face.c.id, face.c.embedding, face.c.tenant_id).where(
            face.c.person_id == person_id, face.c.wedding_id == wedding_id
        )
    ).all()
    own = {r.id: decode_vector(r.embedding) for r in rows}
    strangers = sorted(wanted - own.keys())
    if strangers:
        raise InvalidValue(
            f"face(s) {', '.join(map(str, strangers))} are not person {person_id}'s: "
            "`trousseau people --json` lists each face with its person"
        )
    if wanted == own.keys():
        raise InvalidValue(
            f"those are all of person {person_id}'s faces: split off some of them, or rename it"
        )
    (source,) = found
    taken = np.sum([own[i] for i in sorted(wanted)], axis=0)
    new_id = create_person(
        conn,
        tenant_id=rows[0].tenant_id,
        wedding_id=wedding_id,
        total=taken,
        faces=len(wanted),
        now=now,
    )
    conn.execute(update(face).where(face.c.id.in_(sorted(wanted))).values(person_id=new_id))
    conn.execute(
        update(person)
        .where(person.c.id == person_id)
        .values(total=encode_vector(source.total - taken), faces=source.faces - len(wanted))
    )
    return new_id


def _persons(conn: Connection, wedding_id: int, ids: Sequence[int]) -> list[PersonRow]:
    rows = conn.execute(
        select(person.c.id, person.c.name, person.c.faces, person.c.total).where(
            person.c.wedding_id == wedding_id, person.c.id.in_(list(ids))
        )
    )
    return [PersonRow(r.id, r.name, r.faces, decode_vector(r.total)) for r in rows]


def erase_wedding_faces(conn: Connection, wedding_id: int) -> int:
    """Every face, person and scan mark of a wedding (its erasure): the faces deleted."""
    gone = conn.execute(delete(face).where(face.c.wedding_id == wedding_id)).rowcount
    conn.execute(delete(person).where(person.c.wedding_id == wedding_id))
    conn.execute(delete(face_scan).where(face_scan.c.wedding_id == wedding_id))
    return int(gone)

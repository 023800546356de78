"""Faces and persons in the catalog (both backends): the opt-in, scans with their faces,
persons grown and named, forgetting a person, and a wedding's erasure taking its faces."""

from __future__ import annotations

import numpy as np
import pytest

from trousseau.catalog import (
    FoundFace,
    create_person,
    erase_wedding_rows,
    forget_person,
    grow_person,
    load_persons,
    name_person,
    photos_to_scan,
    record_scan,
    scan_failures,
    set_wedding_faces,
    wedding_faces,
    wedding_faces_enabled,
)
from trousseau.errors import InvalidValue, NotFound

from .conftest import wedding_with_photos


def _unit(seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=128).astype(np.float32)
    return v / np.linalg.norm(v)


def test_scans_record_faces_and_persons_and_leave_the_rest_to_scan(catalog, clock) -> None:
    with catalog.begin() as conn:
        wedding, photos = wedding_with_photos(conn, clock, "w1", faces=True)
        other, _ = wedding_with_photos(conn, clock, "w2", faces=False)
        assert wedding_faces_enabled(conn, wedding.id) and not wedding_faces_enabled(conn, other.id)
        alice = create_person(
            conn,
            tenant_id=wedding.tenant_id,
            wedding_id=wedding.id,
            total=_unit(1),
            faces=1,
            now=clock(),
        )
        record_scan(
            conn,
            tenant_id=wedding.tenant_id,
            wedding_id=wedding.id,
            photo_id=photos[0],
            faces=[FoundFace((1.5, 2.0, 30.0, 41.0), 0.93, _unit(1), alice)],
            now=clock(),
        )
        record_scan(
            conn,
            tenant_id=wedding.tenant_id,
            wedding_id=wedding.id,
            photo_id=photos[1],
            faces=[],
            now=clock(),
            error="variant reception could not be decoded",
        )
        grow_person(conn, alice, total=_unit(1) * 2, faces=2)
        name_person(conn, wedding.id, alice, "Grandma Ada")
    with catalog.begin() as conn:
        assert [pid for pid, _ in photos_to_scan(conn, wedding.id)] == [photos[2]]
        (row,) = wedding_faces(conn, wedding.id)
        assert row.original_name == "IMG_0.JPG" and row.box == (1.5, 2.0, 30.0, 41.0)
        assert row.person_id == alice and np.allclose(row.embedding, _unit(1))
        (person,) = load_persons(conn, wedding.id)
        assert (person.name, person.faces) == ("Grandma Ada", 2)
        assert np.allclose(person.total, _unit(1) * 2)
        assert scan_failures(conn, wedding.id) == [
            ("IMG_1.JPG", "variant reception could not be decoded")
        ]
        with pytest.raises(NotFound):
            name_person(conn, other.id, alice, "someone else's")
        with pytest.raises(InvalidValue):
            name_person(conn, wedding.id, alice, "bad\x00name")
        set_wedding_faces(conn, other.id, True)
        assert wedding_faces_enabled(conn, other.id)


def test_forgetting_a_person_deletes_its_faces_and_the_photo_stays_scanned(catalog, clock) -> None:
    with catalog.begin() as conn:
        wedding, photos = wedding_with_photos(conn, clock, "w1", faces=True)
        ids = [
            create_person(
                conn,
                tenant_id=wedding.tenant_id,
                wedding_id=wedding.id,
                total=_unit(i),
                faces=1,
                now=clock(),
            )
            for i in (1, 2)
        ]
        record_scan(
            conn,
            tenant_id=wedding.tenant_id,
            wedding_id=wedding.id,
            photo_id=photos[0],
            faces=[
                FoundFace((0, 0, 9, 9), 0.9, _unit(i), pid)
                for i, pid in zip((1, 2), ids, strict=True)
            ],
            now=clock(),
        )
    with catalog.begin() as conn:
        assert forget_person(conn, wedding.id, ids[0]) == 1
        with pytest.raises(NotFound):
            forget_person(conn, wedding.id, ids[0])
    with catalog.begin() as conn:
        assert [r.person_id for r in wedding_faces(conn, wedding.id)] == [ids[1]]
        assert [p.id for p in load_persons(conn, wedding.id)] == [ids[1]]
        assert photos[0] not in [pid for pid, _ in photos_to_scan(conn, wedding.id)]


def test_erasing_a_wedding_erases_its_faces_and_persons(catalog, clock) -> None:
    with catalog.begin() as conn:
        wedding, photos = wedding_with_photos(conn, clock, "w1", faces=True)
        kept, kept_photos = wedding_with_photos(conn, clock, "w2", faces=True)
        for w, p in ((wedding, photos[0]), (kept, kept_photos[0])):
            pid = create_person(
                conn, tenant_id=w.tenant_id, wedding_id=w.id, total=_unit(3), faces=1, now=clock()
            )
            record_scan(
                conn,
                tenant_id=w.tenant_id,
                wedding_id=w.id,
                photo_id=p,
                faces=[FoundFace((0, 0, 9, 9), 0.9, _unit(3), pid)],
                now=clock(),
            )
    with catalog.begin() as conn:
        erase_wedding_rows(conn, tenant_id=wedding.tenant_id, wedding_id=wedding.id)
    with catalog.begin() as conn:
        assert wedding_faces(conn, wedding.id) == [] and load_persons(conn, wedding.id) == []
        assert len(wedding_faces(conn, kept.id)) == 1 and len(load_persons(conn, kept.id)) == 1


def _person_with_faces(conn, clock, wedding, photos, seeds) -> tuple[int, list[int]]:
    """A person of the wedding with one face per (photo, seed); its id and its faces' ids."""
    from trousseau.catalog.schema import face

    total = sum(_unit(s) for s in seeds)
    pid = create_person(conn, tenant_id=wedding.tenant_id, wedding_id=wedding.id,
                        total=total, faces=len(seeds), now=clock())  # fmt: skip
    for photo_id, seed in zip(photos, seeds, strict=True):
        found = [FoundFace((0, 0, 9, 9), 0.9, _unit(seed), pid)]
        record_scan(conn, tenant_id=wedding.tenant_id, wedding_id=wedding.id, photo_id=photo_id,
                    faces=found, now=clock())  # fmt: skip
    ids = conn.execute(face.select().where(face.c.person_id == pid).order_by(face.c.id)).all()
    return pid, [r.id for r in ids]


def test_two_persons_of_one_guest_are_merged(catalog, clock) -> None:
    from trousseau.catalog import merge_persons

    with catalog.begin() as conn:
        wedding, photos = wedding_with_photos(conn, clock, "w1", faces=True, photos=3)
        other, other_photos = wedding_with_photos(conn, clock, "w2", faces=True, photos=1)
        a, _ = _person_with_faces(conn, clock, wedding, photos[:2], [1, 2])
        b, _ = _person_with_faces(conn, clock, wedding, photos[2:], [3])
        stranger, _ = _person_with_faces(conn, clock, other, other_photos, [4])
        name_person(conn, wedding.id, b, "Aunt May")
    with catalog.begin() as conn:
        assert merge_persons(conn, wedding.id, a, b) == 1
    with catalog.begin() as conn:
        (merged,) = load_persons(conn, wedding.id)
        assert (merged.id, merged.name, merged.faces) == (a, "Aunt May", 3)
        assert np.allclose(merged.total, _unit(1) + _unit(2) + _unit(3))
        assert {f.person_id for f in wedding_faces(conn, wedding.id)} == {a}
        with pytest.raises(NotFound):
            merge_persons(conn, wedding.id, a, stranger)  # another wedding's person
        with pytest.raises(InvalidValue, match="itself"):
            merge_persons(conn, wedding.id, a, a)


def test_some_faces_of_a_person_are_split_off(catalog, clock) -> None:
    from trousseau.catalog import split_person

    with catalog.begin() as conn:
        wedding, photos = wedding_with_photos(conn, clock, "w1", faces=True, photos=3)
        pid, faces = _person_with_faces(conn, clock, wedding, photos, [1, 2, 3])
        other, _ = _person_with_faces(conn, clock, wedding, [], [])
    with catalog.begin() as conn:
        with pytest.raises(InvalidValue, match="all of person"):
            split_person(conn, wedding.id, pid, faces, now=clock())
        with pytest.raises(InvalidValue, match="not person"):
            split_person(conn, wedding.id, other, faces[:1], now=clock())
        with pytest.raises(InvalidValue, match="name the faces"):
            split_person(conn, wedding.id, pid, [], now=clock())
        with pytest.raises(NotFound):
            split_person(conn, wedding.id, 10_000, faces[:1], now=clock())
    with catalog.begin() as conn:
        new = split_person(conn, wedding.id, pid, [faces[2]], now=clock())
    with catalog.begin() as conn:
        persons = {p.id: p for p in load_persons(conn, wedding.id)}
        assert persons[pid].faces == 2 and persons[new].faces == 1
        assert np.allclose(persons[pid].total, _unit(1) + _unit(2), atol=1e-5)
        assert np.allclose(persons[new].total, _unit(3), atol=1e-5)
        owner = {f.id: f.person_id for f in wedding_faces(conn, wedding.id)}
        assert owner == {faces[0]: pid, faces[1]: pid, faces[2]: new}


def test_the_subject_is_a_photos_sharpest_measured_face(catalog, clock) -> None:
    from trousseau.catalog import subject_sharpness

    with catalog.begin() as conn:
        wedding, photos = wedding_with_photos(conn, clock, "w1", faces=True, photos=3)
        other, other_photos = wedding_with_photos(conn, clock, "w2", faces=True, photos=1)
        pid = create_person(conn, tenant_id=wedding.tenant_id, wedding_id=wedding.id,
                            total=_unit(1), faces=3, now=clock())  # fmt: skip
        scans = {
            photos[0]: [FoundFace((0, 0, 200, 200), 0.9, _unit(1), pid, 2.6),
                        FoundFace((300, 0, 500, 200), 0.9, _unit(2), pid, 1.1)],
            photos[1]: [FoundFace((0, 0, 60, 60), 0.9, _unit(3), pid, None)],
            photos[2]: [],
        }  # fmt: skip
        for photo_id, found in scans.items():
            record_scan(conn, tenant_id=wedding.tenant_id, wedding_id=wedding.id,
                        photo_id=photo_id, faces=found, now=clock())  # fmt: skip
        record_scan(conn, tenant_id=other.tenant_id, wedding_id=other.id,
                    photo_id=other_photos[0], now=clock(),
                    faces=[FoundFace((0, 0, 200, 200), 0.9, _unit(4), pid, 1.0)])  # fmt: skip
    with catalog.begin() as conn:
        assert subject_sharpness(conn, wedding.id) == {photos[0]: pytest.approx(2.6)}
        assert subject_sharpness(conn, other.id) == {other_photos[0]: pytest.approx(1.0)}

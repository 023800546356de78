"""Persons from embeddings (pure): clustering, joining known persons, find-me, scores."""

from __future__ import annotations

import numpy as np
import pytest

from trousseau.analysis import Known, assign, cluster, find_me, pairwise_scores


def people(rng: np.random.Generator, count: int, faces: int, spread: float) -> np.ndarray:
    """`faces` unit vectors around each of `count` random identities."""
    centres = rng.normal(size=(count, 128))
    rows = [c + rng.normal(scale=spread, size=(faces, 128)) for c in centres]
    out = np.concatenate(rows)
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def test_clusters_follow_identities() -> None:
    rng = np.random.default_rng(7)
    faces = people(rng, 6, 5, 0.45)
    truth = [i // 5 for i in range(30)]
    labels = cluster(faces, 0.46)
    assert pairwise_scores(truth, labels) == (1.0, 1.0)
    assert labels[0] == 0 and len(set(labels)) == 6


def test_a_batch_joins_the_known_person_it_looks_like_and_makes_new_ones() -> None:
    rng = np.random.default_rng(3)
    faces = people(rng, 3, 4, 0.4)
    known = {17: Known(faces[:3].sum(axis=0), 3)}
    batch = np.concatenate([faces[3:4], faces[4:8], faces[8:12]])
    persons = assign(batch, known, 0.46).persons
    assert persons[0] == 17
    assert set(persons[1:5]) == {-1} or set(persons[1:5]) == {-2}
    assert len({*persons[1:5], *persons[5:9]}) == 2 and all(p < 0 for p in persons[1:])


def test_two_people_of_one_batch_never_join_one_known_person() -> None:
    base = np.zeros(128)
    base[0] = 1.0
    twin = base.copy()
    twin[1] = 0.9
    twin /= np.linalg.norm(twin)
    known = {5: Known(base + twin, 2)}
    batch = np.array([base, twin])
    persons = assign(batch, known, 0.99).persons
    assert persons.count(5) <= 1


def test_faces_of_one_photo_are_never_one_person() -> None:
    rng = np.random.default_rng(11)
    guest = people(rng, 1, 1, 0.0)[0]
    lookalike = guest + rng.normal(scale=0.03, size=128)
    lookalike /= np.linalg.norm(lookalike)
    later = guest + rng.normal(scale=0.05, size=128)
    later /= np.linalg.norm(later)
    faces = np.array([guest, lookalike, later])
    assert len(set(cluster(faces, 0.46))) == 1  # without photos: all alike, one person
    labels = cluster(faces, 0.46, photos=["crowd", "crowd", "toast"])
    assert labels[0] != labels[1]  # the two faces of the crowd photo stay apart
    assert labels[2] in (labels[0], labels[1])  # the toast's face joins one of them
    persons = assign(faces, {}, 0.46, photos=[1, 1, 2]).persons
    assert persons[0] != persons[1] and persons[2] in persons[:2]
    with pytest.raises(ValueError, match="2 photos for 3 faces"):
        cluster(faces, 0.46, photos=[1, 2])


def test_find_me_ranks_photos_by_their_best_face_and_drops_strangers() -> None:
    rng = np.random.default_rng(11)
    faces = people(rng, 2, 3, 0.3)
    selfie = faces[0]
    rows = [(10, faces[1]), (10, faces[4]), (11, faces[2]), (12, faces[5])]
    ranked = find_me(selfie, rows, 0.46)
    assert [photo for photo, _ in ranked] == sorted(
        [10, 11], key=lambda p: -max(float(e @ selfie) for q, e in rows if q == p)
    )
    assert all(score >= 0.46 for _, score in ranked)
    assert find_me(selfie, [], 0.46) == []


@pytest.mark.parametrize(
    ("truth", "found", "expected"),
    [
        ("aabb", [1, 1, 2, 2], (1.0, 1.0)),
        ("aabb", [1, 1, 1, 1], (2 / 6, 1.0)),
        ("aabb", [1, 2, 3, 4], (1.0, 0.0)),
    ],
)
def test_pairwise_scores(truth, found, expected) -> None:
    assert pairwise_scores(list(truth), found) == pytest.approx(expected)

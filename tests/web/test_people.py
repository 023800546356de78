"""People over HTTP: opt-in only (409 otherwise), the faces the jobs found, naming and
forgetting a person, find-me with a selfie, and another tenant seeing nothing."""

from __future__ import annotations

import pytest


@pytest.fixture
def faces_wedding(api, studio, shared_data) -> str:
    """Three photos of one person and one of another, in an opted-in wedding, worked."""
    api.wedding(studio, "ada-and-sam", faces=True)
    root = shared_data / "photos" / "faces"
    for path in [*sorted((root / "obama").glob("[123].jpg")), root / "biden" / "1.jpg"]:
        name = f"{path.parent.name}-{path.name}"
        done = api.upload(studio, path.read_bytes(), wedding="ada-and-sam", name=name)
        assert done.status_code in (200, 201), done.text
    api.work()
    return "ada-and-sam"


def test_people_are_listed_named_and_forgotten(api, studio, rival, faces_wedding) -> None:
    url = f"/api/v1/weddings/{faces_wedding}/people"
    body = api.client.get(url, headers=studio).json()
    persons = {p["id"]: set(p["photos"]) for p in body["persons"]}
    obama = next(pid for pid, photos in persons.items() if "obama-1.jpg" in photos)
    assert persons[obama] == {"obama-1.jpg", "obama-2.jpg", "obama-3.jpg"}
    assert all(
        set(face) == {"id", "photo", "box", "person"} for face in body["faces"]
    )  # no embedding
    named = api.client.patch(f"{url}/{obama}", json={"name": "Uncle Barack"}, headers=studio)
    assert named.status_code == 200, named.text
    assert {p["id"]: p["name"] for p in named.json()["persons"]}[obama] == "Uncle Barack"
    assert api.client.get(url, headers=rival).status_code == 404
    assert api.client.delete(f"{url}/{obama}", headers=rival).status_code == 404
    assert api.client.delete(f"{url}/{obama}", headers=studio).status_code == 204
    after = api.client.get(url, headers=studio).json()
    assert obama not in {p["id"] for p in after["persons"]}
    assert api.client.delete(f"{url}/{obama}", headers=studio).status_code == 404


def test_find_me_ranks_the_persons_photos(api, studio, rival, faces_wedding, shared_data):
    url = f"/api/v1/weddings/{faces_wedding}/find-me"
    selfie = (shared_data / "photos/faces/obama/4.jpg").read_bytes()
    found = api.client.post(url, content=selfie, headers={**studio, "Content-Type": "image/jpeg"})
    assert found.status_code == 200, found.text
    photos = [m["photo"] for m in found.json()["photos"]]
    assert set(photos) == {"obama-1.jpg", "obama-2.jpg", "obama-3.jpg"}
    assert api.client.post(url, content=selfie, headers=rival).status_code == 404
    blank = api.client.post(url, content=b"not an image", headers=studio)
    assert blank.status_code == 422 and "not an image" in blank.json()["error"]["message"]


def test_a_wedding_without_the_opt_in_answers_409(api, studio) -> None:
    api.wedding(studio, "no-faces")
    answer = api.client.get("/api/v1/weddings/no-faces/people", headers=studio)
    assert answer.status_code == 409 and "faces" in answer.json()["error"]["message"]
    read = api.client.get("/api/v1/weddings/no-faces", headers=studio).json()
    assert read["faces"] is False


def test_the_gallery_shows_the_people_of_an_opted_in_wedding(api, studio, faces_wedding) -> None:
    from tests.web.test_dashboard import _sign_in

    _sign_in(api, studio)
    page = api.client.get(f"/dashboard/weddings/{faces_wedding}").text
    assert 'id="people"' in page and page.count('class="person"') == 2
    assert "3 face(s) in 3 photo(s)" in page  # the three photos of one guest
    assert 'alt="obama-1.jpg"' in page.split('id="people"')[1].split('id="photos"')[0]
    api.wedding(studio, "no-faces")
    assert 'id="people"' not in api.client.get("/dashboard/weddings/no-faces").text


def test_a_person_is_split_and_merged_back(api, studio, rival, faces_wedding) -> None:
    url = f"/api/v1/weddings/{faces_wedding}/people"
    body = api.client.get(url, headers=studio).json()
    obama = next(p["id"] for p in body["persons"] if "obama-1.jpg" in p["photos"])
    biden = next(p["id"] for p in body["persons"] if "biden-1.jpg" in p["photos"])
    faces = [f["id"] for f in body["faces"] if f["person"] == obama]
    assert len(faces) == 3
    split = api.client.post(f"{url}/{obama}/split", json={"faces": faces[:1]}, headers=studio)
    assert split.status_code == 200, split.text
    persons = {p["id"]: p for p in split.json()["persons"]}
    (new,) = set(persons) - {obama, biden}
    assert persons[new]["faces"] == 1 and persons[obama]["faces"] == 2
    everything = api.client.post(f"{url}/{obama}/split", json={"faces": faces[1:]}, headers=studio)
    assert everything.status_code == 422 and "all of person" in everything.text
    assert (
        api.client.post(f"{url}/{new}/merge", json={"other": obama}, headers=rival).status_code
        == 404
    )
    merged = api.client.post(f"{url}/{obama}/merge", json={"other": new}, headers=studio)
    assert merged.status_code == 200, merged.text
    persons = {p["id"]: p for p in merged.json()["persons"]}
    assert set(persons) == {obama, biden} and persons[obama]["faces"] == 3
    itself = api.client.post(f"{url}/{obama}/merge", json={"other": obama}, headers=studio)
    assert itself.status_code == 422


BIG = 2**64
"""An id no catalog's integer holds (SQLite's and PostgreSQL's are 64-bit, signed)."""


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("PATCH", f"people/{BIG}", {"name": "Ada"}, "path.person_id"),
        ("DELETE", f"people/{BIG}", None, "path.person_id"),
        ("POST", f"people/{BIG}/merge", {"other": 1}, "path.person_id"),
        ("POST", "people/1/merge", {"other": BIG}, "body.other"),
        ("POST", "people/1/split", {"faces": [BIG]}, "body.faces.0"),
        ("POST", "people/1/split", {"faces": [0]}, "body.faces.0"),
    ],
)
def test_an_id_out_of_range_is_a_422_naming_it(api, studio, method, path, body, field) -> None:
    """A person or face id no catalog can hold is refused before any query (it was a 500)."""
    api.wedding(studio, "ids", faces=True)
    answer = api.client.request(method, f"/api/v1/weddings/ids/{path}", json=body, headers=studio)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["message"].startswith(field)


def _png(width: int, height: int) -> bytes:
    """A PNG of a few dozen bytes whose header declares `width` x `height` pixels."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b""))
            + chunk(b"IEND", b""))  # fmt: skip


def test_find_me_refuses_a_selfie_over_max_pixels_before_decoding(api, studio) -> None:
    api.wedding(studio, "big-selfie", faces=True)
    url = "/api/v1/weddings/big-selfie/find-me"
    headers = {**studio, "Content-Type": "image/png"}
    found = api.client.post(url, content=_png(65535, 65535), headers=headers)
    assert found.status_code == 422, found.text
    message = found.json()["error"]["message"]
    assert "65535x65535" in message and "imaging.max_pixels" in message


def test_find_me_answers_422_when_the_face_detector_cannot_decode(api, studio) -> None:
    from fastapi.testclient import TestClient

    from trousseau.web.app import create_app

    api.wedding(studio, "huge-limit", faces=True)
    # a limit above OpenCV's own (2**30 pixels): the header passes, OpenCV refuses
    lax = api.settings.model_copy(
        update={"imaging": api.settings.imaging.model_copy(update={"max_pixels": 2**33})}
    )
    with TestClient(create_app(lax, clock=api.clock)) as client:
        found = client.post("/api/v1/weddings/huge-limit/find-me", content=_png(65535, 65535),
                            headers={**studio, "Content-Type": "image/png"})  # fmt: skip
    assert found.status_code == 422, found.text
    assert "too large or too damaged" in found.json()["error"]["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [({"name": "Ada", "nmae": "Ada"}, "nmae"), ({"name": "Ada", "extra": 1}, "extra")],
)
def test_a_misspelt_person_field_is_refused_by_name(api, studio, body, field) -> None:
    api.wedding(studio, "typos", faces=True)
    url = "/api/v1/weddings/typos/people"
    for method, path, payload in [
        ("PATCH", f"{url}/1", body),
        ("POST", f"{url}/1/merge", {"other": 2, field: 1}),
        ("POST", f"{url}/1/split", {"faces": [1], field: 1}),
    ]:
        answer = api.client.request(method, path, json=payload, headers=studio)
        assert answer.status_code == 422, (path, answer.text)
        assert field in answer.json()["error"]["message"], path

"""`trousseau people` and `trousseau find-me` on real labelled faces: opt-in only, every face
with its box in the original's pixels and its person, naming and forgetting a person, and a
selfie that was never ingested finding its person's photos."""

from __future__ import annotations

import json
import shutil

import cv2

from tests.cli.conftest import assert_one_line_error


def _jobs(cli) -> dict[tuple[str, str], int]:
    """Done jobs by (wedding, kind)."""
    from sqlalchemy import text

    from trousseau.catalog import open_catalog

    catalog = open_catalog(cli.catalog_url)
    try:
        with catalog.begin() as conn:
            rows = conn.execute(text(
                "SELECT w.slug, j.kind, count(*) FROM job j JOIN wedding w ON w.id = j.wedding_id"
                " WHERE j.state = 'done' GROUP BY w.slug, j.kind"
            ))  # fmt: skip
            return {(slug, kind): n for slug, kind, n in rows}
    finally:
        catalog.dispose()


def _card(tmp_path, shared_data):
    faces = shared_data / "photos" / "faces"
    card = tmp_path / "card"
    card.mkdir()
    for person, names in (("obama", ("1", "2", "3")), ("biden", ("1", "2"))):
        for name in names:
            source = next((faces / person).glob(f"{name}.*"))
            shutil.copy(source, card / f"{person}-{source.name}")
    shutil.copy(faces / "_groups" / "obama_and_biden.jpg", card / "group.jpg")
    return card, faces


def test_people_groups_the_guests_and_find_me_finds_them(cli, tmp_path, shared_data) -> None:
    card, faces = _card(tmp_path, shared_data)
    refused = cli.invoke("ingest", str(card), "--wedding", "no-faces", "--work")
    assert refused.returncode == 0, refused.stderr
    assert_one_line_error(cli.invoke("people", "no-faces"), "face analysis is off", "--faces")

    made = cli.invoke("ingest", str(card), "--wedding", "ada-and-sam", "--faces", "--work")
    assert made.returncode == 0, made.stderr
    # the faces jobs followed the variants of the opted-in wedding only, and did the work;
    # the quality jobs followed every photo's
    assert _jobs(cli) == {("no-faces", "variants"): 6, ("ada-and-sam", "variants"): 6,
                          ("ada-and-sam", "faces"): 6, ("no-faces", "quality"): 6,
                          ("ada-and-sam", "quality"): 6}  # fmt: skip
    listed = cli.invoke("people", "ada-and-sam", "--json")
    assert listed.returncode == 0, listed.stderr
    body = json.loads(listed.stdout)
    assert body["scanned"]["photos"] == 0 and body["failed"] == []
    by_photo: dict[str, list] = {}
    for face in body["faces"]:
        by_photo.setdefault(face["photo"], []).append(face)
        x0, y0, x1, y1 = face["box"]
        height, width = cv2.imread(str(card / face["photo"])).shape[:2]
        assert 0 <= x0 < x1 <= width + 2 and 0 <= y0 < y1 <= height + 2
    persons = {p["id"]: set(p["photos"]) for p in body["persons"]}
    obama = next(pid for pid, photos in persons.items() if "obama-1.jpg" in photos)
    biden = next(pid for pid, photos in persons.items() if "biden-1.jpg" in photos)
    assert {"obama-1.jpg", "obama-2.jpg", "obama-3.jpg", "group.jpg"} <= persons[obama]
    assert {"biden-1.jpg", "biden-2.jpg", "group.jpg"} <= persons[biden]
    assert not persons[obama] & {"biden-1.jpg", "biden-2.jpg"}

    again = cli.invoke("people", "ada-and-sam", "--json", "--name", f"{obama}=Uncle Barack")
    assert json.loads(again.stdout)["scanned"]["photos"] == 0  # stored: nothing scanned twice
    named = {p["id"]: p["name"] for p in json.loads(again.stdout)["persons"]}
    assert named[obama] == "Uncle Barack"

    group_face = next(f["id"] for f in body["faces"]
                      if f["photo"] == "group.jpg" and f["person"] == obama)  # fmt: skip
    split = cli.invoke("people", "ada-and-sam", "--json", "--split", f"{obama}={group_face}")
    assert split.returncode == 0, split.stderr
    after = {p["id"]: set(p["photos"]) for p in json.loads(split.stdout)["persons"]}
    (new,) = set(after) - set(persons)
    assert after[new] == {"group.jpg"} and "group.jpg" not in after[obama]
    merged = cli.invoke("people", "ada-and-sam", "--json", "--merge", f"{obama}={new}")
    after = {p["id"]: set(p["photos"]) for p in json.loads(merged.stdout)["persons"]}
    assert set(after) == set(persons) and after[obama] == persons[obama]
    assert_one_line_error(cli.invoke("people", "ada-and-sam", "--merge", f"{obama}"), "ID=OTHER")
    assert_one_line_error(
        cli.invoke("people", "ada-and-sam", "--split", f"{obama}=group.jpg"), "--split takes"
    )

    selfie = next(p for p in (faces / "obama").iterdir() if p.stem not in ("1", "2", "3"))
    found = cli.invoke("find-me", "ada-and-sam", str(selfie), "--json")
    assert found.returncode == 0, found.stderr
    photos = [m["photo"] for m in json.loads(found.stdout)["photos"]]
    assert set(photos) == {"obama-1.jpg", "obama-2.jpg", "obama-3.jpg", "group.jpg"}

    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), cv2.imread(str(card / "group.jpg")) * 0)
    assert_one_line_error(cli.invoke("find-me", "ada-and-sam", str(blank)), "no face was found")
    assert_one_line_error(
        cli.invoke("find-me", "ada-and-sam", str(tmp_path / "x.jpg")), "cannot read"
    )
    assert_one_line_error(cli.invoke("people", "ada-and-sam", "--name", "Barack"), "ID=NAME")

    forgot = cli.invoke("people", "ada-and-sam", "--json", "--forget", str(biden))
    body = json.loads(forgot.stdout)
    assert biden not in {p["id"] for p in body["persons"]}
    assert all(face["person"] != biden for face in body["faces"])


def test_people_says_which_crowds_were_read_from_their_original_and_which_could_not_be(
    cli, tmp_path, shared_data, monkeypatch
) -> None:
    """Photos ingested, their variants made, their faces not looked for yet: `people` looks,
    reads a crowd's original for its small guests, and names the crowd whose original is
    damaged (its variant's faces kept) with what to do."""
    from tests.analysis.test_faces import _crowd
    from trousseau.catalog import iter_photos, open_catalog
    from trousseau.jobs import InlinePool, Worker
    from trousseau.kinds import Kind
    from trousseau.settings import Settings
    from trousseau.vault import open_vault

    card = tmp_path / "card"
    card.mkdir()
    frame = _crowd(shared_data, (40, 80))
    for name, quality in (("CROWD-1.JPG", 95), ("CROWD-2.JPG", 90)):
        cv2.imwrite(str(card / name), frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
    made = cli.invoke("ingest", str(card), "--wedding", "crowd", "--faces")
    assert made.returncode == 0, made.stderr
    for key, value in cli.env().items():
        if key.startswith("TROUSSEAU_"):
            monkeypatch.setenv(key, value)
    settings = Settings()
    catalog = open_catalog(cli.catalog_url)
    vault = open_vault(settings.vault_url)
    try:
        pool = InlinePool(settings, ["trousseau.kinds"])
        Worker(catalog, pool, settings.jobs, kinds=[Kind.VARIANTS]).run(until_idle=True)
        with catalog.begin() as conn:
            damaged = next(p for p in iter_photos(conn) if p.original_name == "CROWD-2.JPG")
        path = vault.blob_path(damaged.sha256)
        path.chmod(0o644)
        path.write_bytes(b"\xff\xd8\xff damaged after its variants were made")
    finally:
        vault.close()
        catalog.dispose()

    listed = cli.invoke("people", "crowd")
    assert listed.returncode == 0, listed.stderr
    text = " ".join(listed.stdout.split())  # as wide as the terminal is
    assert text.startswith("3 face(s)")  # both guests of one, the larger of the other
    assert "this scan: 2 photo(s), 3 face(s)" in text
    assert "1 small-faced read from their original)" in text
    said = text.split("faces of CROWD-2.JPG ", 1)[1]
    assert said.startswith("read from its variant only: its original cannot be read (blob ")
    assert "hashes to" in said and said.endswith("check it with `trousseau verify`")
    assert "CROWD-1.JPG read from its variant" not in text

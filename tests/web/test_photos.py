"""Photo lists: state and id filters, opaque cursors, variants and placeholders inline."""

from __future__ import annotations

import pytest

from trousseau.catalog import set_photo_state
from trousseau.web.cursors import decode_cursor, encode_cursor
from trousseau.web.errors import InvalidRequest

LIST = "/api/v1/weddings/smith-jones/photos"


def test_pages_follow_the_cursor_to_the_end(api, studio):
    ids = [api.upload(studio, api.jpeg(seed=i), name=f"IMG_{i}.JPG").json()["id"] for i in range(5)]
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = api.client.get(LIST, params=params, headers=studio).json()
        seen += [p["id"] for p in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids and pages == 3


def test_filters_by_state_and_since(api, studio):
    ids = [api.upload(studio, api.jpeg(seed=i), name=f"IMG_{i}.JPG").json()["id"] for i in range(3)]
    with api.catalog.begin() as conn:
        set_photo_state(conn, ids[1], "failed", "decoder said no")
    failed = api.client.get(LIST, params={"state": "failed"}, headers=studio).json()["items"]
    assert [(p["id"], p["error"]) for p in failed] == [(ids[1], "decoder said no")]
    later = api.client.get(LIST, params={"since": ids[0]}, headers=studio).json()["items"]
    assert [p["id"] for p in later] == ids[1:]


def test_items_carry_variants_placeholder_and_colours(api, studio, processed):
    (item,) = api.client.get(LIST, headers=studio).json()["items"]
    assert item["state"] == "processed" and item["placeholder"] and item["colours"]
    variants = {v["profile"]: v for v in item["variants"]}
    assert set(variants) == {"portrait", "reception", "social", "thumb"}
    thumb = variants["thumb"]
    assert thumb["format"] == "webp" and (thumb["width"], thumb["height"]) == (320, 240)
    assert thumb["url"] == f"/api/v1/photos/{processed.photo_id}/variants/thumb"
    assert api.client.get(thumb["url"], headers=studio).content[:4] == b"RIFF"
    single = api.client.get(f"/api/v1/photos/{processed.photo_id}", headers=studio).json()
    assert single == item


def test_bad_list_parameters_are_422(api, studio):
    for params in [
        {"limit": 201},
        {"limit": 0},
        {"state": "lost"},
        {"cursor": "bm9wZQ"},
        {"since": -1},
    ]:
        response = api.client.get(LIST, params=params, headers=studio)
        assert response.status_code == 422, params
        assert response.json()["error"]["code"] == "invalid_request"


def test_unknown_wedding_and_photo_are_404(api, studio):
    assert api.client.get("/api/v1/weddings/nope/photos", headers=studio).status_code == 404
    assert api.client.get("/api/v1/photos/424242", headers=studio).status_code == 404
    assert api.client.get(f"/api/v1/photos/{2**63}", headers=studio).status_code == 422


def test_cursor_roundtrip_and_refusals():
    assert decode_cursor(encode_cursor(0)) == 0
    assert decode_cursor(encode_cursor(2**62)) == 2**62
    for bad in ("", "!!!", "djE6", "djE6LTE", encode_cursor(1) + "x", encode_cursor(2**63)):
        with pytest.raises(InvalidRequest):
            decode_cursor(bad)

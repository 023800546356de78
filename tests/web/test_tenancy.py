"""Tenant isolation: another tenant's wedding, photo or variant is 404, never its data."""

from __future__ import annotations


def _rival_sees_nothing(response) -> None:
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "not_found"
    assert "smith-jones" not in response.text or "no wedding" in response.text


def test_every_tenant_resource_is_404_for_another_tenant(api, studio, rival, processed):
    photo = f"/api/v1/photos/{processed.photo_id}"
    for method, path in [
        ("GET", "/api/v1/weddings/smith-jones"),
        ("GET", "/api/v1/weddings/smith-jones/photos"),
        ("GET", photo),
        ("GET", f"{photo}/variants/thumb"),
        ("GET", f"{photo}/variants/missing-profile"),
    ]:
        assert api.client.request(method, path, headers=studio).status_code in (200, 404)
        _rival_sees_nothing(api.client.request(method, path, headers=rival))
    assert api.client.get(photo, headers=studio).status_code == 200
    assert api.client.get(f"{photo}/variants/thumb", headers=studio).status_code == 200


def test_a_missing_and_a_foreign_photo_look_the_same(api, studio, rival, processed):
    foreign = api.client.get(f"/api/v1/photos/{processed.photo_id}", headers=rival).json()
    missing = api.client.get("/api/v1/photos/999999", headers=rival).json()
    assert foreign["error"]["message"].replace(str(processed.photo_id), "N") == missing["error"][
        "message"
    ].replace("999999", "N")


def test_uploading_into_another_tenants_wedding_is_404_and_stores_nothing(api, studio, rival):
    before = api.blobs()
    response = api.upload(rival, api.jpeg(), wedding="smith-jones")
    assert response.status_code == 404
    assert api.photo_count() == 0 and api.blobs() == before


def test_lists_show_only_the_callers_data(api, studio, rival):
    api.upload(studio, api.jpeg(seed=1))
    api.upload(rival, api.jpeg(seed=2), wedding="rival-wedding")
    weddings = api.client.get("/api/v1/weddings", headers=rival).json()["items"]
    assert [w["slug"] for w in weddings] == ["rival-wedding"]
    photos = api.client.get("/api/v1/weddings/rival-wedding/photos", headers=rival).json()
    assert [p["wedding"] for p in photos["items"]] == ["rival-wedding"]


def test_same_bytes_in_two_tenants_are_two_photos(api, studio, rival):
    data = api.jpeg()
    mine = api.upload(studio, data)
    theirs = api.upload(rival, data, wedding="rival-wedding")
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["id"] != theirs.json()["id"]


def test_same_slug_in_two_tenants_is_allowed(api, studio, rival):
    api.wedding(rival, slug="smith-jones")
    mine = api.client.get("/api/v1/weddings/smith-jones", headers=studio).json()
    theirs = api.client.get("/api/v1/weddings/smith-jones", headers=rival).json()
    assert mine["photos"] == {} and theirs["photos"] == {}

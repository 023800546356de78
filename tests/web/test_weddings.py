"""Weddings over HTTP: created with date, time zone, region and SLA; validated; scoped."""

from __future__ import annotations


def test_create_read_and_list(api, studio):
    headers = studio
    body = {
        "slug": "dupont-martin",
        "date": "2026-07-04",
        "timezone": "America/New_York",
        "region": "us-east",
        "sla": "same-day",
        "title": "Dupont & Martin",
    }
    created = api.client.post("/api/v1/weddings", json=body, headers=headers)
    assert created.status_code == 201, created.text
    assert created.headers["Location"] == "/api/v1/weddings/dupont-martin"
    expected = {
        "slug": "dupont-martin",
        "title": "Dupont & Martin",
        "date": "2026-07-04",
        "timezone": "America/New_York",
        "region": "us-east",
        "sla": "same-day",
        "ceremony_time": None,
        "culture": None,
        "guests": None,
        "expected_photos": None,
        "faces": False,
    }
    assert created.json() == {**expected, "photos": {}}
    api.upload(headers, api.jpeg(), wedding="dupont-martin")
    read = api.client.get("/api/v1/weddings/dupont-martin", headers=headers).json()
    assert read == {**expected, "photos": {"stored": 1}}
    listed = api.client.get("/api/v1/weddings", headers=headers).json()["items"]
    assert [w["slug"] for w in listed] == ["dupont-martin", "smith-jones"]


def test_default_sla_applies(api, studio):
    read = api.client.get("/api/v1/weddings/smith-jones", headers=studio).json()
    assert read["sla"] == api.settings.default_sla


def test_taken_slug_is_409(api, studio):
    body = {"slug": "smith-jones", "date": "2026-06-13", "timezone": "UTC"}
    response = api.client.post("/api/v1/weddings", json=body, headers=studio)
    assert response.status_code == 409
    assert "already exists" in response.json()["error"]["message"]


def test_invalid_wedding_is_422_with_the_reason(api, studio):
    for change, fragment in [
        ({"timezone": "Mars/Olympus"}, "IANA time zone"),
        ({"sla": "yesterday"}, "unknown SLA class"),
        ({"slug": "Not A Slug"}, "body.slug"),
        ({"date": "13/06/2026"}, "body.date"),
        ({"ceremony_tme": "11:00"}, "body.ceremony_tme: Extra inputs are not permitted"),
        ({"guest": 300}, "body.guest: Extra inputs are not permitted"),
    ]:
        body = {"slug": "new-one", "date": "2026-06-13", "timezone": "UTC", **change}
        response = api.client.post("/api/v1/weddings", json=body, headers=studio)
        assert response.status_code == 422, change
        error = response.json()["error"]
        assert error["code"] == "invalid_request" and fragment in error["message"]
    assert api.client.get("/api/v1/weddings/new-one", headers=studio).status_code == 404


def test_a_slug_no_wedding_can_have_is_404_on_every_route(api, studio):
    """NUL cannot be stored (PostgreSQL refuses it in text): such a slug is simply not found."""
    for path in (
        "/api/v1/weddings/a%00b",
        "/api/v1/weddings/a%00b/photos",
        "/api/v1/weddings/a%00b/progress",
    ):
        response = api.client.get(path, headers=studio)
        assert response.status_code == 404, (path, response.text)

"""Deploy protection in the service: the admin endpoint, the Prometheus gauge and the
dashboard tile, from the policy and the catalog's calendar (SQLite and PostgreSQL).

The test clock stands at 2026-06-13 15:00 UTC: a Saturday in peak season (MAXIMUM wherever
it is still Saturday), already Sunday 01:00 in Sydney (HIGH until noon)."""

from __future__ import annotations

from datetime import timedelta

from trousseau.freeze import Ledger

from .test_dashboard import _sign_in


def test_the_admin_sees_every_regions_level_reasons_and_next_allowed(api, studio) -> None:
    api.wedding(studio, "dupont-martin", date="2026-06-17", timezone="Europe/Paris",
                region="eu-west")  # fmt: skip
    admin = api.key("ops", admin=True)
    response = api.client.get("/api/v1/ops/protection", headers=admin)
    assert response.status_code == 200, response.text
    body = response.json()
    regions = {r["region"]: r for r in body["regions"]}
    assert body["level"] == "maximum"
    uk = regions["uk"]
    assert uk["level"] == "maximum" and uk["value"] == 2
    assert any("peak season" in r for r in uk["reasons"])
    assert uk["next_allowed"] == "2026-06-14T11:00:00Z"  # Sunday noon in London
    sydney = regions["australia-east"]
    assert sydney["level"] == "high" and sydney["zone"] == "Australia/Sydney"
    # a Wednesday wedding raises its own region on its day only; eu-west is not in the
    # policy, so its windows are read in its wedding's zone
    assert regions["eu-west"]["level"] == "maximum"  # Saturday 17:00 in Paris
    assert regions["eu-west"]["zone"] == "Europe/Paris"
    api.clock.advance(days=4)  # Wednesday 17 June, 15:00 UTC = 17:00 in Paris
    later = {r["region"]: r for r in api.client.get("/api/v1/ops/protection",
                                                     headers=admin).json()["regions"]}  # fmt: skip
    assert later["eu-west"]["level"] == "maximum"
    assert any("dupont-martin" in r for r in later["eu-west"]["reasons"])
    assert later["uk"]["level"] == "normal"


def test_tenants_cannot_read_it(api, studio) -> None:
    response = api.client.get("/api/v1/ops/protection", headers=studio)
    assert response.status_code == 403


def test_overrides_in_force_are_listed(api) -> None:
    ledger = Ledger(api.catalog, api.clock)
    asked = ledger.request(environment="production", service="api", region=None,
                           reason="hotfix", requested_by="alice",
                           duration=timedelta(hours=1))  # fmt: skip
    ledger.approve(asked.id, "bob")
    admin = api.key("ops", admin=True)
    body = api.client.get("/api/v1/ops/protection", headers=admin).json()
    assert [(o["id"], o["state"], o["approved_by"]) for o in body["overrides"]] == [
        (asked.id, "active", "bob")
    ]
    api.clock.advance(hours=2)
    assert api.client.get("/api/v1/ops/protection", headers=admin).json()["overrides"] == []


def test_the_gauge_has_a_series_per_region(api) -> None:
    text = api.client.get("/metrics").text
    assert 'trousseau_protection_level{region="uk"} 2.0' in text
    assert 'trousseau_protection_level{region="australia-east"} 1.0' in text
    api.clock.advance(days=3)  # Tuesday
    assert 'trousseau_protection_level{region="uk"} 0.0' in api.client.get("/metrics").text


def test_the_dashboard_shows_the_strictest_level_to_admins_only(api, studio) -> None:
    _sign_in(api, studio)
    assert "data-protection" not in api.client.get("/dashboard").text
    _sign_in(api, api.key("studio-a", admin=True))
    page = api.client.get("/dashboard").text
    assert 'data-protection="maximum"' in page and ">denied<" in page
    api.clock.advance(days=3)
    page = api.client.get("/dashboard").text
    assert 'data-protection="normal"' in page and ">allowed<" in page


def test_a_weddings_own_ceremony_time_sets_its_protection(api, studio) -> None:
    made = api.wedding(studio, "early", date="2026-06-17", timezone="Europe/Paris",
                       region="eu-central", ceremony_time="10:00")  # fmt: skip
    assert made["ceremony_time"] == "10:00:00"
    bad = api.client.post("/api/v1/weddings", headers=studio, json={
        "slug": "offset", "date": "2026-06-17", "timezone": "Europe/Paris",
        "ceremony_time": "10:00+02:00"})  # fmt: skip
    assert bad.status_code == 422 and "local" in bad.text
    admin = api.key("ops", admin=True)
    api.clock.now = api.clock.now.replace(day=17, hour=6, minute=30)  # 08:30 in Paris
    regions = {r["region"]: r for r in api.client.get("/api/v1/ops/protection",
                                                      headers=admin).json()["regions"]}  # fmt: skip
    assert regions["eu-central"]["level"] == "maximum"
    assert any("ceremony 2026-06-17 10:00" in r for r in regions["eu-central"]["reasons"])
    assert regions["eu-central"]["next_allowed"] == "2026-06-17T20:00:00Z"  # 12 h after


def test_overrides_over_http_take_two_keys(api) -> None:
    alice, bob = api.key("ops", admin=True), api.key("ops", admin=True)
    body = {"environment": "production", "service": "api", "reason": "uploads fail",
            "minutes": 30}  # fmt: skip
    made = api.client.post("/api/v1/ops/overrides", headers=alice, json=body)
    assert made.status_code == 201, made.text
    override = made.json()
    assert override["state"] == "pending" and override["requested_by"].startswith("api key ")
    own = api.client.post(f"/api/v1/ops/overrides/{override['id']}/approve", headers=alice)
    assert own.status_code == 409 and "second, different person" in own.text
    ok = api.client.post(f"/api/v1/ops/overrides/{override['id']}/approve", headers=bob)
    assert ok.status_code == 200 and ok.json()["state"] == "active"
    listed = api.client.get("/api/v1/ops/protection", headers=alice).json()["overrides"]
    assert [o["id"] for o in listed] == [override["id"]]
    gone = api.client.post(f"/api/v1/ops/overrides/{override['id']}/revoke", headers=alice)
    assert gone.status_code == 200 and gone.json()["state"] == "revoked"
    assert api.client.post("/api/v1/ops/overrides/999/approve", headers=bob).status_code == 404
    tenant = api.key("studio-z")
    assert api.client.post("/api/v1/ops/overrides", headers=tenant, json=body).status_code == 403
    from trousseau.freeze import Ledger

    assert Ledger(api.catalog, api.clock).verify().entries == 3


def test_a_misspelt_override_field_is_refused_by_name(api) -> None:
    admin = api.key("ops", admin=True)
    body = {"environment": "production", "service": "api", "reason": "uploads fail",
            "minuets": 30}  # fmt: skip
    made = api.client.post("/api/v1/ops/overrides", headers=admin, json=body)
    assert made.status_code == 422, made.text
    assert "body.minuets: Extra inputs are not permitted" in made.json()["error"]["message"]
    assert api.client.get("/api/v1/ops/protection", headers=admin).json()["overrides"] == []

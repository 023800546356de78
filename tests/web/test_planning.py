"""Capacity planning in the service: the day's forecast and plan from the catalog's weddings,
manual scaling requests recorded as events, the plan on the admin dashboard."""

from __future__ import annotations

import pytest

from .test_dashboard import _sign_in


def _busy_day(api, studio) -> None:
    for i, zone in enumerate(["Europe/Paris", "Europe/London", "Asia/Kolkata"]):
        response = api.client.post("/api/v1/weddings", headers=studio, json={
            "slug": f"w{i}", "date": "2026-06-13", "timezone": zone, "sla": "same-day",
            "ceremony_time": "14:00"})  # fmt: skip
        assert response.status_code == 201, response.text


def test_forecast_and_plan_follow_the_calendar(api, studio) -> None:
    _busy_day(api, studio)
    admin = api.key("ops", admin=True)
    fc = api.client.get("/api/v1/ops/forecast?date=2026-06-13", headers=admin).json()
    assert fc["regions"] == ["Asia/Kolkata", "Europe/London", "Europe/Paris"]
    by_hour = {h["start"][11:16]: h for h in fc["hours"]}
    assert (
        by_hour["13:00"]["photos"]["Europe/London"] > by_hour["13:00"]["mean"]["Europe/London"] > 0
    )
    assert by_hour["03:00"]["photos"]["Europe/London"] == 0
    plan = api.client.get("/api/v1/ops/plan?date=2026-06-13", headers=admin).json()
    assert len(plan["hours"]) == 24 and plan["worker_hours"] >= 5 * 24
    assert all(h["floor"] >= h["workers"] >= 5 for h in plan["hours"])
    assert api.client.get("/api/v1/ops/plan", headers=studio).status_code == 403


def test_a_manual_scaling_request_is_recorded_and_raises_the_floor(api, studio) -> None:
    admin = api.key("ops", admin=True)
    body = {"replicas": 30, "until": "2026-06-13T20:00:00+00:00", "reason": "a royal wedding"}
    made = api.client.post("/api/v1/ops/scaling", headers=admin, json=body)
    assert made.status_code == 201, made.text
    assert made.json()["by"].startswith("api key ")
    plan = api.client.get("/api/v1/ops/plan?date=2026-06-13", headers=admin).json()
    floors = {h["start"][11:16]: h["floor"] for h in plan["hours"]}
    assert floors["15:00"] == 30 and floors["19:00"] == 30 and floors["20:00"] < 30
    assert plan["requests"][0]["reason"] == "a royal wedding"
    past = api.client.post("/api/v1/ops/scaling", headers=admin, json={
        "replicas": 3, "until": "2026-06-13T10:00:00+00:00", "reason": "too late"})  # fmt: skip
    assert past.status_code == 422 and "future" in past.text
    too_many = api.client.post("/api/v1/ops/scaling", headers=admin, json={
        "replicas": 500, "until": "2026-06-14T10:00:00+00:00", "reason": "all"})  # fmt: skip
    assert too_many.status_code == 422 and "max_replicas" in too_many.text
    from trousseau.catalog import EventKind, recent_events

    with api.catalog.begin() as conn:
        events = recent_events(conn, kind=EventKind.SCALING_REQUESTED)
    assert [e.data["replicas"] for e in events] == [30]


def test_the_dashboard_shows_the_plan_against_live_workers(api, studio) -> None:
    _busy_day(api, studio)
    _sign_in(api, api.key("studio-a", admin=True))
    page = api.client.get("/dashboard").text
    assert "data-planned=" in page and "plan " in page


def test_the_emergency_switch_over_http(api, studio) -> None:
    admin = api.key("ops", admin=True)
    assert api.client.get("/api/v1/ops/emergency", headers=admin).json() == {
        "on": False, "id": None, "by": None, "reason": None, "since": None, "until": None,
        "floor": None, "paused_slas": [],
    }  # fmt: skip
    switch = {"on": True, "reason": "object store outage", "hours": 2}
    on = api.client.post("/api/v1/ops/emergency", headers=admin, json=switch)
    assert on.status_code == 200, on.text
    body = on.json()
    assert body["on"] and body["floor"] == 20 and body["paused_slas"] == ["standard"]
    again = api.client.post("/api/v1/ops/emergency", headers=admin,
                            json={"on": True, "reason": "twice"})  # fmt: skip
    assert again.status_code == 409 and "already on" in again.text
    plan = api.client.get("/api/v1/ops/plan", headers=admin).json()
    floors = {h["start"][11:16]: h["floor"] for h in plan["hours"]}
    assert floors["15:00"] == 20 and floors["16:00"] == 20 and floors["18:00"] < 20
    protection = api.client.get("/api/v1/ops/protection", headers=admin).json()
    assert all(r["level"] == "maximum" for r in protection["regions"])
    assert api.client.post("/api/v1/ops/emergency", headers=studio,
                           json={"on": False, "reason": "x"}).status_code == 403  # fmt: skip
    off = api.client.post("/api/v1/ops/emergency", headers=admin,
                          json={"on": False, "reason": "restored"})  # fmt: skip
    assert off.status_code == 200 and off.json()["on"] is False
    api.clock.advance(hours=3)
    assert api.client.get("/api/v1/ops/emergency", headers=admin).json()["on"] is False


def test_the_dashboard_shows_tomorrows_readiness(api, studio) -> None:
    _sign_in(api, studio)
    assert "data-readiness" not in api.client.get("/dashboard").text
    _sign_in(api, api.key("studio-a", admin=True))
    page = api.client.get("/dashboard").text
    # no live worker, no backup target, no EMERGENCY receiver in the test settings
    assert 'data-readiness="not-ready"' in page
    assert "workers, backups, alert routes" in page


def test_culture_and_guests_from_the_catalog_drive_the_forecast(api, studio) -> None:
    for slug, zone, culture in (("a", "Europe/London", "Indian"), ("b", "Asia/Kolkata", "british")):
        made = api.client.post("/api/v1/weddings", headers=studio, json={
            "slug": slug, "date": "2026-06-13", "timezone": zone, "ceremony_time": "12:00",
            "culture": culture, "guests": 100})  # fmt: skip
        assert made.status_code == 201, made.text
        assert made.json()["culture"] == culture.lower() and made.json()["guests"] == 100
    admin = api.key("ops", admin=True)
    hours = api.client.get("/api/v1/ops/forecast?date=2026-06-13", headers=admin).json()["hours"]
    london = sum(h["mean"].get("Europe/London", 0) for h in hours)
    kolkata = sum(h["mean"].get("Asia/Kolkata", 0) for h in hours)
    assert london == pytest.approx(2 * kolkata, rel=0.01)  # Indian 2.0, British 1.0


@pytest.mark.parametrize("route", ["forecast", "plan"])
@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1899-12-31", "3000-01-01"])
def test_a_day_at_the_calendars_ends_is_refused_naming_the_range(api, route, day) -> None:
    admin = api.key("ops", admin=True)
    response = api.client.get(f"/api/v1/ops/{route}?date={day}", headers=admin)
    assert response.status_code == 422, response.text
    message = response.json()["error"]["message"]
    assert "date" in message and ("1900-01-01" in message or "2999-12-31" in message)


@pytest.mark.parametrize("route", ["forecast", "plan"])
@pytest.mark.parametrize("day", ["1900-01-01", "2999-12-31"])
def test_the_first_and_last_days_are_planned(api, route, day) -> None:
    admin = api.key("ops", admin=True)
    response = api.client.get(f"/api/v1/ops/{route}?date={day}", headers=admin)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("until", ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00"])
def test_a_scaling_request_past_the_calendar_is_refused_naming_until(api, until) -> None:
    admin = api.key("ops", admin=True)
    body = {"replicas": 3, "until": until, "reason": "r"}
    response = api.client.post("/api/v1/ops/scaling", headers=admin, json=body)
    assert response.status_code == 422, response.text
    assert "until" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("route", "body", "field"),
    [
        ("scaling", {"replicas": 3, "until": "2026-06-14T10:00:00+00:00", "reason": "r",
                     "replica": 30}, "replica"),
        ("emergency", {"on": True, "reason": "storm", "hour": 2}, "hour"),
    ],
)  # fmt: skip
def test_a_misspelt_field_is_refused_by_name(api, route, body, field) -> None:
    admin = api.key("ops", admin=True)
    response = api.client.post(f"/api/v1/ops/{route}", headers=admin, json=body)
    assert response.status_code == 422, response.text
    assert field in response.json()["error"]["message"]
    assert api.client.get("/api/v1/ops/emergency", headers=admin).json()["on"] is False


@pytest.mark.parametrize("hours", [1e-300, 0.01])
def test_the_emergency_switch_lasts_at_least_a_minute(api, hours) -> None:
    admin = api.key("ops", admin=True)
    body = {"on": True, "reason": "storm", "hours": hours}
    response = api.client.post("/api/v1/ops/emergency", headers=admin, json=body)
    assert response.status_code == 422, response.text
    assert "hours" in response.json()["error"]["message"]
    body["hours"] = 1 / 60
    assert api.client.post("/api/v1/ops/emergency", headers=admin, json=body).status_code == 200

"""Jobs for operators: stats against deadlines, dead letters, retry."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from trousseau.catalog.schema import job


def _kill_jobs(api, error="decoder crashed") -> None:
    with api.catalog.begin() as conn:
        conn.execute(
            update(job).values(state="dead", last_error=error, finished_at=api.clock(), attempts=5)
        )


def test_stats_count_by_state_and_sla_and_show_lateness(api, studio):
    admin = api.key("operators", admin=True)
    api.upload(studio, api.jpeg(seed=1))
    api.upload(studio, api.jpeg(seed=2))
    api.clock.advance(hours=25)
    stats = api.client.get("/api/v1/jobs/stats", headers=admin).json()
    assert stats["jobs"]["queued"]["standard"] == 2
    assert set(stats["jobs"]) == {"queued", "running", "done", "dead"}
    assert set(stats["jobs"]["queued"]) >= {"same-day", "next-day", "standard"}
    assert stats["late"] == {"overdue_open": 2, "finished_late": 0}
    assert stats["slack_seconds"] == -timedelta(hours=1).total_seconds()


def test_dead_jobs_are_listed_and_retried(api, studio):
    admin = api.key("operators", admin=True)
    photo_id = api.upload(studio, api.jpeg()).json()["id"]
    _kill_jobs(api)
    (dead,) = api.client.get("/api/v1/jobs", params={"state": "dead"}, headers=admin).json()[
        "items"
    ]
    assert dead["payload"] == {"photo_id": photo_id} and dead["last_error"] == "decoder crashed"
    assert api.client.get(f"/api/v1/jobs/{dead['id']}", headers=admin).json() == dead
    retried = api.client.post(f"/api/v1/jobs/{dead['id']}/retry", headers=admin)
    assert retried.status_code == 200
    assert retried.json()["state"] == "queued" and retried.json()["attempts"] == 0
    again = api.client.post(f"/api/v1/jobs/{dead['id']}/retry", headers=admin)
    assert again.status_code == 409 and "not dead" in again.json()["error"]["message"]
    api.work()
    photo = api.client.get(f"/api/v1/photos/{photo_id}", headers=studio).json()
    assert photo["state"] == "processed"


def test_unknown_job_is_404_and_bad_state_422(api):
    admin = api.key("operators", admin=True)
    assert api.client.get("/api/v1/jobs/777", headers=admin).status_code == 404
    assert api.client.post("/api/v1/jobs/777/retry", headers=admin).status_code == 404
    bad = api.client.get("/api/v1/jobs", params={"state": "lost"}, headers=admin)
    assert bad.status_code == 422

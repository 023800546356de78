"""Operations: liveness, readiness, metrics, OpenAPI, request ids and JSON logs."""

from __future__ import annotations

import io
import json
import logging

from sqlalchemy import update
from sqlalchemy.engine import make_url

from trousseau.catalog.schema import job
from trousseau.jobs import SlaDeadlines
from trousseau.settings import load_settings
from trousseau.web import create_app
from trousseau.web.logs import JsonFormatter, redact_text
from trousseau.web.metrics import QueueSnapshot, queue_families

from .conftest import TestClient

METRIC_NAMES = [
    "trousseau_http_request_duration_seconds",
    "trousseau_jobs",
    "trousseau_deadline_slack_seconds",
    "trousseau_late_jobs",
    "trousseau_vault_bytes",
    "trousseau_upload_bytes_total",
    "trousseau_job_duration_seconds",
    "trousseau_workers",
    "trousseau_workers_busy",
    "trousseau_jobs_due",
    "trousseau_worker_vault_errors_total",
    "trousseau_vault_errors_total",
]


def test_healthz_and_readyz(api):
    assert api.client.get("/healthz").json() == {"status": "ok"}
    ready = api.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ready",
        "checks": {
            "catalog": {"ok": True, "detail": None},
            "migrations": {"ok": True, "detail": None},
            "vault": {"ok": True, "detail": None},
        },
    }


def _unreachable(catalog_url: str, tmp_path) -> str:
    if catalog_url.startswith("sqlite"):
        blocker = tmp_path / "not-a-directory"
        blocker.write_text("")
        return f"sqlite:///{blocker / 'catalog.sqlite3'}"
    return make_url(catalog_url).set(port=1).render_as_string(hide_password=False)


def test_readyz_is_503_when_the_catalog_is_unreachable(catalog_url, tmp_path, clock):
    settings = load_settings(
        data_dir=tmp_path / "data",
        catalog_url=_unreachable(catalog_url, tmp_path),
        vault_url=(tmp_path / "vault").as_uri(),
    )
    with TestClient(create_app(settings, clock=clock)) as client:
        assert client.get("/healthz").status_code == 200
        ready = client.get("/readyz")
        assert ready.status_code == 503
        checks = ready.json()["checks"]
        assert not checks["catalog"]["ok"] and not checks["migrations"]["ok"]
        assert checks["vault"]["ok"]
        api_call = client.get("/api/v1/weddings", headers={"Authorization": "Bearer tr_1_x"})
        assert api_call.status_code == 503
        assert api_call.headers["Retry-After"] == "5"
        assert "postgres" not in api_call.text and "sqlite" not in api_call.text
        assert "trousseau_catalog_up 0.0" in client.get("/metrics").text


def test_readyz_is_503_when_the_vault_is_gone(api):
    import shutil

    shutil.rmtree(api.vault.root / "blobs")
    ready = api.client.get("/readyz")
    assert ready.status_code == 503 and not ready.json()["checks"]["vault"]["ok"]


def test_metrics_expose_every_name_with_values_from_the_catalog(api, studio):
    original = api.jpeg()
    api.upload(studio, original)
    api.upload(studio, api.jpeg(seed=2))
    text = api.client.get("/metrics").text
    assert api.client.get("/metrics").headers["Content-Type"].startswith("text/plain")
    for name in METRIC_NAMES:
        assert f"# TYPE {name} " in text, name
    assert 'trousseau_jobs{sla="standard",state="queued"} 2.0' in text
    assert 'trousseau_jobs{sla="same-day",state="dead"} 0.0' in text
    assert 'trousseau_late_jobs{sla="standard"} 0.0' in text
    assert 'trousseau_deadline_slack_seconds{sla="standard"} 86400.0' in text
    assert "trousseau_workers 0.0" in text
    assert "trousseau_plan_workers 5.0" in text  # no wedding today: the plan's minimum
    assert "trousseau_vault_free_bytes " in text
    assert "trousseau_workers_busy 0.0" in text
    assert "trousseau_jobs_due 2.0" in text
    for operation in ("put", "get", "verify"):
        assert f'trousseau_vault_errors_total{{operation="{operation}"}} 0.0' in text
    assert (
        'trousseau_http_request_duration_seconds_count{method="POST",'
        'route="/api/v1/weddings/{slug}/photos",status="201"} 2.0'
    ) in text
    api.work()
    text = api.client.get("/metrics").text
    assert 'trousseau_job_duration_seconds_count{kind="variants"} 2.0' in text
    assert 'trousseau_job_duration_seconds_count{kind="quality"} 2.0' in text
    assert 'trousseau_jobs_finished_total{outcome="on_time",sla="standard"} 4.0' in text
    assert 'trousseau_jobs_finished_total{outcome="late",sla="standard"} 0.0' in text
    assert 'trousseau_jobs{sla="standard",state="done"} 4.0' in text
    assert "trousseau_jobs_due 0.0" in text
    vault_bytes = next(
        float(line.split()[1])
        for line in text.splitlines()
        if line.startswith("trousseau_vault_bytes ")
    )
    assert vault_bytes > len(original)
    text = api.client.get("/metrics").text
    assert 'trousseau_job_duration_seconds_count{kind="variants"} 2.0' in text


def test_due_jobs_leave_out_retries_waiting_out_their_backoff(api):
    from datetime import timedelta

    from trousseau.jobs import NewJob, claim, enqueue, fail

    now = api.clock()
    lease = timedelta(minutes=1)
    with api.catalog.begin() as conn:
        for _ in range(3):
            enqueue(conn, NewJob("noop", {}, "standard", now + lease, max_attempts=3), now=now)
        (first,) = claim(conn, owner="w", now=now, lease=lease, limit=1)
        fail(conn, first.id, owner="w", now=now, error="x", retry_at=now + lease)
    assert _gauge(api.client.get("/metrics").text, "trousseau_jobs_due") == 2
    api.clock.advance(minutes=2)
    assert _gauge(api.client.get("/metrics").text, "trousseau_jobs_due") == 3


def test_a_workers_vault_failures_reach_the_metrics(api, studio):
    """A damaged original fails its job on the vault's verified read: the worker records it,
    and /metrics counts it where the vault alerts look."""
    response = api.upload(studio, api.jpeg(seed=9))
    blob = api.vault.blob_path(response.json()["sha256"])
    blob.chmod(0o644)
    blob.write_bytes(blob.read_bytes()[:-10] + b"\0" * 10)
    before = api.client.get("/metrics").text
    assert 'trousseau_worker_vault_errors_total{operation="verify"} 0.0' in before
    with api.catalog.begin() as conn:  # one attempt: the fake clock never reaches a retry
        conn.execute(update(job).values(max_attempts=1))
    api.work()
    text = api.client.get("/metrics").text
    assert 'trousseau_worker_vault_errors_total{operation="verify"} 1.0' in text
    assert 'trousseau_worker_vault_errors_total{operation="job"} 0.0' in text


def _gauge(text: str, name: str) -> float:
    return next(float(line.split()[1]) for line in text.splitlines() if line.startswith(name + " "))


def test_workers_are_the_live_heartbeats_and_busy_the_lease_holders(api):
    from datetime import timedelta

    from trousseau.catalog import beat
    from trousseau.jobs import NewJob, claim, enqueue

    lease = timedelta(seconds=api.settings.jobs.lease_seconds)
    now = api.clock()
    shape = {"host": "node-a", "pid": 7, "mode": "process", "slots": 4}
    with api.catalog.begin() as conn:
        beat(conn, "busy-one", now=now, **shape)
        beat(conn, "idle-one", now=now - lease + timedelta(seconds=1), **shape)
        beat(conn, "vanished", now=now - lease - timedelta(seconds=1), **shape)
        new = NewJob("noop", {}, "standard", now + timedelta(hours=1), max_attempts=3)
        enqueue(conn, new, now=now)
        assert len(claim(conn, owner="busy-one", now=now, lease=lease, limit=1)) == 1
    text = api.client.get("/metrics").text
    assert (_gauge(text, "trousseau_workers"), _gauge(text, "trousseau_workers_busy")) == (2, 1)
    listed = api.client.get("/api/v1/workers", headers=api.key("ops", admin=True))
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert [(w["owner"], w["running"]) for w in body["items"]] == [
        ("idle-one", 0),
        ("busy-one", 1),
    ]
    assert (body["slots"], body["busy"], body["live_within_seconds"]) == (8, 1, lease.seconds)
    assert body["items"][0]["seen_seconds_ago"] == lease.total_seconds() - 1
    tenant = api.client.get("/api/v1/workers", headers=api.key("studio-a"))
    assert tenant.status_code == 403
    assert body["orphaned"] == 0 and _gauge(text, "trousseau_jobs_orphaned") == 0
    # Past the window nobody beat: no live worker, none busy; the lease the vanished worker
    # still holds is an orphaned job until a worker releases it.
    api.clock.advance(seconds=api.settings.jobs.lease_seconds + 1)
    text = api.client.get("/metrics").text
    assert (_gauge(text, "trousseau_workers"), _gauge(text, "trousseau_workers_busy")) == (0, 0)
    assert _gauge(text, "trousseau_jobs_orphaned") == 1


def test_two_apps_do_not_share_metrics(api, settings, clock):
    with TestClient(create_app(settings, clock=clock)) as other:
        api.client.get("/healthz")
        assert 'route="/healthz"' not in other.get("/metrics").text


def test_queue_families_are_pure():
    from datetime import UTC, datetime, timedelta

    now = datetime(2026, 6, 13, 15, tzinfo=UTC)
    snapshot = QueueSnapshot(
        now=now,
        by_state_sla={("queued", "same-day"): 3},
        deadlines={"same-day": SlaDeadlines("same-day", now - timedelta(minutes=5), 2)},
        stored_bytes=10,
        workers=3,
        busy=1,
    )
    families = {f.name: f for f in queue_families(snapshot, ["same-day", "standard"])}
    slack = {s.labels["sla"]: s.value for s in families["trousseau_deadline_slack_seconds"].samples}
    assert slack == {"same-day": -300.0}
    late = {s.labels["sla"]: s.value for s in families["trousseau_late_jobs"].samples}
    assert late == {"same-day": 2, "standard": 0}
    assert families["trousseau_workers"].samples[0].value == 3
    assert families["trousseau_workers_busy"].samples[0].value == 1
    assert [f.name for f in queue_families(None, ["standard"])] == ["trousseau_catalog_up"]


def test_openapi_documents_the_versioned_api(api):
    schema = api.client.get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    assert {
        "/api/v1/weddings",
        "/api/v1/weddings/{slug}",
        "/api/v1/weddings/{slug}/photos",
        "/api/v1/photos/{photo_id}",
        "/api/v1/photos/{photo_id}/variants/{profile}",
        "/api/v1/jobs",
        "/api/v1/jobs/stats",
        "/api/v1/jobs/{job_id}",
        "/api/v1/jobs/{job_id}/retry",
    } <= set(paths)
    upload = paths["/api/v1/weddings/{slug}/photos"]["post"]
    assert "application/octet-stream" in upload["requestBody"]["content"]
    assert {"201", "200", "413", "415", "422"} <= set(upload["responses"])
    assert schema["components"]["securitySchemes"]["ApiKey"]["scheme"] == "bearer"
    assert api.client.get("/api/v1/docs").status_code == 200


def test_request_ids_are_echoed_or_made(api):
    echoed = api.client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["X-Request-ID"] == "abc-123"
    made = api.client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
    assert len(made.headers["X-Request-ID"]) == 32
    missing = api.client.get("/api/v1/nothing", headers={"X-Request-ID": "req-9"})
    assert missing.status_code == 404
    assert missing.json()["error"] == {
        "code": "not_found",
        "message": "no route answers GET '/api/v1/nothing': check the URL against the API's "
        "routes (/api/v1/docs)",
        "request_id": "req-9",
    }
    brewed = api.client.request("BREW", "/api/v1/weddings")
    assert brewed.status_code == 405
    assert brewed.json()["error"]["message"] == (
        "the method of BREW '/api/v1/weddings' is not served there; allowed: GET, POST"
    )


def test_a_mangled_upload_url_still_gets_a_tus_answer(api, studio):
    for method in ("HEAD", "PATCH", "DELETE"):
        answer = api.client.request(
            method, "/api/v1/uploads/..%2f..%2fetc%2fpasswd", headers=studio
        )
        assert answer.status_code == 404, method
        assert answer.headers["Tus-Resumable"] == "1.0.0", method
    assert "Tus-Resumable" not in api.client.get("/api/v1/nothing").headers


def test_logs_are_json_lines_with_request_id_and_no_secrets(api, studio):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("trousseau.web")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        api.client.get("/api/v1/weddings", headers={**studio, "X-Request-ID": "r-1"})
        api.client.get(
            "/api/v1/weddings", headers={"Authorization": "Bearer tr_5_zzz", "X-Request-ID": "r-2"}
        )
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    access = [e for e in lines if e["logger"] == "trousseau.web.access"]
    assert [(e["request_id"], e["status"], e["route"]) for e in access] == [
        ("r-1", 200, "/api/v1/weddings"),
        ("r-2", 401, "/api/v1/weddings"),
    ]
    assert access[0]["tenant"] == "studio-a" and access[0]["duration_ms"] >= 0
    refused = next(e for e in lines if e["message"] == "API key refused")
    assert refused["request_id"] == "r-2" and refused["key_id"] == 5
    text = stream.getvalue()
    assert studio["Authorization"].split()[1] not in text and "zzz" not in text


def test_redaction():
    assert redact_text("key tr_12_abcDEF-_x used") == "key tr_*** used"
    assert (
        redact_text("postgresql+psycopg://app:s3cret@db:5432/x")
        == "postgresql+psycopg://app:***@db:5432/x"
    )


def test_metrics_show_each_backup_repository_lag(api, studio):
    from trousseau.catalog import advance_cursor, mark_backed_up, pending_changes

    api.upload(studio, api.jpeg())
    api.upload(studio, api.jpeg(seed=2))
    with api.catalog.begin() as conn:
        advance_cursor(conn, "repo-a", 0, now=api.clock())
        changes = pending_changes(conn, "repo-a", limit=10)  # the wedding, the two photos
        mark_backed_up(conn, "repo-a", [changes[0].id], now=api.clock())
    api.clock.advance(seconds=90)
    text = api.client.get("/metrics").text
    left = len(changes) - 1
    assert f'trousseau_backup_pending_changes{{repository="repo-a"}} {left}.0' in text
    assert 'trousseau_backup_lag_seconds{repository="repo-a"} 90.0' in text


def test_backup_health_is_an_admin_view_of_each_repository_lag(api, studio):
    from trousseau.catalog import advance_cursor, latest_change_id

    ops = api.key("ops", admin=True)
    nothing = api.client.get("/api/v1/backup", headers=ops).json()
    assert nothing["repositories"] == [] and not nothing["ok"]  # never backed up: not ok
    assert api.client.get("/api/v1/backup", headers=studio).status_code == 403

    with api.catalog.begin() as conn:
        advance_cursor(conn, "repo-a", latest_change_id(conn), now=api.clock())  # holds all
    assert api.client.get("/api/v1/backup", headers=ops).json()["ok"]
    api.upload(studio, api.jpeg())
    api.clock.advance(seconds=120)
    late = api.client.get("/api/v1/backup", headers=ops).json()
    assert not late["ok"] and late["repositories"][0]["late"]
    assert late["repositories"][0]["lag_seconds"] == 120.0


def test_a_job_done_after_its_deadline_counts_as_late(api, studio):
    api.upload(studio, api.jpeg(seed=3))
    api.client.get("/metrics")
    api.clock.advance(hours=25)  # past the standard promise (24 h)
    api.work()
    text = api.client.get("/metrics").text
    # the photo's variants and its quality job (which shares the photo's deadline)
    assert 'trousseau_jobs_finished_total{outcome="late",sla="standard"} 2.0' in text
    assert 'trousseau_jobs_finished_total{outcome="on_time",sla="standard"} 0.0' in text

"""A wedding's progress: the snapshot's numbers, and the live stream that carries them."""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest

from trousseau.catalog import Wedding, get_tenant, get_wedding
from trousseau.jobs import SubjectJobs
from trousseau.web.dashboard.progress import WeddingCounts, progress_of, read_progress
from trousseau.web.metrics import HTTP_DURATION

from .conftest import Api

NOW = datetime(2026, 6, 13, 15, 0, tzinfo=UTC)
WEDDING = Wedding(1, 1, "ana-ben", "Ana & Ben", date(2026, 6, 13), "Europe/Paris", None, "same-day")


def _progress(api: Api, tenant: str = "studio-a", slug: str = "smith-jones"):
    with api.catalog.begin() as conn:
        wedding = get_wedding(conn, get_tenant(conn, tenant).id, slug)
        return read_progress(conn, [wedding], now=api.clock())[0]


def _upload(api: Api, headers: dict[str, str], count: int, wedding: str = "smith-jones") -> None:
    for seed in range(count):
        response = api.upload(headers, api.jpeg(seed=seed + 1), wedding=wedding, name=f"{seed}.jpg")
        assert response.status_code == 201, response.text


# ---- the snapshot, pure -------------------------------------------------------------------


def test_status_follows_the_counts():
    def status(**counts) -> str:
        photos = {k: counts.pop(k) for k in ("stored", "processed", "failed") if k in counts}
        jobs = SubjectJobs(**counts)
        return progress_of(WEDDING, WeddingCounts(photos=photos, jobs=jobs), NOW).status

    assert status() == "waiting"
    assert status(stored=2, queued=2) == "processing"
    assert status(stored=2, queued=2, late=1) == "late"
    assert status(processed=3) == "delivered"
    assert status(processed=2, failed=1) == "failed"
    assert status(processed=3, done=3, queued=3) == "processing", "a follow-on kind is open"


def test_slack_is_the_open_deadline_minus_now_and_none_once_done():
    due = NOW + timedelta(minutes=30)
    open_ = progress_of(
        WEDDING,
        WeddingCounts(
            {"stored": 1}, jobs=SubjectJobs(queued=1, next_deadline=due, last_deadline=due)
        ),
        NOW,
    )
    assert open_.deadline == due and open_.slack_seconds == 1800
    done = progress_of(
        WEDDING, WeddingCounts({"processed": 1}, jobs=SubjectJobs(last_deadline=due)), NOW
    )
    assert done.deadline == due and done.slack_seconds is None
    assert done.percent == 100.0


def test_only_a_moved_clock_is_not_a_change():
    jobs = SubjectJobs(queued=1, next_deadline=NOW, last_deadline=NOW)
    counts = WeddingCounts({"stored": 1}, jobs=jobs)
    first = progress_of(WEDDING, counts, NOW)
    later = progress_of(WEDDING, counts, NOW + timedelta(seconds=5))
    done = WeddingCounts({"processed": 1}, jobs=SubjectJobs(last_deadline=NOW))
    moved = progress_of(WEDDING, done, NOW)
    assert later.same_as(first)
    assert not moved.same_as(first)


# ---- the snapshot, from the catalog -------------------------------------------------------


def test_progress_before_and_after_processing(api, studio):
    _upload(api, studio, 3)
    before = _progress(api)
    delay = api.settings.sla_classes[api.settings.default_sla]
    assert (before.total, before.ready, before.processing, before.failed) == (3, 0, 3, 0)
    assert (before.queued, before.running, before.late, before.variants) == (3, 0, 0, 0)
    assert before.deadline == api.clock() + delay
    assert before.slack_seconds == delay.total_seconds()
    assert before.status == "processing"

    api.work()
    after = _progress(api)
    photos = api.client.get("/api/v1/weddings/smith-jones/photos", headers=studio).json()
    rendered = sum(len(p["variants"]) for p in photos["items"])
    assert (after.total, after.ready, after.processing, after.failed) == (3, 3, 0, 0)
    assert (after.queued, after.running, after.late) == (0, 0, 0)
    assert after.variants == rendered > 0
    assert after.deadline == before.deadline and after.slack_seconds is None
    assert after.status == "delivered"


def test_jobs_past_their_deadline_make_the_wedding_late(api, studio):
    _upload(api, studio, 2)
    api.clock.advance(days=2)
    late = _progress(api)
    assert late.late == 2 and late.status == "late"
    assert late.slack_seconds is not None and late.slack_seconds < 0


def test_a_photo_that_cannot_be_decoded_counts_as_failed(api, studio):
    _upload(api, studio, 1)
    broken = api.jpeg(seed=9)[:400]
    assert api.upload(studio, broken, name="broken.jpg").status_code == 201
    api.work()
    progress = _progress(api)
    assert (progress.total, progress.ready, progress.failed) == (2, 1, 1)
    assert progress.status == "failed"


def test_progress_of_one_wedding_ignores_the_others(api, studio, rival):
    _upload(api, studio, 2)
    _upload(api, rival, 1, wedding="rival-wedding")
    assert _progress(api).total == 2
    assert _progress(api, "studio-b", "rival-wedding").total == 1


# ---- the stream ---------------------------------------------------------------------------


def _events(lines):
    """(event, data) pairs and comments from an SSE line iterator, as they arrive."""
    event, data = None, []
    for line in lines:
        if line.startswith(":"):
            yield ("comment", line[1:].strip())
        elif line.startswith("event:"):
            event = line.split(":", 1)[1].strip()
        elif line.startswith("data:"):
            data.append(line.split(":", 1)[1].strip())
        elif line == "" and (event or data):
            yield (event, json.loads("\n".join(data)) if data else None)
            event, data = None, []


def _next_progress(events) -> dict:
    for kind, data in events:
        if kind == "progress":
            return data
    raise AssertionError("the stream ended without a progress event")


def test_stream_sends_a_snapshot_then_the_change_after_processing(api, studio, live):
    _upload(api, studio, 2)
    url = f"{live.url}/api/v1/weddings/smith-jones/progress"
    with httpx.stream("GET", url, headers=studio, timeout=30) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-cache"
        events = _events(response.iter_lines())
        first = _next_progress(events)
        assert (first["slug"], first["total"], first["ready"], first["status"]) == (
            "smith-jones",
            2,
            0,
            "processing",
        )
        api.work()
        seen = [_next_progress(events)]
        # A poll may land between the two photos, or after the last photo is ready but
        # before its job is marked done (the job still open, so slack still counts).
        while seen[-1]["ready"] < 2 or seen[-1]["slack_seconds"] is not None:
            seen.append(_next_progress(events))
    ready = [e["ready"] for e in seen]  # a poll may also land mid-photo (a job running)
    assert ready == sorted(ready)
    changed = seen[-1]
    assert (changed["ready"], changed["processing"], changed["status"]) == (2, 0, "delivered")
    assert changed["variants"] > 0 and changed["slack_seconds"] is None


def test_a_quiet_stream_sends_keep_alives_and_ends_after_its_lifetime(api, studio, serve):
    server = serve(progress_keepalive_seconds=0.2, progress_lifetime_seconds=1.0)
    url = f"{server.url}/api/v1/weddings/smith-jones/progress"
    started = time.monotonic()
    with httpx.stream("GET", url, headers=studio, timeout=10) as response:
        events = list(_events(response.iter_lines()))
    assert time.monotonic() - started < 5
    kinds = [kind for kind, _ in events]
    assert kinds.count("progress") == 1  # nothing changed after the first snapshot
    assert ("comment", "keep-alive") in events
    assert events[-1] == ("comment", "stream lifetime reached: reconnect")


def test_the_stream_stops_when_the_client_leaves(api, studio, live):
    url = f"{live.url}/api/v1/weddings/smith-jones/progress"
    registry = live.server.config.app.state.metrics.registry
    labels = {"method": "GET", "route": "/api/v1/weddings/{slug}/progress", "status": "200"}

    def finished() -> float:
        return registry.get_sample_value(f"{HTTP_DURATION}_count", labels) or 0.0

    with httpx.stream("GET", url, headers=studio, timeout=10) as response:
        events = _events(response.iter_lines())  # held: closing it would close the response
        _next_progress(events)
        time.sleep(0.3)  # a few polls, in which the server must not end the stream
        assert finished() == 0
    deadline = time.monotonic() + 10  # a poll or a keep-alive (1 s) finds the client gone
    while not finished():
        assert time.monotonic() < deadline, "the server kept streaming to a client that left"
        time.sleep(0.05)


@pytest.mark.parametrize("who", ["nobody", "revoked", "rival"])
def test_the_stream_needs_a_key_of_the_weddings_tenant(api, studio, rival, live, who):
    headers = {"nobody": {}, "rival": rival}.get(who)
    if who == "revoked":
        headers = api.key("studio-a")
        api.revoke(headers)
    response = httpx.get(f"{live.url}/api/v1/weddings/smith-jones/progress", headers=headers)
    assert response.status_code == (404 if who == "rival" else 401)
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"]["code"] in ("not_found", "unauthorized")


def test_the_stream_accepts_the_dashboard_cookie(api, studio, live):
    token = studio["Authorization"].split()[1]
    url = f"{live.url}/api/v1/weddings/smith-jones/progress"
    with httpx.stream("GET", url, cookies={"trousseau_key": token}, timeout=10) as response:
        assert response.status_code == 200
        assert _next_progress(_events(response.iter_lines()))["slug"] == "smith-jones"


# ---- two kinds per photo ------------------------------------------------------------------

ANALYSED: list[int] = []


def analyse(ctx, payload) -> None:
    """A second kind about each photo, following its variants (as analysis will)."""
    ANALYSED.append(ctx.photo_id)


@pytest.fixture
def follow_on_kind():
    from trousseau.jobs import register, unregister
    from trousseau.kinds import Kind

    register("test.analysis", f"{__name__}:analyse", follows=Kind.VARIANTS)
    ANALYSED.clear()
    yield "test.analysis"
    unregister("test.analysis")


def test_progress_and_dashboard_count_every_kind_of_a_photos_jobs(api, studio, follow_on_kind):
    from trousseau.jobs import PoolMode, build_worker
    from trousseau.kinds import Kind

    from .test_dashboard import _sign_in

    _upload(api, studio, 3)
    variants_only = build_worker(
        api.settings, api.catalog, mode=PoolMode.INLINE, clock=api.clock, kinds=[Kind.VARIANTS]
    )
    variants_only.run(until_idle=True)

    halfway = _progress(api)
    assert (halfway.total, halfway.ready, halfway.processing) == (3, 3, 0)
    # each photo: its variants, then its quality job and the test's kind
    assert (halfway.queued, halfway.jobs_total, halfway.jobs_done) == (6, 9, 3)
    assert halfway.percent == pytest.approx(100 / 3) and halfway.status == "processing"
    assert halfway.slack_seconds is not None, "the follow-ons share the photos' deadline"
    _sign_in(api, studio)
    page = api.client.get("/dashboard/weddings/smith-jones").text
    assert 'data-status="processing"' in page and 'data-open="true"' in page

    api.work()
    done = _progress(api)
    assert len(set(ANALYSED)) == 3
    assert (done.queued, done.jobs_total, done.jobs_done) == (0, 9, 9)
    assert done.percent == 100.0 and done.status == "delivered"
    page = api.client.get("/dashboard/weddings/smith-jones").text
    assert 'data-status="delivered"' in page

"""The dashboard: sign-in, the cookie, what each key sees, escaping, the gallery, isolation."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from trousseau.catalog import Wedding
from trousseau.web.auth import COOKIE
from trousseau.web.dashboard.overview import (
    NOTHING,
    duration,
    group_by_zone,
    local_time,
    size,
    slack,
    todays,
)
from trousseau.web.dashboard.progress import WeddingCounts, progress_of

from .conftest import Api

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _token(headers: dict[str, str]) -> str:
    return headers["Authorization"].split()[1]


def _sign_in(api: Api, headers: dict[str, str]) -> None:
    response = api.client.post(
        "/dashboard/sign-in", content=f"key={_token(headers)}", headers=FORM, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/dashboard"


# ---- pure view helpers --------------------------------------------------------------------


def _wedding(slug: str, on: date, tz: str) -> Wedding:
    return Wedding(1, 1, slug, slug.title(), on, tz, None, "standard")


def test_today_is_each_weddings_own_date():
    now = datetime(2026, 6, 13, 15, 0, tzinfo=UTC)  # Tokyo: 14th 00:00; New York: 13th 11:00
    weddings = [
        _wedding("paris", date(2026, 6, 13), "Europe/Paris"),
        _wedding("tokyo", date(2026, 6, 14), "Asia/Tokyo"),
        _wedding("tokyo-yesterday", date(2026, 6, 13), "Asia/Tokyo"),
        _wedding("new-york", date(2026, 6, 13), "America/New_York"),
        _wedding("new-york-tomorrow", date(2026, 6, 14), "America/New_York"),
    ]
    assert [w.slug for w in todays(weddings, now)] == ["paris", "tokyo", "new-york"]


def test_zones_are_listed_furthest_ahead_first():
    now = datetime(2026, 6, 13, 12, 0, tzinfo=UTC)
    progress = [
        progress_of(_wedding(s, date(2026, 6, 13), tz), WeddingCounts({}), now)
        for s, tz in [("b", "America/New_York"), ("a", "Asia/Tokyo"), ("c", "Europe/Paris")]
    ]
    groups = group_by_zone(progress, now)
    assert [g.timezone for g in groups] == ["Asia/Tokyo", "Europe/Paris", "America/New_York"]
    assert groups[0].local_now.hour == 21


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0 s"), (59, "59 s"), (60, "1 min"), (3599, "59 min"), (3900, "1 h 05 min"),
     (49 * 3600, "2 d 1 h"), (-300, "5 min")],
)  # fmt: skip
def test_duration(seconds, text):
    assert duration(seconds) == text


def test_slack_size_and_local_time_read_like_a_person_writes():
    assert slack(None) == NOTHING and slack(90) == "1 min left" and slack(-90) == "late 1 min"
    assert [size(n) for n in (812, 45_000, 1_200_000, 3_400_000_000, 10**13)] == [
        "812 B",
        "45 KB",
        "1.2 MB",
        "3.4 GB",
        "10.0 TB",
    ]
    at = datetime(2026, 6, 13, 22, 30, tzinfo=UTC)
    assert local_time(at, "Europe/Paris") == "00:30"
    assert local_time(at, "Europe/Paris", now=at.replace(hour=12)) == "Sun 00:30"
    assert local_time(None, "UTC") == NOTHING


# ---- sign-in and the cookie ---------------------------------------------------------------


def test_pages_send_a_browser_without_a_cookie_to_sign_in(api, studio):
    for path in ("/dashboard", "/dashboard/weddings/smith-jones"):
        response = api.client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/dashboard/sign-in"
    form = api.client.get("/dashboard/sign-in")
    assert form.status_code == 200 and 'name="key"' in form.text


@pytest.mark.parametrize("key", ["", "not-a-key", "tr_1_wrongsecret", "revoked"])
def test_sign_in_with_a_bad_key_is_refused(api, studio, key):
    if key == "revoked":
        headers = api.key("studio-a")
        api.revoke(headers)
        key = _token(headers)
    response = api.client.post(
        "/dashboard/sign-in", content=f"key={key}", headers=FORM, follow_redirects=False
    )
    assert response.status_code == 401
    assert "not valid" in response.text
    assert "set-cookie" not in response.headers
    assert COOKIE not in api.client.cookies


def test_sign_in_sets_an_httponly_strict_cookie_that_opens_the_dashboard(api, studio):
    response = api.client.post(
        "/dashboard/sign-in", content=f"key={_token(studio)}", headers=FORM, follow_redirects=False
    )
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http: a Secure cookie would never come back
    page = api.client.get("/dashboard")
    assert page.status_code == 200 and "smith-jones" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"


def test_over_https_the_cookie_is_secure(api, studio):
    response = api.client.post(
        "https://testserver/dashboard/sign-in",
        content=f"key={_token(studio)}",
        headers=FORM,
        follow_redirects=False,
    )
    assert "Secure" in response.headers["set-cookie"]


def test_the_cookie_does_not_open_the_rest_of_the_api(api, studio):
    _sign_in(api, studio)
    assert api.client.get("/api/v1/weddings").status_code == 401


def test_sign_out_forgets_the_cookie(api, studio):
    _sign_in(api, studio)
    response = api.client.post("/dashboard/sign-out", follow_redirects=False)
    assert response.status_code == 303
    assert f'{COOKIE}=""' in response.headers["set-cookie"]
    assert api.client.get("/dashboard", follow_redirects=False).status_code == 303


@pytest.mark.parametrize(
    "came_from",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
    ],
)
def test_another_site_cannot_sign_the_browser_in_or_out(api, studio, rival, came_from):
    # SameSite=Strict keeps the cookie off cross-site requests, but a cross-site form can
    # still post a key of the attacker's tenant and set the cookie (login CSRF).
    response = api.client.post(
        "/dashboard/sign-in",
        content=f"key={_token(rival)}",
        headers={**FORM, **came_from},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert "set-cookie" not in response.headers
    assert COOKIE not in api.client.cookies
    _sign_in(api, studio)
    response = api.client.post("/dashboard/sign-out", headers=came_from, follow_redirects=False)
    assert response.status_code == 403 and "set-cookie" not in response.headers
    assert "smith-jones" in api.client.get("/dashboard").text


def test_the_dashboards_own_forms_sign_in_and_out(api, studio):
    own = {"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"}
    response = api.client.post(
        "/dashboard/sign-in",
        content=f"key={_token(studio)}",
        headers={**FORM, **own},
        follow_redirects=False,
    )
    assert response.status_code == 303 and COOKIE in api.client.cookies
    without_fetch_metadata = {"Origin": "http://testserver"}
    response = api.client.post(
        "/dashboard/sign-out", headers=without_fetch_metadata, follow_redirects=False
    )
    assert response.status_code == 303 and f'{COOKIE}=""' in response.headers["set-cookie"]


def test_a_sign_in_form_with_many_fields_is_refused_not_a_crash(api, studio):
    body = "a=1&b=2&c=3&d=4&e=5&key=" + _token(studio)
    response = api.client.post(
        "/dashboard/sign-in", content=body, headers=FORM, follow_redirects=False
    )
    assert response.status_code == 401 and "not valid" in response.text
    assert COOKIE not in api.client.cookies


def test_a_revoked_key_signs_the_dashboard_out(api, studio):
    headers = api.key("studio-a")
    _sign_in(api, headers)
    api.revoke(headers)
    response = api.client.get("/dashboard", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/dashboard/sign-in"


# ---- what the overview shows --------------------------------------------------------------


def test_the_overview_escapes_what_studios_typed(api, studio):
    title = '<script>alert("x")</script> Ana & Ben'
    api.wedding(studio, slug="ana-ben", title=title)
    _sign_in(api, studio)
    page = api.client.get("/dashboard").text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Ana &amp; Ben" in page
    assert "<script>alert" not in page


def test_the_overview_lists_todays_weddings_by_zone_with_their_progress(api, studio):
    api.wedding(studio, slug="tokyo-tomorrow", date="2026-06-14", timezone="Asia/Tokyo")
    api.wedding(studio, slug="new-york-later", date="2026-06-14", timezone="America/New_York")
    for seed in (1, 2):
        api.upload(studio, api.jpeg(seed=seed), name=f"{seed}.jpg")
    _sign_in(api, studio)
    page = api.client.get("/dashboard").text
    assert "Asia/Tokyo" in page and "tokyo-tomorrow" in page
    assert "new-york-later" not in page  # 11:00 on the 13th in New York
    assert page.index("Asia/Tokyo") < page.index("Europe/Paris")
    assert 'data-wedding="smith-jones"' in page and 'data-field="ready">0<' in page
    api.work()
    page = api.client.get("/dashboard").text
    assert 'data-field="ready">2<' in page and 'data-status="delivered"' in page


def test_a_tenant_key_sees_no_operations_panels_and_an_admin_key_does(api, studio):
    _sign_in(api, studio)
    tenant_view = api.client.get("/dashboard").text
    assert "Queue by SLA class" not in tenant_view and "Workers" not in tenant_view
    _sign_in(api, api.key("studio-a", admin=True))
    admin_view = api.client.get("/dashboard").text
    for panel in ("Queue by SLA class", "Late jobs", "Workers", "Dead letter"):
        assert panel in admin_view
    for sla in api.settings.sla_classes:
        assert f'<span class="tag sla">{sla}</span>' in admin_view


def test_the_workers_card_counts_live_and_busy_and_lists_them_for_admins(api, studio):
    from datetime import timedelta

    from trousseau.catalog import beat
    from trousseau.jobs import NewJob, claim, enqueue

    now = api.clock()
    lease = timedelta(seconds=api.settings.jobs.lease_seconds)
    with api.catalog.begin() as conn:
        twelve_ago = now - timedelta(seconds=12)
        beat(conn, "node-a:11:aa", now=twelve_ago, host="node-a", pid=11, mode="process", slots=4)
        beat(conn, "gpu-0:5:bb", now=now, host="gpu-0", pid=5, mode="gpu", slots=32)
        beat(conn, "gone:9:cc", now=now - lease * 2, host="gone", pid=9, mode="inline", slots=1)
        enqueue(conn, NewJob("noop", {}, "standard", now + lease, max_attempts=3), now=now)
        claim(conn, owner="gpu-0:5:bb", now=now, lease=lease, limit=1)
    _sign_in(api, api.key("studio-a", admin=True))
    page = api.client.get("/dashboard").text
    assert "2<small> live · 1 busy</small>" in page
    assert "36 slots" in page
    assert 'data-worker="node-a:11:aa"' in page and 'data-worker="gpu-0:5:bb"' in page
    assert "gone:9:cc" not in page
    assert "node-a · pid 11" in page and '<span class="tag">gpu</span>' in page
    assert "12 s ago" in page and "0 s ago" in page
    assert '<td class="num" data-field="jobs">1 / 32</td>' in page
    _sign_in(api, studio)
    assert "node-a:11:aa" not in api.client.get("/dashboard").text


def test_failures_show_their_error_to_their_tenant_only(api, studio, rival):
    broken = api.jpeg(seed=5)[:400]
    assert api.upload(studio, broken, name="broken.jpg").status_code == 201
    api.work()
    _sign_in(api, studio)
    page = api.client.get("/dashboard").text
    assert "broken.jpg" in page and "error-text" in page
    _sign_in(api, rival)
    assert "broken.jpg" not in api.client.get("/dashboard").text


def test_the_backup_panel_says_not_configured_never_run_then_each_repository_lag(api, studio):
    from trousseau.catalog import advance_cursor, latest_change_id
    from trousseau.settings import BackupSettings
    from trousseau.web import create_app

    from .conftest import TestClient

    _sign_in(api, studio)
    assert 'id="backup"' not in api.client.get("/dashboard").text  # operations: admins only
    admin = api.key("studio-a", admin=True)
    _sign_in(api, admin)
    page = api.client.get("/dashboard").text
    assert 'data-backup-state="not-configured"' in page and "No backup configured" in page
    assert 'data-backup="not-configured"' in page and "not configured" in page

    configured = api.settings.model_copy(
        update={"backup": BackupSettings(targets=("/srv/a", "/srv/b"), lag_target_seconds=60)}
    )
    with TestClient(create_app(configured, clock=api.clock)) as client:
        client.cookies.set(COOKIE, _token(admin))
        never = client.get("/dashboard").text
        assert 'data-backup-state="never-run"' in never
        assert "2 targets configured, but no backup run has completed" in never

        repository = "repo-" + "0123456789abcdef" * 2
        backed_up_at = api.clock()
        with api.catalog.begin() as conn:
            advance_cursor(conn, repository, latest_change_id(conn), now=backed_up_at)
        api.clock.advance(seconds=30)
        ok = client.get("/dashboard").text
        assert 'data-backup-state="ok"' in ok and f'data-repository="{repository}"' in ok
        assert f'title="{repository}">0123456789ab<' in ok
        assert '<td class="num " data-field="lag">0 s</td>' in ok
        assert '<td class="num" data-field="pending">0</td>' in ok
        assert ">30 s ago</td>" in ok and "2026-06-13 15:00:00 UTC" in ok
        assert '<span class="pill done" data-field="backup-status">ok</span>' in ok

        api.upload(studio, api.jpeg())
        api.clock.advance(seconds=90)
        late = client.get("/dashboard").text
        assert 'data-backup-state="late"' in late and 'data-backup="late"' in late
        assert '<td class="num late" data-field="lag">1 min</td>' in late
        assert '<span class="pill late" data-field="backup-status">late</span>' in late
        assert "late beyond 1 min" in late


# ---- the gallery --------------------------------------------------------------------------


def test_the_gallery_shows_each_photo_with_its_placeholder_and_variants(api, studio, processed):
    _sign_in(api, studio)
    page = api.client.get("/dashboard/weddings/smith-jones").text
    photo = api.client.get(f"/api/v1/photos/{processed.photo_id}", headers=studio).json()
    assert f'data-thumbhash="{photo["placeholder"]}"' in page
    assert f"background-color: {photo['colours'][0]['hex']}" in page
    assert f'src="/dashboard/photos/{processed.photo_id}/variants/thumb"' in page
    for variant in photo["variants"]:
        assert f'/dashboard/photos/{processed.photo_id}/variants/{variant["profile"]}"' in page
    thumb = api.client.get(f"/dashboard/photos/{processed.photo_id}/variants/thumb")
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/webp"
    sha256 = next(v["sha256"] for v in photo["variants"] if v["profile"] == "thumb")
    assert thumb.headers["etag"] == f'"{sha256}"'


def test_gallery_variants_need_the_cookie(api, studio, processed):
    url = f"/dashboard/photos/{processed.photo_id}/variants/thumb"
    assert api.client.get(url).status_code == 401
    assert api.client.get(url, headers=studio).status_code == 200  # or the API key


def test_another_tenants_gallery_photos_and_stream_are_404(api, studio, rival, processed):
    _sign_in(api, rival)
    gallery = api.client.get("/dashboard/weddings/smith-jones")
    assert gallery.status_code == 404 and "No wedding" in gallery.text
    assert "IMG_0001" not in gallery.text
    variant = api.client.get(f"/dashboard/photos/{processed.photo_id}/variants/thumb")
    assert variant.status_code == 404
    stream = api.client.get("/api/v1/weddings/smith-jones/progress")
    assert stream.status_code == 404 and stream.json()["error"]["code"] == "not_found"

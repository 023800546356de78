"""The dashboard in a real browser: sign in, watch progress arrive live, see the gallery load.

Runs the app under uvicorn and drives headless Chromium with Playwright, and takes screenshots
over demo weddings in four time zones: delivered, in progress, late, failed and not started.
They go to the test's temporary directory, or, with TROUSSEAU_TEST_SCREENSHOTS=docs (as `make
screenshots` sets), to the README's docs/dashboard.png and docs/gallery.png.
"""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from trousseau.catalog import advance_cursor, beat, latest_change_id
from trousseau.demo.samples import generate_photo
from trousseau.jobs import claim

from .conftest import Api, Live

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium")
DOCS = Path(__file__).resolve().parents[2] / "docs"
NOW = datetime(2026, 6, 13, 14, 0, tzinfo=UTC)  # Paris 16:00, Tokyo 23:00, New York 10:00
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
]
REPOSITORY = "repo-" + "5e1c0ffee0ddba11" * 2
BAD_RED = "rgb(216, 58, 58)"
"""--bad in dashboard.css: what a late figure is painted in."""
ALL_LOADED = """() => {
  const images = Array.from(document.querySelectorAll('.frame img'));
  return images.length > 0 && images.every(
    (i) => i.complete && i.naturalWidth > 0 && i.classList.contains('loaded'));
}"""


def _photos(api: Api, headers: dict[str, str], wedding: str, count: int, *, seed: int) -> None:
    for index in range(1, count + 1):
        data = generate_photo(index, seed=seed, megapixels=0.4, when=NOW - timedelta(hours=6))
        response = api.upload(headers, data, wedding=wedding, name=f"IMG_{seed}{index:03d}.JPG")
        assert response.status_code == 201, response.text


def _demo(api: Api, headers: dict[str, str]) -> None:
    """More of today's weddings, in every state the overview can show."""
    api.wedding(
        headers, slug="sakura-kenji", title="Sakura & Kenji", date="2026-06-13",
        timezone="Asia/Tokyo", sla="next-day", region="ap-northeast",
    )  # fmt: skip
    _photos(api, headers, "sakura-kenji", 6, seed=21)
    api.wedding(
        headers, slug="chloe-louis", title="Chloé & Louis", date="2026-06-13",
        timezone="Europe/Paris", sla="standard", region="eu-west",
    )  # fmt: skip
    _photos(api, headers, "chloe-louis", 5, seed=31)
    broken = generate_photo(9, seed=31, megapixels=0.4, when=NOW)[:1500]
    api.upload(headers, broken, wedding="chloe-louis", name="IMG_3109.JPG")
    api.work()
    _photos(api, headers, "chloe-louis", 3, seed=32)  # arrived after the last run: queued
    api.wedding(
        headers, slug="maya-daniel", title="Maya & Daniel", date="2026-06-13",
        timezone="America/New_York", sla="same-day", region="us-east",
    )  # fmt: skip
    api.clock.now = NOW - timedelta(minutes=50)  # uploaded 50 min ago, due in 30: late
    _photos(api, headers, "maya-daniel", 4, seed=41)
    api.clock.now = NOW
    api.wedding(
        headers, slug="olivia-noah", title="Olivia & Noah", date="2026-06-14",
        timezone="Australia/Sydney", sla="same-day",
    )  # fmt: skip
    with api.catalog.begin() as conn:  # three live workers, two of them holding a job each
        for n, owner in enumerate(("render-a:4711:1f2e", "render-b:4712:9c0d", "gpu-0:88:7a1b")):
            seen = NOW - timedelta(seconds=4 + 7 * n)
            mode, slots = ("gpu", 32) if owner.startswith("gpu") else ("process", 4)
            beat(
                conn,
                owner,
                now=seen,
                host=owner.split(":")[0],
                pid=4711 + n,
                mode=mode,
                slots=slots,
            )
            if mode == "process":
                claim(conn, owner=owner, now=NOW, lease=timedelta(minutes=5), limit=1)
        # a backup repository that holds everything but the last photos: a few minutes behind
        advance_cursor(conn, REPOSITORY, latest_change_id(conn) - 3, now=NOW - timedelta(minutes=1))


@pytest.mark.parametrize("catalog_url", ["sqlite"], indirect=True)
def test_progress_arrives_live_and_the_gallery_loads(api: Api, serve, tmp_path: Path) -> None:
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium)")
    from playwright.sync_api import expect, sync_playwright

    api.clock.now = NOW
    headers = api.key("atelier-lumiere", admin=True)
    api.wedding(
        headers, slug="ana-ben", title="Ana & Ben", date="2026-06-13",
        timezone="Europe/Paris", sla="same-day", region="eu-west",
    )  # fmt: skip
    _photos(api, headers, "ana-ben", 8, seed=11)
    live: Live = serve(progress_interval_seconds=0.2)
    problems: list[str] = []

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 960})
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        page.on(
            "console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None
        )
        try:
            page.goto(f"{live.url}/dashboard")
            expect(page).to_have_url(f"{live.url}/dashboard/sign-in")
            page.fill("#key", "tr_1_not-the-key")
            page.click("button[type=submit]")
            expect(page.locator("p.error")).to_contain_text("not valid")
            problems.clear()  # the refused sign-in's 401 is logged by the browser
            page.fill("#key", headers["Authorization"].split()[1])
            page.click("button[type=submit]")
            expect(page).to_have_url(f"{live.url}/dashboard")

            row = page.locator('tr[data-wedding="ana-ben"]')
            expect(row.locator('[data-field="ready"]')).to_have_text("0")
            expect(row.locator('[data-field="total"]')).to_have_text("8")
            expect(page.locator("[data-live]")).to_have_text("live")
            page.evaluate("window.notReloaded = true")
            api.work()
            expect(row.locator('[data-field="ready"]')).to_have_text("8", timeout=15_000)
            expect(row.locator('[data-field="status"]')).to_have_text("delivered")
            assert page.evaluate("window.notReloaded") is True

            page.click('a[href="/dashboard/weddings/ana-ben"]')
            expect(page.locator(".frame img")).to_have_count(8)
            page.wait_for_function(ALL_LOADED, timeout=15_000)
            painted = page.eval_on_selector_all(
                "[data-thumbhash]", "els => els.map(e => e.style.backgroundImage)"
            )
            assert len(painted) == 8
            assert all(p.startswith('url("data:image/png') for p in painted)

            _demo(api, headers)
            page.goto(f"{live.url}/dashboard")
            expect(
                page.locator('tr[data-wedding="maya-daniel"] [data-field="status"]')
            ).to_have_text("late · 4")
            expect(page.locator("[data-live]")).to_have_text("live")
            shots = DOCS if os.environ.get("TROUSSEAU_TEST_SCREENSHOTS") == "docs" else tmp_path
            shots.mkdir(exist_ok=True)
            page.screenshot(path=str(shots / "dashboard.png"), full_page=True)
            page.goto(f"{live.url}/dashboard/weddings/chloe-louis")
            page.wait_for_function(ALL_LOADED, timeout=15_000)
            page.screenshot(path=str(shots / "gallery.png"), full_page=True)
        finally:
            browser.close()
    assert problems == []


def _sign_in(page, url: str, headers: dict[str, str]) -> None:
    from playwright.sync_api import expect

    page.goto(f"{url}/dashboard/sign-in")
    page.fill("#key", headers["Authorization"].split()[1])
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{url}/dashboard")


@pytest.mark.parametrize("catalog_url", ["sqlite"], indirect=True)
def test_the_backup_panel_shows_no_backup_then_a_repository_falling_behind(api: Api, serve) -> None:
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium)")
    from playwright.sync_api import expect, sync_playwright

    api.clock.now = NOW
    headers = api.key("atelier-lumiere", admin=True)
    live: Live = serve()
    problems: list[str] = []

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 960})
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        page.on(
            "console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None
        )
        try:
            _sign_in(page, live.url, headers)
            panel = page.locator("#backup")
            expect(panel).to_be_visible()
            expect(panel).to_have_attribute("data-backup-state", "not-configured")
            expect(panel).to_contain_text("No backup configured")
            expect(page.locator('[data-backup="not-configured"] .sub')).to_have_text(
                "not configured"
            )

            with api.catalog.begin() as conn:  # a run completed five minutes ago
                advance_cursor(conn, REPOSITORY, latest_change_id(conn), now=NOW)
            api.clock.now = NOW + timedelta(minutes=5)
            api.wedding(headers, slug="late-change", date="2026-06-13")  # a change since
            api.clock.now = NOW + timedelta(minutes=7)
            page.reload()
            expect(panel).to_have_attribute("data-backup-state", "late")
            row = panel.locator(f'tr[data-repository="{REPOSITORY}"]')
            expect(row.locator('[data-field="lag"]')).to_have_text("2 min")
            expect(row.locator('[data-field="pending"]')).to_have_text("1")
            expect(row.locator('[data-field="last-backup"]')).to_have_text("7 min ago")
            expect(row.locator('[data-field="backup-status"]')).to_have_text("late")
            assert row.locator('[data-field="lag"]').evaluate("e => getComputedStyle(e).color") == (
                BAD_RED
            )
            expect(page.locator('[data-backup="late"] .value')).to_have_text("2 min")
        finally:
            browser.close()
    assert problems == []

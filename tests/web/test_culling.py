"""Culling over HTTP: the verdicts the quality jobs stored, for the wedding's own tenant
only, and the gallery's moments."""

from __future__ import annotations

import cv2
import numpy as np


def _jpeg(pixels: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, 92])
    assert ok
    return data.tobytes()


def test_cull_reads_the_stored_verdicts(api, studio, rival) -> None:
    rng = np.random.default_rng(7)
    sharp = rng.integers(0, 256, (1200, 1800, 3), dtype=np.uint8)
    sharp = cv2.GaussianBlur(sharp, (0, 0), 1.2)
    api.wedding(studio, "cull-me")
    url = "/api/v1/weddings/cull-me/cull"
    for name, pixels in [("sharp.jpg", sharp), ("soft.jpg", cv2.GaussianBlur(sharp, (0, 0), 9))]:
        done = api.upload(studio, _jpeg(pixels), wedding="cull-me", name=name)
        assert done.status_code in (200, 201), done.text
    before = api.client.get(url, headers=studio).json()
    assert {p["status"] for p in before["photos"]} == {"pending"}
    api.work()
    body = api.client.get(url, headers=studio).json()
    status = {p["photo"]: p for p in body["photos"]}
    assert status["sharp.jpg"]["status"] == "keep"
    assert status["soft.jpg"]["status"] == "reject"
    assert any("blurred" in r for r in status["soft.jpg"]["reasons"])
    assert body["counts"]["keep"] == 1 and body["counts"]["reject"] == 1
    assert len(body["moments"]) == 1 and body["moments"][0]["photos"] == 2
    assert api.client.get(url, headers=rival).status_code == 404


def test_the_gallery_shows_the_moments(api, studio) -> None:
    from tests.web.test_dashboard import _sign_in

    rng = np.random.default_rng(8)
    pixels = cv2.GaussianBlur(rng.integers(0, 256, (900, 1200, 3), dtype=np.uint8), (0, 0), 1)
    api.wedding(studio, "moments")
    assert api.upload(studio, _jpeg(pixels), wedding="moments", name="a.jpg").status_code in (
        200,
        201,
    )
    api.work()
    _sign_in(api, studio)
    page = api.client.get("/dashboard/weddings/moments").text
    section = page.split('id="moments"')[1].split("</section>")[0]
    assert "1 moment(s)" in section and "1 kept" in section
    assert '<span data-field="kept">1</span> kept, 0 rejected' in section  # the header's counts
    thumbs_only = api.client.get(
        "/dashboard/weddings/moments", headers={"X-Trousseau-Sections": "photos"}
    ).text
    assert 'id="moments"' not in thumbs_only and 'id="photos"' in thumbs_only
    assert 'alt="a.jpg"' in section

"""A full catalog disk is a 507 that says so, readiness turns it away, and no orphan piles up.

Before: the upload answered 500, `/readyz` still said ready, and every failed upload left its
original in the vault with no record.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from trousseau.catalog import Catalog

from ..catalog.diskfull import DiskFull
from .conftest import Api


@pytest.fixture
def full(api: Api, studio: dict[str, str]) -> Iterator[DiskFull]:
    """The app's own catalog, made full after the studio and its wedding exist."""
    disk = DiskFull(app_catalog(api).engine)
    disk.fill()
    yield disk
    disk.free()


def app_catalog(api: Api) -> Catalog:
    catalog: Catalog = api.client.app.state.services.catalog  # type: ignore[attr-defined]
    return catalog


def upload_until_refused(api: Api, studio: dict[str, str]):
    """Upload new photos until one is refused (SQLite fills up within a few records)."""
    for seed in range(200):
        response = api.upload(studio, api.jpeg(seed=1000 + seed), name=f"IMG_{seed:04d}.JPG")
        if response.status_code != 201:
            return response
    raise AssertionError("200 uploads went through a full catalog")


def test_an_upload_to_a_full_catalog_is_507_saying_so(api: Api, studio, full) -> None:
    response = upload_until_refused(api, studio)

    assert response.status_code == 507, response.text
    error = response.json()["error"]
    assert error["code"] == "catalog_full"
    assert "catalog" in error["message"] and "full" in error["message"]
    assert "sqlite" not in response.text and "postgres" not in response.text


def test_readiness_says_unready_while_the_catalog_cannot_write(api: Api, studio, full) -> None:
    upload_until_refused(api, studio)

    ready = api.client.get("/readyz")

    assert ready.status_code == 503
    checks = ready.json()["checks"]
    assert not checks["catalog"]["ok"]
    assert "full" in checks["catalog"]["detail"]
    assert checks["migrations"]["ok"] and checks["vault"]["ok"]


def test_once_the_catalog_is_known_full_uploads_store_nothing(api: Api, studio, full) -> None:
    upload_until_refused(api, studio)
    blobs = api.blobs()

    again = api.upload(studio, api.jpeg(seed=5000), name="IMG_5000.JPG")

    assert again.status_code == 507
    assert api.blobs() == blobs  # refused before the vault: no new orphan


def test_room_coming_back_is_seen_at_once(api: Api, studio, full) -> None:
    upload_until_refused(api, studio)
    full.free()
    app_catalog(api).write_recheck_seconds = 0

    assert api.client.get("/readyz").status_code == 200
    response = api.upload(studio, api.jpeg(seed=6000), name="IMG_6000.JPG")
    assert response.status_code == 201, response.text

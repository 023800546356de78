"""Backup over HTTP: health from the catalog, restores into the vault as `backup-restore` jobs.

Real catalog (SQLite and PostgreSQL), real vault, a real local-directory repository: a photo
is backed up, its blobs are deleted from the vault, an admin asks for a restore, a worker
runs the job with the passphrase of its own settings, and the bytes are back identical.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from trousseau.backup import create_backup, open_backup, run_backup
from trousseau.catalog import advance_cursor, latest_change_id, wedding_blobs
from trousseau.jobs import PoolMode, build_worker
from trousseau.settings import BackupSettings, Settings
from trousseau.web import create_app

from .conftest import Api, TestClient

SECRET = "restore me byte for byte, 7 horses"


@dataclass
class Backed:
    """The app of settings with a backup target and passphrase, and what a test does with it."""

    api: Api
    client: TestClient
    settings: Settings
    admin: dict[str, str]

    def back_up(self) -> None:
        repo = open_backup(self.settings)
        self.api.clock.advance(seconds=1)
        report = run_backup(
            self.api.catalog,
            self.api.vault,
            repo,
            catalog_url=self.settings.catalog_url,
            clock=self.api.clock,
        )
        assert report.snapshot is not None

    def work(self, settings: Settings | None = None) -> None:
        """Run every queued job in this process, as a worker of `settings` (default: ours)."""
        worker = build_worker(
            settings or self.settings, self.api.catalog, mode=PoolMode.INLINE, clock=self.api.clock
        )
        worker.run(until_idle=True)

    def restore(self, **body: object):
        return self.client.post(
            "/api/v1/backup/restores", json={"tenant": "studio-a", **body}, headers=self.admin
        )

    def blobs_of(self, photo_id: int | None = None) -> dict[str, int | None]:
        with self.api.catalog.begin() as conn:
            return {
                b.sha256: b.photo_id
                for b in wedding_blobs(conn)
                if photo_id is None or b.photo_id == photo_id
            }

    def delete(self, sha256: str) -> None:
        gone = self.api.vault.collect(sha256, stored_before=datetime.now(UTC) + timedelta(days=1))
        assert gone is not None and not self.api.vault.exists(sha256)


def with_backup(settings: Settings, repo: str, passphrase: str | None = SECRET) -> Settings:
    return settings.model_copy(
        update={"backup": BackupSettings(targets=(repo,), passphrase=passphrase)}
    )


@pytest.fixture
def backed(api: Api, studio: dict[str, str]) -> Iterator[Backed]:
    settings = with_backup(api.settings, str(api.tmp / "repo"))
    create_backup(settings, None, clock=api.clock)
    with TestClient(create_app(settings, clock=api.clock)) as client:
        yield Backed(api, client, settings, api.key("ops", admin=True))


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---- health -------------------------------------------------------------------------------


def test_backup_health_says_not_configured_never_run_ok_and_late(api, studio):
    ops = api.key("ops", admin=True)
    nothing = api.client.get("/api/v1/backup", headers=ops).json()
    assert nothing["state"] == "not-configured" and not nothing["ok"]
    assert nothing["repositories"] == []

    configured = with_backup(api.settings, str(api.tmp / "repo"))
    with TestClient(create_app(configured, clock=api.clock)) as client:
        never = client.get("/api/v1/backup", headers=ops).json()
        assert never["state"] == "never-run" and not never["ok"]
        backed_up_at = api.clock()
        with api.catalog.begin() as conn:
            advance_cursor(conn, "repo-a", latest_change_id(conn), now=backed_up_at)
        fine = client.get("/api/v1/backup", headers=ops).json()
        assert fine["state"] == "ok" and fine["ok"]
        (repo,) = fine["repositories"]
        assert repo["pending"] == 0 and repo["lag_seconds"] == 0.0 and not repo["late"]
        assert datetime.fromisoformat(repo["last_backup_at"]) == backed_up_at

        api.upload(studio, api.jpeg())
        api.clock.advance(seconds=configured.backup.lag_target_seconds + 1)
        late = client.get("/api/v1/backup", headers=ops).json()
        assert late["state"] == "late" and not late["ok"]
        assert late["repositories"][0]["late"] and late["repositories"][0]["pending"] >= 1
        assert SECRET not in str(late)


# ---- restores -----------------------------------------------------------------------------


def test_a_photo_deleted_from_the_vault_is_restored_byte_identical(backed: Backed, studio):
    api = backed.api
    original = api.jpeg(seed=11)
    uploaded = api.upload(studio, original)
    assert uploaded.status_code == 201, uploaded.text
    photo_id = uploaded.json()["id"]
    backed.work()  # its variants
    blobs = backed.blobs_of(photo_id)
    assert _sha256(original) in blobs and len(blobs) > 1  # the original and its variants
    before = {sha: api.vault.get_bytes(sha) for sha in blobs}
    backed.back_up()
    for sha in blobs:
        backed.delete(sha)

    started = backed.restore(photo=photo_id)
    assert started.status_code == 202, started.text
    job = started.json()
    status_url = f"/api/v1/backup/restores/{job['job_id']}"
    assert started.headers["location"] == job["status_url"] == status_url
    assert job["kind"] == "backup-restore" and job["state"] == "queued"
    assert job["photo_id"] == photo_id and job["snapshot"] == "latest"
    assert job["result"] is None
    tightest = min(api.settings.sla_classes, key=api.settings.sla_classes.__getitem__)
    assert job["sla"] == tightest
    assert datetime.fromisoformat(job["deadline"]) == api.clock() + api.settings.sla_delay(tightest)

    backed.work()
    done = backed.client.get(job["status_url"], headers=backed.admin).json()
    assert done["state"] == "done", done
    assert done["result"]["blobs"] == len(blobs) and done["result"]["skipped"] == 0
    assert done["result"]["bytes"] == sum(len(data) for data in before.values())
    for sha, data in before.items():
        assert api.vault.get_bytes(sha) == data  # verified by the vault, and identical
    assert api.vault.get_bytes(_sha256(original)) == original
    assert SECRET not in started.text + str(done)


def test_a_wedding_is_restored_from_a_given_snapshot_and_a_second_run_skips(backed: Backed, studio):
    api = backed.api
    first = api.jpeg(seed=21)
    assert api.upload(studio, first, name="IMG_0021.JPG").status_code == 201
    backed.back_up()
    snapshot = open_backup(backed.settings).snapshots()[-1].id
    assert api.upload(studio, api.jpeg(seed=22), name="IMG_0022.JPG").status_code == 201
    backed.back_up()  # a later snapshot that holds the second photo too
    backed.delete(_sha256(first))

    started = backed.restore(wedding="smith-jones", snapshot=snapshot[:8])
    assert started.status_code == 202, started.text
    assert started.json()["snapshot"] == snapshot[:8] and started.json()["photo_id"] is None
    backed.work()
    done = backed.client.get(started.json()["status_url"], headers=backed.admin).json()
    assert done["state"] == "done", done
    assert done["result"]["snapshot"] == snapshot
    assert done["result"]["blobs"] == 1 and done["result"]["skipped"] == 0  # only that photo
    assert api.vault.get_bytes(_sha256(first)) == first

    again = backed.restore(wedding="smith-jones")
    backed.work()
    redone = backed.client.get(again.json()["status_url"], headers=backed.admin).json()
    assert redone["state"] == "done" and redone["result"]["blobs"] == 0
    assert redone["result"]["skipped"] == 2  # both photos already in the vault


def test_restores_need_an_admin_key_and_a_configured_backup(api, studio, backed: Backed):
    body = {"tenant": "studio-a", "wedding": "smith-jones"}
    refused = backed.client.post("/api/v1/backup/restores", json=body, headers=studio)
    assert refused.status_code == 403
    assert backed.client.get("/api/v1/backup/restores/1", headers=studio).status_code == 403
    assert backed.client.post("/api/v1/backup/restores", json=body).status_code == 401

    unconfigured = api.client.post("/api/v1/backup/restores", json=body, headers=backed.admin)
    assert unconfigured.status_code == 409, unconfigured.text
    error = unconfigured.json()["error"]
    assert error["code"] == "conflict" and "TROUSSEAU_BACKUP__TARGETS" in error["message"]


REFUSED = [
    ({}, 422, "exactly one"),
    ({"wedding": "smith-jones", "photo": 1}, 422, "exactly one"),
    ({"wedding": "nobody"}, 404, "no wedding 'nobody'"),
    ({"tenant": "studio-z", "wedding": "smith-jones"}, 404, "no tenant 'studio-z'"),
    ({"photo": 999_999}, 404, "no photo 999999"),
    ({"wedding": "smith-jones", "sla": "yesterday"}, 422, "unknown SLA class"),
    ({"wedding": "smith-jones", "snapshot": "../x"}, 422, ""),
    ({"wedding": "smith-jones", "passphrase": SECRET}, 422, ""),
]


def test_a_restore_request_that_names_nothing_restorable_is_refused(backed: Backed):
    from trousseau.jobs import list_jobs

    for body, status, fragment in REFUSED:
        response = backed.restore(**body)
        assert response.status_code == status, (body, response.text)
        assert fragment in response.json()["error"]["message"], body
    with backed.api.catalog.begin() as conn:
        assert [j for j in list_jobs(conn) if j.kind == "backup-restore"] == []


def test_another_tenants_photo_is_not_found_under_this_tenant(backed: Backed, rival):
    api = backed.api
    theirs = api.upload(rival, api.jpeg(seed=31), wedding="rival-wedding").json()["id"]
    response = backed.restore(photo=theirs)  # tenant studio-a
    assert response.status_code == 404, response.text


def test_a_restore_job_is_only_found_as_one(backed: Backed, studio):
    api = backed.api
    nothing = backed.client.get("/api/v1/backup/restores/424242", headers=backed.admin)
    assert nothing.status_code == 404
    assert api.upload(studio, api.jpeg(seed=41)).status_code == 201  # a variants job
    from trousseau.jobs import list_jobs

    with api.catalog.begin() as conn:
        (variants,) = list_jobs(conn)
    missing = backed.client.get(f"/api/v1/backup/restores/{variants.id}", headers=backed.admin)
    assert missing.status_code == 404


def test_a_worker_without_the_passphrase_buries_the_job_with_why(backed: Backed, studio):
    api = backed.api
    assert api.upload(studio, api.jpeg(seed=51)).status_code == 201
    backed.back_up()
    started = backed.restore(wedding="smith-jones")
    assert started.status_code == 202
    backed.work(with_backup(api.settings, str(api.tmp / "repo"), passphrase=None))
    dead = backed.client.get(started.json()["status_url"], headers=backed.admin).json()
    assert dead["state"] == "dead" and dead["attempts"] == 1  # permanent: no retry would help
    assert "no backup passphrase" in dead["last_error"]
    assert "retry the job" in dead["last_error"]

    retried = backed.client.post(f"/api/v1/jobs/{dead['job_id']}/retry", headers=backed.admin)
    assert retried.status_code == 200, retried.text
    backed.work()  # fixed: a worker with the passphrase
    done = backed.client.get(started.json()["status_url"], headers=backed.admin).json()
    assert done["state"] == "done" and done["result"]["skipped"] >= 1


def test_a_snapshot_that_does_not_exist_buries_the_job_with_why(backed: Backed, studio):
    api = backed.api
    assert api.upload(studio, api.jpeg(seed=61)).status_code == 201
    backed.back_up()
    started = backed.restore(wedding="smith-jones", snapshot="deadbeef")
    backed.work()
    dead = backed.client.get(started.json()["status_url"], headers=backed.admin).json()
    assert dead["state"] == "dead" and "no snapshot" in dead["last_error"]
    assert "'deadbeef'" in dead["last_error"]

"""The `backup-restore` kind: registered, its payload read strictly, enqueued with its subject.

The job end to end (backed up, deleted from the vault, restored byte-identical by a worker,
and its failures) is driven through the API in tests/web/test_backups.py.
"""

from __future__ import annotations

import pytest

from trousseau.catalog import ensure_tenant
from trousseau.errors import InvalidValue, PermanentJobError, SettingsError
from trousseau.ingest import WeddingSpec, prepare_wedding
from trousseau.jobs import QUEUED, kinds, list_jobs, resolve
from trousseau.kinds import Kind, RestoreRequest, request_restore
from trousseau.kinds.backups import run, tightest_sla
from trousseau.settings import BackupSettings


def test_the_kind_is_registered_under_its_one_name():
    assert Kind.BACKUP_RESTORE == "backup-restore"
    assert kinds()[Kind.BACKUP_RESTORE] == "trousseau.kinds.backups:run"
    assert resolve(Kind.BACKUP_RESTORE) is run


def test_a_payload_round_trips_and_a_malformed_one_is_permanent():
    request = RestoreRequest(3, 7, 11, "a1b2c3d4")
    assert RestoreRequest.of(request.payload()) == request
    assert RestoreRequest.of({"tenant_id": 3, "wedding_id": 7}) == RestoreRequest(3, 7, None)
    for bad in ({}, {"tenant_id": 3}, {"tenant_id": "x", "wedding_id": 7}):
        with pytest.raises(PermanentJobError, match="names no tenant and wedding"):
            RestoreRequest.of(bad)


def test_the_restore_is_enqueued_with_its_subject_and_the_tightest_deadline(
    catalog, settings, clock
):
    wedding = prepare_wedding(catalog, WeddingSpec(slug="w", tenant="t"), settings, clock)
    backed = settings.model_copy(update={"backup": BackupSettings(targets=("/srv/repo",))})
    assert tightest_sla(backed) == "same-day"
    with catalog.begin() as conn:
        done = request_restore(conn, backed, tenant="t", wedding="w", now=clock())
        (job,) = list_jobs(conn)
    assert job.id == done.job_id and job.kind == Kind.BACKUP_RESTORE and job.state == QUEUED
    assert (job.wedding_id, job.photo_id) == (wedding.id, None)
    assert job.payload == RestoreRequest(wedding.tenant_id, wedding.id, None).payload()
    assert job.sla == "same-day" and job.deadline == clock() + backed.sla_delay("same-day")
    assert "passphrase" not in str(job.payload)


def test_nothing_is_enqueued_without_a_target_or_a_single_subject(catalog, settings, clock):
    with catalog.begin() as conn:
        ensure_tenant(conn, "t", now=clock())
        with pytest.raises(SettingsError, match="backup is not configured"):
            request_restore(conn, settings, tenant="t", wedding="w", now=clock())
        backed = settings.model_copy(update={"backup": BackupSettings(targets=("/srv/repo",))})
        with pytest.raises(InvalidValue, match="exactly one"):
            request_restore(conn, backed, tenant="t", now=clock())
        assert list_jobs(conn) == []

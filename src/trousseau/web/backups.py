"""Backup over HTTP: how far each repository is behind, and restores into the vault.

Operations endpoints (admin key): repositories hold every tenant's data.

    GET  /backup                    each repository's lag behind the change log
    POST /backup/restores           restore a wedding or a photo into the vault (202, a job)
    GET  /backup/restores/{job_id}  that restore: queued, running, done (with what it did) or
                                    dead (with why)

None of them opens the repository, so the API never needs the passphrase: health is read
from the catalog (the change log and each repository's cursor, `backup.backup_health`), and a
restore is a `backup-restore` job (`kinds.request_restore`) that a worker runs with the
passphrase from its own settings. `trousseau backup status` adds the repository's own figures
(sizes, dedup and compression ratios) where the passphrase is configured.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from trousseau.backup import BackupState
from trousseau.backup import backup_health as health_of
from trousseau.catalog import backup_lags
from trousseau.errors import NotFound
from trousseau.jobs import JobState
from trousseau.kinds import RestoreOutcome, request_restore, restore_outcome
from trousseau.web.auth import Admin
from trousseau.web.config import API_PREFIX, MAX_ID
from trousseau.web.errors import Conflict, ErrorBody
from trousseau.web.services import ServicesDep

router = APIRouter(prefix=API_PREFIX, tags=["backup"])

JobId = Annotated[int, Path(ge=1, le=MAX_ID)]


class RepositoryLag(BaseModel):
    repository: str = Field(description="the repository's key in the catalog (from its config)")
    cursor: int = Field(description="every change up to this id is in the repository")
    pending: int = Field(description="changes not yet in the repository")
    oldest_pending_at: dt.datetime | None
    lag_seconds: float = Field(description="how long the oldest pending change has waited (RPO)")
    late: bool = Field(description="lag above backup.lag_target_seconds")
    last_backup_at: dt.datetime | None = Field(
        description="when a backup run last completed (its snapshot committed); null: never"
    )


class BackupHealth(BaseModel):
    now: dt.datetime
    lag_target_seconds: float
    state: BackupState = Field(
        description="not-configured (no backup.targets, nothing ever backed up), never-run, "
        "late or ok"
    )
    ok: bool = Field(description="at least one repository, and none late")
    repositories: list[RepositoryLag]


@router.get("/backup", response_model=BackupHealth)
def backup_health(_admin: Admin, services: ServicesDep) -> BackupHealth:
    """Each backup repository's lag behind the change log; `ok` when none is late."""
    now = services.clock()
    backup = services.settings.backup
    with services.catalog.begin() as conn:
        lags = backup_lags(conn, now=now)
    health = health_of(
        lags, now=now, lag_target_seconds=backup.lag_target_seconds, targets=len(backup.targets)
    )
    return BackupHealth(
        now=now,
        lag_target_seconds=health.lag_target_seconds,
        state=health.state,
        ok=health.ok,
        repositories=[
            RepositoryLag.model_validate(r, from_attributes=True) for r in health.repositories
        ],
    )


class RestoreIn(BaseModel):
    """What to restore into the vault: a wedding (by slug) or one photo (by id), of a tenant."""

    model_config = ConfigDict(extra="forbid")

    tenant: str = Field(min_length=1, max_length=200, description="the tenant's slug")
    wedding: str | None = Field(
        None, min_length=1, max_length=200, description="a wedding's slug: all its blobs"
    )
    photo: int | None = Field(
        None, ge=1, le=MAX_ID, description="a photo's id: its original and its variants"
    )
    snapshot: str = Field(
        "latest",
        pattern=r"^(latest|[0-9a-f]{4,64})$",
        description="`latest`, or a snapshot id (a prefix of 8 characters suffices)",
    )
    sla: str | None = Field(
        None,
        min_length=1,
        max_length=32,
        description="the job's SLA class (its deadline); default: the tightest configured",
    )


class RestoreOut(BaseModel):
    job_id: int
    kind: str
    state: JobState
    tenant_id: int
    wedding_id: int
    photo_id: int | None
    snapshot: str = Field(description="as asked: `latest` or an id prefix")
    sla: str
    deadline: dt.datetime
    attempts: int
    max_attempts: int
    last_error: str | None = Field(description="why the last attempt failed (dead: why it gave up)")
    created_at: dt.datetime
    finished_at: dt.datetime | None
    result: dict[str, Any] | None = Field(
        description="once done: the snapshot restored from (id, time) and the blobs put back, "
        "already there (skipped), and their bytes"
    )
    status_url: str

    @classmethod
    def of(cls, outcome: RestoreOutcome) -> RestoreOut:
        job, request = outcome.job, outcome.request
        return cls(
            job_id=job.id,
            kind=job.kind,
            state=JobState(job.state),
            tenant_id=request.tenant_id,
            wedding_id=request.wedding_id,
            photo_id=request.photo_id,
            snapshot=request.snapshot,
            sla=job.sla,
            deadline=job.deadline,
            attempts=job.attempts,
            max_attempts=job.max_attempts,
            last_error=job.last_error,
            created_at=job.created_at,
            finished_at=job.finished_at,
            result=outcome.result,
            status_url=_status_url(job.id),
        )


def _status_url(job_id: int) -> str:
    return f"{API_PREFIX}/backup/restores/{job_id}"


@router.post(
    "/backup/restores",
    response_model=RestoreOut,
    status_code=202,
    responses={
        404: {"model": ErrorBody, "description": "no such tenant, wedding or photo"},
        409: {"model": ErrorBody, "description": "backup is not configured (backup.targets)"},
        422: {"model": ErrorBody, "description": "not exactly one of wedding and photo"},
    },
)
def start_restore(
    body: RestoreIn, _admin: Admin, services: ServicesDep, response: Response
) -> RestoreOut:
    """Restore a wedding or a photo from the latest (or a given) snapshot into the vault.

    A restore can take minutes: it runs as a `backup-restore` job on a worker, which opens
    the repository with the passphrase of its own settings (never one sent here). Answers
    202 with the job; follow `status_url` (also the Location header) to see it finish.
    """
    settings = services.settings
    if not settings.backup.targets:
        raise Conflict(
            "backup is not configured: set backup.targets (TROUSSEAU_BACKUP__TARGETS) here and "
            "on the workers, with the passphrase on the workers, and run `trousseau backup "
            "run` before restoring"
        )
    now = services.clock()
    with services.catalog.begin() as conn:
        requested = request_restore(
            conn,
            settings,
            tenant=body.tenant,
            wedding=body.wedding,
            photo=body.photo,
            snapshot=body.snapshot,
            sla=body.sla,
            now=now,
        )
        outcome = restore_outcome(conn, requested.job_id)
    assert outcome is not None
    response.headers["Location"] = _status_url(requested.job_id)
    return RestoreOut.of(outcome)


@router.get(
    "/backup/restores/{job_id}",
    response_model=RestoreOut,
    responses={404: {"model": ErrorBody, "description": "no such restore job"}},
)
def restore_status(job_id: JobId, _admin: Admin, services: ServicesDep) -> RestoreOut:
    """A restore job: its state, its last error, and once done what it put back."""
    with services.catalog.begin() as conn:
        outcome = restore_outcome(conn, job_id)
    if outcome is None:
        raise NotFound(f"no restore job {job_id}: check the id (POST /backup/restores answers it)")
    return RestoreOut.of(outcome)

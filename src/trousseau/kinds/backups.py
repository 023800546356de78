"""The `backup-restore` job: a wedding's or a photo's blobs put back into the vault from a
snapshot of the primary backup repository.

`request_restore` enqueues it (`POST /api/v1/backup/restores`, admin): it resolves the
tenant, the wedding or the photo in the catalog and needs no passphrase. A worker runs it:
it opens the primary repository (the first of `backup.targets`) with the passphrase from its
*own* settings (`backup.passphrase` or `backup.passphrase_file`), never from the request or
the job's payload, then calls the backup package's `find_snapshot` and `restore` into the
vault, as `trousseau backup restore` does. Every blob is verified against the snapshot's
SHA-256 before the vault keeps it; blobs the vault still holds are left alone, so running it
again is harmless. What it did is recorded as a `backup.restored` event on the job, which
`restore_outcome` reads with the job's state.

A worker without a passphrase, a wrong passphrase, a snapshot that does not exist or a
selection the snapshot does not hold fails the job permanently (dead letter at once, the
reason as its last error): another attempt with the same settings cannot succeed. Fix the
settings and retry it (`POST /api/v1/jobs/{id}/retry`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from trousseau.catalog import (
    EventKind,
    get_photo,
    get_tenant,
    get_wedding,
    job_events,
    record_event,
    wedding_blobs,
)
from trousseau.errors import InvalidValue, NotFound, PermanentJobError, SettingsError
from trousseau.jobs import JobContext, JobRow, NewJob, enqueue, get_job
from trousseau.kinds import Kind
from trousseau.settings import Settings

if TYPE_CHECKING:
    from trousseau.backup import BlobRestored

log = logging.getLogger(__name__)

KIND = Kind.BACKUP_RESTORE
LATEST = "latest"
PROGRESS_EVERY = 50
"""A progress line in the worker's log every this many blobs (and at the last)."""


@dataclass(frozen=True)
class RestoreRequest:
    """What a `backup-restore` job restores: a wedding, or one photo of it (its original and
    variants), from `snapshot` (`latest`, or a snapshot id or its prefix)."""

    tenant_id: int
    wedding_id: int
    photo_id: int | None
    snapshot: str = LATEST

    def payload(self) -> dict[str, Any]:
        return {
            "tenant_id": self.tenant_id,
            "wedding_id": self.wedding_id,
            "photo_id": self.photo_id,
            "snapshot": self.snapshot,
        }

    @classmethod
    def of(cls, payload: dict[str, Any]) -> RestoreRequest:
        """The request a job's payload holds; PermanentJobError when it is malformed."""
        try:
            photo = payload.get("photo_id")
            return cls(
                tenant_id=int(payload["tenant_id"]),
                wedding_id=int(payload["wedding_id"]),
                photo_id=None if photo is None else int(photo),
                snapshot=str(payload.get("snapshot") or LATEST),
            )
        except (KeyError, TypeError, ValueError):
            raise PermanentJobError(
                f"backup-restore payload {payload!r} names no tenant and wedding: enqueue it "
                "with request_restore"
            ) from None


@dataclass(frozen=True)
class RestoreRequested:
    """A restore enqueued: its job, and what it restores."""

    job_id: int
    request: RestoreRequest
    sla: str
    deadline: datetime


def tightest_sla(settings: Settings) -> str:
    """The SLA class with the shortest delay: a restore is someone waiting for a photo."""
    return min(settings.sla_classes, key=lambda name: settings.sla_classes[name])


def request_restore(
    conn: Connection,
    settings: Settings,
    *,
    tenant: str,
    wedding: str | None = None,
    photo: int | None = None,
    snapshot: str = LATEST,
    sla: str | None = None,
    now: datetime,
) -> RestoreRequested:
    """Enqueue the restore of the tenant's `wedding` (a slug) or `photo` (an id) into the
    vault, in the caller's transaction.

    SettingsError when `backup.targets` is empty (there is nothing to restore from), or `sla`
    is not a configured class; InvalidValue unless exactly one of `wedding` and `photo` is
    given; NotFound for an unknown tenant, wedding or photo (never another tenant's).
    """
    if not settings.backup.targets:
        raise SettingsError(
            "backup is not configured: set TROUSSEAU_BACKUP__TARGETS (and the passphrase on "
            "the workers) and run `trousseau backup run` before restoring"
        )
    if (wedding is None) == (photo is None):
        raise InvalidValue("restore a wedding or a photo: give exactly one of them")
    sla = sla or tightest_sla(settings)
    delay = settings.sla_delay(sla)
    owner = get_tenant(conn, tenant)
    if photo is not None:
        found = get_photo(conn, photo, tenant_id=owner.id)
        if found is None:
            raise NotFound(f"no photo {photo} in tenant {tenant!r}: check the id")
        wedding_id = found.wedding_id
    else:
        assert wedding is not None
        wedding_id = get_wedding(conn, owner.id, wedding).id
    request = RestoreRequest(owner.id, wedding_id, photo, snapshot)
    deadline = now + delay
    job_id = enqueue(
        conn,
        NewJob(
            kind=KIND,
            payload=request.payload(),
            sla=sla,
            deadline=deadline,
            max_attempts=settings.jobs.max_attempts,
            tenant_id=owner.id,
            wedding_id=wedding_id,
            photo_id=photo,
        ),
        now=now,
    )
    assert job_id is not None  # no key: every request is a new job
    return RestoreRequested(job_id, request, sla, deadline)


@dataclass(frozen=True)
class RestoreOutcome:
    """A restore job as it stands, with what it did once done."""

    job: JobRow
    request: RestoreRequest
    result: dict[str, Any] | None
    """The `backup.restored` event's data (snapshot, blobs, bytes, skipped); None until done."""


def restore_outcome(conn: Connection, job_id: int) -> RestoreOutcome | None:
    """The restore job `job_id` and its result; None when there is no such restore job."""
    row = get_job(conn, job_id)
    if row is None or row.kind != KIND:
        return None
    events = job_events(conn, job_id, kind=EventKind.BACKUP_RESTORED)
    result = events[-1].data if events else None
    return RestoreOutcome(row, RestoreRequest.of(row.payload), result)


def run(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Restore `payload`'s wedding or photo from its snapshot into the vault."""
    # Here, not at the top: every process that names a kind imports this module, and only
    # the worker running a restore needs the repository's code.
    from trousseau.backup import find_snapshot, open_backup, passphrase_of, restore

    request = RestoreRequest.of(payload)
    settings = ctx.settings
    if not settings.backup.targets:
        raise PermanentJobError(
            f"restore job {ctx.job_id}: this worker has no backup target (backup.targets): "
            "configure backup on the workers, then retry the job"
        )
    try:
        passphrase_of(settings)
        repo = open_backup(settings)
    except SettingsError as exc:
        raise PermanentJobError(
            f"restore job {ctx.job_id}: {exc}; set it on the workers, then retry the job"
        ) from None
    sha256s: set[str] | None = None
    if request.photo_id is not None:
        with ctx.catalog.begin() as conn:
            sha256s = {
                blob.sha256
                for blob in wedding_blobs(conn, wedding_ids=[request.wedding_id])
                if blob.photo_id == request.photo_id
            }
        if not sha256s:
            raise PermanentJobError(
                f"photo {request.photo_id} names no blob in the catalog any more: nothing to "
                "restore (a whole snapshot restores to a folder: `trousseau backup restore --to`)"
            )

    def show(event: BlobRestored) -> None:
        if event.done == event.total or event.done % PROGRESS_EVERY == 0:
            log.info(
                "restore job %s: %d/%d blobs", ctx.job_id, event.done, event.total,
                extra={"job_id": ctx.job_id},
            )  # fmt: skip

    try:
        snap = find_snapshot(repo, request.snapshot)
        report = restore(
            repo,
            snap,
            vault=ctx.vault,
            tenant=str(request.tenant_id),
            wedding=str(request.wedding_id),
            sha256s=sha256s,
            progress=show,
        )
    except NotFound as exc:  # no such snapshot, or it does not hold the selection
        raise PermanentJobError(f"restore job {ctx.job_id}: {exc}") from None
    what = f"photo {request.photo_id}" if request.photo_id is not None else "wedding"
    with ctx.catalog.begin() as conn:
        record_event(
            conn,
            EventKind.BACKUP_RESTORED,
            f"{what} restored into the vault from snapshot {snap.id[:12]}: {report.blobs} "
            f"blobs put back, {report.skipped} already there",
            now=ctx.clock(),
            tenant_id=request.tenant_id,
            wedding_id=request.wedding_id,
            photo_id=request.photo_id,
            job_id=ctx.job_id,
            data={
                "snapshot": snap.id,
                "snapshot_time": snap.time.isoformat(),
                "blobs": report.blobs,
                "skipped": report.skipped,
                "bytes": report.bytes,
            },
        )

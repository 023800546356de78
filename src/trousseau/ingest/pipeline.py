"""Accepting originals: sniff, store, record and enqueue — one photo, one transaction.

The order is what keeps the first promise. The blob is made durable in the vault first
(fsync'd and hash-verified); only then, in one catalog transaction, is the photo recorded and
its processing job enqueued. A crash between the two leaves at worst an unreferenced blob,
never a record pointing to a missing blob, and re-running the same ingest finishes the work:
the blob is found by its hash, the photo by (wedding, hash).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError

from trousseau.catalog import (
    Catalog,
    Photo,
    Wedding,
    create_wedding,
    ensure_tenant,
    find_photo,
    find_wedding,
    insert_photo,
)
from trousseau.clock import Clock
from trousseau.errors import ImagingError, IngestError
from trousseau.imaging import probe, sniff
from trousseau.ingest.sources import collect
from trousseau.jobs import NewJob, deadline_for, enqueue
from trousseau.settings import Settings
from trousseau.vault import BlobInfo, Vault

PROCESS_KIND = "variants"
"""The job every new original gets: render its gallery variants."""


class IngestOutcome(StrEnum):
    """What became of one file offered to ingest."""

    ACCEPTED = "accepted"
    """Stored, recorded and its processing enqueued."""
    DUPLICATE = "duplicate"
    """The wedding already holds the same bytes: nothing new recorded."""
    REJECTED = "rejected"
    """Not accepted (empty, unreadable, not an image): the event says why."""


@dataclass(frozen=True)
class IngestEvent:
    """One file's fate: accepted, duplicate or rejected."""

    outcome: IngestOutcome
    path: Path
    size: int = 0
    sha256: str | None = None
    photo_id: int | None = None
    error: str | None = None


@dataclass
class IngestSummary:
    """Totals of one ingest run, for the CLI and the demo."""

    files: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: list[IngestEvent] = field(default_factory=list)
    bytes: int = 0

    def add(self, event: IngestEvent) -> None:
        self.files += 1
        if event.outcome == IngestOutcome.ACCEPTED:
            self.accepted += 1
            self.bytes += event.size
        elif event.outcome == IngestOutcome.DUPLICATE:
            self.duplicates += 1
        else:
            self.rejected.append(event)


@dataclass(frozen=True)
class WeddingSpec:
    """The wedding to ingest into, created on first use from these values."""

    slug: str
    tenant: str
    timezone: str = "UTC"
    on: date | None = None
    title: str | None = None
    sla: str | None = None


def prepare_wedding(
    catalog: Catalog, spec: WeddingSpec, settings: Settings, clock: Clock
) -> Wedding:
    """The wedding named by `spec`, created (with its tenant) if it does not exist yet."""
    now = clock()
    with catalog.begin() as conn:
        tenant = ensure_tenant(conn, spec.tenant, now=now)
        found = find_wedding(conn, tenant.id, spec.slug)
        if found is not None:
            return found
        sla = spec.sla or settings.default_sla
        settings.sla_delay(sla)
        on = spec.on or now.astimezone(ZoneInfo(spec.timezone)).date()
        wedding = create_wedding(
            conn,
            tenant.id,
            spec.slug,
            on=on,
            timezone=spec.timezone,
            delivery_sla=sla,
            now=now,
            title=spec.title,
            event_data={"via": "ingest"},
        )
        return wedding


PARTIAL_AGE = timedelta(hours=1)
"""Vault temp files older than this were left by a killed writer: `sweep` removes them."""


def sweep(vault: Vault) -> int:
    """Remove the partial blobs killed writers left; once per ingest command, not per file."""
    return vault.sweep_partials(PARTIAL_AGE)


def ingest(
    paths: Iterable[Path],
    *,
    catalog: Catalog,
    vault: Vault,
    settings: Settings,
    wedding: Wedding,
    clock: Clock,
    sla: str | None = None,
) -> Iterator[IngestEvent]:
    """Ingest every file under `paths` into `wedding`, yielding one event per file.

    Bad files (empty, unreadable, not an image) are rejected and reported without stopping
    the run; a broken vault or catalog stops it with the error, since every later file would
    fail the same way.
    """
    sla = sla or wedding.delivery_sla
    target = _Target(catalog, wedding, sla, settings.sla_delay(sla), settings.jobs.max_attempts)
    for path, fmt, blob, rejected in _stored(paths, vault):
        if rejected is not None:
            yield IngestEvent(IngestOutcome.REJECTED, path, error=str(rejected))
            continue
        yield _record(target, path, fmt, blob, clock())


STORE_AHEAD = 2
"""Files stored (hashed, written, fsync'd, re-read) by threads while the previous is recorded."""


def _stored(
    paths: Iterable[Path], vault: Vault
) -> Iterator[tuple[Path, str, BlobInfo, None] | tuple[Path, None, None, IngestError]]:
    """Each file sniffed and durably stored, in order: (path, format, blob, None), or
    (path, None, None, why) for a file rejected.

    Storing is disk and hashing, which release the GIL: `STORE_AHEAD` threads store the next
    files while the caller records this one, so the disk, the hashing and the catalog's
    commits overlap. Each file is still recorded only after its own put returned (durable,
    verified); a failure of the vault stops the run at that file, in order. Files stored
    ahead of a failure stay unreferenced blobs, as after a crash: a re-run finds them.
    """

    def store(path: Path) -> Any:
        try:
            fmt = sniff(path)
            return path, fmt, vault.put_file(path), None
        except IngestError as exc:
            return path, None, None, exc

    with ThreadPoolExecutor(STORE_AHEAD, thread_name_prefix="ingest-store") as pool:
        pending: deque[Future[Any]] = deque()
        try:
            for path in collect(paths):
                pending.append(pool.submit(store, path))
                if len(pending) > STORE_AHEAD:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


@dataclass(frozen=True)
class _Target:
    catalog: Catalog
    wedding: Wedding
    sla: str
    delay: timedelta
    max_attempts: int


def _record(target: _Target, path: Path, fmt: str, blob: BlobInfo, now: datetime) -> IngestEvent:
    """Record the photo and enqueue its job in one transaction, or report the duplicate."""
    wedding = target.wedding
    try:
        info = probe(path)
    except ImagingError:
        info = None  # an undecodable original is still kept; its job reports why
    try:
        with target.catalog.begin() as conn:
            existing = find_photo(conn, wedding.id, blob.sha256)
            if existing is not None:
                return _duplicate(path, blob, existing)
            photo_id = insert_photo(
                conn,
                tenant_id=wedding.tenant_id,
                wedding_id=wedding.id,
                sha256=blob.sha256,
                original_name=path.name,
                size=blob.size,
                fmt=fmt,
                now=now,
                width=info.width if info else None,
                height=info.height if info else None,
                captured_at=info.captured_at if info else None,
                camera=info.camera if info else None,
            )
            enqueue(
                conn,
                NewJob(
                    kind=PROCESS_KIND,
                    payload={"photo_id": photo_id},
                    sla=target.sla,
                    deadline=deadline_for(target.sla, now, {target.sla: target.delay}),
                    max_attempts=target.max_attempts,
                    key=f"{PROCESS_KIND}:{photo_id}",
                    tenant_id=wedding.tenant_id,
                ),
                now=now,
            )
    except IntegrityError:
        # Another ingest recorded the same bytes between our check and our insert.
        with target.catalog.begin() as conn:
            existing = find_photo(conn, wedding.id, blob.sha256)
        if existing is None:
            raise
        return _duplicate(path, blob, existing)
    return IngestEvent(IngestOutcome.ACCEPTED, path, blob.size, blob.sha256, photo_id)


def _duplicate(path: Path, blob: BlobInfo, existing: Photo) -> IngestEvent:
    return IngestEvent(
        IngestOutcome.DUPLICATE,
        path,
        blob.size,
        blob.sha256,
        existing.id,
        error=f"same bytes as {existing.original_name} (photo {existing.id})",
    )

"""A backup run: what changed since the last run, into the repository, then the cursor.

The catalog's change log says what changed (every photo and variant blob, in the transaction
that recorded it), so a run reads only those blobs: no rescan of the vault. A run against a
repository that has never been written reads everything the catalog refers to once (a full
run); dedup makes a full run against a repository that already holds most of it cheap.

Order and durability: changes are taken earliest deadline first (same-day weddings before
standard ones); the blobs go to packs, the catalog is dumped and added, the snapshot is
committed, and only then is the cursor moved past the changes, so a run killed at any point
leaves them pending and the next run does them again (chunks already stored are skipped).

The cursor is kept per repository under a key derived from the repository's sealed config
file: a repository created again at the same place is a new repository with nothing in it.
"""

from __future__ import annotations

import hashlib
import io
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection

from trousseau.backup.catalogdump import dump_catalog
from trousseau.backup.repository import ChunkedBlob, Repository
from trousseau.backup.snapshots import BlobRole, Snapshot
from trousseau.backup.targets import Target
from trousseau.catalog import (
    Catalog,
    Change,
    ChangeKind,
    WeddingBlob,
    advance_cursor,
    latest_change_id,
    mark_backed_up,
    pending_changes,
    wedding_blobs,
)
from trousseau.clock import Clock
from trousseau.errors import BlobCorrupt, BlobMissing
from trousseau.vault import Vault

BATCH = 5000
"""Changes taken in one run at most; a larger backlog takes several runs (`--follow` loops)."""

FOLLOW_BUDGET = 0.3
"""Seconds of blobs a following backup takes into one snapshot before it commits."""


def repository_key(target: Target) -> str:
    """The catalog's name for a repository's cursor: the hash of its sealed config file."""
    return "repo-" + hashlib.sha256(target.get("config")).hexdigest()[:32]


def owner_names(blob: WeddingBlob) -> tuple[str, str]:
    """The repository's names for a blob's tenant and wedding: ids, never slugs or titles."""
    return str(blob.tenant_id), str(blob.wedding_id)


def up_to_date(catalog: Catalog, target: Target) -> bool:
    """True when the repository on `target` holds a snapshot and every change: a run would do
    nothing. Needs no passphrase (the key derivation alone takes a third of a second)."""
    if not target.list("snapshots/") or not target.list("keys/") or not target.exists("config"):
        return False  # a run opens it and says what is wrong
    with catalog.begin() as conn:
        return not pending_changes(conn, repository_key(target), limit=1)


@dataclass(frozen=True)
class BlobBackedUp:
    """One blob is in the run's packs (or already was: `new` is False)."""

    tenant: str
    wedding: str
    sha256: str
    bytes: int
    done: int
    total: int


@dataclass(frozen=True)
class CatalogDumped:
    format: str
    bytes: int


@dataclass(frozen=True)
class SnapshotSaved:
    snapshot: Snapshot


BackupEvent = BlobBackedUp | CatalogDumped | SnapshotSaved
Progress = Callable[[BackupEvent], None]


@dataclass(frozen=True)
class RunReport:
    """What a run did. `snapshot` is None when nothing had changed."""

    snapshot: Snapshot | None
    full: bool
    changes: int
    blobs: int
    bytes_read: int
    catalog_bytes: int
    more_pending: bool
    """The backlog was larger than one batch: run again."""
    seconds: float
    damaged: tuple[str, ...] = ()
    """Blobs the vault could not give whole (missing or damaged), each with why: left out of
    the snapshot, their changes still pending, while everything else was backed up."""


def run_backup(
    catalog: Catalog,
    vault: Vault,
    repo: Repository,
    *,
    catalog_url: str,
    clock: Clock,
    progress: Progress | None = None,
    batch: int = BATCH,
    host: str | None = None,
    budget: float | None = None,
) -> RunReport:
    """Back up what changed since this repository's last run (everything, the first time).

    With a `budget` (seconds), an incremental run stops taking blobs once it has spent it and
    commits what it has: a following backup (`--follow`) then snapshots every second or so
    instead of once per backlog, so the first changes of a long ingest are not held back by
    the last. What was left stays pending (`more_pending`), earliest deadline first.
    """
    started = time.perf_counter()
    key = repository_key(repo.target)
    full = repo.latest() is None
    with catalog.begin() as conn:
        if full:
            upto = latest_change_id(conn)
            changes: list[Change] = []
        else:
            changes = pending_changes(conn, key, limit=batch)
            upto = 0
    if not full and not changes:
        return RunReport(None, False, 0, 0, 0, 0, False, time.perf_counter() - started)
    with catalog.begin() as conn:
        blobs = _full_list(conn) if full else _changed(conn, changes)
    stop = None if full or budget is None else started + budget
    snapshot, read, dumped, left, damaged = _write(
        repo,
        vault,
        blobs,
        catalog_url=catalog_url,
        clock=clock,
        progress=progress,
        host=host,
        stop=stop,
    )
    waiting = {(b.wedding_id, b.sha256) for b in [*left, *(blob for blob, _ in damaged)]}
    done = [c.id for c in changes if (c.wedding_id, c.subject) not in waiting]
    with catalog.begin() as conn:
        if full and not damaged:
            advance_cursor(conn, key, upto, now=clock())
        elif not full:  # a full run with damage keeps the cursor: the next run walks it all
            mark_backed_up(conn, key, done, now=clock())
    return RunReport(
        snapshot=snapshot,
        full=full,
        changes=len(changes),
        blobs=len(blobs) - len(left) - len(damaged),
        bytes_read=read,
        catalog_bytes=dumped,
        more_pending=(len(changes) >= batch and bool(done)) or bool(left),
        seconds=time.perf_counter() - started,
        damaged=tuple(why for _, why in damaged),
    )


def _full_list(conn: Connection) -> list[WeddingBlob]:
    return list(wedding_blobs(conn))


def _changed(conn: Connection, changes: Iterable[Change]) -> list[WeddingBlob]:
    """The blobs the changes name, in the changes' order (earliest deadline first)."""
    wanted = [c for c in changes if c.kind == ChangeKind.BLOB and c.wedding_id is not None]
    if not wanted:
        return []
    found: dict[tuple[int, str], list[WeddingBlob]] = {}
    for blob in wedding_blobs(
        conn,
        wedding_ids={c.wedding_id for c in wanted if c.wedding_id is not None},
        sha256s={c.subject for c in wanted},
    ):
        found.setdefault((blob.wedding_id, blob.sha256), []).append(blob)
    ordered: list[WeddingBlob] = []
    seen: set[tuple[int, str]] = set()
    for change in wanted:
        at = (change.wedding_id or 0, change.subject)
        if at not in seen:  # a change whose photo is gone since names nothing to back up
            seen.add(at)
            ordered += found.get(at, [])
    return ordered


PREFETCH = 3
"""Blobs read and cut ahead of the one being stored (memory: that many blobs)."""


def _write(
    repo: Repository,
    vault: Vault,
    blobs: list[WeddingBlob],
    *,
    catalog_url: str,
    clock: Clock,
    progress: Progress | None,
    host: str | None,
    stop: float | None = None,
) -> tuple[Snapshot, int, int, list[WeddingBlob], list[tuple[WeddingBlob, str]]]:
    """Store the blobs, dump the catalog, commit; past `stop` (a `perf_counter` time) the
    blobs not yet stored are left out and returned, and so is each blob the vault cannot give
    whole, with why (one damaged photo must not keep the others out of the backup).

    Three stages overlap: a reading thread reads and cuts the next blobs, this thread seals
    chunks into packs, and the writer's own thread names and writes the previous pack
    (hashing, encryption and I/O release the GIL)."""
    read = 0
    with (
        repo.writer(clock=clock, host=host) as writer,
        ThreadPoolExecutor(1, thread_name_prefix="backup-read") as reader,
    ):

        def load(blob: WeddingBlob) -> ChunkedBlob:
            return writer.chunk_blob(
                str(blob.tenant_id), vault.get_bytes(blob.sha256, verify=False)
            )

        todo = [b for b in blobs if repo.erased(*owner_names(b)) is None]
        ahead: deque[tuple[WeddingBlob, Future[ChunkedBlob] | None]] = deque()
        queued = iter(todo)
        left: list[WeddingBlob] = []
        damaged: list[tuple[WeddingBlob, str]] = []
        try:
            for done in range(1, len(todo) + 1):
                if stop is not None and done > 1 and time.perf_counter() > stop:
                    left = [blob for blob, _ in ahead] + list(queued)
                    break
                while len(ahead) < PREFETCH and (blob := next(queued, None)) is not None:
                    held = writer.holds(*owner_names(blob), blob.sha256)
                    ahead.append((blob, None if held else reader.submit(load, blob)))
                blob, loading = ahead.popleft()
                tenant, wedding = owner_names(blob)
                role = BlobRole(blob.role.value)
                if loading is None:
                    writer.add_blob(tenant, wedding, blob.sha256, io.BytesIO(), role=role)
                    size = 0
                else:
                    try:
                        chunked = loading.result()
                        writer.add_blob(tenant, wedding, blob.sha256, chunked, role=role)
                    except (BlobCorrupt, BlobMissing) as exc:  # this blob only: the rest goes on
                        damaged.append((blob, str(exc)))
                        continue
                    size = chunked.size
                read += size
                if progress is not None:
                    progress(BlobBackedUp(tenant, wedding, blob.sha256, size, done, len(todo)))
        finally:
            for _, loading in ahead:
                if loading is not None:
                    loading.cancel()
        with tempfile.TemporaryDirectory(prefix="trousseau-catalog-") as scratch:
            dump = dump_catalog(catalog_url, Path(scratch) / "catalog.dump", taken_at=clock())
            writer.add_catalog_dump(dump.path, format=dump.format, name="catalog")
        if progress is not None:
            progress(CatalogDumped(dump.format, dump.bytes))
        snapshot = writer.commit()
    if progress is not None:
        progress(SnapshotSaved(snapshot))
    return snapshot, read, dump.bytes, left, damaged

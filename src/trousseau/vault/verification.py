"""Proving a vault holds what its owner says it holds, as an iterator of progress events.

`trousseau verify` renders these events with a progress bar; a backup will run the same walk
before trusting its source. The vault knows no catalog: the caller passes the blobs to check
as plain values, each its sha256 and what it is in words ("original DSC_0001.JPG (photo 7)"),
and every event names the blob back the same way.

A blob that is missing or whose bytes no longer hash to its key is reported and the walk goes
on, so one run lists every damaged blob. A failure of the store itself (unreachable, no
permission) raises: every later blob would fail the same way.

The same walk finds what the vault holds that nobody needs: orphan blobs (stored, named by
no catalog row, and last stored before a grace period, so no ingest is about to record
them) and partial writes (with whether their writer still runs). `collect_orphans` removes
orphans; it is never run by the walk itself: a catalog restored from an older backup names
fewer blobs than the vault holds, and removing what it forgot would lose those photos, so
removal is an operator's explicit decision (`trousseau verify --collect-orphans`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple

from trousseau.errors import BlobCorrupt, BlobMissing, VaultError
from trousseau.processes import Liveness
from trousseau.vault.partials import PartialWrite
from trousseau.vault.protocol import Vault


class BlobRef(NamedTuple):
    """A blob to check: its key, and what it is for the person reading the report."""

    sha256: str
    what: str


class BlobStatus(StrEnum):
    """What re-hashing one blob found."""

    OK = "ok"
    """Present, and its bytes hash to its key."""
    MISSING = "missing"
    """Not in the vault."""
    CORRUPT = "corrupt"
    """Present, but its bytes no longer hash to its key."""


@dataclass(frozen=True, slots=True)
class VerifyCounts:
    """Running totals of one walk; `total` is how many blobs it was given."""

    total: int
    ok: int = 0
    missing: int = 0
    corrupt: int = 0
    bytes: int = 0
    """Bytes re-hashed so far (a key listed twice is re-hashed once)."""

    @property
    def checked(self) -> int:
        """Blobs looked at so far, whatever was found."""
        return self.ok + self.missing + self.corrupt

    @property
    def damaged(self) -> int:
        """Blobs missing or corrupt so far: each needs restoring from a backup."""
        return self.missing + self.corrupt


@dataclass(frozen=True, slots=True)
class BlobChecked:
    """One blob was looked at: what was found, and the totals including it."""

    blob: BlobRef
    status: BlobStatus
    size: int
    """Bytes re-hashed for this blob (0 when missing, or when its key was checked before)."""
    error: str | None
    """Why it is missing or corrupt, and what to do, in words; None when OK."""
    counts: VerifyCounts


@dataclass(frozen=True, slots=True)
class BlobUnreferenced:
    """A blob stored in the vault that none of the given blobs names (asked for explicitly)."""

    sha256: str
    count: int
    """Unreferenced blobs found so far, this one included."""
    size: int = 0
    stored_at: datetime | None = None
    """When it was last stored (a put of the same bytes moves it)."""
    orphan: bool = True
    """Last stored before `orphans_before`: no ingest is about to record it. False for a
    blob stored within the grace period, whose record may be on its way."""


@dataclass(frozen=True, slots=True)
class VerifyFinished:
    """The walk is over: the final totals, and how many stored blobs nothing names."""

    counts: VerifyCounts
    unreferenced: int | None
    """None when unreferenced blobs were not looked for."""
    orphans: int | None = None
    """How many of the unreferenced blobs are orphans (None when not looked for)."""
    orphan_bytes: int = 0

    @property
    def intact(self) -> bool:
        """Whether every given blob is present and whole."""
        return self.counts.damaged == 0


VerifyEvent = BlobChecked | BlobUnreferenced | VerifyFinished
"""What `verify_blobs` yields: one `BlobChecked` per blob given, then the
`BlobUnreferenced` ones (if asked for), then one `VerifyFinished`."""


def verify_blobs(
    vault: Vault,
    blobs: Collection[tuple[str, str]],
    *,
    unreferenced: bool = False,
    orphans_before: datetime | None = None,
) -> Iterator[VerifyEvent]:
    """Re-hash every blob in `blobs` ((sha256, what) pairs), in order, yielding an event each.

    With `unreferenced`, the vault's own listing is then compared with the given keys and
    every stored blob that none of them names is reported (a scan of the whole vault); those
    last stored before `orphans_before` (all, when None) are orphans.
    Raises the VaultError the store raised for anything but a missing or corrupt blob.
    """
    counts = VerifyCounts(total=len(blobs))
    seen: dict[str, tuple[BlobStatus, str | None]] = {}
    for sha256, what in blobs:
        blob = BlobRef(sha256, what)
        size = 0
        if sha256 in seen:
            status, error = seen[sha256]
        else:
            status, error, size = _check(vault, sha256)
            seen[sha256] = (status, error)
        counts = _counted(counts, status, size)
        yield BlobChecked(blob, status, size, error, counts)
    found: int | None = None
    orphans: int | None = None
    orphan_bytes = 0
    if unreferenced:
        found = orphans = 0
        for stored in vault.iter_stored():
            if stored.sha256 in seen:
                continue
            found += 1
            orphan = orphans_before is None or stored.stored_at < orphans_before
            if orphan:
                orphans += 1
                orphan_bytes += stored.size
            yield BlobUnreferenced(stored.sha256, found, stored.size, stored.stored_at, orphan)
    yield VerifyFinished(counts, found, orphans, orphan_bytes)


@dataclass(frozen=True, slots=True)
class OrphanCollected:
    """One orphan blob removed, and the totals so far."""

    sha256: str
    size: int
    count: int
    bytes: int


def collect_orphans(
    vault: Vault, orphans: Iterable[str], *, stored_before: datetime
) -> Iterator[OrphanCollected]:
    """Remove each of `orphans` (keys the caller has just checked no catalog row names) that
    was last stored before `stored_before`, yielding an event per blob removed.

    A blob stored again since (an ingest found it and is recording it) is kept; the store
    makes sure a put racing the removal still finds its blob (`Vault.collect`). VaultError
    where the store cannot promise that (object stores), before anything is removed.
    """
    count = total = 0
    for sha256 in orphans:
        size = vault.collect(sha256, stored_before=stored_before)
        if size is None:
            continue
        count += 1
        total += size
        yield OrphanCollected(sha256, size, count, total)


@dataclass(frozen=True, slots=True)
class PartialSummary:
    """The partial writes a vault holds, by whether their writer still runs."""

    count: int = 0
    bytes: int = 0
    alive: int = 0
    """Being written by a process that still runs: left alone."""
    gone: int = 0
    """Left by a writer that died: nothing will finish them; any sweep removes them."""
    unknown: int = 0
    """Another host's or container's (or unnamed): removed once an hour old."""


def summarise_partials(partials: Iterable[PartialWrite]) -> PartialSummary:
    """Count `partials` (from `Vault.partial_writes`) for a report."""
    found = list(partials)
    return PartialSummary(
        count=len(found),
        bytes=sum(p.size for p in found),
        alive=sum(p.writer is Liveness.ALIVE for p in found),
        gone=sum(p.writer is Liveness.GONE for p in found),
        unknown=sum(p.writer is Liveness.UNKNOWN for p in found),
    )


def _check(vault: Vault, sha256: str) -> tuple[BlobStatus, str | None, int]:
    try:
        return BlobStatus.OK, None, vault.verify(sha256)
    except BlobMissing as exc:
        return BlobStatus.MISSING, str(exc), 0
    except BlobCorrupt as exc:
        return BlobStatus.CORRUPT, str(exc), 0
    except VaultError as exc:  # this blob unreadable (a directory in its place, a bad sector)
        return BlobStatus.CORRUPT, str(exc), 0


def _counted(counts: VerifyCounts, status: BlobStatus, size: int) -> VerifyCounts:
    return VerifyCounts(
        total=counts.total,
        ok=counts.ok + (status is BlobStatus.OK),
        missing=counts.missing + (status is BlobStatus.MISSING),
        corrupt=counts.corrupt + (status is BlobStatus.CORRUPT),
        bytes=counts.bytes + size,
    )

"""Proving a vault holds what its owner says it holds, as an iterator of progress events.

`trousseau verify` renders these events with a progress bar; a backup will run the same walk
before trusting its source. The vault knows no catalog: the caller passes the blobs to check
as plain values, each its sha256 and what it is in words ("original DSC_0001.JPG (photo 7)"),
and every event names the blob back the same way.

A blob that is missing or whose bytes no longer hash to its key is reported and the walk goes
on, so one run lists every damaged blob. A failure of the store itself (unreachable, no
permission) raises: every later blob would fail the same way.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from trousseau.errors import BlobCorrupt, BlobMissing
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


@dataclass(frozen=True, slots=True)
class VerifyFinished:
    """The walk is over: the final totals, and how many stored blobs nothing names."""

    counts: VerifyCounts
    unreferenced: int | None
    """None when unreferenced blobs were not looked for."""

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
) -> Iterator[VerifyEvent]:
    """Re-hash every blob in `blobs` ((sha256, what) pairs), in order, yielding an event each.

    With `unreferenced`, the vault's own listing is then compared with the given keys and
    every stored blob that none of them names is reported (a scan of the whole vault).
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
    if unreferenced:
        found = 0
        for sha256 in vault.iter_blobs():
            if sha256 not in seen:
                found += 1
                yield BlobUnreferenced(sha256, found)
    yield VerifyFinished(counts, found)


def _check(vault: Vault, sha256: str) -> tuple[BlobStatus, str | None, int]:
    try:
        return BlobStatus.OK, None, vault.verify(sha256)
    except BlobMissing as exc:
        return BlobStatus.MISSING, str(exc), 0
    except BlobCorrupt as exc:
        return BlobStatus.CORRUPT, str(exc), 0


def _counted(counts: VerifyCounts, status: BlobStatus, size: int) -> VerifyCounts:
    return VerifyCounts(
        total=counts.total,
        ok=counts.ok + (status is BlobStatus.OK),
        missing=counts.missing + (status is BlobStatus.MISSING),
        corrupt=counts.corrupt + (status is BlobStatus.CORRUPT),
        bytes=counts.bytes + size,
    )

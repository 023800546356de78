"""The contract every vault backend keeps, whatever it stores bytes on."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol, runtime_checkable

from trousseau.vault.blob import BlobInfo, StoredBlob
from trousseau.vault.partials import PartialWrite


@runtime_checkable
class Vault(Protocol):
    """A content-addressed blob store keyed by SHA-256 (64 lowercase hex characters).

    Promises: a blob is visible only once complete and durable; a stored blob is never
    modified or replaced; every read can prove the bytes still hash to their key. Arguments
    that are not a well-formed sha256 raise ValueError. Bytes that do not match the
    `expected_sha256` a put was given raise ChecksumMismatch (the caller's error: nothing is
    stored). Failures of the store raise the VaultError family (VaultFull, VaultReadOnly,
    BlobMissing, and BlobCorrupt for stored bytes that no longer match their key) with a
    message that says what to do.
    """

    url: str
    """Where the vault lives, safe to log (never carries a secret)."""

    def put_file(self, path: Path, *, expected_sha256: str | None = None) -> BlobInfo:
        """Store the bytes of `path`; ChecksumMismatch, storing nothing, if they do not hash
        to `expected_sha256` (when given).

        Returns once the blob is durable. `created` is False when the blob already existed;
        the existing bytes are then left untouched (after a size check).
        """
        ...

    def put_bytes(self, data: bytes, *, expected_sha256: str | None = None) -> BlobInfo:
        """Store `data`, with the same guarantees as put_file."""
        ...

    def get_bytes(self, sha256: str, *, verify: bool = True) -> bytes:
        """Return a blob's bytes, re-hashed first unless `verify` is False."""
        ...

    def exists(self, sha256: str) -> bool:
        """Whether a blob is stored under `sha256` (its content is not checked)."""
        ...

    def size(self, sha256: str) -> int:
        """The stored size in bytes; BlobMissing if absent."""
        ...

    def verify(self, sha256: str) -> int:
        """Re-hash the stored bytes and return their size; BlobMissing or BlobCorrupt."""
        ...

    def repair(self, path: Path, sha256: str) -> bool:
        """Put `path`, whose bytes must hash to `sha256`, in place of a missing or damaged
        copy of that blob (a restore from backup); False, changing nothing, when the stored
        copy is whole. A damaged copy is moved aside under `damaged/`, never deleted."""
        ...

    def iter_blobs(self) -> Iterator[str]:
        """Every stored sha256, once each; stray files or objects are skipped."""
        ...

    def iter_stored(self) -> Iterator[StoredBlob]:
        """Every stored blob with its size and when it was last stored, in key order."""
        ...

    def collect(self, sha256: str, *, stored_before: datetime) -> int | None:
        """Remove a blob no catalog row names, if it was last stored before `stored_before`;
        return its size, or None when it was kept (stored since, or already gone).

        The caller vouches that no row names it; the store makes sure that a put of the same
        bytes, racing this call, still finds its blob when it returns. VaultError where the
        store cannot promise that.
        """
        ...

    def partial_writes(self) -> list[PartialWrite]:
        """Writes in progress or abandoned, each with its writer's liveness (for reports)."""
        ...

    def sweep_partials(self, older_than: timedelta) -> int:
        """Remove abandoned partial writes, return how many: at once those whose writer is
        known to be gone, by age (`older_than`) those whose writer cannot be told."""
        ...

    def close(self) -> None:
        """Release what the vault holds; idempotent."""
        ...

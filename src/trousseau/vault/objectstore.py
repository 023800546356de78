"""A vault in an object store (S3-compatible, or obstore's in-memory store for tests).

Keys follow the local layout under the store's prefix: ``<prefix>/blobs/ab/cd/<sha256>``.

Writes are conditional creates (``If-None-Match: *`` on S3): an existing object is never
overwritten, and the store itself arbitrates between concurrent writers of one blob. A create
is a single request, so the object is published atomically and nothing partial is ever left;
it also means obstore holds the whole body in memory, so this backend reads each source once
into memory, hashes exactly those bytes and uploads exactly those bytes. A file that changes
between hashing and uploading therefore cannot be stored under the wrong key. The price is a
ceiling of `MAX_BLOB_SIZE` per blob (S3's limit for one PUT), far above any photograph.

With ``verify_writes`` a put is followed by a HEAD that checks the stored size. It does not
download the object again, which would double the transfer of every original: the PUT already
carries the body's SHA-256 twice (the signed ``x-amz-content-sha256``, which is the blob's key
itself, and the ``x-amz-checksum-sha256`` that `open_vault` asks S3Store to send), so S3
refuses a body damaged on the way. `verify` re-hashes the stored bytes when a scrub asks.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import obstore
from obstore.exceptions import (
    AlreadyExistsError,
    BaseError,
    PermissionDeniedError,
    UnauthenticatedError,
)

from trousseau.errors import BlobCorrupt, BlobMissing, ChecksumMismatch, VaultError, VaultReadOnly
from trousseau.vault.blob import (
    CHUNK_SIZE,
    DAMAGED_DIR,
    BlobInfo,
    StoredBlob,
    blob_key,
    check_expected,
    corrupt,
    digest,
    mismatch,
    sha256_of_key,
)
from trousseau.vault.partials import PartialWrite
from trousseau.vault.source import unreadable

if TYPE_CHECKING:
    from obstore.store import ObjectStore

MAX_BLOB_SIZE = 5 * 1024**3
"""Largest blob one conditional PUT can create on S3 (5 GiB)."""

_LIST_PAGE = 1000


class ObjectStoreVault:
    """A vault on any obstore store; safe to share between threads."""

    def __init__(self, store: ObjectStore, *, url: str, verify_writes: bool = True) -> None:
        """Wrap `store`; `url` is how messages name the vault and must carry no secret."""
        self.store = store
        self.url = url
        self.verify_writes = verify_writes

    def __repr__(self) -> str:
        return f"ObjectStoreVault({self.url!r})"

    def put_file(self, path: Path, *, expected_sha256: str | None = None) -> BlobInfo:
        """Store `path`, read once into memory; see `Vault.put_file`."""
        expected = check_expected(expected_sha256)
        try:
            size = path.stat().st_size
            if size > MAX_BLOB_SIZE:
                raise self._too_large(str(path), size)
            data = path.read_bytes()
        except OSError as exc:
            raise unreadable(path, exc) from exc
        return self._put(data, str(path), expected)

    def put_bytes(self, data: bytes, *, expected_sha256: str | None = None) -> BlobInfo:
        """Store `data`; see `Vault.put_bytes`."""
        expected = check_expected(expected_sha256)
        source = f"a {len(data)}-byte buffer"
        if len(data) > MAX_BLOB_SIZE:
            raise self._too_large(source, len(data))
        return self._put(data, source, expected)

    def get_bytes(self, sha256: str, *, verify: bool = True) -> bytes:
        """Download the blob, re-hashed unless `verify` is False."""
        key = blob_key(sha256)
        try:
            data = bytes(obstore.get(self.store, key).bytes())
        except (BaseError, OSError) as exc:
            raise self._read_error(sha256, key, exc) from exc
        if verify:
            actual = hashlib.sha256(data).hexdigest()
            if actual != sha256:
                raise BlobCorrupt(corrupt(sha256, self._where(key), actual))
        return data

    def exists(self, sha256: str) -> bool:
        """Whether an object exists under the blob's key (one HEAD)."""
        try:
            self.size(sha256)
        except BlobMissing:
            return False
        return True

    def size(self, sha256: str) -> int:
        """The stored size in bytes (one HEAD)."""
        key = blob_key(sha256)
        try:
            return obstore.head(self.store, key)["size"]
        except (BaseError, OSError) as exc:
            raise self._read_error(sha256, key, exc) from exc

    def verify(self, sha256: str) -> int:
        """Stream the object through SHA-256 in 1 MiB chunks; return its size."""
        key = blob_key(sha256)
        try:
            actual, size = digest(obstore.get(self.store, key).stream(min_chunk_size=CHUNK_SIZE))
        except (BaseError, OSError) as exc:
            raise self._read_error(sha256, key, exc) from exc
        if actual != sha256:
            raise BlobCorrupt(corrupt(sha256, self._where(key), actual))
        return size

    def repair(self, path: Path, sha256: str) -> bool:
        """See `Vault.repair`: the damaged object is copied to `damaged/<sha256>.<ns>` before
        the verified copy replaces it."""
        try:
            self.verify(sha256)
            return False
        except BlobMissing:
            pass
        except BlobCorrupt:
            key = blob_key(sha256)
            aside = f"{DAMAGED_DIR}/{sha256}.{time.time_ns()}"
            try:
                obstore.copy(self.store, key, aside)
                obstore.delete(self.store, key)
            except (BaseError, OSError) as exc:
                raise self._write_error(key, f"the damaged blob {sha256}", exc) from exc
        self.put_file(path, expected_sha256=sha256)
        return True

    def iter_blobs(self) -> Iterator[str]:
        """Every stored sha256, in key order; objects outside the layout are skipped."""
        try:
            for page in obstore.list(self.store, prefix="blobs/", chunk_size=_LIST_PAGE):
                for meta in page:
                    sha = sha256_of_key(meta["path"])
                    if sha is not None:
                        yield sha
        except (BaseError, OSError) as exc:
            raise VaultError(f"cannot list blobs in {self.url}: {_summary(exc)}") from exc

    def iter_stored(self) -> Iterator[StoredBlob]:
        """Every stored blob with its size and when its object was created, in key order.

        An object is created once (conditional creates), so a dedup does not move its time.
        """
        try:
            for page in obstore.list(self.store, prefix="blobs/", chunk_size=_LIST_PAGE):
                for meta in page:
                    sha = sha256_of_key(meta["path"])
                    if sha is not None:
                        stored_at = meta["last_modified"]
                        if stored_at.tzinfo is None:
                            stored_at = stored_at.replace(tzinfo=UTC)
                        yield StoredBlob(sha, meta["size"], stored_at)
        except (BaseError, OSError) as exc:
            raise VaultError(f"cannot list blobs in {self.url}: {_summary(exc)}") from exc

    def collect(self, sha256: str, *, stored_before: datetime) -> int | None:
        """Refused: an object store cannot fence a put of the same bytes racing the delete.

        A put that finds the object already there answers "created: False" and its ingest
        records the photo; nothing marks the object, and a store has no atomic rename to
        move it aside first, so a delete at that moment would lose a recorded photo.
        """
        blob_key(sha256)
        raise VaultError(
            f"cannot collect orphan blobs in {self.url}: an object store cannot guard a "
            f"delete against an upload of the same bytes (blob {sha256} was kept); list the "
            "orphans with `trousseau verify --orphans` and remove them with the store's own "
            "tools while no ingest runs, or keep them (object versioning makes that safe)"
        )

    def partial_writes(self) -> list[PartialWrite]:
        """Always empty: object stores publish atomically and leave no partial objects."""
        return []

    def sweep_partials(self, older_than: timedelta) -> int:
        """Always 0: object stores publish atomically and leave no partial objects."""
        if older_than < timedelta(0):
            raise ValueError(f"older_than must not be negative, got {older_than}")
        return 0

    def close(self) -> None:
        """Nothing to release: obstore pools connections inside the store object."""

    def _put(self, data: bytes, source: str, expected: str | None) -> BlobInfo:
        sha = hashlib.sha256(data).hexdigest()
        if expected is not None and sha != expected:
            raise ChecksumMismatch(mismatch(source, expected, sha))
        key = blob_key(sha)
        try:
            obstore.put(self.store, key, data, mode="create")
        except AlreadyExistsError:
            self._check_size(key, sha, len(data), existed=True)
            return BlobInfo(sha256=sha, size=len(data), created=False)
        except (BaseError, OSError) as exc:
            raise self._write_error(key, source, exc) from exc
        if self.verify_writes:
            self._check_size(key, sha, len(data), existed=False)
        return BlobInfo(sha256=sha, size=len(data), created=True)

    def _check_size(self, key: str, sha: str, size: int, *, existed: bool) -> None:
        """Compare the stored object's size with what was meant to be stored.

        For an object that already existed only the size is checked: re-hashing it would
        mean downloading it on every duplicate upload. `verify` is the content check.
        """
        try:
            stored = obstore.head(self.store, key)["size"]
        except (BaseError, OSError) as exc:
            raise VaultError(
                f"cannot confirm blob {sha} in {self.url} (HEAD {key}: {_summary(exc)}): "
                "do not acknowledge it; retry the put"
            ) from exc
        if stored == size:
            return
        if existed:
            raise BlobCorrupt(
                f"blob {sha} already exists at {self._where(key)} with {stored} bytes instead "
                f"of {size}: it is damaged; restore it from backup (`trousseau verify` lists "
                "every damaged blob); the new copy was not stored"
            )
        raise BlobCorrupt(
            f"blob {sha} was stored at {self._where(key)} but the store reports {stored} bytes "
            f"instead of {size}: the store or the network damaged it; delete that object and "
            "retry the put"
        )

    def _where(self, key: str) -> str:
        return f"{key} in {self.url}"

    def _too_large(self, source: str, size: int) -> VaultError:
        return VaultError(
            f"{source} is {size} bytes, over the {MAX_BLOB_SIZE}-byte limit of a single "
            f"conditional upload to {self.url}; nothing was stored"
        )

    def _read_error(self, sha: str, key: str, exc: BaseException) -> VaultError:
        if isinstance(exc, FileNotFoundError):
            return BlobMissing(
                f"blob {sha} is missing from {self.url} (no object {key}): restore it from backup"
            )
        if isinstance(exc, UnauthenticatedError):
            return VaultError(f"{self.url} rejected the credentials reading {key}: {_CREDENTIALS}")
        if isinstance(exc, PermissionDeniedError):
            return VaultError(
                f"{self.url} denied reading {key}: grant these credentials read access "
                "(s3:GetObject, s3:ListBucket) to the vault prefix"
            )
        return VaultError(f"cannot read blob {sha} from {self._where(key)}: {_summary(exc)}")

    def _write_error(self, key: str, source: str, exc: BaseException) -> VaultError:
        if isinstance(exc, PermissionDeniedError):
            return VaultReadOnly(
                f"{self.url} refused to write {key} while storing {source} (permission denied): "
                "grant these credentials s3:PutObject on the vault prefix, or point the vault "
                "at a writable bucket; nothing was stored"
            )
        if isinstance(exc, UnauthenticatedError):
            return VaultError(
                f"{self.url} rejected the credentials while storing {source}: {_CREDENTIALS}; "
                "nothing was stored"
            )
        if isinstance(exc, FileNotFoundError):
            return VaultError(
                f"the bucket of {self.url} does not exist (PUT {key} answered not found) while "
                f"storing {source}: create it or fix the vault URL; nothing was stored"
            )
        return VaultError(
            f"{self.url} failed to store {source} as {key}: {_summary(exc)}; nothing was stored"
        )


_CREDENTIALS = "check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN"


def _summary(exc: BaseException) -> str:
    """The first line of an obstore error; the rest is a Rust debug dump of the same facts."""
    lines = str(exc).strip().splitlines()
    first = lines[0] if lines else type(exc).__name__
    return first if len(first) <= 400 else first[:400] + "…"

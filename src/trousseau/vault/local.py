"""A vault in a local directory: blobs are published atomically, durably, and never replaced.

Layout::

    <root>/blobs/ab/cd/<sha256>   published blobs, mode 0o444
    <root>/tmp/put.<writer>.<random>.part   writes in progress, on the same filesystem as blobs/

A write goes to a fresh temp file, is hashed as it is written, fsync'd, optionally re-read from
the device, then published with ``os.link(temp, final)``: atomic, and it fails rather than
overwrite an existing name. Readers therefore never see a partial blob, concurrent writers of
the same blob cannot clobber each other, and a crash leaves at worst a ``.part`` file that
`sweep_partials` removes: at once when the writer its name records is gone
(`trousseau.vault.partials`).

A put that finds its blob already there marks it stored now (its mtime): `collect`, which
removes orphan blobs, spares any blob stored within its grace period, and decides under a
lock on the blob that such a put takes too, so a put racing it either marked the blob first
(and it is kept) or finds it unlinked and stores its own copy.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path

from trousseau.errors import (
    BlobCorrupt,
    BlobMissing,
    ChecksumMismatch,
    VaultError,
    VaultFull,
    VaultReadOnly,
)
from trousseau.processes import Liveness
from trousseau.vault.blob import (
    CHUNK_SIZE,
    DAMAGED_DIR,
    BlobInfo,
    StoredBlob,
    blob_key,
    check_expected,
    check_sha256,
    corrupt,
    digest,
    mismatch,
    sha256_of_key,
)
from trousseau.vault.partials import (
    PARTIAL_SUFFIX,
    PartialWrite,
    is_partial,
    partial_prefix,
    writer_of,
)
from trousseau.vault.source import open_source, read_chunks

BLOB_MODE = 0o444

_FULL = {errno.ENOSPC, errno.EDQUOT}
_DENIED = {errno.EACCES, errno.EPERM}


class LocalVault:
    """A vault stored under one directory; safe to share between threads and processes."""

    def __init__(self, root: Path, *, verify_writes: bool = True) -> None:
        """Open (creating if needed) the vault at the absolute directory `root`.

        Opening never sweeps partial writes: another process may own them.
        """
        if not root.is_absolute():
            raise ValueError(f"vault root must be an absolute path, got {root}")
        self.root = root
        self.url = root.as_uri()
        self.verify_writes = verify_writes
        self._blobs = root / "blobs"
        self._tmp = root / "tmp"
        self._prepare()

    def __repr__(self) -> str:
        return f"LocalVault({self.url!r})"

    def blob_path(self, sha256: str) -> Path:
        """Where the blob `sha256` lives (or would live); ValueError if not a sha256."""
        return self.root / blob_key(sha256)

    def put_file(self, path: Path, *, expected_sha256: str | None = None) -> BlobInfo:
        """Store `path`, streamed in 1 MiB chunks; see `Vault.put_file`."""
        expected = check_expected(expected_sha256)
        with open_source(path) as source:
            return self._store(read_chunks(source, path), str(path), expected)

    def put_bytes(self, data: bytes, *, expected_sha256: str | None = None) -> BlobInfo:
        """Store `data`; see `Vault.put_bytes`."""
        expected = check_expected(expected_sha256)
        view = memoryview(data)
        chunks = (view[i : i + CHUNK_SIZE] for i in range(0, len(view), CHUNK_SIZE))
        return self._store(chunks, f"a {len(data)}-byte buffer", expected)

    def put_derived(self, blobs: Sequence[bytes]) -> list[BlobInfo]:
        """Store blobs that can be made again from an original (variants), durably as a batch.

        Same promises as `put_bytes` once it returns: every blob is published, fsync'd, and
        (with verify_writes) re-read from the device and re-hashed. What is batched is the
        cost: each file is written, then all are fsync'd in one pass, their pages dropped
        and re-read, then all are linked and each directory touched is fsync'd once for the
        batch instead of three directories per blob. A failure raises as `put_bytes` would; the
        blobs already linked stay (content-addressed, harmless) but none may be recorded.
        """
        try:
            return self._publish_batch(blobs)
        except OSError as exc:
            raise self._write_error(
                exc, f"storing {len(blobs)} derived blobs", "; record none of them"
            ) from exc

    def get_bytes(self, sha256: str, *, verify: bool = True) -> bytes:
        """Return the blob's bytes, re-hashed unless `verify` is False."""
        path = self.blob_path(sha256)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise self._read_error(sha256, path, exc) from exc
        if verify:
            actual = hashlib.sha256(data).hexdigest()
            if actual != sha256:
                raise BlobCorrupt(corrupt(sha256, str(path), actual))
        return data

    def exists(self, sha256: str) -> bool:
        """Whether the blob's file exists."""
        return self.blob_path(sha256).is_file()

    def size(self, sha256: str) -> int:
        """The blob's size in bytes."""
        path = self.blob_path(sha256)
        try:
            return path.stat().st_size
        except OSError as exc:
            raise self._read_error(sha256, path, exc) from exc

    def verify(self, sha256: str) -> int:
        """Re-hash the blob from disk in chunks; return its size."""
        path = self.blob_path(sha256)
        try:
            actual, size = _hash_file(path)
        except OSError as exc:
            raise self._read_error(sha256, path, exc) from exc
        if actual != sha256:
            raise BlobCorrupt(corrupt(sha256, str(path), actual))
        return size

    def repair(self, path: Path, sha256: str) -> bool:
        """See `Vault.repair`: the damaged file goes to `<root>/damaged/<sha256>.<ns>`."""
        check_sha256(sha256)
        try:
            self.verify(sha256)
            return False
        except BlobMissing:
            pass
        except VaultError:  # damaged, or not a readable file (a directory in its place)
            self._set_aside(sha256)
        self.put_file(path, expected_sha256=sha256)
        return True

    def _set_aside(self, sha256: str) -> None:
        final = self.blob_path(sha256)
        aside = self.root / DAMAGED_DIR / f"{sha256}.{time.time_ns()}"
        try:
            aside.parent.mkdir(exist_ok=True)
            final.replace(aside)
            _fsync_dir(final.parent)
            _fsync_dir(aside.parent)
        except FileNotFoundError:
            return
        except OSError as exc:
            raise self._write_error(
                exc, f"setting the damaged blob {sha256} aside", "; the vault was not changed"
            ) from exc

    def iter_blobs(self) -> Iterator[str]:
        """Every published sha256, in key order."""
        try:
            for first in _sorted_dirs(self._blobs):
                for second in _sorted_dirs(first):
                    for entry in sorted(second.iterdir()):
                        sha = sha256_of_key(f"blobs/{first.name}/{second.name}/{entry.name}")
                        if sha is not None and entry.is_file():
                            yield sha
        except OSError as exc:
            where = exc.filename or self._blobs
            raise VaultError(f"cannot list vault {self.root} at {where}: {_reason(exc)}") from exc

    def iter_stored(self) -> Iterator[StoredBlob]:
        """Every published blob with its size and when it was last stored (its mtime)."""
        for sha in self.iter_blobs():
            path = self.blob_path(sha)
            try:
                status = path.stat()
            except FileNotFoundError:  # collected meanwhile
                continue
            except OSError as exc:
                raise self._read_error(sha, path, exc) from exc
            yield StoredBlob(sha, status.st_size, datetime.fromtimestamp(status.st_mtime, UTC))

    def collect(self, sha256: str, *, stored_before: datetime) -> int | None:
        """Remove an orphan blob last stored before `stored_before`; see `Vault.collect`.

        Decided under an exclusive `flock` on the blob: a put that finds the blob takes a
        shared one to mark it stored (mtime), so either the mark came first and the blob is
        kept, or the put then finds it unlinked and links its own copy.
        """
        final = self.blob_path(sha256)
        try:
            fd = os.open(final, os.O_RDONLY)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise self._write_error(exc, f"collecting orphan blob {sha256}", "") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            status = os.fstat(fd)
            if status.st_nlink == 0 or status.st_mtime >= stored_before.timestamp():
                return None
            final.unlink()
            _fsync_dir(final.parent)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise self._write_error(exc, f"removing orphan blob {sha256} ({final})", "") from exc
        finally:
            os.close(fd)
        return status.st_size

    def partial_writes(self) -> list[PartialWrite]:
        """Every ``tmp/*.part`` file, with its size, last write and whether its writer runs."""
        found: list[PartialWrite] = []
        try:
            for entry in os.scandir(self._tmp):
                if not is_partial(entry.name) or not entry.is_file(follow_symlinks=False):
                    continue
                try:
                    status = entry.stat(follow_symlinks=False)
                except FileNotFoundError:  # published or removed meanwhile
                    continue
                modified = datetime.fromtimestamp(status.st_mtime, UTC)
                found.append(
                    PartialWrite(Path(entry.path), status.st_size, modified, writer_of(entry.name))
                )
        except OSError as exc:
            where = exc.filename or self._tmp
            raise VaultError(
                f"cannot list partial writes of vault {self.root} at {where}: {_reason(exc)}"
            ) from exc
        return sorted(found, key=lambda partial: partial.path.name)

    def sweep_partials(self, older_than: timedelta) -> int:
        """Delete the partial writes nobody will finish; return how many.

        A partial whose writer is gone (its name records the writer) goes at once; a live
        writer's is kept however old, since it may still be filling it. One whose writer
        cannot be told (another host's, or unnamed) goes once last modified more than
        `older_than` ago.
        """
        if older_than < timedelta(0):
            raise ValueError(f"older_than must not be negative, got {older_than}")
        cutoff = time.time() - older_than.total_seconds()
        removed = 0
        for partial in self.partial_writes():
            if partial.writer is Liveness.ALIVE:
                continue
            if partial.writer is Liveness.UNKNOWN and partial.modified.timestamp() >= cutoff:
                continue
            try:
                partial.path.unlink()
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise self._write_error(exc, "sweeping partial writes", "") from exc
            removed += 1
        return removed

    def close(self) -> None:
        """Nothing to release: every operation opens and closes its own files."""

    def _prepare(self) -> None:
        try:
            fresh = not self._blobs.is_dir() or not self._tmp.is_dir()
            for directory in (self._blobs, self._tmp):
                directory.mkdir(parents=True, exist_ok=True)
            if fresh:
                _fsync_dir(self.root)
                _fsync_dir(self.root.parent)
            same_device = self._blobs.stat().st_dev == self._tmp.stat().st_dev
        except OSError as exc:
            where = exc.filename or self.root
            error = VaultReadOnly if exc.errno in _DENIED | {errno.EROFS} else VaultError
            raise error(
                f"cannot create vault directory {where} ({_reason(exc)}): create it with write "
                "access for this user, or fix the vault URL"
            ) from exc
        if not same_device:
            raise VaultError(
                f"vault {self.root}: blobs/ and tmp/ are on different filesystems, so blobs "
                "cannot be published atomically; keep both on one filesystem"
            )

    def _store(
        self, chunks: Iterable[bytes | memoryview], source: str, expected: str | None
    ) -> BlobInfo:
        try:
            return self._publish(chunks, source, expected)
        except OSError as exc:
            raise self._write_error(exc, f"storing {source}", "; nothing was stored") from exc

    def _publish(
        self, chunks: Iterable[bytes | memoryview], source: str, expected: str | None
    ) -> BlobInfo:
        fd, name = tempfile.mkstemp(dir=self._tmp, prefix=partial_prefix(), suffix=PARTIAL_SUFFIX)
        temp = Path(name)
        try:
            hasher = hashlib.sha256()
            size = 0
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    hasher.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
                out.flush()
                os.fchmod(out.fileno(), BLOB_MODE)
                os.fsync(out.fileno())
                _drop_cache(out.fileno())
            sha = hasher.hexdigest()
            if expected is not None and sha != expected:
                raise ChecksumMismatch(mismatch(source, expected, sha))
            if self.verify_writes:
                self._check_written(temp, sha, size, source)
            return self._link(temp, sha, size)
        finally:
            with suppress(FileNotFoundError):
                temp.unlink()

    def _publish_batch(self, blobs: Sequence[bytes]) -> list[BlobInfo]:
        written: list[tuple[Path, str, int]] = []
        try:
            for data in blobs:  # write and hash each; no fsync yet
                fd, name = tempfile.mkstemp(
                    dir=self._tmp, prefix=partial_prefix(), suffix=PARTIAL_SUFFIX
                )
                temp = Path(name)
                with os.fdopen(fd, "wb") as out:
                    written.append((temp, hashlib.sha256(data).hexdigest(), len(data)))
                    out.write(data)
                    os.fchmod(out.fileno(), BLOB_MODE)
            for temp, _, _ in written:  # one fsync pass, then the verifying re-reads
                fd = os.open(temp, os.O_RDONLY)
                try:
                    os.fsync(fd)
                    _drop_cache(fd)
                finally:
                    os.close(fd)
            if self.verify_writes:
                for temp, sha, size in written:
                    self._check_written(temp, sha, size, f"a {size}-byte buffer")
            infos: list[BlobInfo] = []
            touched: dict[Path, None] = {}
            for temp, sha, size in written:
                final = self.blob_path(sha)
                final.parent.mkdir(parents=True, exist_ok=True)
                created = self._place(temp, final, sha, size)
                infos.append(BlobInfo(sha256=sha, size=size, created=created))
                touched.update(dict.fromkeys((final.parent, final.parent.parent)))
            touched[self._blobs] = None
            try:
                for directory in touched:  # leaves first, the root last
                    _fsync_dir(directory)
            except OSError as exc:
                raise VaultError(
                    f"{len(infos)} derived blobs are in place but syncing their directories "
                    f"failed ({_reason(exc)}): record none of them; retry the put"
                ) from exc
            return infos
        finally:
            for temp, _, _ in written:
                with suppress(FileNotFoundError):
                    temp.unlink()

    def _check_written(self, temp: Path, sha: str, size: int, source: str) -> None:
        actual, actual_size = _hash_file(temp)
        if (actual, actual_size) != (sha, size):
            raise BlobCorrupt(
                f"re-reading {temp} while storing {source} gave {actual_size} bytes hashing to "
                f"{actual} instead of {size} bytes hashing to {sha}: the disk or memory of this "
                "machine is failing; check it before retrying; nothing was stored"
            )

    def _link(self, temp: Path, sha: str, size: int) -> BlobInfo:
        final = self.blob_path(sha)
        final.parent.mkdir(parents=True, exist_ok=True)
        created = self._place(temp, final, sha, size)
        try:
            for directory in (final.parent, final.parent.parent, self._blobs):
                _fsync_dir(directory)
        except OSError as exc:
            raise VaultError(
                f"blob {sha} is in place at {final} but syncing it to disk failed "
                f"({_reason(exc)}): do not acknowledge it; retry the put, which syncs it again"
            ) from exc
        return BlobInfo(sha256=sha, size=size, created=created)

    def _place(self, temp: Path, final: Path, sha: str, size: int) -> bool:
        """Link `temp` at `final` (True), or find the same blob there and mark it stored now
        (False), so that an orphan collection running meanwhile spares it (`collect`).

        The existing blob is checked, marked and fsync'd under a shared `flock`, which
        `collect` waits for; one it collected before is unlinked: link ours after all.
        """
        while True:
            try:
                os.link(temp, final)
                return True
            except FileExistsError:
                pass
            try:
                fd = os.open(final, os.O_RDONLY)
            except FileNotFoundError:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_SH)
                if os.fstat(fd).st_nlink == 0:
                    continue
                self._check_existing(final, sha, size)
                with suppress(PermissionError):  # another user's blob: only its owner may mark it
                    os.utime(fd)
                os.fsync(fd)
                return False
            finally:
                os.close(fd)

    def _check_existing(self, final: Path, sha: str, size: int) -> None:
        """Refuse to dedupe against a blob that is visibly damaged.

        The size is always compared; with verify_writes the existing bytes are also re-hashed,
        which costs one local read and means `created=False` vouches for intact content.
        """
        existing = final.stat().st_size
        if existing != size:
            raise BlobCorrupt(
                f"blob {sha} already exists at {final} with {existing} bytes instead of {size}: "
                "it is damaged; restore it from backup (`trousseau verify` lists every damaged "
                "blob); the new copy was not stored"
            )
        if self.verify_writes:
            actual, _ = _hash_file(final)
            if actual != sha:
                raise BlobCorrupt(
                    corrupt(sha, str(final), actual) + "; the new copy was not stored"
                )

    def _read_error(self, sha: str, path: Path, exc: OSError) -> VaultError:
        if isinstance(exc, FileNotFoundError | NotADirectoryError):
            return BlobMissing(
                f"blob {sha} is missing from vault {self.root} (no file at {path}): "
                "restore it from backup"
            )
        return VaultError(f"cannot read blob {sha} at {path}: {_reason(exc)}")

    def _write_error(self, exc: OSError, doing: str, outcome: str) -> VaultError:
        where = exc.filename or self.root
        if exc.errno in _FULL:
            return VaultFull(
                f"vault {self.root} is full while {doing}: free space and retry{outcome}"
            )
        if exc.errno == errno.EROFS:
            return VaultReadOnly(
                f"vault {self.root} is on a read-only filesystem ({where}) while {doing}: "
                f"remount it read-write and retry{outcome}"
            )
        if exc.errno in _DENIED:
            return VaultReadOnly(
                f"vault {self.root} refused a write to {where} ({_reason(exc)}) while {doing}: "
                f"give this user write access to {self.root} and retry{outcome}"
            )
        return VaultError(
            f"vault {self.root} failed while {doing}: {where}: {_reason(exc)}{outcome}"
        )


def _reason(exc: OSError) -> str:
    if exc.errno is None:
        return str(exc)
    return f"{exc.strerror} [{errno.errorcode.get(exc.errno, exc.errno)}]"


def _hash_file(path: Path) -> tuple[str, int]:
    with path.open("rb") as file:
        return digest(iter(lambda: file.read(CHUNK_SIZE), b""))


def _sorted_dirs(path: Path) -> list[Path]:
    return sorted(child for child in path.iterdir() if child.is_dir())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _drop_cache(fd: int) -> None:
    """Evict the just-synced pages so the verifying re-read comes from the device.

    Best effort: without it the re-read would only prove what the page cache holds.
    """
    if hasattr(os, "posix_fadvise"):
        with suppress(OSError):
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)

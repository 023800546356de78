"""The spool: where an upload's bytes wait until they are complete and verified.

Nothing in the spool is acknowledged. An upload is written here, then handed whole to
`ingest.accept`, which checks it (empty, format, the client's checksum), makes the original
durable in the vault and records it. Each upload gets its own directory holding one file
under the client's file name, so that errors about the file name it as the client knows it.
The single-request upload fills a file in one go; a resumable (tus) upload fills the same
kind of entry over several requests and takes the same road to ingest.

Resumable entries live under `tus/<upload id>/` and are not swept by age: their catalog record
says when they expire (`trousseau.web.uploads.tus` sweeps them). Their size on disk is the
upload's offset, and a writer holds an exclusive `flock` on the file, so two requests never
interleave bytes. A chunk that carries a checksum is staged in a side file of the entry and
reaches the upload's file only once verified, so whatever happens to the server midway (even
SIGKILL), the offset is always that of the last verified chunk. The spool is a local directory:
with several API replicas, either every replica mounts the same spool (shared storage with
working `flock`, e.g. NFSv4) or the load balancer sends each upload back to the replica that
holds it (session affinity).
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import shutil
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

import anyio.to_thread
from starlette.requests import ClientDisconnect

from trousseau.errors import InputUnreadable
from trousseau.web.errors import PayloadTooLarge, SpoolFull, UploadLocked

RESUMABLE = "tus"
"""The spool's subdirectory of resumable uploads, one directory per upload id."""

STAGING = ".chunk"
"""The side file of a resumable entry where a checksummed chunk waits for its check."""
_NO_COPY_RANGE = {errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP}

WRITE_BUFFER = 1024 * 1024
"""Bytes gathered before one write (and hash update) runs in a worker thread."""


@dataclass(frozen=True)
class Received:
    """A complete upload in the spool: where it is and how large.

    Not hashed here: the vault hashes the bytes as it stores them, and checks the client's
    checksum then.
    """

    path: Path
    size: int


@dataclass(frozen=True)
class SpoolEntry:
    """One upload's private directory and the file its bytes go to."""

    directory: Path
    path: Path

    @property
    def staging(self) -> Path:
        """Where a checksummed chunk waits for its check: beside the upload's file, never it."""
        return self.directory / (STAGING if self.path.name != STAGING else f"{STAGING}-")

    def discard(self) -> None:
        """Remove the entry and whatever it holds; safe to call twice."""
        shutil.rmtree(self.directory, ignore_errors=True)


class Spool:
    """A directory of upload entries, on local disk."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def entry(self, name: str) -> SpoolEntry:
        """A fresh entry whose file will be called `name` (already a safe base name)."""
        directory = self.root / uuid.uuid4().hex
        try:
            directory.mkdir(parents=True, mode=0o700)
        except OSError as exc:
            raise InputUnreadable(
                f"cannot create the upload spool {directory}: {exc.strerror}: "
                "give the server a writable spool directory"
            ) from exc
        return SpoolEntry(directory, directory / name)

    def resumable(self, upload_id: str, name: str) -> SpoolEntry:
        """The entry of a resumable upload (it may not exist yet, or any more)."""
        directory = self.root / RESUMABLE / upload_id
        return SpoolEntry(directory, directory / name)

    def create_resumable(self, upload_id: str, name: str) -> SpoolEntry:
        """Make the resumable upload's entry with an empty file (offset 0)."""
        entry = self.resumable(upload_id, name)
        try:
            entry.directory.mkdir(parents=True, mode=0o700)
            entry.path.touch(mode=0o600, exist_ok=False)
        except OSError as exc:
            entry.discard()
            raise InputUnreadable(
                f"cannot create the upload spool entry {entry.directory}: {exc.strerror}: "
                "give the server a writable spool directory"
            ) from exc
        return entry

    def check_room(self, length: int, *, reserve: int) -> None:
        """SpoolFull unless the spool's filesystem can take `length` more bytes and keep
        `reserve` free (the single-request uploads and other resumable ones need room too)."""
        try:
            free = shutil.disk_usage(self.root if self.root.exists() else self.root.parent).free
        except OSError:
            return  # the write itself will say what is wrong with the spool
        if length + reserve > free:
            raise SpoolFull(
                f"the upload spool has {free} bytes free, too few for {length} more and the "
                f"{reserve} kept in reserve: nothing was stored; retry later (operators: grow "
                "the spool volume or clear abandoned uploads)"
            )

    def resumable_entries(self) -> dict[str, list[Path]]:
        """Every resumable upload id in the spool, with the files its directory holds."""
        found: dict[str, list[Path]] = {}
        with suppress(FileNotFoundError):
            for directory in (self.root / RESUMABLE).iterdir():
                with suppress(FileNotFoundError, NotADirectoryError):
                    found[directory.name] = list(directory.iterdir())
        return found

    def sweep(self, older_than: timedelta) -> int:
        """Remove entries last touched more than `older_than` ago (left by a crash).

        Resumable uploads are left alone: their catalog records say when they expire.
        """
        cutoff = time.time() - older_than.total_seconds()
        removed = 0
        with suppress(FileNotFoundError):
            for directory in self.root.iterdir():
                if directory.name == RESUMABLE:
                    continue
                with suppress(FileNotFoundError):
                    if directory.is_dir() and directory.stat().st_mtime < cutoff:
                        shutil.rmtree(directory, ignore_errors=True)
                        removed += 1
        return removed


async def receive(chunks: AsyncIterator[bytes], path: Path, *, limit: int) -> Received:
    """Write a request body to `path`; PayloadTooLarge as soon as it passes `limit`.

    Disk writes run in a worker thread, a megabyte at a time, so a slow disk never stalls
    the event loop. SpoolFull when the spool's disk fills up.
    """
    with path.open("wb") as out:

        def write(data: bytes) -> None:
            out.write(data)
            out.flush()

        try:
            size, disconnected = await _stream(chunks, write, room=limit, over=_too_large(limit))
        except OSError as exc:
            raise _full_or(
                exc, f"while receiving {path.name}: nothing was stored; retry later"
            ) from exc
    if disconnected:
        raise ClientDisconnect()
    return Received(path=path, size=size)


async def _stream(
    chunks: AsyncIterator[bytes], write: Callable[[bytes], None], *, room: int, over: str
) -> tuple[int, bool]:
    """Feed a request body to `write` in a worker thread, a megabyte at a time.

    PayloadTooLarge(`over`) as soon as the body passes `room` bytes (nothing more written).
    A client that disconnects leaves what arrived written. Returns (bytes, disconnected).
    """
    size, buffered, pending = 0, 0, []
    disconnected = False
    try:
        async for chunk in chunks:
            if not chunk:
                continue
            if size + len(chunk) > room:
                raise PayloadTooLarge(over)
            size += len(chunk)
            pending.append(chunk)
            buffered += len(chunk)
            if buffered >= WRITE_BUFFER:
                await anyio.to_thread.run_sync(write, b"".join(pending))
                pending, buffered = [], 0
    except ClientDisconnect:
        disconnected = True
    if pending:
        await anyio.to_thread.run_sync(write, b"".join(pending))
    return size, disconnected


def _full_or(exc: OSError, where: str) -> Exception:
    """SpoolFull for a disk that filled up (ENOSPC, quota), else the error itself."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return SpoolFull(f"the upload spool filled up {where} (operators: grow the spool volume)")
    return exc


def _too_large(limit: int) -> str:
    return (
        f"the upload is larger than the {limit}-byte limit of a single-request upload: "
        "nothing was stored; the server's web.max_upload_bytes sets the limit"
    )


def check_declared_size(content_length: str | None, limit: int) -> None:
    """PayloadTooLarge when the announced Content-Length already exceeds `limit`."""
    declared = (content_length or "").strip()
    if not (declared.isascii() and declared.isdigit()):
        return  # not a length (the server refuses those); the body's own count still applies
    digits = declared.lstrip("0")
    if len(digits) > len(str(limit)) or int(digits or "0") > limit:
        raise PayloadTooLarge(_too_large(limit))


def hold(path: Path, what: str) -> BinaryIO:
    """Open a resumable upload's file for writing, holding an exclusive lock on it.

    The lock (`flock`, released when the file is closed) is taken without waiting: a second
    writer gets UploadLocked at once instead of queueing behind a slow client. `what` names
    the upload in the message. FileNotFoundError when the file is absent.
    """
    handle = path.open("r+b")
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise UploadLocked(
            f"another request is writing to {what} right now: wait for it to end (or time "
            "out), then ask HEAD for the offset and resume from there"
        ) from None
    return handle


def held_size(handle: BinaryIO) -> int | None:
    """The size of a held file, None when it was removed since it was opened."""
    status = os.fstat(handle.fileno())
    return None if status.st_nlink == 0 else status.st_size


def _durable(handle: BinaryIO) -> None:
    handle.flush()
    os.fsync(handle.fileno())


def cut(handle: BinaryIO, size: int) -> None:
    """Truncate a held file back to `size` bytes and make that durable."""
    handle.truncate(size)
    os.fsync(handle.fileno())


@dataclass(frozen=True)
class Chunk:
    """What one request added to a resumable upload: its bytes, and their SHA-256 (raw)."""

    size: int
    digest: bytes
    disconnected: bool


async def append(
    chunks: AsyncIterator[bytes],
    handle: BinaryIO,
    *,
    offset: int,
    room: int,
    staging: Path | None = None,
) -> Chunk:
    """Write a request body to a held file at `offset`, hashing it, and fsync it.

    With `staging` (a chunk to be verified), the body goes to that side file instead and the
    held file is not touched: `commit_staged` appends it once verified, `drop` discards it.
    PayloadTooLarge as soon as the body passes `room` bytes (nothing more is written). A
    client that disconnects leaves what arrived written, flagged `disconnected`.
    """
    if staging is not None:
        with staging.open("wb") as side:
            return await _append_at(chunks, side, offset=offset, room=room, durable=False)
    return await _append_at(chunks, handle, offset=offset, room=room, durable=True)


async def _append_at(
    chunks: AsyncIterator[bytes], out: BinaryIO, *, offset: int, room: int, durable: bool
) -> Chunk:
    hasher = hashlib.sha256()
    if durable:
        out.seek(offset)

    def write(data: bytes) -> None:
        hasher.update(data)
        out.write(data)

    over = (
        f"the chunk goes past the upload's announced length ({offset + room} bytes)"
        ": the chunk was refused; resume from HEAD's offset with the right bytes"
    )
    try:
        size, disconnected = await _stream(chunks, write, room=room, over=over)
        await anyio.to_thread.run_sync(_durable if durable else _flushed, out)
    except OSError as exc:
        raise _full_or(exc, _kept_none(offset)) from exc
    return Chunk(size=size, digest=hasher.digest(), disconnected=disconnected)


def _flushed(handle: BinaryIO) -> None:
    handle.flush()


def _kept_none(offset: int) -> str:
    return f"at offset {offset}: none of it was kept; resume from HEAD's Upload-Offset later"


def commit_staged(staging: Path, handle: BinaryIO, *, offset: int, size: int) -> None:
    """Append a verified staged chunk to the held file at `offset`, durably; drop the side file.

    Copied in the kernel (`copy_file_range`) where it can be. A failure cuts the file back to
    `offset` (SpoolFull when the disk filled up). A crash midway leaves a prefix of the
    chunk, every byte of it verified: the offset a client resumes from is still true.
    """
    try:
        with staging.open("rb") as source:
            _copy(source.fileno(), handle.fileno(), size=size, at=offset)
        os.fsync(handle.fileno())
    except OSError as exc:
        with suppress(OSError):
            cut(handle, offset)
        raise _full_or(exc, _kept_none(offset)) from exc
    finally:
        drop(staging)


def drop(staging: Path) -> None:
    """Discard a staged chunk (unverified, or left by a crash); nothing if there is none."""
    with suppress(FileNotFoundError):
        staging.unlink()


def _copy(source: int, target: int, *, size: int, at: int) -> None:
    """Copy `size` bytes from the start of `source` to `target` at offset `at`."""
    copied, fast = 0, hasattr(os, "copy_file_range")
    while copied < size:
        count = min(size - copied, 16 * WRITE_BUFFER)
        moved = 0
        if fast:
            try:
                moved = os.copy_file_range(source, target, count, copied, at + copied)
            except OSError as exc:
                if exc.errno not in _NO_COPY_RANGE:
                    raise
                fast = False
        if not fast:
            moved = os.pwrite(target, os.pread(source, count, copied), at + copied)
        if moved == 0:
            raise OSError(errno.EIO, f"the staged chunk ended after {copied} of {size} bytes")
        copied += moved

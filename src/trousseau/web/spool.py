"""The spool: where an upload's bytes wait until they are complete and verified.

Nothing in the spool is acknowledged. An upload is written here (hashed as it arrives), then
checked — size, checksum, format — and only then handed to ingest, which makes the original
durable in the vault and records it. Each upload gets its own directory holding one file
under the client's file name, because ingest records the name of the file it is given. The
single-request upload fills a file in one go; a resumable (tus) upload will fill the same
kind of entry over several requests and then take the same road to ingest.
"""

from __future__ import annotations

import hashlib
import shutil
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import suppress
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import anyio.to_thread

from trousseau.errors import InputUnreadable
from trousseau.web.errors import PayloadTooLarge

WRITE_BUFFER = 1024 * 1024
"""Bytes gathered before one write (and hash update) runs in a worker thread."""


@dataclass(frozen=True)
class Received:
    """A complete upload in the spool: where it is, how large, and the SHA-256 of its bytes."""

    path: Path
    size: int
    sha256: str


@dataclass(frozen=True)
class SpoolEntry:
    """One upload's private directory and the file its bytes go to."""

    directory: Path
    path: Path

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

    def sweep(self, older_than: timedelta) -> int:
        """Remove entries last touched more than `older_than` ago (left by a crash)."""
        cutoff = time.time() - older_than.total_seconds()
        removed = 0
        with suppress(FileNotFoundError):
            for directory in self.root.iterdir():
                with suppress(FileNotFoundError):
                    if directory.is_dir() and directory.stat().st_mtime < cutoff:
                        shutil.rmtree(directory, ignore_errors=True)
                        removed += 1
        return removed


async def receive(chunks: AsyncIterator[bytes], path: Path, *, limit: int) -> Received:
    """Write a request body to `path`, hashing it; PayloadTooLarge as soon as it passes `limit`.

    Disk writes and hashing run in a worker thread, a megabyte at a time, so a slow disk
    never stalls the event loop.
    """
    hasher = hashlib.sha256()
    size = 0
    pending: list[bytes] = []
    buffered = 0
    with path.open("wb") as out:

        def flush(data: bytes) -> None:
            hasher.update(data)
            out.write(data)

        async for chunk in chunks:
            if not chunk:
                continue
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge(_too_large(limit))
            pending.append(chunk)
            buffered += len(chunk)
            if buffered >= WRITE_BUFFER:
                await anyio.to_thread.run_sync(flush, b"".join(pending))
                pending, buffered = [], 0
        if pending:
            await anyio.to_thread.run_sync(flush, b"".join(pending))
    return Received(path=path, size=size, sha256=hasher.hexdigest())


def _too_large(limit: int) -> str:
    return (
        f"the upload is larger than the {limit}-byte limit of a single-request upload: "
        "nothing was stored; the server's web.max_upload_bytes sets the limit"
    )


def check_declared_size(content_length: str | None, limit: int) -> None:
    """PayloadTooLarge when the announced Content-Length already exceeds `limit`."""
    if content_length is not None and content_length.isdigit() and int(content_length) > limit:
        raise PayloadTooLarge(_too_large(limit))

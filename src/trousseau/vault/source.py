"""Reading the file being stored, with failures that blame the source, not the vault."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from trousseau.errors import InputUnreadable
from trousseau.vault.blob import CHUNK_SIZE


def unreadable(path: Path, exc: OSError) -> InputUnreadable:
    """The source, not the vault, failed: callers reject that one file and carry on."""
    reason = exc.strerror or str(exc)
    return InputUnreadable(
        f"cannot read {path}: {reason}; check the file and retry; nothing was stored"
    )


def open_source(path: Path) -> BinaryIO:
    """Open `path` for reading, or raise InputUnreadable naming it."""
    try:
        return path.open("rb")
    except OSError as exc:
        raise unreadable(path, exc) from exc


def read_chunks(source: BinaryIO, path: Path) -> Iterator[bytes]:
    """Yield `source` in CHUNK_SIZE pieces; a read error becomes InputUnreadable naming `path`."""
    while True:
        try:
            chunk = source.read(CHUNK_SIZE)
        except OSError as exc:
            raise unreadable(path, exc) from exc
        if not chunk:
            return
        yield chunk

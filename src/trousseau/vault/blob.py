"""What a blob is: a key that is the SHA-256 of its bytes, and where that key lives.

Both backends share this layout so a local vault can be copied to a bucket byte for byte:
``blobs/ab/cd/<sha256>``. Two shard levels keep every directory (or listing page) small:
65,536 leaves, a few hundred entries each at a hundred million blobs.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

CHUNK_SIZE = 1024 * 1024
"""Bytes read, hashed and written at a time: large enough for throughput, small for memory."""

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class BlobInfo:
    """What a put did: the blob's key, its size, and whether this call created it."""

    sha256: str
    size: int
    created: bool
    """False when the blob already existed (dedupe): the stored bytes were left untouched."""


@dataclass(frozen=True, slots=True)
class StoredBlob:
    """A blob as the store lists it: its key, size, and when it was last stored.

    `stored_at` moves forward each time a put stores the same bytes again (a dedup): an
    ingest that found the blob already there is about to record it, so it is not an orphan.
    """

    sha256: str
    size: int
    stored_at: datetime


DAMAGED_DIR = "damaged"
"""Where a vault keeps the damaged copies it replaced (`Vault.repair`): evidence, never
deleted by trousseau, outside the blobs' own keys."""


def check_sha256(value: object, *, name: str = "sha256") -> str:
    """Return `value` if it is 64 lowercase hex characters, else raise ValueError.

    Every key passes through here before it touches a path or an object key, which is also
    what makes path traversal (``../``) impossible.
    """
    if not isinstance(value, str) or _SHA256_HEX.fullmatch(value) is None:
        shown = value[:80] if isinstance(value, str) else value
        raise ValueError(f"{name} must be 64 lowercase hex characters, got {shown!r}")
    return value


def check_expected(value: str | None) -> str | None:
    """Validate an optional `expected_sha256` argument."""
    return None if value is None else check_sha256(value, name="expected_sha256")


def blob_key(sha256: str) -> str:
    """The blob's location relative to the vault root: ``blobs/ab/cd/<sha256>``."""
    check_sha256(sha256)
    return f"blobs/{sha256[:2]}/{sha256[2:4]}/{sha256}"


def sha256_of_key(key: str) -> str | None:
    """The sha256 a key stores, or None if the key is not a well-formed blob location."""
    parts = key.split("/")
    if len(parts) != 4 or parts[0] != "blobs":
        return None
    _, first, second, name = parts
    if _SHA256_HEX.fullmatch(name) is None or first != name[:2] or second != name[2:4]:
        return None
    return name


def digest(chunks: Iterable[bytes | memoryview]) -> tuple[str, int]:
    """SHA-256 (lowercase hex) and total length of a stream of chunks."""
    hasher = hashlib.sha256()
    size = 0
    for chunk in chunks:
        hasher.update(chunk)
        size += len(chunk)
    return hasher.hexdigest(), size


def mismatch(source: str, expected: str, actual: str) -> str:
    """The message for a source whose bytes do not hash to what the caller announced."""
    return (
        f"{source} hashes to {actual}, not the expected {expected}: the copy is damaged or the "
        "expected hash is wrong; read it again from the card or client; nothing was stored"
    )


def corrupt(sha256: str, where: str, actual: str) -> str:
    """The message for a stored blob whose bytes no longer hash to its key."""
    return (
        f"blob {sha256} at {where} hashes to {actual}: restore it from backup; "
        "`trousseau verify` lists every damaged blob"
    )

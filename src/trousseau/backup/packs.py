"""Packs: many encrypted chunks in one file, with an encrypted header saying where each lies.

A pack is `sealed chunk 1 || … || sealed chunk N || sealed header || header length (4 bytes,
little-endian)`. The header comes last so a pack is written in one pass as chunks arrive, and
read back by its last bytes alone (the index can be rebuilt from headers). A pack is named by
the SHA-256 of its bytes, so anyone can check it without a key; it never changes once written.

Each chunk is sealed (AES-256-GCM) under its own random chunk key, with its chunk id and copy
id as associated data: a chunk moved to another place in a pack, or swapped with another, fails
authentication. The header is sealed under the repository's pack-header key.

Also here: sealed documents, the one encoding of every other repository file (index,
keyrings, trees, snapshots, config, data keys, erasure records): JSON, compressed with zstd,
sealed under a purpose key with the document's kind as associated data, so a file of one kind
can never be read as another.

Pure: bytes in, bytes out; `read_pack_header` is the one function that reads a target.
"""

from __future__ import annotations

import hashlib
import json
import struct
import sys
from dataclasses import dataclass
from typing import Any

import zstandard

from trousseau.backup.keys import seal, unseal
from trousseau.backup.targets import Target
from trousseau.errors import RepositoryCorrupt

PACK_SIZE = 16 * 1024 * 1024
"""Target size of a pack: big enough that an object store's per-request cost is small, small
enough that a restore of one photo fetches little more than its chunks (by range)."""

_LENGTH = struct.Struct("<I")
FORMAT_VERSION = 1


def pack_path(name: str) -> str:
    """Where pack `name` lives: `packs/<first two hex digits>/<name>` (no directory of
    millions of files on a local target)."""
    return f"packs/{name[:2]}/{name}"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True, slots=True)
class PackEntry:
    """One stored copy of a chunk in a pack.

    `copy` tells copies of one chunk apart (a chunk is stored again when no key of its first
    copy can be found: every wedding holding one was erased, or a run crashed before writing
    its keyring); a keyring entry names the copy its key opens. `tenant`/`wedding` is the
    owner: the wedding whose keyring received the key when the copy was stored (verify tells
    an erased wedding's chunk from a lost one by it).
    """

    chunk: str
    copy: str
    offset: int
    length: int
    raw_length: int
    compressed: bool
    tenant: str
    wedding: str

    def to_json(self) -> list[Any]:
        return [
            self.chunk,
            self.copy,
            self.offset,
            self.length,
            self.raw_length,
            int(self.compressed),
            self.tenant,
            self.wedding,
        ]

    @classmethod
    def from_json(cls, data: Any) -> PackEntry:
        chunk, copy, offset, length, raw_length, compressed, tenant, wedding = data
        return cls(
            chunk=str(chunk),
            copy=str(copy),
            offset=int(offset),
            length=int(length),
            raw_length=int(raw_length),
            compressed=bool(compressed),
            tenant=sys.intern(str(tenant)),
            wedding=sys.intern(str(wedding)),
        )


# --- chunks -------------------------------------------------------------------------------


def _chunk_aad(chunk: str, copy: str) -> bytes:
    return f"chunk:{chunk}:{copy}".encode()


def seal_chunk(chunk_key: bytes, payload: bytes | memoryview, *, chunk: str, copy: str) -> bytes:
    return seal(chunk_key, payload, aad=_chunk_aad(chunk, copy))


def unseal_chunk(chunk_key: bytes, sealed: bytes, *, chunk: str, copy: str, what: str) -> bytes:
    return unseal(chunk_key, sealed, what=what, aad=_chunk_aad(chunk, copy))


# --- building and reading packs -------------------------------------------------------------


@dataclass(frozen=True)
class FinishedPack:
    name: str
    data: bytes
    entries: tuple[PackEntry, ...]

    @property
    def path(self) -> str:
        return pack_path(self.name)


class PackBuilder:
    """Sealed chunks gathered in memory until the pack reaches its target size."""

    def __init__(self, header_key: bytes, *, target_size: int = PACK_SIZE) -> None:
        self.header_key = header_key
        self.target_size = target_size
        self._parts: list[bytes] = []
        self._entries: list[PackEntry] = []
        self._size = 0

    @property
    def size(self) -> int:
        return self._size

    @property
    def entries(self) -> tuple[PackEntry, ...]:
        return tuple(self._entries)

    @property
    def full(self) -> bool:
        return self._size >= self.target_size

    def __bool__(self) -> bool:
        return bool(self._entries)

    def add(
        self,
        sealed: bytes,
        *,
        chunk: str,
        copy: str,
        raw_length: int,
        compressed: bool,
        tenant: str,
        wedding: str,
    ) -> PackEntry:
        entry = PackEntry(
            chunk=chunk,
            copy=copy,
            offset=self._size,
            length=len(sealed),
            raw_length=raw_length,
            compressed=compressed,
            tenant=tenant,
            wedding=wedding,
        )
        self._parts.append(sealed)
        self._entries.append(entry)
        self._size += len(sealed)
        return entry

    def finish(self) -> FinishedPack:
        """The pack's bytes and name; the builder is empty again afterwards."""
        header = seal(
            self.header_key,
            json.dumps([e.to_json() for e in self._entries], separators=(",", ":")).encode(),
            aad=b"pack-header",
        )
        data = b"".join([*self._parts, header, _LENGTH.pack(len(header))])
        finished = FinishedPack(sha256_hex(data), data, tuple(self._entries))
        self._parts, self._entries, self._size = [], [], 0
        return finished


def header_length(trailer: bytes, *, pack_size: int, what: str) -> int:
    """The sealed header's length from a pack's last 4 bytes, checked against its size."""
    if len(trailer) != _LENGTH.size:
        raise RepositoryCorrupt(f"{what}: shorter than a pack trailer ({pack_size} bytes)")
    length = int(_LENGTH.unpack(trailer)[0])
    if length + _LENGTH.size > pack_size:
        raise RepositoryCorrupt(
            f"{what}: its trailer declares a {length}-byte header in a {pack_size}-byte file "
            "(truncated or damaged)"
        )
    return length


def decode_header(
    sealed: bytes, header_key: bytes, *, pack_size: int, what: str
) -> list[PackEntry]:
    """The entries of a sealed pack header, each checked to lie within the pack's data."""
    plain = unseal(header_key, sealed, what=f"{what} (header)", aad=b"pack-header")
    try:
        entries = [PackEntry.from_json(item) for item in json.loads(plain)]
    except (ValueError, TypeError) as exc:
        raise RepositoryCorrupt(f"{what}: header unreadable ({exc})") from None
    data_end = pack_size - len(sealed) - _LENGTH.size
    for entry in entries:
        if entry.offset < 0 or entry.length <= 0 or entry.offset + entry.length > data_end:
            raise RepositoryCorrupt(
                f"{what}: header places chunk {entry.chunk} at {entry.offset}+{entry.length}, "
                f"outside the pack's {data_end} bytes of data"
            )
    return entries


def parse_pack(data: bytes, header_key: bytes, *, what: str) -> list[PackEntry]:
    """The entries of a whole pack held in memory."""
    length = header_length(data[-_LENGTH.size :], pack_size=len(data), what=what)
    sealed = data[len(data) - _LENGTH.size - length : len(data) - _LENGTH.size]
    return decode_header(sealed, header_key, pack_size=len(data), what=what)


def read_pack_header(target: Target, name: str, size: int, header_key: bytes) -> list[PackEntry]:
    """A stored pack's entries, read by range (its last bytes only)."""
    path = pack_path(name)
    length = header_length(
        target.get_range(path, size - _LENGTH.size, _LENGTH.size), pack_size=size, what=path
    )
    sealed = target.get_range(path, size - _LENGTH.size - length, length)
    if len(sealed) != length:
        raise RepositoryCorrupt(f"{path}: header cut short ({len(sealed)} of {length} bytes)")
    return decode_header(sealed, header_key, pack_size=size, what=path)


# --- sealed documents -----------------------------------------------------------------------


def seal_document(key: bytes, body: dict[str, Any], *, kind: str) -> bytes:
    """`body` as JSON, zstd-compressed, sealed under `key` with `kind` bound to it."""
    plain = json.dumps({"v": FORMAT_VERSION, **body}, separators=(",", ":"), sort_keys=True)
    packed = zstandard.ZstdCompressor(level=3).compress(plain.encode())
    return seal(key, packed, aad=kind.encode())


def unseal_document(key: bytes, sealed: bytes, *, kind: str, what: str) -> dict[str, Any]:
    """The body of a sealed document; RepositoryCorrupt naming `what` if anything is off."""
    packed = unseal(key, sealed, what=what, aad=kind.encode())
    try:
        body = json.loads(zstandard.ZstdDecompressor().decompress(packed))
    except (zstandard.ZstdError, ValueError) as exc:
        raise RepositoryCorrupt(f"{what}: authenticated but unreadable ({exc})") from None
    if not isinstance(body, dict) or body.get("v") != FORMAT_VERSION:
        version = body.get("v") if isinstance(body, dict) else None
        raise RepositoryCorrupt(
            f"{what}: format version {version!r}, this trousseau reads version "
            f"{FORMAT_VERSION}: upgrade trousseau"
        )
    return body

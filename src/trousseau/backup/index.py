"""The two maps a read needs: where each chunk is (the index) and which key opens it (keyrings).

Index files (`index/<sha256>`, sealed under the repository's index key) each list packs and
the chunk copies in them; all of them are loaded when a repository opens, into one `Index`
that a writer consults to store only chunks it has not stored before. An index file is written
after the packs it describes, so an index never points at a pack that was not written; a pack
that no index lists (a run that crashed in between) is harmless, and prune removes it.

A keyring file (`keyrings/<tenant>/<wedding>/<sha256>`, sealed under that wedding's data key)
lists chunk keys: (chunk id, copy id, chunk key). A wedding's keyring is the union of its
files. Because a chunk key is stored only in the keyrings of the weddings that reference the
chunk, destroying one wedding's data key leaves every chunk it shared with another wedding
readable through that wedding's keyring, and every other chunk of it unreadable.

Pure: the classes hold plain values; repository.py reads and writes the files.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from trousseau.backup.packs import PackEntry, seal_document, unseal_document
from trousseau.errors import RepositoryCorrupt


@dataclass(frozen=True, slots=True)
class ChunkLocation:
    """Where one copy of a chunk lies: a pack and its entry there."""

    pack: str
    entry: PackEntry

    @property
    def copy(self) -> str:
        return self.entry.copy


@dataclass(frozen=True)
class IndexedPack:
    """A pack as an index file lists it."""

    name: str
    size: int
    entries: tuple[PackEntry, ...]


class Index:
    """Chunk id -> its stored copies, and pack -> its size; from every index file loaded."""

    def __init__(self) -> None:
        self._chunks: dict[str, list[ChunkLocation]] = {}
        self._packs: dict[str, IndexedPack] = {}
        self._files: dict[str, list[str]] = {}

    def add(self, pack: IndexedPack, *, file: str) -> None:
        """Record `pack` as listed by index `file` (a pack listed twice is recorded once)."""
        self._files.setdefault(pack.name, []).append(file)
        if pack.name in self._packs:
            return
        self._packs[pack.name] = pack
        for entry in pack.entries:
            self._chunks.setdefault(entry.chunk, []).append(ChunkLocation(pack.name, entry))

    def copies(self, chunk: str) -> list[ChunkLocation]:
        return list(self._chunks.get(chunk, ()))

    def location(self, chunk: str, copy: str) -> ChunkLocation | None:
        for location in self._chunks.get(chunk, ()):
            if location.copy == copy:
                return location
        return None

    def __contains__(self, chunk: object) -> bool:
        return chunk in self._chunks

    def __len__(self) -> int:
        """Distinct chunk ids."""
        return len(self._chunks)

    def packs(self) -> dict[str, IndexedPack]:
        return dict(self._packs)

    def files_listing(self, pack: str) -> list[str]:
        """The index files that list `pack` (to name them in a report)."""
        return list(self._files.get(pack, ()))

    def locations(self) -> Iterator[ChunkLocation]:
        for copies in self._chunks.values():
            yield from copies


def encode_index(packs: Iterable[IndexedPack], key: bytes) -> bytes:
    body = {
        "packs": [
            {"name": p.name, "size": p.size, "entries": [e.to_json() for e in p.entries]}
            for p in packs
        ]
    }
    return seal_document(key, body, kind="index")


def decode_index(data: bytes, key: bytes, *, what: str) -> list[IndexedPack]:
    body = unseal_document(key, data, kind="index", what=what)
    try:
        return [
            IndexedPack(
                name=str(p["name"]),
                size=int(p["size"]),
                entries=tuple(PackEntry.from_json(e) for e in p["entries"]),
            )
            for p in body["packs"]
        ]
    except (KeyError, TypeError, ValueError) as exc:
        raise RepositoryCorrupt(f"{what}: index unreadable ({exc!r})") from None


# --- keyrings -------------------------------------------------------------------------------

KeyringEntries = dict[tuple[str, str], bytes]
"""(chunk id, copy id) -> chunk key."""


class Keyring:
    """One wedding's chunk keys, merged from its keyring files."""

    def __init__(self, entries: KeyringEntries | None = None) -> None:
        self._by_chunk: dict[str, dict[str, bytes]] = {}
        for (chunk, copy), key in (entries or {}).items():
            self.add(chunk, copy, key)

    def add(self, chunk: str, copy: str, key: bytes) -> None:
        self._by_chunk.setdefault(chunk, {})[copy] = key

    def keys_for(self, chunk: str) -> dict[str, bytes]:
        """copy id -> key, for every copy of `chunk` this wedding holds a key to."""
        return dict(self._by_chunk.get(chunk, {}))

    def __contains__(self, chunk: object) -> bool:
        return chunk in self._by_chunk

    def entries(self) -> Iterator[tuple[str, str, bytes]]:
        for chunk, copies in self._by_chunk.items():
            for copy, key in copies.items():
                yield chunk, copy, key

    def __len__(self) -> int:
        return sum(len(c) for c in self._by_chunk.values())


def encode_keyring(
    entries: KeyringEntries, wedding_key: bytes, *, tenant: str, wedding: str
) -> bytes:
    body = {
        "tenant": tenant,
        "wedding": wedding,
        "keys": [
            [chunk, copy, base64.b64encode(key).decode()]
            for (chunk, copy), key in sorted(entries.items())
        ],
    }
    return seal_document(wedding_key, body, kind="keyring")


def decode_keyring(
    data: bytes, wedding_key: bytes, *, tenant: str, wedding: str, what: str
) -> KeyringEntries:
    body = unseal_document(wedding_key, data, kind="keyring", what=what)
    if (body.get("tenant"), body.get("wedding")) != (tenant, wedding):
        raise RepositoryCorrupt(
            f"{what}: a keyring of {body.get('tenant')}/{body.get('wedding')} filed under "
            f"{tenant}/{wedding}"
        )
    try:
        return {
            (str(chunk), str(copy)): base64.b64decode(key, validate=True)
            for chunk, copy, key in body["keys"]
        }
    except (KeyError, TypeError, ValueError) as exc:
        raise RepositoryCorrupt(f"{what}: keyring unreadable ({exc!r})") from None

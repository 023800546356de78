"""Snapshots, wedding trees and erasure records: what a repository says it holds.

A snapshot (`snapshots/<sha256>`, sealed under the repository's snapshot key) is small: when,
from which host, its parent, and for each wedding a reference to that wedding's *tree* plus
the catalog dumps. A tree (`trees/<tenant>/<wedding>/<sha256>`, sealed under the wedding's
data key) lists the wedding's blobs: SHA-256, size, role and chunk ids.

Two reasons for trees rather than one big manifest. A later snapshot carries an unchanged
wedding forward by its tree's name, so a run during a live wedding writes one new tree, not a
manifest of every wedding of every tenant (restic does the same with its directory trees).
And a tree is sealed under the wedding's own key, so erasing the wedding also makes unreadable
which photos it had; what remains in older snapshots is the wedding's id, its blob count and
its size.

Files are named by the SHA-256 of their bytes and written once (`put_new`).

Pure: encoding and decoding with the keys given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from trousseau.backup.packs import seal_document, unseal_document
from trousseau.errors import InvalidValue, RepositoryCorrupt

_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,127}", re.ASCII)
_SHA256 = re.compile(r"[0-9a-f]{64}", re.ASCII)

CATALOG_TENANT = "_repository"
CATALOG_WEDDING = "catalog"
"""The pseudo-wedding whose data key and keyrings hold the catalog dumps' chunks (a name no
slug can take: slugs start with a letter or a digit)."""


def check_name(name: str, *, of: str) -> str:
    """`name` if it can be a tenant or wedding id here (a catalog slug), else InvalidValue."""
    if not _NAME.fullmatch(name):
        raise InvalidValue(
            f"{name!r} cannot be a backup {of} id: use 1 to 128 lower-case letters, digits, "
            "'.', '_' or '-', starting with a letter or a digit (the catalog's slug)"
        )
    return name


def check_sha256(value: str) -> str:
    if not _SHA256.fullmatch(value):
        raise InvalidValue(f"{value!r} is not a SHA-256 (64 lower-case hex digits)")
    return value


class BlobRole(StrEnum):
    ORIGINAL = "original"
    VARIANT = "variant"
    DOCUMENT = "document"


class SnapshotKind(StrEnum):
    VAULT = "vault"
    CATALOG = "catalog"


@dataclass(frozen=True)
class BlobEntry:
    """A vault blob as one wedding's tree records it."""

    tenant: str
    wedding: str
    sha256: str
    size: int
    role: BlobRole
    chunks: tuple[str, ...]

    @property
    def owner(self) -> tuple[str, str]:
        """Whose keyring opens its chunks."""
        return (self.tenant, self.wedding)


@dataclass(frozen=True)
class DumpEntry:
    """A catalog dump as a snapshot records it."""

    name: str
    format: str
    sha256: str
    size: int
    time: datetime
    chunks: tuple[str, ...]

    @property
    def owner(self) -> tuple[str, str]:
        return (CATALOG_TENANT, CATALOG_WEDDING)


@dataclass(frozen=True)
class WeddingTree:
    tenant: str
    wedding: str
    blobs: tuple[BlobEntry, ...]

    @property
    def size(self) -> int:
        return sum(b.size for b in self.blobs)


@dataclass(frozen=True)
class WeddingRef:
    """A wedding in a snapshot: its tree's name, and counts readable without its key."""

    tenant: str
    wedding: str
    tree: str
    blobs: int
    size: int


@dataclass(frozen=True)
class Snapshot:
    id: str
    time: datetime
    host: str
    parent: str | None
    weddings: tuple[WeddingRef, ...]
    dumps: tuple[DumpEntry, ...]

    @property
    def tenants(self) -> tuple[str, ...]:
        return tuple(sorted({w.tenant for w in self.weddings}))

    @property
    def kinds(self) -> tuple[SnapshotKind, ...]:
        kinds = []
        if self.weddings:
            kinds.append(SnapshotKind.VAULT)
        if self.dumps:
            kinds.append(SnapshotKind.CATALOG)
        return tuple(kinds)

    @property
    def size(self) -> int:
        """Bytes it would restore: every blob and dump."""
        return sum(w.size for w in self.weddings) + sum(d.size for d in self.dumps)

    def wedding(self, tenant: str, wedding: str) -> WeddingRef | None:
        for ref in self.weddings:
            if (ref.tenant, ref.wedding) == (tenant, wedding):
                return ref
        return None


@dataclass(frozen=True)
class ErasureRecord:
    """Who erased which wedding, when: ids only, no personal data."""

    id: str
    time: datetime
    tenant: str
    wedding: str
    host: str
    by: str
    files_deleted: int


# --- encoding -------------------------------------------------------------------------------


def _time(value: Any, what: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise RepositoryCorrupt(f"{what}: time {value!r} unreadable") from None
    if moment.tzinfo is None:
        raise RepositoryCorrupt(f"{what}: time {value!r} has no time zone")
    return moment


def _aware(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise InvalidValue(f"{moment!r} has no time zone: the clock must give aware datetimes")
    return moment.isoformat()


def encode_tree(tree: WeddingTree, wedding_key: bytes) -> bytes:
    body = {
        "tenant": tree.tenant,
        "wedding": tree.wedding,
        "blobs": [
            {"sha256": b.sha256, "size": b.size, "role": str(b.role), "chunks": list(b.chunks)}
            for b in sorted(tree.blobs, key=lambda b: b.sha256)
        ],
    }
    return seal_document(wedding_key, body, kind="tree")


def decode_tree(
    data: bytes, wedding_key: bytes, *, tenant: str, wedding: str, what: str
) -> WeddingTree:
    body = unseal_document(wedding_key, data, kind="tree", what=what)
    if (body.get("tenant"), body.get("wedding")) != (tenant, wedding):
        raise RepositoryCorrupt(
            f"{what}: the tree of {body.get('tenant')}/{body.get('wedding')} filed under "
            f"{tenant}/{wedding}"
        )
    try:
        blobs = tuple(
            BlobEntry(
                tenant=tenant,
                wedding=wedding,
                sha256=str(b["sha256"]),
                size=int(b["size"]),
                role=BlobRole(b["role"]),
                chunks=tuple(str(c) for c in b["chunks"]),
            )
            for b in body["blobs"]
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise RepositoryCorrupt(f"{what}: tree unreadable ({exc!r})") from None
    return WeddingTree(tenant, wedding, blobs)


def _dump_json(d: DumpEntry) -> dict[str, Any]:
    return {
        "name": d.name,
        "format": d.format,
        "sha256": d.sha256,
        "size": d.size,
        "time": _aware(d.time),
        "chunks": list(d.chunks),
    }


def encode_snapshot(
    *,
    time: datetime,
    host: str,
    parent: str | None,
    weddings: tuple[WeddingRef, ...],
    dumps: tuple[DumpEntry, ...],
    key: bytes,
) -> bytes:
    body = {
        "time": _aware(time),
        "host": host,
        "parent": parent,
        "tenants": sorted({w.tenant for w in weddings}),
        "kinds": (["vault"] if weddings else []) + (["catalog"] if dumps else []),
        "weddings": [
            {
                "tenant": w.tenant,
                "wedding": w.wedding,
                "tree": w.tree,
                "blobs": w.blobs,
                "size": w.size,
            }
            for w in sorted(weddings, key=lambda w: (w.tenant, w.wedding))
        ],
        "dumps": [_dump_json(d) for d in dumps],
    }
    return seal_document(key, body, kind="snapshot")


def decode_snapshot(snapshot_id: str, data: bytes, key: bytes, *, what: str) -> Snapshot:
    body = unseal_document(key, data, kind="snapshot", what=what)
    try:
        return Snapshot(
            id=snapshot_id,
            time=_time(body["time"], what),
            host=str(body["host"]),
            parent=None if body["parent"] is None else str(body["parent"]),
            weddings=tuple(
                WeddingRef(
                    tenant=str(w["tenant"]),
                    wedding=str(w["wedding"]),
                    tree=str(w["tree"]),
                    blobs=int(w["blobs"]),
                    size=int(w["size"]),
                )
                for w in body["weddings"]
            ),
            dumps=tuple(
                DumpEntry(
                    name=str(d["name"]),
                    format=str(d["format"]),
                    sha256=str(d["sha256"]),
                    size=int(d["size"]),
                    time=_time(d["time"], what),
                    chunks=tuple(str(c) for c in d["chunks"]),
                )
                for d in body["dumps"]
            ),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise RepositoryCorrupt(f"{what}: snapshot unreadable ({exc!r})") from None


def encode_erasure(record: ErasureRecord, key: bytes) -> bytes:
    body = {
        "time": _aware(record.time),
        "tenant": record.tenant,
        "wedding": record.wedding,
        "host": record.host,
        "by": record.by,
        "files_deleted": record.files_deleted,
    }
    return seal_document(key, body, kind="erasure")


def decode_erasure(record_id: str, data: bytes, key: bytes, *, what: str) -> ErasureRecord:
    body = unseal_document(key, data, kind="erasure", what=what)
    try:
        return ErasureRecord(
            id=record_id,
            time=_time(body["time"], what),
            tenant=str(body["tenant"]),
            wedding=str(body["wedding"]),
            host=str(body["host"]),
            by=str(body["by"]),
            files_deleted=int(body["files_deleted"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise RepositoryCorrupt(f"{what}: erasure record unreadable ({exc!r})") from None

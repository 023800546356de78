"""The repository: creating and opening one, writing snapshots, restoring, erasing a wedding.

Layout on a target (every name but `config`, the data keys and the locks is the SHA-256 of
the file's bytes, and no file is ever rewritten):

    config                                   id, version, chunker parameters (sealed)
    keys/<sha256>                            the master key, sealed by a passphrase
    datakeys/<tenant-ref>/<wedding-ref>      a wedding's data key (sealed, master)
    keyrings/<tenant-ref>/<wedding-ref>/<…>  chunk keys of a wedding (sealed, its data key)
    trees/<tenant-ref>/<wedding-ref>/<…>     a wedding's blobs in a snapshot (sealed, its key)
    packs/<2 hex>/<sha256>                   chunks (each sealed under its own key)
    index/<sha256>                           pack -> chunk copies (sealed, master)
    snapshots/<sha256>                       a snapshot (sealed, master)
    audit/erasures/<sha256>                  who erased which wedding, when (sealed, master)

Tenant and wedding ids appear on the target only as keyed hashes (refs): a wedding slug often
holds the couple's names, and a backup bucket in another region is no place for them.

A writer writes in the order packs, index, keyrings, trees, snapshot: whatever a crash
interrupts, every snapshot still references only chunks that are indexed and keyed, and what
the crash left half-done (a pack no index lists, an index entry no keyring keys) is harmless
and left for prune.
"""

from __future__ import annotations

import base64
import hashlib
import os
import platform
import secrets
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO, Literal

from trousseau.backup.chunker import (
    ChunkerParams,
    compress_chunk,
    cut_bytes,
    expand_chunk,
    iter_chunks,
)
from trousseau.backup.index import (
    Index,
    IndexedPack,
    Keyring,
    decode_index,
    decode_keyring,
    encode_index,
    encode_keyring,
)
from trousseau.backup.keys import (
    SCRYPT_N,
    MasterKey,
    chunk_id,
    make_key_file,
    new_data_key,
    new_master_key,
    open_key_file,
)
from trousseau.backup.locks import Lock, LockKind, acquire
from trousseau.backup.packs import (
    PACK_SIZE,
    PackBuilder,
    PackEntry,
    pack_path,
    parse_pack,
    read_pack_header,
    seal_chunk,
    seal_document,
    sha256_hex,
    unseal_chunk,
    unseal_document,
)
from trousseau.backup.snapshots import (
    CATALOG_TENANT,
    CATALOG_WEDDING,
    BlobEntry,
    BlobRole,
    DumpEntry,
    ErasureRecord,
    Snapshot,
    WeddingRef,
    WeddingTree,
    check_name,
    check_sha256,
    decode_erasure,
    decode_snapshot,
    decode_tree,
    encode_erasure,
    encode_snapshot,
    encode_tree,
)
from trousseau.backup.targets import Target
from trousseau.clock import Clock
from trousseau.errors import (
    BackupError,
    BlobCorrupt,
    FileMissing,
    InvalidValue,
    NotFound,
    RepositoryCorrupt,
    RepositoryExists,
    RepositoryNotFound,
    WeddingErased,
    WrongPassphrase,
)

REPOSITORY_VERSION = 1
CHECKPOINT_BYTES = 1024 * 1024 * 1024
"""A writer writes its index and keyrings after this many bytes of new packs, so a run that
dies an hour into a wedding's first backup resumes from there instead of uploading it again."""

Owner = tuple[str, str]
CATALOG: Owner = (CATALOG_TENANT, CATALOG_WEDDING)


@dataclass(frozen=True)
class RepositoryConfig:
    id: str
    version: int
    chunker: ChunkerParams
    pack_size: int
    created: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "version": self.version,
            "chunker": self.chunker.to_json(),
            "pack_size": self.pack_size,
            "created": self.created.isoformat(),
        }

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> RepositoryConfig:
        try:
            return cls(
                id=str(body["id"]),
                version=int(body["version"]),
                chunker=ChunkerParams.from_json(body["chunker"]),
                pack_size=int(body["pack_size"]),
                created=datetime.fromisoformat(str(body["created"])),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise RepositoryCorrupt(f"config: unreadable ({exc!r})") from None


@dataclass(frozen=True)
class RepositoryStats:
    """Sizes from the index and the latest snapshot.

    `dedup_ratio` is what the latest snapshot would restore over the distinct chunk bytes
    stored (every snapshot's: it reads as "x times" only while prune keeps up);
    `compression_ratio` is those chunk bytes over what they take in packs.
    """

    snapshots: int
    packs: int
    pack_bytes: int
    chunks: int
    stored_bytes: int
    raw_bytes: int
    logical_bytes: int
    dedup_ratio: float
    compression_ratio: float


# --- target helpers -------------------------------------------------------------------------


def _list(target: Target, prefix: str) -> list[tuple[str, int]]:
    """(path from the repository root, size) of every file under `prefix`."""
    found = []
    for path, size in target.list(prefix):
        found.append((path if path.startswith(prefix) else prefix + path.lstrip("/"), size))
    return sorted(found)


def _where(target: Target, path: str) -> str:
    return f"{target.name}/{path}"


_REPOSITORY_DIRS = ("keys/", "snapshots/", "index/", "packs/")


def _repository_files(target: Target) -> str:
    """The first of keys/, snapshots/, index/, packs/ that holds files ("keys/ holds 1
    file(s)"), or "" if none does (packs/, the longest listing, is listed last)."""
    for prefix in _REPOSITORY_DIRS:
        count = len(target.list(prefix))
        if count:
            return f"{_where(target, prefix)} holds {count} file(s)"
    return ""


def _config_missing(target: Target, held: str) -> RepositoryCorrupt:
    return RepositoryCorrupt(
        f"{_where(target, 'config')}: config is missing: copy it back from a replica target; "
        f"do not run init ({held} of a repository; nothing was changed)"
    )


# --- creating and opening -------------------------------------------------------------------


def init_repository(
    target: Target,
    passphrase: str,
    *,
    clock: Clock,
    host: str,
    chunker: ChunkerParams | None = None,
    pack_size: int = PACK_SIZE,
    scrypt_n: int = SCRYPT_N,
) -> Repository:
    """A new, empty repository on `target`, opened by `passphrase`.

    RepositoryExists if a repository (its config) is already there, RepositoryCorrupt if
    one is there without its config (keys/, snapshots/, index/ or packs/ hold files): nothing
    is changed. `scrypt_n` is the key file's cost: keep the default outside tests.
    """
    if not passphrase:
        raise InvalidValue("an empty passphrase cannot protect a backup repository: set one")
    if pack_size < 1024:
        raise InvalidValue(f"pack size {pack_size} is too small (at least 1 KiB)")
    exists = RepositoryExists(
        f"{_where(target, 'config')}: a backup repository is already there; nothing was "
        "changed (open it with its passphrase, or choose another target)"
    )
    if target.exists("config"):
        raise exists
    held = _repository_files(target)
    if held:
        raise _config_missing(target, held)
    master = new_master_key()
    now = clock()
    key_file = make_key_file(master, passphrase, created=now, host=host, n=scrypt_n)
    key_path = f"keys/{sha256_hex(key_file)}"
    target.put_new(key_path, key_file)
    config = RepositoryConfig(
        id=secrets.token_hex(16),
        version=REPOSITORY_VERSION,
        chunker=chunker or ChunkerParams(seed=secrets.randbits(62)),
        pack_size=pack_size,
        created=now,
    )
    if not target.put_new(
        "config", seal_document(master.subkey("config"), config.to_json(), kind="config")
    ):
        target.delete(key_path)
        raise exists
    return Repository(target, master, config)


def open_repository(target: Target, passphrase: str) -> Repository:
    """The repository on `target`; RepositoryNotFound, or WrongPassphrase if no key opens.

    A key file the passphrase opens but whose master key does not open the config (a key
    file another `init` left beside this repository's) is passed over for the next one.
    """
    if not target.exists("config"):
        held = _repository_files(target)
        if held:
            raise _config_missing(target, held)
        raise RepositoryNotFound(
            f"{_where(target, 'config')}: no backup repository here: check the target URL, or "
            "create one with `trousseau backup init`"
        )
    key_paths = [path for path, _ in _list(target, "keys/")]
    if not key_paths:
        raise RepositoryCorrupt(
            f"{_where(target, 'keys/')}: no key file, so nothing can open this repository: "
            "copy keys/ back from a replica target"
        )
    sealed_config = target.get("config")
    damaged: list[str] = []
    mismatch: RepositoryCorrupt | None = None
    for path in key_paths:
        try:
            master = open_key_file(target.get(path), passphrase, what=_where(target, path))
        except WrongPassphrase:
            continue
        except RepositoryCorrupt as exc:
            damaged.append(str(exc))
            continue
        try:
            body = unseal_document(
                master.subkey("config"), sealed_config, kind="config", what=_where(target, "config")
            )
        except RepositoryCorrupt as exc:
            mismatch = mismatch or exc  # not this repository's key, or the config is damaged
            continue
        config = RepositoryConfig.from_json(body)
        if config.version != REPOSITORY_VERSION:
            raise RepositoryCorrupt(
                f"{_where(target, 'config')}: repository version {config.version}; this "
                f"trousseau reads version {REPOSITORY_VERSION}: upgrade trousseau"
            )
        return Repository(target, master, config)
    if mismatch is not None:
        raise mismatch
    also = f" ({len(damaged)} damaged: {'; '.join(damaged)})" if damaged else ""
    raise WrongPassphrase(
        f"{target.name}: the passphrase opens none of its {len(key_paths)} key files{also}: "
        "check TROUSSEAU_BACKUP__PASSPHRASE or backup.passphrase_file"
    )


# --- the repository -------------------------------------------------------------------------


class Repository:
    """An opened repository: its index, snapshots, keys; readers, a writer, erasure.

    `index` holds every index file that could be read, `snapshots()` every snapshot that
    could be read (`load_problems` says which files could not: `verify` reports them, prune
    refuses to run); prune and change-driven runs build on `index`, `packs()` and
    `snapshots()`.
    """

    def __init__(self, target: Target, master: MasterKey, config: RepositoryConfig) -> None:
        self.target = target
        self.config = config
        self._master = master
        self._subkeys: dict[str, bytes] = {}
        self.index = Index()
        self.load_problems: list[str] = []
        self._index_files: set[str] = set()
        self._erasure_files: set[str] = set()
        self._snapshots: dict[str, Snapshot] = {}  # path -> snapshot (never rewritten)
        self._erasures: dict[Owner, ErasureRecord] = {}
        self._data_keys: dict[Owner, bytes] = {}
        self._keyrings: dict[Owner, Keyring] = {}
        self._keyring_files: dict[Owner, set[str]] = {}
        self._loading = threading.RLock()  # restores read through one repository in threads
        self.refresh()

    # keys and names

    def _subkey(self, purpose: str) -> bytes:
        if purpose not in self._subkeys:
            self._subkeys[purpose] = self._master.subkey(purpose)
        return self._subkeys[purpose]

    def _id_key(self, tenant: str) -> bytes:
        """Chunk ids are keyed per tenant: equal chunks of two tenants never meet."""
        return self._subkey(f"chunk-id:{tenant}")

    def _ref(self, kind: str, name: str) -> str:
        return chunk_id(self._subkey("names"), f"{kind}:{name}".encode())[:32]

    def _dir(self, owner: Owner) -> str:
        tenant, wedding = owner
        return f"{self._ref('tenant', tenant)}/{self._ref('wedding', f'{tenant}/{wedding}')}"

    def data_key_path(self, tenant: str, wedding: str) -> str:
        return f"datakeys/{self._dir((tenant, wedding))}"

    def keyring_prefix(self, tenant: str, wedding: str) -> str:
        return f"keyrings/{self._dir((tenant, wedding))}/"

    def tree_prefix(self, tenant: str, wedding: str) -> str:
        return f"trees/{self._dir((tenant, wedding))}/"

    # loading

    def refresh(self) -> None:
        """Read index files and erasure records written since the last look."""
        with self._loading:
            self._refresh()

    def _refresh(self) -> None:
        key = self._subkey("index")
        for path, _ in _list(self.target, "index/"):
            if path in self._index_files:
                continue
            data = self.target.get(path)
            self._index_files.add(path)
            try:
                if sha256_hex(data) != path.rsplit("/", 1)[-1]:
                    raise RepositoryCorrupt(
                        f"{_where(self.target, path)}: its bytes do not hash to its name "
                        "(damaged or truncated)"
                    )
                for pack in decode_index(data, key, what=_where(self.target, path)):
                    self.index.add(pack, file=path)
            except RepositoryCorrupt as exc:
                self.load_problems.append(str(exc))
        audit = self._subkey("audit")
        for path, _ in _list(self.target, "audit/erasures/"):
            if path in self._erasure_files:
                continue
            data = self.target.get(path)
            self._erasure_files.add(path)
            try:
                record = decode_erasure(
                    path.rsplit("/", 1)[-1], data, audit, what=_where(self.target, path)
                )
            except RepositoryCorrupt as exc:
                self.load_problems.append(str(exc))
                continue
            owner = (record.tenant, record.wedding)
            self._erasures.setdefault(owner, record)
            self._data_keys.pop(owner, None)  # erased by another process since we looked
            self._keyrings.pop(owner, None)
            self._keyring_files.pop(owner, None)
        self._load_snapshots()

    def _load_snapshots(self) -> list[Snapshot]:
        """Every snapshot that can be read; each one that cannot is left out, and named in
        `load_problems` (once): one damaged snapshot does not hide the others."""
        found = []
        for path, _ in _list(self.target, "snapshots/"):
            snapshot = self._snapshots.get(path)
            if snapshot is None:
                try:
                    snapshot = self._load_snapshot(path)
                except FileMissing:
                    continue  # forgotten since it was listed
                except RepositoryCorrupt as exc:
                    if str(exc) not in self.load_problems:
                        self.load_problems.append(str(exc))
                    continue
                self._snapshots[path] = snapshot
            found.append(snapshot)
        return found

    def index_files(self) -> list[str]:
        return sorted(self._index_files)

    def packs(self) -> dict[str, int]:
        """Every pack stored on the target, indexed or not: name -> size."""
        return {path.rsplit("/", 1)[-1]: size for path, size in _list(self.target, "packs/")}

    def snapshot_ids(self) -> list[str]:
        return [path.rsplit("/", 1)[-1] for path, _ in _list(self.target, "snapshots/")]

    def snapshots(self) -> list[Snapshot]:
        """Every snapshot that can be read, oldest first (a damaged one is left out and named
        in `load_problems`; `snapshot()` names it in its error)."""
        with self._loading:
            found = self._load_snapshots()
        return sorted(found, key=lambda s: (s.time, s.id))

    def snapshot(self, snapshot_id: str) -> Snapshot:
        path = f"snapshots/{snapshot_id}"
        if not self.target.exists(path):
            raise NotFound(f"{_where(self.target, path)}: no such snapshot")
        return self._load_snapshot(path)

    def _load_snapshot(self, path: str) -> Snapshot:
        name = path.rsplit("/", 1)[-1]
        data = self.target.get(path)
        what = _where(self.target, path)
        if sha256_hex(data) != name:
            raise RepositoryCorrupt(
                f"{what}: its bytes do not hash to its name (damaged): restore it from a "
                "replica target"
            )
        try:
            return decode_snapshot(name, data, self._subkey("snapshot"), what=what)
        except RepositoryCorrupt as exc:
            if "replica" in str(exc):
                raise
            raise RepositoryCorrupt(f"{exc}: restore it from a replica target") from None

    def erasures(self) -> list[ErasureRecord]:
        return sorted(self._erasures.values(), key=lambda r: (r.time, r.id))

    def erased(self, tenant: str, wedding: str) -> ErasureRecord | None:
        return self._erasures.get((tenant, wedding))

    def _erased_error(self, record: ErasureRecord) -> WeddingErased:
        return WeddingErased(
            f"wedding {record.tenant}/{record.wedding} was erased on {record.time.isoformat()} "
            f"({_where(self.target, 'audit/erasures/' + record.id)}): its photos cannot be "
            "restored, and it is not backed up again"
        )

    # data keys and keyrings

    def _wedding_key(self, owner: Owner, *, create_at: datetime | None = None) -> bytes:
        """The wedding's data key; created if `create_at` is given and there is none yet."""
        if owner in self._data_keys:
            return self._data_keys[owner]
        record = self._erasures.get(owner)
        if record is not None:
            raise self._erased_error(record)
        path = self.data_key_path(*owner)
        if not self.target.exists(path):
            if create_at is None:
                self.refresh()
                record = self._erasures.get(owner)
                if record is not None:
                    raise self._erased_error(record)
                raise RepositoryCorrupt(
                    f"{_where(self.target, path)}: the data key of {owner[0]}/{owner[1]} is "
                    "missing and no erasure of it is recorded: copy it back from a replica "
                    "target"
                )
            body = {
                "tenant": owner[0],
                "wedding": owner[1],
                "created": create_at.isoformat(),
                "key": base64.b64encode(new_data_key()).decode(),
            }
            sealed = seal_document(self._subkey("wedding-keys"), body, kind=f"datakey:{path}")
            self.target.put_new(path, sealed)  # lost a race: the other writer's key is read
        key = self._read_data_key(path, expect=owner)[1]
        self._data_keys[owner] = key
        return key

    def _read_data_key(self, path: str, *, expect: Owner | None = None) -> tuple[Owner, bytes]:
        what = _where(self.target, path)
        body = unseal_document(
            self._subkey("wedding-keys"), self.target.get(path), kind=f"datakey:{path}", what=what
        )
        try:
            owner = (str(body["tenant"]), str(body["wedding"]))
            key = base64.b64decode(body["key"], validate=True)
        except (KeyError, TypeError, ValueError) as exc:
            raise RepositoryCorrupt(f"{what}: data key unreadable ({exc!r})") from None
        if (expect is not None and owner != expect) or self.data_key_path(*owner) != path:
            raise RepositoryCorrupt(f"{what}: holds the data key of {owner[0]}/{owner[1]}")
        return owner, key

    def weddings_with_keys(self, tenant: str | None = None) -> list[Owner]:
        """(tenant, wedding) of every data key stored (all tenants', or one tenant's)."""
        prefix = "datakeys/" if tenant is None else f"datakeys/{self._ref('tenant', tenant)}/"
        owners = []
        for path, _ in _list(self.target, prefix):
            owner, key = self._read_data_key(path)
            self._data_keys.setdefault(owner, key)
            owners.append(owner)
        return owners

    def keyring(self, tenant: str, wedding: str, *, reload: bool = False) -> Keyring:
        """A wedding's chunk keys (WeddingErased if it was erased)."""
        owner = (tenant, wedding)
        if owner in self._keyrings and not reload:
            return self._keyrings[owner]
        with self._loading:
            return self._load_keyring(owner)

    def _load_keyring(self, owner: Owner) -> Keyring:
        tenant, wedding = owner
        key = self._wedding_key(owner)
        keyring = self._keyrings.setdefault(owner, Keyring())
        seen = self._keyring_files.setdefault(owner, set())
        for path, _ in _list(self.target, self.keyring_prefix(tenant, wedding)):
            if path in seen:
                continue
            what = _where(self.target, path)
            data = self.target.get(path)
            if sha256_hex(data) != path.rsplit("/", 1)[-1]:
                raise RepositoryCorrupt(f"{what}: its bytes do not hash to its name (damaged)")
            for (chunk, copy), chunk_key in decode_keyring(
                data, key, tenant=tenant, wedding=wedding, what=what
            ).items():
                keyring.add(chunk, copy, chunk_key)
            seen.add(path)
        return keyring

    def _keyring_written(self, owner: Owner, path: str, pending: Keyring) -> None:
        if owner in self._keyrings:
            for chunk, copy, key in pending.entries():
                self._keyrings[owner].add(chunk, copy, key)
            self._keyring_files.setdefault(owner, set()).add(path)

    # reading

    def tree(self, ref: WeddingRef) -> WeddingTree:
        """A wedding's blobs in a snapshot (WeddingErased if it was erased since)."""
        key = self._wedding_key((ref.tenant, ref.wedding))
        path = self.tree_prefix(ref.tenant, ref.wedding) + ref.tree
        what = _where(self.target, path)
        data = self.target.get(path)
        if sha256_hex(data) != ref.tree:
            raise RepositoryCorrupt(f"{what}: its bytes do not hash to its name (damaged)")
        return decode_tree(data, key, tenant=ref.tenant, wedding=ref.wedding, what=what)

    def blobs(
        self, snapshot: Snapshot, *, tenant: str | None = None, wedding: str | None = None
    ) -> Iterator[BlobEntry]:
        """Every blob of the snapshot's weddings (or of one tenant, or one wedding)."""
        for ref in snapshot.weddings:
            if tenant is not None and ref.tenant != tenant:
                continue
            if wedding is not None and ref.wedding != wedding:
                continue
            yield from self.tree(ref).blobs

    def find_blob(
        self,
        snapshot: Snapshot,
        sha256: str,
        *,
        tenant: str | None = None,
        wedding: str | None = None,
    ) -> BlobEntry:
        """The blob's entry in `snapshot` (in the given wedding, or the first readable one)."""
        erased: WeddingErased | None = None
        for ref in snapshot.weddings:
            if (tenant is not None and ref.tenant != tenant) or (
                wedding is not None and ref.wedding != wedding
            ):
                continue
            try:
                tree = self.tree(ref)
            except WeddingErased as exc:
                erased = exc
                continue
            for entry in tree.blobs:
                if entry.sha256 == sha256:
                    return entry
        if erased is not None:
            raise erased
        raise NotFound(f"blob {sha256} is not in snapshot {snapshot.id[:12]}")

    def read_blob(
        self,
        snapshot: Snapshot,
        sha256: str,
        *,
        tenant: str | None = None,
        wedding: str | None = None,
    ) -> Iterator[bytes]:
        """The blob's bytes, chunk by chunk, each verified (and the whole, at the end)."""
        return self.read_entry(self.find_blob(snapshot, sha256, tenant=tenant, wedding=wedding))

    def read_entry(self, entry: BlobEntry | DumpEntry) -> Iterator[bytes]:
        """An entry's bytes, chunk by chunk; RepositoryCorrupt at the end if the whole does
        not hash to the entry's SHA-256. WeddingErased at once for an erased wedding."""
        keyring = self.keyring(*entry.owner)
        return self._verified(entry, self._chunks(entry, keyring))

    def _verified(self, entry: BlobEntry | DumpEntry, chunks: Iterator[bytes]) -> Iterator[bytes]:
        digest = hashlib.sha256()
        size = 0
        for data in chunks:
            digest.update(data)
            size += len(data)
            yield data
        if digest.hexdigest() != entry.sha256 or size != entry.size:
            raise RepositoryCorrupt(
                f"blob {entry.sha256} of {entry.owner[0]}/{entry.owner[1]}: its chunks make "
                f"{size} bytes hashing to {digest.hexdigest()}, not the {entry.size} recorded"
            )

    def _chunks(
        self, entry: BlobEntry | DumpEntry, keyring: Keyring, *, check_ids: bool = True
    ) -> Iterator[bytes]:
        tenant, wedding = entry.owner
        for chunk in entry.chunks:
            yield self.read_chunk(tenant, wedding, chunk, keyring=keyring, check_id=check_ids)

    def read_chunk(
        self,
        tenant: str,
        wedding: str,
        chunk: str,
        *,
        keyring: Keyring | None = None,
        check_id: bool = True,
    ) -> bytes:
        """A chunk's bytes through the wedding's keyring, its id checked (unless the caller
        checks the whole blob's SHA-256 instead: `check_id=False`)."""
        keyring = keyring or self.keyring(tenant, wedding)
        keys = keyring.keys_for(chunk)
        if not keys:
            keys = self.keyring(tenant, wedding, reload=True).keys_for(chunk)
        if not keys:
            raise RepositoryCorrupt(
                f"chunk {chunk} of {tenant}/{wedding}: no key to it in the wedding's keyrings "
                f"({_where(self.target, self.keyring_prefix(tenant, wedding))}): copy them back "
                "from a replica target"
            )
        failure: RepositoryCorrupt | None = None
        for copy, key in keys.items():
            location = self.index.location(chunk, copy)
            if location is None:
                self.refresh()
                location = self.index.location(chunk, copy)
            if location is None:
                continue
            try:
                return self.open_chunk(
                    location.pack, location.entry, key, tenant=tenant, check_id=check_id
                )
            except RepositoryCorrupt as exc:
                failure = exc
        if failure is not None:
            raise failure
        raise RepositoryCorrupt(
            f"chunk {chunk} of {tenant}/{wedding}: keyed but in no index "
            f"({_where(self.target, 'index/')}): run `trousseau backup verify`"
        )

    def open_chunk(
        self, pack: str, entry: PackEntry, key: bytes, *, tenant: str, check_id: bool = True
    ) -> bytes:
        """Read, decrypt, expand and check one stored chunk copy."""
        path = pack_path(pack)
        sealed = self.target.get_range(path, entry.offset, entry.length)
        return self.decode_chunk(sealed, entry, key, tenant=tenant, pack=pack, check_id=check_id)

    def decode_chunk(
        self,
        sealed: bytes,
        entry: PackEntry,
        key: bytes,
        *,
        tenant: str,
        pack: str,
        check_id: bool = True,
    ) -> bytes:
        """A sealed chunk's bytes: decrypted (which authenticates it), expanded, and checked
        against its chunk id."""
        what = (
            f"{_where(self.target, pack_path(pack))} (chunk {entry.chunk[:12]} at {entry.offset})"
        )
        if len(sealed) != entry.length:
            raise RepositoryCorrupt(f"{what}: cut short ({len(sealed)} of {entry.length} bytes)")
        payload = unseal_chunk(key, sealed, chunk=entry.chunk, copy=entry.copy, what=what)
        data = expand_chunk(
            payload, compressed=entry.compressed, raw_length=entry.raw_length, what=what
        )
        if check_id and chunk_id(self._id_key(tenant), data) != entry.chunk:
            raise RepositoryCorrupt(f"{what}: its bytes do not hash to its chunk id")
        return data

    def pack_header(self, name: str, size: int) -> list[PackEntry]:
        """A stored pack's entries, from its header (read by range)."""
        return read_pack_header(self.target, name, size, self._subkey("pack-header"))

    def parse_pack(self, name: str, data: bytes) -> list[PackEntry]:
        """A pack's entries, from its bytes held in memory."""
        return parse_pack(
            data, self._subkey("pack-header"), what=_where(self.target, pack_path(name))
        )

    def pack_builder(self) -> PackBuilder:
        """An empty pack builder sealing headers under this repository's key (prune)."""
        return PackBuilder(self._subkey("pack-header"), target_size=self.config.pack_size)

    def seal_index(self, packs: list[IndexedPack]) -> bytes:
        """The bytes of an index file listing `packs` (prune's replacement index)."""
        return encode_index(packs, self._subkey("index"))

    def keyring_files(self, tenant: str, wedding: str) -> dict[str, set[tuple[str, str]]]:
        """Each keyring file of a wedding: path -> the (chunk, copy) pairs it keys (prune)."""
        key = self._wedding_key((tenant, wedding))
        found: dict[str, set[tuple[str, str]]] = {}
        for path, _ in _list(self.target, self.keyring_prefix(tenant, wedding)):
            what = _where(self.target, path)
            data = self.target.get(path)
            if sha256_hex(data) != path.rsplit("/", 1)[-1]:
                raise RepositoryCorrupt(f"{what}: its bytes do not hash to its name (damaged)")
            entries = decode_keyring(data, key, tenant=tenant, wedding=wedding, what=what)
            found[path] = set(entries)
        return found

    def reload(self) -> None:
        """Read every index file and erasure record again, forgetting what was loaded: after
        a prune deleted index files and packs, no read may be sent to them."""
        self.index = Index()
        self.load_problems = []
        self._snapshots = {}
        self._index_files = set()
        self._erasure_files = set()
        self.refresh()

    def restore_blob(self, entry: BlobEntry | DumpEntry, out: Path) -> Path:
        """Write the entry's bytes to `out`, byte-identical, or leave `out` untouched.

        The bytes go to a temporary file beside `out`, which is fsync'd and renamed over
        `out` only once its SHA-256 equals the entry's.
        """
        chunks = self._chunks(entry, self.keyring(*entry.owner), check_ids=False)
        partial = out.with_name(f".{out.name}.{secrets.token_hex(4)}.part")
        digest = hashlib.sha256()
        try:
            with partial.open("xb") as handle:
                for data in chunks:
                    digest.update(data)
                    handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            if digest.hexdigest() != entry.sha256:
                raise RepositoryCorrupt(
                    f"blob {entry.sha256}: restored bytes hash to {digest.hexdigest()}; "
                    f"{out} was not written"
                )
            partial.replace(out)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        _fsync_dir(out.parent)
        return out

    # writing

    def writer(
        self,
        *,
        clock: Clock,
        host: str | None = None,
        parent: Snapshot | Literal["latest"] | None = "latest",
        pack_size: int | None = None,
        checkpoint_bytes: int = CHECKPOINT_BYTES,
    ) -> Writer:
        """A backup session (use it in a `with` block: it holds a shared lock)."""
        self.refresh()
        return Writer(
            self,
            clock=clock,
            host=host or platform.node(),
            parent=self.latest() if parent == "latest" else parent,
            pack_size=pack_size or self.config.pack_size,
            checkpoint_bytes=checkpoint_bytes,
        )

    def latest(self) -> Snapshot | None:
        snapshots = self.snapshots()
        return snapshots[-1] if snapshots else None

    # erasing

    def erase_wedding(
        self, tenant: str, wedding: str, *, clock: Clock, by: str = "", host: str | None = None
    ) -> ErasureRecord:
        """Destroy a wedding's data key and keyrings (and trees): crypto-shredding.

        Chunks only this wedding referenced become unreadable in every snapshot; chunks another
        wedding also references stay readable through that wedding's keyring. An audit record
        (ids, time, host, `by`; nothing else) is written first; running the erasure again
        finishes one that was interrupted, and returns that record. Takes the exclusive lock.
        """
        owner = (check_name(tenant, of="tenant"), check_name(wedding, of="wedding"))
        with acquire(self.target, LockKind.EXCLUSIVE, clock=clock):
            self.refresh()
            key_path = self.data_key_path(*owner)
            paths = [key_path] if self.target.exists(key_path) else []
            for prefix in (self.keyring_prefix(*owner), self.tree_prefix(*owner)):
                paths += [path for path, _ in _list(self.target, prefix)]
            record = self._erasures.get(owner)
            if record is None:
                # The record first: it is the decision. From the moment it exists, readers and
                # writers treat the wedding as erased, even if the deletions below are cut short
                # (running the erasure again finishes them).
                record = ErasureRecord(
                    id="",
                    time=clock(),
                    tenant=tenant,
                    wedding=wedding,
                    host=host or platform.node(),
                    by=by,
                    files_deleted=len(paths),
                )
                data = encode_erasure(record, self._subkey("audit"))
                record = replace(record, id=sha256_hex(data))
                self.target.put_new(f"audit/erasures/{record.id}", data)
                self._erasures[owner] = record
            for path in paths:  # the data key first: from then on the wedding is unreadable
                self.target.delete(path)
            self._data_keys.pop(owner, None)
            self._keyrings.pop(owner, None)
            self._keyring_files.pop(owner, None)
            return record

    # statistics

    def stats(self) -> RepositoryStats:
        packs = self.index.packs()
        raw: dict[str, int] = {}
        stored = copies = 0
        for location in self.index.locations():
            raw.setdefault(location.entry.chunk, location.entry.raw_length)
            stored += location.entry.length
            copies += 1
        snapshots = self.snapshots()
        logical = snapshots[-1].size if snapshots else 0
        raw_bytes = sum(raw.values())
        return RepositoryStats(
            snapshots=len(snapshots),
            packs=len(packs),
            pack_bytes=sum(p.size for p in packs.values()),
            chunks=copies,
            stored_bytes=stored,
            raw_bytes=raw_bytes,
            logical_bytes=logical,
            dedup_ratio=logical / raw_bytes if raw_bytes else 1.0,
            compression_ratio=raw_bytes / stored if stored else 1.0,
        )


def _write_pack(target: Target, builder: PackBuilder) -> IndexedPack:
    pack = builder.finish()
    target.put_new(pack.path, pack.data)
    return IndexedPack(pack.name, len(pack.data), pack.entries)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- the writer -----------------------------------------------------------------------------


@dataclass
class _Draft:
    """A wedding as this session changes it: its parent's blobs, plus and minus."""

    owner: Owner
    base_ref: WeddingRef | None
    base: dict[str, BlobEntry]
    added: dict[str, BlobEntry] = field(default_factory=dict)
    removed: set[str] = field(default_factory=set)

    def current(self, sha256: str) -> BlobEntry | None:
        if sha256 in self.added:
            return self.added[sha256]
        return None if sha256 in self.removed else self.base.get(sha256)


@dataclass(frozen=True)
class ChunkedBlob:
    """A blob read and cut ahead of the writer (`Writer.chunk_blob`, safe in another
    thread): its chunks with their ids, its size and its SHA-256 as read."""

    chunks: tuple[tuple[str, memoryview], ...]
    size: int
    sha256: str


@contextmanager
def _reader(source: BinaryIO | Path) -> Iterator[BinaryIO]:
    if isinstance(source, Path):
        with source.open("rb") as handle:
            yield handle
    else:
        yield source


class Writer:
    """One backup session: chunks blobs and dumps into packs, then commits a snapshot.

    Built by `Repository.writer`. A blob already in the parent snapshot's wedding is not read
    again; a chunk already stored (for this tenant) is not stored again, but its key is added
    to this wedding's keyring if the wedding has none for it. A copy in a pack that is missing
    or of another size than its index says does not count as stored: the chunk is stored again.
    """

    def __init__(
        self,
        repo: Repository,
        *,
        clock: Clock,
        host: str,
        parent: Snapshot | None,
        pack_size: int,
        checkpoint_bytes: int,
    ) -> None:
        self._repo = repo
        self._target = repo.target
        self._clock = clock
        self._host = host
        self._parent = parent
        self._checkpoint_bytes = checkpoint_bytes
        # Packs an index lists that are not stored (or not whole): a chunk copy in one is
        # stored again, not deduplicated against. One listing of packs/ per session.
        stored = repo.packs()
        self._absent_packs = {
            name for name, pack in repo.index.packs().items() if stored.get(name) != pack.size
        }
        self._builder = PackBuilder(repo._subkey("pack-header"), target_size=pack_size)
        self._unindexed: list[IndexedPack] = []
        self._new_copies: dict[str, dict[str, Owner]] = {}  # chunk -> copy -> owner
        self._known_keys: dict[tuple[str, str], bytes] = {}
        self._absorbed: set[Owner] = set()
        self._scanned_tenants: set[str] = set()
        self._pending: dict[Owner, Keyring] = {}
        self._drafts: dict[Owner, _Draft] = {}
        self._dumps: list[DumpEntry] = []
        self._since_checkpoint = 0
        self._lock: Lock | None = None
        self._done = False
        self._packer: ThreadPoolExecutor | None = None
        self._in_flight: Future[IndexedPack] | None = None
        self.packs_written = 0

    def __enter__(self) -> Writer:
        self._lock = acquire(self._target, LockKind.SHARED, clock=self._clock)
        self._packer = ThreadPoolExecutor(1, thread_name_prefix="backup-pack")
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        lock, self._lock = self._lock, None
        self._done = True
        packer, self._packer = self._packer, None
        try:
            if packer is not None:
                packer.shutdown(wait=True)  # no pack is written once the lock is gone
        finally:
            if lock is not None:
                lock.release()

    def _check_open(self) -> None:
        if self._lock is None or self._done:
            raise BackupError(
                "this backup writer is closed or was never opened: use it inside "
                "`with repo.writer(clock=...) as w:` and add nothing after commit()"
            )

    # adding

    def add_blob(
        self,
        tenant: str,
        wedding: str,
        sha256: str,
        source: BinaryIO | Path | ChunkedBlob,
        *,
        role: BlobRole = BlobRole.ORIGINAL,
    ) -> BlobEntry:
        """Back up a vault blob of a wedding (read from `source` only if it is new here).

        BlobCorrupt if the bytes read do not hash to `sha256` (nothing is recorded for it);
        WeddingErased if the wedding was erased.
        """
        self._check_open()
        owner = (check_name(tenant, of="tenant"), check_name(wedding, of="wedding"))
        check_sha256(sha256)
        role = BlobRole(role)
        draft = self._draft(owner)
        existing = draft.current(sha256)
        if existing is not None:
            if existing.role != role:
                existing = BlobEntry(tenant, wedding, sha256, existing.size, role, existing.chunks)
                draft.added[sha256] = existing
            return existing
        self._repo._wedding_key(owner, create_at=self._clock())
        chunks, size, digest = self._store(owner, source)
        if digest != sha256:
            raise BlobCorrupt(
                f"blob {sha256} of {tenant}/{wedding} read as {size} bytes hashing to {digest}: "
                "the source is damaged or changed (run `trousseau verify`); it was not backed up"
            )
        entry = BlobEntry(tenant, wedding, sha256, size, role, chunks)
        draft.added[sha256] = entry
        draft.removed.discard(sha256)
        return entry

    def holds(self, tenant: str, wedding: str, sha256: str) -> bool:
        """Whether the wedding's blob is in this session's snapshot already (from its parent
        or added): `add_blob` would then not read it."""
        self._check_open()
        return self._draft((tenant, wedding)).current(sha256) is not None

    def chunk_blob(self, tenant: str, data: bytes) -> ChunkedBlob:
        """Cut and hash a blob's bytes for `add_blob`. Touches no state of the writer, so a
        caller runs it in another thread for the next blob while this one is stored."""
        id_key = self._repo._id_key(check_name(tenant, of="tenant"))
        views = cut_bytes(data, self._repo.config.chunker)
        chunks = tuple((chunk_id(id_key, view), view) for view in views)
        return ChunkedBlob(chunks, len(data), hashlib.sha256(data).hexdigest())

    def remove_blob(self, tenant: str, wedding: str, sha256: str) -> bool:
        """Leave a blob out of this snapshot (it stays in older ones); False if not there."""
        self._check_open()
        draft = self._draft((tenant, wedding))
        if draft.current(sha256) is None:
            return False
        draft.added.pop(sha256, None)
        draft.removed.add(sha256)
        return True

    def add_catalog_dump(
        self, source: Path | BinaryIO, *, format: str, name: str | None = None
    ) -> DumpEntry:
        """Back up a catalog dump (under the repository-wide catalog key)."""
        self._check_open()
        label = name or (source.name if isinstance(source, Path) else "catalog")
        self._repo._wedding_key(CATALOG, create_at=self._clock())
        chunks, size, digest = self._store(CATALOG, source)
        entry = DumpEntry(label, format, digest, size, self._clock(), chunks)
        self._dumps.append(entry)
        return entry

    def _draft(self, owner: Owner) -> _Draft:
        if owner not in self._drafts:
            record = self._repo.erased(*owner)
            if record is not None:
                raise self._repo._erased_error(record)
            ref = self._parent.wedding(*owner) if self._parent else None
            base = {b.sha256: b for b in self._repo.tree(ref).blobs} if ref else {}
            self._drafts[owner] = _Draft(owner, ref, base)
        return self._drafts[owner]

    def _store(
        self, owner: Owner, source: BinaryIO | Path | ChunkedBlob
    ) -> tuple[tuple[str, ...], int, str]:
        if isinstance(source, ChunkedBlob):
            for chunk, view in source.chunks:
                self._ensure_chunk(owner, chunk, view)
            return tuple(chunk for chunk, _ in source.chunks), source.size, source.sha256
        digest = hashlib.sha256()
        size = 0
        chunks: list[str] = []
        id_key = self._repo._id_key(owner[0])
        with _reader(source) as stream:
            for data in iter_chunks(stream, self._repo.config.chunker):
                digest.update(data)
                size += len(data)
                chunk = chunk_id(id_key, data)
                self._ensure_chunk(owner, chunk, data)
                chunks.append(chunk)
        return tuple(chunks), size, digest.hexdigest()

    # chunks and their keys

    def _copy_exists(self, chunk: str, copy: str) -> bool:
        if copy in self._new_copies.get(chunk, {}):
            return True
        location = self._repo.index.location(chunk, copy)
        return location is not None and location.pack not in self._absent_packs

    def _ensure_chunk(self, owner: Owner, chunk: str, data: bytes | memoryview) -> None:
        pending = self._pending.setdefault(owner, Keyring())
        if chunk in pending:
            return
        for copy in self._repo.keyring(*owner).keys_for(chunk):
            if self._copy_exists(chunk, copy):
                return
        copies = [
            (loc.copy, (loc.entry.tenant, loc.entry.wedding))
            for loc in self._repo.index.copies(chunk)
            if loc.pack not in self._absent_packs
        ]
        copies += list(self._new_copies.get(chunk, {}).items())
        for copy, holder in copies:
            key = self._find_key(owner[0], chunk, copy, holder)
            if key is not None:
                pending.add(chunk, copy, key)
                return
        copy = secrets.token_hex(8)
        key = new_data_key()
        payload, compressed = compress_chunk(data)
        self._builder.add(
            seal_chunk(key, payload, chunk=chunk, copy=copy),
            chunk=chunk,
            copy=copy,
            raw_length=len(data),
            compressed=compressed,
            tenant=owner[0],
            wedding=owner[1],
        )
        self._new_copies.setdefault(chunk, {})[copy] = owner
        self._known_keys[(chunk, copy)] = key
        pending.add(chunk, copy, key)
        if self._builder.full:
            self._flush_pack()
            if self._since_checkpoint >= self._checkpoint_bytes:
                self.checkpoint()

    def _find_key(self, tenant: str, chunk: str, copy: str, holder: Owner) -> bytes | None:
        """The key of a stored copy: from this session, its owner's keyring, or (rarely:
        the owner was erased, or crashed before its keyring) any wedding of the tenant."""
        if (chunk, copy) in self._known_keys:
            return self._known_keys[(chunk, copy)]
        self._absorb(holder)
        if (chunk, copy) not in self._known_keys and tenant not in self._scanned_tenants:
            self._scanned_tenants.add(tenant)
            for owner in self._repo.weddings_with_keys(tenant):
                self._absorb(owner)
        return self._known_keys.get((chunk, copy))

    def _absorb(self, owner: Owner) -> None:
        if owner in self._absorbed:
            return
        self._absorbed.add(owner)
        try:
            keyring = self._repo.keyring(*owner)
        except (WeddingErased, RepositoryCorrupt):
            return  # its copies are stored again, under this wedding's keyring
        for chunk, copy, key in keyring.entries():
            self._known_keys.setdefault((chunk, copy), key)

    # writing out

    def _flush_pack(self) -> None:
        """Hand the open pack to the pack-writing thread (which names and writes it while
        the next one fills); one pack at most is in flight, and packs are written in order."""
        if not self._builder:
            return
        self._settle()
        builder = self._builder
        self._builder = PackBuilder(builder.header_key, target_size=builder.target_size)
        if self._packer is None:
            self._unindexed.append(_write_pack(self._target, builder))
        else:
            self._in_flight = self._packer.submit(_write_pack, self._target, builder)
        self._since_checkpoint += builder.size
        self.packs_written += 1
        if self._lock is not None:
            self._lock.refresh()

    def _settle(self) -> None:
        """Wait for the pack in flight; its write error, if any, is raised here."""
        future, self._in_flight = self._in_flight, None
        if future is not None:
            self._unindexed.append(future.result())

    def checkpoint(self) -> None:
        """Write the open pack, then an index of the packs written, then the keyrings: what
        was stored so far is then found (and not stored again) by any later run."""
        self._check_open()
        self._flush_pack()
        self._settle()
        repo = self._repo
        if self._unindexed:
            data = encode_index(self._unindexed, repo._subkey("index"))
            path = f"index/{sha256_hex(data)}"
            self._target.put_new(path, data)
            for pack in self._unindexed:
                repo.index.add(pack, file=path)
            repo._index_files.add(path)
            self._unindexed = []
            self._new_copies = {}
        for owner, pending in self._pending.items():
            if not len(pending):
                continue
            entries = {(chunk, copy): key for chunk, copy, key in pending.entries()}
            data = encode_keyring(
                entries, repo._wedding_key(owner), tenant=owner[0], wedding=owner[1]
            )
            path = repo.keyring_prefix(*owner) + sha256_hex(data)
            self._target.put_new(path, data)
            repo._keyring_written(owner, path, pending)
        self._pending = {}
        self._since_checkpoint = 0

    def commit(self) -> Snapshot:
        """Write what is left, the changed weddings' trees, then the snapshot.

        If another writer committed since this one's parent, its changes are kept: weddings
        this session did not touch come from that newer snapshot, and touched ones are merged
        (its blobs, plus this session's, minus this session's removals).
        """
        self._check_open()
        self.checkpoint()
        repo = self._repo
        latest = repo.latest()
        base = latest if latest is not None else self._parent
        refs: dict[Owner, WeddingRef] = {}
        if base is not None:
            for ref in base.weddings:
                if repo.erased(ref.tenant, ref.wedding) is None:
                    refs[(ref.tenant, ref.wedding)] = ref
        for owner, draft in self._drafts.items():
            if not draft.added and not draft.removed:
                continue
            now_ref = refs.get(owner)
            if now_ref == draft.base_ref:
                current = draft.base
            else:
                current = {b.sha256: b for b in repo.tree(now_ref).blobs} if now_ref else {}
            blobs = dict(current)
            for sha256 in draft.removed:
                blobs.pop(sha256, None)
            blobs.update(draft.added)
            if blobs == current:
                continue
            if not blobs:
                refs.pop(owner, None)
                continue
            ordered = tuple(sorted(blobs.values(), key=lambda b: b.sha256))
            tree = WeddingTree(owner[0], owner[1], ordered)
            data = encode_tree(tree, repo._wedding_key(owner))
            name = sha256_hex(data)
            self._target.put_new(repo.tree_prefix(*owner) + name, data)
            refs[owner] = WeddingRef(owner[0], owner[1], name, len(tree.blobs), tree.size)
        dumps = tuple(self._dumps) if self._dumps else (base.dumps if base else ())
        time = self._clock()
        data = encode_snapshot(
            time=time,
            host=self._host,
            parent=base.id if base else None,
            weddings=tuple(refs[o] for o in sorted(refs)),
            dumps=dumps,
            key=repo._subkey("snapshot"),
        )
        snapshot_id = sha256_hex(data)
        self._target.put_new(f"snapshots/{snapshot_id}", data)
        self._done = True
        return decode_snapshot(
            snapshot_id, data, repo._subkey("snapshot"), what=f"snapshots/{snapshot_id}"
        )

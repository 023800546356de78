"""A vault that writes every blob to its primary store and each replica before it answers.

With `vault_replicas` set, an original is acknowledged (ingest returns, the upload answers
201) only once every store holds it durably: losing the primary's disk or bucket loses no
acknowledged photo. Reads come from the primary and fall back to the replicas, in order,
when it lacks a blob or holds it damaged (the bytes are re-hashed as always). Listing,
collecting and sweeping act on every store, so the replicas stay copies of the primary.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path

from trousseau.errors import VaultError
from trousseau.vault.blob import BlobInfo, StoredBlob
from trousseau.vault.partials import PartialWrite
from trousseau.vault.protocol import Vault


class ReplicatedVault:
    """The primary vault and its replicas, behind the one Vault protocol."""

    def __init__(self, primary: Vault, replicas: Sequence[Vault]) -> None:
        if not replicas:
            raise ValueError("a replicated vault needs at least one replica")
        self.primary = primary
        self.replicas = tuple(replicas)
        self.url = primary.url

    @property
    def stores(self) -> tuple[Vault, ...]:
        return (self.primary, *self.replicas)

    def put_file(self, path: Path, *, expected_sha256: str | None = None) -> BlobInfo:
        info = self.primary.put_file(path, expected_sha256=expected_sha256)
        for replica in self.replicas:
            _on(replica, functools.partial(replica.put_file, path, expected_sha256=info.sha256))
        return info

    def put_bytes(self, data: bytes, *, expected_sha256: str | None = None) -> BlobInfo:
        info = self.primary.put_bytes(data, expected_sha256=expected_sha256)
        for replica in self.replicas:
            _on(replica, functools.partial(replica.put_bytes, data, expected_sha256=info.sha256))
        return info

    def get_bytes(self, sha256: str, *, verify: bool = True) -> bytes:
        failure: VaultError | None = None
        for store in self.stores:
            try:
                return store.get_bytes(sha256, verify=verify)
            except VaultError as exc:  # missing, damaged or unreachable here: the next store
                failure = failure or exc
        assert failure is not None
        raise failure

    def exists(self, sha256: str) -> bool:
        return any(store.exists(sha256) for store in self.stores)

    def size(self, sha256: str) -> int:
        failure: VaultError | None = None
        for store in self.stores:
            try:
                return store.size(sha256)
            except VaultError as exc:
                failure = failure or exc
        assert failure is not None
        raise failure

    def verify(self, sha256: str) -> int:
        """The primary's copy checked; a damaged or missing one is an error even when a
        replica holds the blob (`trousseau verify` reports it for repair)."""
        return self.primary.verify(sha256)

    def repair(self, path: Path, sha256: str) -> bool:
        """Every store's copy repaired: the primary's, then each replica's."""
        return any([store.repair(path, sha256) for store in self.stores])

    def iter_blobs(self) -> Iterator[str]:
        return self.primary.iter_blobs()

    def iter_stored(self) -> Iterator[StoredBlob]:
        return self.primary.iter_stored()

    def collect(self, sha256: str, *, stored_before: datetime) -> int | None:
        size = self.primary.collect(sha256, stored_before=stored_before)
        if size is not None:
            for replica in self.replicas:
                replica.collect(sha256, stored_before=stored_before)
        return size

    def partial_writes(self) -> list[PartialWrite]:
        return [p for store in self.stores for p in store.partial_writes()]

    def sweep_partials(self, older_than: timedelta) -> int:
        return sum(store.sweep_partials(older_than) for store in self.stores)

    def close(self) -> None:
        for store in self.stores:
            store.close()


def _on(replica: Vault, write: Callable[[], BlobInfo]) -> BlobInfo:
    """A replica's write, its failure named as the replica's (nothing is acknowledged)."""
    try:
        return write()
    except VaultError as exc:
        raise type(exc)(
            f"the vault replica {replica.url} could not store the blob ({exc}); the original "
            "is not acknowledged until every replica holds it: fix the replica or remove it "
            "from vault_replicas"
        ) from exc

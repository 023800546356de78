"""Storing blobs that can be made again (variants): durable as a batch, on any vault."""

from __future__ import annotations

from collections.abc import Sequence

from trousseau.vault.blob import BlobInfo
from trousseau.vault.protocol import Vault


def put_derived(vault: Vault, blobs: Sequence[bytes]) -> list[BlobInfo]:
    """Store `blobs` and return once every one is durable, like `put_bytes` on each.

    A vault that can make a batch durable more cheaply than blob by blob (the local one: one
    fsync pass and one fsync per directory) does so through its own `put_derived`; any other
    vault stores them one at a time. Originals never go this way: each is acknowledged on its
    own `put_file`/`put_bytes`.
    """
    batch = getattr(vault, "put_derived", None)
    if batch is not None:
        return list(batch(blobs))
    return [vault.put_bytes(data) for data in blobs]

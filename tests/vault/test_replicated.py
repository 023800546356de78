"""A replicated vault: every write on each store before it is acknowledged, reads falling
back to a replica, a failing replica refusing the write (nothing acknowledged)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from trousseau.errors import VaultFull
from trousseau.vault import open_vault
from trousseau.vault.replicated import ReplicatedVault


def test_writes_reach_every_store_and_reads_fall_back(tmp_path) -> None:
    vault = open_vault((tmp_path / "a").as_uri(), replicas=[(tmp_path / "b").as_uri()])
    assert isinstance(vault, ReplicatedVault)
    data = b"a wedding photo" * 1000
    info = vault.put_bytes(data)
    source = tmp_path / "IMG_1.JPG"
    source.write_bytes(b"another" * 500)
    second = vault.put_file(source)
    for store in vault.stores:
        assert store.exists(info.sha256) and store.exists(second.sha256)
    primary_copy = next(p for p in (tmp_path / "a").rglob(info.sha256) if p.is_file())
    primary_copy.unlink()  # the primary lost it: the replica answers, verified
    assert vault.get_bytes(info.sha256) == data
    assert vault.size(info.sha256) == len(data) and vault.exists(info.sha256)
    later = datetime.now(UTC) + timedelta(hours=1)
    assert vault.collect(second.sha256, stored_before=later) == len(b"another" * 500)
    assert not any(store.exists(second.sha256) for store in vault.stores)
    vault.close()


def test_a_failing_replica_leaves_the_write_unacknowledged(tmp_path, monkeypatch) -> None:
    vault = open_vault((tmp_path / "a").as_uri(), replicas=["memory://"])
    assert isinstance(vault, ReplicatedVault)

    def full(*args, **kwargs):
        raise VaultFull("no space left on the replica's device")

    monkeypatch.setattr(vault.replicas[0], "put_bytes", full)
    with pytest.raises(
        VaultFull, match=r"vault replica memory:// could not store.*not acknowledged"
    ):
        vault.put_bytes(b"photo")
    assert vault.primary.exists(hashlib.sha256(b"photo").hexdigest())  # found again on retry

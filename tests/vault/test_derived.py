"""Derived blobs (variants) made durable as one batch: fewer syncs, the same promises."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from trousseau.errors import BlobCorrupt, VaultFull
from trousseau.vault import BlobInfo, open_vault, put_derived
from trousseau.vault.local import LocalVault

BLOBS = [os.urandom(n) for n in (70_000, 20_000, 3_000, 900)]


@pytest.fixture
def local(tmp_path: Path) -> LocalVault:
    vault = open_vault((tmp_path / "vault").as_uri())
    assert isinstance(vault, LocalVault)
    return vault


def test_every_blob_is_published_readable_and_verified(local: LocalVault) -> None:
    infos = put_derived(local, BLOBS)

    assert [i.sha256 for i in infos] == [hashlib.sha256(b).hexdigest() for b in BLOBS]
    assert [i.size for i in infos] == [len(b) for b in BLOBS]
    assert all(i.created for i in infos)
    for info, data in zip(infos, BLOBS, strict=True):
        assert local.get_bytes(info.sha256) == data
        assert local.verify(info.sha256) == len(data)
        assert oct(local.blob_path(info.sha256).stat().st_mode & 0o777) == "0o444"
    assert sorted(local.iter_blobs()) == sorted(i.sha256 for i in infos)
    assert list((local.root / "tmp").iterdir()) == []


def test_existing_and_repeated_blobs_dedupe(local: LocalVault) -> None:
    first = local.put_bytes(BLOBS[0])

    infos = local.put_derived([BLOBS[0], BLOBS[1], BLOBS[1]])

    assert [i.created for i in infos] == [False, True, False]
    assert infos[0].sha256 == first.sha256
    assert len(list(local.iter_blobs())) == 2


def test_one_sync_per_file_and_one_per_directory(
    local: LocalVault, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batching itself: per blob, put_bytes syncs the file and three directories; a batch
    syncs each file once and each directory it touched once."""
    synced: list[str] = []
    real = os.fsync

    def counting(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real(fd)

    monkeypatch.setattr(os, "fsync", counting)
    infos = local.put_derived(BLOBS)

    directories = {local.blob_path(i.sha256).parent for i in infos}
    directories |= {d.parent for d in directories} | {local.root / "blobs"}
    files = [s for s in synced if s.endswith(".part")]
    assert len(files) == len(BLOBS)
    assert sorted(s for s in synced if s not in files) == sorted(str(d) for d in directories)
    assert len(synced) < 4 * len(BLOBS)


def test_a_bad_re_read_stores_nothing(local: LocalVault, monkeypatch: pytest.MonkeyPatch) -> None:
    def rotten(self: LocalVault, temp: Path, sha: str, size: int, source: str) -> None:
        raise BlobCorrupt(f"re-reading {temp} gave other bytes")

    monkeypatch.setattr(LocalVault, "_check_written", rotten)
    with pytest.raises(BlobCorrupt):
        local.put_derived(BLOBS)

    assert list(local.iter_blobs()) == []
    assert list((local.root / "tmp").iterdir()) == []


def test_full_disk_is_vault_full_and_leaves_no_partial(
    tmpfs: Callable[..., Path],
) -> None:
    vault = open_vault((tmpfs("64k") / "vault").as_uri())
    assert isinstance(vault, LocalVault)

    with pytest.raises(VaultFull, match="record none of them"):
        vault.put_derived([os.urandom(40_000), os.urandom(40_000)])

    assert list((vault.root / "tmp").iterdir()) == []


def test_any_vault_without_a_batch_stores_blob_by_blob() -> None:
    class OneByOne:
        def __init__(self) -> None:
            self.stored: list[bytes] = []

        def put_bytes(self, data: bytes) -> BlobInfo:
            self.stored.append(data)
            return BlobInfo(sha256=hashlib.sha256(data).hexdigest(), size=len(data), created=True)

    vault = OneByOne()
    infos = put_derived(vault, BLOBS[:2])  # type: ignore[arg-type]

    assert vault.stored == BLOBS[:2]
    assert [i.size for i in infos] == [len(b) for b in BLOBS[:2]]

"""What only a local directory can show: layout, permissions, temp files, full and RO disks."""

from __future__ import annotations

import hashlib
import os
import stat
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from trousseau.errors import (
    BlobCorrupt,
    ChecksumMismatch,
    InputUnreadable,
    VaultError,
    VaultFull,
    VaultReadOnly,
)
from trousseau.vault import open_vault
from trousseau.vault.local import LocalVault

from ..conftest import run_mount

PHOTO = os.urandom(5000)
KEY = hashlib.sha256(PHOTO).hexdigest()


@pytest.fixture
def local(tmp_path: Path) -> LocalVault:
    vault = open_vault((tmp_path / "vault").as_uri())
    assert isinstance(vault, LocalVault)
    return vault


def partials(vault: LocalVault) -> list[Path]:
    return sorted((vault.root / "tmp").iterdir())


def test_layout_and_permissions(local: LocalVault) -> None:
    local.put_bytes(PHOTO)

    path = local.root / "blobs" / KEY[:2] / KEY[2:4] / KEY
    assert local.blob_path(KEY) == path
    assert path.read_bytes() == PHOTO
    assert stat.S_IMODE(path.stat().st_mode) == 0o444
    assert path.stat().st_nlink == 1
    assert partials(local) == []


def test_file_url_is_percent_decoded_and_created(tmp_path: Path) -> None:
    vault = open_vault(f"file://{tmp_path}/studio/vault%20one")

    assert isinstance(vault, LocalVault)
    assert vault.root == tmp_path / "studio" / "vault one"
    assert vault.url == vault.root.as_uri()
    assert (vault.root / "blobs").is_dir()
    assert (vault.root / "tmp").is_dir()


def test_dedupe_leaves_the_existing_file_untouched(local: LocalVault) -> None:
    """Its bytes and inode stay; only its mtime says "stored now", which spares it from an
    orphan collection while the ingest that found it records it."""
    local.put_bytes(PHOTO)
    os.utime(local.blob_path(KEY), (1_000_000_000, 1_000_000_000))
    before = local.blob_path(KEY).stat()

    assert not local.put_bytes(PHOTO).created

    after = local.blob_path(KEY).stat()
    assert (after.st_ino, after.st_size, after.st_mode) == (
        before.st_ino,
        before.st_size,
        before.st_mode,
    )
    assert local.blob_path(KEY).read_bytes() == PHOTO
    assert after.st_mtime > time.time() - 60
    assert partials(local) == []


def test_dedupe_rehashes_the_existing_blob_when_verifying_writes(tmp_path: Path) -> None:
    url = (tmp_path / "vault").as_uri()
    strict = open_vault(url)
    lenient = open_vault(url, verify_writes=False)
    assert isinstance(strict, LocalVault)
    strict.put_bytes(PHOTO)
    path = strict.blob_path(KEY)
    path.chmod(0o644)
    path.write_bytes(bytes(b ^ 0xFF for b in PHOTO))
    path.chmod(0o444)

    with pytest.raises(BlobCorrupt, match="the new copy was not stored") as raised:
        strict.put_bytes(PHOTO)
    assert str(path) in str(raised.value)
    assert not lenient.put_bytes(PHOTO).created
    assert partials(strict) == []


def test_failures_leave_no_partial_file(local: LocalVault, tmp_path: Path) -> None:
    source = tmp_path / "a.jpg"
    source.write_bytes(PHOTO)

    with pytest.raises(ChecksumMismatch):
        local.put_file(source, expected_sha256="0" * 64)
    with pytest.raises(InputUnreadable, match=r"missing\.jpg"):
        local.put_file(tmp_path / "missing.jpg")
    local.put_bytes(PHOTO)
    local.blob_path(KEY).chmod(0o644)
    local.blob_path(KEY).write_bytes(PHOTO[:10])
    with pytest.raises(BlobCorrupt):
        local.put_file(source)

    assert partials(local) == []


def test_full_disk(tmpfs: Callable[..., Path], tmp_path: Path) -> None:
    vault = open_vault((tmpfs("64k") / "vault").as_uri())
    assert isinstance(vault, LocalVault)
    source = tmp_path / "DSC_9999.NEF"
    source.write_bytes(os.urandom(1024 * 1024))

    with pytest.raises(VaultFull) as raised:
        vault.put_file(source)

    message = str(raised.value)
    assert str(vault.root) in message
    assert str(source) in message
    assert "free space" in message
    assert "nothing was stored" in message
    assert partials(vault) == []
    assert list(vault.iter_blobs()) == []
    assert list((vault.root / "blobs").iterdir()) == []


def test_read_only_filesystem(tmpfs: Callable[..., Path]) -> None:
    mount = tmpfs("1m")
    vault = open_vault((mount / "vault").as_uri())
    assert isinstance(vault, LocalVault)
    vault.put_bytes(PHOTO)
    result = run_mount("-o", "remount,ro", str(mount))
    if result.returncode != 0:
        pytest.skip(f"remounting read-only is not permitted here: {result.stderr.strip()}")

    with pytest.raises(VaultReadOnly) as raised:
        vault.put_bytes(b"another photo")

    assert str(vault.root) in str(raised.value)
    assert "read-write" in str(raised.value)
    assert open_vault(vault.url).get_bytes(KEY) == PHOTO
    assert vault.sweep_partials(timedelta(0)) == 0


def test_uncreatable_root_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")

    with pytest.raises(VaultError, match="cannot create vault directory") as raised:
        open_vault((blocker / "vault").as_uri())

    assert str(blocker) in str(raised.value)


def test_read_only_parent_is_vault_read_only(tmpfs: Callable[..., Path]) -> None:
    mount = tmpfs("64k")
    result = run_mount("-o", "remount,ro", str(mount))
    if result.returncode != 0:
        pytest.skip(f"remounting read-only is not permitted here: {result.stderr.strip()}")

    with pytest.raises(VaultReadOnly, match="cannot create vault directory"):
        open_vault((mount / "vault").as_uri())


def test_sweep_partials_removes_only_old_temp_files(local: LocalVault) -> None:
    tmp = local.root / "tmp"
    old = tmp / "put-old.part"
    fresh = tmp / "put-fresh.part"
    foreign = tmp / "notes.txt"
    for path in (old, fresh, foreign):
        path.write_bytes(b"partial")
    an_hour_ago = time.time() - 3600
    os.utime(old, (an_hour_ago, an_hour_ago))
    os.utime(foreign, (an_hour_ago, an_hour_ago))

    assert local.sweep_partials(timedelta(minutes=10)) == 1

    assert sorted(p.name for p in tmp.iterdir()) == ["notes.txt", "put-fresh.part"]
    assert local.sweep_partials(timedelta(0)) == 1
    assert sorted(p.name for p in tmp.iterdir()) == ["notes.txt"]


def test_opening_does_not_sweep(local: LocalVault) -> None:
    stale = local.root / "tmp" / "put-crashed.part"
    stale.write_bytes(b"half a photo")
    os.utime(stale, (0, 0))

    open_vault(local.url)

    assert stale.exists()


def test_iter_blobs_skips_strays(local: LocalVault) -> None:
    local.put_bytes(PHOTO)
    shard = local.blob_path(KEY).parent
    (shard / "README").write_text("not a blob")
    (shard / ("f" * 64)).write_bytes(b"a blob in the wrong shard")
    (local.root / "blobs" / "zz").mkdir()

    assert list(local.iter_blobs()) == [KEY]

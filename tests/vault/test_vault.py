"""The Vault contract, run against every backend through the parametrised `vault` fixture."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest

from trousseau.errors import BlobCorrupt, BlobMissing, ChecksumMismatch, InputUnreadable, VaultError
from trousseau.vault import BlobInfo, Vault
from trousseau.vault.blob import CHUNK_SIZE


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


PHOTO = b"\xff\xd8\xff\xe0" + os.urandom(3000) + b"\xff\xd9"
ABSENT = sha(b"never stored")


def test_backends_satisfy_the_protocol(vault: Vault) -> None:
    assert isinstance(vault, Vault)
    assert "secret" not in vault.url


def test_put_bytes_round_trip(vault: Vault) -> None:
    info = vault.put_bytes(PHOTO)

    assert info == BlobInfo(sha256=sha(PHOTO), size=len(PHOTO), created=True)
    assert vault.get_bytes(info.sha256) == PHOTO
    assert vault.exists(info.sha256)
    assert vault.size(info.sha256) == len(PHOTO)
    assert vault.verify(info.sha256) == len(PHOTO)


def test_put_file_streams_several_chunks(vault: Vault, tmp_path: Path) -> None:
    data = os.urandom(2 * CHUNK_SIZE + 12345)
    source = tmp_path / "DSC_0001.NEF"
    source.write_bytes(data)

    info = vault.put_file(source, expected_sha256=sha(data))

    assert info == BlobInfo(sha256=sha(data), size=len(data), created=True)
    assert vault.get_bytes(info.sha256) == data
    assert vault.verify(info.sha256) == len(data)


def test_empty_blob_is_a_blob(vault: Vault) -> None:
    info = vault.put_bytes(b"")

    assert info.size == 0
    assert vault.get_bytes(info.sha256) == b""


def test_same_bytes_twice_are_stored_once(vault: Vault, tmp_path: Path) -> None:
    source = tmp_path / "copy.jpg"
    source.write_bytes(PHOTO)

    first = vault.put_bytes(PHOTO)
    second = vault.put_file(source)
    third = vault.put_bytes(PHOTO, expected_sha256=sha(PHOTO))

    assert first.created
    assert (second.created, third.created) == (False, False)
    assert second.sha256 == third.sha256 == first.sha256
    assert second.size == third.size == len(PHOTO)
    assert list(vault.iter_blobs()) == [first.sha256]
    assert vault.get_bytes(first.sha256) == PHOTO


def test_concurrent_puts_of_one_blob_create_it_once(vault: Vault) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        infos = list(pool.map(lambda _: vault.put_bytes(PHOTO), range(16)))

    created = sum(info.created for info in infos)
    if vault.url.startswith("s3://"):
        # moto checks If-None-Match and then stores, without a lock, so two racing creates
        # can both succeed there (with identical bytes); S3 itself arbitrates atomically.
        assert created >= 1
    else:
        assert created == 1
    assert vault.get_bytes(sha(PHOTO)) == PHOTO


def test_expected_hash_mismatch_stores_nothing(vault: Vault, tmp_path: Path) -> None:
    source = tmp_path / "IMG_0042.HEIC"
    source.write_bytes(PHOTO)
    wrong = sha(b"what the client claimed")

    with pytest.raises(ChecksumMismatch) as raised:
        vault.put_file(source, expected_sha256=wrong)

    # the caller's error, not a damaged store: no vault alarm, no 500
    assert not isinstance(raised.value, VaultError)
    message = str(raised.value)
    assert str(source) in message
    assert wrong in message
    assert sha(PHOTO) in message
    assert not vault.exists(sha(PHOTO))
    assert list(vault.iter_blobs()) == []


def test_expected_hash_mismatch_on_bytes(vault: Vault) -> None:
    with pytest.raises(ChecksumMismatch, match="nothing was stored"):
        vault.put_bytes(PHOTO, expected_sha256=ABSENT)

    assert not vault.exists(sha(PHOTO))
    assert list(vault.iter_blobs()) == []


def test_missing_blob(vault: Vault) -> None:
    assert not vault.exists(ABSENT)
    with pytest.raises(BlobMissing, match=ABSENT):
        vault.get_bytes(ABSENT)
    with pytest.raises(BlobMissing, match=ABSENT):
        vault.get_bytes(ABSENT, verify=False)
    with pytest.raises(BlobMissing):
        vault.size(ABSENT)
    with pytest.raises(BlobMissing):
        vault.verify(ABSENT)


def test_tampered_blob_is_detected(vault: Vault, tamper: Callable[[str, bytes], None]) -> None:
    key = vault.put_bytes(PHOTO).sha256
    rotten = bytearray(PHOTO)
    rotten[100] ^= 0x01
    tamper(key, bytes(rotten))

    with pytest.raises(BlobCorrupt) as raised:
        vault.get_bytes(key)
    assert key in str(raised.value)
    assert sha(bytes(rotten)) in str(raised.value)
    assert "restore it from backup" in str(raised.value)
    with pytest.raises(BlobCorrupt):
        vault.verify(key)
    assert vault.get_bytes(key, verify=False) == bytes(rotten)


def test_truncated_blob_is_not_deduplicated_against(
    vault: Vault, tamper: Callable[[str, bytes], None]
) -> None:
    key = vault.put_bytes(PHOTO).sha256
    tamper(key, PHOTO[:-10])

    with pytest.raises(BlobCorrupt, match="already exists") as raised:
        vault.put_bytes(PHOTO)

    assert f"{len(PHOTO) - 10} bytes instead of {len(PHOTO)}" in str(raised.value)
    assert vault.get_bytes(key, verify=False) == PHOTO[:-10]


def test_iter_blobs_lists_every_blob(vault: Vault) -> None:
    blobs = [os.urandom(100 + n) for n in range(20)]
    for data in blobs:
        vault.put_bytes(data)

    listed = list(vault.iter_blobs())

    assert sorted(listed) == sorted(sha(data) for data in blobs)
    assert listed == sorted(listed)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "abc",
        ABSENT.upper(),
        ABSENT[:-1],
        ABSENT + "0",
        "../../../../etc/passwd" + "0" * 42,
        "g" * 64,
        ABSENT[:32] + "/" + ABSENT[33:],
    ],
)
def test_malformed_sha256_is_refused(vault: Vault, bad: str) -> None:
    for call in (vault.get_bytes, vault.exists, vault.size, vault.verify):
        with pytest.raises(ValueError, match="64 lowercase hex"):
            call(bad)
    with pytest.raises(ValueError, match="expected_sha256"):
        vault.put_bytes(PHOTO, expected_sha256=bad)
    assert list(vault.iter_blobs()) == []


def test_unreadable_source_blames_the_input_not_the_vault(vault: Vault, tmp_path: Path) -> None:
    missing = tmp_path / "not-there.jpg"

    with pytest.raises(InputUnreadable, match=r"not-there\.jpg") as raised:
        vault.put_file(missing)

    assert isinstance(raised.value.__cause__, FileNotFoundError)
    assert list(vault.iter_blobs()) == []


def test_sweep_partials_never_touches_blobs(vault: Vault) -> None:
    key = vault.put_bytes(PHOTO).sha256

    assert vault.sweep_partials(timedelta(0)) == 0
    assert vault.get_bytes(key) == PHOTO
    with pytest.raises(ValueError, match="negative"):
        vault.sweep_partials(timedelta(seconds=-1))


def test_close_is_idempotent(vault: Vault) -> None:
    vault.close()
    vault.close()


def test_repair_replaces_a_damaged_copy_and_keeps_it_aside(
    vault: Vault, tamper: Callable[[str, bytes], None], tmp_path: Path
) -> None:
    """What a restore from backup does to a blob `trousseau verify` found damaged (a put
    alone keeps the stored copy: the blob could never be mended)."""
    digest = vault.put_bytes(PHOTO).sha256
    good = tmp_path / "good"
    good.write_bytes(PHOTO)
    assert vault.repair(good, digest) is False  # whole: left alone
    tamper(digest, b"rot" + PHOTO[3:])
    with pytest.raises(BlobCorrupt):
        vault.verify(digest)
    assert vault.repair(good, digest) is True
    assert vault.verify(digest) == len(PHOTO)
    assert vault.get_bytes(digest) == PHOTO
    assert list(vault.iter_blobs()) == [digest]  # the damaged copy is kept outside the blobs
    with pytest.raises(ChecksumMismatch):
        vault.repair(good, ABSENT)  # only the bytes of that blob mend it


def test_repair_puts_back_a_missing_blob(vault: Vault, tmp_path: Path) -> None:
    good = tmp_path / "good"
    good.write_bytes(PHOTO)
    assert vault.repair(good, sha(PHOTO)) is True
    assert vault.get_bytes(sha(PHOTO)) == PHOTO

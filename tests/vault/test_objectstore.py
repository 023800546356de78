"""What only an object store can show: key layout, conditional create, bucket errors."""

from __future__ import annotations

import hashlib
import os

import obstore
import pytest
from obstore.exceptions import AlreadyExistsError
from obstore.store import S3Store

from trousseau.errors import BlobCorrupt, VaultError
from trousseau.vault import open_vault
from trousseau.vault.blob import blob_key
from trousseau.vault.objectstore import ObjectStoreVault

from .conftest import REGION, s3_client, s3_url

PHOTO = os.urandom(4096)
KEY = hashlib.sha256(PHOTO).hexdigest()


def open_s3(endpoint: str, bucket: str, prefix: str = "", **kwargs: bool) -> ObjectStoreVault:
    vault = open_vault(s3_url(endpoint, bucket, prefix), **kwargs)
    assert isinstance(vault, ObjectStoreVault)
    return vault


def test_the_s3_server_honours_conditional_create(s3_endpoint: str, s3_bucket: str) -> None:
    """The vault's never-overwrite promise rests on If-None-Match; prove this server keeps it."""
    store = S3Store(
        s3_bucket, endpoint=s3_endpoint, region=REGION, client_options={"allow_http": True}
    )
    obstore.put(store, "probe", b"first", mode="create")

    with pytest.raises(AlreadyExistsError):
        obstore.put(store, "probe", b"second", mode="create")

    assert bytes(obstore.get(store, "probe").bytes()) == b"first"


def test_blobs_live_under_the_prefix(s3_endpoint: str, s3_bucket: str) -> None:
    vault = open_s3(s3_endpoint, s3_bucket, "studio-7/vault")

    vault.put_bytes(PHOTO)

    listing = s3_client(s3_endpoint).list_objects_v2(Bucket=s3_bucket)
    assert [item["Key"] for item in listing["Contents"]] == [
        f"studio-7/vault/blobs/{KEY[:2]}/{KEY[2:4]}/{KEY}"
    ]
    assert vault.url == s3_url(s3_endpoint, s3_bucket, "studio-7/vault")


def test_dedupe_never_overwrites_and_checks_size_only(s3_endpoint: str, s3_bucket: str) -> None:
    """A same-size damaged object is not rewritten by a put; `verify` is what finds it."""
    vault = open_s3(s3_endpoint, s3_bucket)
    vault.put_bytes(PHOTO)
    damaged = bytes(b ^ 0xFF for b in PHOTO)
    obstore.put(vault.store, blob_key(KEY), damaged, mode="overwrite")

    assert not vault.put_bytes(PHOTO).created

    assert vault.get_bytes(KEY, verify=False) == damaged
    with pytest.raises(BlobCorrupt, match=KEY):
        vault.verify(KEY)


def test_prefixes_are_separate_vaults(s3_endpoint: str, s3_bucket: str) -> None:
    one = open_s3(s3_endpoint, s3_bucket, "one")
    two = open_s3(s3_endpoint, s3_bucket, "two")

    one.put_bytes(PHOTO)

    assert list(one.iter_blobs()) == [KEY]
    assert list(two.iter_blobs()) == []
    assert two.put_bytes(PHOTO).created


def test_missing_bucket_is_named(s3_endpoint: str, s3_bucket: str) -> None:
    vault = open_s3(s3_endpoint, s3_bucket + "-gone")

    with pytest.raises(VaultError, match="does not exist") as raised:
        vault.put_bytes(PHOTO)

    assert s3_bucket + "-gone" in str(raised.value)
    assert "nothing was stored" in str(raised.value)
    assert "\n" not in str(raised.value)


def test_writes_without_verification(s3_endpoint: str, s3_bucket: str) -> None:
    vault = open_s3(s3_endpoint, s3_bucket, verify_writes=False)

    assert vault.put_bytes(PHOTO).created
    assert vault.get_bytes(KEY) == PHOTO


def test_uploads_carry_a_sha256_checksum(s3_endpoint: str, s3_bucket: str) -> None:
    """S3 rejects a body damaged in transit only if the PUT names its checksum.

    moto accepts and ignores x-amz-checksum-sha256, so this checks the store's configuration.
    """
    vault = open_s3(s3_endpoint, s3_bucket)

    assert isinstance(vault.store, S3Store)
    assert vault.store.config.get("checksum_algorithm") == "sha256"


def test_memory_vaults_are_independent() -> None:
    one = open_vault("memory://")
    two = open_vault("memory://")

    one.put_bytes(PHOTO)

    assert not two.exists(KEY)

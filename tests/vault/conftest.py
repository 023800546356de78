"""Vault fixtures: the same tests run on a local directory, obstore's memory store, and S3.

S3 is a real S3-compatible HTTP server (moto's, in a thread on 127.0.0.1), spoken to by
obstore exactly as production would; nothing in the request path is mocked.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import obstore
import pytest
from moto.server import ThreadedMotoServer

from trousseau.vault import Vault, open_vault
from trousseau.vault.blob import blob_key
from trousseau.vault.local import LocalVault
from trousseau.vault.objectstore import ObjectStoreVault

REGION = "us-east-1"
_AWS_VARIABLES_TO_CLEAR = (
    "AWS_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_ENDPOINT",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "AWS_CHECKSUM_ALGORITHM",
    "AWS_BUCKET",
    "AWS_BUCKET_NAME",
)


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A moto S3 server for the whole session, on a free port of 127.0.0.1."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_bucket(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh, empty bucket, with dummy AWS credentials in the environment."""
    for name in _AWS_VARIABLES_TO_CLEAR:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "vault-tests")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "vault-tests-secret")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    bucket = f"vault-{uuid.uuid4().hex[:16]}"
    s3_client(s3_endpoint).create_bucket(Bucket=bucket)
    return bucket


def s3_client(endpoint: str) -> Any:
    """A boto3 client for checks that must bypass obstore (bucket creation, raw keys)."""
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="vault-tests",
        aws_secret_access_key="vault-tests-secret",
    )


def s3_url(endpoint: str, bucket: str, prefix: str = "") -> str:
    return f"s3://{bucket}/{prefix}?endpoint={endpoint}&region={REGION}&allow_http=true"


@pytest.fixture(params=["local", "memory", "s3"])
def vault(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Vault]:
    """Each backend in turn, freshly opened and empty."""
    if request.param == "local":
        opened = open_vault((tmp_path / "vault").as_uri())
    elif request.param == "memory":
        opened = open_vault("memory://")
    else:
        endpoint = request.getfixturevalue("s3_endpoint")
        bucket = request.getfixturevalue("s3_bucket")
        opened = open_vault(s3_url(endpoint, bucket, "studio/vault"))
    yield opened
    opened.close()


@pytest.fixture
def tamper(vault: Vault) -> Callable[[str, bytes], None]:
    """Replace a stored blob's bytes behind the vault's back, as rot or a bad restore would."""

    def overwrite(sha256: str, data: bytes) -> None:
        if isinstance(vault, LocalVault):
            path = vault.blob_path(sha256)
            path.chmod(0o644)
            path.write_bytes(data)
            path.chmod(0o444)
        else:
            assert isinstance(vault, ObjectStoreVault)
            obstore.put(vault.store, blob_key(sha256), data, mode="overwrite")

    return overwrite


@pytest.fixture
def local_vault(tmp_path: Path) -> Iterator[LocalVault]:
    """A local vault alone, for what only a directory can do (collect orphans)."""
    opened = open_vault((tmp_path / "local-vault").as_uri())
    assert isinstance(opened, LocalVault)
    yield opened
    opened.close()

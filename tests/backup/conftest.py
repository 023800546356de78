"""Backup fixtures: a real S3-compatible server (moto's, in a thread on 127.0.0.1) that
obstore speaks to exactly as production would; nothing in the request path is mocked."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from trousseau.backup import Repository, init_repository, open_target
from trousseau.vault import Vault, open_vault

REGION = "us-east-1"
ACCESS_KEY = "backup-tests"
SECRET_KEY = "backup-tests-secret-7f3a9"
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
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    bucket = f"backup-{uuid.uuid4().hex[:16]}"
    s3_client(s3_endpoint).create_bucket(Bucket=bucket)
    return bucket


def s3_client(endpoint: str) -> Any:
    """A boto3 client for checks that must bypass obstore (bucket creation, raw keys)."""
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )


def s3_url(endpoint: str, bucket: str, prefix: str = "") -> str:
    """The target URL of `bucket`/`prefix` on the moto server."""
    return f"s3://{bucket}/{prefix}?endpoint={endpoint}&region={REGION}&allow_http=true"


PASSPHRASE = "correct horse battery staple"


@pytest.fixture
def vault(tmp_path: Path) -> Iterator[Vault]:
    """A local vault, empty: the source a backup run reads (test_runs, test_restores)."""
    v = open_vault((tmp_path / "vault").as_uri())
    yield v
    v.close()


@pytest.fixture
def repo(tmp_path: Path, clock: Any) -> Repository:
    """A new repository in a folder, with small packs (modules with targets of their own
    define their own `repo`)."""
    return init_repository(
        open_target(str(tmp_path / "repo")), PASSPHRASE, clock=clock, host="test", pack_size=4096
    )

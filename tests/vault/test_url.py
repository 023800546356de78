"""Vault URLs: the accepted schemes, and messages that never leak a secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from trousseau.errors import VaultError
from trousseau.vault import open_vault
from trousseau.vault.local import LocalVault
from trousseau.vault.objectstore import ObjectStoreVault
from trousseau.vault.url import redact


def test_unknown_scheme_names_the_url_and_the_accepted_schemes() -> None:
    with pytest.raises(VaultError) as raised:
        open_vault("ftp://photos.example.com/vault")

    message = str(raised.value)
    assert "ftp://photos.example.com/vault" in message
    for scheme in ("file://", "s3://", "memory://"):
        assert scheme in message


def test_unknown_scheme_message_hides_the_password() -> None:
    with pytest.raises(VaultError) as raised:
        open_vault("https://studio:hunter2@photos.example.com/vault?token=abc123")

    message = str(raised.value)
    assert "hunter2" not in message
    assert "abc123" not in message
    assert "***@photos.example.com" in message


@pytest.mark.parametrize(
    ("url", "secret"),
    [
        ("s3://AKIAEXAMPLE:wJalrXUtnFEMI@bucket/prefix", "wJalrXUtnFEMI"),
        ("s3://bucket/prefix?secret_access_key=wJalrXUtnFEMI", "wJalrXUtnFEMI"),
        ("s3://bucket?endpoint=http://me:wJalrXUtnFEMI@127.0.0.1:9000", "wJalrXUtnFEMI"),
    ],
)
def test_s3_refuses_secrets_in_the_url(url: str, secret: str) -> None:
    with pytest.raises(VaultError, match="credentials") as raised:
        open_vault(url)

    assert secret not in str(raised.value)


@pytest.mark.parametrize(
    "url",
    [
        "s3:///prefix-without-bucket",
        "s3://bucket?allow_http=perhaps",
        "s3://bucket?region=a&region=b",
        "file://relative/path",
        "file:///",
        "file:///srv/vault?mode=fast",
        "memory://somewhere",
        "vault",
        "",
    ],
)
def test_malformed_urls_are_vault_errors(url: str) -> None:
    with pytest.raises(VaultError):
        open_vault(url)


def test_each_scheme_opens_its_backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "vault-tests")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "vault-tests-secret")

    assert isinstance(open_vault(tmp_path.as_uri()), LocalVault)
    assert isinstance(open_vault("memory://"), ObjectStoreVault)
    s3 = open_vault("s3://bucket/a/b?endpoint=https://s3.example.com&region=eu-west-3")
    assert isinstance(s3, ObjectStoreVault)
    assert s3.url == "s3://bucket/a/b?endpoint=https://s3.example.com&region=eu-west-3"


def test_redact_keeps_safe_parts() -> None:
    url = "s3://bucket/p?endpoint=http://127.0.0.1:9000&region=us-east-1&allow_http=true"

    assert redact(url) == url
    assert redact("postgresql://u:p@db/x") == "postgresql://***@db/x"

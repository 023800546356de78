"""Vault URLs: which backend a settings string names, and how to show it without secrets.

Accepted forms::

    file:///absolute/path
    memory://
    s3://bucket[/prefix][?endpoint=https://host:port&region=eu-west-3&allow_http=true]

Credentials never travel in the URL: S3 reads them from the standard ``AWS_*`` environment
variables (obstore's own lookup), so a URL is always safe to log.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from obstore.exceptions import BaseError
from obstore.store import MemoryStore, S3Store

from trousseau.errors import VaultError
from trousseau.vault.local import LocalVault
from trousseau.vault.objectstore import ObjectStoreVault

if TYPE_CHECKING:
    from trousseau.vault.protocol import Vault

ACCEPTED = (
    "file:///absolute/path, memory://, or s3://bucket/prefix?endpoint=…&region=…&allow_http=true"
)
S3_OPTIONS = ("endpoint", "region", "allow_http")
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


def open_vault(url: str, *, verify_writes: bool = True, replicas: Sequence[str] = ()) -> Vault:
    """Open the vault named by `url`; VaultError (naming the redacted URL) if it cannot be.

    `verify_writes` re-checks every write before it is acknowledged: a device re-read for
    local directories, a size check for object stores (see each backend for the cost).
    With `replicas`, every write goes to each of them too before it is acknowledged.
    """
    if replicas:
        from trousseau.vault.replicated import ReplicatedVault

        primary = open_vault(url, verify_writes=verify_writes)
        return ReplicatedVault(
            primary, [open_vault(r, verify_writes=verify_writes) for r in replicas]
        )
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "file":
        return LocalVault(_file_root(url), verify_writes=verify_writes)
    if scheme == "memory":
        if parts.netloc or parts.path or parts.query:
            raise VaultError(
                f"vault URL {redact(url)}: a memory vault takes no path; use memory://"
            )
        return ObjectStoreVault(MemoryStore(), url="memory://", verify_writes=verify_writes)
    if scheme == "s3":
        return _open_s3(url, verify_writes=verify_writes)
    raise VaultError(f"unsupported vault URL {redact(url)}: use {ACCEPTED}")


def redact(url: str) -> str:
    """`url` with any user info and any query value other than the S3 options masked."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if "@" in netloc:
            netloc = "***@" + netloc.rpartition("@")[2]
        query = [
            (key, _redact_option(key, value))
            for key, value in parse_qsl(parts.query, keep_blank_values=True)
        ]
        return urlunsplit(
            (parts.scheme, netloc, parts.path, urlencode(query, safe="/:*"), parts.fragment)
        )
    except ValueError:
        return "<unparseable URL>"


def _redact_option(key: str, value: str) -> str:
    if key == "endpoint":
        return redact(value)
    return value if key in S3_OPTIONS else "***"


def _file_root(url: str) -> Path:
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost") or parts.query or parts.fragment:
        raise VaultError(
            f"vault URL {redact(url)} must be file:///absolute/path (three slashes, no host, "
            "no query)"
        )
    root = Path(unquote(parts.path))
    if not root.is_absolute() or not parts.path.strip("/"):
        raise VaultError(f"vault URL {redact(url)} must name an absolute directory below /")
    return root


def _open_s3(url: str, *, verify_writes: bool) -> ObjectStoreVault:
    parts = urlsplit(url)
    shown = redact(url)
    if "@" in parts.netloc:
        raise VaultError(
            f"vault URL {shown} carries credentials: remove them and set AWS_ACCESS_KEY_ID / "
            "AWS_SECRET_ACCESS_KEY in the environment instead"
        )
    bucket = parts.netloc
    if not bucket:
        raise VaultError(f"vault URL {shown} names no bucket: use s3://bucket/prefix")
    options: dict[str, str] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key not in S3_OPTIONS:
            raise VaultError(
                f"vault URL {shown} has an unknown option {key!r}: only {', '.join(S3_OPTIONS)} "
                "are accepted (credentials belong in AWS_* environment variables)"
            )
        if key in options:
            raise VaultError(f"vault URL {shown} gives {key!r} twice")
        options[key] = value
    config: dict[str, Any] = {"checksum_algorithm": "sha256"}
    if options.get("endpoint"):
        if "@" in urlsplit(options["endpoint"]).netloc:
            raise VaultError(f"vault URL {shown}: the endpoint must not carry credentials")
        config["endpoint"] = options["endpoint"]
    if options.get("region"):
        config["region"] = options["region"]
    allow_http = options.get("allow_http", "false").lower()
    if allow_http not in _TRUE | _FALSE:
        raise VaultError(f"vault URL {shown}: allow_http must be true or false")
    prefix = unquote(parts.path).strip("/") or None
    try:
        store = S3Store(
            bucket,
            prefix=prefix,
            client_options={"allow_http": allow_http in _TRUE},
            **config,
        )
    except (BaseError, ValueError) as exc:
        raise VaultError(f"cannot configure vault {shown}: {str(exc).splitlines()[0]}") from exc
    return ObjectStoreVault(store, url=shown, verify_writes=verify_writes)

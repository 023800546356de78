"""The repository's cryptography: sealing, key derivation, chunk ids, key files.

Pure functions over bytes: no file or network I/O, and randomness comes from an injectable
`randbytes` (os.urandom by default) so tests can pin it.

- **Sealing** is AES-256-GCM: a fresh 12-byte random nonce, then the ciphertext and its
  16-byte tag. A 96-bit random nonce stays safe for 2**32 seals under one key (NIST
  SP 800-38D); a repository's keys seal far fewer files and chunks than that, and every
  wedding has its own data key.
- **The master key** is 32 random bytes. Every other repository key is derived from it with
  HKDF-SHA256 under a purpose string (`MasterKey.subkey`), so one secret in one key file
  opens everything and no two purposes ever share a key.
- **Chunk ids** are HMAC-SHA256 under a per-tenant key: a plain SHA-256 would tell whoever
  reads the bucket that a studio holds a photo whose hash they know, and would let two
  studios' chunks be matched against each other.
- **Data keys** (one per wedding) are wrapped by AES-256-GCM with the associated data
  ``b"key"`` rather than RFC 3394 key wrap: one authenticated primitive throughout the
  repository, with a random nonce, so wrapping the same key twice gives different bytes.
- **A key file** seals the master key under a key derived from the passphrase by scrypt
  (N = 2**17, r = 8, p = 1: 128 MiB and about 0.3 s on a 2-core machine, so each guess costs
  an attacker the same). It is JSON, so `backup key list` can show when and where it was
  made without the passphrase.

The passphrase is never stored, logged or put in a message: only the key it derives is used.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from trousseau.errors import InvalidValue, RepositoryCorrupt, WrongPassphrase

KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
SEAL_OVERHEAD = NONCE_BYTES + TAG_BYTES
"""What sealing adds to a plaintext's length."""

KEY_FILE_VERSION = 1
SCRYPT_N = 2**17
"""scrypt's cost: 128 MiB of memory and about 0.3 s per opening (measured on 2 cores)."""
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16

_MIN_N = 2**10
_MAX_N = 2**22
_MAX_SCRYPT_MEMORY = 1024**3
"""A key file asking for more than this (128 * n * r bytes) is refused as damaged or hostile
instead of exhausting memory: trousseau never writes one."""

_WRAP_AAD = b"key"
_KEY_FILE_AAD = b"trousseau-backup:key-file:1"
_CHECK_INFO = b"trousseau-backup:passphrase-check"
_CHECK_BYTES = 16
_SUBKEY_INFO = b"trousseau-backup:"

RandBytes = Callable[[int], bytes]


# --- sealing ----------------------------------------------------------------------------------


def seal(
    key: bytes,
    plaintext: bytes | memoryview,
    *,
    aad: bytes = b"",
    randbytes: RandBytes = os.urandom,
) -> bytes:
    """`plaintext` encrypted and authenticated under `key`: nonce || ciphertext || tag.

    `aad` is authenticated but not stored: unsealing needs the same bytes, which binds a
    sealed file to its role (a pack header cannot be passed off as a snapshot).
    """
    nonce = randbytes(NONCE_BYTES)
    if len(nonce) != NONCE_BYTES:
        raise ValueError(f"randbytes gave {len(nonce)} bytes for a {NONCE_BYTES}-byte nonce")
    return nonce + AESGCM(_check_key(key)).encrypt(nonce, plaintext, aad)


def unseal(key: bytes, sealed: bytes, *, what: str, aad: bytes = b"") -> bytes:
    """The plaintext `seal` sealed; RepositoryCorrupt naming `what` if it does not open."""
    if len(sealed) < SEAL_OVERHEAD:
        raise RepositoryCorrupt(
            f"{what} does not decrypt: {len(sealed)} bytes is shorter than any sealed data "
            f"({SEAL_OVERHEAD} bytes at least); it is damaged or truncated: restore it from "
            "a replica target"
        )
    try:
        return AESGCM(_check_key(key)).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], aad)
    except InvalidTag:
        raise RepositoryCorrupt(
            f"{what} does not decrypt: its bytes are damaged or not this repository's "
            "(authentication failed); restore it from a replica target"
        ) from None


def _check_key(key: bytes) -> bytes:
    if len(key) != KEY_BYTES:
        raise ValueError(f"a key is {KEY_BYTES} bytes, got {len(key)}")
    return key


# --- keys -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MasterKey:
    """The repository's one secret; every other key is derived from it or wrapped by it."""

    secret: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.secret) != KEY_BYTES:
            raise ValueError(f"a master key is {KEY_BYTES} bytes, got {len(self.secret)}")

    def subkey(self, purpose: str) -> bytes:
        """The 32-byte key for `purpose` (HKDF-SHA256, info ``trousseau-backup:<purpose>``).

        Deterministic: the same master and purpose give the same key on every host.
        """
        return HKDF(
            algorithm=hashes.SHA256(),
            length=KEY_BYTES,
            salt=None,
            info=_SUBKEY_INFO + purpose.encode(),
        ).derive(self.secret)


def new_master_key(*, randbytes: RandBytes = os.urandom) -> MasterKey:
    """A fresh random master key, for a new repository."""
    return MasterKey(randbytes(KEY_BYTES))


def new_data_key(*, randbytes: RandBytes = os.urandom) -> bytes:
    """A fresh random key for one wedding's data."""
    key = randbytes(KEY_BYTES)
    return _check_key(key)


def chunk_id(id_key: bytes, data: bytes | memoryview) -> str:
    """The chunk's name: HMAC-SHA256 of its plaintext under `id_key`, in hex.

    Callers derive `id_key` per tenant (``master.subkey(f"chunk-id:{tenant}")``), so equal
    chunks dedup within a studio while the bucket reveals no plaintext hash.
    """
    return hmac.new(id_key, data, hashlib.sha256).hexdigest()


def wrap_key(wrapping: bytes, key: bytes, *, what: str, randbytes: RandBytes = os.urandom) -> bytes:
    """`key` sealed by `wrapping` (AES-256-GCM, associated data ``b"key"``); 60 bytes."""
    if len(key) != KEY_BYTES:
        raise ValueError(f"{what}: a key to wrap is {KEY_BYTES} bytes, got {len(key)}")
    return seal(wrapping, key, aad=_WRAP_AAD, randbytes=randbytes)


def unwrap_key(wrapping: bytes, wrapped: bytes, *, what: str) -> bytes:
    """The key `wrap_key` wrapped; RepositoryCorrupt naming `what` if it does not open."""
    key = unseal(wrapping, wrapped, what=what, aad=_WRAP_AAD)
    if len(key) != KEY_BYTES:
        raise RepositoryCorrupt(
            f"{what} holds a {len(key)}-byte key instead of {KEY_BYTES}: it is damaged; "
            "restore it from a replica target"
        )
    return key


# --- key files --------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyFileInfo:
    """What a key file says about itself in clear: enough to list keys, nothing to open one."""

    created: datetime
    host: str
    n: int
    r: int
    p: int


def make_key_file(
    master: MasterKey,
    passphrase: str,
    *,
    created: datetime,
    host: str,
    n: int = SCRYPT_N,
    randbytes: RandBytes = os.urandom,
) -> bytes:
    """A key file (JSON bytes) opening `master` with `passphrase`.

    `n` is scrypt's cost; keep the default outside tests. InvalidValue for an empty
    passphrase or a naive `created`.
    """
    if not passphrase:
        raise InvalidValue("an empty passphrase cannot protect a backup repository: set one")
    if created.tzinfo is None:
        raise InvalidValue(f"key file time {created.isoformat()} has no time zone: give UTC")
    problem = _cost_problem(n, SCRYPT_R, SCRYPT_P)
    if problem:
        raise InvalidValue(f"cannot make a key file: {problem}")
    salt = randbytes(SALT_BYTES)
    kek = _derive(passphrase, salt, n, SCRYPT_R, SCRYPT_P)
    body = {
        "version": KEY_FILE_VERSION,
        "kdf": "scrypt",
        "n": n,
        "r": SCRYPT_R,
        "p": SCRYPT_P,
        "salt": _b64(salt),
        "check": _b64(_check_value(kek)),
        "data": _b64(seal(kek, master.secret, aad=_KEY_FILE_AAD, randbytes=randbytes)),
        "created": created.isoformat(),
        "host": host,
    }
    return json.dumps(body, indent=1, sort_keys=True).encode()


def open_key_file(data: bytes, passphrase: str, *, what: str) -> MasterKey:
    """The master key in key file `data`.

    WrongPassphrase if `passphrase` does not open it; RepositoryCorrupt naming `what` if the
    file is not a key file, or the passphrase is right (its check value matches) but the
    sealed key is damaged.
    """
    body = _parse(data, what)
    n, r, p = _int(body, "n", what), _int(body, "r", what), _int(body, "p", what)
    problem = _cost_problem(n, r, p)
    if problem:
        raise _malformed(what, problem)
    salt, check, sealed = (_bytes(body, name, what) for name in ("salt", "check", "data"))
    if len(salt) < SALT_BYTES or len(check) != _CHECK_BYTES:
        raise _malformed(what, "its salt or check field has the wrong length")
    kek = _derive(passphrase, salt, n, r, p)
    if not hmac.compare_digest(_check_value(kek), check):
        raise WrongPassphrase(
            f"the passphrase does not open {what}: check TROUSSEAU_BACKUP__PASSPHRASE or "
            "backup.passphrase_file"
        )
    secret = unseal(kek, sealed, what=what, aad=_KEY_FILE_AAD)
    if len(secret) != KEY_BYTES:
        raise RepositoryCorrupt(f"{what} seals a {len(secret)}-byte master key: it is damaged")
    return MasterKey(secret)


def read_key_file_info(data: bytes, *, what: str) -> KeyFileInfo:
    """The clear fields of key file `data`; RepositoryCorrupt naming `what` if malformed."""
    body = _parse(data, what)
    created = body.get("created")
    host = body.get("host")
    if not isinstance(created, str) or not isinstance(host, str):
        raise _malformed(what, "its created or host field is missing")
    try:
        when = datetime.fromisoformat(created)
    except ValueError:
        raise _malformed(what, f"created {created[:40]!r} is not a time") from None
    return KeyFileInfo(
        created=when,
        host=host,
        n=_int(body, "n", what),
        r=_int(body, "r", what),
        p=_int(body, "p", what),
    )


def _derive(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    """The key-encryption key: scrypt over the NFC form of the passphrase (the same words
    typed on macOS and on Linux are the same bytes)."""
    secret = unicodedata.normalize("NFC", passphrase).encode()
    return Scrypt(salt=salt, length=KEY_BYTES, n=n, r=r, p=p).derive(secret)


def _check_value(kek: bytes) -> bytes:
    """Tells a wrong passphrase from a damaged key file; costs an attacker a full scrypt per
    guess like the sealed key itself does."""
    return hmac.new(kek, _CHECK_INFO, hashlib.sha256).digest()[:_CHECK_BYTES]


def _cost_problem(n: int, r: int, p: int) -> str | None:
    """Why scrypt parameters are refused, or None."""
    if n < _MIN_N or n > _MAX_N or n & (n - 1):
        return f"scrypt n={n} is not a power of two in [2**10, 2**22]"
    if not 1 <= r <= 32 or not 1 <= p <= 16 or 128 * n * r > _MAX_SCRYPT_MEMORY:
        return f"scrypt r={r}, p={p} with n={n} are out of bounds"
    return None


def _parse(data: bytes, what: str) -> dict[str, Any]:
    try:
        body = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise _malformed(what, "it is not JSON") from None
    if not isinstance(body, dict):
        raise _malformed(what, "it is not a JSON object")
    if body.get("version") != KEY_FILE_VERSION:
        raise _malformed(
            what,
            f"version {str(body.get('version'))[:20]!r}, this trousseau reads version "
            f"{KEY_FILE_VERSION}",
        )
    if body.get("kdf") != "scrypt":
        raise _malformed(what, f"key derivation {str(body.get('kdf'))[:20]!r} is not scrypt")
    return body


def _int(body: dict[str, Any], name: str, what: str) -> int:
    value = body.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise _malformed(what, f"its {name} field is not an integer")
    return value


def _bytes(body: dict[str, Any], name: str, what: str) -> bytes:
    value = body.get(name)
    if not isinstance(value, str):
        raise _malformed(what, f"its {name} field is missing")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise _malformed(what, f"its {name} field is not base64") from None


def _malformed(what: str, why: str) -> RepositoryCorrupt:
    return RepositoryCorrupt(
        f"{what} is not a readable key file ({why}): restore keys/ from a replica target"
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()

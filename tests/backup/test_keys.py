"""The repository's cryptography: sealing, derivation, chunk ids, wrapping, key files."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime

import pytest

from trousseau.backup.keys import (
    KEY_BYTES,
    SCRYPT_N,
    SEAL_OVERHEAD,
    MasterKey,
    chunk_id,
    make_key_file,
    new_data_key,
    new_master_key,
    open_key_file,
    read_key_file_info,
    seal,
    unseal,
    unwrap_key,
    wrap_key,
)
from trousseau.errors import InvalidValue, RepositoryCorrupt, WrongPassphrase

FAST_N = 2**10
PASSPHRASE = "Blé d'or & tulle, 14 juin"
CREATED = datetime(2026, 6, 6, 14, 0, tzinfo=UTC)
KEY = bytes(range(32))
OTHER = bytes(range(1, 33))


def key_file(master: MasterKey, passphrase: str = PASSPHRASE) -> bytes:
    return make_key_file(master, passphrase, created=CREATED, host="studio-nas", n=FAST_N)


# --- sealing ----------------------------------------------------------------------------------


def test_seal_round_trip_and_layout() -> None:
    sealed = seal(KEY, b"photo bytes", aad=b"pack")
    assert len(sealed) == len(b"photo bytes") + SEAL_OVERHEAD
    assert b"photo bytes" not in sealed
    assert unseal(KEY, sealed, what="packs/ab/x", aad=b"pack") == b"photo bytes"
    assert unseal(KEY, seal(KEY, b""), what="x") == b""


def test_nonce_comes_first_and_is_fresh() -> None:
    sealed = seal(KEY, b"same", randbytes=lambda n: b"\x07" * n)
    assert sealed[:12] == b"\x07" * 12
    assert seal(KEY, b"same") != seal(KEY, b"same")


@pytest.mark.parametrize(
    "change",
    [
        lambda s: s[:-1] + bytes([s[-1] ^ 1]),  # tag
        lambda s: s[:12] + bytes([s[12] ^ 1]) + s[13:],  # ciphertext
        lambda s: bytes([s[0] ^ 1]) + s[1:],  # nonce
        lambda s: s[:-1],  # truncated
        lambda s: s[:5],  # shorter than a nonce and a tag
    ],
)
def test_damage_is_repository_corrupt_naming_the_file(change: object) -> None:
    sealed = seal(KEY, b"snapshot body")
    with pytest.raises(RepositoryCorrupt, match=r"snapshots/abc does not decrypt.*damaged"):
        unseal(KEY, change(sealed), what="snapshots/abc")  # type: ignore[operator]


def test_wrong_key_or_aad_does_not_open() -> None:
    sealed = seal(KEY, b"x", aad=b"index")
    with pytest.raises(RepositoryCorrupt, match="not this repository's"):
        unseal(OTHER, sealed, what="index/1", aad=b"index")
    with pytest.raises(RepositoryCorrupt):
        unseal(KEY, sealed, what="index/1", aad=b"snapshot")


def test_key_length_is_checked() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        seal(KEY[:16], b"x")


# --- keys -------------------------------------------------------------------------------------


def test_subkeys_are_deterministic_distinct_and_32_bytes() -> None:
    master = MasterKey(KEY)
    assert master.subkey("index") == MasterKey(KEY).subkey("index")
    assert len(master.subkey("index")) == KEY_BYTES
    purposes = ["index", "config", "chunk-id:studio-a", "chunk-id:studio-b", ""]
    assert len({master.subkey(p) for p in purposes}) == len(purposes)
    assert MasterKey(OTHER).subkey("index") != master.subkey("index")


def test_subkey_is_hkdf_sha256_with_the_documented_info() -> None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    expected = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"trousseau-backup:index"
    ).derive(KEY)
    assert MasterKey(KEY).subkey("index") == expected


def test_master_key_never_shows_its_secret() -> None:
    master = MasterKey(KEY)
    assert KEY.hex() not in repr(master)
    assert repr(KEY) not in repr(master)
    with pytest.raises(ValueError):
        MasterKey(b"short")


def test_new_keys_are_random() -> None:
    assert new_master_key() != new_master_key()
    assert len(new_master_key().secret) == KEY_BYTES
    assert len({new_data_key() for _ in range(5)}) == 5
    assert new_data_key(randbytes=lambda n: b"\x01" * n) == b"\x01" * 32


def test_chunk_id_is_keyed() -> None:
    master = MasterKey(KEY)
    studio_a, studio_b = master.subkey("chunk-id:a"), master.subkey("chunk-id:b")
    data = b"the same chunk"
    assert chunk_id(studio_a, data) == chunk_id(studio_a, data)
    assert chunk_id(studio_a, data) != chunk_id(studio_b, data)
    assert len(chunk_id(studio_a, data)) == 64
    import hashlib

    assert chunk_id(studio_a, data) != hashlib.sha256(data).hexdigest()


def test_wrap_round_trip_and_damage() -> None:
    data_key = new_data_key()
    wrapped = wrap_key(KEY, data_key, what="datakeys/t/w")
    assert data_key not in wrapped
    assert unwrap_key(KEY, wrapped, what="datakeys/t/w") == data_key
    assert wrap_key(KEY, data_key, what="w") != wrapped
    with pytest.raises(RepositoryCorrupt, match="datakeys/t/w"):
        unwrap_key(OTHER, wrapped, what="datakeys/t/w")
    # a plain seal (no "key" aad) is not a wrapped key
    with pytest.raises(RepositoryCorrupt):
        unwrap_key(KEY, seal(KEY, data_key), what="w")
    with pytest.raises(RepositoryCorrupt, match="16-byte key"):
        unwrap_key(KEY, seal(KEY, b"x" * 16, aad=b"key"), what="w")
    with pytest.raises(ValueError):
        wrap_key(KEY, b"short", what="w")


# --- key files --------------------------------------------------------------------------------


def test_key_file_round_trip_and_fields() -> None:
    master = new_master_key()
    data = key_file(master)
    assert open_key_file(data, PASSPHRASE, what="keys/1") == master
    body = json.loads(data)
    assert body["version"] == 1
    assert body["kdf"] == "scrypt"
    assert (body["n"], body["r"], body["p"]) == (FAST_N, 8, 1)
    assert len(base64.b64decode(body["salt"])) == 16
    assert body["created"] == CREATED.isoformat()
    assert body["host"] == "studio-nas"
    assert master.secret not in base64.b64decode(body["data"])
    info = read_key_file_info(data, what="keys/1")
    assert (info.created, info.host, info.n) == (CREATED, "studio-nas", FAST_N)


def test_same_master_two_key_files_differ() -> None:
    master = new_master_key()
    one, two = key_file(master), key_file(master)
    assert json.loads(one)["salt"] != json.loads(two)["salt"]
    assert open_key_file(two, PASSPHRASE, what="k") == master


def test_passphrase_is_normalised() -> None:
    master = new_master_key()
    composed = "mari\u00e9e"  # é as one code point (macOS keyboards differ)
    decomposed = "marie\u0301e"
    assert open_key_file(key_file(master, composed), decomposed, what="k") == master


def test_wrong_passphrase_never_shows_it() -> None:
    data = key_file(new_master_key())
    with pytest.raises(WrongPassphrase) as caught:
        open_key_file(data, PASSPHRASE + "!", what="/backups/keys/abc")
    message = str(caught.value)
    assert "does not open /backups/keys/abc" in message
    assert "TROUSSEAU_BACKUP__PASSPHRASE" in message
    assert PASSPHRASE not in message
    assert PASSPHRASE not in repr(caught.value)
    assert PASSPHRASE.encode() not in data
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None


def test_damaged_sealed_key_is_corrupt_not_wrong_passphrase() -> None:
    body = json.loads(key_file(new_master_key()))
    sealed = bytearray(base64.b64decode(body["data"]))
    sealed[20] ^= 1
    body["data"] = base64.b64encode(bytes(sealed)).decode()
    with pytest.raises(RepositoryCorrupt, match="keys/x does not decrypt") as caught:
        open_key_file(json.dumps(body).encode(), PASSPHRASE, what="keys/x")
    assert PASSPHRASE not in str(caught.value)


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda b: b"not json", "not JSON"),
        (lambda b: b"[1, 2]", "not a JSON object"),
        (lambda b: {**b, "version": 2}, "version"),
        (lambda b: {**b, "kdf": "argon2id"}, "not scrypt"),
        (lambda b: {**b, "n": "1024"}, "n field is not an integer"),
        (lambda b: {**b, "n": 1000}, "power of two"),
        (lambda b: {**b, "n": 2**30}, "power of two"),
        (lambda b: {**b, "r": 64}, "out of bounds"),
        (lambda b: {k: v for k, v in b.items() if k != "salt"}, "salt field is missing"),
        (lambda b: {**b, "data": "@@@"}, "data field is not base64"),
        (lambda b: {**b, "salt": "AAAA"}, "wrong length"),
    ],
)
def test_malformed_key_file_is_corrupt(change: object, why: str) -> None:
    body = json.loads(key_file(new_master_key()))
    changed = change(body)  # type: ignore[operator]
    data = changed if isinstance(changed, bytes) else json.dumps(changed).encode()
    with pytest.raises(RepositoryCorrupt, match=f"keys/x is not a readable key file.*{why}"):
        open_key_file(data, PASSPHRASE, what="keys/x")


def test_refuses_empty_passphrase_and_naive_time() -> None:
    with pytest.raises(InvalidValue, match="empty passphrase"):
        make_key_file(new_master_key(), "", created=CREATED, host="h", n=FAST_N)
    with pytest.raises(InvalidValue, match="time zone"):
        make_key_file(new_master_key(), "p", created=datetime(2026, 1, 1), host="h", n=FAST_N)


def test_default_cost_is_strong_and_opens_in_time() -> None:
    """The default key file: scrypt 2**17 (128 MiB); opening takes about 0.3 s on 2 cores."""
    assert SCRYPT_N == 2**17
    master = new_master_key()
    data = make_key_file(master, PASSPHRASE, created=CREATED, host="h")
    assert json.loads(data)["n"] == 2**17
    started = time.perf_counter()
    assert open_key_file(data, PASSPHRASE, what="k") == master
    assert time.perf_counter() - started < 2.0  # generous: shared CI machines


def test_refuses_weak_or_absurd_cost() -> None:
    for n in (2**9, 3000, 2**23):
        with pytest.raises(InvalidValue, match="power of two"):
            make_key_file(new_master_key(), "p", created=CREATED, host="h", n=n)

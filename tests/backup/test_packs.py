"""Packs, sealed documents, index files and keyrings: the byte formats, without a target."""

from __future__ import annotations

import hashlib
import os
import struct
from datetime import UTC, datetime

import pytest

from trousseau.backup.index import (
    Index,
    IndexedPack,
    Keyring,
    decode_index,
    decode_keyring,
    encode_index,
    encode_keyring,
)
from trousseau.backup.packs import (
    PackBuilder,
    pack_path,
    parse_pack,
    seal_chunk,
    seal_document,
    unseal_chunk,
    unseal_document,
)
from trousseau.backup.snapshots import (
    BlobEntry,
    BlobRole,
    DumpEntry,
    ErasureRecord,
    WeddingRef,
    WeddingTree,
    decode_erasure,
    decode_snapshot,
    decode_tree,
    encode_erasure,
    encode_snapshot,
    encode_tree,
)
from trousseau.errors import InvalidValue, RepositoryCorrupt

KEY = bytes(range(32))
OTHER = bytes(32)
WHEN = datetime(2026, 6, 6, 15, 30, tzinfo=UTC)


def build(chunks: list[bytes], *, target_size: int = 1 << 20) -> tuple[PackBuilder, list[bytes]]:
    builder = PackBuilder(KEY, target_size=target_size)
    keys = []
    for number, payload in enumerate(chunks):
        key = os.urandom(32)
        keys.append(key)
        builder.add(
            seal_chunk(key, payload, chunk=f"c{number}", copy="0a"),
            chunk=f"c{number}",
            copy="0a",
            raw_length=len(payload),
            compressed=False,
            tenant="studio-a",
            wedding="smith-jones",
        )
    return builder, keys


def test_pack_layout_and_name() -> None:
    payloads = [b"one" * 100, b"two" * 50, b"three" * 10]
    builder, keys = build(payloads)
    assert not builder.full and builder.size > 0
    pack = builder.finish()
    assert not builder and builder.size == 0
    assert pack.name == hashlib.sha256(pack.data).hexdigest()
    assert pack.path == f"packs/{pack.name[:2]}/{pack.name}" == pack_path(pack.name)
    (header_length,) = struct.unpack("<I", pack.data[-4:])
    assert header_length < len(pack.data)
    entries = parse_pack(pack.data, KEY, what=pack.path)
    assert entries == list(pack.entries)
    for entry, key, payload in zip(entries, keys, payloads, strict=True):
        sealed = pack.data[entry.offset : entry.offset + entry.length]
        assert unseal_chunk(key, sealed, chunk=entry.chunk, copy="0a", what="x") == payload
    assert entries[1].offset == entries[0].length


def test_builder_says_when_full() -> None:
    builder, _ = build([os.urandom(600), os.urandom(600)], target_size=1000)
    assert builder.full


def test_a_chunk_is_bound_to_its_id_and_copy() -> None:
    key = os.urandom(32)
    sealed = seal_chunk(key, b"payload", chunk="c1", copy="aa")
    for chunk, copy in (("c2", "aa"), ("c1", "bb")):
        with pytest.raises(RepositoryCorrupt, match="packs/xy"):
            unseal_chunk(key, sealed, chunk=chunk, copy=copy, what="packs/xy")


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d[:-1],  # truncated
        lambda d: d[:2],  # shorter than a trailer
        lambda d: d[:-4] + struct.pack("<I", len(d) * 2),  # header longer than the pack
        lambda d: d[:-10] + bytes([d[-10] ^ 1]) + d[-9:],  # a bit flipped in the header
    ],
)
def test_a_damaged_pack_header_is_named(damage: object) -> None:
    pack = build([b"x" * 100])[0].finish()
    with pytest.raises(RepositoryCorrupt, match="packs/p1"):
        parse_pack(damage(pack.data), KEY, what="packs/p1")  # type: ignore[operator]


def test_a_header_under_another_key_is_refused() -> None:
    pack = build([b"x" * 100])[0].finish()
    with pytest.raises(RepositoryCorrupt, match="header"):
        parse_pack(pack.data, OTHER, what="packs/p1")


def test_documents_are_bound_to_their_kind() -> None:
    sealed = seal_document(KEY, {"a": [1, 2]}, kind="index")
    assert unseal_document(KEY, sealed, kind="index", what="index/1") == {"v": 1, "a": [1, 2]}
    with pytest.raises(RepositoryCorrupt, match="index/1"):
        unseal_document(KEY, sealed, kind="snapshot", what="index/1")
    with pytest.raises(RepositoryCorrupt, match="index/1"):
        unseal_document(KEY, sealed[:-5], kind="index", what="index/1")
    newer = seal_document(KEY, {"v": 9}, kind="index")
    with pytest.raises(RepositoryCorrupt, match="upgrade trousseau"):
        unseal_document(KEY, newer, kind="index", what="index/1")


def test_index_round_trip_and_lookup() -> None:
    pack = build([b"a" * 10, b"b" * 20])[0].finish()
    listed = IndexedPack(pack.name, len(pack.data), pack.entries)
    decoded = decode_index(encode_index([listed], KEY), KEY, what="index/1")
    assert decoded == [listed]
    index = Index()
    index.add(listed, file="index/1")
    index.add(listed, file="index/2")  # a pack listed twice (two runs raced) counts once
    assert len(index) == 2 and "c0" in index and "zz" not in index
    assert index.files_listing(pack.name) == ["index/1", "index/2"]
    assert len(index.copies("c1")) == 1 and index.location("c1", "0a") is not None
    assert index.location("c1", "ff") is None
    assert len(list(index.locations())) == 2


def test_keyring_round_trip_and_owner_check() -> None:
    entries = {("c1", "aa"): os.urandom(32), ("c1", "bb"): os.urandom(32)}
    sealed = encode_keyring(entries, KEY, tenant="t", wedding="w")
    assert decode_keyring(sealed, KEY, tenant="t", wedding="w", what="k") == entries
    with pytest.raises(RepositoryCorrupt, match="filed under t/other"):
        decode_keyring(sealed, KEY, tenant="t", wedding="other", what="k")
    with pytest.raises(RepositoryCorrupt):
        decode_keyring(sealed, OTHER, tenant="t", wedding="w", what="k")
    keyring = Keyring(entries)
    assert len(keyring) == 2 and set(keyring.keys_for("c1")) == {"aa", "bb"}


def test_tree_and_snapshot_round_trip() -> None:
    blob = BlobEntry("t", "w", "ab" * 32, 10, BlobRole.ORIGINAL, ("c1", "c2"))
    tree = WeddingTree("t", "w", (blob,))
    assert decode_tree(encode_tree(tree, KEY), KEY, tenant="t", wedding="w", what="x") == tree
    with pytest.raises(RepositoryCorrupt, match="filed under t/v"):
        decode_tree(encode_tree(tree, KEY), KEY, tenant="t", wedding="v", what="x")
    ref = WeddingRef("t", "w", "cd" * 32, 1, 10)
    dump = DumpEntry("catalog.sql", "sql", "ef" * 32, 5, WHEN, ("c3",))
    data = encode_snapshot(
        time=WHEN, host="studio", parent=None, weddings=(ref,), dumps=(dump,), key=KEY
    )
    snapshot = decode_snapshot("s1", data, KEY, what="snapshots/s1")
    assert snapshot.weddings == (ref,) and snapshot.dumps == (dump,)
    assert snapshot.tenants == ("t",) and [str(k) for k in snapshot.kinds] == ["vault", "catalog"]
    assert snapshot.size == 15 and snapshot.time == WHEN and snapshot.wedding("t", "x") is None
    with pytest.raises(InvalidValue, match="time zone"):
        encode_snapshot(
            time=WHEN.replace(tzinfo=None), host="h", parent=None, weddings=(), dumps=(), key=KEY
        )


def test_erasure_record_round_trip() -> None:
    record = ErasureRecord("", WHEN, "t", "w", "host", "ops@studio", 3)
    data = encode_erasure(record, KEY)
    decoded = decode_erasure("r1", data, KEY, what="audit/erasures/r1")
    assert decoded.tenant == "t" and decoded.by == "ops@studio" and decoded.id == "r1"

"""`verify_blobs` on every backend: one event per blob given, damage reported, the walk goes on."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable

import pytest

from trousseau.vault import (
    BlobChecked,
    BlobRef,
    BlobStatus,
    BlobUnreferenced,
    Vault,
    VerifyCounts,
    VerifyFinished,
    verify_blobs,
)
from trousseau.vault.local import LocalVault

ORIGINAL = os.urandom(5000)
VARIANT = os.urandom(700)
ABSENT = hashlib.sha256(b"never stored").hexdigest()


def _stored(vault: Vault) -> tuple[str, str]:
    return vault.put_bytes(ORIGINAL).sha256, vault.put_bytes(VARIANT).sha256


def test_an_intact_vault_yields_one_ok_event_per_blob_then_the_totals(vault: Vault) -> None:
    original, variant = _stored(vault)
    blobs = [(original, "original a.jpg (photo 1)"), (variant, "web variant of photo 1")]

    events = list(verify_blobs(vault, blobs))

    assert [type(e) for e in events] == [BlobChecked, BlobChecked, VerifyFinished]
    first, second, finished = events
    assert isinstance(first, BlobChecked) and isinstance(second, BlobChecked)
    assert first.blob == BlobRef(original, "original a.jpg (photo 1)")
    assert (first.status, first.size, first.error) == (BlobStatus.OK, len(ORIGINAL), None)
    assert first.counts == VerifyCounts(total=2, ok=1, bytes=len(ORIGINAL))
    assert second.counts == VerifyCounts(total=2, ok=2, bytes=len(ORIGINAL) + len(VARIANT))
    assert isinstance(finished, VerifyFinished)
    assert finished.counts == second.counts and finished.intact
    assert finished.unreferenced is None


def test_missing_and_corrupt_blobs_are_named_and_the_walk_goes_on(
    vault: Vault, tamper: Callable[[str, bytes], None]
) -> None:
    original, variant = _stored(vault)
    tamper(original, b"rot" + ORIGINAL[3:])
    blobs = [
        (original, "original a.jpg (photo 1)"),
        (ABSENT, "original b.jpg (photo 2)"),
        (variant, "web variant of photo 1"),
    ]

    *checked, finished = verify_blobs(vault, blobs)

    assert [(e.blob.what, e.status) for e in checked] == [
        ("original a.jpg (photo 1)", BlobStatus.CORRUPT),
        ("original b.jpg (photo 2)", BlobStatus.MISSING),
        ("web variant of photo 1", BlobStatus.OK),
    ]
    corrupt, missing, ok = checked
    assert corrupt.error and original[:12] in corrupt.error and corrupt.size == 0
    assert missing.error and ABSENT[:12] in missing.error
    assert ok.error is None
    assert isinstance(finished, VerifyFinished) and not finished.intact
    counts = finished.counts
    assert (counts.total, counts.ok, counts.missing, counts.corrupt) == (3, 1, 1, 1)
    assert (counts.checked, counts.damaged, counts.bytes) == (3, 2, len(VARIANT))


def test_a_key_named_twice_is_rehashed_once_and_reported_for_each_name(vault: Vault) -> None:
    original, _ = _stored(vault)
    blobs = [(original, "original a.jpg (photo 1)"), (original, "original a.jpg (photo 9)")]

    first, second, finished = verify_blobs(vault, blobs)

    assert isinstance(first, BlobChecked) and isinstance(second, BlobChecked)
    assert [e.status for e in (first, second)] == [BlobStatus.OK, BlobStatus.OK]
    assert (first.size, second.size) == (len(ORIGINAL), 0)
    assert isinstance(finished, VerifyFinished)
    assert finished.counts == VerifyCounts(total=2, ok=2, bytes=len(ORIGINAL))


def test_unreferenced_blobs_are_listed_only_when_asked(vault: Vault) -> None:
    original, variant = _stored(vault)
    blobs = [(original, "original a.jpg (photo 1)")]

    events = list(verify_blobs(vault, blobs, unreferenced=True))

    assert [type(e) for e in events] == [BlobChecked, BlobUnreferenced, VerifyFinished]
    unreferenced = events[1]
    assert isinstance(unreferenced, BlobUnreferenced)
    assert (unreferenced.sha256, unreferenced.count) == (variant, 1)
    assert (unreferenced.size, unreferenced.orphan) == (len(VARIANT), True)
    finished = events[-1]
    assert isinstance(finished, VerifyFinished) and finished.unreferenced == 1
    assert finished.intact
    assert not any(isinstance(e, BlobUnreferenced) for e in verify_blobs(vault, blobs))


def test_nothing_to_check_is_an_intact_walk(vault: Vault) -> None:
    _stored(vault)
    assert list(verify_blobs(vault, [])) == [VerifyFinished(VerifyCounts(total=0), None)]


def test_a_malformed_key_is_the_callers_error(vault: Vault) -> None:
    with pytest.raises(ValueError, match="64 lowercase hex"):
        list(verify_blobs(vault, [("../../etc/passwd", "not a key")]))


def test_a_blob_that_cannot_be_read_is_damaged_and_the_walk_goes_on(
    local_vault: LocalVault,
) -> None:
    """A directory where a blob's file should be (or a bad sector) once stopped the whole
    walk, and the damage found before it was never reported."""
    original, variant = _stored(local_vault)
    path = local_vault.blob_path(original)
    path.unlink()
    path.mkdir()
    blobs = [(original, "original a.jpg (photo 1)"), (variant, "web variant of photo 1")]

    *checked, finished = verify_blobs(local_vault, blobs)

    assert [e.status for e in checked] == [BlobStatus.CORRUPT, BlobStatus.OK]
    assert checked[0].error and "Is a directory" in checked[0].error
    assert isinstance(finished, VerifyFinished) and finished.counts.damaged == 1

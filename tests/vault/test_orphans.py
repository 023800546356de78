"""Orphan blobs: stored, named by no catalog row, and old enough that no ingest will record them.

A blob is stored before its record (the first promise), so a record that fails (a full
catalog, a crash) leaves the blob behind. Blobs are content-addressed and shared by every
photo or variant with the same bytes, so removing one is safe only when no row names it and
no put is about to record it: every put, even one that finds the blob already there, marks
it stored now, and a blob stored within the grace period is never collected.
"""

from __future__ import annotations

import os
import threading
from contextlib import suppress
from datetime import UTC, datetime, timedelta

import pytest

from trousseau.errors import VaultError
from trousseau.vault import (
    BlobChecked,
    BlobUnreferenced,
    StoredBlob,
    Vault,
    VerifyFinished,
    collect_orphans,
    verify_blobs,
)
from trousseau.vault.local import LocalVault

PHOTO = os.urandom(4000)
OTHER = os.urandom(3000)
LONG_AGO = 1_000_000_000  # 2001: older than any grace period


def make_old(vault: LocalVault, sha256: str) -> None:
    os.utime(vault.blob_path(sha256), (LONG_AGO, LONG_AGO))


def test_every_backend_lists_its_blobs_with_size_and_when_stored(vault: Vault) -> None:
    before = datetime.now(UTC) - timedelta(minutes=5)
    sha = vault.put_bytes(PHOTO).sha256

    (stored,) = list(vault.iter_stored())

    assert isinstance(stored, StoredBlob)
    assert (stored.sha256, stored.size) == (sha, len(PHOTO))
    assert before <= stored.stored_at <= datetime.now(UTC) + timedelta(minutes=5)


def test_verify_tells_orphans_from_blobs_stored_within_the_grace_period(
    local_vault: LocalVault,
) -> None:
    recorded = local_vault.put_bytes(PHOTO).sha256
    orphan = local_vault.put_bytes(OTHER).sha256
    fresh = local_vault.put_bytes(b"just stored, its record on the way").sha256
    make_old(local_vault, orphan)
    cutoff = datetime.now(UTC) - timedelta(hours=24)

    events = list(
        verify_blobs(local_vault, [(recorded, "photo 1")], unreferenced=True, orphans_before=cutoff)
    )

    unreferenced = {e.sha256: e for e in events if isinstance(e, BlobUnreferenced)}
    assert set(unreferenced) == {orphan, fresh}
    assert unreferenced[orphan].orphan and not unreferenced[fresh].orphan
    assert unreferenced[orphan].size == len(OTHER)
    finished = events[-1]
    assert isinstance(finished, VerifyFinished)
    assert (finished.unreferenced, finished.orphans, finished.orphan_bytes) == (2, 1, len(OTHER))
    assert isinstance(events[0], BlobChecked)


def test_collecting_removes_old_orphans_only(local_vault: LocalVault) -> None:
    orphan = local_vault.put_bytes(PHOTO).sha256
    fresh = local_vault.put_bytes(OTHER).sha256
    make_old(local_vault, orphan)
    cutoff = datetime.now(UTC) - timedelta(hours=24)

    collected = list(collect_orphans(local_vault, [orphan, fresh], stored_before=cutoff))

    assert [c.sha256 for c in collected] == [orphan]
    assert collected[0].size == len(PHOTO)
    assert not local_vault.exists(orphan)
    assert local_vault.exists(fresh)


def test_storing_the_same_bytes_again_marks_the_blob_stored_now(local_vault: LocalVault) -> None:
    sha = local_vault.put_bytes(PHOTO).sha256
    make_old(local_vault, sha)

    assert local_vault.put_bytes(PHOTO).created is False  # a dedup: an ingest about to record it

    cutoff = datetime.now(UTC) - timedelta(hours=24)
    assert list(collect_orphans(local_vault, [sha], stored_before=cutoff)) == []
    assert local_vault.get_bytes(sha) == PHOTO


def test_a_put_racing_a_collection_always_finds_its_blob(local_vault: LocalVault) -> None:
    """Every put that returns leaves its blob in place, however the collector interleaves."""
    sha = local_vault.put_bytes(PHOTO).sha256
    cutoff = datetime.now(UTC) - timedelta(hours=1)
    stop = threading.Event()
    lost: list[int] = []

    def collector() -> None:
        while not stop.is_set():
            list(collect_orphans(local_vault, [sha], stored_before=cutoff))

    thread = threading.Thread(target=collector)
    thread.start()
    try:
        for attempt in range(400):
            with suppress(FileNotFoundError):  # an orphan again, as far as a collector can tell
                make_old(local_vault, sha)
            local_vault.put_bytes(PHOTO)
            if not local_vault.exists(sha):
                lost.append(attempt)
    finally:
        stop.set()
        thread.join()

    assert lost == []
    assert local_vault.get_bytes(sha) == PHOTO


def test_object_stores_refuse_to_collect_saying_why(vault: Vault) -> None:
    if isinstance(vault, LocalVault):
        pytest.skip("a local vault collects")
    sha = vault.put_bytes(PHOTO).sha256

    with pytest.raises(VaultError, match="cannot collect") as raised:
        list(collect_orphans(vault, [sha], stored_before=datetime.now(UTC)))

    assert vault.url in str(raised.value)
    assert vault.exists(sha)

"""Verify: each kind of damage is found and named; erasure and crash leftovers are not damage."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from tests.backup.test_repository import (
    PASSPHRASE,
    Crash,
    CrashingTarget,
    Ticker,
    back_up,
    noise,
    small_repository,
    wedding_blobs,
)
from trousseau.backup.packs import pack_path
from trousseau.backup.repository import Repository, open_repository
from trousseau.backup.targets import open_target
from trousseau.backup.verify import VerifyProgress, verify


@pytest.fixture
def clock() -> Ticker:
    return Ticker()


@pytest.fixture
def target(tmp_path: Path) -> CrashingTarget:
    return CrashingTarget(open_target(str(tmp_path / "repository")))


@pytest.fixture
def repo(target: CrashingTarget, clock: Ticker) -> Repository:
    return small_repository(target, clock)


@pytest.fixture
def backed_up(repo: Repository, clock: Ticker) -> Repository:
    back_up(repo, clock, wedding_blobs())
    with repo.writer(clock=clock) as w:
        w.add_catalog_dump(io.BytesIO(b"CREATE TABLE photo (id int);\n" * 100), format="sql")
        w.commit()
    return repo


def reopen(repo: Repository) -> Repository:
    return open_repository(repo.target, PASSPHRASE)


def first_pack(repo: Repository) -> str:
    return pack_path(sorted(repo.index.packs())[0])


@pytest.mark.parametrize("read_data", [False, True])
def test_a_sound_repository_verifies(backed_up: Repository, clock: Ticker, read_data: bool) -> None:
    seen: list[VerifyProgress] = []
    report = verify(reopen(backed_up), read_data=read_data, clock=clock, progress=seen.append)
    assert report.ok, report.problems
    assert report.snapshots == 2 and report.packs >= 3
    assert not report.erased and not report.notes
    assert {p.stage for p in seen} >= {"structure", "snapshots"}
    if read_data:
        assert report.chunks > 10 and report.bytes_read > 500_000
        assert "data" in {p.stage for p in seen}


def test_a_flipped_bit_in_a_pack(backed_up: Repository, clock: Ticker) -> None:
    path = first_pack(backed_up)
    entry = backed_up.index.packs()[path.rsplit("/", 1)[-1]].entries[0]
    data = bytearray(backed_up.target.get(path))
    data[entry.offset + entry.length // 2] ^= 0x10
    backed_up.target.put(path, bytes(data))
    report = verify(reopen(backed_up), read_data=True, clock=clock)
    assert not report.ok
    named = [p for p in report.problems if path in p]
    assert any("hash to" in p and "not its name" in p for p in named)
    assert any(f"chunk {entry.chunk[:12]}" in p for p in named)
    # the structure alone cannot see a bit in the data: sizes and headers still agree
    assert verify(reopen(backed_up), read_data=False, clock=clock).ok


def test_a_flipped_bit_in_a_pack_header(backed_up: Repository, clock: Ticker) -> None:
    path = first_pack(backed_up)
    data = bytearray(backed_up.target.get(path))
    data[-10] ^= 0x01
    backed_up.target.put(path, bytes(data))
    for read_data in (False, True):
        report = verify(reopen(backed_up), read_data=read_data, clock=clock)
        assert any(path in p and "header" in p for p in report.problems), report.problems


def test_a_deleted_pack(backed_up: Repository, clock: Ticker) -> None:
    path = first_pack(backed_up)
    backed_up.target.delete(path)
    report = verify(reopen(backed_up), read_data=False, clock=clock)
    [missing] = [p for p in report.problems if path in p]
    assert "missing (listed by index/" in missing
    assert "run `trousseau backup run` again to store its chunks again" in missing


def test_a_truncated_pack(backed_up: Repository, clock: Ticker) -> None:
    path = first_pack(backed_up)
    backed_up.target.put(path, backed_up.target.get(path)[:-100])
    report = verify(reopen(backed_up), read_data=False, clock=clock)
    assert any(path in p and "truncated" in p for p in report.problems), report.problems


def test_a_truncated_index(backed_up: Repository, clock: Ticker) -> None:
    [path, *_] = backed_up.index_files()
    backed_up.target.put(path, backed_up.target.get(path)[:-7])
    report = verify(reopen(backed_up), read_data=False, clock=clock)
    assert any(path in p for p in report.problems), report.problems
    # the chunks it listed are now in no index: the snapshots referencing them say so
    assert any("in no index" in p and "snapshots/" in p for p in report.problems)


def test_a_damaged_snapshot_and_keyring(backed_up: Repository, clock: Ticker) -> None:
    snapshot = f"snapshots/{backed_up.snapshot_ids()[0]}"
    backed_up.target.put(snapshot, b"garbage")
    keyring = sorted(p for p, _ in backed_up.target.list("keyrings/"))[0]
    backed_up.target.put(keyring, backed_up.target.get(keyring)[:-1])
    report = verify(reopen(backed_up), read_data=True, clock=clock)
    assert any(snapshot in p for p in report.problems)
    assert any(keyring in p for p in report.problems)


def test_a_damaged_snapshot_is_reported_once(backed_up: Repository, clock: Ticker) -> None:
    snapshot = f"snapshots/{backed_up.snapshot_ids()[0]}"
    data = bytearray(backed_up.target.get(snapshot))
    data[40] ^= 0x01
    backed_up.target.put(snapshot, bytes(data))
    report = verify(reopen(backed_up), read_data=False, clock=clock)
    [problem] = report.problems
    assert snapshot in problem and "restore it from a replica target" in problem
    assert report.snapshots == 1


def test_an_erased_wedding_is_reported_apart(backed_up: Repository, clock: Ticker) -> None:
    backed_up.erase_wedding("studio-a", "smith-jones", clock=clock)
    report = verify(reopen(backed_up), read_data=True, clock=clock)
    assert report.ok, report.problems
    assert any("studio-a/smith-jones erased on" in e for e in report.erased)
    assert any("unreadable by design (erased)" in e for e in report.erased)


def test_crash_leftovers_are_notes(repo: Repository, target: CrashingTarget, clock: Ticker) -> None:
    back_up(repo, clock, wedding_blobs())
    for crash_at in ("index/", "keyrings/"):
        target.crash_at = crash_at
        with pytest.raises(Crash):
            back_up(repo, clock, {("studio-a", "w"): [noise(100_000, 90 + len(crash_at))]})
    target.crash_at = None
    report = verify(reopen(repo), read_data=True, clock=clock)
    assert report.ok, report.problems
    assert any("in no index" in n for n in report.notes)
    assert any("no keyring keys" in n for n in report.notes)

"""Replication to N targets: safe order, interruptions, erasure, and the copies report."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.backup.conftest import s3_url
from tests.backup.faults import Crash, FaultyTarget
from tests.backup.test_repository import (
    FAST_KDF,
    PASSPHRASE,
    Ticker,
    back_up,
    noise,
    sha,
    small_repository,
)
from trousseau.backup.replicas import copies_report, replicate
from trousseau.backup.repository import Repository, init_repository, open_repository
from trousseau.backup.targets import Target, open_target
from trousseau.backup.verify import verify
from trousseau.errors import ReplicaMismatch, WeddingErased

A = ("studio-a", "smith-jones")
B = ("studio-a", "garcia-lee")
FIRST = {A: [noise(150_000, 1), noise(90_000, 2)], B: [noise(120_000, 3)]}
SECOND = {A: [noise(70_000, 4)], B: [noise(60_000, 5), b""]}


@dataclass
class FailingTarget(FaultyTarget):
    """A target whose `fail_at`-th write (put, put_new or delete of `kind`) raises Crash."""

    fail_at: int | None = None
    kind: str = "put"
    count: int = 0
    writes: list[str] = field(default_factory=list)

    def _write(self, op: str, path: str) -> None:
        if op == "delete" and path.startswith("locks/"):
            return
        if op == self.kind:
            self.count += 1
            if self.count == self.fail_at:
                raise Crash(path)
        self.writes.append(path)


@pytest.fixture
def clock() -> Ticker:
    return Ticker()


@pytest.fixture
def primary(tmp_path: Path, clock: Ticker) -> Repository:
    repo = small_repository(open_target(str(tmp_path / "primary")), clock)
    back_up(repo, clock, FIRST)
    back_up(repo, clock, SECOND)
    return repo


def restore_all(target: Target) -> int:
    """Restore every blob of every snapshot the target holds; the number of snapshots."""
    if not target.exists("config"):
        return 0
    repo = open_repository(target, PASSPHRASE)
    for snapshot in repo.snapshots():
        for ref in snapshot.weddings:
            try:
                tree = repo.tree(ref)
            except WeddingErased:
                continue
            for entry in tree.blobs:
                data = b"".join(repo.read_blob(snapshot, entry.sha256, tenant=ref.tenant))
                assert sha(data) == entry.sha256
    return len(repo.snapshots())


def test_replicate_to_a_directory_restores_from_the_replica_alone(
    primary: Repository, tmp_path: Path
) -> None:
    replica = open_target(str(tmp_path / "replica"))
    report = replicate(primary.target, replica)
    assert report.initialized and report.copied and not report.deleted
    assert report.copied[-1].startswith("snapshots/")
    mirror = open_repository(replica, PASSPHRASE)
    assert [s.id for s in mirror.snapshots()] == [s.id for s in primary.snapshots()]
    latest = mirror.latest()
    assert latest is not None
    (tmp_path / "out").mkdir()
    for key, datas in (FIRST | {A: FIRST[A] + SECOND[A], B: FIRST[B] + SECOND[B]}).items():
        for data in datas:
            out = tmp_path / "out" / sha(data)
            entry = mirror.find_blob(latest, sha(data), tenant=key[0], wedding=key[1])
            mirror.restore_blob(entry, out)
            assert out.read_bytes() == data
    assert verify(mirror, read_data=True).ok
    again = replicate(primary.target, replica)
    assert not again.copied and not again.deleted and not again.initialized


def test_replicate_to_s3(primary: Repository, s3_endpoint: str, s3_bucket: str) -> None:
    replica = open_target(s3_url(s3_endpoint, s3_bucket, "replica"))
    report = replicate(primary.target, replica)
    assert report.initialized
    assert restore_all(replica) == 2
    assert verify(open_repository(replica, PASSPHRASE), read_data=True).ok


def test_interrupted_replication_never_leaves_a_snapshot_without_its_data(
    primary: Repository, tmp_path: Path
) -> None:
    counting = FailingTarget(open_target(str(tmp_path / "count")))
    replicate(primary.target, counting)
    total = counting.count
    assert total > 10
    for n in range(1, total + 1):
        replica = FailingTarget(open_target(str(tmp_path / f"replica-{n}")), fail_at=n)
        with pytest.raises(Crash):
            replicate(primary.target, replica)
        restore_all(replica.inner)
        replicate(primary.target, replica.inner)
        assert restore_all(replica.inner) == 2


def test_interrupted_deletions_after_an_erasure(
    primary: Repository, clock: Ticker, tmp_path: Path
) -> None:
    base = tmp_path / "base"
    replicate(primary.target, open_target(str(base)))
    primary.erase_wedding(*A, clock=clock)
    n = 0
    while True:
        n += 1
        copy = tmp_path / f"replica-{n}"
        shutil.copytree(base, copy)
        replica = FailingTarget(open_target(str(copy)), fail_at=n, kind="delete")
        try:
            replicate(primary.target, replica)
        except Crash:
            assert restore_all(replica.inner) == 2
            replicate(primary.target, replica.inner)
            continue
        break
    assert n > 3


def test_a_replica_holding_another_repository_is_refused(
    primary: Repository, tmp_path: Path, clock: Ticker
) -> None:
    other = init_repository(
        open_target(str(tmp_path / "other")), "another", clock=clock, host="h", scrypt_n=FAST_KDF
    )
    with pytest.raises(ReplicaMismatch, match=r"holds another repository.*empty location"):
        replicate(primary.target, other.target)
    assert not [p for p, _ in other.target.list("packs/")]


def test_erasure_reaches_the_replica(primary: Repository, clock: Ticker, tmp_path: Path) -> None:
    replica = open_target(str(tmp_path / "replica"))
    replicate(primary.target, replica)
    key_path = primary.data_key_path(*A)
    assert replica.exists(key_path)
    primary.erase_wedding(*A, clock=clock, by="ops")
    report = replicate(primary.target, replica)
    assert key_path in report.deleted
    assert not replica.exists(key_path)
    assert not replica.list(primary.keyring_prefix(*A))
    assert not replica.list(primary.tree_prefix(*A))
    mirror = open_repository(replica, PASSPHRASE)
    assert mirror.erased(*A) is not None
    latest = mirror.latest()
    assert latest is not None
    with pytest.raises(WeddingErased):
        list(mirror.read_blob(latest, sha(FIRST[A][0]), tenant=A[0], wedding=A[1]))
    assert restore_all(replica) == 2


def test_copies_report_counts() -> None:
    wanted = {("1", "10"): {"a", "b"}, ("1", "11"): {"c"}, ("2", "20"): {"d"}}
    targets = [
        ("s3://one", {("1", "10"): {"a", "b", "x"}, ("1", "11"): {"c"}}),
        ("s3://two", {("1", "10"): {"a"}, ("1", "11"): {"c"}}),
    ]
    rows = {
        (r.tenant, r.wedding): r for r in copies_report(wanted, {"a", "b", "c"}, targets, goal=3)
    }
    assert rows["1", "10"].copies == 2 and rows["1", "10"].targets == ("s3://one",)
    assert not rows["1", "10"].met
    assert rows["1", "11"].copies == 3 and rows["1", "11"].met
    assert rows["1", "11"].targets == ("s3://one", "s3://two")
    assert rows["2", "20"].copies == 0 and not rows["2", "20"].in_vault
    by_predicate = copies_report(wanted, lambda s: s != "d", [], goal=1)
    assert [r.copies for r in by_predicate] == [1, 1, 0]

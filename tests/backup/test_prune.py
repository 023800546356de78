"""Forget and prune: space comes back, nothing referenced is ever lost, even mid-prune."""

from __future__ import annotations

import io
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.backup.conftest import s3_url
from tests.backup.faults import Crash, FaultyTarget
from tests.backup.test_repository import PASSPHRASE, noise, sha, small_repository
from trousseau.backup.index import IndexedPack
from trousseau.backup.packs import PackEntry
from trousseau.backup.prune import (
    Contents,
    PackAction,
    PruneProgress,
    PruneStage,
    forget,
    plan_prune,
    prune,
)
from trousseau.backup.repository import Repository, open_repository
from trousseau.backup.retention import Retention
from trousseau.backup.targets import Target, modified_times, open_target
from trousseau.backup.verify import verify
from trousseau.errors import RepositoryCorrupt, RepositoryLocked

UTC_ZONE = ZoneInfo("UTC")


class Clock:
    """Real time (packs' ages come from the target's own clock), a second a reading; `skip`
    moves it on."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now

    def skip(self, span: timedelta) -> None:
        self.now += span


@dataclass
class FailingTarget(FaultyTarget):
    """A target whose `fail_at`-th write or delete (locks aside) raises, as a killed process."""

    fail_at: int | None = None
    done: list[str] = field(default_factory=list)

    def _write(self, op: str, path: str) -> None:
        if path.startswith("locks/"):
            return
        if self.fail_at is not None and len(self.done) == self.fail_at:
            raise Crash(path)
        self.done.append(path)

    def modified(self, prefix: str) -> dict[str, datetime]:
        return modified_times(self.inner, prefix) or {}


def pack_bytes(target: Target) -> int:
    return sum(size for _, size in target.list("packs/"))


A1, A2, A3 = noise(120_000, 101), noise(150_000, 102), noise(90_000, 103)
B1, B2 = noise(110_000, 104), noise(80_000, 105)
SHARED = noise(100_000, 106)
DUMP = b"INSERT INTO photo VALUES (1, 'IMG_0001.JPG');\n" * 2000

Expected = dict[tuple[str, str], list[bytes]]


def history(repo: Repository, clock: Clock) -> Expected:
    """Three snapshots; A2 (wedding w3) is only in the first, so forgetting it leaves A2's
    chunks unused, scattered through packs that also hold chunks still needed, and w3's keyring
    keying nothing stored. Returns the latest snapshot's blobs."""
    with repo.writer(clock=clock, host="studio-nas") as w:
        w.add_blob("studio-a", "w1", sha(A1), io.BytesIO(A1))
        w.add_blob("studio-a", "w3", sha(A2), io.BytesIO(A2))
        w.add_blob("studio-a", "w2", sha(B1), io.BytesIO(B1))
        w.add_catalog_dump(io.BytesIO(DUMP), format="sql", name="catalog.sql")
        w.commit()
    with repo.writer(clock=clock, host="studio-nas") as w:
        w.remove_blob("studio-a", "w3", sha(A2))
        w.add_blob("studio-a", "w1", sha(A3), io.BytesIO(A3))
        w.commit()
    with repo.writer(clock=clock, host="studio-nas") as w:
        w.add_blob("studio-a", "w2", sha(B2), io.BytesIO(B2))
        w.commit()
    return {("studio-a", "w1"): [A1, A3], ("studio-a", "w2"): [B1, B2]}


def assert_restorable(target: Target, clock: Clock, expected: Expected) -> Repository:
    """Every remaining snapshot restores byte-identical, and verify --read-data is clean."""
    fresh = open_repository(target, PASSPHRASE)
    report = verify(fresh, read_data=True, clock=clock)
    assert report.ok, report.problems
    snapshots = fresh.snapshots()
    assert snapshots
    for snapshot in snapshots:
        for ref in snapshot.weddings:
            if fresh.erased(ref.tenant, ref.wedding) is not None:
                continue
            for blob in fresh.tree(ref).blobs:
                data = b"".join(fresh.read_entry(blob))
                assert sha(data) == blob.sha256
        for dump in snapshot.dumps:
            assert b"".join(fresh.read_entry(dump)) == DUMP
    latest = snapshots[-1]
    for (tenant, wedding), datas in expected.items():
        for data in datas:
            assert b"".join(fresh.read_blob(latest, sha(data), tenant=tenant, wedding=wedding)) == (
                data
            )
    return fresh


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def repo(tmp_path: Path, clock: Clock) -> Repository:
    return small_repository(FailingTarget(open_target(str(tmp_path / "repository"))), clock)


# --- forget ---------------------------------------------------------------------------------


def test_forget_keeps_what_the_policy_says_and_dry_run_changes_nothing(
    repo: Repository, clock: Clock
) -> None:
    history(repo, clock)
    first, second, third = repo.snapshots()
    dry = forget(repo, Retention(last=2), clock=clock, tz=UTC_ZONE, dry_run=True)
    assert dry.dry_run and len(repo.snapshots()) == 3
    assert [(f.snapshot.id, f.keep, f.reasons) for f in dry.snapshots] == [
        (third.id, True, ("last",)),
        (second.id, True, ("last",)),
        (first.id, False, ()),
    ]
    seen = []
    done = forget(repo, Retention(last=2), clock=clock, tz=UTC_ZONE, progress=seen.append)
    assert [f.snapshot.id for f in done.forgotten] == [first.id]
    assert [e.snapshot_id for e in seen] == [first.id]
    assert repo.snapshots() == [second, third]
    assert done.to_json()["forgotten"] == 1 and done.to_json()["snapshots"][0]["keep"]
    # an empty policy keeps everything
    assert not forget(repo, Retention(), clock=clock, tz=UTC_ZONE).forgotten
    assert len(repo.snapshots()) == 2


# --- prune ----------------------------------------------------------------------------------


def test_prune_after_forget_frees_the_forgotten_data(repo: Repository, clock: Clock) -> None:
    expected = history(repo, clock)
    forget(repo, Retention(last=1), clock=clock, tz=UTC_ZONE)
    before = pack_bytes(repo.target)
    dry = prune(repo, clock=clock, dry_run=True, max_unused=0)
    assert pack_bytes(repo.target) == before and dry.packs_repacked + dry.packs_deleted > 0
    events: list[PruneProgress] = []
    report = prune(repo, clock=clock, max_unused=0, progress=events.append)
    after = pack_bytes(repo.target)
    assert before - after == report.bytes_freed
    assert report.bytes_freed > len(A2) * 0.9  # A2's chunks, and only what no snapshot needs
    assert report.packs_repacked > 0 and report.bytes_repacked > 0
    assert report.packs_written == sum(1 for e in events if e.stage is PruneStage.REPACK)
    stages = [e.stage for e in events]
    assert stages == sorted(stages, key=list(PruneStage).index)  # the documented order
    assert PruneStage.TREE in stages  # the first snapshots' trees of w1 and w3 are gone
    assert PruneStage.KEYRING in stages  # w3's keyring keys nothing stored any more
    fresh = assert_restorable(repo.target, clock, expected)
    assert not verify(fresh, read_data=True, clock=clock).notes
    assert prune(fresh, clock=clock, max_unused=0).plan.empty  # nothing left to do
    assert repo.index.packs().keys() == fresh.index.packs().keys()  # repo reloaded its index


def test_max_unused_tolerates_a_little_waste(repo: Repository, clock: Clock) -> None:
    history(repo, clock)
    forget(repo, Retention(last=1), clock=clock, tz=UTC_ZONE)
    lenient = prune(repo, clock=clock, dry_run=True, max_unused=0.9)
    strict = prune(repo, clock=clock, dry_run=True, max_unused=0)
    assert lenient.packs_repacked < strict.packs_repacked
    assert lenient.packs_deleted == strict.packs_deleted  # wholly unused packs always go


def _count_steps(tmp_path: Path, clock: Clock) -> tuple[Path, int, Expected]:
    source = tmp_path / "source"
    repo = small_repository(open_target(str(source)), clock)
    expected = history(repo, clock)
    forget(repo, Retention(last=1), clock=clock, tz=UTC_ZONE)
    probe = tmp_path / "probe"
    shutil.copytree(source, probe)
    counting = FailingTarget(open_target(str(probe)))
    prune(open_repository(counting, PASSPHRASE), clock=clock, max_unused=0)
    return source, len(counting.done), expected


def test_an_interrupted_prune_loses_nothing_at_any_step(tmp_path: Path, clock: Clock) -> None:
    source, steps, expected = _count_steps(tmp_path, clock)
    # packs written, an index, index files, packs, trees and a keyring deleted
    assert steps >= 7
    for step in range(steps):
        copy = tmp_path / f"crash-{step}"
        shutil.copytree(source, copy)
        failing = FailingTarget(open_target(str(copy)), fail_at=step)
        with pytest.raises(Crash):
            prune(open_repository(failing, PASSPHRASE), clock=clock, max_unused=0)
        assert not failing.inner.list("locks/")  # the lock went with the process
        fresh = assert_restorable(failing.inner, clock, expected)
        # the next prune completes; packs the crash left unindexed go once past the grace
        clock.skip(timedelta(hours=2))
        prune(fresh, clock=clock, max_unused=0)
        fresh = assert_restorable(failing.inner, clock, expected)
        assert not verify(fresh, read_data=True, clock=clock).notes, step
        assert prune(fresh, clock=clock, max_unused=0).plan.empty, step


def test_prune_after_erase_reclaims_the_erased_wedding(repo: Repository, clock: Clock) -> None:
    gone = noise(200_000, 110)
    with repo.writer(clock=clock, host="studio-nas") as w:
        w.add_blob("studio-a", "erased", sha(gone), io.BytesIO(gone))
        w.add_blob("studio-a", "erased", sha(SHARED), io.BytesIO(SHARED))
        w.add_blob("studio-a", "kept", sha(SHARED), io.BytesIO(SHARED))
        w.add_blob("studio-a", "kept", sha(B1), io.BytesIO(B1))
        w.commit()
    repo.erase_wedding("studio-a", "erased", clock=clock)
    before = pack_bytes(repo.target)
    report = prune(repo, clock=clock, max_unused=0)
    assert before - pack_bytes(repo.target) > len(gone) * 0.9
    assert report.bytes_freed < len(gone) + 20_000  # the shared photo stayed
    fresh = assert_restorable(repo.target, clock, {("studio-a", "kept"): [SHARED, B1]})
    assert not any("chunk" in line for line in verify(fresh, read_data=True, clock=clock).erased)


def test_a_shared_chunk_survives_when_its_first_wedding_is_forgotten(
    repo: Repository, clock: Clock
) -> None:
    with repo.writer(clock=clock, host="studio-nas") as w:
        w.add_blob("studio-a", "first", sha(SHARED), io.BytesIO(SHARED))
        w.add_blob("studio-a", "first", sha(A1), io.BytesIO(A1))
        w.commit()
    with repo.writer(clock=clock, host="studio-nas") as w:  # dedup'd: keyed, not stored again
        w.add_blob("studio-a", "second", sha(SHARED), io.BytesIO(SHARED))
        w.commit()
    stored = pack_bytes(repo.target)
    with repo.writer(clock=clock, host="studio-nas") as w:  # "first" leaves the snapshots
        for data in (SHARED, A1):
            w.remove_blob("studio-a", "first", sha(data))
        w.commit()
    assert pack_bytes(repo.target) == stored
    forget(repo, Retention(last=1), clock=clock, tz=UTC_ZONE)
    report = prune(repo, clock=clock, max_unused=0)
    assert len(A1) * 0.9 < report.bytes_freed < len(A1) + 20_000
    assert_restorable(repo.target, clock, {("studio-a", "second"): [SHARED]})


def test_fresh_unindexed_packs_wait_for_the_grace_period(repo: Repository, clock: Clock) -> None:
    expected = history(repo, clock)
    target = repo.target
    assert isinstance(target, FailingTarget)
    target.fail_at = len(target.done) + 2  # a backup dies after its data key and first pack
    with pytest.raises(Crash), repo.writer(clock=clock, host="studio-nas", pack_size=1024) as w:
        w.add_blob("studio-b", "w", sha(B2), io.BytesIO(B2))
        w.commit()
    target.fail_at = None
    young = prune(repo, clock=clock)
    assert len(young.plan.young) == 1 and not young.plan.leftovers
    assert young.plan.young[0][0] in repo.packs()
    clock.skip(timedelta(hours=2))
    old = prune(repo, clock=clock)
    assert len(old.plan.leftovers) == 1 and not old.plan.young
    fresh = assert_restorable(target, clock, expected)
    assert not verify(fresh, read_data=True, clock=clock).notes


def test_prune_refuses_a_repository_it_cannot_read_whole(repo: Repository, clock: Clock) -> None:
    history(repo, clock)
    forget(repo, Retention(last=1), clock=clock, tz=UTC_ZONE)
    [index, *_] = [path for path, _ in repo.target.list("index/")]
    repo.target.put(index, repo.target.get(index)[:-10])
    files = repo.target.list("")
    with pytest.raises(RepositoryCorrupt, match="prune stopped before changing anything"):
        prune(repo, clock=clock, max_unused=0)
    assert repo.target.list("") == files


def test_prune_on_s3(s3_endpoint: str, s3_bucket: str, clock: Clock) -> None:
    target = open_target(s3_url(s3_endpoint, s3_bucket, "backups"))
    repo = small_repository(target, clock)
    expected = history(repo, clock)
    forget(repo, Retention(last=1), clock=clock, tz=UTC_ZONE)
    before = pack_bytes(target)
    report = prune(repo, clock=clock, max_unused=0)
    assert report.packs_repacked and before - pack_bytes(target) == report.bytes_freed
    assert report.bytes_freed > len(A2) * 0.9
    assert_restorable(target, clock, expected)


# --- the plan, pure -------------------------------------------------------------------------


def _entry(chunk: str, copy: str, offset: int, length: int = 100) -> PackEntry:
    return PackEntry(chunk, copy, offset, length, length, False, "t", "w")


def test_a_copy_indexed_twice_is_kept_once() -> None:
    """After a prune interrupted past its new index, a copy lies in its old and new pack."""
    old = IndexedPack("old", 500, (_entry("c1", "x", 0), _entry("c2", "x", 100)))
    new = IndexedPack("new", 300, (_entry("c1", "x", 0),))
    contents = Contents(
        indexed={"old": old, "new": new},
        listings={"old": ("index/1",), "new": ("index/2",)},
        index_files=("index/1", "index/2"),
        stored={"old": 500, "new": 300, "stray": 50},
        modified=None,
        referenced={("c1", "x")},
        trees=(),
        referenced_trees=set(),
        keyrings={"keyrings/k1": {("c2", "x")}, "keyrings/k2": {("c1", "x"), ("c2", "x")}},
    )
    plan = plan_prune(contents, now=datetime.now(UTC), max_unused=0)
    assert {p.name: p.action for p in plan.packs} == {
        "old": PackAction.DELETE,
        "new": PackAction.KEEP,
    }
    assert plan.superseded == ("index/1",) and not plan.relist and not plan.copies
    assert plan.young == (("stray", 50),) and not plan.leftovers  # its age is unknown
    assert plan.keyrings == ("keyrings/k1",)
    missing = Contents(**{**contents.__dict__, "referenced": {("c3", "x")}})
    with pytest.raises(RepositoryCorrupt, match="c3"):
        plan_prune(missing, now=datetime.now(UTC))


def test_prune_and_forget_wait_for_a_running_backup(repo: Repository, clock: Clock) -> None:
    history(repo, clock)
    forget(repo, Retention(last=2), clock=clock, tz=UTC_ZONE)
    files = repo.target.list("")
    with repo.writer(clock=clock, host="studio-nas"):  # a backup holds its shared lock
        with pytest.raises(RepositoryLocked, match="exclusive lock cannot be taken"):
            prune(repo, clock=clock)
        with pytest.raises(RepositoryLocked):
            forget(repo, Retention(last=1), clock=clock, tz=UTC_ZONE)
        assert not prune(repo, clock=clock, dry_run=True).plan.empty  # a dry run only reads
    assert repo.target.list("") == files


def test_targets_tell_when_files_were_written(tmp_path: Path) -> None:
    before = datetime.now(UTC) - timedelta(seconds=5)
    for target in (open_target(str(tmp_path / "t")), open_target("memory://")):
        target.put("packs/ab/abc", b"x")
        target.put("index/def", b"y")
        [(path, when)] = (modified_times(target, "packs/") or {}).items()
        assert path == "packs/ab/abc" and before < when < datetime.now(UTC) + timedelta(seconds=5)

    @dataclass
    class Opaque:
        inner: Target

    assert modified_times(Opaque(open_target("memory://")), "packs/") is None  # type: ignore[arg-type]

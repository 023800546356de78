"""The repository end to end: round trips, dedup, erasure, incremental runs, crashes."""

from __future__ import annotations

import hashlib
import io
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.backup.faults import Crash, FaultyTarget
from tests.backup.test_chunker import SMALL, fake_jpeg, photo_bytes, with_comment
from trousseau.backup.keys import make_key_file, new_master_key
from trousseau.backup.packs import pack_path, sha256_hex
from trousseau.backup.prune import survey
from trousseau.backup.repository import Repository, init_repository, open_repository
from trousseau.backup.snapshots import BlobRole, Snapshot
from trousseau.backup.targets import Target, open_target
from trousseau.errors import (
    BlobCorrupt,
    InvalidValue,
    NotFound,
    RepositoryCorrupt,
    RepositoryExists,
    RepositoryNotFound,
    WeddingErased,
    WrongPassphrase,
)

PASSPHRASE = "correct horse battery staple"
PACK_SIZE = 64 * 1024
FAST_KDF = 2**10  # scrypt cost for tests; repositories use keys.SCRYPT_N


class Ticker:
    """A clock that moves one minute a reading, from the wedding day."""

    def __init__(self) -> None:
        self.now = datetime(2026, 6, 6, 14, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


def noise(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class CrashingTarget(FaultyTarget):
    """A target that dies at the first write under `crash_at` (as a killed process would)."""

    crash_at: str | None = None
    writes: list[str] = field(default_factory=list)

    def _write(self, op: str, path: str) -> None:
        if self.crash_at is not None and path.startswith(self.crash_at):
            raise Crash(path)
        self.writes.append(path)


def files(target: Target, prefix: str) -> list[str]:
    return sorted(path for path, _ in target.list(prefix))


@pytest.fixture
def clock() -> Ticker:
    return Ticker()


@pytest.fixture
def target(tmp_path: Path) -> CrashingTarget:
    return CrashingTarget(open_target(str(tmp_path / "repository")))


def small_repository(target: Target, clock: Ticker) -> Repository:
    """A new repository with the tests' small chunks and packs and a fast key derivation."""
    return init_repository(
        target,
        PASSPHRASE,
        clock=clock,
        host="studio-nas",
        chunker=SMALL,
        pack_size=PACK_SIZE,
        scrypt_n=FAST_KDF,
    )


@pytest.fixture
def repo(target: CrashingTarget, clock: Ticker) -> Repository:
    return small_repository(target, clock)


Blobs = dict[tuple[str, str], list[bytes]]


def wedding_blobs() -> Blobs:
    """Several blobs across two weddings of one studio and one wedding of another."""
    return {
        ("studio-a", "smith-jones"): [noise(150_000, 1), noise(90_000, 2), b"", noise(5, 3)],
        ("studio-a", "garcia-lee"): [noise(120_000, 4), fake_jpeg(b"exif" * 100, noise(80_000, 5))],
        ("studio-b", "nguyen-okafor"): [noise(200_000, 6), photo_bytes()[:300_000]],
    }


def back_up(repo: Repository, clock: Ticker, blobs: Blobs, **writer: object) -> Snapshot:
    with repo.writer(clock=clock, host="studio-nas", **writer) as w:  # type: ignore[arg-type]
        for (tenant, wedding), datas in blobs.items():
            for data in datas:
                w.add_blob(tenant, wedding, sha(data), io.BytesIO(data))
        return w.commit()


def restored(repo: Repository, snapshot: Snapshot, tenant: str, wedding: str, data: bytes) -> bytes:
    return b"".join(repo.read_blob(snapshot, sha(data), tenant=tenant, wedding=wedding))


# --- creating and opening -------------------------------------------------------------------


def test_init_then_open(repo: Repository, target: CrashingTarget, clock: Ticker) -> None:
    opened = open_repository(target, PASSPHRASE)
    assert opened.config == repo.config
    assert opened.config.chunker.min_size == SMALL.min_size
    assert files(target, "keys/") and target.exists("config")
    with pytest.raises(RepositoryExists, match="already there"):
        init_repository(target, PASSPHRASE, clock=clock, host="h", scrypt_n=FAST_KDF)


def test_wrong_passphrase(repo: Repository, target: CrashingTarget) -> None:
    with pytest.raises(WrongPassphrase, match="none of its 1 key files"):
        open_repository(target, "not it")


def test_not_a_repository(tmp_path: Path, clock: Ticker) -> None:
    with pytest.raises(RepositoryNotFound, match="backup init"):
        open_repository(open_target(str(tmp_path / "empty")), PASSPHRASE)
    with pytest.raises(InvalidValue):
        init_repository(
            open_target(str(tmp_path / "x")), "", clock=clock, host="h", scrypt_n=FAST_KDF
        )


def test_a_repository_without_its_config_is_not_created_again(
    repo: Repository, target: CrashingTarget, clock: Ticker
) -> None:
    snapshot = back_up(repo, clock, {("studio-a", "w1"): [noise(5_000, 1)]})
    config = target.get("config")
    target.delete("config")
    keys = files(target, "keys/")
    advice = "config is missing: copy it back from a replica target; do not run init"
    with pytest.raises(RepositoryCorrupt, match=advice):
        open_repository(target, PASSPHRASE)
    with pytest.raises(RepositoryCorrupt, match=advice):
        init_repository(target, PASSPHRASE, clock=clock, host="h", scrypt_n=FAST_KDF)
    assert files(target, "keys/") == keys and not target.exists("config")
    target.put("config", config)
    assert open_repository(target, PASSPHRASE).snapshots() == [snapshot]


def test_a_key_file_that_does_not_open_the_config_is_passed_over(
    repo: Repository, target: CrashingTarget
) -> None:
    """A key file the passphrase opens, of another master key (another init's), sorting
    before this repository's own."""
    [own] = files(target, "keys/")
    for n in range(64):
        other = make_key_file(
            new_master_key(), PASSPHRASE, created=repo.config.created, host=str(n), n=FAST_KDF
        )
        if f"keys/{sha256_hex(other)}" < own:
            break
    target.put(f"keys/{sha256_hex(other)}", other)
    assert open_repository(target, PASSPHRASE).config == repo.config


def test_default_chunker_has_a_random_seed(tmp_path: Path, clock: Ticker) -> None:
    one = init_repository(open_target(str(tmp_path / "1")), "p", clock=clock, host="h")
    two = init_repository(open_target(str(tmp_path / "2")), "p", clock=clock, host="h")
    assert one.config.chunker.seed != two.config.chunker.seed
    assert one.config.chunker.avg_size == 1024 * 1024


# --- round trip -----------------------------------------------------------------------------


def test_round_trip_byte_identical(repo: Repository, clock: Ticker, tmp_path: Path) -> None:
    blobs = wedding_blobs()
    snapshot = back_up(repo, clock, blobs)
    assert snapshot.tenants == ("studio-a", "studio-b")
    assert [str(k) for k in snapshot.kinds] == ["vault"]
    assert snapshot.host == "studio-nas" and snapshot.parent is None
    assert snapshot.time.tzinfo is not None
    reopened = open_repository(repo.target, PASSPHRASE)
    [listed] = reopened.snapshots()
    assert listed == snapshot
    for (tenant, wedding), datas in blobs.items():
        for data in datas:
            assert restored(reopened, listed, tenant, wedding, data) == data
            entry = reopened.find_blob(listed, sha(data), tenant=tenant, wedding=wedding)
            assert entry.role is BlobRole.ORIGINAL and entry.size == len(data)
            out = reopened.restore_blob(entry, tmp_path / f"{sha(data)}.bin")
            assert out.read_bytes() == data
    assert not list(tmp_path.glob(".*.part"))
    assert sum(1 for _ in reopened.blobs(listed)) == 8
    assert sum(1 for _ in reopened.blobs(listed, tenant="studio-a")) == 6
    with pytest.raises(NotFound):
        reopened.find_blob(listed, "0" * 64)


def test_blobs_stream_from_files(repo: Repository, clock: Ticker, tmp_path: Path) -> None:
    source = tmp_path / "IMG_0001.JPG"
    source.write_bytes(photo_bytes())
    with repo.writer(clock=clock) as w:
        entry = w.add_blob("studio-a", "w1", sha(source.read_bytes()), source, role="variant")
        snapshot = w.commit()
    assert entry.role is BlobRole.VARIANT
    assert restored(repo, snapshot, "studio-a", "w1", source.read_bytes()) == photo_bytes()


def test_catalog_dump_round_trip(repo: Repository, clock: Ticker, tmp_path: Path) -> None:
    dump = tmp_path / "catalog.sql"
    dump.write_bytes(b"INSERT INTO photo VALUES (1, 'IMG_0001.JPG');\n" * 5000)
    with repo.writer(clock=clock) as w:
        entry = w.add_catalog_dump(dump, format="sql")
        w.add_blob("studio-a", "w1", sha(b"x"), io.BytesIO(b"x"))
        snapshot = w.commit()
    assert [str(k) for k in snapshot.kinds] == ["vault", "catalog"]
    assert snapshot.dumps == (entry,) and entry.name == "catalog.sql"
    out = repo.restore_blob(entry, tmp_path / "restored.sql")
    assert out.read_bytes() == dump.read_bytes()
    assert repo.stats().compression_ratio > 10  # SQL text compresses
    # a vault-only run carries the last dump forward
    again = back_up(repo, clock, {("studio-a", "w1"): [b"y"]})
    assert again.dumps == (entry,)


def test_a_source_that_does_not_hash_is_refused(repo: Repository, clock: Ticker) -> None:
    with repo.writer(clock=clock) as w:
        with pytest.raises(BlobCorrupt, match="not backed up"):
            w.add_blob("studio-a", "w1", sha(b"expected"), io.BytesIO(b"what the disk holds"))
        snapshot = w.commit()
    assert snapshot.weddings == ()


def test_names_are_checked(repo: Repository, clock: Ticker) -> None:
    with repo.writer(clock=clock) as w:
        for tenant, wedding, digest in [
            ("Studio A", "w", "a" * 64),
            ("studio-a", "../w", "a" * 64),
            ("_repository", "catalog", "a" * 64),
            ("studio-a", "w", "A" * 64),
        ]:
            with pytest.raises(InvalidValue):
                w.add_blob(tenant, wedding, digest, io.BytesIO(b""))


def test_no_name_in_clear_on_the_target(repo: Repository, clock: Ticker) -> None:
    back_up(repo, clock, wedding_blobs())
    every = " ".join(files(repo.target, ""))
    for name in ("studio-a", "studio-b", "smith-jones", "garcia-lee", "nguyen-okafor"):
        assert name not in every


def test_writer_only_inside_with(repo: Repository, clock: Ticker) -> None:
    writer = repo.writer(clock=clock)
    with pytest.raises(Exception, match=r"with repo\.writer"):
        writer.add_blob("studio-a", "w", sha(b""), io.BytesIO(b""))


# --- dedup ----------------------------------------------------------------------------------


def test_identical_blob_in_two_weddings_stored_once(repo: Repository, clock: Ticker) -> None:
    photo = noise(300_000, 10)
    back_up(repo, clock, {("studio-a", "w1"): [photo]})
    first = repo.stats()
    packs_before = files(repo.target, "packs/")
    snapshot = back_up(repo, clock, {("studio-a", "w2"): [photo]})
    after = repo.stats()
    assert (after.chunks, after.raw_bytes) == (first.chunks, first.raw_bytes)
    assert files(repo.target, "packs/") == packs_before
    assert after.dedup_ratio == pytest.approx(2.0)
    assert restored(repo, snapshot, "studio-a", "w2", photo) == photo
    # another studio never shares chunks: the same photo is stored again
    back_up(repo, clock, {("studio-b", "w1"): [photo]})
    assert repo.stats().raw_bytes == 2 * first.raw_bytes


def test_edited_copy_shares_its_later_chunks(repo: Repository, clock: Ticker) -> None:
    original = fake_jpeg(b"Artist: A" * 200, noise(400_000, 11))
    edited = with_comment(fake_jpeg(b"Artist: B" * 300, noise(400_000, 11)), b"5 stars")
    back_up(repo, clock, {("studio-a", "w1"): [original]})
    before = repo.stats().raw_bytes
    snapshot = back_up(repo, clock, {("studio-a", "w1"): [edited]})
    added = repo.stats().raw_bytes - before
    assert added < 10_000  # the header alone, not 400 kB of image data
    assert restored(repo, snapshot, "studio-a", "w1", edited) == edited


# --- erasure --------------------------------------------------------------------------------


def test_erase_a_wedding(repo: Repository, clock: Ticker, tmp_path: Path) -> None:
    shared = noise(200_000, 20)
    only_a = noise(150_000, 21)
    only_b = noise(100_000, 22)
    snapshot = back_up(
        repo,
        clock,
        {("studio-a", "wedding-a"): [shared, only_a], ("studio-a", "wedding-b"): [shared, only_b]},
    )
    record = repo.erase_wedding("studio-a", "wedding-a", clock=clock, by="ops@studio-a")
    assert (record.tenant, record.wedding, record.by) == ("studio-a", "wedding-a", "ops@studio-a")
    assert record.files_deleted >= 3  # the data key, a keyring, a tree
    for data in (shared, only_a):
        with pytest.raises(WeddingErased, match="studio-a/wedding-a was erased"):
            restored(repo, snapshot, "studio-a", "wedding-a", data)
    # wedding B restores, its chunks shared with A included, from a fresh process too
    fresh = open_repository(repo.target, PASSPHRASE)
    [listed] = fresh.snapshots()
    for data in (shared, only_b):
        assert restored(fresh, listed, "studio-a", "wedding-b", data) == data
    assert b"".join(fresh.read_blob(listed, sha(shared))) == shared  # found in B
    with pytest.raises(WeddingErased):
        list(fresh.read_blob(listed, sha(only_a)))  # only A had it
    with pytest.raises(WeddingErased):
        fresh.tree(listed.weddings[0])
    assert fresh.erasures() == [record]
    assert fresh.erase_wedding("studio-a", "wedding-a", clock=clock) == record  # done already
    # the erasure stands: the wedding is neither backed up again nor carried forward
    with fresh.writer(clock=clock) as w:
        with pytest.raises(WeddingErased):
            w.add_blob("studio-a", "wedding-a", sha(only_a), io.BytesIO(only_a))
        later = w.commit()
    assert [r.wedding for r in later.weddings] == ["wedding-b"]


def test_an_interrupted_erasure_already_stands(
    repo: Repository, target: CrashingTarget, clock: Ticker
) -> None:
    photo = noise(50_000, 24)
    snapshot = back_up(repo, clock, {("studio-a", "wedding-a"): [photo]})
    target.crash_at = "keyrings/"  # the record and the data key's deletion are done
    with pytest.raises(Crash):
        repo.erase_wedding("studio-a", "wedding-a", clock=clock)
    target.crash_at = None
    fresh = open_repository(target, PASSPHRASE)
    with pytest.raises(WeddingErased):
        list(fresh.read_blob(snapshot, sha(photo)))
    [record] = fresh.erasures()
    assert fresh.erase_wedding("studio-a", "wedding-a", clock=clock) == record
    assert not files(target, "keyrings/") and not files(target, "trees/")


def test_a_missing_data_key_is_damage_not_erasure(repo: Repository, clock: Ticker) -> None:
    photo = noise(50_000, 25)
    snapshot = back_up(repo, clock, {("studio-a", "wedding-a"): [photo]})
    repo.target.delete(repo.data_key_path("studio-a", "wedding-a"))
    with pytest.raises(RepositoryCorrupt, match="no erasure of it is recorded"):
        list(open_repository(repo.target, PASSPHRASE).read_blob(snapshot, sha(photo)))


def test_dedup_after_the_owner_was_erased(repo: Repository, clock: Ticker) -> None:
    """A chunk whose only keys were erased is stored again for the wedding that needs it."""
    photo = noise(200_000, 23)
    back_up(repo, clock, {("studio-a", "wedding-a"): [photo]})
    repo.erase_wedding("studio-a", "wedding-a", clock=clock)
    snapshot = back_up(repo, clock, {("studio-a", "wedding-c"): [photo]})
    assert restored(repo, snapshot, "studio-a", "wedding-c", photo) == photo
    assert repo.stats().chunks == 2 * len(repo.find_blob(snapshot, sha(photo)).chunks)


# --- incremental runs -----------------------------------------------------------------------


def test_second_run_without_changes_writes_no_pack(repo: Repository, clock: Ticker) -> None:
    blobs = wedding_blobs()
    first = back_up(repo, clock, blobs)
    written = set(files(repo.target, ""))
    with repo.writer(clock=clock) as w:
        for (tenant, wedding), datas in blobs.items():
            for data in datas:
                w.add_blob(tenant, wedding, sha(data), _unreadable())
        second = w.commit()
    new = set(files(repo.target, "")) - written
    assert [p.split("/")[0] for p in new if not p.startswith("locks/")] == ["snapshots"]
    assert second.parent == first.id and second.weddings == first.weddings
    third = back_up(repo, clock, {("studio-a", "garcia-lee"): [noise(50_000, 30)]})
    assert third.parent == second.id
    assert sum(1 for _ in repo.blobs(third)) == 9
    refs = {(r.tenant, r.wedding): r.tree for r in third.weddings}
    assert (
        refs[("studio-a", "smith-jones")]
        == dict(((r.tenant, r.wedding), r.tree) for r in first.weddings)[
            ("studio-a", "smith-jones")
        ]
    )


def _unreadable() -> io.BytesIO:
    class Unreadable(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            raise AssertionError("an unchanged blob was read again")

    return Unreadable()


def test_remove_blob(repo: Repository, clock: Ticker) -> None:
    keep, drop = noise(1000, 40), noise(1000, 41)
    back_up(repo, clock, {("studio-a", "w1"): [keep, drop]})
    with repo.writer(clock=clock) as w:
        assert w.remove_blob("studio-a", "w1", sha(drop))
        assert not w.remove_blob("studio-a", "w1", sha(drop))
        snapshot = w.commit()
    assert [b.sha256 for b in repo.blobs(snapshot)] == [sha(keep)]
    with repo.writer(clock=clock) as w:
        w.remove_blob("studio-a", "w1", sha(keep))
        empty = w.commit()
    assert empty.weddings == ()
    older = repo.snapshots()[0]
    assert restored(repo, older, "studio-a", "w1", drop) == drop


def test_concurrent_writers_keep_each_others_work(repo: Repository, clock: Ticker) -> None:
    base = back_up(repo, clock, {("studio-a", "w1"): [noise(1000, 50)]})
    one, two = noise(1000, 51), noise(1000, 52)
    with repo.writer(clock=clock, parent=base) as a, repo.writer(clock=clock, parent=base) as b:
        a.add_blob("studio-a", "w1", sha(one), io.BytesIO(one))
        b.add_blob("studio-a", "w1", sha(two), io.BytesIO(two))
        b.add_blob("studio-b", "w9", sha(two), io.BytesIO(two))
        a.commit()
        last = b.commit()
    assert {b.sha256 for b in repo.blobs(last)} == {sha(noise(1000, 50)), sha(one), sha(two)}
    assert last.tenants == ("studio-a", "studio-b")


# --- crashes --------------------------------------------------------------------------------


@pytest.mark.parametrize("crash_at", ["packs/", "index/", "keyrings/", "trees/", "snapshots/"])
def test_a_crash_leaves_a_consistent_repository(
    repo: Repository, target: CrashingTarget, clock: Ticker, crash_at: str
) -> None:
    from trousseau.backup.verify import verify

    before = wedding_blobs()
    first = back_up(repo, clock, before)
    more = {("studio-a", "smith-jones"): [noise(100_000, 60)], ("studio-c", "w"): [b"z" * 9]}
    target.crash_at = crash_at
    with pytest.raises(Crash):
        back_up(repo, clock, more)
    target.crash_at = None
    fresh = open_repository(target, PASSPHRASE)
    report = verify(fresh, read_data=True, clock=clock)
    assert report.ok, report.problems
    assert fresh.snapshots() == [first]
    for (tenant, wedding), datas in before.items():
        for data in datas:
            assert restored(fresh, first, tenant, wedding, data) == data
    # the next run finishes the work; after a crash past the keyrings, nothing is uploaded twice
    packs = files(target, "packs/")
    second = back_up(fresh, clock, more)
    if crash_at in ("trees/", "snapshots/"):
        assert files(target, "packs/") == packs
    assert restored(fresh, second, "studio-c", "w", b"z" * 9) == b"z" * 9
    assert verify(fresh, read_data=True, clock=clock).ok


def test_checkpoints_during_a_long_run(repo: Repository, clock: Ticker) -> None:
    blobs = {("studio-a", "w1"): [noise(200_000, n) for n in range(70, 74)]}
    with repo.writer(clock=clock, checkpoint_bytes=100_000) as w:
        for data in blobs[("studio-a", "w1")][:3]:
            w.add_blob("studio-a", "w1", sha(data), io.BytesIO(data))
        assert len(files(repo.target, "index/")) >= 2
        assert files(repo.target, "keyrings/")
        # the run dies here; what it checkpointed is found by the next one
    packs = len(files(repo.target, "packs/"))
    fresh = open_repository(repo.target, PASSPHRASE)
    back_up(fresh, clock, {("studio-a", "w1"): blobs[("studio-a", "w1")][:2]})
    assert len(files(repo.target, "packs/")) == packs


def test_a_damaged_old_snapshot_hides_only_itself(
    repo: Repository, clock: Ticker, tmp_path: Path
) -> None:
    old = back_up(repo, clock, {("studio-a", "w1"): [noise(5_000, 1)]})
    data = noise(5_000, 2)
    latest = back_up(repo, clock, {("studio-a", "w2"): [data]})
    path = f"snapshots/{old.id}"
    damaged = bytearray(repo.target.get(path))
    damaged[40] ^= 0x01
    repo.target.put(path, bytes(damaged))
    fresh = open_repository(repo.target, PASSPHRASE)
    assert fresh.snapshots() == [latest] and fresh.latest() == latest
    [problem] = fresh.load_problems
    assert path in problem and "restore it from a replica target" in problem
    with pytest.raises(RepositoryCorrupt, match="restore it from a replica target"):
        fresh.snapshot(old.id)
    assert restored(fresh, latest, "studio-a", "w2", data) == data
    newer = back_up(fresh, clock, {("studio-a", "w3"): [noise(5_000, 3)]})
    assert fresh.snapshots() == [latest, newer] and len(fresh.load_problems) == 1
    with pytest.raises(RepositoryCorrupt, match="prune stopped before changing anything"):
        survey(fresh)  # prune would otherwise drop the chunks only the damaged one references


@dataclass
class ListCounting(FaultyTarget):
    lists: list[str] = field(default_factory=list)

    def list(self, prefix: str) -> list[tuple[str, int]]:
        self.lists.append(prefix)
        return self.inner.list(prefix)


def test_a_deleted_pack_is_not_deduplicated_against(
    repo: Repository, clock: Ticker, tmp_path: Path
) -> None:
    data = noise(150_000, 81)
    back_up(repo, clock, {("studio-a", "w1"): [data]})
    for path in files(repo.target, "packs/"):
        repo.target.delete(path)
    counting = ListCounting(repo.target)
    fresh = open_repository(counting, PASSPHRASE)  # type: ignore[arg-type]
    longer = data + noise(20_000, 82)  # shares data's first chunks, in w1's keyring
    counting.lists.clear()
    with fresh.writer(clock=clock) as w:
        w.add_blob("studio-a", "w2", sha(data), io.BytesIO(data))
        w.add_blob("studio-a", "w1", sha(longer), io.BytesIO(longer))
        snapshot = w.commit()
    lists = counting.lists.count("packs/")
    again = open_repository(repo.target, PASSPHRASE)
    assert restored(again, snapshot, "studio-a", "w2", data) == data
    assert restored(again, snapshot, "studio-a", "w1", longer) == longer
    assert w.packs_written >= 1
    assert lists == 1  # one listing of packs/ a run, not a look per chunk


def test_restore_of_a_damaged_chunk_writes_nothing(
    repo: Repository, clock: Ticker, tmp_path: Path
) -> None:
    data = noise(100_000, 80)
    snapshot = back_up(repo, clock, {("studio-a", "w1"): [data]})
    entry = repo.find_blob(snapshot, sha(data))
    [location] = repo.index.copies(entry.chunks[-1])
    pack = pack_path(location.pack)
    stored = bytearray(repo.target.get(pack))
    stored[location.entry.offset + 40] ^= 0x01
    repo.target.put(pack, bytes(stored))
    with pytest.raises(RepositoryCorrupt, match=pack.split("/")[-1]):
        repo.restore_blob(entry, tmp_path / "out.bin")
    assert list(tmp_path.iterdir()) == [tmp_path / "repository"]


def test_stats(repo: Repository, clock: Ticker) -> None:
    empty = repo.stats()
    assert (empty.snapshots, empty.packs, empty.chunks, empty.dedup_ratio) == (0, 0, 0, 1.0)
    back_up(repo, clock, wedding_blobs())
    stats = repo.stats()
    assert stats.snapshots == 1 and stats.packs >= 2
    assert stats.pack_bytes > stats.stored_bytes > 0
    assert stats.raw_bytes <= stats.logical_bytes
    assert stats.compression_ratio == pytest.approx(1.0, abs=0.1)

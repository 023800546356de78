"""Verify: is every snapshot restorable, and is every stored byte what it should be?

Two depths, as restic's `check`:

- structure (always): every index file decrypts; every pack an index lists exists, with the
  size it lists, and its header lists the same chunks; every data key and keyring decrypts;
  every snapshot and tree decrypts, and every chunk they reference is in an index and keyed
  in its wedding's keyring.
- data (`read_data=True`): also every pack is read whole: its SHA-256 must be its name, and
  every chunk in it must decrypt (with a key from a keyring), expand, and hash to its id.

Each problem is one message naming the file and what is wrong with it. An erased wedding is
not a problem: its snapshots and its chunks that no other wedding keys are reported apart,
as erased. Neither is what an interrupted run leaves (a pack in no index, a chunk no keyring
keys): those are notes, and prune removes them.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from trousseau.backup.locks import LockKind, acquire
from trousseau.backup.packs import PackEntry, pack_path
from trousseau.backup.repository import CATALOG, Owner, Repository
from trousseau.backup.snapshots import Snapshot
from trousseau.catalog import Catalog, EventKind, record_event
from trousseau.clock import Clock, utc_now
from trousseau.errors import BackupError, WeddingErased


@dataclass(frozen=True)
class VerifyProgress:
    """Where a verification is: `stage` ("structure", "snapshots", "data"), `done` of `total`."""

    stage: str
    done: int
    total: int


@dataclass
class VerifyReport:
    problems: list[str] = field(default_factory=list)
    erased: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    packs: int = 0
    chunks: int = 0
    snapshots: int = 0
    bytes_read: int = 0
    read_data: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems


Progress = Callable[[VerifyProgress], None]

_PACK_REMEDY = (
    "copy it back from a replica target, or run `trousseau backup run` again to store its "
    "chunks again (those of the photos that run backs up)"
)


def _entry_key(entry: PackEntry) -> tuple[object, ...]:
    return (entry.chunk, entry.copy, entry.offset, entry.length, entry.raw_length, entry.compressed)


def verify(
    repo: Repository,
    *,
    read_data: bool,
    clock: Clock = utc_now,
    progress: Progress | None = None,
) -> VerifyReport:
    """Check the repository (under a shared lock: a prune cannot run meanwhile)."""
    with acquire(repo.target, LockKind.SHARED, clock=clock):
        return _Verification(repo, read_data, progress or (lambda _: None)).run()


class _Verification:
    def __init__(self, repo: Repository, read_data: bool, progress: Progress) -> None:
        self.repo = repo
        self.where = repo.target.name
        self.read_data = read_data
        self.progress = progress
        self.report = VerifyReport(read_data=read_data)
        self.keys: dict[tuple[str, str], bytes] = {}
        self.keyed: dict[Owner, set[tuple[str, str]]] = {}
        self.readable: set[Owner] = set()
        self.damaged_keys: set[Owner] = set()

    def problem(self, message: str) -> None:
        self.report.problems.append(message)

    def run(self) -> VerifyReport:
        self.repo.refresh()
        self.report.problems.extend(self.repo.load_problems)
        present = self.structure()
        self.load_keys()
        self.check_snapshots()
        if self.read_data:
            self.check_data(present)
        return self.report

    # structure

    def structure(self) -> dict[str, int]:
        """Packs against indexes; returns the indexed packs present with the right size."""
        stored = self.repo.packs()
        indexed = self.repo.index.packs()
        present: dict[str, int] = {}
        for done, (name, pack) in enumerate(sorted(indexed.items()), 1):
            self.progress(VerifyProgress("structure", done, len(indexed)))
            path = f"{self.where}/{pack_path(name)}"
            listed_by = ", ".join(self.repo.index.files_listing(name))
            if name not in stored:
                self.problem(f"{path}: missing (listed by {listed_by}): {_PACK_REMEDY}")
                continue
            if stored[name] != pack.size:
                self.problem(
                    f"{path}: {stored[name]} bytes where {listed_by} says {pack.size} "
                    f"(truncated or damaged): {_PACK_REMEDY}"
                )
                continue
            present[name] = pack.size
            if self.read_data:
                continue  # the header is checked from the whole pack, read below
            try:
                header = self.repo.pack_header(name, pack.size)
            except BackupError as exc:
                self.problem(str(exc))
                continue
            self.compare_header(name, header)
        self.report.packs = len(indexed)
        extra = sorted(set(stored) - set(indexed))
        if extra:
            size = sum(stored[n] for n in extra)
            example = f"{self.where}/{pack_path(extra[0])}"
            if self.repo.load_problems:
                self.problem(
                    f"{len(extra)} pack(s) ({size} bytes, e.g. {example}) are in no readable "
                    "index: an index file is damaged (above); their chunks cannot be found"
                )
            else:
                self.report.notes.append(
                    f"{len(extra)} pack(s) in no index ({size} bytes, e.g. {example}), left "
                    "by an interrupted run: harmless, prune removes them"
                )
        return present

    def compare_header(self, name: str, header: list[PackEntry]) -> None:
        listed = {_entry_key(e) for e in self.repo.index.packs()[name].entries}
        found = {_entry_key(e) for e in header}
        if listed != found:
            self.problem(
                f"{self.where}/{pack_path(name)}: its header lists {len(found)} chunk(s), "
                f"the index {len(listed)}; {len(found ^ listed)} differ"
            )

    # keys

    def load_keys(self) -> None:
        try:
            owners = self.repo.weddings_with_keys()
        except BackupError as exc:
            self.problem(str(exc))
            return
        for owner in owners:
            try:
                keyring = self.repo.keyring(*owner, reload=True)
            except BackupError as exc:
                self.problem(str(exc))
                self.damaged_keys.add(owner)
                continue
            self.readable.add(owner)
            keyed = self.keyed.setdefault(owner, set())
            for chunk, copy, key in keyring.entries():
                self.keys.setdefault((chunk, copy), key)
                keyed.add((chunk, copy))

    # snapshots

    def check_snapshots(self) -> None:
        ids = self.repo.snapshot_ids()
        erased_seen: set[Owner] = set()
        for done, snapshot_id in enumerate(ids, 1):
            self.progress(VerifyProgress("snapshots", done, len(ids)))
            try:
                snapshot = self.repo.snapshot(snapshot_id)
            except BackupError as exc:
                if str(exc) not in self.report.problems:  # reported with load_problems
                    self.problem(str(exc))
                continue
            self.report.snapshots += 1
            self.check_snapshot(snapshot, erased_seen)

    def check_snapshot(self, snapshot: Snapshot, erased_seen: set[Owner]) -> None:
        label = f"{self.where}/snapshots/{snapshot.id}"
        for ref in snapshot.weddings:
            owner = (ref.tenant, ref.wedding)
            record = self.repo.erased(*owner)
            if record is not None:
                if owner not in erased_seen:
                    erased_seen.add(owner)
                    self.report.erased.append(
                        f"wedding {ref.tenant}/{ref.wedding} erased on "
                        f"{record.time.isoformat()} (audit/erasures/{record.id}): its "
                        "entries in older snapshots are unreadable by design"
                    )
                continue
            if owner in self.damaged_keys:
                continue  # already reported with the key or keyring that failed
            try:
                tree = self.repo.tree(ref)
            except WeddingErased as exc:
                self.report.erased.append(str(exc))
                continue
            except BackupError as exc:
                self.problem(f"{label}: wedding {ref.tenant}/{ref.wedding}: {exc}")
                continue
            for blob in tree.blobs:
                self.check_chunks(
                    label, f"blob {blob.sha256} of {ref.tenant}/{ref.wedding}", owner, blob.chunks
                )
        for dump in snapshot.dumps:
            self.check_chunks(label, f"catalog dump {dump.name}", CATALOG, dump.chunks)

    def check_chunks(self, label: str, what: str, owner: Owner, chunks: tuple[str, ...]) -> None:
        """One problem per blob and cause, naming the first chunk and counting the others."""
        keyed = self.keyed.get(owner, set())
        unindexed: list[str] = []
        unkeyed: list[str] = []
        for chunk in dict.fromkeys(chunks):
            copies = self.repo.index.copies(chunk)
            if not copies:
                unindexed.append(chunk)
            elif not any((chunk, c.copy) in keyed for c in copies):
                unkeyed.append(chunk)
        if unindexed:
            self.problem(
                f"{label}: {what}: {_count(unindexed)} in no index ({len(chunks)} chunks in all)"
            )
        if unkeyed:
            self.problem(
                f"{label}: {what}: no key to {_count(unkeyed)} in the keyrings of "
                f"{owner[0]}/{owner[1]}"
            )

    # data

    def check_data(self, present: dict[str, int]) -> None:
        erased: dict[Owner, int] = defaultdict(int)
        unkeyed = 0
        for done, name in enumerate(sorted(present), 1):
            self.progress(VerifyProgress("data", done, len(present)))
            path = f"{self.where}/{pack_path(name)}"
            try:
                data = self.repo.target.get(pack_path(name))
            except BackupError as exc:
                self.problem(str(exc))
                continue
            self.report.bytes_read += len(data)
            digest = hashlib.sha256(data).hexdigest()
            if digest != name:
                self.problem(f"{path}: its bytes hash to {digest}, not its name (damaged)")
            try:
                self.compare_header(name, self.repo.parse_pack(name, data))
            except BackupError as exc:
                self.problem(str(exc))
            for entry in self.repo.index.packs()[name].entries:
                self.report.chunks += 1
                key = self.keys.get((entry.chunk, entry.copy))
                if key is None:
                    if self.repo.erased(entry.tenant, entry.wedding) is not None:
                        erased[(entry.tenant, entry.wedding)] += 1
                    elif (entry.tenant, entry.wedding) not in self.damaged_keys:
                        unkeyed += 1
                    continue
                sealed = data[entry.offset : entry.offset + entry.length]
                try:
                    self.repo.decode_chunk(sealed, entry, key, tenant=entry.tenant, pack=name)
                except BackupError as exc:
                    self.problem(str(exc))
        for (tenant, wedding), count in sorted(erased.items()):
            self.report.erased.append(
                f"wedding {tenant}/{wedding}: {count} chunk(s) no other wedding keys are "
                "unreadable by design (erased); prune reclaims their space"
            )
        if unkeyed:
            self.report.notes.append(
                f"{unkeyed} chunk(s) no keyring keys, left by an interrupted run: harmless, "
                "prune removes them"
            )


def _count(chunks: list[str]) -> str:
    first = f"chunk {chunks[0]}"
    return (
        first
        + (f" and {len(chunks) - 1} other(s)" if len(chunks) > 1 else "")
        + (" is" if len(chunks) == 1 else " are")
    )


def record_verification(
    catalog: Catalog, *, repository: str, report: VerifyReport, now: datetime
) -> None:
    """Keep a verification's outcome as a `backup.verified` event (readiness reads the last
    one)."""
    with catalog.begin() as conn:
        record_event(
            conn,
            EventKind.BACKUP_VERIFIED,
            f"backup repository {repository} verified "
            f"({'structure and data' if report.read_data else 'structure'}): "
            f"{'no problem' if report.ok else f'{len(report.problems)} problems'}",
            now=now,
            data={
                "repository": repository,
                "read_data": report.read_data,
                "problems": report.problems[:20],
                "ok": report.ok,
            },
        )

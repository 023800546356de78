"""Forget and prune: drop snapshots a retention policy no longer keeps, then the data only they
referenced (restic's `forget` and `prune`).

`forget` deletes snapshot files, nothing else: what they referenced stays in packs until
`prune` reclaims it. `prune` works in two halves:

- **plan** (pure, `plan_prune`): from what the target holds (`survey`: indexed packs and their
  entries, stored packs and their ages, trees, keyring files) and the set of chunk copies every
  remaining snapshot references (trees of every wedding not erased, catalog dumps, each through
  its wedding's keyring), decide each pack's fate: *keep* it, *delete* it (no entry used),
  or *repack* it (partly used: its used sealed chunks are copied byte for byte into new packs,
  keeping their copy ids, so no keyring is rewritten). Partly used packs are repacked emptiest
  first until the repository's unused share is within `max_unused` (restic's `--max-unused`,
  5 %; 0 repacks every partly used pack).
- **execute**, in an order where a crash between any two writes leaves every remaining
  snapshot restorable: new packs → a new index listing them (and the kept packs whose every
  index file is replaced) → delete the superseded index files → delete the obsolete packs and
  the crash leftovers → delete unreferenced trees and keyring files keying no stored copy.
  Until the superseded index files are gone, a repacked chunk copy is indexed twice (old and
  new pack): both are whole, readers take either, verify accepts both. A pack is deleted only
  once no index lists it. A crash leaves new packs no index lists (the next prune deletes them
  after the grace period) or old packs no index lists any more (deleted at once next time).

Why both an exclusive lock and a grace period. The lock keeps backups out while prune runs:
a backup deduplicates against the index it loaded, so it may be about to commit a snapshot
referencing a chunk prune finds unreferenced, and would commit a snapshot naming deleted data.
The grace (`GRACE`, 1 hour) spares packs no index lists yet while they are young: the one
thing a writer produces before anything refers to it is a fresh pack, and a writer whose lock
was judged stale (a laptop suspended for half an hour) may still list it in an index on
waking up. Where the target cannot tell a file's age, unindexed packs are kept.

Prune refuses to run (changing nothing) on a repository it cannot read whole: an unreadable
index file would make its packs look like leftovers, a damaged tree or keyring would hide
references. `trousseau backup verify` names the damage.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Set
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from trousseau.backup.index import IndexedPack
from trousseau.backup.locks import Lock, LockKind, acquire
from trousseau.backup.packs import PackBuilder, PackEntry, pack_path
from trousseau.backup.repository import CATALOG, Owner, Repository
from trousseau.backup.retention import Retention, plan_forget
from trousseau.backup.snapshots import Snapshot
from trousseau.backup.targets import modified_times
from trousseau.clock import Clock
from trousseau.errors import BackupError, InvalidValue, RepositoryCorrupt

GRACE = timedelta(hours=1)
"""A pack no index lists is deleted only once older than this (see the module's docstring)."""
MAX_UNUSED = 0.05
"""The share of unused bytes prune tolerates in the packs it keeps (restic's 5 %)."""

Pair = tuple[str, str]
"""(chunk id, copy id)."""


def _refused(why: str) -> RepositoryCorrupt:
    return RepositoryCorrupt(
        f"prune stopped before changing anything: {why}; run `trousseau backup verify` and "
        "repair the repository (copy the damaged files back from a replica) first"
    )


# --- forget ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SnapshotFate:
    """A snapshot, whether the policy keeps it, and why (the buckets that chose it)."""

    snapshot: Snapshot
    keep: bool
    reasons: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        snap = self.snapshot
        return {
            "id": snap.id,
            "time": snap.time.isoformat(),
            "host": snap.host,
            "weddings": len(snap.weddings),
            "size": snap.size,
            "keep": self.keep,
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True)
class SnapshotForgotten:
    """One snapshot file deleted: `done` of `total`."""

    snapshot_id: str
    done: int
    total: int


@dataclass(frozen=True)
class ForgetReport:
    policy: Retention
    snapshots: tuple[SnapshotFate, ...]
    """Newest first."""
    dry_run: bool

    @property
    def kept(self) -> list[SnapshotFate]:
        return [f for f in self.snapshots if f.keep]

    @property
    def forgotten(self) -> list[SnapshotFate]:
        return [f for f in self.snapshots if not f.keep]

    def to_json(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "policy": {
                "last": self.policy.last,
                "hourly": self.policy.hourly,
                "daily": self.policy.daily,
                "weekly": self.policy.weekly,
                "monthly": self.policy.monthly,
                "yearly": self.policy.yearly,
            },
            "kept": len(self.kept),
            "forgotten": len(self.forgotten),
            "snapshots": [f.to_json() for f in self.snapshots],
        }


def forget(
    repo: Repository,
    policy: Retention,
    *,
    clock: Clock,
    tz: ZoneInfo,
    dry_run: bool = False,
    progress: Callable[[SnapshotForgotten], None] | None = None,
) -> ForgetReport:
    """Delete the snapshots `policy` does not keep (periods in `tz`), under the exclusive lock
    (a shared one for a dry run, which deletes nothing). Their data stays until `prune`."""
    kind = LockKind.SHARED if dry_run else LockKind.EXCLUSIVE
    with acquire(repo.target, kind, clock=clock) as lock:
        snapshots = {s.id: s for s in repo.snapshots()}
        plan = plan_forget([(s.id, s.time) for s in snapshots.values()], policy, tz=tz)
        fates = [SnapshotFate(snapshots[sid], True, reasons) for sid, reasons in plan.keep]
        fates += [SnapshotFate(snapshots[sid], False, ()) for sid in plan.forget]
        fates.sort(key=lambda f: (f.snapshot.time, f.snapshot.id), reverse=True)
        if not dry_run:
            for done, snapshot_id in enumerate(plan.forget, 1):
                repo.target.delete(f"snapshots/{snapshot_id}")
                lock.refresh()
                if progress is not None:
                    progress(SnapshotForgotten(snapshot_id, done, len(plan.forget)))
    return ForgetReport(policy, tuple(fates), dry_run)


# --- what the target holds ------------------------------------------------------------------


@dataclass(frozen=True)
class Contents:
    """What prune plans from: read from a repository by `survey`, plain values only."""

    indexed: Mapping[str, IndexedPack]
    """Every pack a readable index file lists."""
    listings: Mapping[str, tuple[str, ...]]
    """Pack -> the index files listing it."""
    index_files: tuple[str, ...]
    stored: Mapping[str, int]
    """Every pack on the target -> its size."""
    modified: Mapping[str, datetime] | None
    """Pack -> when it was written; None where the target cannot tell."""
    referenced: Set[Pair]
    """The chunk copies the remaining snapshots need (keyed by the wedding referencing them)."""
    trees: tuple[str, ...]
    referenced_trees: Set[str]
    keyrings: Mapping[str, Set[Pair]]
    """Keyring file -> the copies it keys (weddings not erased)."""


def survey(repo: Repository) -> Contents:
    """Read what prune needs; RepositoryCorrupt (prune refused) on anything unreadable."""
    repo.reload()
    if repo.load_problems:
        raise _refused(repo.load_problems[0])
    target = repo.target
    snapshots = repo.snapshots()
    chunks: dict[Owner, set[str]] = {}
    seen_trees: set[tuple[Owner, str]] = set()
    referenced_trees: set[str] = set()
    for snapshot in snapshots:
        for ref in snapshot.weddings:
            owner = (ref.tenant, ref.wedding)
            referenced_trees.add(repo.tree_prefix(*owner) + ref.tree)
            if repo.erased(*owner) is not None or (owner, ref.tree) in seen_trees:
                continue
            seen_trees.add((owner, ref.tree))
            wanted = chunks.setdefault(owner, set())
            for blob in repo.tree(ref).blobs:
                wanted.update(blob.chunks)
        for dump in snapshot.dumps:
            chunks.setdefault(CATALOG, set()).update(dump.chunks)
    referenced: set[Pair] = set()
    for owner, wanted in sorted(chunks.items()):
        keyring = repo.keyring(*owner, reload=True)
        for chunk in sorted(wanted):
            copies = [c for c in keyring.keys_for(chunk) if repo.index.location(chunk, c)]
            if not copies:
                raise _refused(
                    f"chunk {chunk} of {owner[0]}/{owner[1]}, referenced by a snapshot, has no "
                    "indexed copy its wedding's keyrings key"
                )
            referenced.update((chunk, copy) for copy in copies)
    keyrings: dict[str, set[Pair]] = {}
    for owner in repo.weddings_with_keys():
        keyrings.update(repo.keyring_files(*owner))
    index = repo.index
    packs = index.packs()
    modified = modified_times(target, "packs/")
    return Contents(
        indexed=packs,
        listings={name: tuple(index.files_listing(name)) for name in packs},
        index_files=tuple(repo.index_files()),
        stored=repo.packs(),
        modified=(
            None if modified is None else {p.rsplit("/", 1)[-1]: t for p, t in modified.items()}
        ),
        referenced=referenced,
        trees=tuple(path for path, _ in target.list("trees/")),
        referenced_trees=referenced_trees,
        keyrings=keyrings,
    )


# --- the plan (pure) ------------------------------------------------------------------------


class PackAction(StrEnum):
    KEEP = "keep"
    REPACK = "repack"
    DELETE = "delete"


@dataclass(frozen=True)
class PackFate:
    name: str
    size: int
    used: int
    """Bytes of the chunk copies still needed (sealed lengths)."""
    unused: int
    action: PackAction


@dataclass(frozen=True)
class PrunePlan:
    packs: tuple[PackFate, ...]
    copies: tuple[tuple[str, PackEntry], ...]
    """(source pack, entry) of every chunk copy repacked, in order."""
    superseded: tuple[str, ...]
    """Index files replaced (each lists a pack deleted or repacked)."""
    relist: tuple[IndexedPack, ...]
    """Kept packs the new index lists again (every index file listing them is superseded)."""
    leftovers: tuple[tuple[str, int], ...]
    """Packs no index lists, older than the grace period: deleted."""
    young: tuple[tuple[str, int], ...]
    """Packs no index lists, within the grace period (or of unknown age): kept."""
    trees: tuple[str, ...]
    keyrings: tuple[str, ...]

    def of(self, action: PackAction) -> list[PackFate]:
        return [p for p in self.packs if p.action is action]

    @property
    def bytes_repacked(self) -> int:
        return sum(entry.length for _, entry in self.copies)

    @property
    def bytes_removed(self) -> int:
        """Bytes of the packs deleted or repacked, and of the leftovers."""
        gone = sum(p.size for p in self.packs if p.action is not PackAction.KEEP)
        return gone + sum(size for _, size in self.leftovers)

    @property
    def empty(self) -> bool:
        return not (
            self.of(PackAction.DELETE)
            or self.of(PackAction.REPACK)
            or self.superseded
            or self.leftovers
            or self.trees
            or self.keyrings
        )


def plan_prune(
    contents: Contents, *, now: datetime, grace: timedelta = GRACE, max_unused: float = MAX_UNUSED
) -> PrunePlan:
    """Decide what prune writes and deletes. RepositoryCorrupt (refused) if a copy a snapshot
    needs lies in no stored pack of the size its index says."""
    if not 0 <= max_unused <= 1:
        raise InvalidValue(f"max-unused is {max_unused}: give a share between 0 and 1 (0.05: 5 %)")
    whole = {
        name: pack
        for name, pack in contents.indexed.items()
        if contents.stored.get(name) == pack.size
    }
    # Each needed copy is kept at one place: the pack most of which is needed (a copy indexed
    # twice after an interrupted prune is kept once, in the pack that prune wrote).
    needed_bytes: dict[str, int] = {}
    places: dict[Pair, list[str]] = {}
    for name, pack in whole.items():
        for entry in pack.entries:
            pair = (entry.chunk, entry.copy)
            if pair in contents.referenced:
                needed_bytes[name] = needed_bytes.get(name, 0) + entry.length
                places.setdefault(pair, []).append(name)
    lost = sorted(contents.referenced - places.keys())
    if lost:
        chunk, copy = lost[0]
        raise _refused(
            f"chunk {chunk} (copy {copy}), referenced by a snapshot, is in no stored pack of the "
            f"size its index lists ({len(lost)} such copies)"
        )
    share = {name: needed / max(whole[name].size, 1) for name, needed in needed_bytes.items()}
    chosen = {pair: max(names, key=lambda n: (share[n], n)) for pair, names in places.items()}
    fates: dict[str, PackFate] = {}
    partly: list[PackFate] = []
    used_total = 0
    for name, pack in sorted(contents.indexed.items()):
        used = sum(e.length for e in pack.entries if chosen.get((e.chunk, e.copy)) == name)
        unused = sum(e.length for e in pack.entries) - used
        action = PackAction.DELETE if used == 0 else PackAction.KEEP
        fate = PackFate(name, contents.stored.get(name, 0), used, unused, action)
        fates[name] = fate
        used_total += used
        if used and unused:
            partly.append(fate)
    unused_left = sum(f.unused for f in partly)
    allowed = used_total * max_unused / (1 - max_unused) if max_unused < 1 else float("inf")
    for fate in sorted(partly, key=lambda f: (-f.unused / max(f.size, 1), f.name)):
        if unused_left <= allowed:
            break
        fates[fate.name] = PackFate(fate.name, fate.size, fate.used, fate.unused, PackAction.REPACK)
        unused_left -= fate.unused
    copies = tuple(
        (name, entry)
        for name in sorted(fates)
        if fates[name].action is PackAction.REPACK
        for entry in contents.indexed[name].entries
        if chosen.get((entry.chunk, entry.copy)) == name
    )
    changed = {n for n, f in fates.items() if f.action is not PackAction.KEEP}
    listed_files = {file for files in contents.listings.values() for file in files}
    superseded = {file for name in changed for file in contents.listings.get(name, ())} | {
        file for file in contents.index_files if file not in listed_files
    }
    relist = tuple(
        contents.indexed[name]
        for name in sorted(fates)
        if name not in changed
        and all(file in superseded for file in contents.listings.get(name, ()))
    )
    leftovers: list[tuple[str, int]] = []
    young: list[tuple[str, int]] = []
    for name, size in sorted(contents.stored.items()):
        if name in contents.indexed:
            continue
        written = None if contents.modified is None else contents.modified.get(name)
        old = grace <= timedelta(0) or (written is not None and now - written >= grace)
        (leftovers if old else young).append((name, size))
    stored_after = {
        (e.chunk, e.copy)
        for name, fate in fates.items()
        if fate.action is PackAction.KEEP
        for e in contents.indexed[name].entries
    } | {(e.chunk, e.copy) for _, e in copies}
    return PrunePlan(
        packs=tuple(fates[n] for n in sorted(fates)),
        copies=copies,
        superseded=tuple(sorted(superseded)),
        relist=relist,
        leftovers=tuple(leftovers),
        young=tuple(young),
        trees=tuple(t for t in contents.trees if t not in contents.referenced_trees),
        keyrings=tuple(
            path for path, pairs in sorted(contents.keyrings.items()) if not pairs & stored_after
        ),
    )


# --- execution ------------------------------------------------------------------------------


class PruneStage(StrEnum):
    REPACK = "repack"
    """A new pack written with chunk copies from partly used packs."""
    INDEX = "index"
    """The new index written."""
    UNINDEX = "unindex"
    """A superseded index file deleted."""
    PACK = "pack"
    """A pack deleted (unused, repacked, or a crash leftover)."""
    TREE = "tree"
    KEYRING = "keyring"


@dataclass(frozen=True)
class PruneProgress:
    """One file prune wrote or deleted: `stage`, its path and size."""

    stage: PruneStage
    path: str
    bytes: int


@dataclass
class PruneReport:
    plan: PrunePlan
    dry_run: bool
    packs_written: int = 0
    bytes_written: int = 0
    files_deleted: int = 0

    @property
    def packs_deleted(self) -> int:
        return len(self.plan.of(PackAction.DELETE)) + len(self.plan.leftovers)

    @property
    def packs_repacked(self) -> int:
        return len(self.plan.of(PackAction.REPACK))

    @property
    def bytes_repacked(self) -> int:
        return self.plan.bytes_repacked

    @property
    def bytes_freed(self) -> int:
        """Pack bytes removed less those written (for a dry run, less those to copy)."""
        written = self.bytes_written if not self.dry_run else self.plan.bytes_repacked
        return self.plan.bytes_removed - written

    def to_json(self) -> dict[str, Any]:
        plan = self.plan
        return {
            "dry_run": self.dry_run,
            "packs_deleted": self.packs_deleted,
            "packs_repacked": self.packs_repacked,
            "packs_written": self.packs_written,
            "packs_kept": len(plan.of(PackAction.KEEP)),
            "leftover_packs_deleted": len(plan.leftovers),
            "young_packs_kept": len(plan.young),
            "index_files_replaced": len(plan.superseded),
            "trees_deleted": len(plan.trees),
            "keyrings_deleted": len(plan.keyrings),
            "bytes_freed": self.bytes_freed,
            "bytes_repacked": self.bytes_repacked,
        }


PruneProgressFn = Callable[[PruneProgress], None]


def prune(
    repo: Repository,
    *,
    clock: Clock,
    dry_run: bool = False,
    max_unused: float = MAX_UNUSED,
    grace: timedelta = GRACE,
    progress: PruneProgressFn | None = None,
) -> PruneReport:
    """Reclaim what no remaining snapshot references (see the module's docstring), under the
    exclusive lock (a shared one for a dry run, which only plans)."""
    kind = LockKind.SHARED if dry_run else LockKind.EXCLUSIVE
    report = progress or (lambda _: None)
    try:
        with acquire(repo.target, kind, clock=clock) as lock:
            plan = plan_prune(survey(repo), now=clock(), grace=grace, max_unused=max_unused)
            result = PruneReport(plan, dry_run)
            if not dry_run and not plan.empty:
                _execute(repo, plan, result, lock, report)
    except BaseException:
        with suppress(BackupError):  # the original error says more
            repo.reload()
        raise
    repo.reload()  # no read of this repository may go to a deleted index file or pack
    return result


def _execute(
    repo: Repository, plan: PrunePlan, result: PruneReport, lock: Lock, report: PruneProgressFn
) -> None:
    target = repo.target

    def delete(path: str, size: int, stage: PruneStage) -> None:
        target.delete(path)
        result.files_deleted += 1
        lock.refresh()
        report(PruneProgress(stage, path, size))

    # 1. new packs: the used copies of repacked packs, byte for byte
    written: list[IndexedPack] = []
    builder = repo.pack_builder()

    def flush(builder: PackBuilder) -> None:
        if not builder:
            return
        pack = builder.finish()
        target.put_new(pack.path, pack.data)
        written.append(IndexedPack(pack.name, len(pack.data), pack.entries))
        result.packs_written += 1
        result.bytes_written += len(pack.data)
        lock.refresh()
        report(PruneProgress(PruneStage.REPACK, pack.path, len(pack.data)))

    source_name = ""
    source = b""
    for name, entry in plan.copies:
        if name != source_name:
            source_name, source = name, target.get(pack_path(name))
            if hashlib.sha256(source).hexdigest() != name:
                raise RepositoryCorrupt(
                    f"{target.name}/{pack_path(name)}: its bytes do not hash to its name "
                    "(damaged): prune copied nothing from it and deleted nothing; run "
                    "`trousseau backup verify --read-data`"
                )
        builder.add(
            source[entry.offset : entry.offset + entry.length],
            chunk=entry.chunk,
            copy=entry.copy,
            raw_length=entry.raw_length,
            compressed=entry.compressed,
            tenant=entry.tenant,
            wedding=entry.wedding,
        )
        if builder.full:
            flush(builder)
    flush(builder)
    # 2. the index of the new packs and of the kept packs whose index files are replaced
    listed = written + list(plan.relist)
    if listed:
        data = repo.seal_index(listed)
        path = f"index/{hashlib.sha256(data).hexdigest()}"
        target.put_new(path, data)
        lock.refresh()
        report(PruneProgress(PruneStage.INDEX, path, len(data)))
    # 3. the superseded index files: from now on no index lists the packs to delete
    for path in plan.superseded:
        delete(path, 0, PruneStage.UNINDEX)
    # 4. the packs no index lists any more, and the old crash leftovers
    for fate in plan.packs:
        if fate.action is not PackAction.KEEP:
            delete(pack_path(fate.name), fate.size, PruneStage.PACK)
    for name, size in plan.leftovers:
        delete(pack_path(name), size, PruneStage.PACK)
    # 5. trees no snapshot references, keyring files keying no stored copy
    for path in plan.trees:
        delete(path, 0, PruneStage.TREE)
    for path in plan.keyrings:
        delete(path, 0, PruneStage.KEYRING)

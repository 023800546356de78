"""Replication: the primary repository copied, file by file, to each replica target.

Every file but `config`, the data keys and the locks is named by the SHA-256 of its bytes and
written once, so a replica is a plain copy: `replicate` copies what the replica lacks, in the
order a writer writes (packs, index, data keys, keyrings, trees, audit records, snapshots
last), so an interrupted replication never leaves a replica snapshot whose data it lacks; then
it deletes, snapshots first and packs last, what the primary no longer has (after forget,
prune or erasure), so the replica takes every erasure too. A shared lock on the primary keeps
a prune from deleting files under it; an exclusive lock on the replica keeps two replications
(or a reader's verify) from meeting.

`copies_report` says, per wedding, how many whole copies exist (the vault's and each target's
latest snapshot), against `backup.copies`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from trousseau.backup.config import passphrase_of
from trousseau.backup.locks import LOCKS, LockKind, acquire
from trousseau.backup.repository import open_repository
from trousseau.backup.runs import owner_names
from trousseau.backup.targets import Target, open_target
from trousseau.catalog import Catalog, wedding_blobs
from trousseau.clock import Clock, utc_now
from trousseau.errors import ReplicaMismatch, RepositoryCorrupt, WeddingErased
from trousseau.settings import Settings
from trousseau.vault import Vault

# Copied in this order; deleted in the reverse one (snapshots first, packs last).
COPY_ORDER = ("packs/", "index/", "datakeys/", "keyrings/", "trees/", "audit/", "snapshots/")
DELETE_ORDER = ("snapshots/", "trees/", "keyrings/", "datakeys/", "index/", "packs/")
"""Audit records are never deleted: they are the erasures' proof."""
UNHASHED = ("datakeys/",)
"""Files not named by the SHA-256 of their bytes (besides `config` and the locks)."""

Progress = Callable[[str, str], None]
"""Called with ("copy" | "delete", path) before each file is copied or deleted."""


@dataclass
class ReplicaReport:
    """What one replication did to one replica."""

    replica: str
    initialized: bool = False
    """The replica was empty: config and keys were copied first."""
    copied: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    bytes_copied: int = 0


def _paths(target: Target, prefix: str) -> dict[str, int]:
    return {path: size for path, size in target.list(prefix) if not path.startswith(LOCKS)}


def _checked(primary: Target, path: str) -> bytes:
    """The primary's file, refused if it is named by a hash its bytes do not have."""
    data = primary.get(path)
    if not path.startswith(UNHASHED) and path != "config":
        name = path.rsplit("/", 1)[-1]
        if hashlib.sha256(data).hexdigest() != name:
            raise RepositoryCorrupt(
                f"{primary.name}: {path}: its bytes do not hash to its name (damaged); "
                "nothing after it was replicated: run `trousseau backup verify`"
            )
    return data


def replicate(
    primary: Target,
    replica: Target,
    *,
    progress: Progress | None = None,
    clock: Clock = utc_now,
) -> ReplicaReport:
    """Bring `replica` to the primary's files; ReplicaMismatch if it holds another repository."""
    report = ReplicaReport(replica=replica.name)
    tell = progress or (lambda _action, _path: None)

    def copy(path: str) -> None:
        tell("copy", path)
        data = _checked(primary, path)
        replica.put_new(path, data)
        report.copied.append(path)
        report.bytes_copied += len(data)

    with acquire(primary, LockKind.SHARED, clock=clock):
        config = primary.get("config")
        if not replica.exists("config"):
            # Keys before config: a config is the mark of a whole repository.
            for path in sorted(_paths(primary, "keys/")):
                if not replica.exists(path):
                    copy(path)
            tell("copy", "config")
            replica.put_new("config", config)
            report.copied.append("config")
            report.bytes_copied += len(config)
            report.initialized = True
        elif replica.get("config") != config:
            raise ReplicaMismatch(
                f"{replica.name} holds another repository: its config differs from "
                f"{primary.name}'s; point backup.targets at an empty location"
            )
        with acquire(replica, LockKind.EXCLUSIVE, clock=clock):
            for path in sorted(set(_paths(primary, "keys/")) - set(_paths(replica, "keys/"))):
                copy(path)
            primary_files: set[str] = set()
            for prefix in COPY_ORDER:
                theirs = _paths(primary, prefix)
                primary_files |= set(theirs)
                for path in sorted(set(theirs) - set(_paths(replica, prefix))):
                    copy(path)
            for prefix in DELETE_ORDER:
                for path in sorted(set(_paths(replica, prefix)) - primary_files):
                    tell("delete", path)
                    replica.delete(path)
                    report.deleted.append(path)
    return report


# --- copies -----------------------------------------------------------------------------------

Wedding = tuple[str, str]
"""(tenant, wedding) as the backup names them (ids as text)."""


@dataclass(frozen=True)
class WeddingCopies:
    """How many whole copies of one wedding exist."""

    tenant: str
    wedding: str
    blobs: int
    in_vault: bool
    targets: tuple[str, ...]
    """The targets whose latest snapshot holds every blob of the wedding."""
    copies: int
    goal: int

    @property
    def met(self) -> bool:
        return self.copies >= self.goal


def copies_report(
    wanted: Mapping[Wedding, Iterable[str]],
    vault_present: Callable[[str], bool] | Iterable[str],
    targets: Sequence[tuple[str, Mapping[Wedding, Iterable[str]]]],
    *,
    goal: int,
) -> list[WeddingCopies]:
    """Per wedding (of `wanted`: the catalog's blob sha256s per wedding), the copies that exist.

    The vault counts one if it holds every blob (`vault_present`: a predicate or the set of
    sha256s present); each target counts one if its latest snapshot (`targets`: (name,
    wedding -> sha256s)) holds every blob. Pure: the caller reads the catalog and targets.
    """
    if callable(vault_present):
        present = vault_present
    else:
        held = set(vault_present)
        present = held.__contains__
    held_by = [(name, {key: set(blobs) for key, blobs in snap.items()}) for name, snap in targets]
    out: list[WeddingCopies] = []
    for key in sorted(wanted):
        blobs = set(wanted[key])
        in_vault = all(present(sha) for sha in blobs)
        names = tuple(name for name, snap in held_by if key in snap and blobs <= snap[key])
        copies = int(in_vault) + len(names)
        out.append(
            WeddingCopies(
                tenant=key[0],
                wedding=key[1],
                blobs=len(blobs),
                in_vault=in_vault,
                targets=names,
                copies=copies,
                goal=goal,
            )
        )
    return out


def snapshot_weddings(target: Target, passphrase: str) -> dict[Wedding, set[str]]:
    """Per wedding, the blob sha256s of the target's latest snapshot (erased ones left out)."""
    repo = open_repository(target, passphrase)
    latest = repo.latest()
    held: dict[Wedding, set[str]] = {}
    if latest is None:
        return held
    for ref in latest.weddings:
        try:
            tree = repo.tree(ref)
        except WeddingErased:
            continue
        held.setdefault((ref.tenant, ref.wedding), set()).update(b.sha256 for b in tree.blobs)
    return held


def copies_from_settings(settings: Settings, catalog: Catalog, vault: Vault) -> list[WeddingCopies]:
    """`gather_copies` over `backup.targets` with the configured passphrase and copy goal."""
    return gather_copies(
        catalog,
        vault,
        [open_target(url) for url in settings.backup.targets],
        passphrase_of(settings),
        goal=settings.backup.copies,
    )


def gather_copies(
    catalog: Catalog,
    vault: Vault,
    targets: Sequence[Target],
    passphrase: str,
    *,
    goal: int,
) -> list[WeddingCopies]:
    """`copies_report` over the catalog's weddings, the vault and each target's latest
    snapshot (a target that cannot be read counts no copy: its error is raised)."""
    wanted: dict[Wedding, set[str]] = {}
    with catalog.begin() as conn:
        for blob in wedding_blobs(conn):
            wanted.setdefault(owner_names(blob), set()).add(blob.sha256)
    seen = [(target.name, snapshot_weddings(target, passphrase)) for target in targets]
    return copies_report(wanted, vault.exists, seen, goal=goal)

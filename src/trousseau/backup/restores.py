"""Restores: a snapshot, a wedding or a photo, byte-identical, to a folder or into the vault.

To a folder, blobs are written as `<folder>/<tenant id>/<wedding id>/<sha256>` (a blob's name
is its hash, so the folder proves itself: `sha256sum` of each file is its name), with the
names the catalog knows listed in `names.tsv` beside them, and the catalog dump as
`<folder>/catalog.<format>`. `names.tsv` holds a line a blob: its path, a tab, and its name
with backslash, tab, newline and carriage return written `\\\\`, `\\t`, `\\n` and `\\r` (as
PostgreSQL's text COPY format writes them), so a name holding them stays on its line.

Into the vault, each blob the vault lacks is put back (the vault checks the hash again);
blobs it already holds are left alone. Every write is verified
against the snapshot's SHA-256 before it is renamed into place: a restore leaves a file whole
or not at all.
"""

from __future__ import annotations

import errno
import tempfile
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from trousseau.backup.repository import Repository
from trousseau.backup.snapshots import BlobEntry, Snapshot
from trousseau.errors import NotFound, RestoreFailed, VaultError, WeddingErased
from trousseau.vault import Vault


@dataclass(frozen=True)
class BlobRestored:
    """One blob is back: `done` of `total`, `bytes` of it; `skipped` when already there."""

    sha256: str
    bytes: int
    done: int
    total: int
    skipped: bool


@dataclass(frozen=True)
class RestoreReport:
    snapshot: Snapshot
    blobs: int
    bytes: int
    skipped: int
    catalog: Path | None
    erased: tuple[str, ...] = ()
    """Weddings left out because they were erased (tenant/wedding ids)."""


RestoreProgress = Callable[[BlobRestored], None]

THREADS = 4
"""Blobs restored at once: enough to keep two cores and the disk busy."""


def find_snapshot(repo: Repository, snapshot_id: str) -> Snapshot:
    """`latest`, or the snapshot whose id starts with `snapshot_id` (8 characters suffice)."""
    snapshots = repo.snapshots()
    if not snapshots:
        raise NotFound(f"{repo.target.name} holds no snapshot yet: run `trousseau backup run`")
    if snapshot_id == "latest":
        return snapshots[-1]
    found = [s for s in snapshots if s.id.startswith(snapshot_id)] if snapshot_id else []
    if len(found) != 1:
        what = "no snapshot" if not found else f"{len(found)} snapshots"
        raise NotFound(
            f"{what} of {repo.target.name} match {snapshot_id!r}: "
            "`trousseau backup snapshots` lists them"
        )
    return found[0]


def restore(
    repo: Repository,
    snapshot: Snapshot,
    *,
    to: Path | None = None,
    vault: Vault | None = None,
    tenant: str | None = None,
    wedding: str | None = None,
    sha256s: set[str] | None = None,
    names: Mapping[str, str] | None = None,
    with_catalog: bool = False,
    progress: RestoreProgress | None = None,
    threads: int = THREADS,
) -> RestoreReport:
    """Restore the snapshot's blobs (of one tenant, wedding or set of blobs) to `to` or `vault`.

    `threads` blobs are restored at once (reads, decryption, hashing and writes release the
    GIL); the first failure stops the rest and is raised, and each blob is whole or absent.

    NotFound when the selection holds no blob; WeddingErased for an erased wedding.
    """
    if (to is None) == (vault is None):
        raise ValueError("restore to a folder or into a vault: exactly one of them")
    if to is not None and to.exists() and not to.is_dir():
        raise RestoreFailed(f"cannot restore to {to}: it is a file, not a folder; name a folder")
    entries: list[BlobEntry] = []
    erased: list[str] = []
    for ref in snapshot.weddings:
        if (tenant is not None and ref.tenant != tenant) or (
            wedding is not None and ref.wedding != wedding
        ):
            continue
        try:
            blobs = repo.tree(ref).blobs
        except WeddingErased:
            if wedding is not None:
                raise
            erased.append(f"{ref.tenant}/{ref.wedding}")  # a whole snapshot: the rest restores
            continue
        entries += [e for e in blobs if sha256s is None or e.sha256 in sha256s]
    if not entries and not with_catalog:
        raise NotFound(
            f"snapshot {snapshot.id[:12]} holds nothing of that selection: check the wedding or "
            "photo, or `trousseau backup snapshots`"
        )
    restored = skipped = size = 0
    listing: list[str] = []
    for owner in dict.fromkeys(e.owner for e in entries):
        repo.keyring(*owner)  # loaded once here, read by every thread below
    with ThreadPoolExecutor(threads, thread_name_prefix="backup-restore") as pool:
        running = {pool.submit(_restore_one, repo, e, to=to, vault=vault): e for e in entries}
        try:
            for done, future in enumerate(as_completed(running), 1):
                entry = running[future]
                already = future.result()
                restored += not already
                skipped += already
                size += entry.size
                if progress is not None:
                    progress(BlobRestored(entry.sha256, entry.size, done, len(entries), already))
        finally:
            for future in running:
                future.cancel()
    for entry in entries:
        if names is not None and entry.sha256 in names:
            name = tsv_field(names[entry.sha256])
            listing.append(f"{entry.tenant}/{entry.wedding}/{entry.sha256}\t{name}")
    catalog = None
    if to is not None:
        try:
            if listing:
                _write_names(to / NAMES_FILE, listing)
            if with_catalog and snapshot.dumps:
                dump = snapshot.dumps[-1]
                catalog = repo.restore_blob(dump, to / f"catalog.{dump.format}")
        except OSError as exc:
            raise _unwritable(to, exc) from exc
    return RestoreReport(snapshot, restored, size, skipped, catalog, tuple(erased))


_TSV_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def tsv_field(text: str) -> str:
    """`text` as one field of a tab-separated line: backslash, tab, newline and carriage return
    escaped (a file name on a card may hold any of them)."""
    return text.translate(_TSV_ESCAPES)


NAMES_FILE = "names.tsv"


def _write_names(path: Path, listing: list[str]) -> None:
    """`names.tsv` with these lines, keeping the lines of blobs restored there before (a
    second wedding restored into the same folder), written whole (a temporary file renamed)."""
    lines = dict.fromkeys(listing)
    if path.exists():
        ours = {line.split("\t", 1)[0] for line in listing}
        earlier = path.read_text(encoding="utf-8").splitlines()
        lines = dict.fromkeys(
            [line for line in earlier if line and line.split("\t", 1)[0] not in ours] + listing
        )
    temporary = path.with_name(f".{NAMES_FILE}.partial")
    temporary.write_text("\n".join(lines) + "\n", encoding="utf-8")
    temporary.replace(path)


def _unwritable(to: Path, exc: OSError) -> RestoreFailed:
    """A restore's write refused by the folder or its disk, said as what to do."""
    why = exc.strerror or str(exc)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        advice = "the disk is full: free space (or choose a folder on another disk) and retry"
    elif exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        advice = "it cannot be written: choose a folder you can write to and retry"
    elif exc.errno in (errno.ENOTDIR, errno.EEXIST):
        advice = "something that is not a folder is in the way: choose another folder"
    else:
        advice = "check the folder and its disk, then retry"
    where = exc.filename or to
    return RestoreFailed(
        f"cannot restore to {to}: writing {where} failed ({why}); {advice}; every file "
        "restored there so far is whole"
    )


def _restore_one(
    repo: Repository, entry: BlobEntry, *, to: Path | None, vault: Vault | None
) -> bool:
    """Restore one blob; True when it was already there, whole.

    Into a vault, a blob the vault holds is checked first: a missing or damaged copy (the
    reason `trousseau verify` sends the operator here) is replaced by the verified one, the
    damaged copy set aside (`Vault.repair`)."""
    if vault is not None:
        try:
            vault.verify(entry.sha256)
            return True
        except VaultError:
            pass
        try:
            with tempfile.TemporaryDirectory(prefix="trousseau-restore-") as scratch:
                path = repo.restore_blob(entry, Path(scratch) / entry.sha256)
                vault.repair(path, entry.sha256)
        except OSError as exc:
            raise RestoreFailed(
                f"cannot restore blob {entry.sha256} into the vault: its temporary copy in "
                f"{tempfile.gettempdir()} failed ({exc.strerror or exc}); free space there or "
                "point TMPDIR at a disk with room, then retry"
            ) from exc
        return False
    assert to is not None
    folder = to / entry.tenant / entry.wedding
    try:
        folder.mkdir(parents=True, exist_ok=True)
        repo.restore_blob(entry, folder / entry.sha256)  # always written: a file there may be bad
    except OSError as exc:
        raise _unwritable(to, exc) from exc
    return False

"""A restore drill: the catalog and a random sample of weddings restored from the backup
repository into a scratch place, every hash verified, RTO and RPO measured.

The drill restores what a disaster would restore, in the order a studio needs it: first the
catalog (time to catalog usable), then the sampled weddings' galleries (their variants: time
to the first gallery served, read back from the scratch vault), then every remaining blob
(time to all restored). The sample is drawn from the *restored* catalog, so the drill tests
the backup, not the live system. RPO is the age of the oldest change not yet in the primary
repository when the drill starts (0 when everything is backed up). Each drill, passed or
failed, is recorded as a `dr.drill` event: the history, the metrics and the alerts read it.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from trousseau.backup import find_snapshot, open_backup, primary_target, restore, restore_catalog
from trousseau.catalog import (
    BlobRole,
    Catalog,
    EventKind,
    backup_lags,
    every_wedding,
    open_catalog,
    record_event,
    wedding_blobs,
)
from trousseau.errors import InvalidValue, SettingsError, TrousseauError
from trousseau.settings import Settings
from trousseau.vault import open_vault


@dataclass
class DrillReport:
    """What a drill restored and how long each stage took (seconds from its start)."""

    started_at: datetime
    snapshot: str = ""
    snapshot_time: datetime | None = None
    weddings: list[str] = field(default_factory=list)
    blobs: int = 0
    bytes: int = 0
    catalog_seconds: float | None = None
    first_gallery_seconds: float | None = None
    all_seconds: float | None = None
    rpo_seconds: float | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.all_seconds is not None

    def as_data(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "snapshot": self.snapshot,
            "snapshot_time": self.snapshot_time.isoformat() if self.snapshot_time else None,
            "weddings": self.weddings,
            "blobs": self.blobs,
            "bytes": self.bytes,
            "rto_catalog_seconds": self.catalog_seconds,
            "rto_first_gallery_seconds": self.first_gallery_seconds,
            "rto_all_seconds": self.all_seconds,
            "rpo_seconds": self.rpo_seconds,
            "error": self.error,
        }


def run_drill(
    settings: Settings,
    catalog: Catalog,
    *,
    scratch: Path,
    weddings: int,
    clock: Callable[[], datetime],
    rng: random.Random,
    keep: bool = False,
    scratch_catalog_url: str | None = None,
) -> DrillReport:
    """Run one drill into `scratch` and record it; errors are the report's, never raised (a
    failed drill is a result), except a refused `scratch`: InvalidValue, before anything.

    `scratch` must be missing or an empty folder, away from the live data (the data dir, the
    vault, the catalog, a backup target): anything else is refused, never emptied. Unless
    `keep`, what the drill created is removed afterwards: the folder (and any parent made for
    it) when it was missing, only the drill's own entries when it was an empty folder.

    A SQLite catalog is restored into `scratch`; a PostgreSQL one into the database at
    `scratch_catalog_url` (its tables replaced: never the live catalog's)."""
    created = _prepare_scratch(settings, scratch)
    report = DrillReport(started_at=clock())
    started = time.perf_counter()
    try:
        _drill(settings, catalog, scratch, weddings, rng, report, started, scratch_catalog_url)
    except TrousseauError as exc:
        report.error = str(exc)
    except OSError as exc:  # the scratch disk, a target's files: the drill failed, say why
        report.error = f"{type(exc).__name__}: {exc}"
    finally:
        if not keep:
            _clear_scratch(scratch, created)
    with catalog.begin() as conn:
        record_event(
            conn,
            EventKind.DR_DRILL,
            f"restore drill {'passed' if report.ok else 'FAILED'}: "
            + (
                f"{len(report.weddings)} wedding(s), {report.blobs} blobs, all restored in "
                f"{report.all_seconds:.1f} s, RPO {report.rpo_seconds:.1f} s"
                if report.ok and report.all_seconds is not None and report.rpo_seconds is not None
                else str(report.error)
            ),
            now=clock(),
            data=report.as_data(),
        )
    return report


def _live_locations(settings: Settings) -> list[tuple[str, Path]]:
    """The local places holding live data, as far as the settings tell: a drill keeps off."""
    places: list[tuple[str, Path]] = [("the data directory", settings.data_dir)]
    urls = [("the vault", settings.vault_url)]
    urls += [("a vault replica", url) for url in settings.vault_replicas]
    urls += [("a backup target", url) for url in settings.backup.targets]
    for what, url in urls:
        path = _local_path(url)
        if path is not None:
            places.append((what, path))
    if settings.catalog_url.startswith("sqlite"):
        try:
            database = make_url(settings.catalog_url).database
        except ArgumentError:
            database = None
        if database and database != ":memory:" and not database.startswith("file:"):
            places.append(("the catalog", Path(database)))
    if settings.web.spool_dir is not None:
        places.append(("the upload spool", settings.web.spool_dir))
    return places


def _local_path(url: str) -> Path | None:
    """The local folder a vault or backup target URL names (None: not a local one)."""
    if url.startswith("/"):
        return Path(url)
    parts = urlsplit(url)
    if parts.scheme.lower() == "file" and parts.path:
        return Path(unquote(parts.path))
    return None


def _prepare_scratch(settings: Settings, scratch: Path) -> Path | None:
    """Check `scratch` and create it when missing; the topmost folder this created (None:
    `scratch` was there, empty). InvalidValue, with nothing touched, for anything else."""
    shown = str(scratch)
    where = scratch.expanduser().resolve()
    for what, place in _live_locations(settings):
        live = place.expanduser().resolve()
        if where.is_relative_to(live) or live.is_relative_to(where):
            how = "is" if where == live else "lies inside" if live in where.parents else "holds"
            raise InvalidValue(
                f"drill scratch {shown}: it {how} {what} ({live}), and a drill never touches "
                "live data: give --to a missing or empty folder elsewhere"
            )
    if os.path.lexists(scratch):
        if scratch.is_symlink() or not scratch.is_dir():
            raise InvalidValue(
                f"drill scratch {shown}: it exists and is not a folder (left untouched): give "
                "--to a missing or empty folder"
            )
        try:
            held = sum(1 for _ in scratch.iterdir())
        except OSError as exc:
            raise InvalidValue(
                f"drill scratch {shown}: cannot be read ({exc.strerror or exc}): give --to a "
                "missing or empty folder you can write"
            ) from None
        if held:
            raise InvalidValue(
                f"drill scratch {shown}: the folder is not empty ({held} entries, left "
                "untouched): give --to a missing or empty folder"
            )
        return None
    top = scratch
    while not os.path.lexists(top.parent) and top.parent != top:
        top = top.parent
    try:
        scratch.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidValue(
            f"drill scratch {shown}: cannot be created ({exc.strerror or exc}): give --to a "
            "missing or empty folder in a place you can write"
        ) from None
    return top


def _clear_scratch(scratch: Path, created: Path | None) -> None:
    """Remove what the drill created: `scratch` and the parents made for it (`created` the
    topmost), or, in a folder that was there empty, only the entries the drill put in it."""
    if created is None:
        try:
            entries = list(scratch.iterdir())
        except OSError:
            return
        for entry in entries:  # it was empty when the drill began: each one is the drill's
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    entry.unlink()
        return
    shutil.rmtree(scratch, ignore_errors=True)
    folder = scratch
    while folder != created:  # the parents made for it, up to the topmost
        folder = folder.parent
        with contextlib.suppress(OSError):
            folder.rmdir()  # only when empty: never what someone else put there since


def _drill(
    settings: Settings,
    catalog: Catalog,
    scratch: Path,
    sample: int,
    rng: random.Random,
    report: DrillReport,
    started: float,
    scratch_catalog_url: str | None,
) -> None:
    primary = primary_target(settings).name
    with catalog.begin() as conn:
        lags = backup_lags(conn, now=report.started_at)
    mine = [lag for lag in lags if lag.repository == primary] or lags
    report.rpo_seconds = min((lag.seconds_behind for lag in mine), default=None)
    repo = open_backup(settings)
    snap = find_snapshot(repo, "latest")
    report.snapshot, report.snapshot_time = snap.id, snap.time
    if report.rpo_seconds is None:  # no change log cursor: the snapshot's age
        report.rpo_seconds = (report.started_at - snap.time).total_seconds()

    (scratch / "dump").mkdir()
    dump = restore(repo, snap, to=scratch / "dump", with_catalog=True, sha256s=set()).catalog
    if dump is None:
        raise TrousseauError(f"snapshot {snap.id[:12]} holds no catalog dump: run a backup")
    fmt = next(d.format for d in snap.dumps)
    if fmt == "sqlite":
        url = f"sqlite:///{scratch / 'catalog.sqlite3'}"
    elif scratch_catalog_url is None:
        raise SettingsError(
            f"this snapshot's catalog is a PostgreSQL dump ({fmt}): give the drill a scratch "
            "database to restore it into (--scratch-catalog postgresql+psycopg://.../drill), "
            "never the live catalog"
        )
    else:
        if scratch_catalog_url.rstrip("/") == settings.catalog_url.rstrip("/"):
            raise SettingsError("the drill's scratch catalog is the live catalog: name another")
        url = scratch_catalog_url
    restore_catalog(dump, url, format=fmt, replace=fmt != "sqlite")
    restored = open_catalog(url, auto_migrate=False)
    vault = open_vault((scratch / "vault").as_uri())
    try:
        with restored.begin() as conn:
            found = every_wedding(conn)
        report.catalog_seconds = time.perf_counter() - started
        in_snapshot = {(ref.tenant, ref.wedding) for ref in snap.weddings}
        candidates = [w for _, w in found if (str(w.tenant_id), str(w.id)) in in_snapshot]
        chosen = rng.sample(candidates, min(sample, len(candidates)))
        names = {w.id: f"{t}/{w.slug}" for t, w in found}
        report.weddings = [names[w.id] for w in chosen]
        for index, wedding in enumerate(chosen):
            with restored.begin() as conn:
                blobs = list(wedding_blobs(conn, wedding_ids=[wedding.id]))
            gallery = {b.sha256 for b in blobs if b.role is BlobRole.VARIANT}
            for selection in (gallery, {b.sha256 for b in blobs} - gallery):
                if not selection:
                    continue
                done = restore(
                    repo,
                    snap,
                    vault=vault,
                    tenant=str(wedding.tenant_id),
                    wedding=str(wedding.id),
                    sha256s=selection,
                )
                report.blobs += done.blobs
                report.bytes += done.bytes
                if index == 0 and selection is gallery:
                    vault.get_bytes(next(iter(sorted(gallery))), verify=True)
                    report.first_gallery_seconds = time.perf_counter() - started
            missing = [b.name for b in blobs if not vault.exists(b.sha256)]
            if missing:  # restore checked every blob's hash as it wrote it: presence is left
                raise TrousseauError(
                    f"the snapshot lacks {len(missing)} blob(s) the restored catalog names for "
                    f"{names[wedding.id]} (first: {missing[0]}): run trousseau backup run, "
                    "then trousseau backup verify --read-data"
                )
        report.all_seconds = time.perf_counter() - started
    finally:
        vault.close()
        restored.dispose()

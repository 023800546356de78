"""`trousseau backup init|run|status|snapshots|verify|restore|erase|unlock`.

The passphrase comes from TROUSSEAU_BACKUP__PASSPHRASE or backup.passphrase_file, never from
an argument; the target from `--to` or the first of backup.targets.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from trousseau.cli.context import catalog_of, settings_of, vault_of
from trousseau.cli.output import console, errors

if TYPE_CHECKING:
    from trousseau.backup import Repository
    from trousseau.settings import Settings

backup_app = typer.Typer(
    help="Back up originals and the catalog: encrypted, deduplicated, verified.",
    no_args_is_help=True,
)

ToOption = Annotated[
    str | None,
    typer.Option("--to", help="Repository URL (default: the first of backup.targets)."),
]


def _open(settings: Settings, url: str | None) -> Repository:
    from trousseau.backup import open_backup

    return open_backup(settings, url)


def _up_to_date(settings: Settings, url: str | None) -> bool:
    """Whether a run would do nothing, told without the passphrase's key derivation."""
    from trousseau.backup import primary_target, up_to_date

    catalog = catalog_of(settings)
    try:
        return up_to_date(catalog, primary_target(settings, url))
    finally:
        catalog.dispose()


@backup_app.command("init")
def init_command(ctx: typer.Context, to: ToOption = None) -> None:
    """Create an empty repository on the target (refuses one that already holds a repository)."""
    from trousseau.backup import create_backup
    from trousseau.clock import utc_now

    repo = create_backup(settings_of(ctx), to, clock=utc_now)
    console.print(f"created backup repository {repo.config.id[:12]} at {repo.target.name}")


@backup_app.command("run")
def run_command(
    ctx: typer.Context,
    to: ToOption = None,
    follow: Annotated[
        bool, typer.Option("--follow", help="Keep running: back up each change within a second.")
    ] = False,
    interval: Annotated[
        float, typer.Option(min=0.05, help="With --follow: seconds between looks at the log.")
    ] = 0.5,
) -> None:
    """Back up what changed since the last run (everything, on a new repository)."""
    from trousseau.backup import BackupEvent, BlobBackedUp, run_backup
    from trousseau.clock import utc_now

    settings = settings_of(ctx)
    started = time.perf_counter()
    if not follow and _up_to_date(settings, to):
        seconds = time.perf_counter() - started
        console.print(f"nothing changed since the last snapshot ({seconds:.2f} s)")
        return
    catalog = catalog_of(settings)
    repo = _open(settings, to)
    vault = vault_of(settings)

    def show(event: BackupEvent) -> None:
        if isinstance(event, BlobBackedUp) and (event.done == event.total or event.done % 50 == 0):
            errors.print(f"  {event.done}/{event.total} blobs", highlight=False)

    try:
        while True:
            report = run_backup(
                catalog,
                vault,
                repo,
                catalog_url=settings.catalog_url,
                clock=utc_now,
                progress=show,
            )
            if report.snapshot is not None:
                console.print(
                    f"snapshot {report.snapshot.id[:12]}: {report.blobs} blobs "
                    f"({report.bytes_read / 1e6:.1f} MB read) from {report.changes} changes"
                    f"{' (full run)' if report.full else ''}, catalog "
                    f"{report.catalog_bytes / 1e6:.1f} MB, in {report.seconds:.2f} s",
                    highlight=False,
                )
            elif not follow:
                console.print(f"nothing changed since the last snapshot ({report.seconds:.2f} s)")
            if report.more_pending:
                continue
            if not follow:
                break
            time.sleep(interval)
    except KeyboardInterrupt:
        errors.print("stopped: what was committed is kept; the rest is backed up next run")
    finally:
        catalog.dispose()
        vault.close()


@backup_app.command("status")
def status_command(
    ctx: typer.Context,
    to: ToOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
) -> None:
    """Last snapshot, change-log lag, sizes, dedup and compression ratios."""
    from trousseau.backup import backup_status
    from trousseau.clock import utc_now

    settings = settings_of(ctx)
    repo = _open(settings, to)
    catalog = catalog_of(settings)
    try:
        status = backup_status(
            catalog, repo, now=utc_now(), lag_target=settings.backup.lag_target_seconds
        )
    finally:
        catalog.dispose()
    if as_json:
        print(json.dumps(status.to_json(), indent=2))
        return
    for line in status.lines():
        console.print(line, highlight=False)


@backup_app.command("snapshots")
def snapshots_command(ctx: typer.Context, to: ToOption = None) -> None:
    """The repository's snapshots, oldest first."""
    repo = _open(settings_of(ctx), to)
    for snap in repo.snapshots():
        console.print(
            f"{snap.id[:12]}  {snap.time:%Y-%m-%d %H:%M:%S}  {snap.host}  "
            f"{len(snap.weddings)} weddings  {snap.size / 1e6:.1f} MB",
            highlight=False,
        )


@backup_app.command("verify")
def verify_command(
    ctx: typer.Context,
    to: ToOption = None,
    read_data: Annotated[
        bool,
        typer.Option("--read-data", help="Also decrypt and re-hash every chunk (reads it all)."),
    ] = False,
) -> None:
    """Check the repository's structure (and, with --read-data, every byte). Exit 1 on damage."""
    from trousseau.backup import verify_repository

    report = verify_repository(_open(settings_of(ctx), to), read_data=read_data)
    for problem in report.problems:
        errors.print(f"[red]damaged:[/] {problem}", highlight=False, soft_wrap=True)
    for erased in report.erased:
        console.print(f"erased: {erased}", highlight=False, soft_wrap=True)
    depth = "structure and data" if report.read_data else "structure"
    console.print(
        f"{depth}: {report.snapshots} snapshots, {report.packs} packs, {report.chunks} chunks"
        f"{f', {report.bytes_read / 1e6:.1f} MB read' if report.read_data else ''}: "
        f"{'no problem' if report.ok else f'{len(report.problems)} problems'}",
        highlight=False,
    )
    if not report.ok:
        raise typer.Exit(1)


@backup_app.command("restore")
def restore_command(
    ctx: typer.Context,
    wedding: Annotated[
        str | None, typer.Option(help="A wedding's slug (tenant: --tenant).")
    ] = None,
    photo: Annotated[
        int | None, typer.Option(help="A photo's id: its original and variants.")
    ] = None,
    snapshot: Annotated[str, typer.Option(help="Snapshot id (a prefix) or latest.")] = "latest",
    to: Annotated[
        Path | None,
        typer.Option("--to", help="Folder to restore into (default: back into the vault)."),
    ] = None,
    repository: Annotated[
        str | None, typer.Option("--repository", help="Repository URL (default: backup.targets).")
    ] = None,
) -> None:
    """Restore byte-identical: a wedding, a photo, or (with --to) a whole snapshot."""
    from trousseau.backup import BlobRestored, find_snapshot, restore
    from trousseau.catalog import get_photo, get_tenant, get_wedding, wedding_blobs

    settings = settings_of(ctx)
    repo = _open(settings, repository)
    snap = find_snapshot(repo, snapshot)
    tenant_id = wedding_id = None
    sha256s: set[str] | None = None
    names: dict[str, str] = {}
    if wedding is not None or photo is not None:
        catalog = catalog_of(settings)
        try:
            with catalog.begin() as conn:
                tenant = get_tenant(conn, settings.tenant)
                if wedding is not None:
                    wedding_id = get_wedding(conn, tenant.id, wedding).id
                if photo is not None:
                    found = get_photo(conn, photo, tenant_id=tenant.id)
                    if found is None:
                        raise typer.BadParameter(f"no photo {photo} in tenant {settings.tenant}")
                    wedding_id = found.wedding_id
                blobs = list(wedding_blobs(conn, wedding_ids=[wedding_id] if wedding_id else None))
                tenant_id = tenant.id
        finally:
            catalog.dispose()
        if photo is not None:
            sha256s = {b.sha256 for b in blobs if b.photo_id == photo}
        names = {b.sha256: b.name for b in blobs}
    elif to is None:
        raise typer.BadParameter("a whole snapshot is restored to a folder: give --to")

    def show(event: BlobRestored) -> None:
        if event.done == event.total or event.done % 50 == 0:
            errors.print(f"  {event.done}/{event.total} blobs", highlight=False)

    vault = vault_of(settings) if to is None else None
    started = time.perf_counter()
    try:
        report = restore(
            repo,
            snap,
            to=to,
            vault=vault,
            tenant=None if tenant_id is None else str(tenant_id),
            wedding=None if wedding_id is None else str(wedding_id),
            sha256s=sha256s,
            names=names or None,
            with_catalog=wedding is None and photo is None,
            progress=show,
        )
    finally:
        if vault is not None:
            vault.close()
    seconds = time.perf_counter() - started
    where = str(to) if to is not None else "the vault"
    console.print(
        f"restored {report.blobs} blobs ({report.bytes / 1e6:.1f} MB, "
        f"{report.bytes / 1e6 / max(seconds, 1e-9):.0f} MB/s) from snapshot "
        f"{snap.id[:12]} into {where}"
        f"{f'; {report.skipped} already there' if report.skipped else ''}"
        f"{f'; catalog as {report.catalog}' if report.catalog else ''}"
        f"{f'; {len(report.erased)} erased weddings left out' if report.erased else ''}",
        highlight=False,
    )


@backup_app.command("erase")
def erase_command(
    ctx: typer.Context,
    wedding: Annotated[str, typer.Option(help="The wedding's slug (tenant: --tenant).")],
    to: ToOption = None,
    by: Annotated[str, typer.Option(help="Who asked (recorded in the audit record).")] = "",
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Erase a wedding everywhere (GDPR): its backup key is destroyed, so it is unrecoverable
    from every snapshot; its catalog rows go; its blobs leave the vault unless another wedding
    holds them. Run `trousseau backup replicate` after it so the replicas take the erasure."""
    from trousseau.backup import erase_wedding
    from trousseau.catalog import get_tenant, get_wedding
    from trousseau.clock import utc_now

    settings = settings_of(ctx)
    repo = _open(settings, to)
    catalog = catalog_of(settings)
    vault = vault_of(settings)
    try:
        with catalog.begin() as conn:
            tenant = get_tenant(conn, settings.tenant)
            found = get_wedding(conn, tenant.id, wedding)
        if not yes:
            typer.confirm(
                f"erase wedding {wedding!r} from the backups of {repo.target.name}, the catalog "
                "and the vault? This cannot be undone",
                abort=True,
            )
        done = erase_wedding(
            catalog, vault, [repo], tenant_id=tenant.id, wedding_id=found.id, clock=utc_now, by=by
        )
    finally:
        catalog.dispose()
        vault.close()
    console.print(
        f"wedding {wedding!r} erased: its backup key destroyed (audit record "
        f"{done.audit_records[0][:12]}), {done.photos} photos and {done.variants} variants "
        f"removed from the catalog, {done.blobs_deleted} blobs deleted from the vault"
        f"{f' ({done.blobs_kept} kept: another wedding holds them)' if done.blobs_kept else ''}",
        highlight=False,
    )


@backup_app.command("unlock")
def unlock_command(ctx: typer.Context, to: ToOption = None) -> None:
    """Remove stale locks (their process is gone, or they were not refreshed for 30 min)."""
    from trousseau.backup import remove_stale
    from trousseau.clock import utc_now

    repo = _open(settings_of(ctx), to)
    removed = remove_stale(repo.target, utc_now)
    console.print(f"removed {len(removed)} stale locks", highlight=False)
    for info in removed:
        console.print(f"  {info.describe()}", highlight=False)

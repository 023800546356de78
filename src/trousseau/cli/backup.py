"""`trousseau backup init|run|replicate|copies|status|snapshots|verify|restore|erase|…`.

The passphrase comes from TROUSSEAU_BACKUP__PASSPHRASE or backup.passphrase_file, never from
an argument; the target from `--to` or the first of backup.targets.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

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
    console.print(
        f"created backup repository {repo.config.id[:12]} at {escape(repo.target.name)}",
        highlight=False,
    )


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
    from trousseau.backup import FOLLOW_BUDGET, BackupEvent, BlobBackedUp, run_backup
    from trousseau.clock import utc_now

    settings = settings_of(ctx)
    started = time.perf_counter()
    damaged: dict[str, None] = {}
    if not follow and _up_to_date(settings, to):
        seconds = time.perf_counter() - started
        console.print(f"nothing changed since the last snapshot ({seconds:.2f} s)")
        return

    def show(event: BackupEvent) -> None:
        if isinstance(event, BlobBackedUp) and (event.done == event.total or event.done % 50 == 0):
            errors.print(f"  {event.done}/{event.total} blobs", highlight=False)

    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        if stop.is_set():
            raise KeyboardInterrupt  # a second signal: stop now (what is committed stays)
        errors.print(
            f"{signal.Signals(signum).name}: stopping after this snapshot; signal again to stop now"
        )
        stop.set()

    # A follower stops on SIGTERM (a service manager's stop) as on Ctrl-C, even when it was
    # started with SIGINT ignored (a background job of a shell).
    catalog = catalog_of(settings)
    handled = (signal.SIGINT, signal.SIGTERM) if follow else ()
    previous = {s: signal.signal(s, on_signal) for s in handled}
    vault = None
    try:
        repo = _open(settings, to)
        vault = vault_of(settings)
        if follow:
            console.print(
                f"following the change log into {escape(repo.target.name)} "
                "(Ctrl-C or SIGTERM stops)",
                highlight=False,
            )
        while not stop.is_set():
            report = run_backup(
                catalog,
                vault,
                repo,
                catalog_url=settings.catalog_url,
                clock=utc_now,
                progress=show,
                budget=FOLLOW_BUDGET if follow else None,
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
            for why in report.damaged:
                if why not in damaged:
                    damaged[why] = None
                    errors.print(f"[red]not backed up[/] {escape(why)}", highlight=False)
            if report.more_pending:
                continue
            if not follow:
                break
            if report.snapshot is None:  # idle: look again shortly; busy: at once
                stop.wait(interval)
    except KeyboardInterrupt:
        stop.set()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        catalog.dispose()
        if vault is not None:
            vault.close()
    if stop.is_set():
        errors.print("stopped: what was committed is kept; the rest is backed up next run")
    if to is None and len(settings.backup.targets) > 1:
        _replicate_all(settings)
    if damaged:
        errors.print(
            f"{len(damaged)} blob(s) were missing or damaged in the vault and are not in the "
            "backup (everything else is): `trousseau verify` lists them; restore them from an "
            "older snapshot (`trousseau backup restore`) or a replica, then run again"
        )
        raise typer.Exit(1)


def _replicate_all(settings: Settings) -> None:
    """Replicate the primary to every replica target, one summary line each."""
    from trousseau.backup import primary_target, replica_targets, replicate

    replicas = replica_targets(settings)
    if not replicas:
        console.print(
            "no replica configured: backup.targets lists only the primary; add a second URL "
            "to TROUSSEAU_BACKUP__TARGETS to keep a copy elsewhere"
        )
        return
    primary = primary_target(settings)
    for replica in replicas:
        report = replicate(primary, replica)
        console.print(
            f"replica {escape(replica.name)}: {len(report.copied)} files copied "
            f"({report.bytes_copied / 1e6:.1f} MB), {len(report.deleted)} deleted"
            f"{' (new replica)' if report.initialized else ''}",
            highlight=False,
        )


@backup_app.command("replicate")
def replicate_command(ctx: typer.Context) -> None:
    """Copy the primary repository to every replica (the targets after the first): new files
    in a safe order, snapshots last; then what the primary no longer has (forget, prune,
    erase) is deleted from the replica too."""
    _replicate_all(settings_of(ctx))


@backup_app.command("copies")
def copies_command(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """How many whole copies of each wedding exist (the vault and each target's latest
    snapshot), against backup.copies."""
    from rich import box
    from rich.table import Table

    from trousseau.backup import copies_from_settings

    settings = settings_of(ctx)
    catalog = catalog_of(settings)
    vault = vault_of(settings)
    try:
        rows = copies_from_settings(settings, catalog, vault)
    finally:
        catalog.dispose()
        vault.close()
    if as_json:
        body = [
            {
                "tenant": r.tenant,
                "wedding": r.wedding,
                "blobs": r.blobs,
                "vault": r.in_vault,
                "targets": list(r.targets),
                "copies": r.copies,
                "goal": r.goal,
                "met": r.met,
            }
            for r in rows
        ]
        console.print_json(json.dumps(body))
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for column in ("tenant", "wedding", "blobs", "vault", "targets", "copies", "goal"):
        table.add_column(column)
    for r in rows:
        table.add_row(
            escape(r.tenant),
            escape(r.wedding),
            str(r.blobs),
            "yes" if r.in_vault else "no",
            escape(", ".join(r.targets) or "-"),
            f"{r.copies}/{r.goal}",
            "met" if r.met else "[red]short[/red]",
        )
    console.print(table)
    short = sum(not r.met for r in rows)
    console.print(
        f"{len(rows) - short} of {len(rows)} weddings have {settings.backup.copies} copies"
    )


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
        console.print(escape(line), highlight=False)


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
    from trousseau.backup import record_verification, verify_repository
    from trousseau.clock import utc_now

    settings = settings_of(ctx)
    repo = _open(settings, to)
    report = verify_repository(repo, read_data=read_data)
    catalog = catalog_of(settings)
    try:
        record_verification(catalog, repository=repo.target.name, report=report, now=utc_now())
    finally:
        catalog.dispose()
    for problem in report.problems:
        errors.print(f"[red]damaged:[/] {escape(problem)}", highlight=False, soft_wrap=True)
    for erased in report.erased:
        console.print(f"erased: {escape(erased)}", highlight=False, soft_wrap=True)
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
    where = escape(str(to)) if to is not None else "the vault"
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
        f"wedding {escape(repr(wedding))} erased: its backup key destroyed (audit record "
        f"{done.audit_records[0][:12]}), {done.photos} photos and {done.variants} variants "
        f"removed from the catalog, {done.blobs_deleted} blobs deleted from the vault"
        f"{f' ({done.blobs_kept} kept: another wedding holds them)' if done.blobs_kept else ''}",
        highlight=False,
    )


@backup_app.command("restore-catalog")
def restore_catalog_command(
    ctx: typer.Context,
    dump: Annotated[Path, typer.Argument(help="A catalog dump from `backup restore --to`.")],
    into: Annotated[
        str | None,
        typer.Option("--into", help="Catalog URL to restore into (default: the configured)."),
    ] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace a catalog that holds data (stop first).")
    ] = False,
) -> None:
    """Put a snapshot's catalog dump back (catalog.sqlite or catalog.pgdump, from `backup
    restore --snapshot ... --to DIR`). Stop trousseau first."""
    from trousseau.backup import restore_catalog
    from trousseau.settings import redact_url

    settings = settings_of(ctx)
    url = into or settings.catalog_url
    fmt = dump.name.rsplit(".", 1)[-1] if "." in dump.name else ""
    restore_catalog(dump, url, format=fmt, replace=replace)
    console.print(
        f"restored the catalog from {escape(str(dump))} into {escape(redact_url(url))}",
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
        console.print(f"  {escape(info.describe())}", highlight=False)


def _keep(option: str, what: str) -> object:
    return typer.Option(option, min=0, help=f"Keep the newest snapshot of the last N {what}.")


DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="Show what would be done; change nothing.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")]


@backup_app.command("forget")
def forget_command(
    ctx: typer.Context,
    to: ToOption = None,
    keep_last: Annotated[
        int | None, typer.Option("--keep-last", min=0, help="Keep the N newest snapshots.")
    ] = None,
    keep_hourly: Annotated[int | None, _keep("--keep-hourly", "hours")] = None,
    keep_daily: Annotated[int | None, _keep("--keep-daily", "days")] = None,
    keep_weekly: Annotated[int | None, _keep("--keep-weekly", "ISO weeks")] = None,
    keep_monthly: Annotated[int | None, _keep("--keep-monthly", "months")] = None,
    keep_yearly: Annotated[int | None, _keep("--keep-yearly", "years")] = None,
    tz: Annotated[
        str, typer.Option("--tz", help="IANA zone whose hours, days, weeks count.")
    ] = "UTC",
    dry_run: DryRunOption = False,
    as_json: JsonOption = False,
) -> None:
    """Delete the snapshots the retention policy (backup.keep_*, or --keep-*) does not keep;
    `trousseau backup prune` then reclaims the data only they referenced."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from rich import box
    from rich.table import Table

    from trousseau.backup import Retention, forget
    from trousseau.clock import utc_now
    from trousseau.errors import InvalidValue

    settings = settings_of(ctx)
    keep = settings.backup
    policy = Retention(
        last=keep.keep_last if keep_last is None else keep_last,
        hourly=keep.keep_hourly if keep_hourly is None else keep_hourly,
        daily=keep.keep_daily if keep_daily is None else keep_daily,
        weekly=keep.keep_weekly if keep_weekly is None else keep_weekly,
        monthly=keep.keep_monthly if keep_monthly is None else keep_monthly,
        yearly=keep.keep_yearly if keep_yearly is None else keep_yearly,
    )
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidValue(
            f"--tz {tz!r} is not an IANA time zone: give one such as Europe/Paris or UTC"
        ) from None
    report = forget(_open(settings, to), policy, clock=utc_now, tz=zone, dry_run=dry_run)
    if as_json:
        print(json.dumps(report.to_json(), indent=2))
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for column in ("snapshot", f"time ({tz})", "host", "weddings", "MB", "", "why"):
        table.add_column(column, justify="right" if column in ("weddings", "MB") else "left")
    for fate in report.snapshots:
        snap = fate.snapshot
        table.add_row(
            snap.id[:12],
            f"{snap.time.astimezone(zone):%Y-%m-%d %H:%M:%S}",
            escape(snap.host),
            str(len(snap.weddings)),
            f"{snap.size / 1e6:.1f}",
            "keep" if fate.keep else "[red]forget[/]",
            escape(", ".join(fate.reasons)),
        )
    console.print(table)
    verb = "would forget" if dry_run else "forgot"
    console.print(
        f"{verb} {len(report.forgotten)} of {len(report.snapshots)} snapshots, kept "
        f"{len(report.kept)}"
        f"{'; `trousseau backup prune` reclaims their data' if report.forgotten else ''}",
        highlight=False,
    )


@backup_app.command("prune")
def prune_command(
    ctx: typer.Context,
    to: ToOption = None,
    max_unused: Annotated[
        float,
        typer.Option(
            "--max-unused",
            min=0,
            max=100,
            help="Percent of unused bytes tolerated in the packs kept (0: repack every partly "
            "used pack).",
        ),
    ] = 5.0,
    dry_run: DryRunOption = False,
    as_json: JsonOption = False,
) -> None:
    """Reclaim the data no snapshot references: unused packs deleted, partly used ones
    repacked, crash leftovers removed; never loses data a snapshot needs, even if cut short."""
    from trousseau.backup import PruneProgress, PruneStage, prune_repository
    from trousseau.clock import utc_now

    counts: dict[PruneStage, int] = {}

    def show(event: PruneProgress) -> None:
        counts[event.stage] = counts.get(event.stage, 0) + 1
        if event.stage in (PruneStage.REPACK, PruneStage.INDEX) or counts[event.stage] % 100 == 1:
            errors.print(
                f"  {event.stage} {counts[event.stage]}: {escape(str(event.path))}", highlight=False
            )

    repo = _open(settings_of(ctx), to)
    report = prune_repository(
        repo, clock=utc_now, dry_run=dry_run, max_unused=max_unused / 100, progress=show
    )
    if as_json:
        print(json.dumps(report.to_json(), indent=2))
        return
    plan = report.plan
    if plan.empty:
        console.print("nothing to prune: every pack is used", highlight=False)
    else:
        would = "would " if dry_run else ""
        console.print(
            f"{would}delete {report.packs_deleted} packs ({len(plan.leftovers)} crash "
            f"leftovers), {would}repack {report.packs_repacked} "
            f"({report.bytes_repacked / 1e6:.1f} MB repacked"
            f"{'' if dry_run else f' into {report.packs_written} new packs'}): "
            f"{report.bytes_freed / 1e6:.1f} MB freed",
            highlight=False,
        )
        console.print(
            f"{len(plan.superseded)} index files replaced, {len(plan.trees)} trees and "
            f"{len(plan.keyrings)} keyrings no snapshot needs {would}deleted",
            highlight=False,
        )
    if plan.young:
        console.print(
            f"{len(plan.young)} packs in no index kept: written less than an hour ago (a backup "
            "may still list them); a later prune removes them",
            highlight=False,
        )


@backup_app.command("tiers")
def tiers_command(
    ctx: typer.Context,
    to: ToOption = None,
    throughput: Annotated[
        float | None,
        typer.Option(
            "--throughput",
            min=0.001,
            help="Restore MB/s measured (`backup restore` prints it); default: assumed 100.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
) -> None:
    """Weddings, blobs and bytes per tier (hot, warm, cold) in the latest snapshot, with each
    tier's storage class and estimated restore time."""
    from trousseau.backup import DatedWedding, tiers_report
    from trousseau.catalog import list_weddings
    from trousseau.clock import utc_now

    settings = settings_of(ctx)
    repo = _open(settings, to)
    latest = repo.latest()
    refs = latest.weddings if latest is not None else ()
    tenants = {ref.tenant for ref in refs if ref.tenant.isdigit()}
    catalog = catalog_of(settings)
    try:
        with catalog.begin() as conn:
            dated = {
                (str(w.tenant_id), str(w.id)): (w.date, w.timezone)
                for tenant in tenants
                for w in list_weddings(conn, int(tenant))
            }
    finally:
        catalog.dispose()
    weddings = []
    undated = undated_bytes = 0
    for ref in refs:
        found = dated.get((ref.tenant, ref.wedding))
        if found is None:
            undated += 1
            undated_bytes += ref.size
        else:
            weddings.append(DatedWedding(found[0], found[1], ref.blobs, ref.size))
    backup = settings.backup
    report = tiers_report(
        weddings,
        now=utc_now(),
        hot_days=backup.hot_days,
        warm_days=backup.warm_days,
        classes=backup.storage_classes,
        throughput_mbps=throughput,
        undated_weddings=undated,
        undated_bytes=undated_bytes,
    )
    if as_json:
        print(json.dumps(report.to_json(), indent=2))
        return
    if latest is None:
        console.print("no snapshot yet: every tier is empty", highlight=False)
    for line in report.lines():
        console.print(escape(line), highlight=False, soft_wrap=True)


@backup_app.command("lifecycle")
def lifecycle_command(
    ctx: typer.Context,
    to: ToOption = None,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Only the lifecycle configuration, as the S3 API takes it."),
    ] = False,
    apply: Annotated[
        bool, typer.Option("--apply", help="Put the rules on the target's bucket.")
    ] = False,
) -> None:
    """The S3 lifecycle rules that move the repository's packs through the tiers' storage
    classes (backup.hot_days, backup.warm_days, backup.storage_classes)."""
    from trousseau.backup import aws_command, lifecycle_configuration, s3_location
    from trousseau.errors import SettingsError

    settings = settings_of(ctx)
    url = to if to is not None else (settings.backup.targets or ("",))[0]
    if not url:
        raise SettingsError(
            "no backup target: set TROUSSEAU_BACKUP__TARGETS (a JSON list of URLs) or "
            "backup.targets, or pass --to"
        )
    location = s3_location(url)
    if location is None:
        if apply:
            raise SettingsError(
                "tiers do not apply to a directory target: lifecycle rules are an S3 bucket's; "
                "--apply needs an s3:// target"
            )
        console.print(
            "tiers do not apply to a directory target: its files stay where they are "
            "(lifecycle rules are for s3:// targets)",
            highlight=False,
        )
        return
    bucket, prefix = location
    backup = settings.backup
    config = lifecycle_configuration(
        prefix,
        hot_days=backup.hot_days,
        warm_days=backup.warm_days,
        classes=backup.storage_classes,
    )
    if apply:
        raise SettingsError(
            f"trousseau cannot set bucket {bucket}'s lifecycle itself (its S3 client, obstore, "
            "has no bucket-configuration call): save `trousseau backup lifecycle --json` as "
            f"lifecycle.json and run `{aws_command(bucket)}` (that call replaces the bucket's "
            "rules: add any from `aws s3api get-bucket-lifecycle-configuration` first)"
        )
    document = json.dumps(config, indent=2)
    if as_json:
        print(document)
        return
    for rule in config["Rules"]:
        steps = ", ".join(
            f"{t['StorageClass']} after {t['Days']} days" for t in rule.get("Transitions", [])
        )
        what = steps or (
            "abort unfinished multipart uploads after "
            f"{rule['AbortIncompleteMultipartUpload']['DaysAfterInitiation']} days"
        )
        console.print(
            f"{rule['ID']}: s3://{bucket}/{rule['Filter']['Prefix']}: {what}",
            highlight=False,
            soft_wrap=True,
        )
    console.print(
        "metadata (config, keys, index, snapshots, trees, keyrings) stays STANDARD", highlight=False
    )
    print(document)
    console.print(
        f"to apply: save the JSON as lifecycle.json, then {aws_command(bucket)}",
        highlight=False,
        soft_wrap=True,
    )


@backup_app.command("pg-archive-config")
def pg_archive_config_command(
    ctx: typer.Context,
    stanza: Annotated[str, typer.Option("--stanza", help="pgBackRest stanza name.")] = "trousseau",
    repo_path: Annotated[
        str | None,
        typer.Option("--repo-path", help="pgBackRest's repository: a directory on the DB host."),
    ] = None,
    s3: Annotated[
        str | None,
        typer.Option("--s3", help="pgBackRest's repository: s3://bucket/prefix?region=…"),
    ] = None,
    pg_data: Annotated[
        str | None,
        typer.Option("--pg-data", help="The server's data_directory (SHOW data_directory)."),
    ] = None,
    config_file: Annotated[
        str | None, typer.Option("--config-file", help="Where pgbackrest.conf goes.")
    ] = None,
    archive_timeout: Annotated[
        int, typer.Option(min=1, help="A WAL segment is shipped at least this often (s): RPO.")
    ] = 60,
    encrypt: Annotated[
        bool, typer.Option(help="Encrypt the repository (PGBACKREST_REPO1_CIPHER_PASS).")
    ] = True,
) -> None:
    """Print the postgresql.conf lines and the pgbackrest.conf that archive a PostgreSQL
    catalog's WAL for point-in-time recovery, from the catalog URL (its password never
    printed); docs/backup-postgresql.md."""
    from trousseau.backup import archive_config, catalog_server, s3_repository

    config = archive_config(
        catalog_server(settings_of(ctx).catalog_url),
        stanza=stanza,
        repo_path=repo_path,
        s3=s3_repository(s3) if s3 is not None else None,
        pg_data=pg_data,
        config_file=config_file,
        archive_timeout=archive_timeout,
        encrypt=encrypt,
    )
    print(config.text())  # plain: rich would read [global] as markup

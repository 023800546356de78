"""`trousseau verify`: re-hash every blob the catalog refers to, name the damaged ones, and say
what the vault holds that nobody needs.

The walk itself is `trousseau.vault.verify_blobs`; this module asks the catalog which blobs
it refers to, and renders the walk's events: a progress bar, then the damaged blobs on stderr,
then the orphan blobs (named by no catalog row, stored before the grace period) and the
partial writes (by whether their writer still runs).

Orphans are only reported unless `--collect-orphans` is given, never removed on a schedule:
a catalog restored from an older backup names fewer blobs than the vault holds, and an
automatic collector would then delete the only copy of every photo the catalog forgot. So
removal is an operator's decision, taken after reading this report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from trousseau.cli.context import catalog_of, settings_of, vault_of
from trousseau.cli.output import console, errors

if TYPE_CHECKING:
    from trousseau.vault import BlobUnreferenced, PartialSummary

DEFAULT_GRACE_HOURS = 24.0
"""An unreferenced blob younger than this may be an ingest's whose record is on its way (a
crashed ingest re-run within a day finds it again); older, it is an orphan."""

MAX_GRACE_HOURS = 24.0 * 365 * 100
"""A century: a longer grace period protects nothing more, and one reaching past year 1 would
overflow the cutoff's date arithmetic. The range check refuses inf and nan too."""


def verify(
    ctx: typer.Context,
    orphans: Annotated[
        bool, typer.Option(help="List each orphan blob (key, size, when stored).")
    ] = False,
    collect_orphans: Annotated[
        bool,
        typer.Option(
            help="Remove the orphan blobs, and the partial writes of writers that are gone."
        ),
    ] = False,
    orphan_grace_hours: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=MAX_GRACE_HOURS,
            help="Unreferenced blobs stored more recently than this are not orphans.",
        ),
    ] = DEFAULT_GRACE_HOURS,
) -> None:
    """Prove every original and variant in the catalog is present and intact.

    Exits 1 and lists each missing or damaged blob (with the photo it belongs to) if any.
    Also reports orphan blobs (in the vault, named by no catalog row, stored before the grace
    period) and partial writes; `--collect-orphans` removes them.
    """
    from datetime import timedelta

    from trousseau.catalog import referenced_blobs
    from trousseau.cli.progress import progress_bar
    from trousseau.clock import utc_now
    from trousseau.ingest import sweep
    from trousseau.vault import (
        BlobChecked,
        BlobStatus,
        BlobUnreferenced,
        VerifyFinished,
        summarise_partials,
        verify_blobs,
    )
    from trousseau.vault import collect_orphans as collect

    settings = settings_of(ctx)
    catalog = catalog_of(settings)
    vault = vault_of(settings)
    cutoff = utc_now() - timedelta(hours=orphan_grace_hours)
    problems: list[str] = []
    found: list[BlobUnreferenced] = []
    finished: VerifyFinished | None = None
    removed: tuple[int, int, int] | None = None
    try:
        with catalog.begin() as conn:
            blobs = referenced_blobs(conn)
        with progress_bar("blobs") as bar:
            task = bar.add_task("verify", total=len(blobs), bytes=0)
            for event in verify_blobs(vault, blobs, unreferenced=True, orphans_before=cutoff):
                if isinstance(event, BlobChecked):
                    if event.status is not BlobStatus.OK:
                        problems.append(f"{event.blob.what}: {event.error}")
                    bar.update(task, advance=1, bytes=event.counts.bytes)
                elif isinstance(event, BlobUnreferenced):
                    found.append(event)
                else:
                    finished = event
        partials = summarise_partials(vault.partial_writes())
        if collect_orphans:
            with catalog.begin() as conn:  # rows recorded during the walk name their blobs too
                named = {blob.sha256 for blob in referenced_blobs(conn)}
            keys = [o.sha256 for o in found if o.orphan and o.sha256 not in named]
            count = size = 0
            for collected in collect(vault, keys, stored_before=cutoff):
                count, size = collected.count, collected.bytes
            removed = (count, size, sweep(vault))
    finally:
        vault.close()
        catalog.dispose()
    assert finished is not None  # the walk always ends with its totals
    counts = finished.counts
    console.print(
        f"{counts.ok} of {counts.total} blobs verified ({counts.bytes / 1e6:.1f} MB re-hashed)"
    )
    _report_unreferenced(found, orphan_grace_hours, listed=orphans, collecting=collect_orphans)
    _report_partials(partials, collecting=collect_orphans)
    if removed is not None:
        count, size, swept = removed
        console.print(
            f"removed {count} orphan blob(s) ({_size(size)}) and {swept} partial write(s)"
        )
    if problems:
        for p in problems:
            errors.print(f"[red]damaged[/] {escape(p)}", highlight=False)
        errors.print(f"{len(problems)} blob(s) missing or damaged: restore them from backup")
        raise typer.Exit(1)


def _report_unreferenced(
    found: list[BlobUnreferenced], grace_hours: float, *, listed: bool, collecting: bool
) -> None:
    orphans = [o for o in found if o.orphan]
    fresh = len(found) - len(orphans)
    line = (
        f"{len(orphans)} orphan blob(s) ({_size(sum(o.size for o in orphans))}): in the "
        f"vault, named by no catalog row, stored over {grace_hours:g} h ago"
    )
    if orphans and not collecting:
        line += "; `trousseau verify --collect-orphans` removes them (`--orphans` lists them)"
    console.print(line, highlight=False)
    if listed:
        for o in orphans:
            when = f"{o.stored_at:%Y-%m-%d %H:%M} UTC" if o.stored_at else "at an unknown time"
            console.print(f"  orphan {o.sha256} {_size(o.size)} stored {when}", highlight=False)
    if fresh:
        console.print(
            f"{fresh} unreferenced blob(s) stored within the last {grace_hours:g} h: an ingest "
            "may be recording them; left alone",
            highlight=False,
        )


def _report_partials(partials: PartialSummary, *, collecting: bool) -> None:
    if not partials.count:
        return
    line = (
        f"{partials.count} partial write(s) ({_size(partials.bytes)}): {partials.alive} of a "
        f"live writer, {partials.gone} of a dead writer"
    )
    if partials.unknown:
        line += f", {partials.unknown} of a writer on another host (removed once an hour old)"
    if partials.gone and not collecting:
        line += (
            "; `trousseau verify --collect-orphans` removes the dead writers' (so does the "
            "next ingest or server start)"
        )
    console.print(line, highlight=False)


def _size(size: int) -> str:
    return f"{size / 1e3:.1f} kB" if size < 1_000_000 else f"{size / 1e6:.1f} MB"

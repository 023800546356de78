"""`trousseau ingest`: accept originals into a wedding."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from trousseau.cli.context import catalog_of, settings_of, vault_of
from trousseau.cli.output import console, errors
from trousseau.cli.progress import progress_bar
from trousseau.clock import utc_now
from trousseau.ingest import (
    IngestOutcome,
    IngestSummary,
    WeddingSpec,
    collect,
    ingest,
    prepare_wedding,
    sweep,
)


def ingest_command(
    ctx: typer.Context,
    paths: Annotated[
        list[Path], typer.Argument(help="Files and folders (recursive).", readable=False)
    ],
    wedding: Annotated[str, typer.Option("--wedding", "-w", help="Wedding slug.")],
    sla: Annotated[
        str | None, typer.Option(help="same-day, next-day or standard (default: the wedding's).")
    ] = None,
    tenant: Annotated[str | None, typer.Option(help="Tenant slug (default: settings).")] = None,
    timezone: Annotated[str, typer.Option(help="IANA zone of a new wedding.")] = "UTC",
    on: Annotated[
        str | None, typer.Option("--date", help="Date of a new wedding (YYYY-MM-DD).")
    ] = None,
    title: Annotated[str | None, typer.Option(help="Title of a new wedding.")] = None,
) -> None:
    """Store originals durably, record them and enqueue their processing.

    Re-running the same ingest is safe: files already in the wedding are reported as
    duplicates, and an interrupted run resumes where it stopped.
    """
    settings = settings_of(ctx)
    if sla is not None:
        settings.sla_delay(sla)
    wedding_date = _parse_date(on)
    files = collect(paths)
    catalog = catalog_of(settings)
    vault = vault_of(settings)
    spec = WeddingSpec(
        slug=wedding,
        tenant=tenant or settings.tenant,
        timezone=timezone,
        on=wedding_date,
        title=title,
        sla=sla,
    )
    summary = IngestSummary()
    try:
        target = prepare_wedding(catalog, spec, settings, utc_now)
        sweep(vault)
        with progress_bar("files") as bar:
            task = bar.add_task(f"ingest {wedding}", total=len(files), bytes=0)
            done_bytes = 0
            for event in ingest(
                files,
                catalog=catalog,
                vault=vault,
                settings=settings,
                wedding=target,
                clock=utc_now,
                sla=sla,
            ):
                summary.add(event)
                done_bytes += _size(event.path)
                bar.update(task, advance=1, bytes=done_bytes)
                if event.outcome == IngestOutcome.REJECTED:
                    bar.console.print(f"[yellow]rejected[/] {event.error}", highlight=False)
    finally:
        vault.close()
        catalog.dispose()
    console.print(
        f"{summary.accepted} accepted ({summary.bytes / 1e6:.1f} MB), "
        f"{summary.duplicates} duplicate(s) skipped, {len(summary.rejected)} rejected "
        f"— wedding {wedding!r}, delivery {sla or target.delivery_sla}"
    )
    if summary.rejected:
        errors.print(f"{len(summary.rejected)} file(s) were not ingested; see the reasons above")
        raise typer.Exit(1)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _parse_date(text: str | None) -> date | None:
    if text is None:
        return None
    from trousseau.errors import SettingsError

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise SettingsError(f"--date {text!r} is not a date: use YYYY-MM-DD") from None

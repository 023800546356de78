"""`trousseau ingest`: accept originals into a wedding (and, with --work, render them now)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from trousseau.cli.context import catalog_of, settings_of, vault_of
from trousseau.cli.output import console, errors
from trousseau.clock import utc_now
from trousseau.jobserver import start_job_server, stop_job_server

if TYPE_CHECKING:
    from trousseau.ingest import IngestEvent, IngestSummary
    from trousseau.jobs import Worker, WorkerStats


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
    faces: Annotated[
        bool | None,
        typer.Option(
            "--faces/--no-faces",
            help="A new wedding opts in to (or out of) face analysis: guests, find-me "
            "(default: the setting analysis.faces_default).",
        ),
    ] = None,
    work: Annotated[
        bool,
        typer.Option(
            "--work",
            help="Also process: job processes start at once and render each photo as soon "
            "as it is recorded; returns when no job is left (ingest, then work --until-idle, "
            "overlapped).",
        ),
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers", "-n", min=0, help="Job processes with --work (default: settings)."
        ),
    ] = None,
) -> None:
    """Store originals durably, record them and enqueue their processing.

    Re-running the same ingest is safe: files already in the wedding are reported as
    duplicates, and an interrupted run resumes where it stopped. With --work the gallery is
    rendered while the card is still being read.
    """
    settings = settings_of(ctx)
    size = settings.workers if workers is None else workers
    start = start_job_server(settings.jobs.kind_modules) if work and size > 0 else "spawn"

    from trousseau.cli.progress import progress_bar
    from trousseau.ingest import IngestSummary, WeddingSpec, collect, ingest, prepare_wedding, sweep
    from trousseau.jobs import build_worker

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
        faces=faces,
    )
    summary = IngestSummary()
    stats: WorkerStats | None = None
    worker: Worker | None = None
    try:
        if work:
            # Job processes start importing now, while this process reads the card.
            worker = build_worker(settings, catalog, processes=workers, start_method=start)
        target = prepare_wedding(catalog, spec, settings, utc_now)
        sweep(vault)
        with progress_bar("files") as bar:
            task = bar.add_task(f"ingest {wedding}", total=len(files), bytes=0)
            events = ingest(
                files,
                catalog=catalog,
                vault=vault,
                settings=settings,
                wedding=target,
                clock=utc_now,
                sla=sla,
            )
            tally = _Tally(bar, task, summary)
            if worker is None:
                for event in events:
                    _show(event, tally)
            else:
                stats = _ingest_while_working(worker, events, tally)
    finally:
        if worker is not None and not worker.ran:
            worker.pool.stop()
        vault.close()
        catalog.dispose()
        if start == "forkserver":
            stop_job_server()
    console.print(
        f"{summary.accepted} accepted ({summary.bytes / 1e6:.1f} MB), "
        f"{summary.duplicates} duplicate(s) skipped, {len(summary.rejected)} rejected"
        + (f", {summary.warnings} with a warning" if summary.warnings else "")
        + (
            f", {summary.waited:.1f} s waiting for the backup to keep up"
            if summary.waited >= 0.05
            else ""
        )
        + f" — wedding {wedding!r}, delivery {sla or target.delivery_sla}"
    )
    if stats is not None:
        console.print(f"processed: done {stats.done}, retried {stats.retried}, dead {stats.dead}")
    if summary.rejected:
        errors.print(f"{len(summary.rejected)} file(s) were not ingested; see the reasons above")
        raise typer.Exit(1)
    if stats is not None and stats.dead:
        errors.print(f"{stats.dead} job(s) failed for good: `trousseau jobs dead` says why")
        raise typer.Exit(1)


@dataclass
class _Tally:
    """One run's file fates and bytes read, drawn on a progress bar's task."""

    bar: Any
    task: Any
    summary: IngestSummary
    read: int = 0


def _show(event: IngestEvent, tally: _Tally) -> None:
    """Count one file's fate on the progress bar; a rejected file's reason is printed."""
    from rich.markup import escape  # a file name may hold [brackets]: not markup

    from trousseau.ingest import IngestOutcome

    tally.summary.add(event)
    tally.read += _size(event.path)
    tally.bar.update(tally.task, advance=1, bytes=tally.read)
    if event.outcome == IngestOutcome.REJECTED:
        tally.bar.console.print(f"[yellow]rejected[/] {escape(str(event.error))}", highlight=False)
    for warning in event.warnings:
        tally.bar.console.print(f"[yellow]warning[/] {escape(warning)}", highlight=False)


def _ingest_while_working(
    worker: Worker, events: Iterator[IngestEvent], tally: _Tally
) -> WorkerStats:
    """Read the card in a thread while the worker renders what is recorded, in this one.

    The worker drains until idle once the last file is in. The first SIGINT or SIGTERM
    stops both after the current file and the running jobs; a second stops now. What was
    not processed stays queued for `trousseau work`.
    """
    stopping = threading.Event()
    bar = tally.bar
    work_task = bar.add_task("process", total=None, bytes=0)
    failure: list[BaseException] = []

    def read_card() -> None:
        try:
            for event in events:
                if stopping.is_set():
                    break
                _show(event, tally)
                bar.update(work_task, total=tally.summary.accepted)
        except BaseException as exc:
            failure.append(exc)
            worker.stop()
        finally:
            worker.finish_when_idle()

    def on_signal(signum: int, _frame: object) -> None:
        stopping.set()
        worker.stop(now=worker.stopping)

    def progress(stats: WorkerStats) -> None:
        bar.update(work_task, completed=stats.done + stats.dead)

    worker.on_progress = progress
    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    reader = threading.Thread(target=read_card, name="trousseau-ingest")
    try:
        reader.start()
        stats = worker.run()
        reader.join()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    if failure:
        raise failure[0]
    return stats


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

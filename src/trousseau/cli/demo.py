"""`trousseau demo`: a generated wedding, ingested and processed end to end, with figures."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from trousseau.cli.context import catalog_of, vault_of, write_whole
from trousseau.cli.output import console
from trousseau.clock import utc_now

if TYPE_CHECKING:
    from trousseau.jobs import WorkerStats

SEED = 2026
SHOOT_START = datetime(2026, 6, 13, 14, 0, tzinfo=UTC)


def demo(
    ctx: typer.Context,
    photos: Annotated[int, typer.Option(min=1, help="Photos in the sample wedding.")] = 100,
    megapixels: Annotated[float, typer.Option(min=0.1, max=100)] = 24.0,
    workers: Annotated[int | None, typer.Option("--workers", "-n", min=1)] = None,
    directory: Annotated[
        Path, typer.Option("--dir", help="Where the demo keeps its samples, catalog and vault.")
    ] = Path("demo-data"),
) -> None:
    """Generate a wedding of realistic photos, ingest it same-day and process it."""
    from rich.table import Table

    from trousseau.cli.progress import progress_bar
    from trousseau.imaging import enabled_profiles, load_profiles
    from trousseau.ingest import IngestSummary, WeddingSpec, ingest, prepare_wedding, sweep
    from trousseau.jobs import build_worker
    from trousseau.jobs import stats as queue_stats
    from trousseau.settings import load_settings

    overrides = {"data_dir": directory / "trousseau", **ctx.obj.overrides}
    settings = load_settings(**overrides)
    size = workers or settings.workers
    samples = _samples(directory / f"samples-{megapixels:g}mp", photos, megapixels)
    profiles = enabled_profiles(
        load_profiles(settings.imaging.profiles_file, settings.imaging.profiles)
    )
    catalog = catalog_of(settings)
    vault = vault_of(settings)
    slug = f"demo-{utc_now():%Y%m%d-%H%M%S}"
    try:
        wedding = prepare_wedding(
            catalog,
            WeddingSpec(slug=slug, tenant=settings.tenant, timezone="Europe/Paris", sla="same-day"),
            settings,
            utc_now,
        )
        summary = IngestSummary()
        sweep(vault)
        marks: dict[str, float] = {}
        with progress_bar("photos") as bar:
            ingest_task = bar.add_task("ingest", total=len(samples), bytes=0)
            work_task = bar.add_task(f"variants ({size} processes)", total=len(samples), bytes=0)

            def progress(stats: WorkerStats) -> None:
                marks.setdefault("first", time.perf_counter())
                bar.update(work_task, completed=stats.done + stats.dead)

            worker = build_worker(settings, catalog, processes=size, on_progress=progress)

            def ingest_all() -> None:
                try:
                    for event in ingest(
                        samples,
                        catalog=catalog,
                        vault=vault,
                        settings=settings,
                        wedding=wedding,
                        clock=utc_now,
                    ):
                        summary.add(event)
                        bar.update(ingest_task, advance=1, bytes=summary.bytes)
                finally:
                    marks["ingested"] = time.perf_counter()
                    bar.update(work_task, total=summary.accepted)
                    worker.finish_when_idle()

            started = time.perf_counter()
            producer = threading.Thread(target=ingest_all, name="demo-ingest")
            producer.start()
            stats = worker.run()
            producer.join()
        finished = time.perf_counter()
        with catalog.begin() as conn:
            q = queue_stats(conn, now=utc_now())
    finally:
        vault.close()
        catalog.dispose()
    total = finished - started
    table = Table(title=f"demo wedding {slug!r}", show_header=False)
    table.add_row(
        "photos", f"{summary.accepted} ({megapixels:g} MP JPEG, {summary.bytes / 1e6:.0f} MB)"
    )
    table.add_row("ingest", f"{marks['ingested'] - started:.1f} s (workers render meanwhile)")
    table.add_row("first photo ready", f"{marks.get('first', finished) - started:.1f} s")
    table.add_row(
        "all variants", f"{total:.1f} s with {size} job process(es), {len(profiles)} profiles"
    )
    table.add_row("throughput", f"{stats.done / total * 60:.0f} photos/min")
    table.add_row("late jobs", f"{q.finished_late + q.overdue} (same-day deadline 30 min)")
    table.add_row("failed", str(stats.dead))
    table.add_row("catalog", settings.catalog_url)
    console.print(table)


def _samples(folder: Path, count: int, megapixels: float) -> list[Path]:
    """The sample photos, generated once and reused by later runs."""
    from trousseau.cli.progress import progress_bar
    from trousseau.demo import generate_photo

    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"IMG_{i:04d}.jpg" for i in range(1, count + 1)]
    missing = [(i, p) for i, p in enumerate(paths, start=1) if not p.is_file()]
    if missing:
        with progress_bar("photos") as bar:
            task = bar.add_task(f"generate {megapixels:g} MP samples", total=len(missing), bytes=0)
            made = 0
            for index, path in missing:
                data = generate_photo(index, seed=SEED, megapixels=megapixels, when=SHOOT_START)
                write_whole(path, data)
                made += len(data)
                bar.update(task, advance=1, bytes=made)
    return paths

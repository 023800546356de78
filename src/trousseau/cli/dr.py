"""`trousseau dr drill` and `trousseau dr history`: restore drills, measured and kept."""

from __future__ import annotations

import contextlib
import json
import random
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from trousseau.cli.context import catalog_of, settings_of
from trousseau.cli.output import console

dr_app = typer.Typer(
    help="Disaster recovery: restore drills with measured RTO and RPO.", no_args_is_help=True
)
FAILED = 1


@dr_app.command("drill")
def drill(
    ctx: typer.Context,
    weddings: Annotated[int, typer.Option(min=1, help="Weddings restored (a random sample).")] = 3,
    to: Annotated[
        Path | None,
        typer.Option(
            "--to",
            help="Scratch folder (default: a temporary one): a missing folder, created and "
            "removed afterwards, or an empty one, left there empty afterwards. Refused, with "
            "nothing touched: a folder holding anything, a file, or a place in or around the "
            "data directory, vault, catalog or a backup target.",
        ),
    ] = None,
    keep: Annotated[
        bool, typer.Option("--keep", help="Keep what the drill restored into --to.")
    ] = False,
    seed: Annotated[int | None, typer.Option(help="Seed of the sample (default: random).")] = None,
    scratch_catalog: Annotated[
        str | None,
        typer.Option(help="A scratch PostgreSQL database for a PostgreSQL catalog's dump."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Restore the catalog and a sample of weddings from the primary backup repository into
    a scratch folder, verify every hash, report RTO and RPO and record the drill; exit 1 when
    it failed."""
    from trousseau.clock import utc_now
    from trousseau.recovery import run_drill

    settings = settings_of(ctx)
    catalog = catalog_of(settings)
    try:
        with contextlib.ExitStack() as stack:
            scratch = to
            if scratch is None:  # a scratch place of its own, removed afterwards
                folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="trousseau-drill-"))
                scratch = Path(folder) / "scratch"
            report = run_drill(
                settings,
                catalog,
                scratch=scratch,
                weddings=weddings,
                clock=utc_now,
                rng=random.Random(seed),
                keep=keep and to is not None,
                scratch_catalog_url=scratch_catalog,
            )
    finally:
        catalog.dispose()
    data = report.as_data()
    if as_json:
        console.print_json(json.dumps(data))
    else:
        _show(data)
    if not report.ok:
        raise typer.Exit(FAILED)


@dr_app.command("history")
def history(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=1)] = 20,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The last drills, newest first."""
    from trousseau.catalog import EventKind, recent_events

    settings = settings_of(ctx)
    catalog = catalog_of(settings)
    try:
        with catalog.begin() as conn:
            events = recent_events(conn, limit=limit, kind=EventKind.DR_DRILL)
    finally:
        catalog.dispose()
    rows = [{"at": e.at.isoformat(), **(e.data or {})} for e in events]
    if as_json:
        console.print_json(json.dumps(rows))
        return
    if not rows:
        console.print("no drill yet: run `trousseau dr drill`")
    for row in rows:
        console.print(f"{row['at']}: ", end="", highlight=False)
        _show(row)


def _show(data: dict[str, Any]) -> None:
    def seconds(key: str) -> str:
        value = data.get(key)
        return "-" if value is None else f"{value:.1f} s"

    verdict = "passed" if data.get("ok") else f"FAILED: {escape(str(data.get('error')))}"
    console.print(
        f"drill {verdict}; snapshot {str(data.get('snapshot'))[:12]}, "
        f"{len(data.get('weddings') or [])} wedding(s), {data.get('blobs', 0)} blobs "
        f"({(data.get('bytes') or 0) / 1e6:.1f} MB); RTO catalog {seconds('rto_catalog_seconds')}, "
        f"first gallery {seconds('rto_first_gallery_seconds')}, all {seconds('rto_all_seconds')}; "
        f"RPO {seconds('rpo_seconds')}",
        highlight=False,
    )

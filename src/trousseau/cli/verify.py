"""`trousseau verify`: re-hash every blob the catalog refers to, and name the damaged ones.

The walk itself is `trousseau.vault.verify_blobs`; this module asks the catalog which blobs
it refers to, and renders the walk's events: a progress bar, then the damaged blobs on stderr.
"""

from __future__ import annotations

from typing import Annotated

import typer

from trousseau.cli.context import catalog_of, settings_of, vault_of
from trousseau.cli.output import console, errors


def verify(
    ctx: typer.Context,
    orphans: Annotated[
        bool, typer.Option(help="Also list blobs that no catalog row refers to.")
    ] = False,
) -> None:
    """Prove every original and variant in the catalog is present and intact.

    Exits 1 and lists each missing or damaged blob (with the photo it belongs to) if any.
    """
    from trousseau.catalog import referenced_blobs
    from trousseau.cli.progress import progress_bar
    from trousseau.vault import BlobChecked, BlobStatus, VerifyFinished, verify_blobs

    settings = settings_of(ctx)
    catalog = catalog_of(settings)
    vault = vault_of(settings)
    problems: list[str] = []
    finished: VerifyFinished | None = None
    try:
        with catalog.begin() as conn:
            blobs = referenced_blobs(conn)
        with progress_bar("blobs") as bar:
            task = bar.add_task("verify", total=len(blobs), bytes=0)
            for event in verify_blobs(vault, blobs, unreferenced=orphans):
                if isinstance(event, BlobChecked):
                    if event.status is not BlobStatus.OK:
                        problems.append(f"{event.blob.what}: {event.error}")
                    bar.update(task, advance=1, bytes=event.counts.bytes)
                elif isinstance(event, VerifyFinished):
                    finished = event
    finally:
        vault.close()
        catalog.dispose()
    assert finished is not None  # the walk always ends with its totals
    counts = finished.counts
    console.print(
        f"{counts.ok} of {counts.total} blobs verified ({counts.bytes / 1e6:.1f} MB re-hashed)"
    )
    if finished.unreferenced is not None:
        console.print(f"{finished.unreferenced} blob(s) in the vault with no catalog row")
    if problems:
        for p in problems:
            errors.print(f"[red]damaged[/] {p}", highlight=False)
        errors.print(f"{len(problems)} blob(s) missing or damaged: restore them from backup")
        raise typer.Exit(1)

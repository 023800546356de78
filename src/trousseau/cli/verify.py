"""`trousseau verify`: re-hash every blob the catalog refers to."""

from __future__ import annotations

from typing import Annotated

import typer

from trousseau.catalog import iter_photos, iter_variants
from trousseau.cli.app import app, console, errors
from trousseau.cli.context import catalog_of, settings_of, vault_of
from trousseau.cli.progress import progress_bar
from trousseau.errors import BlobCorrupt, BlobMissing


@app.command()
def verify(
    ctx: typer.Context,
    orphans: Annotated[
        bool, typer.Option(help="Also list blobs that no catalog row refers to.")
    ] = False,
) -> None:
    """Prove every original and variant in the catalog is present and intact.

    Exits 1 and lists each missing or damaged blob (with the photo it belongs to) if any.
    """
    settings = settings_of(ctx)
    catalog = catalog_of(settings)
    vault = vault_of(settings)
    try:
        with catalog.begin() as conn:
            refs = [
                (p.sha256, f"original {p.original_name} (photo {p.id})") for p in iter_photos(conn)
            ]
            refs += [
                (v.sha256, f"{v.profile} variant of photo {v.photo_id}")
                for v in iter_variants(conn)
            ]
        problems: list[str] = []
        checked = 0
        with progress_bar("blobs") as bar:
            task = bar.add_task("verify", total=len(refs), bytes=0)
            total = 0
            for sha, what in refs:
                try:
                    total += vault.verify(sha)
                    checked += 1
                except (BlobMissing, BlobCorrupt) as exc:
                    problems.append(f"{what}: {exc}")
                bar.update(task, advance=1, bytes=total)
        unreferenced = []
        if orphans:
            known = {sha for sha, _ in refs}
            unreferenced = [sha for sha in vault.iter_blobs() if sha not in known]
    finally:
        vault.close()
        catalog.dispose()
    console.print(f"{checked} of {len(refs)} blobs verified ({total / 1e6:.1f} MB re-hashed)")
    if orphans:
        console.print(f"{len(unreferenced)} blob(s) in the vault with no catalog row")
    if problems:
        for p in problems:
            errors.print(f"[red]damaged[/] {p}", highlight=False)
        errors.print(f"{len(problems)} blob(s) missing or damaged: restore them from backup")
        raise typer.Exit(1)

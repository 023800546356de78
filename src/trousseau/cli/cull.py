"""`trousseau cull WEDDING`: picks, rejects with their reasons, duplicates, bursts and the
moments of the day, from the signals each photo's `quality` job stored.

Photos rendered before that job existed (or with analysis.culling off) are measured first
and their signals stored, so a second call only reads.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape

from trousseau.cli.context import catalog_of, settings_of, vault_of
from trousseau.cli.output import console


def cull(
    ctx: typer.Context,
    wedding: Annotated[str, typer.Argument(help="The wedding's slug.")],
    tenant: Annotated[str | None, typer.Option(help="Tenant slug (default: settings).")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Picks and rejects (keep_score below 0.5, with reasons), the duplicates in bursts and
    the moments of a wedding."""
    from trousseau.analysis import culling_of, report
    from trousseau.catalog import get_tenant, get_wedding
    from trousseau.clock import utc_now

    settings = settings_of(ctx)
    catalog = catalog_of(settings)
    vault = vault_of(settings)
    try:
        with catalog.begin() as conn:
            owner = get_tenant(conn, tenant or settings.tenant)
            target = get_wedding(conn, owner.id, wedding)
        culled = culling_of(catalog, vault, target.id, clock=utc_now, measure_missing=True)
    finally:
        catalog.dispose()
        vault.close()
    body = report(target.slug, culled)
    if as_json:
        console.print_json(json.dumps(body))
        return
    for row in body["photos"]:
        why = escape("; ".join(row["reasons"]))
        score = "-" if row["keep_score"] is None else f"{row['keep_score']:.2f}"
        photo = escape(row["photo"])
        console.print(f"{row['status']:10s} {score:>5s}  {photo}  {why}", highlight=False)
    for moment in body["moments"]:
        console.print(
            f"moment {moment['start'] or 'undated'}: {moment['photos']} photo(s), "
            f"representative {escape(str(moment['representative']))}",
            highlight=False,
        )
    for burst in body["bursts"]:
        photos = escape(", ".join(burst["photos"]))
        console.print(f"burst: {photos} -> pick {escape(burst['pick'])}", highlight=False)

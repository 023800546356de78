"""`trousseau cull WEDDING`: picks, rejects with their reasons, duplicates, bursts and the
moments of the day, from the signals each photo's `quality` job stored.

Photos rendered before that job existed (or with analysis.culling off) are measured first
and their signals stored, so a second call only reads.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from trousseau.cli.context import catalog_of, settings_of, vault_of
from trousseau.cli.output import console

if TYPE_CHECKING:
    from trousseau.analysis import Culling


def cull(
    ctx: typer.Context,
    wedding: Annotated[str, typer.Argument(help="The wedding's slug.")],
    tenant: Annotated[str | None, typer.Option(help="Tenant slug (default: settings).")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Picks and rejects (keep_score below 0.5, with reasons), the duplicates in bursts and
    the moments of a wedding."""
    from trousseau.analysis import culling_of
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
    body = culling_body(target.slug, culled)
    if as_json:
        console.print_json(json.dumps(body))
        return
    for row in body["photos"]:
        why = "; ".join(row["reasons"])
        score = "-" if row["keep_score"] is None else f"{row['keep_score']:.2f}"
        console.print(f"{row['status']:10s} {score:>5s}  {row['photo']}  {why}", highlight=False)
    for moment in body["moments"]:
        console.print(
            f"moment {moment['start'] or 'undated'}: {moment['photos']} photo(s), "
            f"representative {moment['representative']}",
            highlight=False,
        )
    for burst in body["bursts"]:
        console.print(f"burst: {', '.join(burst['photos'])} -> pick {burst['pick']}",
                      highlight=False)  # fmt: skip


def culling_body(slug: str, culled: Culling) -> dict[str, Any]:
    """The JSON of `cull --json`: every photo's status, keep_score and reasons, the bursts
    and the moments."""
    return {
        "wedding": slug,
        "photos": [
            {
                "photo": p.photo,
                "status": str(p.verdict),
                "keep_score": p.keep_score,
                "reasons": list(p.reasons),
            }
            for p in culled.photos
        ],
        "bursts": [
            {"pick": b.pick.name, "photos": [s.name for s in b.shots]} for b in culled.bursts
        ],
        "moments": [
            {
                "start": m.start.isoformat() if m.start else None,
                "end": m.end.isoformat() if m.end else None,
                "photos": len(m.shots),
                "representative": m.representative.name,
            }
            for m in culled.moments
        ],
    }

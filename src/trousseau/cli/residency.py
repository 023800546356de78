"""`trousseau residency report`: where every wedding's blobs live, and what is out of place."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.markup import escape

from trousseau.cli.context import catalog_of, settings_of, vault_of
from trousseau.cli.output import console

residency_app = typer.Typer(
    help="Data residency: each wedding's data in its region's stores.", no_args_is_help=True
)

OUT_OF_PLACE = 3


@residency_app.command("report")
def report(
    ctx: typer.Context,
    blobs: Annotated[
        bool, typer.Option("--blobs", help="List every blob of each wedding.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Each wedding's region, its blobs and the stores holding them (this node's vault and
    backup targets, with their regions); exit 3 when any wedding is out of place."""
    from trousseau.backup import copies_from_settings, passphrase_of
    from trousseau.errors import SettingsError
    from trousseau.residency import out_of_place, residency_report

    settings = settings_of(ctx)
    catalog = catalog_of(settings)
    copies = None
    note = ""
    try:
        if settings.backup.targets:
            try:
                passphrase_of(settings)
            except SettingsError:
                note = "backup copies not checked: no backup passphrase in this node's settings"
            else:
                vault = vault_of(settings)
                try:
                    copies = copies_from_settings(settings, catalog, vault)
                finally:
                    vault.close()
        places = residency_report(settings, catalog, with_blobs=blobs, copies=copies)
    finally:
        catalog.dispose()
    body: dict[str, Any] = {
        "node_region": settings.residency.region or None,
        "note": note or None,
        "weddings": [
            {
                "tenant": p.tenant,
                "wedding": p.wedding,
                "region": p.region,
                "blobs": p.blobs,
                "bytes": p.bytes,
                "stores": [{"url": s.url, "role": s.role, "region": s.region} for s in p.stores],
                "in_vault": p.in_vault,
                "backup_copies": p.backup_copies,
                "in_place": p.in_place,
                "problems": p.problems,
                **(
                    {"blob_list": [{"sha256": h, "role": r, "name": n} for h, r, n in p.blob_list]}
                    if blobs
                    else {}
                ),
            }
            for p in places
        ],
    }
    wrong = out_of_place(places)
    if as_json:
        console.print_json(json.dumps(body))
    else:
        if not settings.residency.enabled:
            console.print("residency is off (no residency.region): nothing is pinned")
        if note:
            console.print(escape(note), highlight=False)
        for place in places:
            mark = "ok " if place.in_place else "OUT"
            stores = ", ".join(
                f"{s.role} {s.url} ({s.region or 'no region'})" for s in place.stores
            )
            console.print(
                f"{mark} {escape(place.tenant)}/{escape(place.wedding)} region "
                f"{escape(place.region or '-')}: {place.blobs} blob(s), "
                f"{place.bytes / 1e6:.1f} MB in {escape(stores)}",
                highlight=False,
            )
            if place.backup_copies is not None:
                held = ", ".join(place.backup_copies) or "none"
                console.print(f"    whole in the backup targets: {escape(held)}", highlight=False)
            for problem in place.problems:
                console.print(f"    {escape(problem)}", highlight=False)
            for sha, role, name in place.blob_list:
                console.print(f"    {sha} {role} {escape(name)}", highlight=False)
    if wrong:
        raise typer.Exit(OUT_OF_PLACE)

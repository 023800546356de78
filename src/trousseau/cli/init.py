"""`trousseau init`: create or upgrade the catalog and the vault."""

from __future__ import annotations

import typer
from rich.markup import escape

from trousseau.cli.context import settings_of, vault_of
from trousseau.cli.output import console


def init(ctx: typer.Context) -> None:
    """Create the catalog (or apply pending migrations) and the vault. Safe to re-run."""
    from trousseau.catalog import open_catalog, upgrade

    settings = settings_of(ctx)
    catalog = open_catalog(settings.catalog_url, check_schema=False)
    try:
        before, after = upgrade(catalog.engine)
    finally:
        catalog.dispose()
    vault = vault_of(settings)
    vault.close()
    change = "up to date" if before == after else f"migrated {before or 'empty'} → {after}"
    console.print(f"catalog  {escape(str(catalog.url))}  (schema {after}, {change})")
    console.print(f"vault    {escape(str(vault.url))}")

"""Opening the catalog and vault the way every command does.

The catalog (SQLAlchemy) and the vault are imported by the functions that open them, so a
command that needs neither, and `--help`, load neither.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from trousseau.catalog import Catalog
    from trousseau.settings import Settings
    from trousseau.vault import Vault


def settings_of(ctx: typer.Context) -> Settings:
    settings: Settings = ctx.obj.settings  # the app callback's State
    return settings


def catalog_of(settings: Settings, *, migrate: bool | None = None) -> Catalog:
    from trousseau.catalog import open_catalog

    return open_catalog(
        settings.catalog_url,
        auto_migrate=settings.auto_migrate if migrate is None else migrate,
        busy_timeout_ms=settings.sqlite_busy_timeout_ms,
    )


def vault_of(settings: Settings) -> Vault:
    from trousseau.vault import open_vault

    return open_vault(settings.vault_url)

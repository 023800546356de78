"""Opening the catalog and vault the way every command does."""

from __future__ import annotations

import typer

from trousseau.catalog import Catalog, open_catalog
from trousseau.settings import Settings
from trousseau.vault import Vault, open_vault


def settings_of(ctx: typer.Context) -> Settings:
    settings: Settings = ctx.obj.settings  # the app callback's State
    return settings


def catalog_of(settings: Settings, *, migrate: bool | None = None) -> Catalog:
    return open_catalog(
        settings.catalog_url,
        auto_migrate=settings.auto_migrate if migrate is None else migrate,
        busy_timeout_ms=settings.sqlite_busy_timeout_ms,
    )


def vault_of(settings: Settings) -> Vault:
    return open_vault(settings.vault_url)

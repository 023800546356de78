"""Opening the catalog and vault the way every command does.

The catalog (SQLAlchemy) and the vault are imported by the functions that open them, so a
command that needs neither, and `--help`, load neither.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from trousseau.cli.output import console

if TYPE_CHECKING:
    from trousseau.catalog import Catalog
    from trousseau.settings import Settings
    from trousseau.vault import Vault

CATALOG_INT_MAX = 2**63 - 1
"""The largest integer a catalog column holds (SQLite INTEGER, PostgreSQL BIGINT): an id or a
count past it is refused by its option (`max=`), before the database raises OverflowError."""


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

    return open_vault(settings.vault_url, replicas=settings.vault_replicas)


By = Annotated[
    str,
    typer.Option(
        "--by",
        envvar="TROUSSEAU_ACTOR",
        help="Who acts (default: $TROUSSEAU_ACTOR, else the login name).",
    ),
]
"""The person a recorded action is attributed to (overrides, the emergency switch)."""


def actor(by: str) -> str:
    """Who acts: `--by`, else $TROUSSEAU_ACTOR, else the login name."""
    return by or os.environ.get("TROUSSEAU_ACTOR") or getpass.getuser()


def write_or_print(text: str, out: Path | None) -> None:
    """A generated file: to `out` when given, else to stdout as it is."""
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        console.print(f"wrote {escape(str(out))}", highlight=False)


def write_whole(path: Path, data: bytes) -> None:
    """`data` written to `path` whole or not at all: into a temporary file beside it, then
    renamed over it, so a reader never sees half a file.

    The temporary name is short and fixed in length (`.<16 hex>.partial`): one derived from
    `path` (`NAME.partial`) would pass the file-name limit before `path` itself does. On
    failure the temporary file is removed and the OSError raised, for the caller to name
    `path` and the cause.
    """
    temporary = path.with_name(f".{secrets.token_hex(8)}.partial")
    file = temporary.open("xb")  # created with the umask's mode, as `path` would be
    try:
        with file:
            file.write(data)
        temporary.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise

"""The Typer application and its global options; `cli.main` lists the commands on it.

This module imports no command module, so a command may import it without a circle. (Most
commands no longer need to: `cli.main` registers them. `console` and `errors` are
re-exported for the modules that still register themselves with `@app.command()`.)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from trousseau.cli.output import console, errors

if TYPE_CHECKING:
    from trousseau.settings import Settings

__all__ = ["State", "app", "console", "errors"]

app = typer.Typer(
    name="trousseau",
    help="Keep every wedding photo safe and deliver its gallery before the deadline.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@dataclass
class State:
    """What the global options decided, shared with every command."""

    overrides: dict[str, Any]
    _settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            # Imported on first use: pydantic's import is ~0.2 s that `--help` needs not pay.
            from trousseau.settings import load_settings

            self._settings = load_settings(**self.overrides)
        return self._settings


@app.callback()
def _global(
    ctx: typer.Context,
    data_dir: Annotated[
        Path | None, typer.Option(help="Home of the default catalog and vault.", envvar=None)
    ] = None,
    catalog_url: Annotated[str | None, typer.Option(help="sqlite:///… or postgresql://…")] = None,
    vault_url: Annotated[str | None, typer.Option(help="file:///…, s3://… or memory://")] = None,
) -> None:
    overrides: dict[str, Any] = {}
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    if catalog_url is not None:
        overrides["catalog_url"] = catalog_url
    if vault_url is not None:
        overrides["vault_url"] = vault_url
    ctx.obj = State(overrides)

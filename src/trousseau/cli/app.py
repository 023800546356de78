"""The Typer application, its global options, and the one place errors become exit codes."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from trousseau.errors import TrousseauError
from trousseau.settings import Settings, load_settings

app = typer.Typer(
    name="trousseau",
    help="Keep every wedding photo safe and deliver its gallery before the deadline.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console()
errors = Console(stderr=True)


@dataclass
class State:
    """What the global options decided, shared with every command."""

    overrides: dict[str, Any]
    _settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
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


def main() -> None:
    """Console entry point: expected failures are one line on stderr and a non-zero exit."""
    from trousseau.cli import commands  # noqa: F401  (registers the commands)

    try:
        app()
    except TrousseauError as exc:
        errors.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        errors.print("interrupted: nothing acknowledged was lost; run the command again to resume")
        sys.exit(130)

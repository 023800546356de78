"""`trousseau profiles list|show|check`: the variant profiles in effect, and a file's validity.

The profiles in effect are the defaults, then `imaging.profiles_file`, then the
`imaging.profiles` overrides of the settings, exactly as the variants job loads them.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.markup import escape

from trousseau.cli.context import settings_of
from trousseau.cli.output import console, errors
from trousseau.errors import SettingsError

if TYPE_CHECKING:
    from trousseau.imaging import Profile

profiles_app = typer.Typer(help="List, show and check variant profiles.", no_args_is_help=True)


def configured_source(ctx: typer.Context) -> tuple[Path | None, Mapping[str, Mapping[str, Any]]]:
    """The profiles file and overrides the settings name (none before `imaging` settings)."""
    imaging = getattr(settings_of(ctx), "imaging", None)
    path = getattr(imaging, "profiles_file", None)
    overrides = getattr(imaging, "profiles", None) or {}
    return path, overrides


def configured_profiles(ctx: typer.Context) -> dict[str, Profile]:
    """The profiles in effect, or the SettingsError line on stderr and exit status 2."""
    from trousseau.imaging import load_profiles

    try:
        path, overrides = configured_source(ctx)
        return load_profiles(path, overrides)
    except SettingsError as exc:
        fail(exc)


def fail(exc: SettingsError) -> NoReturn:
    """Print `exc` as one line (escaped: its "[profiles.x]" is text, not rich markup); exit 2."""
    errors.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
    raise typer.Exit(exc.exit_code)


def size_cell(profile: Profile) -> str:
    """ "3000" (the longer side, contain) or "400x400 cover" (the cropped box)."""
    if profile.fit == "contain":
        return str(profile.long_edge)
    width, height = profile.box()
    return f"{width}x{height} cover"


def format_cell(profile: Profile) -> str:
    """The format, and for JPEG its entropy coding: progressive, optimised or standard tables."""
    if profile.format != "jpeg":
        return profile.format
    if profile.progressive:
        return "jpeg prog"
    return "jpeg opt" if profile.optimize_coding else "jpeg"


def chroma_cell(profile: Profile) -> str:
    if profile.format == "png":
        return "-"
    return f"{profile.chroma} smart" if profile.smart_subsample else profile.chroma


def effort_cell(profile: Profile) -> str:
    if profile.format == "jpeg":
        return "-"
    return "default" if profile.effort is None else str(profile.effort)


@profiles_app.command("list")
def list_command(ctx: typer.Context) -> None:
    """Every profile in effect, enabled ones first in rendering order (largest first)."""
    from rich import box
    from rich.table import Table

    from trousseau.imaging import enabled_profiles

    profiles = configured_profiles(ctx)
    enabled = enabled_profiles(profiles)
    rows = enabled + [p for p in profiles.values() if not p.enabled]
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for column in ("name", "size", "format", "q", "chroma", "effort"):
        table.add_column(column, no_wrap=True)
    table.add_column("metadata kept", overflow="fold")
    table.add_column("enabled", no_wrap=True)
    for p in rows:
        table.add_row(
            escape(p.name),
            size_cell(p),
            format_cell(p),
            "-" if p.format == "png" else str(p.quality),
            chroma_cell(p),
            effort_cell(p),
            p.metadata.summary(),
            "yes" if p.enabled else "no",
        )
    console.print(table)


@profiles_app.command("show")
def show_command(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="Profile name.")]
) -> None:
    """Every field of one profile, as a TOML table you can paste into a profiles file."""
    from trousseau.imaging import profile_to_toml

    profiles = configured_profiles(ctx)
    if name not in profiles:
        fail(SettingsError(f"unknown profile {name!r}: use one of {', '.join(profiles)}"))
    typer.echo(profile_to_toml(profiles[name]), nl=False)


@profiles_app.command("check")
def check_command(
    ctx: typer.Context,
    file: Annotated[
        Path | None,
        typer.Argument(help="Profiles TOML file; default: the configured profiles."),
    ] = None,
) -> None:
    """Validate a profiles file (on top of the defaults), or the configured profiles."""
    from trousseau.imaging import enabled_profiles, load_profiles

    if file is None:
        profiles = configured_profiles(ctx)
    else:
        try:
            profiles = load_profiles(file)
        except SettingsError as exc:
            fail(exc)
    enabled = [p.name for p in enabled_profiles(profiles)]
    console.print(
        f"ok: {len(profiles)} profiles ({len(enabled)} enabled: "
        f"{escape(', '.join(enabled) or 'none')})",
        highlight=False,
    )

"""`trousseau render`: variants of files straight to a folder, without catalog or vault."""

from __future__ import annotations

import errno
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from trousseau.cli.context import settings_of, write_whole
from trousseau.cli.output import console, errors
from trousseau.errors import ImagingError, IngestError, SettingsError

EXTENSIONS = {"jpeg": "jpg", "webp": "webp", "avif": "avif", "png": "png"}


def render_command(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="Photos or folders.", readable=False)],
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for the variants.")],
    profile: Annotated[
        list[str] | None,
        typer.Option("--profile", "-p", help="Profile to render (repeat; default: all enabled)."),
    ] = None,
) -> None:
    """Render variants of photos into a folder: NAME.PROFILE.EXT per photo and profile."""
    from trousseau.imaging import (
        Original,
        enabled_profiles,
        load_profiles,
        render,
        select_backend,
        sniff,
    )
    from trousseau.ingest import collect

    settings = settings_of(ctx)
    available = load_profiles(settings.imaging.profiles_file, settings.imaging.profiles)
    if profile:
        unknown = [p for p in profile if p not in available]
        if unknown:
            known = ", ".join(sorted(available))
            raise SettingsError(f"unknown profile {unknown[0]!r}: use one of {known}")
        chosen = sorted((available[p] for p in dict.fromkeys(profile)), key=lambda p: -p.long_edge)
    else:
        chosen = enabled_profiles(available)
    backend = select_backend(settings.imaging)
    _make_folder(output)
    failures = 0
    for path in collect(files):
        started = time.perf_counter()
        name = escape(path.name)
        try:
            rendering = render(Original(path.read_bytes(), sniff(path), path.name), chosen, backend)
        except (ImagingError, IngestError, OSError) as exc:
            failures += 1
            errors.print(f"[red]failed[/] {name}: {escape(str(exc))}", highlight=False)
            continue
        target: Path | None = None
        try:
            for variant in rendering.variants:
                target = output / f"{path.stem}.{variant.profile}.{EXTENSIONS[variant.format]}"
                write_whole(target, variant.data)
        except OSError as exc:
            failures += 1
            errors.print(
                f"[red]failed[/] {name}: cannot write {escape(str(target or output))} "
                f"({escape(exc.strerror or str(exc))}): {_remedy(exc)}",
                highlight=False,
                soft_wrap=True,
            )
            continue
        summary = ", ".join(
            f"{v.profile} {v.width}x{v.height} {len(v.data) / 1024:.0f} KB"
            for v in rendering.variants
        )
        elapsed = (time.perf_counter() - started) * 1000
        console.print(f"{name}: {summary} ({elapsed:.0f} ms)", highlight=False)
    if failures:
        errors.print(f"{failures} file(s) could not be rendered: see the reasons above")
        raise typer.Exit(1)


def _make_folder(output: Path) -> None:
    """The `--output` folder, created if missing; a path that cannot be one is refused before
    any photo is read."""
    if output.exists() and not output.is_dir():
        raise SettingsError(
            f"--output {output} is a file, not a folder: name a folder for the variants "
            "(it is created if missing)"
        )
    try:
        output.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SettingsError(
            f"--output {output} cannot be created as a folder ({exc.strerror or exc}): "
            "name a folder you can write to"
        ) from None


def _remedy(exc: OSError) -> str:
    """What to do about a variant that could not be written, by its cause."""
    if exc.errno == errno.ENAMETOOLONG:
        return "its name is too long for the file system: rename the photo shorter"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full: free space and render it again"
    return "check the --output folder and its permissions, then render it again"

"""`trousseau render`: variants of files straight to a folder, without catalog or vault."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from trousseau.cli.context import settings_of
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
    output.mkdir(parents=True, exist_ok=True)
    failures = 0
    for path in collect(files):
        started = time.perf_counter()
        try:
            rendering = render(Original(path.read_bytes(), sniff(path), path.name), chosen, backend)
        except (ImagingError, IngestError, OSError) as exc:
            failures += 1
            errors.print(f"[red]failed[/] {path.name}: {exc}", highlight=False)
            continue
        for variant in rendering.variants:
            target = output / f"{path.stem}.{variant.profile}.{EXTENSIONS[variant.format]}"
            partial = target.with_name(target.name + ".partial")
            partial.write_bytes(variant.data)
            partial.replace(target)
        summary = ", ".join(
            f"{v.profile} {v.width}x{v.height} {len(v.data) / 1024:.0f} KB"
            for v in rendering.variants
        )
        elapsed = (time.perf_counter() - started) * 1000
        console.print(f"{path.name}: {summary} ({elapsed:.0f} ms)", highlight=False)
    if failures:
        errors.print(f"{failures} file(s) could not be rendered")
        raise typer.Exit(1)

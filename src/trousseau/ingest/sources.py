"""Turning the paths a photographer hands over into the list of files to ingest."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from trousseau.errors import InputMissing, InputUnreadable


def collect(paths: Iterable[Path]) -> list[Path]:
    """Every file named, and every file under every folder named, in a stable order.

    Inside folders, hidden entries (`.DS_Store`, `._IMG_0001.JPG` AppleDouble files, `.git`)
    are skipped; a file named explicitly is always taken. A path that does not exist stops the
    ingest before anything is stored, so a typo never half-ingests a wedding.
    """
    files: list[Path] = []
    seen: set[Path] = set()
    for path in paths:
        if not path.exists():
            hint = " (it is a broken symbolic link)" if path.is_symlink() else ""
            raise InputMissing(f"{path} does not exist{hint}: check the path and run ingest again")
        found = _walk(path) if path.is_dir() else [path]
        for file in found:
            key = file.absolute()
            if key not in seen:
                seen.add(key)
                files.append(file)
    return files


def _walk(folder: Path) -> list[Path]:
    found: list[Path] = []

    def on_error(exc: OSError) -> None:
        raise InputUnreadable(
            f"cannot list {exc.filename}: {exc.strerror}: fix its permissions and run ingest again"
        )

    for root, dirs, names in os.walk(folder, onerror=on_error, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(Path(root) / name for name in sorted(names) if not name.startswith("."))
    return found


def file_name_text(path: Path) -> str:
    """A file's name as text any catalog stores: a name on the card that is not UTF-8 (Python
    reads its bytes as lone surrogates, which no catalog can encode) keeps its readable part,
    the rest shown as U+FFFD, rather than stopping the card."""
    return os.fsencode(path.name).decode("utf-8", errors="replace")

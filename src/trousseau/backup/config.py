"""From settings to a repository: which target, which passphrase.

The passphrase comes from `backup.passphrase` (TROUSSEAU_BACKUP__PASSPHRASE) or the file
`backup.passphrase_file`, never from a command-line argument (it would sit in the shell's
history and in every process listing).
"""

from __future__ import annotations

import platform

from trousseau.backup.repository import Repository, init_repository, open_repository
from trousseau.backup.targets import Target, open_target
from trousseau.clock import Clock
from trousseau.errors import SettingsError
from trousseau.settings import Settings


def passphrase_of(settings: Settings) -> str:
    """The repository passphrase; SettingsError saying where to put one when there is none."""
    backup = settings.backup
    if backup.passphrase is not None and backup.passphrase.get_secret_value():
        return backup.passphrase.get_secret_value()
    if backup.passphrase_file is not None:
        try:
            text = backup.passphrase_file.read_text(encoding="utf-8").rstrip("\r\n")
        except (OSError, UnicodeDecodeError) as exc:
            raise SettingsError(
                f"backup.passphrase_file {backup.passphrase_file} cannot be read "
                f"({type(exc).__name__}): fix the path or its permissions"
            ) from None
        if text:
            return text
        raise SettingsError(f"backup.passphrase_file {backup.passphrase_file} is empty")
    raise SettingsError(
        "no backup passphrase: set TROUSSEAU_BACKUP__PASSPHRASE or backup.passphrase_file "
        "(never on the command line)"
    )


def primary_target(settings: Settings, url: str | None = None) -> Target:
    """The repository's primary target: `url`, else the first of `backup.targets`."""
    if url is None:
        if not settings.backup.targets:
            raise SettingsError(
                "no backup target: set TROUSSEAU_BACKUP__TARGETS (a JSON list of URLs) or "
                "backup.targets, or pass --to"
            )
        url = settings.backup.targets[0]
    return open_target(url)


def replica_targets(settings: Settings) -> list[Target]:
    """The targets after the first: copies of the primary repository."""
    return [open_target(url) for url in settings.backup.targets[1:]]


def open_backup(settings: Settings, url: str | None = None) -> Repository:
    """Open the primary repository with the configured passphrase."""
    return open_repository(primary_target(settings, url), passphrase_of(settings))


def create_backup(settings: Settings, url: str | None, *, clock: Clock) -> Repository:
    """Create a repository on `url` (or the primary target) with the configured passphrase."""
    return init_repository(
        primary_target(settings, url),
        passphrase_of(settings),
        clock=clock,
        host=platform.node(),
        pack_size=settings.backup.pack_size_mb * 1024 * 1024,
    )

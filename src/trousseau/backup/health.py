"""Backup health from the catalog alone: each repository's lag behind the change log.

What `GET /api/v1/backup` answers and the dashboard's backup panel shows, computed from the
catalog's cursors (`catalog.backup_lags`) and the settings, so neither needs the repository
passphrase nor a connection to a target. `trousseau backup status` adds what only the
repository knows (sizes, ratios, its snapshot list).

Pure: it takes the lags read at `now` and plain settings values, and returns plain values.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from trousseau.catalog import BackupLag


class BackupState(StrEnum):
    """How backups stand as a whole, worst first."""

    NOT_CONFIGURED = "not-configured"
    """No target in `backup.targets` and no repository has ever backed up."""
    NEVER_RUN = "never-run"
    """Targets are configured but no backup run has completed yet: nothing is protected."""
    LATE = "late"
    """At least one repository is behind by more than `backup.lag_target_seconds`."""
    OK = "ok"
    """Every repository is within the lag target."""


@dataclass(frozen=True)
class RepositoryHealth:
    """One repository as the catalog sees it."""

    repository: str
    """The catalog's key for it (`backup.repository_key`: a hash of its sealed config)."""
    cursor: int
    pending: int
    oldest_pending_at: datetime | None
    lag_seconds: float
    late: bool
    last_backup_at: datetime | None
    """When a run last completed (its snapshot was committed just before); None if never."""


@dataclass(frozen=True)
class BackupHealth:
    """Every repository's lag at `now`, against the lag target."""

    now: datetime
    lag_target_seconds: float
    targets: int
    """How many targets `backup.targets` names (0: backup is not configured here)."""
    repositories: tuple[RepositoryHealth, ...]

    @property
    def state(self) -> BackupState:
        if not self.repositories:
            return BackupState.NEVER_RUN if self.targets else BackupState.NOT_CONFIGURED
        return BackupState.LATE if any(r.late for r in self.repositories) else BackupState.OK

    @property
    def ok(self) -> bool:
        """At least one repository, and none late."""
        return self.state is BackupState.OK

    @property
    def configured(self) -> bool:
        return self.state is not BackupState.NOT_CONFIGURED

    @property
    def pending(self) -> int:
        """Changes not yet backed up, the most behind repository's."""
        return max((r.pending for r in self.repositories), default=0)

    @property
    def lag_seconds(self) -> float:
        """The worst lag of any repository (0.0 when none)."""
        return max((r.lag_seconds for r in self.repositories), default=0.0)

    @property
    def last_backup_at(self) -> datetime | None:
        """The latest completed run of any repository."""
        return max((r.last_backup_at for r in self.repositories if r.last_backup_at), default=None)


def backup_health(
    lags: Iterable[BackupLag], *, now: datetime, lag_target_seconds: float, targets: int
) -> BackupHealth:
    """The health of each repository whose lags were read at `now`; `targets` is how many
    `backup.targets` names, which tells "not configured" from "never run"."""
    return BackupHealth(
        now=now,
        lag_target_seconds=lag_target_seconds,
        targets=targets,
        repositories=tuple(
            RepositoryHealth(
                repository=lag.repository,
                cursor=lag.cursor,
                pending=lag.pending,
                oldest_pending_at=lag.oldest_pending_at,
                lag_seconds=lag.seconds_behind,
                late=lag.seconds_behind > lag_target_seconds,
                last_backup_at=lag.updated_at,
            )
            for lag in lags
        ),
    )

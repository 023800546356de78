"""Backup status: how far behind the change log a repository is, and what it holds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from trousseau.backup.repository import Repository
from trousseau.backup.runs import repository_key
from trousseau.catalog import Catalog, backup_lag


@dataclass(frozen=True)
class BackupStatus:
    """One repository's state: the figures `backup status`, /metrics and the dashboard show."""

    target: str
    repository: str
    snapshots: int
    last_snapshot: str | None
    last_snapshot_at: datetime | None
    pending_changes: int
    lag_seconds: float
    """How long the oldest change not yet backed up has waited: the RPO achieved now."""
    lag_target_seconds: float
    pack_bytes: int
    logical_bytes: int
    dedup_ratio: float
    compression_ratio: float

    @property
    def late(self) -> bool:
        return self.lag_seconds > self.lag_target_seconds

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "repository": self.repository,
            "snapshots": self.snapshots,
            "last_snapshot": self.last_snapshot,
            "last_snapshot_at": self.last_snapshot_at.isoformat()
            if self.last_snapshot_at
            else None,
            "pending_changes": self.pending_changes,
            "lag_seconds": round(self.lag_seconds, 3),
            "lag_target_seconds": self.lag_target_seconds,
            "late": self.late,
            "repository_bytes": self.pack_bytes,
            "logical_bytes": self.logical_bytes,
            "dedup_ratio": round(self.dedup_ratio, 3),
            "compression_ratio": round(self.compression_ratio, 3),
        }

    def lines(self) -> list[str]:
        last = (
            f"{self.last_snapshot[:12]} at {self.last_snapshot_at:%Y-%m-%d %H:%M:%S} UTC"
            if self.last_snapshot and self.last_snapshot_at
            else "none yet"
        )
        state = "LATE" if self.late else "ok"
        return [
            f"repository {self.repository[:12]} at {self.target}",
            f"last snapshot: {last} ({self.snapshots} in all)",
            f"behind: {self.pending_changes} changes, {self.lag_seconds:.1f} s "
            f"(target {self.lag_target_seconds:.0f} s): {state}",
            f"size: {self.pack_bytes / 1e6:.1f} MB in packs for {self.logical_bytes / 1e6:.1f} MB"
            f" of data (dedup {self.dedup_ratio:.2f}x, compression {self.compression_ratio:.2f}x)",
        ]


def backup_status(
    catalog: Catalog, repo: Repository, *, now: datetime, lag_target: float
) -> BackupStatus:
    """The repository's status against the catalog's change log at `now`."""
    with catalog.begin() as conn:
        lag = backup_lag(conn, repository_key(repo.target), now=now)
    stats = repo.stats()
    latest = repo.latest()
    return BackupStatus(
        target=repo.target.name,
        repository=repo.config.id,
        snapshots=stats.snapshots,
        last_snapshot=latest.id if latest else None,
        last_snapshot_at=latest.time if latest else None,
        pending_changes=lag.pending,
        lag_seconds=lag.seconds_behind,
        lag_target_seconds=lag_target,
        pack_bytes=stats.pack_bytes,
        logical_bytes=stats.logical_bytes,
        dedup_ratio=stats.dedup_ratio,
        compression_ratio=stats.compression_ratio,
    )

"""Backup health over HTTP: how far each backup repository is behind the change log.

An operations endpoint (admin key): repositories hold every tenant's data. It reads the
catalog only (the change log and each repository's cursor), so the API never needs the
repository passphrase; `trousseau backup status` adds the repository's own figures (sizes,
dedup and compression ratios) where the passphrase is configured.
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter
from pydantic import BaseModel, Field

from trousseau.catalog import backup_lags
from trousseau.web.auth import Admin
from trousseau.web.config import API_PREFIX
from trousseau.web.services import ServicesDep

router = APIRouter(prefix=API_PREFIX, tags=["backup"])


class RepositoryLag(BaseModel):
    repository: str = Field(description="the repository's key in the catalog (from its config)")
    cursor: int = Field(description="every change up to this id is in the repository")
    pending: int = Field(description="changes not yet in the repository")
    oldest_pending_at: dt.datetime | None
    lag_seconds: float = Field(description="how long the oldest pending change has waited (RPO)")
    late: bool = Field(description="lag above backup.lag_target_seconds")


class BackupHealth(BaseModel):
    now: dt.datetime
    lag_target_seconds: float
    ok: bool = Field(description="at least one repository, and none late")
    repositories: list[RepositoryLag]


@router.get("/backup", response_model=BackupHealth)
def backup_health(_admin: Admin, services: ServicesDep) -> BackupHealth:
    """Each backup repository's lag behind the change log; `ok` when none is late."""
    now = services.clock()
    target = services.settings.backup.lag_target_seconds
    with services.catalog.begin() as conn:
        lags = backup_lags(conn, now=now)
    items = [
        RepositoryLag(
            repository=lag.repository,
            cursor=lag.cursor,
            pending=lag.pending,
            oldest_pending_at=lag.oldest_pending_at,
            lag_seconds=lag.seconds_behind,
            late=lag.seconds_behind > target,
        )
        for lag in lags
    ]
    return BackupHealth(
        now=now,
        lag_target_seconds=target,
        ok=bool(items) and not any(item.late for item in items),
        repositories=items,
    )

"""Is the platform ready for a day's weddings? Capacity, backups, workers, disk headroom and
alert routes, each a check with what it found (`assess` is pure; `gather` reads the world).

Ready means every check passes; a warning (a figure that cannot be measured, like an object
store's free space) does not make it unready but is shown.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlparse

from trousseau.catalog import Catalog, EventKind, backup_lags, recent_events
from trousseau.errors import TrousseauError
from trousseau.jobs import operations_report
from trousseau.settings import Settings

VERIFY_WITHIN = timedelta(days=7)
"""A backup verified longer ago than this before the day is not trusted for it."""
BYTES_PER_PHOTO = 30_000_000
"""An original and its variants, for the headroom check (a 24 MP JPEG or a RAW file)."""


class Status(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str


@dataclass(frozen=True)
class Facts:
    """What `gather` found, as values."""

    day: date
    weddings: int
    photos: float
    plan_peak: int | None
    plan_error: str | None
    max_replicas: int
    live_workers: int
    backup_targets: int
    backup_lags: tuple[tuple[str, float], ...]
    lag_target_seconds: float
    free_bytes: int | None
    """Free space where the vault stores blobs; None where it cannot be measured."""
    vault_url: str
    emergency_receivers: int
    last_verify: tuple[datetime, bool] | None = None
    """When the backup was last verified and whether it held; None: never."""


@dataclass(frozen=True)
class Readiness:
    day: date
    checks: tuple[Check, ...]

    @property
    def ready(self) -> bool:
        return all(c.status is not Status.FAIL for c in self.checks)


def assess(f: Facts) -> Readiness:
    """The checks for the day from the facts (pure)."""
    checks = []
    if f.plan_error is not None:
        checks.append(Check("capacity", Status.FAIL, f.plan_error))
    else:
        checks.append(
            Check(
                "capacity",
                Status.OK,
                f"{f.weddings} wedding(s), about {f.photos:,.0f} photos: the plan peaks at "
                f"{f.plan_peak} of at most {f.max_replicas} workers",
            )
        )
    checks.append(
        Check("workers", Status.OK, f"{f.live_workers} live worker(s)")
        if f.live_workers > 0
        else Check("workers", Status.FAIL, "no live worker: start `trousseau work` pods")
    )
    if f.backup_targets == 0:
        checks.append(Check("backups", Status.FAIL, "no backup target configured (backup.targets)"))
    else:
        late = [(r, lag) for r, lag in f.backup_lags if lag > f.lag_target_seconds]
        if not f.backup_lags:
            checks.append(Check("backups", Status.FAIL, "no backup has completed yet"))
        elif late:
            worst = max(late, key=lambda x: x[1])
            target = f.lag_target_seconds
            checks.append(
                Check("backups", Status.FAIL,
                      f"{worst[0]} is {worst[1]:.0f} s behind (target {target:.0f} s)")
            )  # fmt: skip
        elif f.last_verify is None:
            checks.append(
                Check(
                    "backups", Status.FAIL, "the backup was never verified: trousseau backup verify"
                )
            )
        elif not f.last_verify[1]:
            checks.append(
                Check("backups", Status.FAIL,
                      f"the last backup verify found damage ({f.last_verify[0]:%Y-%m-%d %H:%M})")
            )  # fmt: skip
        elif f.last_verify[0] < _start_of(f.day) - VERIFY_WITHIN:
            checks.append(
                Check("backups", Status.FAIL,
                      f"the backup was last verified on {f.last_verify[0]:%Y-%m-%d}, over a week "
                      "before the day")
            )  # fmt: skip
        else:
            checks.append(
                Check("backups", Status.OK,
                      f"{len(f.backup_lags)} repository(ies) on time, verified "
                      f"{f.last_verify[0]:%Y-%m-%d}")
            )  # fmt: skip
    need = f.photos * BYTES_PER_PHOTO
    if f.free_bytes is None:
        checks.append(
            Check("storage", Status.WARN,
                  f"free space of {urlparse(f.vault_url).scheme} storage cannot be measured: check "
                  f"the object store's quota for {need / 1e9:,.0f} GB")
        )  # fmt: skip
    elif f.free_bytes < 2 * need:
        checks.append(
            Check("storage", Status.FAIL,
                  f"{f.free_bytes / 1e9:,.0f} GB free, the day needs about {need / 1e9:,.0f} GB "
                  "(twice that is the floor)")
        )  # fmt: skip
    else:
        checks.append(Check("storage", Status.OK, f"{f.free_bytes / 1e9:,.0f} GB free"))
    checks.append(
        Check("alert routes", Status.OK, f"{f.emergency_receivers} EMERGENCY receiver(s)")
        if f.emergency_receivers
        else Check("alert routes", Status.FAIL,
                   "no receiver takes EMERGENCY alerts (ops.receivers): nobody would be paged")
    )  # fmt: skip
    return Readiness(f.day, tuple(checks))


def _start_of(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC)


def vault_free_bytes(vault_url: str) -> int | None:
    """Free bytes on the disk of a local (`file://`) vault; None for an object store."""
    parsed = urlparse(vault_url)
    if parsed.scheme != "file":
        return None
    path = Path(parsed.path)
    while not path.exists() and path != path.parent:
        path = path.parent
    return shutil.disk_usage(path).free


def gather(settings: Settings, catalog: Catalog, day: date, now: datetime) -> Facts:
    """Read the plan, the workers, the backups and the disk for `day`."""
    from trousseau.planning import (
        catalog_calendar,
        expected_photos,
        load_factors,
        plan_with_settings,
    )

    start = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    end = start + timedelta(days=1)
    weddings = [w for w in catalog_calendar(catalog, start, end) if w.date == day]
    factors = load_factors(settings.planning.factors)
    peak: int | None = None
    error: str | None = None
    try:
        peak = int(plan_with_settings(settings, weddings, start, end).floor.max())
    except TrousseauError as exc:
        error = str(exc)
    with catalog.begin() as conn:
        live = operations_report(
            conn, now=now, live_within=timedelta(seconds=settings.jobs.lease_seconds)
        ).live
        lags = tuple((lag.repository, lag.seconds_behind) for lag in backup_lags(conn, now=now))
        verified = recent_events(conn, limit=1, kind=EventKind.BACKUP_VERIFIED)
    return Facts(
        day=day,
        weddings=len(weddings),
        photos=sum(expected_photos(w, factors) for w in weddings),
        plan_peak=peak,
        plan_error=error,
        max_replicas=settings.planning.max_replicas,
        live_workers=live,
        backup_targets=len(settings.backup.targets),
        backup_lags=lags,
        lag_target_seconds=settings.backup.lag_target_seconds,
        free_bytes=vault_free_bytes(settings.vault_url),
        vault_url=settings.vault_url,
        emergency_receivers=sum(1 for r in settings.ops.receivers if "emergency" in r.severities),
        last_verify=(
            (verified[0].at, bool((verified[0].data or {}).get("ok"))) if verified else None
        ),
    )

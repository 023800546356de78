"""The I/O edge of protection: the policy's data file and the wedding calendar in the catalog."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from trousseau.catalog import Catalog, calendar_weddings, emergencies_between
from trousseau.freeze.evaluate import RegionStatus, regional
from trousseau.freeze.levels import Level
from trousseau.freeze.policy import (
    CalendarWedding,
    Freeze,
    Policy,
    ceremony_instant,
    policy_from_mapping,
)
from trousseau.settings import read_data_file

log = logging.getLogger("trousseau.freeze")

DEFAULT_POLICY = Path(__file__).with_name("default.toml")


def load_policy(path: Path | None = None) -> Policy:
    """The policy in `path` (TOML), or trousseau's default policy."""
    source = path or DEFAULT_POLICY
    data = read_data_file(
        source, what="the freeze policy", setting="freeze.policy (TROUSSEAU_FREEZE__POLICY)"
    )
    return policy_from_mapping(data, source=str(source))


def with_calendar(policy: Policy, catalog: Catalog, start: datetime, end: datetime) -> Policy:
    """The policy with the catalog's weddings whose ceremonies can matter in `[start, end)`."""
    first: date = (start - timedelta(days=2)).date()
    last: date = (end + timedelta(days=2)).date()
    with catalog.begin() as conn:
        rows = calendar_weddings(conn, first=first, last=last)
        emergencies = emergencies_between(conn, start=start, end=end)
    weddings = [
        CalendarWedding(
            ref=f"{w.tenant_id}/{w.slug}",
            ceremony=ceremony_instant(w.date, w.timezone, w.ceremony_time, policy.wedding_rule),
            region=w.region or w.timezone,
        )
        for w in rows
    ]
    unknown = {
        w.region: w.timezone
        for w in reversed(rows)
        if w.region and w.region not in policy.regions and not _is_zone(w.region)
    }
    for region, zone in sorted(unknown.items()):
        log.warning(
            "freeze: weddings are served from region %r, which the policy does not name; its "
            "windows are read in %s (a wedding's zone): add it under [regions]",
            region,
            zone,
        )
    switched = tuple(
        Freeze(
            e.started_at,
            min(e.until, e.ended_at) if e.ended_at else e.until,
            Level.MAXIMUM,
            f"emergency switch on by {e.started_by}: {e.reason}",
        )
        for e in emergencies
    )
    return replace(
        policy.with_weddings(weddings),
        regions={**policy.regions, **unknown},
        freezes=policy.freezes + switched,
    )


def _is_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def protection_now(
    catalog: Catalog,
    at: datetime,
    *,
    policy_path: Path | None = None,
    horizon: timedelta | None = timedelta(days=14),
) -> list[RegionStatus]:
    """Every region's level at `at` from the policy file and the catalog's calendar, with its
    next allowed instant within `horizon` (None: levels only, the cheapest answer)."""
    policy = load_policy(policy_path)
    policy = with_calendar(policy, catalog, at, at + (horizon or timedelta(0)))
    return regional(policy, at, horizon=horizon)

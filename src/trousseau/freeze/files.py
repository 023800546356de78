"""The I/O edge of protection: the policy's data file and the wedding calendar in the catalog."""

from __future__ import annotations

import tomllib
from datetime import date, datetime, timedelta
from pathlib import Path

from trousseau.catalog import Catalog, calendar_weddings
from trousseau.errors import SettingsError
from trousseau.freeze.policy import CalendarWedding, Policy, ceremony_instant, policy_from_mapping

DEFAULT_POLICY = Path(__file__).with_name("default.toml")


def load_policy(path: Path | None = None) -> Policy:
    """The policy in `path` (TOML), or trousseau's default policy."""
    source = path or DEFAULT_POLICY
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SettingsError(
            f"the freeze policy {source} cannot be read ({exc.strerror or exc}): check "
            "freeze.policy (TROUSSEAU_FREEZE__POLICY)"
        ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"the freeze policy {source} is not valid TOML ({exc})") from None
    return policy_from_mapping(data, source=str(source))


def with_calendar(policy: Policy, catalog: Catalog, start: datetime, end: datetime) -> Policy:
    """The policy with the catalog's weddings whose ceremonies can matter in `[start, end)`."""
    first: date = (start - timedelta(days=2)).date()
    last: date = (end + timedelta(days=2)).date()
    with catalog.begin() as conn:
        rows = calendar_weddings(conn, first=first, last=last)
    weddings = [
        CalendarWedding(
            ref=f"{w.tenant_id}/{w.slug}",
            ceremony=ceremony_instant(w.date, w.timezone, None, policy.wedding_rule),
            region=w.region or w.timezone,
        )
        for w in rows
    ]
    return policy.with_weddings(weddings)

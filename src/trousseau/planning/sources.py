"""The I/O edge of planning: the load factors file, calendar files and the catalog's weddings."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path

from trousseau.catalog import Catalog, calendar_weddings
from trousseau.errors import InvalidValue, SettingsError
from trousseau.planning.calendar import DEFAULT_CEREMONY, PlannedWedding, from_csv, from_ical
from trousseau.planning.factors import LoadFactors, factors_from_mapping

DEFAULT_FACTORS = Path(__file__).with_name("factors.toml")


def load_factors(path: Path | None = None) -> LoadFactors:
    source = path or DEFAULT_FACTORS
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SettingsError(
            f"the load factors {source} cannot be read ({exc.strerror or exc}): check "
            "planning.factors (TROUSSEAU_PLANNING__FACTORS)"
        ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"the load factors {source} are not valid TOML ({exc})") from None
    return factors_from_mapping(data, source=str(source))


def read_calendar(path: Path, *, slas: Iterable[str], default_sla: str) -> list[PlannedWedding]:
    """Weddings from a CSV or iCalendar (.ics) file."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidValue(f"the calendar {path} cannot be read ({exc.strerror or exc})") from None
    if path.suffix.lower() in (".ics", ".ical", ".ifb"):
        return from_ical(data, slas=slas, default_sla=default_sla, source=str(path))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidValue(f"the calendar {path} is not UTF-8 text (CSV) nor .ics") from None
    return from_csv(text, slas=slas, default_sla=default_sla, source=str(path))


def catalog_calendar(catalog: Catalog, start: datetime, end: datetime) -> list[PlannedWedding]:
    """Every tenant's weddings around `[start, end)` as planning sees them."""
    with catalog.begin() as conn:
        rows = calendar_weddings(
            conn, first=(start - timedelta(days=1)).date(), last=(end + timedelta(days=1)).date()
        )
    return [
        PlannedWedding(
            ref=f"{w.tenant_id}/{w.slug}",
            date=w.date,
            ceremony_time=w.ceremony_time or DEFAULT_CEREMONY,
            timezone=w.timezone,
            region=w.region or w.timezone,
            culture="other",
            guests=None,
            expected_photos=w.expected_photos,
            sla=w.delivery_sla,
        )
        for w in rows
    ]

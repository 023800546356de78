"""The wedding calendar as values, read from CSV or iCalendar text (pure: text in, values out).

CSV has a header row and the columns `wedding,date,ceremony_time,timezone,region,culture,
guests,expected_photos,sla`; empty `ceremony_time`, `region`, `culture`, `guests` or
`expected_photos` take the defaults. iCalendar events are weddings: DTSTART is the ceremony
(a date-time with TZID, or a date), SUMMARY or UID names it, and the other fields come from
`X-TROUSSEAU-REGION`, `-CULTURE`, `-GUESTS`, `-PHOTOS` and `-SLA` properties or from
`key: value` lines of the DESCRIPTION.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from trousseau.errors import InvalidValue

COLUMNS = (
    "wedding",
    "date",
    "ceremony_time",
    "timezone",
    "region",
    "culture",
    "guests",
    "expected_photos",
    "sla",
)
DEFAULT_CEREMONY = time(15, 0)


@dataclass(frozen=True)
class PlannedWedding:
    """One wedding as planning sees it."""

    ref: str
    date: date
    ceremony_time: time
    timezone: str
    region: str
    culture: str
    guests: int | None
    expected_photos: int | None
    sla: str

    @property
    def ceremony(self) -> datetime:
        """The ceremony's instant (UTC)."""
        local = datetime.combine(self.date, self.ceremony_time, tzinfo=ZoneInfo(self.timezone))
        return local.astimezone(UTC)


def _zone(name: str, where: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidValue(
            f"{where}: {name!r} is not an IANA time zone (like Europe/Paris)"
        ) from None
    return name


def _int(text: str, what: str, where: str) -> int | None:
    if not text.strip():
        return None
    try:
        value = int(text)
    except ValueError:
        raise InvalidValue(f"{where}: {what} {text!r} is not a whole number") from None
    if value < 0:
        raise InvalidValue(f"{where}: {what} {value} is negative")
    return value


def _sla(name: str, slas: Iterable[str], where: str) -> str:
    known = sorted(slas)
    if name not in known:
        raise InvalidValue(f"{where}: sla {name!r} is not a configured class ({', '.join(known)})")
    return name


def wedding_from_fields(
    fields: Mapping[str, str], *, slas: Iterable[str], default_sla: str, where: str
) -> PlannedWedding:
    ref = fields.get("wedding", "").strip()
    if not ref:
        raise InvalidValue(f"{where}: the wedding has no name")
    try:
        day = date.fromisoformat(fields.get("date", "").strip())
    except ValueError:
        raise InvalidValue(f"{where}: date {fields.get('date')!r} is not YYYY-MM-DD") from None
    clock = fields.get("ceremony_time", "").strip()
    try:
        ceremony = time.fromisoformat(clock) if clock else DEFAULT_CEREMONY
    except ValueError:
        raise InvalidValue(f"{where}: ceremony_time {clock!r} is not HH:MM") from None
    zone = _zone(fields.get("timezone", "").strip(), where)
    return PlannedWedding(
        ref=ref,
        date=day,
        ceremony_time=ceremony,
        timezone=zone,
        region=fields.get("region", "").strip() or zone,
        culture=(fields.get("culture", "").strip() or "other").lower(),
        guests=_int(fields.get("guests", ""), "guests", where),
        expected_photos=_int(fields.get("expected_photos", ""), "expected_photos", where),
        sla=_sla(fields.get("sla", "").strip() or default_sla, slas, where),
    )


def from_csv(
    text: str, *, slas: Iterable[str], default_sla: str, source: str = "the calendar"
) -> list[PlannedWedding]:
    """Weddings from CSV text with the header row of `COLUMNS`."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("wedding", "date", "timezone") if c not in (reader.fieldnames or [])]
    if missing:
        raise InvalidValue(
            f"{source}: the header row lacks {', '.join(missing)} (expected {','.join(COLUMNS)})"
        )
    slas = list(slas)
    return [
        wedding_from_fields(row, slas=slas, default_sla=default_sla, where=f"{source} line {n}")
        for n, row in enumerate(reader, 2)
    ]


def from_ical(
    data: bytes, *, slas: Iterable[str], default_sla: str, source: str = "the calendar"
) -> list[PlannedWedding]:
    """Weddings from an iCalendar file's VEVENTs."""
    import icalendar

    try:
        calendar = icalendar.Calendar.from_ical(data)
    except ValueError as exc:
        raise InvalidValue(f"{source} is not an iCalendar file ({exc})") from None
    slas = list(slas)
    found: list[PlannedWedding] = []
    for n, event in enumerate(calendar.walk("VEVENT"), 1):
        where = f"{source} event {n}"
        start = event.get("DTSTART")
        if start is None:
            raise InvalidValue(f"{where} has no DTSTART")
        value = start.dt
        extra: dict[str, str] = {}
        for line in str(event.get("DESCRIPTION", "")).splitlines():
            key, sep, rest = line.partition(":")
            if sep:
                extra[key.strip().lower()] = rest.strip()
        for key in ("region", "culture", "guests", "photos", "sla", "timezone"):
            prop = event.get(f"X-TROUSSEAU-{key.upper()}")
            if prop is not None:
                extra[key] = str(prop)
        if isinstance(value, datetime):
            if value.tzinfo is None:
                raise InvalidValue(f"{where}: DTSTART has no time zone (give a TZID or a Z)")
            zone = extra.get("timezone") or getattr(value.tzinfo, "key", None) or "UTC"
            local = value.astimezone(ZoneInfo(_zone(zone, where)))
            day, clock = local.date(), local.time().replace(tzinfo=None).isoformat("minutes")
        else:
            zone = extra.get("timezone", "")
            if not zone:
                raise InvalidValue(f"{where}: an all-day DTSTART needs X-TROUSSEAU-TIMEZONE")
            day, clock = value, ""
        found.append(
            wedding_from_fields(
                {
                    "wedding": str(event.get("UID") or event.get("SUMMARY") or f"event-{n}"),
                    "date": day.isoformat(),
                    "ceremony_time": clock,
                    "timezone": zone,
                    "region": extra.get("region", ""),
                    "culture": extra.get("culture", ""),
                    "guests": extra.get("guests", ""),
                    "expected_photos": extra.get("photos", ""),
                    "sla": extra.get("sla", ""),
                },
                slas=slas,
                default_sla=default_sla,
                where=where,
            )
        )
    return found


def to_csv(weddings: Iterable[PlannedWedding]) -> str:
    """The calendar as CSV (the demo and the benchmark write their generated months so)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for w in weddings:
        writer.writerow(
            [
                w.ref,
                w.date.isoformat(),
                w.ceremony_time.isoformat("minutes"),
                w.timezone,
                w.region,
                w.culture,
                "" if w.guests is None else w.guests,
                "" if w.expected_photos is None else w.expected_photos,
                w.sla,
            ]
        )
    return out.getvalue()


def within(
    weddings: Iterable[PlannedWedding], start: datetime, end: datetime
) -> list[PlannedWedding]:
    """Weddings whose photos can arrive in `[start, end)` (ceremony a day either side)."""
    lo, hi = start - timedelta(days=1), end + timedelta(days=1)
    return [w for w in weddings if lo <= w.ceremony < hi]

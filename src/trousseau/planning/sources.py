"""The I/O edge of planning: the load factors file, calendar files and the catalog's weddings."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from trousseau.catalog import Catalog, EventKind, calendar_weddings, recent_events, record_event
from trousseau.errors import InvalidValue
from trousseau.planning.calendar import DEFAULT_CEREMONY, PlannedWedding, from_csv, from_ical
from trousseau.planning.calibrate import History
from trousseau.planning.compare import Planned, make_plan
from trousseau.planning.factors import LoadFactors, factors_from_mapping
from trousseau.settings import Settings, read_data_file

DEFAULT_FACTORS = Path(__file__).with_name("factors.toml")


def load_factors(path: Path | None = None) -> LoadFactors:
    """The load factors in `path` (TOML), or trousseau's default factors."""
    source = path or DEFAULT_FACTORS
    data = read_data_file(
        source,
        what="the load factors",
        setting="planning.factors (TROUSSEAU_PLANNING__FACTORS)",
    )
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
            culture=w.culture or "other",
            guests=w.guests,
            expected_photos=w.expected_photos,
            sla=w.delivery_sla,
        )
        for w in rows
    ]


@dataclass(frozen=True)
class ScalingRequest:
    """An operator's request for at least `replicas` workers until `until`."""

    at: datetime
    replicas: int
    until: datetime
    reason: str
    by: str


def request_scaling(
    catalog: Catalog,
    *,
    replicas: int,
    until: datetime,
    reason: str,
    by: str,
    now: datetime,
    max_replicas: int,
) -> ScalingRequest:
    """Record a manual scaling request as an event (the plan's floor honours it until
    `until`)."""
    if not 0 <= replicas <= max_replicas:
        raise InvalidValue(f"replicas must be 0 to {max_replicas} (planning.max_replicas)")
    if until <= now:
        raise InvalidValue(f"a scaling request must end in the future (until {until.isoformat()})")
    if not reason.strip() or not by.strip():
        raise InvalidValue("a scaling request says why and who asks")
    with catalog.begin() as conn:
        record_event(
            conn,
            EventKind.SCALING_REQUESTED,
            f"{by} asked for at least {replicas} workers until {until.isoformat()}: {reason}",
            now=now,
            data={"replicas": replicas, "until": until.isoformat(), "reason": reason, "by": by},
        )
    return ScalingRequest(now, replicas, until, reason, by)


def scaling_requests(catalog: Catalog, *, now: datetime, limit: int = 200) -> list[ScalingRequest]:
    """Manual scaling requests still in force at `now`, newest first."""
    with catalog.begin() as conn:
        events = recent_events(conn, limit=limit, kind=EventKind.SCALING_REQUESTED)
    found = []
    for e in events:
        data = e.data or {}
        until = datetime.fromisoformat(str(data.get("until")))
        if until > now:
            found.append(
                ScalingRequest(e.at, int(data.get("replicas", 0)), until,
                               str(data.get("reason", "")), str(data.get("by", "")))
            )  # fmt: skip
    return found


def catalog_history(catalog: Catalog, start: datetime, end: datetime) -> list[History]:
    """The weddings dated in `[start, end)` with when each of their photos arrived."""
    from trousseau.catalog import photo_arrivals

    weddings = {w.ref: w for w in catalog_calendar(catalog, start, end)}
    with catalog.begin() as conn:
        rows = calendar_weddings(conn, first=start.date(), last=(end - timedelta(days=1)).date())
        arrivals = photo_arrivals(conn, first=start.date(), last=(end - timedelta(days=1)).date())
    return [
        History(weddings[f"{w.tenant_id}/{w.slug}"], arrivals.get(w.id, []))
        for w in rows
        if f"{w.tenant_id}/{w.slug}" in weddings
    ]


def plan_with_settings(
    settings: Settings, weddings: Sequence[PlannedWedding], start: datetime, end: datetime
) -> Planned:
    """The plan of `[start, end)` with the settings' SLA classes, load factors, slot, replica
    bounds and pod start lead: what the CLI, the service and readiness all plan with."""
    p = settings.planning
    return make_plan(
        weddings,
        load_factors(p.factors),
        settings.sla_classes,
        start,
        end,
        slot=timedelta(minutes=p.slot_minutes),
        min_replicas=p.min_replicas,
        max_replicas=p.max_replicas,
        lead=timedelta(seconds=p.lead_seconds),
    )


def day_plan(settings: Settings, catalog: Catalog, day: date) -> Planned:
    """The plan of one UTC day from the catalog's calendar."""
    start = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    end = start + timedelta(days=1)
    return plan_with_settings(settings, catalog_calendar(catalog, start, end), start, end)

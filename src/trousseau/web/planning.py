"""Capacity planning over HTTP (admin key): the day's forecast and plan from the catalog's
calendar, and manual scaling requests, recorded as events.

    GET  /ops/forecast?date=D   photos per hour and region (mean and the plan's band)
    GET  /ops/plan?date=D       workers per hour: the plan, the floor asked of KEDA (with the
                                manual requests and the emergency switch), the workers live now
    POST /ops/scaling           ask for at least N workers until an instant, with a reason
    GET  /ops/emergency         the emergency switch: on or off, by whom, why, until when
    POST /ops/emergency         turn it on (or off) with a reason

Admin only: the calendar holds every tenant's weddings.
"""

from __future__ import annotations

import datetime as dt
import weakref
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from trousseau.catalog import Emergency
from trousseau.errors import InvalidValue
from trousseau.jobs import operations_report
from trousseau.ops import switch_off, switch_on, switch_status
from trousseau.planning import (
    Planned,
    request_scaling,
    scaling_requests,
)
from trousseau.planning import day_plan as plan_day
from trousseau.web.auth import Admin
from trousseau.web.config import API_PREFIX
from trousseau.web.errors import ErrorBody
from trousseau.web.services import Services, ServicesDep
from trousseau.web.weddings import StorableText

router = APIRouter(prefix=f"{API_PREFIX}/ops", tags=["operations"])

FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2999, 12, 31)
"""The days a forecast or plan may be asked for: the plan reads the calendar a day either
side, which must stay within the dates Python can represent."""

Day = Annotated[
    dt.date | None,
    Query(
        description=f"the UTC day (default: today), {FIRST_DAY} to {LAST_DAY}",
        ge=FIRST_DAY,
        le=LAST_DAY,
    ),
]


def day_plan(services: Services, day: dt.date) -> Planned:
    """The plan of one UTC day from the catalog's calendar and the settings."""
    return plan_day(services.settings, services.catalog, day)


class ForecastHour(BaseModel):
    start: dt.datetime
    photos: dict[str, float] = Field(description="per region, at the plan's percentile")
    mean: dict[str, float] = Field(description="per region, expected")


class ForecastOut(BaseModel):
    date: dt.date
    percentile: float
    regions: list[str]
    hours: list[ForecastHour]


@router.get("/forecast", response_model=ForecastOut)
def forecast_route(_admin: Admin, services: ServicesDep, date: Day = None) -> ForecastOut:
    """Photos expected per hour and region for the day, with the band plans are made on."""
    day = date or services.clock().date()
    planned = day_plan(services, day)
    fc, grid = planned.forecast, planned.grid
    per_hour = int(3600 // grid.seconds)
    hours = []
    for h in range(grid.count // per_hour):
        cut = slice(h * per_hour, (h + 1) * per_hour)
        hours.append(
            ForecastHour(
                start=grid.at(h * per_hour),
                photos={r: round(float(fc.band(r)[cut].sum()), 1) for r in fc.regions},
                mean={
                    r: round(float(fc.mean[:, i, cut].sum()), 1) for i, r in enumerate(fc.regions)
                },
            )
        )
    return ForecastOut(date=day, percentile=fc.percentile, regions=list(fc.regions), hours=hours)


class PlanHour(BaseModel):
    start: dt.datetime
    workers: int = Field(description="the plan: workers ready in the hour (its busiest slot)")
    floor: int = Field(description="what KEDA's cron triggers ask for, with manual requests")


class ScalingOut(BaseModel):
    at: dt.datetime
    replicas: int
    until: dt.datetime
    reason: str
    by: str


class PlanOut(BaseModel):
    date: dt.date
    worker_hours: float
    live_workers: int = Field(description="workers with a recent heartbeat now")
    hours: list[PlanHour]
    requests: list[ScalingOut] = Field(description="manual scaling requests in force")
    over_cost_cap: list[dt.datetime] = Field(
        description="hours whose planned cost is above planning.hourly_cost_cap (the alert)"
    )


@router.get("/plan", response_model=PlanOut)
def plan_route(_admin: Admin, services: ServicesDep, date: Day = None) -> PlanOut:
    """Workers per hour for the day: the plan and the floor, against the workers live now."""
    now = services.clock()
    day = date or now.date()
    planned = day_plan(services, day)
    grid = planned.grid
    requests = scaling_requests(services.catalog, now=now)
    emergency = switch_status(services.catalog, now=now)
    per_hour = int(3600 // grid.seconds)
    hours = []
    for h in range(grid.count // per_hour):
        begin = grid.at(h * per_hour)
        cut = slice(h * per_hour, (h + 1) * per_hour)
        hour_end = begin + dt.timedelta(hours=1)
        asked = max(
            (r.replicas for r in requests if r.at < hour_end and r.until > begin), default=0
        )
        if emergency is not None and emergency.started_at < hour_end and emergency.until > begin:
            asked = max(asked, emergency.floor)
        hours.append(
            PlanHour(
                start=begin,
                workers=int(planned.capacity.replicas[cut].max()),
                floor=max(int(planned.floor[cut].max()), asked),
            )
        )
    with services.catalog.begin() as conn:
        live = operations_report(
            conn, now=now, live_within=dt.timedelta(seconds=services.settings.jobs.lease_seconds)
        ).live
    return PlanOut(
        date=day,
        worker_hours=round(planned.capacity.worker_hours, 2),
        live_workers=live,
        hours=hours,
        requests=[ScalingOut(**vars(r)) for r in requests],
        over_cost_cap=[
            at
            for at, _ in planned.over_cap(
                services.settings.planning.price_per_hour,
                services.settings.planning.hourly_cost_cap,
            )
        ],
    )


class ScalingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    replicas: int = Field(ge=0, le=10_000)
    until: dt.datetime = Field(description="an instant with its offset")
    reason: StorableText = Field(min_length=1, max_length=500)


@router.post("/scaling", response_model=ScalingOut, status_code=201)
def scaling_route(body: ScalingIn, admin: Admin, services: ServicesDep) -> ScalingOut:
    """Ask for at least `replicas` workers until `until`; recorded as an event."""
    if body.until.tzinfo is None:
        raise InvalidValue("until needs a UTC offset (like 2027-06-19T18:00:00+01:00)")
    try:
        until = body.until.astimezone(dt.UTC)
    except OverflowError:
        raise InvalidValue(
            f"until {body.until.isoformat()} is outside the dates a UTC instant can hold: "
            "give an instant between years 1 and 9999 in UTC"
        ) from None
    made = request_scaling(
        services.catalog,
        replicas=body.replicas,
        until=until,
        reason=body.reason,
        by=f"api key {admin.key_id}",
        now=services.clock(),
        max_replicas=services.settings.planning.max_replicas,
    )
    return ScalingOut(**vars(made))


class EmergencyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    on: bool = Field(description="true turns the switch on, false turns it off")
    reason: StorableText = Field(min_length=1, max_length=500)
    hours: float | None = Field(
        None,
        ge=1 / 60,
        le=48,
        description="at least a minute (1/60), at most 48; default: ops.emergency_hours",
    )


class EmergencyOut(BaseModel):
    on: bool
    id: int | None = None
    by: str | None = None
    reason: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    floor: int | None = None
    paused_slas: list[str] = Field(default_factory=list)


def _emergency_out(e: Emergency | None) -> EmergencyOut:
    if e is None:
        return EmergencyOut(on=False)
    return EmergencyOut(on=True, id=e.id, by=e.started_by, reason=e.reason, since=e.started_at,
                        until=e.until, floor=e.floor, paused_slas=list(e.paused_slas))  # fmt: skip


@router.get("/emergency", response_model=EmergencyOut)
def emergency_route(_admin: Admin, services: ServicesDep) -> EmergencyOut:
    """Whether the emergency switch is on, by whom, why and until when."""
    return _emergency_out(switch_status(services.catalog, now=services.clock()))


@router.post(
    "/emergency",
    response_model=EmergencyOut,
    responses={409: {"model": ErrorBody, "description": "already on, or not on"}},
)
def emergency_switch_route(body: EmergencyIn, admin: Admin, services: ServicesDep) -> EmergencyOut:
    """Turn the emergency switch on (raised worker floor, MAXIMUM protection, standard work
    paused; it turns itself off after `hours`) or off; recorded as events."""
    settings = services.settings
    who = f"api key {admin.key_id}"
    if body.on:
        return _emergency_out(
            switch_on(
                services.catalog,
                reason=body.reason,
                by=who,
                now=services.clock(),
                hours=body.hours or settings.ops.emergency_hours,
                floor=settings.planning.emergency_floor,
                paused_slas=settings.ops.emergency_paused_slas,
            )
        )
    switch_off(services.catalog, by=who, reason=body.reason, now=services.clock())
    return EmergencyOut(on=False)


_PLANNED: weakref.WeakKeyDictionary[Services, dict[tuple[dt.date, int], int]] = (
    weakref.WeakKeyDictionary()
)


def planned_workers(services: Services, now: dt.datetime) -> int | None:
    """The workers today's plan asks for now (the floor of the current slot), solved once per
    slot and remembered per app, for the gauge `trousseau_plan_workers`."""
    slot_minutes = services.settings.planning.slot_minutes
    key = (now.date(), (now.hour * 60 + now.minute) // slot_minutes)
    known = _PLANNED.setdefault(services, {})
    if key not in known:
        planned = day_plan(services, now.date())
        index = min(int(planned.grid.position(now)), planned.grid.count - 1)
        if len(known) > 64:
            known.clear()
        known[key] = int(planned.floor[index])
    return known[key]

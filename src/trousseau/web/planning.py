"""Capacity planning over HTTP (admin key): the day's forecast and plan from the catalog's
calendar, and manual scaling requests, recorded as events.

    GET  /ops/forecast?date=D   photos per hour and region (mean and the plan's band)
    GET  /ops/plan?date=D       workers per hour: the plan, the floor asked of KEDA (with the
                                manual requests in force), the workers live now
    POST /ops/scaling           ask for at least N workers until an instant, with a reason

Admin only: the calendar holds every tenant's weddings.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from trousseau.errors import InvalidValue
from trousseau.jobs import operations_report
from trousseau.planning import Planned, make_plan
from trousseau.planning.sources import (
    catalog_calendar,
    load_factors,
    request_scaling,
    scaling_requests,
)
from trousseau.web.auth import Admin
from trousseau.web.config import API_PREFIX
from trousseau.web.services import Services, ServicesDep

router = APIRouter(prefix=f"{API_PREFIX}/ops", tags=["operations"])

Day = Annotated[dt.date | None, Query(description="the UTC day (default: today)")]


def day_plan(services: Services, day: dt.date) -> Planned:
    """The plan of one UTC day from the catalog's calendar and the settings."""
    settings = services.settings
    p = settings.planning
    start = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
    end = start + dt.timedelta(days=1)
    return make_plan(
        catalog_calendar(services.catalog, start, end),
        load_factors(p.factors),
        settings.sla_classes,
        start,
        end,
        slot=dt.timedelta(minutes=p.slot_minutes),
        min_replicas=p.min_replicas,
        max_replicas=p.max_replicas,
        lead=dt.timedelta(seconds=p.lead_seconds),
    )


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
    per_hour = int(3600 // grid.seconds)
    hours = []
    for h in range(grid.count // per_hour):
        begin = grid.at(h * per_hour)
        cut = slice(h * per_hour, (h + 1) * per_hour)
        asked = max(
            (
                r.replicas
                for r in requests
                if r.at < begin + dt.timedelta(hours=1) and r.until > begin
            ),
            default=0,
        )
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
    replicas: int = Field(ge=0, le=10_000)
    until: dt.datetime = Field(description="an instant with its offset")
    reason: str = Field(min_length=1, max_length=500)


@router.post("/scaling", response_model=ScalingOut, status_code=201)
def scaling_route(body: ScalingIn, admin: Admin, services: ServicesDep) -> ScalingOut:
    """Ask for at least `replicas` workers until `until`; recorded as an event."""
    if body.until.tzinfo is None:
        raise InvalidValue("until needs a UTC offset (like 2027-06-19T18:00:00+01:00)")
    made = request_scaling(
        services.catalog,
        replicas=body.replicas,
        until=body.until.astimezone(dt.UTC),
        reason=body.reason,
        by=f"api key {admin.key_id}",
        now=services.clock(),
        max_replicas=services.settings.planning.max_replicas,
    )
    return ScalingOut(**vars(made))

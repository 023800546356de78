"""Weddings: what a studio delivers, each with its date, time zone, region and delivery SLA."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.exc import IntegrityError

from trousseau.catalog import (
    SLUG_PATTERN,
    PhotoState,
    Wedding,
    count_photos_by_state,
    create_wedding,
    find_wedding,
    get_wedding,
    list_weddings,
    text_problem,
)
from trousseau.web.auth import Caller
from trousseau.web.config import API_PREFIX
from trousseau.web.errors import Conflict, ErrorBody
from trousseau.web.services import ServicesDep

router = APIRouter(prefix=API_PREFIX, tags=["weddings"])


def _storable(value: str) -> str:
    """The text, if any catalog can store it (pydantic turns the ValueError into a 422)."""
    problem = text_problem(value)
    if problem is not None:
        raise ValueError(f"holds {problem}, which no catalog can store: remove it")
    return value


StorableText = Annotated[str, AfterValidator(_storable)]
"""Free text a client sends: refused at the door, naming the field, rather than by the driver."""


class WeddingIn(BaseModel):
    """A wedding to create. The SLA names a configured delivery class (same-day, …)."""

    model_config = ConfigDict(extra="forbid")

    slug: str = Field(pattern=SLUG_PATTERN, examples=["smith-jones-2026"])
    date: dt.date
    timezone: StorableText = Field(min_length=1, max_length=64, examples=["Europe/Paris"])
    region: StorableText | None = Field(None, max_length=64, examples=["eu-west"])
    sla: StorableText | None = Field(
        None, max_length=32, description="default: the configured default"
    )
    title: StorableText | None = Field(None, max_length=500)
    ceremony_time: dt.time | None = Field(
        None,
        description="the ceremony's local time (HH:MM, no offset): deploys are denied from 2 h "
        "before it; default: the protection policy's (15:00)",
        examples=["14:30"],
    )

    culture: StorableText | None = Field(
        None, max_length=32, description="planning multiplies photos by it (indian, greek, ...)"
    )
    guests: int | None = Field(None, ge=0, le=100_000)
    expected_photos: int | None = Field(None, ge=0, le=10_000_000)
    faces: bool | None = Field(
        None,
        description="the couple opts in to face analysis (guests, find-me); default: the "
        "setting analysis.faces_default",
    )

    @field_validator("ceremony_time")
    @classmethod
    def _local(cls, value: dt.time | None) -> dt.time | None:
        if value is not None and value.tzinfo is not None:
            raise ValueError("a ceremony time is local to the wedding's time zone: give no offset")
        return value


class WeddingOut(BaseModel):
    slug: str
    title: str
    date: dt.date
    timezone: str
    region: str | None
    sla: str
    ceremony_time: dt.time | None = None
    culture: str | None = None
    guests: int | None = None
    expected_photos: int | None = None
    faces: bool = False
    photos: dict[PhotoState, int] | None = Field(
        None, description="photos by state (stored, processed, failed); on single reads"
    )

    @classmethod
    def of(cls, wedding: Wedding, photos: dict[PhotoState, int] | None = None) -> WeddingOut:
        return cls(
            slug=wedding.slug,
            title=wedding.title,
            date=wedding.date,
            timezone=wedding.timezone,
            region=wedding.region,
            sla=wedding.delivery_sla,
            ceremony_time=wedding.ceremony_time,
            culture=wedding.culture,
            guests=wedding.guests,
            expected_photos=wedding.expected_photos,
            faces=wedding.faces,
            photos=photos,
        )


class WeddingList(BaseModel):
    items: list[WeddingOut]


_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "no such wedding for this tenant"}
}


@router.get("/weddings", response_model=WeddingList)
def list_all(caller: Caller, services: ServicesDep) -> WeddingList:
    """The tenant's weddings, most recent date first."""
    with services.catalog.begin() as conn:
        weddings = list_weddings(conn, caller.tenant_id)
    return WeddingList(items=[WeddingOut.of(w) for w in weddings])


@router.post(
    "/weddings",
    response_model=WeddingOut,
    status_code=201,
    responses={
        409: {"model": ErrorBody, "description": "the slug is taken"},
        421: {
            "model": ErrorBody,
            "description": "the wedding's region is another node's (data residency): "
            "the Location header names that region's service",
        },
        422: {"model": ErrorBody, "description": "unknown time zone or SLA class"},
    },
)
def create(
    body: WeddingIn, caller: Caller, services: ServicesDep, response: Response
) -> WeddingOut:
    """Create a wedding; its SLA sets the deadline of every photo's processing."""
    settings = services.settings
    sla = body.sla or settings.default_sla
    settings.sla_delay(sla)
    now = services.clock()
    residency = services.settings.residency
    region = body.region or residency.region or None
    residency.guard(body.slug, region)
    try:
        with services.catalog.begin() as conn:
            if find_wedding(conn, caller.tenant_id, body.slug) is not None:
                raise _taken(body.slug)
            wedding = create_wedding(
                conn,
                caller.tenant_id,
                body.slug,
                on=body.date,
                timezone=body.timezone,
                delivery_sla=sla,
                now=now,
                title=body.title,
                region=region,
                ceremony_time=body.ceremony_time,
                culture=body.culture.lower() if body.culture else None,
                guests=body.guests,
                expected_photos=body.expected_photos,
                faces=services.settings.analysis.faces_default
                if body.faces is None
                else body.faces,
                event_data={"via": "api", "key_id": caller.key_id},
            )
    except IntegrityError:
        raise _taken(body.slug) from None
    response.headers["Location"] = f"{API_PREFIX}/weddings/{wedding.slug}"
    return WeddingOut.of(wedding, photos={})


def _taken(slug: str) -> Conflict:
    return Conflict(f"wedding {slug!r} already exists: choose another slug or use that wedding")


@router.get("/weddings/{slug}", response_model=WeddingOut, responses=_NOT_FOUND)
def read(slug: str, caller: Caller, services: ServicesDep) -> WeddingOut:
    """One wedding with its photo counts by state."""
    with services.catalog.begin() as conn:
        wedding = get_wedding(conn, caller.tenant_id, slug)
        photos = count_photos_by_state(conn, wedding_id=wedding.id)
    return WeddingOut.of(wedding, photos=photos)

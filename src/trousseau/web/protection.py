"""Deploy protection over HTTP (admin key): every region's level now, why, and when a deploy
is next allowed, with the overrides pending or in force.

    GET  /ops/protection                  each region's level (0 normal, 1 high, 2 maximum),
                                          reasons and next allowed instant; overrides
    POST /ops/overrides                   ask for an emergency override
    POST /ops/overrides/{id}/approve      approve it (another key than the one that asked)
    POST /ops/overrides/{id}/revoke       withdraw it

The API key is the person: the two-person rule is two different keys (give each operator a
key of their own), and every action goes to the audit log under `api key N`.

Admin only: the reasons name weddings of every tenant. The same levels are the Prometheus
gauge `trousseau_protection_level{region}` and a tile of the dashboard.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from trousseau.freeze import Ledger, Override, OverrideState, protection_now
from trousseau.web.auth import Admin, Principal
from trousseau.web.config import API_PREFIX, MAX_ID
from trousseau.web.errors import ErrorBody
from trousseau.web.services import ServicesDep
from trousseau.web.weddings import StorableText

router = APIRouter(prefix=f"{API_PREFIX}/ops", tags=["operations"])


class RegionProtection(BaseModel):
    region: str = Field(description="a configured region or an IANA zone weddings are served from")
    zone: str = Field(description="its IANA time zone")
    level: str = Field(description="normal, high (deploys need approval) or maximum (denied)")
    value: int = Field(description="0, 1 or 2: the gauge trousseau_protection_level")
    reasons: list[str]
    next_allowed: dt.datetime | None = Field(
        description="the first instant a deploy is allowed in this region; null: not within 14 days"
    )


class OverrideView(BaseModel):
    id: int
    state: OverrideState
    environment: str
    service: str
    region: str | None
    reason: str
    requested_by: str
    approved_by: str | None
    expires_at: dt.datetime


class Protection(BaseModel):
    now: dt.datetime
    level: str = Field(description="the strictest level over every region")
    regions: list[RegionProtection]
    overrides: list[OverrideView] = Field(description="overrides pending approval or in force")


@router.get("/protection", response_model=Protection)
def protection(_admin: Admin, services: ServicesDep) -> Protection:
    """Every region's protection level now, its reasons and next allowed instant."""
    now = services.clock()
    regions = protection_now(services.catalog, now, policy_path=services.settings.freeze.policy)
    ledger = Ledger(services.catalog, services.clock)
    live = [
        o
        for o in ledger.overrides()
        if o.state(now) in (OverrideState.PENDING, OverrideState.ACTIVE)
    ]
    strictest = max((r.level for r in regions), default=None)
    return Protection(
        now=now,
        level=strictest.name.lower() if strictest is not None else "normal",
        regions=[
            RegionProtection(
                region=r.region,
                zone=r.zone,
                level=r.level.name.lower(),
                value=int(r.level),
                reasons=[x.text for x in r.reasons],
                next_allowed=r.next_allowed,
            )
            for r in regions
        ],
        overrides=[
            OverrideView(
                id=o.id,
                state=o.state(now),
                environment=o.environment,
                service=o.service,
                region=o.region,
                reason=o.reason,
                requested_by=o.requested_by,
                approved_by=o.approved_by,
                expires_at=o.expires_at,
            )
            for o in live
        ],
    )


class OverrideIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    environment: StorableText = Field(min_length=1, max_length=255)
    service: StorableText = Field(min_length=1, max_length=255)
    region: StorableText | None = Field(
        None, max_length=255, description="one region (default: all)"
    )
    reason: StorableText = Field(min_length=1, max_length=1000)
    minutes: float = Field(60, gt=0, le=24 * 60, description="how long, from now")


OverrideId = Annotated[int, Path(ge=1, le=MAX_ID)]


def _view(o: Override, now: dt.datetime) -> OverrideView:
    return OverrideView(
        id=o.id,
        state=o.state(now),
        environment=o.environment,
        service=o.service,
        region=o.region,
        reason=o.reason,
        requested_by=o.requested_by,
        approved_by=o.approved_by,
        expires_at=o.expires_at,
    )


def _actor(admin: Principal) -> str:
    """The API key is the person: a second person approves with a key of their own."""
    return f"api key {admin.key_id}"


_REFUSED: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "no such override"},
    409: {"model": ErrorBody, "description": "refused by the two-person rule or its state"},
}


@router.post("/overrides", response_model=OverrideView, status_code=201, responses=_REFUSED)
def request_override(body: OverrideIn, admin: Admin, services: ServicesDep) -> OverrideView:
    """Ask for an emergency override (a second, different key must approve it)."""
    ledger = Ledger(services.catalog, services.clock)
    made = ledger.request(
        environment=body.environment,
        service=body.service,
        region=body.region,
        reason=body.reason,
        requested_by=_actor(admin),
        duration=dt.timedelta(minutes=body.minutes),
    )
    return _view(made, services.clock())


@router.post("/overrides/{override_id}/approve", response_model=OverrideView, responses=_REFUSED)
def approve_override(override_id: OverrideId, admin: Admin, services: ServicesDep) -> OverrideView:
    """Approve another key's override (409 for the key that asked, or one not pending)."""
    ledger = Ledger(services.catalog, services.clock)
    return _view(ledger.approve(override_id, _actor(admin)), services.clock())


@router.post("/overrides/{override_id}/revoke", response_model=OverrideView, responses=_REFUSED)
def revoke_override(override_id: OverrideId, admin: Admin, services: ServicesDep) -> OverrideView:
    """Withdraw an override before it expires."""
    ledger = Ledger(services.catalog, services.clock)
    return _view(ledger.revoke(override_id, _actor(admin)), services.clock())

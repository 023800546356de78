"""Deploy protection over HTTP (admin key): every region's level now, why, and when a deploy
is next allowed, with the overrides pending or in force.

    GET /ops/protection    each region's level (0 normal, 1 high, 2 maximum), reasons and next
                           allowed instant; overrides pending or in force

Admin only: the reasons name weddings of every tenant. The same levels are the Prometheus
gauge `trousseau_protection_level{region}` and a tile of the dashboard.
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter
from pydantic import BaseModel, Field

from trousseau.freeze import Ledger, OverrideState, protection_now
from trousseau.web.auth import Admin
from trousseau.web.config import API_PREFIX
from trousseau.web.services import ServicesDep

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

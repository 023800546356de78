"""Culling: a wedding's picks, rejects with their reasons, duplicates, bursts and moments.

The `quality` jobs that follow each photo's variants store its signals; this route reads
them (it measures nothing: a photo not measured yet is `pending`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from trousseau.analysis import Verdict, culling_of, report
from trousseau.catalog import get_wedding
from trousseau.web.auth import Caller
from trousseau.web.config import API_PREFIX
from trousseau.web.errors import ErrorBody
from trousseau.web.services import ServicesDep

router = APIRouter(prefix=API_PREFIX, tags=["culling"])
_ANSWERS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "no such wedding for this key"},
}


class JudgedOut(BaseModel):
    photo_id: int
    photo: str = Field(description="the original's file name")
    status: Verdict
    keep_score: float | None = Field(description="0..1; None until measured")
    reasons: list[str]


class BurstOut(BaseModel):
    pick: str = Field(description="the burst's best frame by keep_score")
    photos: list[str]


class MomentOut(BaseModel):
    start: datetime | None
    end: datetime | None
    photos: int
    representative: str


class CullOut(BaseModel):
    wedding: str
    counts: dict[Verdict, int]
    photos: list[JudgedOut]
    bursts: list[BurstOut]
    moments: list[MomentOut]


@router.get("/weddings/{slug}/cull", response_model=CullOut, responses=_ANSWERS)
def cull(slug: str, caller: Caller, services: ServicesDep) -> CullOut:
    """Every photo's verdict (keep, reject, duplicate, unreadable, failed, pending) with its
    keep_score and reasons, the bursts of near-identical frames and the moments of the day."""
    with services.catalog.begin() as conn:
        wedding = get_wedding(conn, caller.tenant_id, slug)
    culled = culling_of(
        services.catalog, services.vault, wedding.id, clock=services.clock, measure_missing=False
    )
    return CullOut.model_validate(report(wedding.slug, culled))

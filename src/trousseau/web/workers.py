"""Workers: which job processes are alive, what they run on, and how busy they are.

An operations endpoint (admin key): workers serve every tenant. A worker is live when its
heartbeat is younger than a lease (`jobs.lease_seconds`); one killed without a goodbye drops
out after that, and its jobs return to the queue when their leases expire.
"""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

from fastapi import APIRouter
from pydantic import BaseModel, Field

from trousseau.jobs import operations_report
from trousseau.web.auth import Admin
from trousseau.web.config import API_PREFIX
from trousseau.web.services import ServicesDep

router = APIRouter(prefix=API_PREFIX, tags=["jobs"])


class WorkerOut(BaseModel):
    owner: str = Field(description="the lease owner id on the jobs it runs")
    host: str
    pid: int
    mode: str = Field(description="process, inline, batch or gpu")
    slots: int = Field(description="jobs it runs at once")
    running: int = Field(description="jobs it holds a lease on now")
    started_at: dt.datetime
    last_seen_at: dt.datetime
    seen_seconds_ago: float


class WorkerList(BaseModel):
    now: dt.datetime
    live_within_seconds: float
    slots: int = Field(description="jobs the live workers can run at once")
    busy: int = Field(description="live workers holding at least one lease")
    orphaned: int = Field(
        description="running jobs held by workers that are not live (a dead worker's, until "
        "a worker on its host releases them or their leases expire)"
    )
    items: list[WorkerOut]


@router.get("/workers", response_model=WorkerList)
def workers(_admin: Admin, services: ServicesDep) -> WorkerList:
    """The live workers, oldest first, with the jobs each is running."""
    now = services.clock()
    within = timedelta(seconds=services.settings.jobs.lease_seconds)
    with services.catalog.begin() as conn:
        report = operations_report(conn, now=now, live_within=within)
    items = [
        WorkerOut(
            owner=load.worker.owner,
            host=load.worker.host,
            pid=load.worker.pid,
            mode=load.worker.mode,
            slots=load.worker.slots,
            running=load.running,
            started_at=load.worker.started_at,
            last_seen_at=load.worker.last_seen_at,
            seen_seconds_ago=load.worker.seen_ago(now).total_seconds(),
        )
        for load in report.workers
    ]
    return WorkerList(
        now=now,
        live_within_seconds=within.total_seconds(),
        slots=report.slots,
        busy=report.busy,
        orphaned=report.orphaned,
        items=items,
    )

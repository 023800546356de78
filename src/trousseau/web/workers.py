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

from trousseau.catalog import live_workers
from trousseau.jobs import running_by_owner
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
    items: list[WorkerOut]


@router.get("/workers", response_model=WorkerList)
def workers(_admin: Admin, services: ServicesDep) -> WorkerList:
    """The live workers, oldest first, with the jobs each is running."""
    now = services.clock()
    within = timedelta(seconds=services.settings.jobs.lease_seconds)
    with services.catalog.begin() as conn:
        rows = live_workers(conn, now=now, within=within)
        running = running_by_owner(conn)
    items = [
        WorkerOut(
            owner=w.owner,
            host=w.host,
            pid=w.pid,
            mode=w.mode,
            slots=w.slots,
            running=running.get(w.owner, 0),
            started_at=w.started_at,
            last_seen_at=w.last_seen_at,
            seen_seconds_ago=w.seen_ago(now).total_seconds(),
        )
        for w in rows
    ]
    return WorkerList(
        now=now,
        live_within_seconds=within.total_seconds(),
        slots=sum(w.slots for w in items),
        busy=sum(1 for w in items if w.running),
        items=items,
    )

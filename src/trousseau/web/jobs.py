"""Jobs: the queue as operators see it — counts against deadlines, dead letters, retries.

These are operations endpoints: they show every tenant's jobs, so they need an admin key.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from trousseau.errors import NotFound
from trousseau.jobs import JobRow, JobState, get_job, list_jobs, retry
from trousseau.jobs import stats as queue_stats
from trousseau.web.auth import Admin
from trousseau.web.config import API_PREFIX, MAX_ID
from trousseau.web.errors import Conflict, ErrorBody
from trousseau.web.services import ServicesDep

router = APIRouter(prefix=API_PREFIX, tags=["jobs"])

JobId = Annotated[int, Path(ge=1, le=MAX_ID)]


class JobOut(BaseModel):
    id: int
    kind: str
    payload: dict[str, Any]
    sla: str
    state: JobState
    deadline: dt.datetime
    attempts: int
    max_attempts: int
    run_after: dt.datetime
    lease_owner: str | None
    last_error: str | None
    created_at: dt.datetime
    finished_at: dt.datetime | None
    late: bool = Field(description="open past its deadline, or finished after it")

    @classmethod
    def of(cls, row: JobRow, now: dt.datetime) -> JobOut:
        finished = row.finished_at
        late = (finished > row.deadline) if finished is not None else now > row.deadline
        return cls(**{name: getattr(row, name) for name in JobRow.__dataclass_fields__}, late=late)


class JobList(BaseModel):
    items: list[JobOut]


class Lateness(BaseModel):
    overdue_open: int = Field(description="queued or running past their deadline")
    finished_late: int = Field(description="done after their deadline")


class JobStats(BaseModel):
    now: dt.datetime
    jobs: dict[JobState, dict[str, int]] = Field(description="state → SLA class → count")
    oldest_open_deadline: dt.datetime | None
    slack_seconds: float | None = Field(description="oldest open deadline minus now")
    late: Lateness


_ADMIN: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "no valid API key"},
    403: {"model": ErrorBody, "description": "the key is not an admin key"},
}


@router.get("/jobs/stats", response_model=JobStats, responses=_ADMIN)
def job_stats(_admin: Admin, services: ServicesDep) -> JobStats:
    """Jobs by state and SLA class, the oldest open deadline, late jobs."""
    now = services.clock()
    with services.catalog.begin() as conn:
        q = queue_stats(conn, now=now)
    slas = sorted({sla for _, sla in q.by_state_sla} | set(services.settings.sla_classes))
    oldest = q.oldest_deadline
    return JobStats(
        now=now,
        jobs={
            state: {sla: q.by_state_sla.get((state, sla), 0) for sla in slas} for state in JobState
        },
        oldest_open_deadline=oldest,
        slack_seconds=(oldest - now).total_seconds() if oldest is not None else None,
        late=Lateness(overdue_open=q.overdue, finished_late=q.finished_late),
    )


@router.get("/jobs", response_model=JobList, responses=_ADMIN)
def jobs(
    _admin: Admin,
    services: ServicesDep,
    state: JobState | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> JobList:
    """Jobs of one state (or all): open ones by deadline, finished ones newest first."""
    now = services.clock()
    with services.catalog.begin() as conn:
        rows = list_jobs(conn, state=state, limit=limit)
    return JobList(items=[JobOut.of(r, now) for r in rows])


@router.get(
    "/jobs/{job_id}",
    response_model=JobOut,
    responses={**_ADMIN, 404: {"model": ErrorBody, "description": "no such job"}},
)
def job(job_id: JobId, _admin: Admin, services: ServicesDep) -> JobOut:
    """One job, with its last error."""
    with services.catalog.begin() as conn:
        row = get_job(conn, job_id)
    if row is None:
        raise NotFound(f"no job {job_id}: check the id")
    return JobOut.of(row, services.clock())


@router.post(
    "/jobs/{job_id}/retry",
    response_model=JobOut,
    responses={
        **_ADMIN,
        404: {"model": ErrorBody, "description": "no such job"},
        409: {"model": ErrorBody, "description": "the job is not dead"},
    },
)
def retry_job(job_id: JobId, _admin: Admin, services: ServicesDep) -> JobOut:
    """Send a dead job back to the queue with fresh attempts."""
    now = services.clock()
    with services.catalog.begin() as conn:
        row = get_job(conn, job_id)
        if row is None:
            raise NotFound(f"no job {job_id}: check the id")
        if row.state != JobState.DEAD:
            raise Conflict(f"job {job_id} is {row.state}, not dead: only dead jobs are retried")
        retry(conn, [job_id], now=now)
        row = get_job(conn, job_id)
    assert row is not None
    return JobOut.of(row, now)

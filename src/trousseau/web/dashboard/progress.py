"""A wedding's progress against its delivery deadline, as a value and as a live event stream.

`GET /api/v1/weddings/{slug}/progress` answers `text/event-stream`: a `progress` event with
the wedding's snapshot at once, another each time it changes, a keep-alive comment when
nothing changed for a while. The stream polls the catalog in a worker thread every
`web.progress_interval_seconds` (a short transaction per poll, no connection held between
polls) and ends after `web.progress_lifetime_seconds` or as soon as the client leaves, so a
forgotten tab never pins a server; EventSource reconnects by itself. The dashboard's
overview streams today's weddings the same way in one connection (`progress_events`).

A stream re-reads its key (header or dashboard cookie) every `web.progress_key_check_seconds`
(`auth.KeyWatch`): once the key is revoked the stream sends an `unauthorized` event, the error
body of a 401, and ends; EventSource's reconnection then gets the 401 itself and stops.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Annotated, Any, Literal

import anyio
import anyio.to_thread
from fastapi import APIRouter, Depends, Request
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import BaseModel, Field
from sqlalchemy import Connection

from trousseau.catalog import (
    FAILED,
    PROCESSED,
    STORED,
    PhotoState,
    Wedding,
    count_photos_by_wedding,
    count_variants_by_wedding,
    get_wedding,
)
from trousseau.jobs import SubjectJobs, jobs_by_wedding
from trousseau.web.auth import KeyWatch, Viewer
from trousseau.web.config import API_PREFIX
from trousseau.web.errors import ErrorBody, ErrorDetail
from trousseau.web.logs import current_request_id
from trousseau.web.services import Services, ServicesDep

router = APIRouter(prefix=API_PREFIX, tags=["weddings"])

RECONNECT_MS = 3000
"""How long EventSource waits before it reconnects after a stream ends."""

Status = Literal["waiting", "processing", "late", "delivered", "failed"]


@dataclass(frozen=True)
class Progress:
    """Where a wedding stands at `now`: photos by state, variants, jobs against deadlines."""

    slug: str
    title: str
    date: dt.date
    timezone: str
    sla: str
    total: int
    ready: int
    processing: int
    failed: int
    variants: int
    queued: int
    running: int
    late: int
    jobs_total: int
    jobs_done: int
    deadline: datetime | None
    """The earliest deadline still open; when nothing is open, the wedding's last deadline."""
    open: bool
    """Whether jobs are still queued or running (slack is only meaningful then)."""
    now: datetime

    @property
    def slack_seconds(self) -> float | None:
        """Open deadline minus now (negative: late); None when nothing is left to do."""
        if not self.open or self.deadline is None:
            return None
        return (self.deadline - self.now).total_seconds()

    @property
    def percent(self) -> float:
        """Share of the work done, 0 to 100: finished jobs (done or dead) of every kind out of
        all the jobs about the wedding's photos, or of the photos while none has a job."""
        if self.jobs_total:
            return 100.0 * self.jobs_done / self.jobs_total
        return 100.0 * (self.ready + self.failed) / self.total if self.total else 0.0

    @property
    def status(self) -> Status:
        """One word for the row's colour: waiting, processing, late, delivered or failed."""
        if self.total == 0:
            return "waiting"
        if self.late:
            return "late"
        if self.processing or self.open:
            return "processing"
        return "failed" if self.failed else "delivered"

    def same_as(self, other: Progress) -> bool:
        """Whether nothing but the clock moved: no event is worth sending."""
        return replace(self, now=other.now) == other


@dataclass(frozen=True)
class WeddingCounts:
    """A wedding's photos by state, its variants, and the jobs about it (every kind)."""

    photos: dict[PhotoState, int]
    variants: int = 0
    jobs: SubjectJobs = field(default_factory=SubjectJobs)


def wedding_counts(
    conn: Connection, wedding_ids: Sequence[int], *, now: datetime
) -> dict[int, WeddingCounts]:
    """The counts of several weddings in three grouped queries; every id gets an entry.

    The catalog counts the photos and variants, `jobs` the jobs (the job table is read only
    through it); the two meet here, above both. Jobs are counted by their subject, whatever
    their kind, so a photo's follow-on jobs (analysis after variants) keep its wedding in
    progress until they are done too.
    """
    ids = list(wedding_ids)
    if not ids:
        return {}
    photos = count_photos_by_wedding(conn, ids)
    variants = count_variants_by_wedding(conn, ids)
    jobs = jobs_by_wedding(conn, ids, now=now)
    return {
        wedding_id: WeddingCounts(
            photos=photos[wedding_id], variants=variants[wedding_id], jobs=jobs[wedding_id]
        )
        for wedding_id in ids
    }


def progress_of(wedding: Wedding, counts: WeddingCounts, now: datetime) -> Progress:
    """The progress of `wedding` from its catalog counts (pure)."""
    photos = counts.photos
    total = sum(photos.values())
    jobs = counts.jobs
    open_ = jobs.open > 0
    return Progress(
        slug=wedding.slug,
        title=wedding.title,
        date=wedding.date,
        timezone=wedding.timezone,
        sla=wedding.delivery_sla,
        total=total,
        ready=photos.get(PROCESSED, 0),
        processing=photos.get(STORED, 0),
        failed=photos.get(FAILED, 0),
        variants=counts.variants,
        queued=jobs.queued,
        running=jobs.running,
        late=jobs.late,
        jobs_total=jobs.open + jobs.done + jobs.dead,
        jobs_done=jobs.done + jobs.dead,
        deadline=jobs.next_deadline if open_ else jobs.last_deadline,
        open=open_,
        now=now,
    )


def read_progress(
    conn: Connection, weddings: Sequence[Wedding], *, now: datetime
) -> list[Progress]:
    """The progress of several weddings, in their order, from three grouped queries."""
    counts = wedding_counts(conn, [w.id for w in weddings], now=now)
    return [progress_of(w, counts[w.id], now) for w in weddings]


class ProgressOut(BaseModel):
    """One wedding's progress: the data of each `progress` event."""

    slug: str
    title: str
    date: dt.date
    timezone: str
    sla: str
    status: Status
    total: int = Field(description="photos received")
    ready: int = Field(description="photos with every variant rendered")
    processing: int = Field(description="photos waiting for or in processing")
    failed: int = Field(description="photos that could not be processed")
    variants: int = Field(description="variants rendered")
    queued: int = Field(description="jobs about its photos waiting for a worker (every kind)")
    running: int = Field(description="jobs about its photos a worker holds (every kind)")
    late: int = Field(description="open jobs about its photos past their deadline")
    jobs_total: int = Field(description="jobs about its photos, of every kind")
    jobs_done: int = Field(description="of those, finished (done or dead)")
    percent: float = Field(
        description="finished jobs out of all its jobs (photos done out of total while no "
        "job exists), 0-100"
    )
    deadline: dt.datetime | None = Field(
        description="earliest open deadline; when all is done, the wedding's last deadline"
    )
    slack_seconds: float | None = Field(
        description="deadline minus now while work is open (negative: late); else null"
    )
    now: dt.datetime = Field(description="the server's clock when the snapshot was taken")

    @classmethod
    def of(cls, p: Progress) -> ProgressOut:
        return cls(
            slug=p.slug,
            title=p.title,
            date=p.date,
            timezone=p.timezone,
            sla=p.sla,
            status=p.status,
            total=p.total,
            ready=p.ready,
            processing=p.processing,
            failed=p.failed,
            variants=p.variants,
            queued=p.queued,
            running=p.running,
            late=p.late,
            jobs_total=p.jobs_total,
            jobs_done=p.jobs_done,
            percent=round(p.percent, 1),
            deadline=p.deadline,
            slack_seconds=p.slack_seconds,
            now=p.now,
        )


@dataclass(frozen=True)
class StreamTiming:
    """How often a stream polls, when it says it is alive, and how long it lives (seconds)."""

    interval: float
    keepalive: float
    lifetime: float

    @classmethod
    def of(cls, services: Services) -> StreamTiming:
        config = services.config
        return cls(
            config.progress_interval_seconds,
            config.progress_keepalive_seconds,
            config.progress_lifetime_seconds,
        )


REVOKED = (
    "the API key of this stream was revoked (or removed): the stream ended; "
    "ask for a new key (`trousseau keys create`) and sign in again"
)


def revoked_event() -> ServerSentEvent:
    """The last event of a stream whose key was revoked: a 401's error body."""
    detail = ErrorDetail(code="unauthorized", message=REVOKED, request_id=current_request_id())
    return ServerSentEvent(data=ErrorBody(error=detail), event="unauthorized")


async def progress_events(
    read: Callable[[], list[Progress]],
    timing: StreamTiming,
    disconnected: Callable[[], Awaitable[bool]],
    *,
    watch: KeyWatch | None = None,
) -> AsyncIterator[ServerSentEvent]:
    """`progress` events for whatever `read` returns, each wedding's when it changes.

    `read` runs in a worker thread (it opens its own short transaction); between polls the
    stream sleeps. It ends after `timing.lifetime`, or when `disconnected()` says the
    client left, with a retry hint so EventSource comes back, or, with an `unauthorized`
    event, once `watch` finds the key it was opened with revoked.
    """
    started = anyio.current_time()
    last: dict[str, Progress] = {}
    sequence = 0
    quiet_since = started
    while True:
        snapshots = await anyio.to_thread.run_sync(read)
        changed = [p for p in snapshots if p.slug not in last or not p.same_as(last[p.slug])]
        for snapshot in changed:
            sequence += 1
            last[snapshot.slug] = snapshot
            yield ServerSentEvent(
                data=ProgressOut.of(snapshot),
                event="progress",
                id=str(sequence),
                retry=RECONNECT_MS,
            )
        now = anyio.current_time()
        if changed:
            quiet_since = now
        elif now - quiet_since >= timing.keepalive:
            quiet_since = now
            yield ServerSentEvent(comment="keep-alive")
        if now - started + timing.interval >= timing.lifetime:
            yield ServerSentEvent(comment="stream lifetime reached: reconnect", retry=RECONNECT_MS)
            return
        await anyio.sleep(timing.interval)
        if await disconnected():
            return
        if watch is not None and await watch.revoked():
            yield revoked_event()
            return


def _json_error(description: str) -> dict[str, Any]:
    """An error answer of a stream route: JSON, not the route's text/event-stream."""
    schema = {"$ref": f"#/components/schemas/{ErrorBody.__name__}"}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def viewed_wedding(slug: str, viewer: Viewer, services: ServicesDep) -> Wedding:
    """The viewer's wedding with this slug, or NotFound (404) before any stream starts."""
    with services.catalog.begin() as conn:
        return get_wedding(conn, viewer.tenant_id, slug)


ViewedWedding = Annotated[Wedding, Depends(viewed_wedding)]


@router.get(
    "/weddings/{slug}/progress",
    response_class=EventSourceResponse,
    responses={
        401: _json_error("no valid API key (header or dashboard cookie)"),
        404: _json_error("no such wedding for this tenant"),
    },
)
async def stream_progress(
    wedding: ViewedWedding, viewer: Viewer, services: ServicesDep, request: Request
) -> AsyncIterator[ProgressOut]:
    """Live progress of a wedding (Server-Sent Events).

    A `progress` event (JSON data) at once and whenever the counts change, `: keep-alive`
    comments while they do not; the stream ends after `web.progress_lifetime_seconds` and
    EventSource reconnects. Authenticates with the API key header or the dashboard's cookie,
    re-checked every `web.progress_key_check_seconds`: a revoked key ends the stream with an
    `unauthorized` event (JSON data: the error body).
    """

    def read() -> list[Progress]:
        now = services.clock()
        with services.catalog.begin() as conn:
            return read_progress(conn, [wedding], now=now)

    timing, watch = StreamTiming.of(services), KeyWatch.of(viewer, services)
    async for event in progress_events(read, timing, request.is_disconnected, watch=watch):
        yield event  # type: ignore[misc]  # events carry ProgressOut as data (for OpenAPI)

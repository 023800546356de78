"""What the dashboard shows, as plain values: today's weddings by time zone, the queue, failures.

"Today" is each wedding's own: a wedding in Tokyo dated the 14th is today once it is the 14th
in Tokyo, whatever the date in UTC. Weddings are always the signed-in key's tenant's; the
operations panels (queue by SLA class, workers, late jobs, dead letters) span every tenant,
so only an admin key sees them. Failures are the tenant's failed photos, or every tenant's
for an admin.

Workers are the live ones: a heartbeat within one lease length (the `trousseau_workers`
metric), idle ones included; busy are the live ones holding a lease (the
`trousseau_workers_busy` metric): both from `jobs.operations_report`, as everywhere else. A
worker killed without a goodbye drops out of the live count once a lease length has passed
since its last beat.

Backup health (admin) is read from the catalog alone, as `GET /api/v1/backup` reads it
(`backup.backup_health`): each repository's lag behind the change log, its pending changes,
late against `backup.lag_target_seconds`, and when a run last completed; the repository
itself is never opened, so the dashboard needs no passphrase.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from trousseau.analysis import Culling, Verdict
from trousseau.backup import BackupHealth, backup_health
from trousseau.catalog import (
    FaceRow,
    FailedPhoto,
    PersonRow,
    Photo,
    Variant,
    Wedding,
    backup_lags,
    failed_photos,
    photos_of_persons,
    weddings_dated,
)
from trousseau.jobs import (
    DEAD,
    QUEUED,
    RUNNING,
    JobRow,
    SlaDeadlines,
    WorkerLoad,
    late_jobs,
    list_jobs,
    operations_report,
)
from trousseau.web.auth import Principal
from trousseau.web.dashboard.progress import Progress, read_progress

HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
"""The only shape of colour a page paints (it goes into a style attribute)."""
NOTHING = "\N{EN DASH}"
"""What a cell shows when there is no value (no open deadline, no size)."""
THUMB_PROFILE = "thumb"
"""The variant a gallery tile shows; the smallest one when a profile set has no thumb."""


def local_today(timezone: str, now: datetime) -> date:
    """The date it is in `timezone` at the instant `now`."""
    return now.astimezone(ZoneInfo(timezone)).date()


def todays(weddings: Iterable[Wedding], now: datetime) -> list[Wedding]:
    """The weddings dated today in their own time zone."""
    return [w for w in weddings if w.date == local_today(w.timezone, now)]


def read_today(conn: Connection, tenant_id: int, now: datetime) -> list[Progress]:
    """The progress of the tenant's weddings dated today in their own time zone.

    Every zone's today is within a day of UTC's, so only three dates are read.
    """
    utc_day = now.date()
    candidates = weddings_dated(
        conn,
        tenant_id=tenant_id,
        first=utc_day - timedelta(days=1),
        last=utc_day + timedelta(days=1),
    )
    return read_progress(conn, todays(candidates, now), now=now)


@dataclass(frozen=True)
class ZoneGroup:
    """Today's weddings in one time zone, with the local time there."""

    timezone: str
    local_now: datetime
    weddings: list[Progress]


def group_by_zone(weddings: Sequence[Progress], now: datetime) -> list[ZoneGroup]:
    """Weddings grouped by time zone, the zone furthest ahead first, by title within it."""
    zones: dict[str, list[Progress]] = {}
    for wedding in weddings:
        zones.setdefault(wedding.timezone, []).append(wedding)
    groups = [
        ZoneGroup(tz, now.astimezone(ZoneInfo(tz)), sorted(ws, key=lambda p: (p.title, p.slug)))
        for tz, ws in zones.items()
    ]
    return sorted(groups, key=lambda g: (-(g.local_now.utcoffset() or timedelta()), g.timezone))


@dataclass(frozen=True)
class SlaRow:
    """The queue of one SLA class: depth, oldest open deadline, lateness."""

    sla: str
    queued: int
    running: int
    oldest_deadline: datetime | None
    late: int
    now: datetime

    @property
    def slack_seconds(self) -> float | None:
        if self.oldest_deadline is None:
            return None
        return (self.oldest_deadline - self.now).total_seconds()


def sla_rows(
    by_state_sla: dict[tuple[str, str], int],
    deadlines: dict[str, SlaDeadlines],
    slas: Iterable[str],
    now: datetime,
) -> list[SlaRow]:
    """One row per configured SLA class (and any other with jobs), tightest delay first."""
    ordered = list(dict.fromkeys([*slas, *(s for _, s in by_state_sla), *deadlines]))
    rows = []
    for sla in ordered:
        found = deadlines.get(sla)
        rows.append(
            SlaRow(
                sla=sla,
                queued=by_state_sla.get((QUEUED, sla), 0),
                running=by_state_sla.get((RUNNING, sla), 0),
                oldest_deadline=found.oldest_deadline if found else None,
                late=found.late if found else 0,
                now=now,
            )
        )
    return rows


@dataclass(frozen=True)
class Operations:
    """The queue across every tenant: for admin keys."""

    slas: list[SlaRow]
    workers: list[WorkerLoad]
    """The live workers, oldest first, with the jobs each holds."""
    busy: int
    """Live workers holding at least one lease."""
    late_jobs: list[JobRow]
    late_total: int
    dead_jobs: list[JobRow]
    dead_total: int
    backup: BackupHealth
    """Each backup repository's lag, from the catalog (no passphrase, no target opened)."""

    @property
    def depth(self) -> int:
        return sum(row.queued + row.running for row in self.slas)

    @property
    def live(self) -> int:
        return len(self.workers)


@dataclass(frozen=True)
class Overview:
    """Everything the overview page shows."""

    now: datetime
    zones: list[ZoneGroup]
    failures: list[FailedPhoto]
    operations: Operations | None

    @property
    def weddings(self) -> list[Progress]:
        return [w for zone in self.zones for w in zone.weddings]


def read_overview(
    conn: Connection,
    principal: Principal,
    *,
    now: datetime,
    slas: Iterable[str],
    live_within: timedelta,
    backup_targets: int,
    lag_target_seconds: float,
) -> Overview:
    """The overview for this key at `now`; operations only for an admin key.

    A worker is live when it beat at most `live_within` before `now` (one lease length).
    `backup_targets` (how many `backup.targets` names) tells "no backup configured" from
    "not run yet"; a repository is late beyond `lag_target_seconds`.
    """
    today = read_today(conn, principal.tenant_id, now)
    operations = None
    if principal.admin:
        report = operations_report(conn, now=now, live_within=live_within)
        operations = Operations(
            slas=sla_rows(report.queue.by_state_sla, report.deadlines, slas, now),
            workers=report.workers,
            busy=report.busy,
            late_jobs=late_jobs(conn, now=now, limit=8),
            late_total=report.late,
            dead_jobs=list_jobs(conn, state=DEAD, limit=5),
            dead_total=report.queue.by_state.get(DEAD, 0),
            backup=backup_health(
                backup_lags(conn, now=now),
                now=now,
                lag_target_seconds=lag_target_seconds,
                targets=backup_targets,
            ),
        )
    failures = failed_photos(
        conn, tenant_id=None if principal.admin else principal.tenant_id, limit=8
    )
    return Overview(now, group_by_zone(today, now), failures, operations)


@dataclass(frozen=True)
class Tile:
    """One photo of the gallery: what to show while it loads, and what it links to."""

    photo: Photo
    variants: list[Variant]
    thumb: Variant | None

    @property
    def colour(self) -> str | None:
        """The dominant colour, painted under the ThumbHash until the image arrives."""
        colours = self.photo.colours or []
        found = colours[0].get("hex") if colours else None
        return found if isinstance(found, str) and HEX_COLOUR.fullmatch(found) else None

    @property
    def aspect(self) -> str:
        """CSS aspect-ratio of the tile: the photo's, 3 / 2 when not known yet."""
        source = self.thumb or self.photo
        if source.width and source.height:
            return f"{source.width} / {source.height}"
        return "3 / 2"


def tiles(photos: Sequence[Photo], variants: dict[int, list[Variant]]) -> list[Tile]:
    """A tile per photo; its thumbnail is the thumb variant, else the smallest one."""
    found = []
    for photo in photos:
        own = variants.get(photo.id, [])
        thumbs = [v for v in own if v.profile == THUMB_PROFILE]
        thumb = thumbs[0] if thumbs else min(own, key=lambda v: v.width * v.height, default=None)
        found.append(Tile(photo, own, thumb))
    return found


def duration(seconds: float) -> str:
    """A short human duration: 45 s, 12 min, 2 h 05 min, 3 d 4 h."""
    seconds = abs(int(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def ago(instant: datetime | None, now: datetime) -> str:
    """How long before `now` an instant was: `12 s ago`, `3 min ago` (`just now` if later)."""
    if instant is None:
        return NOTHING
    seconds = (now - instant).total_seconds()
    if seconds < 0:
        return "just now"
    return f"{duration(seconds)} ago"


def slack(seconds: float | None) -> str:
    """How a deadline stands: `12 min left`, `late 5 min`, or an en dash when none is open."""
    if seconds is None:
        return NOTHING
    if seconds < 0:
        return f"late {duration(seconds)}"
    return f"{duration(seconds)} left"


def size(n: int | None) -> str:
    """Bytes as a person reads them: 812 B, 45 KB, 1.2 MB, 3.4 GB, 1.5 TB (decimal units)."""
    if n is None:
        return NOTHING
    units = ("B", "KB", "MB", "GB", "TB")
    value, step = float(n), 0
    while value >= 1000 and step < len(units) - 1:
        value, step = value / 1000, step + 1
    return f"{value:.0f} {units[step]}" if step < 2 else f"{value:.1f} {units[step]}"


def local_time(instant: datetime | None, timezone: str, now: datetime | None = None) -> str:
    """An instant as the wall-clock time in `timezone`: `16:05`, or `Sun 09:00` when the
    local day differs from `now`'s there."""
    if instant is None:
        return NOTHING
    zone = ZoneInfo(timezone)
    local = instant.astimezone(zone)
    if now is not None and local.date() != now.astimezone(zone).date():
        return local.strftime("%a %H:%M")
    return local.strftime("%H:%M")


@dataclass(frozen=True)
class PersonCard:
    """A guest on the gallery page: name (or number), faces, and tiles of a few photos."""

    id: int
    name: str | None
    faces: int
    photos: int
    tiles: list[Tile]


PERSON_TILES = 6


@dataclass(frozen=True)
class MomentCard:
    """A moment of the day on the gallery page: when, how many photos, how many kept, and
    its representative photo's tile."""

    start: datetime | None
    end: datetime | None
    photos: int
    kept: int
    tile: Tile | None


def moment_cards(
    culled: Culling, photos: dict[int, Photo], variants: dict[int, list[Variant]]
) -> list[MomentCard]:
    """The wedding's moments in capture order, each with its representative's tile."""
    keepers = {p.photo_id for p in culled.photos if p.verdict is Verdict.KEEP}
    cards = []
    for moment in culled.moments:
        shown = [photos[i] for i in [moment.representative.id] if i in photos]
        found = tiles(shown, variants)
        kept = sum(1 for s in moment.shots if s.id in keepers)
        cards.append(
            MomentCard(
                moment.start, moment.end, len(moment.shots), kept, found[0] if found else None
            )
        )
    return cards


def person_cards(
    persons: Sequence[PersonRow],
    faces: Sequence[FaceRow],
    photos: dict[int, Photo],
    variants: dict[int, list[Variant]],
) -> list[PersonCard]:
    """The wedding's persons, most faces first, each with up to PERSON_TILES photo tiles."""
    photo_ids = photos_of_persons(faces)
    cards = []
    for person in sorted(persons, key=lambda p: (-p.faces, p.id)):
        ids = [photo_id for photo_id, _ in photo_ids.get(person.id, [])]
        shown = [photos[i] for i in ids[:PERSON_TILES] if i in photos]
        cards.append(
            PersonCard(person.id, person.name, person.faces, len(ids), tiles(shown, variants))
        )
    return cards

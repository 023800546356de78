"""Weddings: the unit a studio delivers, with its date, time zone and delivery promise."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Connection, select

from trousseau.catalog.backups import ChangeKind, record_change
from trousseau.catalog.engine import inserted_id
from trousseau.catalog.events import EventKind, record_event
from trousseau.catalog.schema import wedding
from trousseau.catalog.slugs import check_slug
from trousseau.catalog.text import check_text
from trousseau.errors import NotFound, SettingsError


@dataclass(frozen=True)
class Wedding:
    id: int
    tenant_id: int
    slug: str
    title: str
    date: date
    timezone: str
    region: str | None
    delivery_sla: str
    expected_photos: int | None = None
    culture: str | None = None
    guests: int | None = None
    ceremony_time: time | None = None
    """The ceremony's local time, when known (protection and planning assume one otherwise)."""
    faces: bool = False
    """Whether the couple opted in to face analysis (guests, find-me)."""


def _from_row(row: object) -> Wedding:
    m = row._mapping  # type: ignore[attr-defined]
    return Wedding(
        id=m["id"],
        tenant_id=m["tenant_id"],
        slug=m["slug"],
        title=m["title"],
        date=m["date"],
        timezone=m["timezone"],
        region=m["region"],
        delivery_sla=m["delivery_sla"],
        expected_photos=m["expected_photos"],
        culture=m["culture"],
        guests=m["guests"],
        ceremony_time=m["ceremony_time"],
        faces=bool(m["faces"]),
    )


def check_timezone(name: str) -> str:
    """The IANA zone name, or a SettingsError saying it is not one."""
    zone_of(name)
    return name


def zone_of(name: str) -> ZoneInfo:
    """The IANA zone `name`, or a SettingsError saying it is not one (never a traceback)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise SettingsError(
            f"{name!r} is not an IANA time zone: use a name like Europe/Paris or America/New_York"
        ) from None


def find_wedding(conn: Connection, tenant_id: int, slug: str) -> Wedding | None:
    """The tenant's wedding with this slug, or None."""
    if "\x00" in slug:
        return None  # no text column holds NUL (PostgreSQL refuses it): no such wedding
    row = conn.execute(
        select(wedding).where(wedding.c.tenant_id == tenant_id, wedding.c.slug == slug)
    ).first()
    return None if row is None else _from_row(row)


def get_wedding_by_id(conn: Connection, wedding_id: int) -> Wedding:
    """The wedding with this id (for jobs, which name their subject by id), or NotFound."""
    row = conn.execute(select(wedding).where(wedding.c.id == wedding_id)).first()
    if row is None:
        raise NotFound(f"no wedding with id {wedding_id}: it was erased")
    return _from_row(row)


def get_wedding(conn: Connection, tenant_id: int, slug: str) -> Wedding:
    """The tenant's wedding with this slug, or NotFound (never another tenant's)."""
    found = find_wedding(conn, tenant_id, slug)
    if found is None:
        raise NotFound(f"no wedding {slug!r} for this tenant: check the slug")
    return found


def create_wedding(
    conn: Connection,
    tenant_id: int,
    slug: str,
    *,
    on: date,
    timezone: str,
    delivery_sla: str,
    now: datetime,
    title: str | None = None,
    region: str | None = None,
    expected_photos: int | None = None,
    ceremony_time: time | None = None,
    culture: str | None = None,
    guests: int | None = None,
    faces: bool = False,
    event_data: dict[str, Any] | None = None,
) -> Wedding:
    """Record a new wedding and its `wedding.created` event; the slug is unique in the tenant.

    Every road that creates a wedding (ingest, the API) comes here, so the event and the
    backup change log's entry are written once, the same way; `event_data` adds who asked
    (e.g. `{"via": "api", "key_id": 3}`).
    The slug follows `check_slug` (InvalidValue otherwise), the zone is an IANA one, and the
    title and region are text any catalog stores (`check_text`: no NUL, no lone surrogate).
    """
    check_slug(slug)
    check_timezone(timezone)
    for field, text in (("title", title), ("region", region), ("culture", culture)):
        if text is not None:
            check_text(text, field=f"the wedding's {field}")
    new_id = inserted_id(
        conn.execute(
            wedding.insert().values(
                tenant_id=tenant_id,
                slug=slug,
                title=title or slug,
                date=on,
                timezone=timezone,
                region=region,
                delivery_sla=delivery_sla,
                expected_photos=expected_photos,
                ceremony_time=ceremony_time,
                culture=culture,
                guests=guests,
                faces=faces,
                created_at=now,
            )
        )
    )
    record_event(
        conn,
        EventKind.WEDDING_CREATED,
        f"wedding {slug!r} created for {on} ({timezone}), delivery {delivery_sla}",
        now=now,
        tenant_id=tenant_id,
        wedding_id=new_id,
        data=event_data,
    )
    record_change(
        conn,
        tenant_id=tenant_id,
        wedding_id=new_id,
        kind=ChangeKind.CATALOG,
        subject=f"wedding:{new_id}",
        deadline=None,
        now=now,
    )
    return Wedding(
        id=new_id,
        tenant_id=tenant_id,
        slug=slug,
        title=title or slug,
        date=on,
        timezone=timezone,
        region=region,
        delivery_sla=delivery_sla,
        expected_photos=expected_photos,
        culture=culture,
        guests=guests,
        ceremony_time=ceremony_time,
        faces=faces,
    )


def list_weddings(conn: Connection, tenant_id: int) -> list[Wedding]:
    """The tenant's weddings, most recent date first."""
    rows = conn.execute(
        select(wedding)
        .where(wedding.c.tenant_id == tenant_id)
        .order_by(wedding.c.date.desc(), wedding.c.id)
    )
    return [_from_row(r) for r in rows]


def wedding_slug(conn: Connection, *, tenant_id: int, wedding_id: int) -> str | None:
    """The slug of the tenant's wedding with this id, or None (never another tenant's)."""
    slug: str | None = conn.execute(
        select(wedding.c.slug).where(wedding.c.id == wedding_id, wedding.c.tenant_id == tenant_id)
    ).scalar()
    return slug


def weddings_dated(conn: Connection, *, tenant_id: int, first: date, last: date) -> list[Wedding]:
    """The tenant's weddings dated from `first` to `last` (inclusive), by date and slug.

    The dashboard reads the three dates around UTC's today and keeps those dated today in
    their own time zone.
    """
    rows = conn.execute(
        select(wedding)
        .where(wedding.c.tenant_id == tenant_id, wedding.c.date.between(first, last))
        .order_by(wedding.c.date, wedding.c.slug)
    )
    return [_from_row(r) for r in rows]


def calendar_weddings(conn: Connection, *, first: date, last: date) -> list[Wedding]:
    """Every tenant's weddings dated from `first` to `last` (inclusive), by date: the
    calendar protection reads (a platform's deploys serve all its studios)."""
    rows = conn.execute(
        select(wedding)
        .where(wedding.c.date.between(first, last))
        .order_by(wedding.c.date, wedding.c.tenant_id, wedding.c.slug)
    )
    return [_from_row(r) for r in rows]


def every_wedding(conn: Connection) -> list[tuple[str, Wedding]]:
    """(tenant slug, wedding) of every tenant's weddings, by tenant then slug (operators'
    reports across tenants: residency, capacity)."""
    from trousseau.catalog.schema import tenant

    rows = conn.execute(
        select(wedding, tenant.c.slug.label("tenant_slug"))
        .join(tenant, tenant.c.id == wedding.c.tenant_id)
        .order_by(tenant.c.slug, wedding.c.slug)
    )
    return [(row.tenant_slug, _from_row(row)) for row in rows]

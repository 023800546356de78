"""Tenants: the studios (or platforms' customers) whose data never mixes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from trousseau.catalog.engine import inserted_id
from trousseau.catalog.schema import tenant
from trousseau.catalog.slugs import check_slug
from trousseau.errors import NotFound


@dataclass(frozen=True)
class Tenant:
    id: int
    slug: str
    name: str


def ensure_tenant(conn: Connection, slug: str, *, now: datetime, name: str | None = None) -> Tenant:
    """The tenant with this slug, created on first use (the slug following `check_slug`)."""
    if "\x00" in slug:
        check_slug(slug, of="tenant")  # no row holds a NUL: refused before the query
    row = conn.execute(select(tenant).where(tenant.c.slug == slug)).first()
    if row is None:
        check_slug(slug, of="tenant")
        new_id = inserted_id(
            conn.execute(tenant.insert().values(slug=slug, name=name or slug, created_at=now))
        )
        return Tenant(id=new_id, slug=slug, name=name or slug)
    return Tenant(id=row.id, slug=row.slug, name=row.name)


def get_tenant(conn: Connection, slug: str) -> Tenant:
    """The tenant with this slug, or NotFound."""
    row = (
        None
        if "\x00" in slug
        else conn.execute(select(tenant).where(tenant.c.slug == slug)).first()
    )
    if row is None:
        raise NotFound(f"no tenant {slug!r}: ingest into it once or create it first")
    return Tenant(id=row.id, slug=row.slug, name=row.name)

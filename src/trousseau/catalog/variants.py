"""Variants: rendered derivatives of a photo, one per profile, stored in the vault."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from trousseau.catalog.schema import variant


@dataclass(frozen=True)
class Variant:
    id: int
    photo_id: int
    profile: str
    format: str
    sha256: str
    bytes: int
    width: int
    height: int


def _from_row(row: object) -> Variant:
    m = row._mapping  # type: ignore[attr-defined]
    return Variant(**{name: m[name] for name in Variant.__dataclass_fields__})


def record_variant(
    conn: Connection,
    *,
    photo_id: int,
    profile: str,
    fmt: str,
    sha256: str,
    size: int,
    width: int,
    height: int,
    now: datetime,
) -> bool:
    """Record a variant whose blob is durable; False when this profile was already recorded.

    A re-run of the same job therefore changes nothing: the first record stands.
    """
    existing = conn.execute(
        select(variant.c.id).where(variant.c.photo_id == photo_id, variant.c.profile == profile)
    ).first()
    if existing is not None:
        return False
    conn.execute(
        variant.insert().values(
            photo_id=photo_id,
            profile=profile,
            format=fmt,
            sha256=sha256,
            bytes=size,
            width=width,
            height=height,
            created_at=now,
        )
    )
    return True


def variants_of(conn: Connection, photo_id: int) -> list[Variant]:
    """A photo's variants, by profile name."""
    rows = conn.execute(
        select(variant).where(variant.c.photo_id == photo_id).order_by(variant.c.profile)
    )
    return [_from_row(r) for r in rows]


def iter_variants(conn: Connection) -> Iterator[Variant]:
    """Every variant, in id order."""
    for row in conn.execute(select(variant).order_by(variant.c.id)):
        yield _from_row(row)

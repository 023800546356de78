"""Variants: rendered derivatives of a photo, one per profile, stored in the vault."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, select

from trousseau.catalog.backups import record_photo_blob
from trousseau.catalog.schema import photo, variant


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
    deadline: datetime | None = None,
) -> bool:
    """Record a variant whose blob is durable; False when this profile was already recorded.

    A re-run of the same job therefore changes nothing: the first record stands. A recorded
    variant's blob goes into the backup change log in the same transaction; `deadline` (its
    job's, when known) puts it ahead of changes due later.
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
    record_photo_blob(conn, photo_id=photo_id, sha256=sha256, deadline=deadline, now=now)
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


def variants_by_photo(conn: Connection, photo_ids: Sequence[int]) -> dict[int, list[Variant]]:
    """The variants of several photos in one query, each list by profile name.

    A page of photos gets its variants without a query per photo; photos without a variant
    are absent.
    """
    if not photo_ids:
        return {}
    rows = conn.execute(
        select(variant)
        .where(variant.c.photo_id.in_(list(photo_ids)))
        .order_by(variant.c.photo_id, variant.c.profile)
    )
    found: dict[int, list[Variant]] = defaultdict(list)
    for row in rows:
        found[row.photo_id].append(_from_row(row))
    return dict(found)


def count_variants_by_wedding(conn: Connection, wedding_ids: Sequence[int]) -> dict[int, int]:
    """How many variants the photos of each wedding have, in one grouped query; every id
    gets an entry (0 when none)."""
    ids = list(wedding_ids)
    counts = dict.fromkeys(ids, 0)
    if not ids:
        return counts
    for wedding_id, n in conn.execute(
        select(photo.c.wedding_id, func.count(variant.c.id))
        .join(variant, variant.c.photo_id == photo.c.id)
        .where(photo.c.wedding_id.in_(ids))
        .group_by(photo.c.wedding_id)
    ):
        counts[wedding_id] = int(n)
    return counts

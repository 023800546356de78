"""Resumable uploads: the record of an original that arrives over several requests.

The record says what is being uploaded (the wedding, the file name, its announced length and
SHA-256, the client's tus metadata), until when it may be resumed, and — once complete and
verified — which photo it became. The bytes themselves wait in the web service's spool; how
many have arrived is the size of the spooled file, not a column, so the record never
disagrees with the disk. Records are keyed by a random id that is also the upload's URL, so
one cannot be guessed, and every lookup by a client carries its tenant id: another tenant's
upload is simply not found.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, Select, delete, func, select, update

from trousseau.catalog.schema import upload, wedding
from trousseau.errors import NotFound

ID_BYTES = 18
"""144 random bits: 24 URL-safe characters."""


@dataclass(frozen=True)
class ResumableUpload:
    """One resumable upload as the catalog records it."""

    id: str
    tenant_id: int
    wedding_id: int
    wedding_slug: str
    name: str
    length: int
    sha256: str | None
    metadata: str | None
    photo_id: int | None
    created_at: datetime
    expires_at: datetime

    @property
    def complete(self) -> bool:
        """True once the bytes were verified and became a photo."""
        return self.photo_id is not None

    def expired(self, now: datetime) -> bool:
        return self.expires_at <= now


def new_upload_id() -> str:
    """A fresh, unguessable upload id (URL-safe base64 of 18 random bytes)."""
    return secrets.token_urlsafe(ID_BYTES)


def _select() -> Select[Any]:
    return select(upload, wedding.c.slug.label("wedding_slug")).join(
        wedding, wedding.c.id == upload.c.wedding_id
    )


def _from_row(row: Row[Any]) -> ResumableUpload:
    m = row._mapping
    return ResumableUpload(
        id=m["id"],
        tenant_id=m["tenant_id"],
        wedding_id=m["wedding_id"],
        wedding_slug=m["wedding_slug"],
        name=m["name"],
        length=m["length"],
        sha256=m["sha256"],
        metadata=m["upload_metadata"],
        photo_id=m["photo_id"],
        created_at=m["created_at"],
        expires_at=m["expires_at"],
    )


def create_resumable_upload(
    conn: Connection,
    *,
    tenant_id: int,
    wedding_id: int,
    name: str,
    length: int,
    sha256: str | None,
    metadata: str | None,
    now: datetime,
    expires_at: datetime,
) -> ResumableUpload:
    """Record a new upload under a fresh random id and return it."""
    upload_id = new_upload_id()
    conn.execute(
        upload.insert().values(
            id=upload_id,
            tenant_id=tenant_id,
            wedding_id=wedding_id,
            name=name,
            length=length,
            sha256=sha256,
            upload_metadata=metadata,
            created_at=now,
            expires_at=expires_at,
        )
    )
    return get_resumable_upload(conn, upload_id, tenant_id=tenant_id)


def find_resumable_upload(
    conn: Connection, upload_id: str, *, tenant_id: int | None
) -> ResumableUpload | None:
    """The upload with this id, of this tenant (any tenant when None: sweeps only), or None."""
    query = _select().where(upload.c.id == upload_id)
    if tenant_id is not None:
        query = query.where(upload.c.tenant_id == tenant_id)
    row = conn.execute(query).first()
    return None if row is None else _from_row(row)


def get_resumable_upload(conn: Connection, upload_id: str, *, tenant_id: int) -> ResumableUpload:
    """The tenant's upload with this id, or NotFound (also for another tenant's upload)."""
    found = find_resumable_upload(conn, upload_id, tenant_id=tenant_id)
    if found is None:
        raise NotFound(
            f"no upload {upload_id[:40]!r}: it never existed, was terminated or expired; "
            "create a new upload"
        )
    return found


def extend_resumable_upload(conn: Connection, upload_id: str, *, expires_at: datetime) -> None:
    """Move the upload's expiry (each chunk that arrives keeps it alive)."""
    conn.execute(update(upload).where(upload.c.id == upload_id).values(expires_at=expires_at))


def finish_resumable_upload(conn: Connection, upload_id: str, *, photo_id: int) -> None:
    """Record the photo the completed upload became."""
    conn.execute(update(upload).where(upload.c.id == upload_id).values(photo_id=photo_id))


def delete_resumable_upload(conn: Connection, upload_id: str) -> bool:
    """Forget the upload; False when it was already gone."""
    return conn.execute(delete(upload).where(upload.c.id == upload_id)).rowcount > 0


def open_resumable_uploads(conn: Connection, *, tenant_id: int, now: datetime) -> tuple[int, int]:
    """The tenant's unfinished, unexpired uploads: how many, and the bytes they announced."""
    count, total = conn.execute(
        select(func.count(), func.coalesce(func.sum(upload.c.length), 0)).where(
            upload.c.tenant_id == tenant_id,
            upload.c.photo_id.is_(None),
            upload.c.expires_at > now,
        )
    ).one()
    return int(count), int(total)


def expired_resumable_uploads(conn: Connection, *, now: datetime, limit: int = 1000) -> list[str]:
    """Ids of uploads whose expiry is at or before `now`, oldest first."""
    query = (
        select(upload.c.id)
        .where(upload.c.expires_at <= now)
        .order_by(upload.c.expires_at)
        .limit(limit)
    )
    return list(conn.scalars(query))


def known_resumable_uploads(conn: Connection, ids: Iterable[str]) -> set[str]:
    """Which of these ids have a record (to find spool entries whose record is gone)."""
    wanted = list(ids)
    known: set[str] = set()
    for start in range(0, len(wanted), 500):
        batch = wanted[start : start + 500]
        known.update(conn.scalars(select(upload.c.id).where(upload.c.id.in_(batch))))
    return known

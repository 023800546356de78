"""Form documents: vendors' PDF forms sent for a wedding, and what reading them found.

A document is one PDF, keyed by its SHA-256 within a wedding (the same bytes sent twice are
one document), its original kept in the vault whatever becomes of it: a file that cannot be
read stays for inspection, with the one-line error that says why. Every reader takes the
tenant: another studio's document id reads as none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, func, select, update

from trousseau.catalog.backups import ChangeKind, record_change
from trousseau.catalog.engine import inserted_id
from trousseau.catalog.schema import form_document


class DocumentStatus(StrEnum):
    """A form document's status as stored in `form_document.status` (values never change).

    queued: stored and waiting for its `forms` job; done: read, its report in `result`;
    failed: it cannot be read (not a PDF, encrypted, damaged, over a limit): `error` says why.
    """

    QUEUED = "queued"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class FormDocument:
    id: int
    tenant_id: int
    wedding_id: int
    sha256: str
    filename: str
    bytes: int
    status: DocumentStatus
    error: str | None
    result: dict[str, Any] | None
    created_at: datetime
    finished_at: datetime | None

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", DocumentStatus(self.status))


def _from_row(row: object) -> FormDocument:
    m = row._mapping  # type: ignore[attr-defined]
    return FormDocument(**{name: m[name] for name in FormDocument.__dataclass_fields__})


def insert_document(
    conn: Connection,
    *,
    tenant_id: int,
    wedding_id: int,
    sha256: str,
    filename: str,
    size: int,
    now: datetime,
    deadline: datetime | None = None,
) -> int:
    """Record a PDF whose blob is already durable in the vault, queued; returns its id.

    The PDF goes into the backup change log in the same transaction (with the `deadline` of
    its reading, earlier first), so a vendor's form is backed up like a photo."""
    document_id = inserted_id(
        conn.execute(
            form_document.insert().values(
                tenant_id=tenant_id,
                wedding_id=wedding_id,
                sha256=sha256,
                filename=filename,
                bytes=size,
                status=DocumentStatus.QUEUED,
                created_at=now,
            )
        )
    )
    record_change(
        conn,
        tenant_id=tenant_id,
        wedding_id=wedding_id,
        kind=ChangeKind.BLOB,
        subject=sha256,
        deadline=deadline,
        now=now,
    )
    return document_id


def find_document(
    conn: Connection, *, tenant_id: int, wedding_id: int, sha256: str
) -> FormDocument | None:
    """The tenant's wedding's document with these bytes, or None."""
    row = conn.execute(
        select(form_document).where(
            form_document.c.tenant_id == tenant_id,
            form_document.c.wedding_id == wedding_id,
            form_document.c.sha256 == sha256,
        )
    ).first()
    return None if row is None else _from_row(row)


def get_document(conn: Connection, document_id: int, *, tenant_id: int) -> FormDocument | None:
    """The tenant's document by id, or None (another tenant's reads as none)."""
    row = conn.execute(
        select(form_document).where(
            form_document.c.id == document_id, form_document.c.tenant_id == tenant_id
        )
    ).first()
    return None if row is None else _from_row(row)


def page_documents(
    conn: Connection, *, tenant_id: int, wedding_id: int, after: int = 0, limit: int = 50
) -> list[FormDocument]:
    """Up to `limit` of the tenant's documents of a wedding with ids above `after`, by id."""
    query = (
        select(form_document)
        .where(
            form_document.c.tenant_id == tenant_id,
            form_document.c.wedding_id == wedding_id,
            form_document.c.id > after,
        )
        .order_by(form_document.c.id)
        .limit(limit)
    )
    return [_from_row(row) for row in conn.execute(query)]


def finish_document(
    conn: Connection,
    document_id: int,
    *,
    tenant_id: int,
    now: datetime,
    result: dict[str, Any] | None = None,
    error: str | None = None,
) -> None:
    """Mark the tenant's document done (with its report) or failed (with the error)."""
    status = DocumentStatus.FAILED if error is not None else DocumentStatus.DONE
    conn.execute(
        update(form_document)
        .where(form_document.c.id == document_id, form_document.c.tenant_id == tenant_id)
        .values(status=status, result=result, error=error, finished_at=now)
    )


def count_documents_by_wedding(
    conn: Connection, wedding_ids: Sequence[int], *, tenant_id: int | None
) -> dict[int, dict[DocumentStatus, int]]:
    """Each wedding's documents by status in one grouped query; every id gets an entry.

    `tenant_id` None counts every tenant's (the admin's view)."""
    ids = list(wedding_ids)
    counts: dict[int, dict[DocumentStatus, int]] = {i: {} for i in ids}
    if not ids:
        return counts
    query = (
        select(form_document.c.wedding_id, form_document.c.status, func.count())
        .where(form_document.c.wedding_id.in_(ids))
        .group_by(form_document.c.wedding_id, form_document.c.status)
    )
    if tenant_id is not None:
        query = query.where(form_document.c.tenant_id == tenant_id)
    for wedding_id, status, n in conn.execute(query):
        counts[wedding_id][DocumentStatus(status)] = n
    return counts

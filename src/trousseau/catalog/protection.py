"""Deploy protection's tables: emergency overrides and the hash-chained audit log.

The rules (who may approve, what an override covers, how an entry's hash is made) live in
`trousseau.freeze`; these functions only store and read rows, in the caller's transaction,
with instants from the caller. Rows come back as plain mappings of their columns.

The audit log is append-only: nothing here updates or deletes an entry. `append_audit`
inserts at the `seq` the caller computed from the head it read, after `lock_audit` (on
PostgreSQL a transaction-scoped advisory lock, so appenders wait their turn); should two
writers still read the same head, they collide on the primary key and the loser gets
`AuditConflict`, to be retried on the new head.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, or_, select, text, update
from sqlalchemy.exc import IntegrityError

from trousseau.catalog.schema import freeze_audit, freeze_override
from trousseau.errors import CatalogError, NotFound

AUDIT_LOCK = 0x7472_6F75_6175
"""The PostgreSQL advisory lock key ("trouau") appenders take for their transaction."""


def lock_audit(conn: Connection) -> None:
    """Hold the audit log for this transaction (PostgreSQL; SQLite serialises writers
    already): appenders queue here instead of colliding on the next entry number."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK})


class AuditConflict(CatalogError):
    """Another writer appended the same audit entry number first; read the head again."""


def insert_override(conn: Connection, values: Mapping[str, Any]) -> int:
    """Store a new override (its columns but `id`); its id."""
    row = dict(values)
    row.pop("id", None)
    row.setdefault("expiry_logged", False)
    result = conn.execute(insert(freeze_override).values(**row).returning(freeze_override.c.id))
    return int(result.scalar_one())


def get_override(conn: Connection, override_id: int, *, lock: bool = False) -> dict[str, Any]:
    query = select(freeze_override).where(freeze_override.c.id == override_id)
    if lock:
        query = query.with_for_update()
    row = conn.execute(query).mappings().first()
    if row is None:
        raise NotFound(f"override {override_id} does not exist: `trousseau freeze override list`")
    return dict(row)


def update_override(conn: Connection, override_id: int, values: Mapping[str, Any]) -> None:
    conn.execute(
        update(freeze_override).where(freeze_override.c.id == override_id).values(**values)
    )


def overrides_since(conn: Connection, *, now: datetime, since: datetime) -> list[dict[str, Any]]:
    """Overrides not yet expired at `since`, or expired without their expiry logged, oldest
    first."""
    query = (
        select(freeze_override)
        .where(
            or_(freeze_override.c.expires_at > since, freeze_override.c.expiry_logged.is_(False))
        )
        .where(freeze_override.c.requested_at <= now)
        .order_by(freeze_override.c.id)
    )
    return [dict(r) for r in conn.execute(query).mappings()]


def audit_head(conn: Connection) -> dict[str, Any] | None:
    """The newest audit entry, or None for an empty log."""
    row = (
        conn.execute(select(freeze_audit).order_by(freeze_audit.c.seq.desc()).limit(1))
        .mappings()
        .first()
    )
    return dict(row) if row else None


def append_audit(conn: Connection, entry: Mapping[str, Any]) -> None:
    """Insert one entry (seq, at, action, actor, body, prev_hash, hash) in a savepoint; a
    taken `seq` raises AuditConflict and leaves the transaction usable."""
    try:
        with conn.begin_nested():
            conn.execute(insert(freeze_audit).values(**entry))
    except IntegrityError:
        raise AuditConflict(f"audit entry {entry['seq']} was written by another writer") from None


def audit_entries(
    conn: Connection, *, after: int = 0, limit: int | None = None
) -> Sequence[dict[str, Any]]:
    """Entries with `seq` above `after`, in order."""
    query = select(freeze_audit).where(freeze_audit.c.seq > after).order_by(freeze_audit.c.seq)
    if limit is not None:
        query = query.limit(limit)
    return [dict(r) for r in conn.execute(query).mappings()]

"""The backup change log: what a backup must carry, recorded by the transaction that made it.

Every vault blob kept for a photo or a variant, and every catalog change a backup must carry,
appends one `backup_change` row in the same transaction as the change itself: a change that
rolls back leaves no row, a committed one always has its row. A backup worker reads what is
pending for its repository (earliest deadline first, so a same-day wedding goes first), backs
it up, and marks it done; it never rescans the vault.

Where each repository has got is its cursor (`backup_cursor`): every change up to it is in
the repository. Changes taken out of order (a same-day change beyond older ones) are noted in
`backup_done` until the changes before them are done too, then folded into the cursor.

The order is the change's id. On SQLite writers are serialised, so ids become visible in
order. On PostgreSQL ids are drawn when a row is inserted, not when it commits: a reader could
see change 11 while change 10 is still being committed, move past it and lose it. So a
writer holds a shared advisory lock from its change to its commit, and a reader takes the
lock exclusively before it reads: every change with a smaller id than one it sees is then
committed or gone for good. Readers hold it to the end of their transaction; keep their
transactions short (read, then back up outside the transaction), as writers wait meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    FromClause,
    String,
    Text,
    case,
    delete,
    exists,
    func,
    literal,
    select,
    text,
    true,
)
from sqlalchemy.dialects import postgresql, sqlite

from trousseau.catalog.schema import backup_change, backup_cursor, backup_done, photo
from trousseau.catalog.types import Id, UTCDateTime
from trousseau.errors import InvalidValue

CHANGE_LOG_LOCK = 0x7472_6F75_6368
"""The PostgreSQL advisory lock key ("trouch") writers share and readers take alone."""


class ChangeKind(StrEnum):
    """What a change is about, as stored in `backup_change.kind` (the values never change)."""

    BLOB = "blob"
    """A vault blob kept for an original or a variant; the subject is its SHA-256."""
    CATALOG = "catalog"
    """Catalog rows a backup must carry (a wedding created); the subject names them, e.g.
    "wedding:7"."""


def _kind(value: str) -> ChangeKind | str:
    """The kind read from a row: the enum member, or the raw text of a kind newer code wrote."""
    try:
        return ChangeKind(value)
    except ValueError:
        return value


@dataclass(frozen=True)
class Change:
    """One entry of the change log."""

    id: int
    tenant_id: int
    wedding_id: int | None
    """None for a change of the whole tenant."""
    kind: ChangeKind | str
    subject: str
    deadline: datetime | None
    """The delivery deadline of the work it belongs to, when known: earlier goes first."""
    created_at: datetime


@dataclass(frozen=True)
class BackupLag:
    """How far a repository is behind the change log."""

    repository: str
    cursor: int
    """Every change up to this id is in the repository."""
    pending: int
    """Changes not in the repository yet."""
    oldest_pending_at: datetime | None
    """When the oldest of them was made; None when nothing is pending."""
    seconds_behind: float
    """How long the oldest pending change has waited (0.0 when nothing is pending)."""
    updated_at: datetime | None = None
    """When a backup run last moved the cursor (its snapshot was committed just before);
    None for a repository that never completed a run."""


_COLUMNS = ["tenant_id", "wedding_id", "kind", "subject", "deadline", "created_at"]


def _insert(
    conn: Connection,
    values: Sequence[ColumnElement[Any]],
    *,
    table: FromClause | None = None,
    where: ColumnElement[bool] | None = None,
) -> int | None:
    """Append the row `values` (in `_COLUMNS` order, read from `table` where `where` holds)
    in one statement; returns the new id, None when `table` has no such row.

    On PostgreSQL the statement first takes the writers' shared lock (a subquery the insert
    reads from, so it is held before the id is drawn) until the transaction ends.
    """
    source = select(*values)
    if conn.dialect.name == "postgresql":
        lock = select(func.pg_advisory_xact_lock_shared(CHANGE_LOG_LOCK).label("locked"))
        locked: FromClause = lock.subquery("change_log_lock")
        if table is not None:
            locked = locked.join(table, true())
        source = source.select_from(locked)
    elif table is not None:
        source = source.select_from(table)
    if where is not None:
        source = source.where(where)
    statement = backup_change.insert().from_select(_COLUMNS, source).returning(backup_change.c.id)
    new_id: int | None = conn.execute(statement).scalar()
    return new_id


def record_change(
    conn: Connection,
    *,
    tenant_id: int,
    wedding_id: int | None,
    kind: ChangeKind,
    subject: str,
    deadline: datetime | None,
    now: datetime,
) -> int:
    """Append one change in the caller's transaction; returns its id (its place in the log).

    The kind must be a `ChangeKind` (or its text): an undeclared kind is a ValueError here,
    not a change no backup knows how to carry.
    """
    values: list[ColumnElement[Any]] = [
        literal(tenant_id, Id),
        literal(wedding_id, Id),
        literal(ChangeKind(kind).value, String(16)),
        literal(subject, Text),
        literal(deadline, UTCDateTime()),
        literal(now, UTCDateTime()),
    ]
    new_id = _insert(conn, values)
    if new_id is None:  # pragma: no cover - an INSERT of one selected row returns its id
        raise ValueError("the change log insert returned no id")
    return new_id


def record_photo_blob(
    conn: Connection, *, photo_id: int, sha256: str, deadline: datetime | None, now: datetime
) -> None:
    """Append the change for a blob kept for photo `photo_id` (a variant), reading the
    photo's tenant and wedding in the same statement; nothing when there is no such photo."""
    values: list[ColumnElement[Any]] = [
        photo.c.tenant_id,
        photo.c.wedding_id,
        literal(ChangeKind.BLOB.value, String(16)),
        literal(sha256, Text),
        literal(deadline, UTCDateTime()),
        literal(now, UTCDateTime()),
    ]
    _insert(conn, values, table=photo, where=photo.c.id == photo_id)


def _settle(conn: Connection) -> None:
    """Wait until every change drawn so far is committed or gone (PostgreSQL; see above)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHANGE_LOG_LOCK})


def _from_row(row: Any) -> Change:
    m = row._mapping
    return Change(
        id=m["id"],
        tenant_id=m["tenant_id"],
        wedding_id=m["wedding_id"],
        kind=_kind(m["kind"]),
        subject=m["subject"],
        deadline=m["deadline"],
        created_at=m["created_at"],
    )


def _check_limit(limit: int) -> None:
    if limit < 1:
        raise InvalidValue(f"a page of changes holds at least one change, not {limit}")


def changes_after(conn: Connection, after_id: int, *, limit: int) -> list[Change]:
    """Up to `limit` changes with ids above `after_id`, in id order (the log as written).

    Settled: no change with a smaller id than the last one returned can appear later.
    """
    _check_limit(limit)
    _settle(conn)
    rows = conn.execute(
        select(backup_change)
        .where(backup_change.c.id > after_id)
        .order_by(backup_change.c.id)
        .limit(limit)
    )
    return [_from_row(row) for row in rows]


def latest_change_id(conn: Connection) -> int:
    """The newest change's id (0 for an empty log), settled: every change up to it is
    committed or gone, so a full backup taken after reading it may move a cursor to it."""
    _settle(conn)
    latest: int | None = conn.execute(select(func.max(backup_change.c.id))).scalar()
    return latest or 0


def _cursor(conn: Connection, repository: str) -> int:
    found: int | None = conn.execute(
        select(backup_cursor.c.last_change_id).where(backup_cursor.c.repository == repository)
    ).scalar()
    return found or 0


def _not_done(repository: str) -> Any:
    return ~exists().where(
        backup_done.c.repository == repository, backup_done.c.change_id == backup_change.c.id
    )


def pending_changes(conn: Connection, repository: str, *, limit: int) -> list[Change]:
    """Up to `limit` changes `repository` does not hold yet: earliest deadline first (changes
    without one last), then by id.

    A repository never seen holds nothing yet: every change is pending (its first backup is a
    full one, which then moves the cursor with `advance_cursor`). Once a batch is backed up,
    `mark_backed_up` records it.
    """
    _check_limit(limit)
    _settle(conn)
    rows = conn.execute(
        select(backup_change)
        .where(backup_change.c.id > _cursor(conn, repository), _not_done(repository))
        .order_by(backup_change.c.deadline.asc().nulls_last(), backup_change.c.id)
        .limit(limit)
    )
    return [_from_row(row) for row in rows]


def _store_cursor(conn: Connection, repository: str, change_id: int, now: datetime) -> int:
    """Move the cursor forward to `change_id` (never back, whoever else moves it) and drop
    the done marks it now covers; returns the cursor."""
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    statement = insert(backup_cursor).values(
        repository=repository, last_change_id=change_id, updated_at=now
    )
    current, proposed = backup_cursor.c.last_change_id, statement.excluded.last_change_id
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=[backup_cursor.c.repository],
            set_={
                "last_change_id": case((current > proposed, current), else_=proposed),
                "updated_at": statement.excluded.updated_at,
            },
        )
    )
    cursor = _cursor(conn, repository)
    conn.execute(
        delete(backup_done).where(
            backup_done.c.repository == repository, backup_done.c.change_id <= cursor
        )
    )
    return cursor


def advance_cursor(conn: Connection, repository: str, change_id: int, *, now: datetime) -> int:
    """Record that `repository` holds every change up to `change_id`; returns the cursor.

    For a full backup: read `latest_change_id` before it starts, advance to it once its
    snapshot is saved. The cursor never moves back (a smaller id leaves it where it is).
    After a batch from `pending_changes`, use `mark_backed_up`: a batch taken by deadline
    need not hold every change below its largest id.
    """
    if change_id < 0:
        raise InvalidValue(f"a change id is 0 or more, not {change_id}")
    return _store_cursor(conn, repository, change_id, now)


def mark_backed_up(
    conn: Connection, repository: str, change_ids: Iterable[int], *, now: datetime
) -> int:
    """Record that `repository` holds the changes `change_ids` (a batch of
    `pending_changes`, backed up); returns the cursor after.

    The cursor moves over every change now held from its start up to the first one still
    missing; the others are remembered as done, so `pending_changes` does not return them
    again, until the changes before them are done too.
    """
    cursor = _cursor(conn, repository)
    ids = sorted({i for i in change_ids if i > cursor})
    if ids:
        insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
        conn.execute(
            insert(backup_done).on_conflict_do_nothing(),
            [{"repository": repository, "change_id": i} for i in ids],
        )
    _settle(conn)
    first_missing: int | None = conn.execute(
        select(backup_change.c.id)
        .where(backup_change.c.id > cursor, _not_done(repository))
        .order_by(backup_change.c.id)
        .limit(1)
    ).scalar()
    if first_missing is not None:
        reached = first_missing - 1
    else:
        latest: int | None = conn.execute(select(func.max(backup_change.c.id))).scalar()
        reached = latest or 0
    return _store_cursor(conn, repository, max(reached, cursor), now)


def backup_lag(conn: Connection, repository: str, *, now: datetime) -> BackupLag:
    """How far `repository` is behind: its cursor, the changes pending and how long the
    oldest has waited. Read as it stands (never waits for writers): for metrics and alerts."""
    stored = conn.execute(
        select(backup_cursor.c.last_change_id, backup_cursor.c.updated_at).where(
            backup_cursor.c.repository == repository
        )
    ).first()
    cursor, updated_at = (stored[0], stored[1]) if stored is not None else (0, None)
    pending, oldest = conn.execute(
        select(func.count(), func.min(backup_change.c.created_at)).where(
            backup_change.c.id > cursor, _not_done(repository)
        )
    ).one()
    oldest_at: datetime | None = oldest  # min() keeps the column's type: aware UTC
    behind = 0.0 if oldest_at is None else max(0.0, (now - oldest_at).total_seconds())
    return BackupLag(repository, cursor, int(pending), oldest_at, behind, updated_at)


def followed_lags(conn: Connection, *, now: datetime, within: float) -> list[BackupLag]:
    """The lag of each repository whose cursor moved in the last `within` seconds: those a
    backup is following now. A repository left behind (a replica synced weekly, one no
    longer used) is not read at all, however long its backlog."""
    since = now - timedelta(seconds=within)
    repositories = conn.execute(
        select(backup_cursor.c.repository)
        .where(backup_cursor.c.updated_at >= since)
        .order_by(backup_cursor.c.repository)
    ).scalars()
    return [backup_lag(conn, repository, now=now) for repository in list(repositories)]


def backup_lags(conn: Connection, *, now: datetime) -> list[BackupLag]:
    """The lag of every repository that has backed up at least once (for /metrics)."""
    repositories = conn.execute(
        select(backup_cursor.c.repository).order_by(backup_cursor.c.repository)
    ).scalars()
    return [backup_lag(conn, repository, now=now) for repository in list(repositories)]

"""The Catalog handle: one engine, its dialect, transactions, and what the driver's errors mean.

A driver error is translated here, once, into the catalog's error family: a database that
does not answer is CatalogUnreachable; one whose disk is full (SQLite's SQLITE_FULL,
PostgreSQL's SQLSTATE 53100) is CatalogFull, whatever statement hit it. Anything else (a
constraint, a bug) passes through as it is.

A full disk is also remembered: an upload that would store an original only to fail at its
record asks `write_failure` first, and so does readiness. The memory is re-checked with a
probe write (rolled back) at most every few seconds, so room coming back is seen at once.
"""

from __future__ import annotations

import base64
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError, OperationalError

from trousseau.catalog.engine import make_engine, normalise_url
from trousseau.catalog.migrate import ensure_current
from trousseau.catalog.schema import event
from trousseau.errors import CatalogError, CatalogFull, CatalogUnreachable
from trousseau.settings import redact_url

DISK_FULL_SQLSTATE = "53100"
"""PostgreSQL's disk_full: "could not extend file", "could not write to file" (ENOSPC)."""
SQLITE_FULL = 13
"""SQLite's primary result code for "database or disk is full" (ENOSPC, max_page_count)."""
WRITE_RECHECK_SECONDS = 5.0
"""How long a remembered disk-full failure stands before a probe write checks it again."""
PROBE_BYTES = 16 * 1024
"""What the probe write stores (and rolls back): more than any photo's record, so a probe
that fits means the next record fits too."""
MIN_FREE_BYTES = 1024 * 1024
"""Free space below which a SQLite catalog's disk counts as full: room for its write-ahead
log to take a few more transactions."""


class _RollBack(Exception):
    """Ends the probe's transaction without committing it."""


class Catalog:
    """The database behind trousseau: SQLite by default, PostgreSQL at scale."""

    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.url = redact_url(url)
        self.dialect: str = engine.dialect.name
        self.write_recheck_seconds = WRITE_RECHECK_SECONDS
        self._full_lock = threading.Lock()
        self._full: CatalogFull | None = None
        self._full_checked = 0.0

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A transaction that commits on success and rolls back on any exception.

        CatalogUnreachable or CatalogFull (remembered, see `write_failure`) when the driver
        says so, at any statement or at the commit.
        """
        try:
            with self.engine.begin() as conn:
                yield conn
        except DBAPIError as exc:
            failure = catalog_failure(self.url, exc)
            if failure is None:
                raise
            if isinstance(failure, CatalogFull):
                self._remember(failure)
            raise failure from exc

    def ping(self) -> None:
        """Raise CatalogUnreachable unless the database answers a trivial query."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except OperationalError as exc:
            raise catalog_failure(self.url, exc) or _unreachable(self.url, exc) from exc

    def write_failure(self) -> CatalogFull | None:
        """Why the catalog cannot take a write now, as far as this process can tell; None if
        it can. Cheap enough to ask before every upload.

        After a disk-full failure, that failure, re-checked by a probe write (16 KiB, rolled
        back) at most every `write_recheck_seconds`. A SQLite catalog's filesystem is also
        asked for its free space, which a rolled-back write does not touch.
        """
        with self._full_lock:
            remembered = self._full
            if remembered is not None:
                if time.monotonic() - self._full_checked < self.write_recheck_seconds:
                    return remembered
                self._full_checked = time.monotonic()  # one probe at a time, not one a caller
        failure = self._disk_space()
        if failure is None and remembered is not None:
            failure = self._probe()
        with self._full_lock:
            self._full = failure
            self._full_checked = time.monotonic()
        return failure

    def check_writable(self) -> None:
        """Raise CatalogFull if `write_failure` has one: before storing what the catalog must
        then record (an original that could not be recorded would stay an orphan blob)."""
        failure = self.write_failure()
        if failure is not None:
            raise CatalogFull(str(failure))

    def dispose(self) -> None:
        """Close pooled connections (also needed in a child process after fork)."""
        self.engine.dispose()

    def _remember(self, failure: CatalogFull) -> None:
        with self._full_lock:
            self._full = failure
            self._full_checked = time.monotonic()

    def _probe(self) -> CatalogFull | None:
        """Store an event row larger than any photo's record, and roll it back."""
        filler = base64.b64encode(os.urandom(PROBE_BYTES * 3 // 4)).decode()
        row = {"at": datetime(2000, 1, 1, tzinfo=UTC), "kind": "write_probe", "message": filler}
        try:
            with self.begin() as conn:
                conn.execute(event.insert().values(**row))
                raise _RollBack
        except _RollBack:
            return None
        except CatalogFull as exc:
            return exc
        except CatalogError:
            return None  # not a full disk: readiness's own checks say what it is

    def _disk_space(self) -> CatalogFull | None:
        """CatalogFull when a SQLite catalog's filesystem has less than MIN_FREE_BYTES free."""
        database = self.engine.url.database if self.dialect == "sqlite" else None
        if not database:
            return None
        folder = Path(database).parent
        try:
            status = os.statvfs(folder)
        except OSError:
            return None  # the database's own errors will say what is wrong
        free = status.f_bavail * status.f_frsize
        if free >= MIN_FREE_BYTES:
            return None
        return CatalogFull(
            f"catalog disk full: the catalog at {self.url} is on a disk with {free} bytes free "
            f"({folder}), too little for its next writes: nothing more can be recorded; free "
            "space on that disk or grow its volume, then retry"
        )


def open_catalog(
    url: str,
    *,
    auto_migrate: bool = True,
    check_schema: bool = True,
    busy_timeout_ms: int = 10_000,
    **engine_options: Any,
) -> Catalog:
    """Connect, check the database answers, and bring its schema up to date when safe.

    `check_schema=False` skips the schema check (for `trousseau init`, which migrates itself).
    """
    url = normalise_url(url)
    catalog = Catalog(make_engine(url, busy_timeout_ms=busy_timeout_ms, **engine_options), url)
    catalog.ping()
    if not check_schema:
        return catalog
    try:
        ensure_current(catalog.engine, auto_migrate=auto_migrate)
    except OperationalError as exc:
        raise catalog_failure(catalog.url, exc) or _unreachable(catalog.url, exc) from exc
    return catalog


def catalog_failure(url: str, exc: DBAPIError) -> CatalogError | None:
    """The catalog error a driver error means (`url` redacted, for the message), or None when
    it is none of the catalog's failures (a constraint, a bug: the caller's to handle)."""
    if is_disk_full(exc.orig):
        return CatalogFull(
            f"catalog disk full: the catalog at {url} refused a write because its disk is full "
            f"({_first_line(exc)}): nothing of that write was kept; free space on the "
            "catalog's disk or grow its volume (PostgreSQL: its data directory's), then retry"
        )
    if isinstance(exc, OperationalError) and _is_unreachable(exc):
        return _unreachable(url, exc)
    return None


def is_disk_full(orig: BaseException | None) -> bool:
    """Whether a driver's exception says the database's disk is full, on either backend.

    Decided by code, not by wording: PostgreSQL's SQLSTATE 53100 (psycopg.errors.DiskFull;
    53200 is memory, not disk) and SQLite's primary result code SQLITE_FULL. A sqlite3 error
    without its code (raised by hand) is read by SQLite's fixed message.
    """
    if orig is None:
        return False
    if getattr(orig, "sqlstate", None) == DISK_FULL_SQLSTATE:
        return True
    if isinstance(orig, sqlite3.Error):
        code = getattr(orig, "sqlite_errorcode", None)
        if isinstance(code, int):
            return code & 0xFF == SQLITE_FULL
        return "database or disk is full" in str(orig)
    return False


_GONE_SQLSTATES = frozenset({"57P01", "57P02", "57P03"})
"""PostgreSQL shutting down (admin, crash) or not accepting connections yet."""


def _is_unreachable(exc: OperationalError) -> bool:
    """The database cannot be reached or went away (SQLAlchemy saw a disconnect, a
    connection-exception or shutdown SQLSTATE, or the driver's words say so)."""
    if exc.connection_invalidated:
        return True
    sqlstate = getattr(exc.orig, "sqlstate", None) or ""
    if sqlstate.startswith("08") or sqlstate in _GONE_SQLSTATES:
        return True
    message = str(exc.orig).lower()
    return any(
        hint in message
        for hint in (
            "connection refused",
            "could not connect",
            "timeout expired",
            "unable to open",
            "server closed the connection",
            "terminating connection",
            "connection is closed",
        )
    )


def _first_line(exc: DBAPIError) -> str:
    lines = str(exc.orig).strip().splitlines() if exc.orig else []
    return lines[0] if lines else str(exc).strip().splitlines()[0]


def _unreachable(url: str, exc: OperationalError) -> CatalogUnreachable:
    return CatalogUnreachable(
        f"cannot reach the catalog at {url}: {_first_line(exc)}: check TROUSSEAU_CATALOG_URL "
        "and that the database is running"
    )

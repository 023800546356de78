"""The Catalog handle: one engine, its dialect, and transactions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import OperationalError

from trousseau.catalog.engine import make_engine, normalise_url
from trousseau.catalog.migrate import ensure_current
from trousseau.errors import CatalogUnreachable
from trousseau.settings import redact_url


class Catalog:
    """The database behind trousseau: SQLite by default, PostgreSQL at scale."""

    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.url = redact_url(url)
        self.dialect: str = engine.dialect.name

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A transaction that commits on success and rolls back on any exception."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except OperationalError as exc:
            if _is_unreachable(exc):
                raise _unreachable(self.url, exc) from None
            raise

    def ping(self) -> None:
        """Raise CatalogUnreachable unless the database answers a trivial query."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except OperationalError as exc:
            raise _unreachable(self.url, exc) from None

    def dispose(self) -> None:
        """Close pooled connections (also needed in a child process after fork)."""
        self.engine.dispose()


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
        raise _unreachable(catalog.url, exc) from None
    return catalog


def _is_unreachable(exc: OperationalError) -> bool:
    message = str(exc.orig).lower()
    return any(
        hint in message
        for hint in ("connection refused", "could not connect", "timeout expired", "unable to open")
    )


def _unreachable(url: str, exc: OperationalError) -> CatalogUnreachable:
    reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
    return CatalogUnreachable(
        f"cannot reach the catalog at {url}: {reason}: check TROUSSEAU_CATALOG_URL and that "
        "the database is running"
    )

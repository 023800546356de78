"""Creating engines that behave well on both backends.

SQLite runs in WAL mode with a busy timeout and `BEGIN IMMEDIATE` transactions, so that
concurrent writers (the ingest, several worker processes) queue for the write lock instead of
failing with "database is locked" halfway through. PostgreSQL goes through psycopg 3.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import CursorResult, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import NullPool

from trousseau.errors import CatalogError
from trousseau.settings import redact_url

SUPPORTED = "sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DB"


def normalise_url(url: str) -> str:
    """Accept `postgresql://` and `postgres://` as psycopg 3 URLs."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, *, busy_timeout_ms: int = 10_000, **kwargs: Any) -> Engine:
    """An engine for the catalog URL, or a CatalogError naming what is wrong with it."""
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise CatalogError(
            f"catalog URL {redact_url(url)!r} is not a database URL: use {SUPPORTED}"
        ) from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(parsed.database or "", url, busy_timeout_ms, **kwargs)
    if backend == "postgresql":
        if parsed.get_driver_name() != "psycopg":
            raise CatalogError(
                f"catalog URL {redact_url(url)!r} uses driver {parsed.get_driver_name()!r}: "
                "use postgresql+psycopg:// (psycopg 3)"
            )
        connect_args = {"connect_timeout": 5, "application_name": "trousseau"}
        return create_engine(
            url,
            pool_pre_ping=True,
            pool_size=kwargs.pop("pool_size", 5),
            connect_args=connect_args,
            **kwargs,
        )
    raise CatalogError(
        f"catalog URL {redact_url(url)!r} names an unsupported database {backend!r}: "
        f"use {SUPPORTED}"
    )


def _sqlite_engine(database: str, url: str, busy_timeout_ms: int, **kwargs: Any) -> Engine:
    if database in ("", ":memory:"):
        raise CatalogError(
            "an in-memory SQLite catalog would lose every record at exit: give a file path"
        )
    path = Path(database)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CatalogError(
            f"cannot create the catalog directory {path.parent}: {exc.strerror}: "
            "choose a writable data directory (TROUSSEAU_DATA_DIR)"
        ) from None
    engine = create_engine(
        url,
        poolclass=NullPool if kwargs.pop("null_pool", False) else None,
        connect_args={"timeout": busy_timeout_ms / 1000, "check_same_thread": False},
        **kwargs,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def inserted_id(result: CursorResult[Any]) -> int:
    """The primary key of the row an INSERT statement's `result` created."""
    key = result.inserted_primary_key
    if key is None:
        raise ValueError("the statement inserted no row")
    new_id: int = key[0]
    return new_id

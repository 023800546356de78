"""A full catalog disk is its own error, CatalogFull, never "unreachable" or a bare driver error.

SQLite says SQLITE_FULL ("database or disk is full"); PostgreSQL says SQLSTATE 53100
(disk_full, "could not extend file … No space left on device"). Either is CatalogFull, whose
message names the catalog, says its disk is full and what to do; the catalog remembers it, so
readiness and new uploads can tell before they store anything, until room is back.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import psycopg.errors
import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from trousseau.catalog import Catalog, catalog_failure, ensure_tenant
from trousseau.errors import CatalogError, CatalogFull, CatalogUnreachable

from ..conftest import FakeClock
from .diskfull import DiskFull


@pytest.fixture
def disk(catalog: Catalog) -> Iterator[DiskFull]:
    full = DiskFull(catalog.engine)
    yield full
    full.free()


def fill_up(catalog: Catalog, clock: FakeClock) -> CatalogFull:
    """Write tenants with long names until the catalog refuses one; return its error."""
    for index in range(1000):
        try:
            with catalog.begin() as conn:
                ensure_tenant(conn, f"studio-{index}", now=clock(), name="n" * 3000)
        except CatalogFull as exc:
            return exc
    raise AssertionError("the catalog never filled up")


def test_a_full_catalog_raises_catalog_full_saying_so(
    catalog: Catalog, disk: DiskFull, clock: FakeClock
) -> None:
    disk.fill()

    error = fill_up(catalog, clock)

    message = str(error)
    assert catalog.url in message
    assert "disk is full" in message
    assert "free space" in message
    assert "unreachable" not in message
    assert isinstance(error, CatalogError)


def test_the_catalog_remembers_it_is_full_until_room_is_back(
    catalog: Catalog, disk: DiskFull, clock: FakeClock
) -> None:
    assert catalog.write_failure() is None
    disk.fill()
    fill_up(catalog, clock)

    assert isinstance(catalog.write_failure(), CatalogFull)
    catalog.write_recheck_seconds = 0
    assert isinstance(catalog.write_failure(), CatalogFull)  # the probe finds no room either

    disk.free()

    assert catalog.write_failure() is None
    with catalog.begin() as conn:
        ensure_tenant(conn, "studio-after", now=clock(), name="n" * 3000)


def test_a_remembered_failure_is_rechecked_only_every_few_seconds(
    catalog: Catalog, disk: DiskFull, clock: FakeClock
) -> None:
    disk.fill()
    fill_up(catalog, clock)
    disk.free()

    assert isinstance(catalog.write_failure(), CatalogFull)  # not rechecked yet: still full


def _wrapped(orig: BaseException) -> OperationalError:
    return OperationalError("INSERT INTO photo …", {}, orig)


def _sqlite_error(message: str, code: int | None) -> sqlite3.OperationalError:
    error = sqlite3.OperationalError(message)
    if code is not None:
        error.sqlite_errorcode = code
    return error


@pytest.mark.parametrize(
    "orig",
    [
        psycopg.errors.DiskFull('could not extend file "base/1/2": No space left on device'),
        psycopg.errors.DiskFull("could not write to file: No space left on device"),
        _sqlite_error("database or disk is full", 13),
        _sqlite_error("database or disk is full", None),
    ],
    ids=["pg-extend", "pg-write", "sqlite-full", "sqlite-message-only"],
)
def test_disk_full_of_either_backend_is_catalog_full(orig: BaseException) -> None:
    error = catalog_failure("postgresql+psycopg://app@db/trousseau", _wrapped(orig))

    assert isinstance(error, CatalogFull)
    assert "postgresql+psycopg://app@db/trousseau" in str(error)


@pytest.mark.parametrize(
    "orig",
    [
        psycopg.errors.OperationalError("connection refused"),
        _sqlite_error("unable to open database file", 14),
    ],
)
def test_a_database_that_does_not_answer_is_unreachable(orig: BaseException) -> None:
    assert isinstance(catalog_failure("sqlite:///c.db", _wrapped(orig)), CatalogUnreachable)


@pytest.mark.parametrize(
    "orig",
    [
        psycopg.errors.OutOfMemory("out of memory"),  # 53200: same class, not the disk
        psycopg.errors.TooManyConnections("too many clients"),
        _sqlite_error("database is locked", 5),
    ],
)
def test_other_failures_are_not_taken_for_a_full_disk(orig: BaseException) -> None:
    assert not isinstance(catalog_failure("sqlite:///c.db", _wrapped(orig)), CatalogFull)


def test_a_constraint_is_not_a_catalog_failure() -> None:
    error = IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE constraint failed"))

    assert catalog_failure("sqlite:///c.db", error) is None

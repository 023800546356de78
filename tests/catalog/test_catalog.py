"""Catalog basics on both backends: migrations, instants, tenant scoping, refusal of bad schemas."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from trousseau.catalog import (
    create_wedding,
    current_revision,
    ensure_tenant,
    find_wedding,
    get_wedding,
    head_revision,
    open_catalog,
    upgrade,
)
from trousseau.errors import NotFound, SchemaOutOfDate, SettingsError


def test_fresh_catalog_is_at_head_and_upgrade_is_idempotent(catalog):
    with catalog.engine.connect() as conn:
        assert current_revision(conn) == head_revision()
    assert upgrade(catalog.engine) == (head_revision(), head_revision())


def test_head_revision_constant_is_the_migrations_head(catalog):
    """The start-up check compares the recorded revision with HEAD_REVISION without loading
    Alembic: the constant must name the migrations directory's head, and be what a fresh
    catalog records, as Alembic reads it, on both backends."""
    from alembic.runtime.migration import MigrationContext

    from trousseau.catalog.migrate import HEAD_REVISION, _script

    assert _script().get_current_head() == HEAD_REVISION == head_revision()
    with catalog.engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == HEAD_REVISION


def test_sqlite_runs_in_wal_mode(tmp_path):
    catalog = open_catalog(f"sqlite:///{tmp_path / 'c.sqlite3'}")
    with catalog.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    catalog.dispose()


def test_instants_come_back_aware_and_equal(catalog):
    paris = timezone(timedelta(hours=2))
    at = datetime(2026, 6, 13, 16, 30, 15, 123456, tzinfo=paris)
    with catalog.begin() as conn:
        tenant = ensure_tenant(conn, "studio", now=at)
        from trousseau.catalog.schema import tenant as table

        stored = conn.execute(table.select().where(table.c.id == tenant.id)).one().created_at
    assert stored == at and stored.tzinfo is not None
    assert stored.utcoffset() == timedelta(0)


def test_weddings_are_scoped_by_tenant(catalog, clock):
    with catalog.begin() as conn:
        a = ensure_tenant(conn, "studio-a", now=clock())
        b = ensure_tenant(conn, "studio-b", now=clock())
        create_wedding(
            conn,
            a.id,
            "smith-jones",
            on=date(2026, 6, 13),
            timezone="Europe/Paris",
            delivery_sla="same-day",
            now=clock(),
        )
        assert find_wedding(conn, b.id, "smith-jones") is None
        with pytest.raises(NotFound, match="no wedding 'smith-jones'"):
            get_wedding(conn, b.id, "smith-jones")
        assert get_wedding(conn, a.id, "smith-jones").timezone == "Europe/Paris"
        assert find_wedding(conn, a.id, "smith\x00-jones") is None  # PostgreSQL refuses NUL
        with pytest.raises(NotFound):
            get_wedding(conn, a.id, "\x00")


def test_time_zone_must_be_iana(catalog, clock):
    with catalog.begin() as conn:
        t = ensure_tenant(conn, "s", now=clock())
        with pytest.raises(SettingsError, match="not an IANA time zone"):
            create_wedding(
                conn,
                t.id,
                "w",
                on=date(2026, 1, 1),
                timezone="CEST",
                delivery_sla="standard",
                now=clock(),
            )


def test_a_schema_newer_than_the_code_is_refused(catalog_url):
    catalog = open_catalog(catalog_url)
    with catalog.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    try:
        with pytest.raises(SchemaOutOfDate, match="newer than this trousseau knows"):
            open_catalog(catalog_url)
    finally:
        with catalog.begin() as conn:
            conn.execute(
                text("UPDATE alembic_version SET version_num = :v"), {"v": head_revision()}
            )
        catalog.dispose()


@pytest.mark.parametrize(
    ("dialect", "current", "auto", "expected"),
    [
        ("sqlite", "0001", True, "none"),
        ("sqlite", None, True, "upgrade"),
        ("sqlite", "0000", True, "upgrade"),
        ("postgresql", None, True, "upgrade"),
        ("postgresql", "0000", True, "run `trousseau init`"),
        ("postgresql", None, False, "run `trousseau init`"),
        ("sqlite", "0000", False, "run `trousseau init`"),
        ("postgresql", "9999", True, "newer than this trousseau knows"),
    ],
)
def test_migration_policy(dialect, current, auto, expected):
    from trousseau.catalog.migrate import migration_action

    kwargs = {"dialect": dialect, "current": current, "head": "0001", "known": {"0000", "0001"}}
    if expected in ("none", "upgrade"):
        assert migration_action(**kwargs, auto_migrate=auto) == expected
    else:
        with pytest.raises(SchemaOutOfDate, match=expected):
            migration_action(**kwargs, auto_migrate=auto)


def test_naive_instant_is_refused(catalog):
    with pytest.raises(Exception, match="timezone-aware"), catalog.begin() as conn:
        ensure_tenant(conn, "s", now=datetime(2026, 1, 1))


def test_utc_constant_roundtrip(catalog):
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    with catalog.begin() as conn:
        assert ensure_tenant(conn, "x", now=now).slug == "x"


def test_migrations_build_exactly_the_declared_schema(catalog):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from trousseau.catalog.schema import metadata

    with catalog.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []

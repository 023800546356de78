"""Migrations that move data: existing rows come out of an upgrade with what the code needs."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from trousseau.catalog import migrate, open_catalog
from trousseau.catalog.engine import make_engine
from trousseau.catalog.migrate import _config, upgrade

from ..conftest import PG_ADMIN_URL, _psycopg_url


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database on each backend, for migrating step by step."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.sqlite3'}"
        return
    if os.environ.get("TROUSSEAU_TEST_POSTGRES") == "skip":
        pytest.skip("TROUSSEAU_TEST_POSTGRES=skip")
    import psycopg

    name = f"trousseau_migration_{os.getpid()}"
    with psycopg.connect(_psycopg_url(PG_ADMIN_URL), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(_psycopg_url(PG_ADMIN_URL), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _migrate(engine, revision: str) -> None:
    config = _config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def test_the_recorded_revision_is_read_as_alembic_reads_it(empty_url):
    """`current_revision` reads alembic_version with plain SQL (no Alembic import on start):
    None for an empty database, then each revision Alembic records."""
    from alembic.runtime.migration import MigrationContext

    from trousseau.catalog import current_revision

    engine = create_engine(empty_url)
    with engine.connect() as conn:
        assert current_revision(conn) is None
    for revision in ("0001", "head"):
        _migrate(engine, revision)
        with engine.connect() as conn:
            assert current_revision(conn) == MigrationContext.configure(conn).get_current_revision()
            assert current_revision(conn) is not None
    engine.dispose()


def _seed(conn, now: str) -> None:
    """Tenant 1, its wedding 7 and that wedding's photo 42, as an older schema holds them."""
    conn.execute(
        text("INSERT INTO tenant (id, slug, name, created_at) VALUES (1, 's', 'S', :now)"),
        {"now": now},
    )
    conn.execute(
        text(
            "INSERT INTO wedding (id, tenant_id, slug, title, date, timezone, delivery_sla,"
            " created_at) VALUES (7, 1, 'w', 'W', '2026-06-13', 'UTC', 'same-day', :now)"
        ),
        {"now": now},
    )
    conn.execute(
        text(
            "INSERT INTO photo (id, tenant_id, wedding_id, sha256, original_name, bytes,"
            " format, state, created_at) VALUES (42, 1, 7, :sha, 'a.jpg', 1, 'jpeg',"
            " 'stored', :now)"
        ),
        {"sha": "0" * 64, "now": now},
    )


def test_jobs_of_an_older_catalog_get_their_photo_as_subject(empty_url):
    engine = create_engine(empty_url)
    _migrate(engine, "0006")
    now = "2026-06-13 12:00:00+00:00"
    with engine.begin() as conn:
        _seed(conn, now)
        for job_id, payload in [(1, {"photo_id": 42}), (2, {}), (3, {"photo_id": 999})]:
            conn.execute(
                text(
                    "INSERT INTO job (id, tenant_id, kind, payload, key, sla, deadline, state,"
                    " attempts, max_attempts, run_after, created_at) VALUES (:id, 1, 'k',"
                    " :payload, :key, 'same-day', :now, 'queued', 0, 5, :now, :now)"
                ),
                {"id": job_id, "payload": json.dumps(payload), "key": f"k:{job_id}", "now": now},
            )
    _migrate(engine, "head")
    with engine.begin() as conn:
        rows = conn.execute(text("SELECT id, wedding_id, photo_id FROM job ORDER BY id")).all()
        worker_columns = conn.execute(text("SELECT process FROM worker")).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [(1, 7, 42), (2, None, None), (3, None, None)]
    assert worker_columns == []


def test_an_older_catalog_with_photos_upgrades_under_its_foreign_keys(empty_url):
    """Through trousseau's own engine (SQLite with foreign keys on): a migration that copied
    and dropped `wedding` (a batch ALTER) would be refused while photos point at it."""
    from trousseau.catalog.engine import make_engine

    engine = make_engine(empty_url)
    _migrate(engine, "0013")
    now = "2026-06-13 12:00:00+00:00"
    with engine.begin() as conn:
        _seed(conn, now)
    _migrate(engine, "head")
    with engine.begin() as conn:
        weddings = conn.execute(text("SELECT id, faces FROM wedding")).all()
        photos = conn.execute(text("SELECT id, wedding_id FROM photo")).all()
    engine.dispose()
    assert [(w.id, bool(w.faces)) for w in weddings] == [(7, False)]
    assert [tuple(p) for p in photos] == [(42, 7)]


def _sqlite_master(url: str) -> list[tuple]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name")
        ).all()
        rows = [(*row[:3], row[3] and migrate.canonical_sql(row[3])) for row in rows]
        versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    engine.dispose()
    return [tuple(row) for row in rows] + [("version", *versions)]


def _alembic_built(path: Path) -> str:
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def test_an_empty_sqlite_catalog_is_created_as_the_migrations_build_it(tmp_path, monkeypatch):
    """The snapshot replays what SQLite recorded at head: the same tables, indexes and
    constraints, statement for statement, and the same revision; Alembic is not loaded."""
    by_migrations = _alembic_built(tmp_path / "migrated.sqlite3")

    def no_alembic() -> None:
        raise AssertionError("an empty SQLite catalog was built by Alembic, not the snapshot")

    monkeypatch.setattr(migrate, "_script", no_alembic)
    by_snapshot = f"sqlite:///{tmp_path / 'snapshot.sqlite3'}"
    open_catalog(by_snapshot).dispose()

    assert _sqlite_master(by_snapshot) == _sqlite_master(by_migrations)


def test_the_snapshot_is_the_head_the_migrations_build(tmp_path):
    snapshot = json.loads(migrate.SNAPSHOT.read_text())
    engine = create_engine(_alembic_built(tmp_path / "migrated.sqlite3"))
    with engine.connect() as conn:
        built = migrate.sqlite_schema(conn)
    engine.dispose()

    stale = "run `python -m trousseau.catalog.snapshot` after adding a migration"
    assert snapshot["revision"] == migrate.HEAD_REVISION, stale
    assert snapshot["statements"] == built, stale


def test_a_snapshot_of_another_revision_is_not_used(tmp_path, monkeypatch):
    stale = tmp_path / "head-sqlite.json"
    stale.write_text(json.dumps({"revision": "0001", "statements": ["CREATE TABLE wrong (x)"]}))
    monkeypatch.setattr(migrate, "SNAPSHOT", stale)
    url = f"sqlite:///{tmp_path / 'catalog.sqlite3'}"

    open_catalog(url).dispose()

    assert _sqlite_master(url) == _sqlite_master(_alembic_built(tmp_path / "migrated.sqlite3"))


def test_a_database_holding_a_table_is_left_to_alembic(tmp_path):
    """An empty-looking catalog that holds someone's table is not written over by the
    snapshot: Alembic builds the schema beside it, as before, and the table is kept."""
    url = f"sqlite:///{tmp_path / 'catalog.sqlite3'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE notes (body TEXT)"))
        conn.execute(text("INSERT INTO notes VALUES ('keep me')"))
    engine.dispose()

    open_catalog(url).dispose()

    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT body FROM notes")).scalars().all() == ["keep me"]
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    engine.dispose()
    assert revision == migrate.HEAD_REVISION

"""Catalog snapshots: dumped while in use, restored row for row, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import PG_ADMIN_URL, _psycopg_url
from trousseau.backup.catalogdump import dump_catalog, restore_catalog
from trousseau.catalog import (
    ChangeKind,
    create_wedding,
    ensure_tenant,
    insert_photo,
    mark_backed_up,
    open_catalog,
    record_change,
    record_variant,
)
from trousseau.catalog.schema import metadata
from trousseau.errors import BackupError, InvalidValue, RepositoryCorrupt

TAKEN = datetime(2026, 6, 13, 18, 0, tzinfo=UTC)


@pytest.fixture
def scratch_url(catalog_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database to restore into, on the catalog's backend."""
    if catalog_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored' / 'catalog.sqlite3'}"
        return
    import psycopg

    name = f"trousseau_restore_{os.getpid()}"
    with psycopg.connect(_psycopg_url(PG_ADMIN_URL), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(_psycopg_url(PG_ADMIN_URL), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _fmt(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "pg_dump"


def _populate(catalog, clock) -> None:
    with catalog.begin() as conn:
        tenant = ensure_tenant(conn, "studio", now=clock())
        wedding = create_wedding(
            conn,
            tenant.id,
            "smith-jones",
            on=date(2026, 6, 13),
            timezone="Europe/Paris",
            delivery_sla="same-day",
            now=clock(),
            title="Smith & Jones — l'été",
        )
        for i in range(3):
            photo_id = insert_photo(
                conn,
                tenant_id=tenant.id,
                wedding_id=wedding.id,
                sha256=f"{i}" * 64,
                original_name=f"IMG_{i}.JPG",
                size=100 + i,
                fmt="jpeg",
                now=clock(),
                deadline=TAKEN,
            )
            record_variant(
                conn,
                photo_id=photo_id,
                profile="web",
                fmt="webp",
                sha256=f"v{i}".ljust(64, "0"),
                size=10,
                width=4,
                height=3,
                now=clock(),
            )
        mark_backed_up(conn, "repo", [3], now=clock())


def _rows(url: str) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every catalog table (and the schema revision), in key order."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = {
                table.name: [
                    tuple(r) for r in conn.execute(table.select().order_by(*table.primary_key))
                ]
                for table in metadata.sorted_tables
            }
            rows["alembic_version"] = [
                tuple(r) for r in conn.execute(text("SELECT version_num FROM alembic_version"))
            ]
    finally:
        engine.dispose()
    return rows


def test_a_dump_restores_row_for_row(catalog, catalog_url, scratch_url, clock, tmp_path):
    _populate(catalog, clock)
    out = tmp_path / "dumps" / "catalog.dump"
    dump = dump_catalog(catalog_url, out, taken_at=TAKEN)
    data = out.read_bytes()
    assert (dump.path, dump.format, dump.taken_at) == (out, _fmt(catalog_url), TAKEN)
    assert (dump.bytes, dump.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert [p.name for p in out.parent.iterdir()] == ["catalog.dump"]  # no partial left

    restore_catalog(out, scratch_url, format=dump.format)
    before = _rows(catalog_url)
    assert _rows(scratch_url) == before
    assert len(before["photo"]) == 3 and len(before["backup_change"]) == 7
    restored = open_catalog(scratch_url)  # at head, and its ids go on where they stopped
    try:
        with restored.begin() as conn:
            new_id = record_change(
                conn,
                tenant_id=1,
                wedding_id=None,
                kind=ChangeKind.CATALOG,
                subject="tenant:1",
                deadline=None,
                now=clock(),
            )
    finally:
        restored.dispose()
    assert new_id > max(row[0] for row in before["backup_change"])

    with pytest.raises(BackupError, match="already holds"):
        restore_catalog(out, scratch_url, format=dump.format)
    restore_catalog(out, scratch_url, format=dump.format, replace=True)
    assert _rows(scratch_url) == before  # the row added since is gone


def test_a_dump_taken_while_writers_run_is_one_moment(
    catalog, catalog_url, scratch_url, clock, tmp_path
):
    """Pairs of changes committed together are in a dump both or neither; a transaction
    still open while the dump is taken is not in it, and does not hold the dump up."""
    with catalog.begin() as conn:
        tenant = ensure_tenant(conn, "studio", now=clock())

    def change(conn, subject: str) -> None:
        record_change(
            conn,
            tenant_id=tenant.id,
            wedding_id=None,
            kind=ChangeKind.CATALOG,
            subject=subject,
            deadline=None,
            now=clock(),
        )

    stop = threading.Event()
    written = [0]

    def write() -> None:
        while not stop.is_set():
            with catalog.begin() as conn:
                change(conn, f"a:{written[0]}")
                change(conn, f"b:{written[0]}")
            written[0] += 1

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while written[0] < 5 and writer.is_alive():
            stop.wait(0.01)
        during = dump_catalog(catalog_url, tmp_path / "during.dump", taken_at=TAKEN)
    finally:
        stop.set()
        writer.join(10)
    restore_catalog(during.path, scratch_url, format=during.format)
    subjects = {row[0] for row in _query(scratch_url, "SELECT subject FROM backup_change")}
    pairs = {s.split(":")[1] for s in subjects}
    assert len(pairs) >= 5
    assert subjects == {f"{half}:{i}" for i in pairs for half in "ab"}

    with catalog.engine.connect() as open_conn, open_conn.begin():
        change(open_conn, "a:open")
        change(open_conn, "b:open")
        beside = dump_catalog(catalog_url, tmp_path / "beside.dump", taken_at=TAKEN)
    restore_catalog(beside.path, scratch_url, format=beside.format, replace=True)
    subjects = {row[0] for row in _query(scratch_url, "SELECT subject FROM backup_change")}
    assert "a:open" not in subjects
    assert len(subjects) == 2 * written[0]  # every pair the writer committed


def _query(url: str, sql: str) -> list[tuple[object, ...]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql))]
    finally:
        engine.dispose()


def test_a_failing_pg_dump_names_the_database_and_never_the_password(
    postgres_url, tmp_path, monkeypatch
):
    url = make_url(postgres_url).set(database="no_such_catalog", password="s3cret-pw")
    calls: list[tuple[list[str], dict[str, str]]] = []
    real_run = subprocess.run

    def spy(args, **kwargs):
        calls.append((list(args), dict(kwargs["env"])))
        return real_run(args, **kwargs)

    monkeypatch.setattr(subprocess, "run", spy)
    out = tmp_path / "catalog.dump"
    with pytest.raises(BackupError) as failure:
        dump_catalog(url.render_as_string(hide_password=False), out, taken_at=TAKEN)
    message = str(failure.value)
    assert "pg_dump failed" in message and "'no_such_catalog'" in message
    assert "does not exist" in message
    assert "s3cret-pw" not in message
    ((args, env),) = calls
    assert "s3cret-pw" not in " ".join(args) and env["PGPASSWORD"] == "s3cret-pw"
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_missing_client_tools_are_named(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    url = "postgresql+psycopg://u:pw@127.0.0.1:1/catalog"
    with pytest.raises(BackupError, match="pg_dump is not installed"):
        dump_catalog(url, tmp_path / "c.dump", taken_at=TAKEN)
    (tmp_path / "c.dump").write_bytes(b"PGDMP")
    with pytest.raises(BackupError, match="pg_restore is not installed"):
        restore_catalog(tmp_path / "c.dump", url, format="pg_dump", replace=True)


def test_sqlite_restores_refuse_what_they_cannot_do_safely(tmp_path):
    source = tmp_path / "catalog.sqlite3"
    with sqlite3.connect(source) as db:
        db.execute("CREATE TABLE t (x)")
        db.execute("INSERT INTO t VALUES (1)")
    db.close()
    dump = dump_catalog(f"sqlite:///{source}", tmp_path / "c.dump", taken_at=TAKEN)

    with pytest.raises(BackupError, match="no SQLite catalog at"):
        dump_catalog(f"sqlite:///{tmp_path / 'nope.sqlite3'}", tmp_path / "x", taken_at=TAKEN)
    assert not (tmp_path / "nope.sqlite3").exists()
    with pytest.raises(BackupError, match="already holds a database"):
        restore_catalog(dump.path, f"sqlite:///{source}", format="sqlite")
    with pytest.raises(InvalidValue, match="cannot be restored into a PostgreSQL"):
        restore_catalog(dump.path, "postgresql+psycopg://u@h/db", format="sqlite")
    with pytest.raises(InvalidValue, match="not one of"):
        restore_catalog(dump.path, f"sqlite:///{source}", format="tar")

    damaged = tmp_path / "damaged.dump"
    damaged.write_bytes(b"not a database at all" * 100)
    with pytest.raises(RepositoryCorrupt, match=r"damaged\.dump"):
        restore_catalog(damaged, f"sqlite:///{tmp_path / 'new.sqlite3'}", format="sqlite")
    assert not (tmp_path / "new.sqlite3").exists()

    restore_catalog(dump.path, f"sqlite:///{tmp_path / 'new.sqlite3'}", format="sqlite")
    with sqlite3.connect(tmp_path / "new.sqlite3") as db:
        assert db.execute("SELECT x FROM t").fetchall() == [(1,)]
    db.close()

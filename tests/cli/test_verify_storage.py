"""What the vault holds that nobody needs, and a full catalog, as an operator sees them.

`trousseau verify` reports orphan blobs (named by no catalog row, stored before the grace
period) and partial writes (with whether their writer still runs); `--collect-orphans`
removes the orphans and the partials of dead writers. A catalog whose disk fills up in the
middle of an ingest stops it with "catalog disk full", not a traceback or "unreachable".
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from trousseau.catalog import open_catalog
from trousseau.processes import identity_token
from trousseau.vault import open_vault

from ..catalog.diskfull import DiskFull
from ..ingest.conftest import make_jpeg
from .conftest import Cli, assert_one_line_error

LONG_AGO = 1_000_000_000

# Loaded by the CLI's interpreter (PYTHONPATH): caps every SQLite connection at the
# database's current size, so the first write needing a new page fails with SQLITE_FULL.
_CAP_SQLITE = """
from sqlalchemy import event
from sqlalchemy.engine import Engine


@event.listens_for(Engine, "connect")
def _full(dbapi_conn, _record):
    if type(dbapi_conn).__module__.startswith("sqlite3"):
        dbapi_conn.execute("PRAGMA max_page_count = 1")
"""


def card(tmp_path: Path, count: int, name: str = "card") -> Path:
    folder = tmp_path / name
    folder.mkdir()
    for index in range(count):
        make_jpeg(folder / f"IMG_{index:04d}.JPG", seed=index, size=(64, 48))
    return folder


def vault_blobs(cli: Cli) -> set[str]:
    vault = open_vault((cli.data_dir / "vault").as_uri())
    return set(vault.iter_blobs())


def test_a_catalog_that_fills_up_mid_ingest_says_catalog_disk_full(
    cli: Cli, tmp_path: Path, catalog_url: str
) -> None:
    assert cli.run("init").returncode == 0
    photos = card(tmp_path, 60)
    if catalog_url.startswith("sqlite"):
        shim = tmp_path / "shim"
        shim.mkdir()
        (shim / "sitecustomize.py").write_text(_CAP_SQLITE)
        result = cli.run("ingest", str(photos), "--wedding", "w", PYTHONPATH=str(shim))
    else:
        catalog = open_catalog(catalog_url)
        disk = DiskFull(catalog.engine)
        disk.fill()
        try:
            result = cli.run("ingest", str(photos), "--wedding", "w")
        finally:
            disk.free()
            catalog.dispose()

    assert_one_line_error(result, "catalog disk full", "free space")
    assert "unreachable" not in result.stderr


def test_verify_reports_orphans_and_partials_and_collects_only_when_asked(
    cli: Cli, tmp_path: Path
) -> None:
    result = cli.invoke("ingest", str(card(tmp_path, 2)), "--wedding", "w")
    assert result.returncode == 0, result.stderr
    vault = open_vault((cli.data_dir / "vault").as_uri())
    orphan = vault.put_bytes(os.urandom(3000)).sha256  # a record that never came
    os.utime(next((cli.data_dir / "vault" / "blobs").rglob(orphan)), (LONG_AGO, LONG_AGO))
    fresh = vault.put_bytes(os.urandom(2000)).sha256  # a record maybe on its way
    tmp = cli.data_dir / "vault" / "tmp"
    dead = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    dead_token = identity_token(dead.pid)
    dead.kill()
    dead.wait()
    (tmp / f"put.{dead_token}.abcd1234.part").write_bytes(b"x" * 7000)
    live = tmp / f"put.{identity_token()}.efgh5678.part"
    live.write_bytes(b"y" * 500)

    report = cli.invoke("verify")

    assert report.returncode == 0, report.stderr
    text = " ".join(report.stdout.split())
    assert "1 orphan blob(s) (3.0 kB)" in text
    assert "1 unreferenced blob(s) stored within the last 24 h" in text
    assert "2 partial write(s) (7.5 kB): 1 of a live writer, 1 of a dead writer" in text
    assert "--collect-orphans" in text
    assert orphan not in text  # listed only with --orphans
    assert orphan in " ".join(cli.invoke("verify", "--orphans").stdout.split())
    assert {orphan, fresh} <= vault_blobs(cli)

    collected = cli.invoke("verify", "--collect-orphans")

    assert collected.returncode == 0, collected.stderr
    text = " ".join(collected.stdout.split())
    assert "removed 1 orphan blob(s) (3.0 kB) and 1 partial write(s)" in text
    assert orphan not in vault_blobs(cli)
    assert fresh in vault_blobs(cli)
    assert live.exists()
    assert [p.name for p in tmp.iterdir()] == [live.name]
    again = " ".join(cli.invoke("verify").stdout.split())
    assert "0 orphan blob(s)" in again

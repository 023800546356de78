"""`trousseau dr drill` and `dr history` on both catalogs: the catalog and a sample of weddings
restored from the backup into scratch, every hash verified, RTO and RPO reported, the drill
kept as history and read by /metrics; a damaged repository makes a failed drill, recorded
with its reason; a PostgreSQL catalog needs a scratch database, never the live one."""

from __future__ import annotations

import datetime as dt
import json
import os

import pytest
from sqlalchemy.engine import make_url

from tests.cli.conftest import Cli, assert_one_line_error
from tests.conftest import PG_ADMIN_URL

PASSPHRASE = "correct horse battery staple"


def _card(tmp_path, count: int, offset: int):
    from trousseau.demo.samples import generate_photo

    card = tmp_path / f"card-{offset}"
    card.mkdir()
    when = dt.datetime(2027, 6, 19, 14, tzinfo=dt.UTC)
    for i in range(count):
        data = generate_photo(offset + i, seed=5, megapixels=0.5, when=when)
        (card / f"IMG_{offset + i:04d}.JPG").write_bytes(data)
    return card


@pytest.fixture
def scratch_db(catalog_url):
    """A scratch PostgreSQL database for the drill (only when the catalog is PostgreSQL)."""
    if not catalog_url.startswith("postgresql"):
        yield None
        return
    import psycopg

    name = f"trousseau_drill_{os.getpid()}"
    admin_url = make_url(PG_ADMIN_URL).set(drivername="postgresql")
    with psycopg.connect(admin_url.render_as_string(hide_password=False), autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        c.execute(f'CREATE DATABASE "{name}"')
    yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(admin_url.render_as_string(hide_password=False), autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_drill_restores_measures_and_is_remembered(cli, tmp_path, scratch_db) -> None:
    env = {
        "TROUSSEAU_BACKUP__PASSPHRASE": PASSPHRASE,
        "TROUSSEAU_BACKUP__TARGETS": json.dumps([str(tmp_path / "repo")]),
    }
    for slug, offset in (("ada-and-sam", 1), ("jo-and-li", 10)):
        made = cli.invoke("ingest", str(_card(tmp_path, 3, offset)), "--wedding", slug, "--work")
        assert made.returncode == 0, made.stderr
    assert cli.invoke("backup", "init", **env).returncode == 0
    ran = cli.invoke("backup", "run", **env)
    assert ran.returncode == 0, ran.stderr

    extra = ["--scratch-catalog", scratch_db] if scratch_db else []
    if scratch_db:
        refused = cli.invoke("dr", "drill", "--json", **env)
        assert refused.returncode == 1
        assert "scratch database" in json.loads(refused.stdout)["error"]
    empty = tmp_path / "scratch"  # an empty folder of the operator's: used, left empty
    empty.mkdir()
    drill = cli.invoke(
        "dr", "drill", "--weddings", "2", "--seed", "1", "--json", "--to", str(empty), *extra, **env
    )
    assert drill.returncode == 0, drill.stdout + drill.stderr
    assert empty.is_dir() and list(empty.iterdir()) == []
    report = json.loads(drill.stdout)
    assert report["ok"] and report["error"] is None
    assert sorted(report["weddings"]) == ["default/ada-and-sam", "default/jo-and-li"]
    assert report["blobs"] == 2 * 3 * 5  # 3 photos each: the original and four variants
    rto = [report[f"rto_{s}_seconds"] for s in ("catalog", "first_gallery", "all")]
    assert all(v is not None and v > 0 for v in rto) and rto == sorted(rto)
    assert report["rpo_seconds"] == 0.0  # everything was backed up

    # the runbook's path: the snapshot's catalog dump restored into a new catalog
    assert (
        cli.invoke(
            "backup", "restore", "--snapshot", "latest", "--to", str(tmp_path / "r"), **env
        ).returncode
        == 0
    )
    (dump,) = (tmp_path / "r").glob("catalog.*")
    target = scratch_db or f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    put = cli.invoke("backup", "restore-catalog", str(dump), "--into", target, "--replace", **env)
    assert put.returncode == 0, put.stderr
    from trousseau.catalog import every_wedding, open_catalog

    restored = open_catalog(target)
    with restored.begin() as conn:
        assert sorted(w.slug for _, w in every_wedding(conn)) == ["ada-and-sam", "jo-and-li"]
    restored.dispose()

    for pack in (tmp_path / "repo" / "packs").rglob("*"):
        if pack.is_file():
            pack.write_bytes(b"\x00" * pack.stat().st_size)
    broken = cli.invoke("dr", "drill", "--json", *extra, **env)
    assert broken.returncode == 1
    assert not json.loads(broken.stdout)["ok"] and json.loads(broken.stdout)["error"]

    history = cli.invoke("dr", "history", "--json", **env)
    rows = json.loads(history.stdout)
    assert [row["ok"] for row in rows][:2] == [False, True]


def test_the_last_drill_becomes_metrics() -> None:
    from trousseau.catalog import Event, EventKind
    from trousseau.web.metrics import drill_families

    data = {
        "ok": True,
        "rto_catalog_seconds": 0.5,
        "rto_first_gallery_seconds": 1.5,
        "rto_all_seconds": 4.0,
        "rpo_seconds": 0.25,
    }
    at = dt.datetime(2027, 6, 19, tzinfo=dt.UTC)
    event = Event(1, at, EventKind.DR_DRILL, "drill passed", None, None, None, None, data)
    samples = {
        (f.name, tuple(s.labels.items())): s.value for f in drill_families(event) for s in f.samples
    }
    assert samples[("trousseau_dr_last_drill_ok", ())] == 1.0
    assert samples[("trousseau_dr_last_drill_timestamp_seconds", ())] == at.timestamp()
    assert samples[("trousseau_dr_rto_seconds", (("stage", "first_gallery"),))] == 1.5
    assert samples[("trousseau_dr_rpo_seconds", ())] == 0.25


# --to: a scratch folder the drill owns, never a place holding anything of the operator's.
# The drill itself is stood in for by one writing what a real drill writes (a dump, a scratch
# catalog, a scratch vault), so these need no backup: the scratch folder is what they test.


@pytest.fixture
def local_cli(tmp_path) -> Cli:
    """The CLI on a SQLite catalog: the scratch folder does not depend on the catalog."""
    return Cli(tmp_path / "data", f"sqlite:///{tmp_path / 'catalog.sqlite3'}", {})


@pytest.fixture
def drills(monkeypatch) -> list:
    """The scratch folders the (stand-in) drill ran in, with what it found there first."""
    from trousseau.recovery import drill

    seen: list = []

    def fake(settings, catalog, scratch, sample, rng, report, started, url) -> None:
        seen.append((scratch, sorted(p.name for p in scratch.iterdir())))
        (scratch / "dump").mkdir()
        (scratch / "dump" / "catalog.sqlite3").write_bytes(b"dump")
        (scratch / "catalog.sqlite3").write_bytes(b"restored")
        (scratch / "vault" / "blobs").mkdir(parents=True)
        (scratch / "vault" / "blobs" / "ab").write_bytes(b"blob")
        report.all_seconds, report.rpo_seconds = 1.0, 0.0

    monkeypatch.setattr(drill, "_drill", fake)
    return seen


def _tree(folder) -> dict:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_a_drill_refuses_a_folder_holding_anything_and_leaves_it_whole(
    local_cli, tmp_path, drills
) -> None:
    precious = tmp_path / "precious"
    (precious / "sub").mkdir(parents=True)
    (precious / "contract.txt").write_text("client contract")
    (precious / "sub" / "notes.txt").write_text("x")
    before = _tree(precious)
    refused = local_cli.invoke("dr", "drill", "--to", str(precious))
    assert_one_line_error(refused, str(precious), "not empty", "missing or empty folder")
    assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1
    assert _tree(precious) == before and drills == []
    assert "passed" not in refused.stdout


def test_a_drill_refuses_a_file(local_cli, tmp_path, drills) -> None:
    afile = tmp_path / "afile.txt"
    afile.write_text("keep me")
    refused = local_cli.invoke("dr", "drill", "--to", str(afile))
    assert_one_line_error(refused, str(afile), "not a folder", "missing or empty folder")
    assert len(refused.stderr.strip().splitlines()) == 1
    assert afile.read_text() == "keep me" and drills == []
    beneath = local_cli.invoke("dr", "drill", "--to", str(afile / "scratch"))
    assert_one_line_error(beneath, str(afile / "scratch"), "cannot be created")
    assert afile.read_text() == "keep me" and drills == []


def test_a_drill_keeps_off_the_live_data(local_cli, tmp_path, drills) -> None:
    assert local_cli.invoke("status").returncode == 0  # the data dir, its vault and catalog
    for place in (
        local_cli.data_dir,
        local_cli.data_dir / "vault",
        local_cli.data_dir / "scratch",  # missing, but inside the data dir
        tmp_path / "catalog.sqlite3",
    ):
        refused = local_cli.invoke("dr", "drill", "--to", str(place))
        assert_one_line_error(refused, str(place), "live data")
    assert not (local_cli.data_dir / "scratch").exists() and drills == []
    assert (tmp_path / "catalog.sqlite3").stat().st_size > 0


def test_a_missing_folder_is_made_for_the_drill_and_removed_after(
    local_cli, tmp_path, drills
) -> None:
    scratch = tmp_path / "new" / "deeper" / "scratch"
    ran = local_cli.invoke("dr", "drill", "--to", str(scratch))
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "drill passed" in ran.stdout
    assert drills == [(scratch, [])]
    assert not (tmp_path / "new").exists()  # the folder and the parents made for it


def test_an_empty_folder_is_left_there_empty(local_cli, tmp_path, drills) -> None:
    scratch = tmp_path / "empty"
    scratch.mkdir()
    ran = local_cli.invoke("dr", "drill", "--to", str(scratch))
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert drills == [(scratch, [])]
    assert scratch.is_dir() and list(scratch.iterdir()) == []
    kept = local_cli.invoke("dr", "drill", "--to", str(scratch), "--keep")
    assert kept.returncode == 0, kept.stdout + kept.stderr
    assert sorted(p.name for p in scratch.iterdir()) == ["catalog.sqlite3", "dump", "vault"]


def test_the_default_scratch_is_a_temporary_folder_removed_after(local_cli, drills) -> None:
    ran = local_cli.invoke("dr", "drill")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    ((scratch, found),) = drills
    assert found == [] and not scratch.exists()

"""The operator's commands through the real CLI: init, status, jobs, verify, demo."""

from __future__ import annotations

import json
import os
import signal
import time

from trousseau.catalog import iter_photos, open_catalog

from ..ingest.conftest import make_jpeg
from .conftest import Cli, assert_one_line_error


def _ingest(cli: Cli, tmp_path, n=3, **kw):
    folder = tmp_path / "card"
    folder.mkdir(exist_ok=True)
    for i in range(n):
        make_jpeg(folder / f"IMG_{i:04d}.JPG", seed=i)
    result = cli.run("ingest", str(folder), "--wedding", "w", **kw)
    assert result.returncode == 0, result.stderr
    return folder


def test_init_is_repeatable(cli: Cli):
    first = cli.run("init")
    assert first.returncode == 0, first.stderr
    second = cli.run("init")
    assert "up to date" in second.stdout


def test_status_json_counts_jobs_by_state_and_sla(cli: Cli, tmp_path):
    _ingest(cli, tmp_path, n=3, TROUSSEAU_DEFAULT_SLA="next-day")
    report = json.loads(cli.run("status", "--json").stdout)
    assert report["jobs"]["queued"] == {"next-day": 3, "same-day": 0, "standard": 0}
    assert report["late"] == {"overdue_open": 0, "finished_late": 0}
    assert report["photos"] == {"stored": 3}
    assert report["oldest_open_deadline"] is not None
    assert cli.run("work", "--until-idle", "--workers", "1").returncode == 0
    report = json.loads(cli.run("status", "--json").stdout)
    assert report["jobs"]["done"]["next-day"] == 6  # each photo's variants, then its quality
    assert report["photos"] == {"processed": 3}


def test_status_lists_an_idle_worker_as_live_until_it_stops(cli: Cli):
    assert cli.run("init").returncode == 0
    report = json.loads(cli.run("status", "--json").stdout)
    assert (report["workers"]["live"], report["workers"]["list"]) == (0, [])
    worker = cli.start("work", "--workers", "0")
    try:
        deadline = time.monotonic() + 60
        while True:
            report = json.loads(cli.run("status", "--json").stdout)
            if report["workers"]["live"] or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert report["workers"]["live"] == 1 and report["workers"]["busy"] == 0
        (listed,) = report["workers"]["list"]
        assert (listed["pid"], listed["mode"], listed["slots"]) == (worker.pid, "inline", 1)
        assert listed["owner"].split(":")[1] == str(worker.pid)
        assert "workers: 1 live, 0 busy" in cli.run("status").stdout
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
    assert worker.returncode == 0, worker.stderr.read() if worker.stderr else ""
    report = json.loads(cli.run("status", "--json").stdout)
    assert report["workers"]["live"] == 0


def test_dead_jobs_are_listed_with_their_error_and_retried(cli: Cli, tmp_path):
    folder = tmp_path / "card"
    folder.mkdir()
    good = make_jpeg(tmp_path / "good.jpg", seed=9)
    (folder / "IMG_0013.JPG").write_bytes(good.read_bytes()[:500])
    assert cli.invoke("ingest", str(folder), "--wedding", "w").returncode == 0
    assert cli.invoke("work", "--until-idle", "--workers", "1").returncode == 0
    dead = cli.invoke("jobs", "dead")
    assert "IMG_0013.JPG" in dead.stdout and "variants" in dead.stdout
    retried = cli.invoke("jobs", "retry", "--all")
    assert "1 job(s) queued again" in retried.stdout
    listed = cli.invoke("jobs", "list", "--state", "queued")
    assert "variants" in listed.stdout
    assert_one_line_error(cli.invoke("jobs", "list", "--state", "lost"), "unknown job state 'lost'")
    assert_one_line_error(cli.invoke("jobs", "retry"), "pass --all")


def test_verify_names_a_damaged_original(cli: Cli, tmp_path):
    _ingest(cli, tmp_path, n=2)
    assert cli.run("verify").returncode == 0
    catalog = open_catalog(cli.catalog_url)
    with catalog.begin() as conn:
        victim = next(iter(iter_photos(conn)))
    catalog.dispose()
    blob = next((cli.data_dir / "vault" / "blobs").rglob(victim.sha256))
    os.chmod(blob, 0o644)
    data = bytearray(blob.read_bytes())
    data[1000] ^= 0xFF
    blob.write_bytes(bytes(data))
    result = cli.run("verify")
    assert result.returncode == 1
    assert f"original {victim.original_name} (photo {victim.id})" in " ".join(result.stderr.split())
    assert "1 blob(s) missing or damaged" in result.stderr


def test_demo_runs_end_to_end(cli: Cli, tmp_path):
    result = cli.run(
        "demo",
        "--photos",
        "4",
        "--megapixels",
        "0.5",
        "--workers",
        "1",
        "--dir",
        str(tmp_path / "demo"),
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    out = " ".join(result.stdout.split())
    assert "photos │ 4 (0.5 MP JPEG" in out
    assert "late jobs │ 0" in out
    assert "failed │ 0" in out


def test_ingest_with_work_renders_while_reading_the_card(cli: Cli, tmp_path):
    """One command, the card read and rendered at once: every photo processed on return,
    a damaged one reported with a non-zero exit, and the vault intact."""
    folder = tmp_path / "card"
    folder.mkdir()
    for i in range(6):
        make_jpeg(folder / f"IMG_{i:04d}.JPG", seed=i)
    good = make_jpeg(tmp_path / "good.jpg", seed=9)
    (folder / "IMG_0099.JPG").write_bytes(good.read_bytes()[:500])

    result = cli.run("ingest", str(folder), "--wedding", "w", "--work", "--workers", "2")

    assert result.returncode == 1, result.stderr
    assert "7 accepted" in result.stdout and "processed: done 12" in result.stdout
    assert "1 job(s) failed for good" in result.stderr
    status = json.loads(cli.run("status", "--json").stdout)
    assert sum(status["jobs"]["done"].values()) == 12  # 6 variants jobs and their quality jobs
    assert sum(status["jobs"]["dead"].values()) == 1
    assert sum(status["jobs"]["queued"].values()) + sum(status["jobs"]["running"].values()) == 0
    assert status["workers"]["live"] == 0, "the command's worker said goodbye"
    assert "IMG_0099.JPG" in cli.run("jobs", "dead").stdout
    assert cli.run("verify").returncode == 0

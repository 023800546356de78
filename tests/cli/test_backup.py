"""`trousseau backup …` as an operator runs it: init, run, status, verify, restore, erase."""

from __future__ import annotations

import hashlib
import json

import pytest

from ..ingest.conftest import make_jpeg
from .conftest import Cli, assert_one_line_error

SECRET = "a long passphrase nobody types twice"

SQLITE_ONLY = pytest.mark.parametrize("catalog_url", ["sqlite"], indirect=True)
"""The command line on one backend: every catalog statement these commands run (the change
log, the cursor, erasure, the dump) is tested on both backends in tests/backup, and a second
backend here would only repeat the subprocesses' start-up (a minute of the suite)."""


def _env(tmp_path) -> dict[str, str]:
    return {
        "TROUSSEAU_BACKUP__PASSPHRASE": SECRET,
        "TROUSSEAU_BACKUP__TARGETS": json.dumps([str(tmp_path / "repo")]),
    }


@SQLITE_ONLY
def test_backup_restore_and_erase_from_the_command_line(cli: Cli, tmp_path) -> None:
    card = tmp_path / "card"
    card.mkdir()
    for seed in range(4):
        make_jpeg(card / f"IMG_{seed:04d}.JPG", seed=seed)
    assert cli.invoke("ingest", str(card), "--wedding", "smith-jones").returncode == 0
    assert cli.invoke("ingest", str(card), "--wedding", "other").returncode == 0
    env = _env(tmp_path)

    created = cli.invoke("backup", "init", **env)
    assert created.returncode == 0, created.stderr
    assert_one_line_error(cli.invoke("backup", "init", **env), "already there")

    first = cli.invoke("backup", "run", **env)
    assert first.returncode == 0, first.stderr
    assert "8 blobs" in first.stdout and "full run" in first.stdout
    unchanged = cli.invoke("backup", "run", **env)
    assert "nothing changed" in unchanged.stdout

    status = json.loads(cli.invoke("backup", "status", "--json", **env).stdout)
    assert status["snapshots"] == 1 and status["pending_changes"] == 0 and not status["late"]
    photo_bytes = sum(p.stat().st_size for p in card.iterdir())
    stored_once = status["logical_bytes"] / status["dedup_ratio"]
    # the same four photos in two weddings: the second wedding's copy stores nothing
    assert status["logical_bytes"] - stored_once >= 0.99 * photo_bytes

    checked = cli.invoke("backup", "verify", "--read-data", **env)
    assert checked.returncode == 0 and "no problem" in checked.stdout, checked.stderr

    out = tmp_path / "restored"
    restored = cli.invoke("backup", "restore", "--wedding", "smith-jones", "--to", str(out), **env)
    assert restored.returncode == 0, restored.stderr
    files = list(out.glob("*/*/*"))
    originals = {hashlib.sha256(p.read_bytes()).hexdigest() for p in card.iterdir()}
    assert {p.name for p in files} == originals
    assert all(hashlib.sha256(p.read_bytes()).hexdigest() == p.name for p in files)
    assert "IMG_0000.JPG" in (out / "names.tsv").read_text()

    erased = cli.invoke(
        "backup", "erase", "--wedding", "smith-jones", "--yes", "--by", "dpo", **env
    )
    assert erased.returncode == 0 and "audit record" in erased.stdout, erased.stderr
    assert "0 blobs deleted" in erased.stdout and "4 kept" in erased.stdout  # "other" holds them
    assert_one_line_error(
        cli.invoke(
            "backup", "restore", "--wedding", "smith-jones", "--to", str(tmp_path / "x"), **env
        ),
        "smith-jones",
    )
    whole = cli.invoke("backup", "restore", "--to", str(tmp_path / "all"), **env)
    assert whole.returncode == 0 and "1 erased weddings left out" in whole.stdout, whole.stderr
    other = cli.invoke(
        "backup", "restore", "--wedding", "other", "--to", str(tmp_path / "o"), **env
    )
    assert other.returncode == 0, other.stderr
    assert len(list((tmp_path / "o").glob("*/*/*"))) == 4
    assert SECRET not in first.stdout + first.stderr + status.__repr__()


@SQLITE_ONLY
def test_a_wrong_or_missing_passphrase_is_one_clear_line(cli: Cli, tmp_path) -> None:
    env = _env(tmp_path)
    assert cli.invoke("backup", "init", **env).returncode == 0
    wrong = cli.invoke("backup", "run", **{**env, "TROUSSEAU_BACKUP__PASSPHRASE": "guess"})
    assert_one_line_error(wrong, "passphrase opens none", "TROUSSEAU_BACKUP__PASSPHRASE")
    assert "guess" not in wrong.stderr
    missing = cli.invoke(
        "backup", "run", TROUSSEAU_BACKUP__TARGETS=env["TROUSSEAU_BACKUP__TARGETS"]
    )
    assert_one_line_error(missing, "no backup passphrase", "never on the command line")
    nowhere = cli.invoke("backup", "status", TROUSSEAU_BACKUP__PASSPHRASE=SECRET)
    assert_one_line_error(nowhere, "no backup target")


@SQLITE_ONLY
def test_a_backup_killed_at_random_points_verifies_and_the_next_run_completes(
    cli: Cli, tmp_path
) -> None:
    import random
    import signal
    import time

    card = tmp_path / "card"
    card.mkdir()
    for seed in range(16):  # noisy 2.4 MP JPEGs: a run takes long enough to be cut
        make_jpeg(card / f"IMG_{seed:04d}.JPG", seed=seed, size=(1800, 1350))
    assert cli.run("ingest", str(card), "--wedding", "w").returncode == 0
    env = _env(tmp_path)
    assert cli.run("backup", "init", **env).returncode == 0
    chance = random.Random(13)
    for _ in range(3):
        process = cli.start("backup", "run", **env)
        time.sleep(chance.uniform(0.6, 1.6))  # start-up is ~0.5 s: cut inside the run
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        checked = cli.run("backup", "verify", "--read-data", **env)
        assert checked.returncode == 0, checked.stdout + checked.stderr
    done = cli.run("backup", "run", **env)
    assert done.returncode == 0 and "snapshot" in done.stdout, done.stderr
    assert "nothing changed" in cli.run("backup", "run", **env).stdout
    out = tmp_path / "out"
    assert cli.run("backup", "restore", "--wedding", "w", "--to", str(out), **env).returncode == 0
    restored = {hashlib.sha256(p.read_bytes()).hexdigest() for p in out.glob("*/*/*")}
    assert restored == {hashlib.sha256(p.read_bytes()).hexdigest() for p in card.iterdir()}


@SQLITE_ONLY
def test_a_following_backup_takes_each_ingest_within_seconds_and_stops_on_ctrl_c(
    cli: Cli, tmp_path
) -> None:
    import signal
    import subprocess
    import time

    from .conftest import TROUSSEAU

    env = _env(tmp_path)
    assert cli.invoke("init").returncode == 0
    assert cli.invoke("backup", "init", **env).returncode == 0
    follower = cli.start("backup", "run", "--follow", "--interval", "0.1", **env)
    assert "following the change log into" in follower.stdout.readline()
    try:
        for batch in range(2):
            card = tmp_path / f"card{batch}"
            card.mkdir()
            for seed in range(3):
                make_jpeg(card / f"IMG_{seed:04d}.JPG", seed=10 * batch + seed)
            assert cli.invoke("ingest", str(card), "--wedding", "w").returncode == 0
            ingested = time.monotonic()
            while True:
                status = json.loads(cli.invoke("backup", "status", "--json", **env).stdout)
                if status["pending_changes"] == 0:
                    break
                assert follower.poll() is None, follower.communicate()
                assert time.monotonic() - ingested < 20, status
                time.sleep(0.1)
    finally:
        follower.send_signal(signal.SIGTERM)  # a service manager's stop
        out, err = follower.communicate(timeout=30)
    assert follower.returncode == 0, err
    assert "SIGTERM: stopping after this snapshot" in err
    assert "stopped: what was committed is kept" in err
    assert out.count("snapshot ") >= 2  # one per batch at least, each committed on its own
    # Started as a shell's background job (SIGINT ignored), Ctrl-C still stops it.
    background = subprocess.Popen(
        ["bash", "-c", 'trap "" INT; exec "$@"', "-", *TROUSSEAU, "backup", "run", "--follow"],
        env=cli.env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert "(Ctrl-C or SIGTERM stops)" in background.stdout.readline()
    background.send_signal(signal.SIGINT)
    _, err = background.communicate(timeout=30)
    assert background.returncode == 0 and "SIGINT: stopping" in err, err
    restored = tmp_path / "restored"
    done = cli.invoke("backup", "restore", "--wedding", "w", "--to", str(restored), **env)
    assert done.returncode == 0, done.stderr
    assert len(list(restored.glob("*/*/*"))) == 6


@SQLITE_ONLY
def test_tiers_and_lifecycle_from_the_command_line(cli: Cli, tmp_path) -> None:
    from datetime import UTC, datetime, timedelta

    today = datetime.now(UTC).date()
    card = tmp_path / "card"
    card.mkdir()
    for seed in range(3):
        make_jpeg(card / f"IMG_{seed:04d}.JPG", seed=seed)
    old = (today - timedelta(days=800)).isoformat()
    assert cli.invoke("ingest", str(card), "--wedding", "old", "--date", old).returncode == 0
    make_jpeg(card / "IMG_0009.JPG", seed=9)
    soon = (today + timedelta(days=20)).isoformat()
    assert cli.invoke("ingest", str(card), "--wedding", "soon", "--date", soon).returncode == 0
    env = _env(tmp_path)
    assert cli.invoke("backup", "init", **env).returncode == 0
    assert cli.invoke("backup", "run", **env).returncode == 0

    tiers = cli.invoke("backup", "tiers", "--json", "--throughput", "50", **env)
    assert tiers.returncode == 0, tiers.stderr
    report = json.loads(tiers.stdout)
    hot, warm, cold = report["tiers"]
    assert (hot["tier"], hot["weddings"], hot["blobs"]) == ("hot", 1, 4)
    assert (warm["weddings"], cold["weddings"], cold["blobs"]) == (0, 1, 3)
    assert cold["storage_class"] == "GLACIER_IR" and report["throughput"] == "measured"
    assert cold["estimated_restore_seconds"] == round(0.1 + cold["bytes"] / 50e6, 3)
    text = cli.invoke("backup", "tiers", **env)
    assert text.returncode == 0 and "assumed, not measured" in text.stdout, text.stderr

    local = cli.invoke("backup", "lifecycle", **env)
    assert local.returncode == 0 and "do not apply to a directory target" in local.stdout
    assert_one_line_error(cli.invoke("backup", "lifecycle", "--apply", **env), "directory target")

    s3 = "s3://studio-backups/eu/repo?region=eu-west-3"
    rules = cli.invoke("backup", "lifecycle", "--json", "--to", s3, **env)
    assert rules.returncode == 0, rules.stderr
    packs, uploads = json.loads(rules.stdout)["Rules"]
    assert packs["Filter"] == {"Prefix": "eu/repo/packs/"}
    assert [t["StorageClass"] for t in packs["Transitions"]] == ["STANDARD_IA", "GLACIER_IR"]
    assert uploads["Filter"] == {"Prefix": "eu/repo/"}
    shown = cli.invoke("backup", "lifecycle", "--to", s3, **env)
    assert "aws s3api put-bucket-lifecycle-configuration --bucket studio-backups" in shown.stdout
    assert_one_line_error(
        cli.invoke("backup", "lifecycle", "--apply", "--to", s3, **env),
        "put-bucket-lifecycle-configuration",
    )
    assert_one_line_error(
        cli.invoke("backup", "lifecycle", "--to", s3, TROUSSEAU_BACKUP__HOT_DAYS="7", **env),
        "STANDARD_IA only after 30 days",
    )


@SQLITE_ONLY
def test_forget_and_prune_from_the_command_line(cli: Cli, tmp_path) -> None:
    env = _env(tmp_path)
    for wedding, seeds in (("smith-jones", range(4)), ("other", range(4, 8))):
        card = tmp_path / wedding
        card.mkdir()
        for seed in seeds:
            make_jpeg(card / f"IMG_{seed:04d}.JPG", seed=seed)
        assert cli.invoke("ingest", str(card), "--wedding", wedding).returncode == 0
        if wedding == "smith-jones":
            assert cli.invoke("backup", "init", **env).returncode == 0
        assert cli.invoke("backup", "run", **env).returncode == 0

    planned = cli.invoke("backup", "forget", "--keep-last", "1", "--dry-run", "--json", **env)
    assert planned.returncode == 0, planned.stderr
    plan = json.loads(planned.stdout)
    assert plan["dry_run"] and (plan["kept"], plan["forgotten"]) == (1, 1)
    # the newest is kept by every rule (backup.keep_* from settings, --keep-last overriding)
    assert plan["snapshots"][0]["keep"] and plan["snapshots"][0]["reasons"][0] == "last"
    assert "daily" in plan["snapshots"][0]["reasons"]
    forgot = cli.invoke("backup", "forget", "--keep-last", "1", **env)
    assert forgot.returncode == 0, forgot.stderr
    assert "forget" in forgot.stdout and "forgot 1 of 2 snapshots" in forgot.stdout
    assert len(json.loads(cli.invoke("backup", "status", "--json", **env).stdout)) > 0
    assert_one_line_error(cli.invoke("backup", "forget", "--tz", "Mars/Olympus", **env), "IANA")

    lenient = json.loads(cli.invoke("backup", "prune", "--dry-run", "--json", **env).stdout)
    assert lenient["packs_repacked"] == 0  # the first run's catalog dump: under 5 % of its pack
    dry = cli.invoke("backup", "prune", "--max-unused", "0", "--dry-run", "--json", **env)
    assert json.loads(dry.stdout)["bytes_freed"] > 0 and json.loads(dry.stdout)["dry_run"]
    pruned = cli.invoke("backup", "prune", "--max-unused", "0", **env)
    assert pruned.returncode == 0 and "MB freed" in pruned.stdout, pruned.stderr

    erased = cli.invoke("backup", "erase", "--wedding", "smith-jones", "--yes", **env)
    assert erased.returncode == 0, erased.stderr
    reclaimed = json.loads(
        cli.invoke("backup", "prune", "--max-unused", "0", "--json", **env).stdout
    )
    photos = sum(p.stat().st_size for p in (tmp_path / "smith-jones").iterdir())
    assert reclaimed["bytes_freed"] > photos * 0.9 and not reclaimed["dry_run"]
    again = cli.invoke("backup", "prune", **env)
    assert "nothing to prune" in again.stdout, again.stdout + again.stderr
    checked = cli.invoke("backup", "verify", "--read-data", **env)
    assert checked.returncode == 0 and "no problem" in checked.stdout, checked.stderr
    out = tmp_path / "restored"
    restored = cli.invoke("backup", "restore", "--wedding", "other", "--to", str(out), **env)
    assert restored.returncode == 0, restored.stderr
    assert all(hashlib.sha256(p.read_bytes()).hexdigest() == p.name for p in out.glob("*/*/*"))
    assert len(list(out.glob("*/*/*"))) == 4


@SQLITE_ONLY
def test_replicate_and_copies_from_the_command_line(cli: Cli, tmp_path) -> None:
    card = tmp_path / "card"
    card.mkdir()
    for seed in range(2):
        make_jpeg(card / f"IMG_{seed:04d}.JPG", seed=seed)
    assert cli.invoke("ingest", str(card), "--wedding", "smith-jones").returncode == 0
    alone = _env(tmp_path)
    assert cli.invoke("backup", "init", **alone).returncode == 0
    none = cli.invoke("backup", "replicate", **alone)
    assert none.returncode == 0 and "no replica configured" in none.stdout
    env = alone | {
        "TROUSSEAU_BACKUP__TARGETS": json.dumps([str(tmp_path / "repo"), str(tmp_path / "copy")])
    }
    ran = cli.invoke("backup", "run", **env)
    assert ran.returncode == 0, ran.stderr
    assert f"replica file://{tmp_path / 'copy'}" in ran.stdout or "(new replica)" in ran.stdout
    again = cli.invoke("backup", "replicate", **env)
    assert again.returncode == 0 and "0 files copied" in again.stdout, again.stderr
    copies = json.loads(cli.invoke("backup", "copies", "--json", **env).stdout)
    [row] = copies
    assert row["copies"] == 3 and row["met"] and row["vault"] and len(row["targets"]) == 2
    table = cli.invoke("backup", "copies", **env)
    assert table.returncode == 0 and "1 of 1 weddings" in table.stdout, table.stderr
    copy_only = alone | {"TROUSSEAU_BACKUP__TARGETS": json.dumps([str(tmp_path / "copy")])}
    checked = cli.invoke("backup", "verify", "--read-data", **copy_only)
    assert checked.returncode == 0 and "no problem" in checked.stdout, checked.stderr


@SQLITE_ONLY
def test_pg_archive_config_prints_both_files_from_the_catalog_url_never_its_password(
    cli: Cli, tmp_path
) -> None:
    url = "postgresql+psycopg://trousseau:pw-7f3a9c@db.internal:5433/catalog"
    local = cli.invoke(
        "backup", "pg-archive-config", "--stanza", "studio", "--repo-path", "/srv/pgbackrest",
        TROUSSEAU_CATALOG_URL=url,
    )  # fmt: skip
    assert local.returncode == 0, local.stderr
    lines = local.stdout.splitlines()
    assert "archive_mode = on" in lines and "wal_level = replica" in lines
    assert (
        "archive_command = 'pgbackrest --config=/etc/pgbackrest/pgbackrest.conf "
        "--stanza=studio archive-push %p'"
    ) in lines
    wanted = ("[global]", "repo1-type=posix", "repo1-path=/srv/pgbackrest", "[studio]",
              "pg1-port=5433", "pg1-database=catalog", "repo1-cipher-type=aes-256-cbc")  # fmt: skip
    assert set(wanted) <= set(lines)
    s3 = cli.invoke(
        "backup", "pg-archive-config", "--s3", "s3://wal-bucket/cat?region=eu-west-1",
        "--no-encrypt", "--archive-timeout", "30", "--pg-data", "/srv/pg/main",
        TROUSSEAU_CATALOG_URL=url,
    )  # fmt: skip
    assert s3.returncode == 0, s3.stderr
    wanted = ("repo1-type=s3", "repo1-s3-bucket=wal-bucket", "archive_timeout = 30",
              "pg1-path=/srv/pg/main", "repo1-s3-endpoint=s3.eu-west-1.amazonaws.com")  # fmt: skip
    assert set(wanted) <= set(s3.stdout.splitlines())
    assert "cipher-type" not in s3.stdout
    assert "pw-7f3a9c" not in local.stdout + local.stderr + s3.stdout + s3.stderr

    assert_one_line_error(cli.invoke("backup", "pg-archive-config", "--repo-path", "/srv/x"),
                          "not PostgreSQL")  # fmt: skip
    assert_one_line_error(
        cli.invoke("backup", "pg-archive-config", TROUSSEAU_CATALOG_URL=url), "exactly one"
    )

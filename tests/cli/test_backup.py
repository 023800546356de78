"""`trousseau backup …` as an operator runs it: init, run, status, verify, restore, erase."""

from __future__ import annotations

import hashlib
import json

from ..ingest.conftest import make_jpeg
from .conftest import Cli, assert_one_line_error

SECRET = "a long passphrase nobody types twice"


def _env(tmp_path) -> dict[str, str]:
    return {
        "TROUSSEAU_BACKUP__PASSPHRASE": SECRET,
        "TROUSSEAU_BACKUP__TARGETS": json.dumps([str(tmp_path / "repo")]),
    }


def test_backup_restore_and_erase_from_the_command_line(cli: Cli, tmp_path) -> None:
    card = tmp_path / "card"
    card.mkdir()
    for seed in range(4):
        make_jpeg(card / f"IMG_{seed:04d}.JPG", seed=seed)
    assert cli.run("ingest", str(card), "--wedding", "smith-jones").returncode == 0
    assert cli.run("ingest", str(card), "--wedding", "other").returncode == 0
    env = _env(tmp_path)

    created = cli.run("backup", "init", **env)
    assert created.returncode == 0, created.stderr
    assert_one_line_error(cli.run("backup", "init", **env), "already there")

    first = cli.run("backup", "run", **env)
    assert first.returncode == 0, first.stderr
    assert "8 blobs" in first.stdout and "full run" in first.stdout
    unchanged = cli.run("backup", "run", **env)
    assert "nothing changed" in unchanged.stdout

    status = json.loads(cli.run("backup", "status", "--json", **env).stdout)
    assert status["snapshots"] == 1 and status["pending_changes"] == 0 and not status["late"]
    assert status["dedup_ratio"] > 1.5  # the same four photos in two weddings

    checked = cli.run("backup", "verify", "--read-data", **env)
    assert checked.returncode == 0 and "no problem" in checked.stdout, checked.stderr

    out = tmp_path / "restored"
    restored = cli.run("backup", "restore", "--wedding", "smith-jones", "--to", str(out), **env)
    assert restored.returncode == 0, restored.stderr
    files = list(out.glob("*/*/*"))
    originals = {hashlib.sha256(p.read_bytes()).hexdigest() for p in card.iterdir()}
    assert {p.name for p in files} == originals
    assert all(hashlib.sha256(p.read_bytes()).hexdigest() == p.name for p in files)
    assert "IMG_0000.JPG" in (out / "names.tsv").read_text()

    erased = cli.run("backup", "erase", "--wedding", "smith-jones", "--yes", "--by", "dpo", **env)
    assert erased.returncode == 0 and "audit record" in erased.stdout, erased.stderr
    assert "0 blobs deleted" in erased.stdout and "4 kept" in erased.stdout  # "other" holds them
    assert_one_line_error(
        cli.run(
            "backup", "restore", "--wedding", "smith-jones", "--to", str(tmp_path / "x"), **env
        ),
        "smith-jones",
    )
    whole = cli.run("backup", "restore", "--to", str(tmp_path / "all"), **env)
    assert whole.returncode == 0 and "1 erased weddings left out" in whole.stdout, whole.stderr
    other = cli.run("backup", "restore", "--wedding", "other", "--to", str(tmp_path / "o"), **env)
    assert other.returncode == 0, other.stderr
    assert len(list((tmp_path / "o").glob("*/*/*"))) == 4
    assert SECRET not in first.stdout + first.stderr + status.__repr__()


def test_a_wrong_or_missing_passphrase_is_one_clear_line(cli: Cli, tmp_path) -> None:
    env = _env(tmp_path)
    assert cli.run("backup", "init", **env).returncode == 0
    wrong = cli.run("backup", "run", **{**env, "TROUSSEAU_BACKUP__PASSPHRASE": "guess"})
    assert_one_line_error(wrong, "passphrase opens none", "TROUSSEAU_BACKUP__PASSPHRASE")
    assert "guess" not in wrong.stderr
    missing = cli.run("backup", "run", TROUSSEAU_BACKUP__TARGETS=env["TROUSSEAU_BACKUP__TARGETS"])
    assert_one_line_error(missing, "no backup passphrase", "never on the command line")
    nowhere = cli.run("backup", "status", TROUSSEAU_BACKUP__PASSPHRASE=SECRET)
    assert_one_line_error(nowhere, "no backup target")


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

"""Failover: the PostgreSQL primary SIGKILLed mid-ingest, its synchronous streaming replica
promoted, trousseau pointed at it: no acknowledged photo is lost and ingest resumes.

Two real PostgreSQL clusters on loopback ports (initdb, pg_basebackup -R, as the `postgres`
system user), the replica synchronous (`synchronous_standby_names = '*'`: a commit returns
once the replica has flushed it, which is what makes "acknowledged" mean "on both"). The
vault writes each original to its primary directory and a replica directory before the
photo is acknowledged (`vault_replicas`).
"""

from __future__ import annotations

import datetime as dt
import glob
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

from trousseau.errors import TrousseauError

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

BIN = sorted(glob.glob("/usr/lib/postgresql/*/bin"))


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres(*command: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        ["runuser", "-u", "postgres", "--", *command],
        capture_output=True,
        text=True,
        timeout=120,
        cwd="/",
    )
    assert done.returncode == 0, f"{command}: {done.stdout}{done.stderr}"
    return done


@pytest.fixture
def clusters(tmp_path: Path):
    """(primary port, replica port, primary data dir, replica data dir), both running."""
    if os.geteuid() != 0 or not BIN or shutil.which("runuser") is None:
        pytest.skip("needs root, runuser and PostgreSQL's server binaries")
    try:
        import pwd

        pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("needs the postgres system user")
    bin_dir = Path(BIN[-1])
    base = Path(tempfile.mkdtemp(prefix="trousseau-failover-"))  # postgres cannot enter tmp_path
    shutil.chown(base, "postgres", "postgres")
    primary, replica = base / "primary", base / "replica"
    p1, p2 = _free_port(), _free_port()
    _as_postgres(str(bin_dir / "initdb"), "-D", str(primary), "-U", "postgres", "--auth=trust")
    with (primary / "postgresql.conf").open("a") as conf:
        conf.write(
            f"port = {p1}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{base}'\n"
            "wal_level = replica\nmax_wal_senders = 5\n"
            "synchronous_commit = on\nfsync = on\n"
        )
    _as_postgres(
        str(bin_dir / "pg_ctl"), "-D", str(primary), "-l", str(base / "primary.log"), "-w", "start"
    )
    started = [primary]

    def psql(sql: str) -> str:
        """Run `sql` on the primary; its output, unaligned."""
        return _as_postgres(
            str(bin_dir / "psql"), "-h", "127.0.0.1", "-p", str(p1), "-U", "postgres", "-Atc", sql
        ).stdout

    try:
        psql("CREATE DATABASE trousseau")
        _as_postgres(
            str(bin_dir / "pg_basebackup"),
            "-h",
            "127.0.0.1",
            "-p",
            str(p1),
            "-U",
            "postgres",
            "-D",
            str(replica),
            "-R",
            "-X",
            "stream",
            "--checkpoint=fast",
        )
        with (replica / "postgresql.conf").open("a") as conf:
            conf.write(f"port = {p2}\n")
        _as_postgres(
            str(bin_dir / "pg_ctl"),
            "-D",
            str(replica),
            "-l",
            str(base / "replica.log"),
            "-w",
            "start",
        )
        started.append(replica)
        # synchronous once the replica streams (set before, the clone itself would wait);
        # the replica does not inherit it, so once promoted it commits alone
        psql("ALTER SYSTEM SET synchronous_standby_names = '*'")
        psql("SELECT pg_reload_conf()")
        for _ in range(100):  # the replica streams synchronously before the test starts
            state = psql("SELECT sync_state FROM pg_stat_replication")
            if state.strip() == "sync":
                break
            time.sleep(0.1)
        else:
            pytest.fail("the replica never became synchronous")
        yield p1, p2, primary, replica, bin_dir
    finally:
        for data in started:
            subprocess.run(
                [
                    "runuser",
                    "-u",
                    "postgres",
                    "--",
                    str(bin_dir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-m",
                    "immediate",
                    "stop",
                ],
                capture_output=True,
                cwd="/",
            )
        shutil.rmtree(base, ignore_errors=True)


def _photos(tmp_path: Path, count: int) -> list[Path]:
    from trousseau.demo.samples import generate_photo

    folder = tmp_path / "card"
    folder.mkdir()
    when = dt.datetime(2027, 6, 19, 14, tzinfo=dt.UTC)
    out = []
    for i in range(count):
        path = folder / f"IMG_{i:04d}.JPG"
        path.write_bytes(generate_photo(i + 1, seed=9, megapixels=0.3, when=when))
        out.append(path)
    return out


def test_killing_the_primary_loses_no_acknowledged_photo(clusters, tmp_path: Path) -> None:
    from trousseau.catalog import find_photo, open_catalog
    from trousseau.clock import utc_now
    from trousseau.ingest import WeddingSpec, accept, prepare_wedding
    from trousseau.settings import load_settings
    from trousseau.vault import open_vault

    p1, p2, primary_dir, replica_dir, bin_dir = clusters
    url = "postgresql+psycopg://postgres@127.0.0.1:{}/trousseau"
    settings = load_settings(
        data_dir=tmp_path / "data",
        catalog_url=url.format(p1),
        vault_replicas=[(tmp_path / "vault-replica").as_uri()],
    )
    vault = open_vault(settings.vault_url, replicas=settings.vault_replicas)
    catalog = open_catalog(settings.catalog_url, auto_migrate=True)
    wedding = prepare_wedding(
        catalog, WeddingSpec(slug="ada-and-sam", tenant="studio"), settings, utc_now
    )
    photos = _photos(tmp_path, 40)
    acknowledged: list[str] = []
    killed_at: list[float] = []

    def kill_primary() -> None:  # SIGKILL the postmaster while uploads go on
        while len(acknowledged) < 12:
            time.sleep(0.005)
        pid = int((primary_dir / "postmaster.pid").read_text().split()[0])
        os.kill(pid, signal.SIGKILL)
        killed_at.append(time.monotonic())

    killer = threading.Thread(target=kill_primary)
    killer.start()
    first_after: float | None = None
    failed_over = False
    refused = 0
    for path in photos:
        for _attempt in range(3):
            try:
                done = accept(
                    path,
                    wedding=wedding,
                    catalog=catalog,
                    vault=vault,
                    settings=settings,
                    clock=utc_now,
                )
            except TrousseauError:
                refused += 1  # not acknowledged: the client retries
                if failed_over:
                    raise
                killer.join()
                # the operator's (or the orchestrator's) failover: promote, repoint
                _as_postgres(str(bin_dir / "pg_ctl"), "-D", str(replica_dir), "-w", "promote")
                catalog.dispose()
                catalog = open_catalog(url.format(p2))
                failed_over = True
                continue
            acknowledged.append(done.sha256)
            if failed_over and first_after is None:
                first_after = time.monotonic()
            break
    killer.join()
    assert failed_over and refused >= 1 and killed_at
    assert len(acknowledged) == len(photos)  # ingest resumed: every photo in the end
    with catalog.begin() as conn:
        missing = [s for s in acknowledged if find_photo(conn, wedding.id, s) is None]
    assert missing == []  # no acknowledged photo lost in the failover
    for sha in acknowledged:
        for store in vault.stores:
            store.verify(sha)
    failover_seconds = (first_after or 0) - killed_at[0]
    print(
        f"failover: {failover_seconds:.2f} s from SIGKILL to the first upload acknowledged "
        f"on the promoted replica; {refused} upload(s) refused meanwhile"
    )
    assert 0 < failover_seconds < 60
    catalog.dispose()
    vault.close()

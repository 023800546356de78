"""WAL archiving for point-in-time recovery: the pgBackRest configuration trousseau writes from
the catalog URL, checked as text, then by pgBackRest itself against a private PostgreSQL
cluster (never the shared server's configuration) when both are installed."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from trousseau.backup import archive_config, catalog_server, s3_repository
from trousseau.errors import InvalidValue, SettingsError

URL = "postgresql+psycopg://trousseau:s3cret-pw@db.internal:5433/catalog"


def test_the_server_is_read_from_the_catalog_url_without_its_password():
    server = catalog_server(URL)
    assert (server.host, server.port, server.database, server.socket_dir) == (
        "db.internal",
        5433,
        "catalog",
        None,
    )
    assert "s3cret-pw" not in repr(server)
    local = catalog_server("postgresql://trousseau@/catalog?host=/var/run/postgresql")
    assert (local.host, local.port, local.socket_dir) == (None, 5432, "/var/run/postgresql")
    assert catalog_server("postgresql+psycopg://u@[::1]/c").host == "::1"


@pytest.mark.parametrize(
    "url", ["sqlite:////srv/trousseau/catalog.sqlite3", "mysql://u@h/d", "not a url"]
)
def test_a_catalog_that_is_not_postgresql_is_refused_in_one_line(url):
    with pytest.raises(SettingsError) as caught:
        catalog_server(url)
    assert "\n" not in str(caught.value)


def test_the_postgresql_conf_archives_every_wal_segment_to_the_stanza():
    config = archive_config(catalog_server(URL), stanza="studio-a", repo_path="/srv/pgbackrest")
    lines = config.postgresql_conf.splitlines()
    assert "wal_level = replica" in lines and "archive_mode = on" in lines
    assert "archive_timeout = 60" in lines
    assert (
        "archive_command = 'pgbackrest --config=/etc/pgbackrest/pgbackrest.conf "
        "--stanza=studio-a archive-push %p'"
    ) in lines
    assert "s3cret-pw" not in config.text()


def test_a_directory_repository_and_the_servers_port_and_database():
    config = archive_config(
        catalog_server(URL),
        repo_path="/srv/pgbackrest",
        pg_data="/srv/pg/16/main",
        retention_full=2,
        encrypt=False,
    )
    conf = config.pgbackrest_conf.splitlines()
    body = [line for line in conf if line and not line.startswith("#")]
    assert body == [
        "[global]",
        "repo1-type=posix",
        "repo1-path=/srv/pgbackrest",
        "repo1-retention-full=2",
        "repo1-bundle=y",
        "compress-type=zst",
        "process-max=2",
        "start-fast=y",
        "[trousseau]",
        "pg1-path=/srv/pg/16/main",
        "pg1-port=5433",
        "pg1-user=postgres",
        "pg1-database=catalog",
    ]
    assert "stanza-create" in config.commands and "--stanza=trousseau check" in config.commands


def test_an_s3_repository_is_encrypted_and_names_its_secrets_without_holding_them():
    repo = s3_repository(
        "s3://studio-wal/catalog/eu?region=eu-west-3&endpoint=https://minio.internal:9000"
        "&access_key_id=AKIAXXXX&secret_access_key=very-secret"
    )
    config = archive_config(catalog_server(URL), s3=repo)
    conf = config.pgbackrest_conf.splitlines()
    for line in (
        "repo1-type=s3",
        "repo1-path=/catalog/eu",
        "repo1-s3-bucket=studio-wal",
        "repo1-s3-endpoint=minio.internal",
        "repo1-storage-port=9000",
        "repo1-s3-region=eu-west-3",
        "repo1-s3-uri-style=path",
        "repo1-cipher-type=aes-256-cbc",
    ):
        assert line in conf
    text = config.text()
    assert "PGBACKREST_REPO1_CIPHER_PASS" in text and "PGBACKREST_REPO1_S3_KEY_SECRET" in text
    for secret in ("AKIAXXXX", "very-secret", "s3cret-pw"):
        assert secret not in text
    aws = s3_repository("s3://b?region=us-east-1")
    assert (aws.endpoint, aws.uri_style, aws.path, aws.port) == (
        "s3.us-east-1.amazonaws.com",
        "host",
        "/trousseau-catalog",
        None,
    )


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("s3://b/p", "region"),
        ("s3://b/p?region=eu-west-1&endpoint=http://minio:9000", "HTTPS"),
        ("/srv/x", "s3://bucket"),
    ],
)
def test_an_s3_url_pgbackrest_cannot_use_is_refused(url, fragment):
    with pytest.raises(SettingsError, match=fragment):
        s3_repository(url)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({}, "exactly one"),
        ({"repo_path": "/a", "s3": s3_repository("s3://b?region=r")}, "exactly one"),
        ({"repo_path": "relative/dir"}, "absolute path"),
        ({"repo_path": "/srv/it's"}, "absolute path"),
        ({"repo_path": "/srv/x", "stanza": "a b"}, "stanza"),
        ({"repo_path": "/srv/x", "stanza": "x\n[global]"}, "stanza"),
        ({"repo_path": "/srv/x", "pg_data": "/srv/a b"}, "--pg-data"),
        ({"repo_path": "/srv/x", "archive_timeout": 0}, "archive_timeout"),
    ],
)
def test_values_that_would_break_the_files_are_refused(kwargs, fragment):
    with pytest.raises(InvalidValue, match=fragment):
        archive_config(catalog_server(URL), **kwargs)


# ---- pgBackRest checks it, against a private cluster --------------------------------------

PG_BIN = Path("/usr/lib/postgresql")


def _postgres_bin() -> Path | None:
    found = sorted(PG_BIN.glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]), reverse=True)
    return found[0].parent if found else None


@pytest.fixture
def cluster_owner() -> Iterator[tuple[int, int]]:
    """The uid and gid a private cluster runs as: PostgreSQL refuses to run as root."""
    if os.geteuid() != 0:
        yield os.geteuid(), os.getegid()
        return
    try:
        postgres = pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("running as root without a postgres user to run a private cluster as")
    yield postgres.pw_uid, postgres.pw_gid


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_pgbackrest_creates_the_stanza_and_checks_archiving_on_a_private_cluster(cluster_owner):
    pgbackrest, pg_bin = shutil.which("pgbackrest"), _postgres_bin()
    if pgbackrest is None or pg_bin is None:
        pytest.skip("pgBackRest and PostgreSQL's server (Debian: pgbackrest, postgresql) needed")
    uid, gid = cluster_owner
    # Not pytest's tmp_path: the cluster's user must reach it, and a socket path is short.
    root = Path(tempfile.mkdtemp(prefix="trousseau-pitr-"))
    try:
        for sub in ("data", "repo", "log", "lock", "spool"):
            (root / sub).mkdir(mode=0o700)
        for path in (root, *root.iterdir()):
            os.chown(path, uid, gid)
        root.chmod(0o755)
        port = _free_port()
        url = f"postgresql+psycopg://postgres:never-printed@/postgres?host={root}&port={port}"
        server = catalog_server(url)
        assert (server.socket_dir, server.port) == (str(root), port)
        config = archive_config(
            server,
            stanza="trousseau-test",
            repo_path=str(root / "repo"),
            pg_data=str(root / "data"),
            config_file=str(root / "pgbackrest.conf"),
            archive_timeout=5,
        )
        (root / "pgbackrest.conf").write_text(config.pgbackrest_conf + "\n")
        os.chown(root / "pgbackrest.conf", uid, gid)
        env = {
            "PATH": f"{pg_bin}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            "PGBACKREST_LOG_PATH": str(root / "log"),
            "PGBACKREST_LOCK_PATH": str(root / "lock"),
            "PGBACKREST_SPOOL_PATH": str(root / "spool"),
            "PGBACKREST_REPO1_CIPHER_PASS": "a cipher passphrase of its own",
            "PGBACKREST_LOG_LEVEL_CONSOLE": "info",
        }
        drop = [] if os.geteuid() != 0 else ["setpriv", f"--reuid={uid}", f"--regid={gid}"]
        drop += ["--clear-groups"] if drop else []

        def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [*drop, *args],
                env=env,
                cwd=root,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )

        made = run(str(pg_bin / "initdb"), "-D", str(root / "data"), "-U", "postgres",
                   "--auth=trust", "-E", "UTF8")  # fmt: skip
        assert made.returncode == 0, made.stderr
        with (root / "data" / "postgresql.conf").open("a") as conf:
            conf.write(
                f"\n{config.postgresql_conf}\nport = {port}\nlisten_addresses = ''\n"
                f"unix_socket_directories = '{root}'\n"
            )
        log = root / "log" / "postgres.log"
        started = run(str(pg_bin / "pg_ctl"), "-D", str(root / "data"), "-l", str(log),
                      "-w", "-t", "60", "start")  # fmt: skip
        assert started.returncode == 0, started.stderr + started.stdout
        try:
            pgbackrest_args = ["--config", str(root / "pgbackrest.conf"), "--stanza=trousseau-test"]
            created = run(pgbackrest, *pgbackrest_args, "stanza-create")
            assert created.returncode == 0, created.stdout + created.stderr
            checked = run(pgbackrest, *pgbackrest_args, "check")
            assert checked.returncode == 0, checked.stdout + checked.stderr
            assert "check command end: completed successfully" in checked.stdout
            archived = list((root / "repo" / "archive" / "trousseau-test").rglob("*.zst"))
            assert archived, "no WAL segment reached the repository"
            assert "never-printed" not in config.text() + checked.stdout + checked.stderr
        finally:
            run(str(pg_bin / "pg_ctl"), "-D", str(root / "data"), "-m", "immediate", "stop")
    finally:
        shutil.rmtree(root, ignore_errors=True)

"""Point-in-time recovery of a PostgreSQL catalog: the WAL-archiving configuration for
pgBackRest, derived from the catalog URL.

trousseau's own snapshots carry a `pg_dump` of the catalog (as recent as the last backup
run). At scale the point-in-time path is PostgreSQL's WAL archive, which pgBackRest keeps
(parallel, compressed, encrypted, verified, with retention and restore to a second): trousseau
does not re-implement it, it writes its configuration (`trousseau backup pg-archive-config`;
docs/backup-postgresql.md). The configuration is for the database host, where PostgreSQL runs
`archive_command`; the repository is a directory there (`--repo-path`, often a mount) or an S3
bucket (`--s3`), in another region than the vault's replicas.

No secret is ever written: the catalog URL's password is dropped when the URL is read (pgBackRest
connects over the local socket as the `postgres` user), the repository's cipher passphrase and
S3 keys are named as the environment variables pgBackRest reads them from.

Pure: plain values in, text out; the CLI reads the settings and prints.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from trousseau.errors import InvalidValue, SettingsError

DEFAULT_STANZA = "trousseau"
DEFAULT_CONFIG_FILE = "/etc/pgbackrest/pgbackrest.conf"
DEFAULT_PG_DATA = "/var/lib/postgresql/15/main"
"""Debian's data directory of PostgreSQL 15; `SHOW data_directory;` says the server's."""
DEFAULT_PORT = 5432

_STANZA = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_PATH = re.compile(r"/[A-Za-z0-9_./@+,:=-]*")
"""An absolute path that needs no quoting in a shell command or a configuration line."""
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.$-]{0,62}")
_HOST = re.compile(r"[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?(:[0-9]{1,5})?")
_IPV6 = re.compile(r"[0-9A-Fa-f:.]{2,45}")


@dataclass(frozen=True)
class CatalogServer:
    """Where the catalog's PostgreSQL listens, as its URL says (never its password)."""

    database: str
    host: str | None = None
    """The TCP host; None when the URL names only a socket directory (or nothing)."""
    port: int = DEFAULT_PORT
    socket_dir: str | None = None
    """The Unix socket directory (`?host=/var/run/postgresql`), when the URL names one."""

    @property
    def where(self) -> str:
        if self.host is not None:
            return f"{self.host}:{self.port}"
        return f"{self.socket_dir or 'the local socket'}, port {self.port}"


def catalog_server(url: str) -> CatalogServer:
    """The server of a `postgresql://` or `postgresql+psycopg://` catalog URL.

    SettingsError for a SQLite (or any other) catalog: point-in-time recovery by WAL archive
    is PostgreSQL's; a SQLite catalog is in every snapshot whole.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise SettingsError("the catalog URL cannot be read: check TROUSSEAU_CATALOG_URL") from None
    if parsed.get_backend_name() != "postgresql":
        raise SettingsError(
            f"the catalog is {parsed.get_backend_name() or 'not a database URL'}, not "
            "PostgreSQL: WAL archiving (point-in-time recovery) is for a PostgreSQL catalog; "
            "a SQLite catalog is in every `trousseau backup run` snapshot whole"
        )
    socket = parsed.query.get("host")
    socket_dir = socket if isinstance(socket, str) and socket.startswith("/") else None
    if socket_dir is not None and not _PATH.fullmatch(socket_dir):
        raise InvalidValue("the catalog URL's socket directory holds characters a path cannot")
    host = parsed.host or None
    if host is not None and not (_HOST.fullmatch(host) or _IPV6.fullmatch(host)):
        raise InvalidValue("the catalog URL's host is not a host name or an address")
    database = parsed.database or "postgres"
    if not _NAME.fullmatch(database):
        raise InvalidValue(f"the catalog database name {database[:64]!r} needs quoting")
    port = parsed.query.get("port")  # libpq's form beside a socket directory
    if parsed.port is None and isinstance(port, str) and port.isdigit():
        return CatalogServer(database, host, int(port), socket_dir)
    return CatalogServer(database, host, parsed.port or DEFAULT_PORT, socket_dir)


@dataclass(frozen=True)
class S3Repository:
    """pgBackRest's repository in an S3-compatible bucket."""

    bucket: str
    path: str
    """The repository's path in the bucket (`/` and the prefix)."""
    region: str
    endpoint: str
    """Host of the S3 API, without scheme or port: pgBackRest speaks HTTPS only."""
    port: int | None = None
    """The S3 API's port when not 443 (`repo1-storage-port`)."""
    uri_style: str = "host"
    """`host` (AWS: bucket.endpoint) or `path` (MinIO and most others: endpoint/bucket)."""


def s3_repository(url: str) -> S3Repository:
    """The repository of an `s3://bucket/prefix?region=…[&endpoint=…]` URL (the form of
    backup.targets); keys in the URL are ignored, never written (they go in the environment).

    SettingsError without a region, or with an http:// endpoint (pgBackRest needs TLS).
    """
    parts = urlsplit(url)
    if parts.scheme.lower() != "s3" or not parts.netloc:
        raise SettingsError("--s3 takes s3://bucket/prefix?region=REGION[&endpoint=HOST]")
    bucket = parts.netloc
    prefix = unquote(parts.path).strip("/") or "trousseau-catalog"
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    region = query.get("region", "")
    if not re.fullmatch(r"[a-z0-9-]{1,64}", region):
        raise SettingsError(
            "the S3 repository needs its region: s3://bucket/prefix?region=eu-west-1"
        )
    endpoint = query.get("endpoint", "")
    if endpoint.lower().startswith("http://"):
        raise SettingsError(
            "pgBackRest reaches S3 over HTTPS only: give an https:// endpoint (or none for AWS)"
        )
    endpoint = endpoint.removeprefix("https://").removeprefix("HTTPS://").rstrip("/")
    style = "path" if endpoint and not endpoint.endswith("amazonaws.com") else "host"
    endpoint = endpoint or f"s3.{region}.amazonaws.com"
    for value, what in ((bucket, "bucket"), (endpoint, "endpoint")):
        if not _HOST.fullmatch(value):
            raise SettingsError(f"the S3 {what} {value[:100]!r} is not a host name")
    if not _PATH.fullmatch(f"/{prefix}"):
        raise SettingsError(f"the S3 prefix {prefix[:100]!r} holds characters a path cannot")
    host, _, port = endpoint.partition(":")
    return S3Repository(bucket, f"/{prefix}", region, host, int(port) if port else None, style)


@dataclass(frozen=True)
class ArchiveConfig:
    """The configuration of WAL archiving to a pgBackRest stanza, and the commands that
    start it."""

    stanza: str
    config_file: str
    postgresql_conf: str
    """Lines for the server's postgresql.conf (or a file in conf.d)."""
    pgbackrest_conf: str
    """The whole pgbackrest.conf, for `config_file`."""
    commands: str
    """What to run, as the postgres user, once both are in place."""

    def text(self) -> str:
        """All three, each under a comment naming where it goes."""
        return (
            "# ---- postgresql.conf (or conf.d/trousseau-archive.conf); restart PostgreSQL "
            "after ----\n"
            f"{self.postgresql_conf}\n"
            f"# ---- {self.config_file} ----\n"
            f"{self.pgbackrest_conf}\n"
            "# ---- then, as the postgres user ----\n"
            f"{self.commands}"
        )


def _checked_path(value: str, what: str) -> str:
    if not _PATH.fullmatch(value):
        raise InvalidValue(
            f"{what} {value[:200]!r} must be an absolute path of letters, digits and _ . / @ + "
            ", : = - (it goes into a shell command and a configuration line unquoted)"
        )
    return value


def archive_config(
    server: CatalogServer,
    *,
    pg_data: str | None = None,
    stanza: str = DEFAULT_STANZA,
    repo_path: str | None = None,
    s3: S3Repository | None = None,
    config_file: str | None = None,
    pg_user: str = "postgres",
    archive_timeout: int = 60,
    retention_full: int = 4,
    process_max: int = 2,
    encrypt: bool = True,
) -> ArchiveConfig:
    """postgresql.conf lines and a pgbackrest.conf archiving `server`'s WAL to `stanza`, in a
    repository at `repo_path` (a directory) or in `s3` (exactly one). `pg_data` is the
    server's data directory (default: Debian's for PostgreSQL 15), `config_file` where
    pgbackrest.conf goes (default: /etc/pgbackrest/pgbackrest.conf).

    `archive_timeout` (seconds) bounds the recovery point of a quiet catalog: a segment is
    shipped at least that often. With `encrypt`, the repository is AES-256 encrypted with the
    passphrase pgBackRest reads from PGBACKREST_REPO1_CIPHER_PASS.
    InvalidValue for a stanza, path or number pgBackRest would refuse.
    """
    if (repo_path is None) == (s3 is None):
        raise InvalidValue("pgBackRest's repository: give exactly one of --repo-path and --s3")
    if not _STANZA.fullmatch(stanza):
        raise InvalidValue(
            f"stanza {stanza[:100]!r}: letters, digits, _ . - (64 at most), starting with a "
            "letter or digit"
        )
    if not _NAME.fullmatch(pg_user):
        raise InvalidValue(f"PostgreSQL user {pg_user[:100]!r} needs quoting")
    pg_data = _checked_path(pg_data or DEFAULT_PG_DATA, "--pg-data")
    config_file = _checked_path(config_file or DEFAULT_CONFIG_FILE, "--config-file")
    for value, what, low in (
        (archive_timeout, "archive_timeout", 1),
        (retention_full, "full backups kept", 1),
        (process_max, "process-max", 1),
    ):
        if value < low or value > 999_999:
            raise InvalidValue(f"{what} must be between {low} and 999999, not {value}")

    pgbackrest = f"pgbackrest --config={config_file} --stanza={stanza}"
    postgresql_conf = "\n".join(
        [
            f"# WAL archiving of the trousseau catalog (database {server.database} on "
            f"{server.where}) to pgBackRest stanza {stanza}.",
            "# wal_level and archive_mode take effect at the next restart; the rest on reload.",
            "wal_level = replica",
            "archive_mode = on",
            f"archive_command = '{pgbackrest} archive-push %p'",
            f"archive_timeout = {archive_timeout}",
        ]
    )

    repo: list[str]
    if s3 is not None:
        repo = [
            "repo1-type=s3",
            f"repo1-path={s3.path}",
            f"repo1-s3-bucket={s3.bucket}",
            f"repo1-s3-endpoint={s3.endpoint}",
            f"repo1-s3-region={s3.region}",
            f"repo1-s3-uri-style={s3.uri_style}",
            *([f"repo1-storage-port={s3.port}"] if s3.port is not None else []),
            "# S3 keys: PGBACKREST_REPO1_S3_KEY and PGBACKREST_REPO1_S3_KEY_SECRET in the",
            "# environment of the postgres user (or repo1-s3-key-type=auto for an instance role)",
        ]
    else:
        assert repo_path is not None
        repo = ["repo1-type=posix", f"repo1-path={_checked_path(repo_path, '--repo-path')}"]
    if encrypt:
        repo += [
            "repo1-cipher-type=aes-256-cbc",
            "# cipher passphrase: PGBACKREST_REPO1_CIPHER_PASS in the environment of the postgres",
            "# user; a secret of its own, never the trousseau backup passphrase",
        ]
    pg = [f"pg1-path={pg_data}", f"pg1-port={server.port}", f"pg1-user={pg_user}"]
    pg.append(f"pg1-database={server.database}")
    if server.socket_dir is not None:
        pg.append(f"pg1-socket-path={server.socket_dir}")
    pgbackrest_conf = "\n".join(
        [
            f"# pgBackRest for the trousseau catalog (database {server.database} on "
            f"{server.where}),",
            "# on the database host. Written by `trousseau backup pg-archive-config`: no secret "
            "is in it.",
            "[global]",
            *repo,
            f"repo1-retention-full={retention_full}",
            "repo1-bundle=y",
            "compress-type=zst",
            f"process-max={process_max}",
            "start-fast=y",
            "",
            f"[{stanza}]",
            *pg,
        ]
    )
    commands = "\n".join(
        [
            f"{pgbackrest} stanza-create",
            f"{pgbackrest} check                # archive_command works end to end",
            f"{pgbackrest} --type=full backup   # weekly",
            f"{pgbackrest} --type=diff backup   # daily",
            f"{pgbackrest} info",
        ]
    )
    return ArchiveConfig(stanza, config_file, postgresql_conf, pgbackrest_conf, commands)

"""Catalog snapshots: one consistent copy of the catalog database, for a backup to carry.

A snapshot holds the vault's blobs and the catalog that names them; the catalog is copied
while it is in use, so the copy must be one moment of it, never half of a transaction.

- SQLite: the online backup API (`sqlite3.Connection.backup`), in one step, reads the whole
  database inside one read transaction; in WAL mode writers go on meanwhile and none of
  their later commits reach the copy. The copy is a plain single-file database
  (journal_mode DELETE), written beside `out` and renamed into place once fsync'd.
- PostgreSQL: `pg_dump --format=custom`, which reads every table in one snapshot. The
  command is built from the catalog URL (host, port, user, database, options); the password
  goes through PGPASSWORD, never on a command line, and no message shows it.

Restoring is the reverse, and never overwrites a catalog that holds data unless asked to.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from sqlalchemy import URL, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from trousseau.errors import BackupError, InvalidValue, RepositoryCorrupt
from trousseau.settings import redact_url

DumpFormat = Literal["sqlite", "pg_dump"]
FORMATS: tuple[DumpFormat, ...] = ("sqlite", "pg_dump")

SQLITE_BUSY_SECONDS = 30.0
"""How long a copy waits for a lock another connection holds (a checkpoint, a restore)."""
CONNECT_TIMEOUT_SECONDS = 10
"""How long pg_dump and pg_restore wait for the server to answer, unless the URL says."""
STDERR_SUMMARY_CHARS = 400


@dataclass(frozen=True)
class CatalogDump:
    """A catalog snapshot on disk: where, which format, its size and SHA-256, and when."""

    path: Path
    format: DumpFormat
    bytes: int
    sha256: str
    taken_at: datetime


@dataclass(frozen=True)
class _Postgres:
    """What pg_dump and pg_restore need to reach a database, the password kept apart."""

    conninfo: str
    password: str | None
    database: str
    where: str
    """host:port, for messages."""


def _parse(catalog_url: str) -> URL:
    try:
        return make_url(catalog_url)
    except ArgumentError:
        raise InvalidValue(
            f"catalog URL {redact_url(catalog_url)!r} is not a database URL: use "
            "sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DB"
        ) from None


def _backend(url: URL) -> str:
    name = url.get_backend_name()
    if name in ("postgresql", "postgres"):
        return "postgresql"
    if name == "sqlite":
        return "sqlite"
    raise InvalidValue(
        f"catalog URL {redact_url(url.render_as_string())!r} names an unsupported database "
        f"{name!r}: only SQLite and PostgreSQL catalogs can be dumped"
    )


def _format_of(url: URL) -> DumpFormat:
    return "sqlite" if _backend(url) == "sqlite" else "pg_dump"


def _sqlite_path(url: URL) -> Path:
    database = url.database or ""
    if database in ("", ":memory:"):
        raise InvalidValue("an in-memory SQLite catalog has nothing to dump: give a file path")
    return Path(database)


def _quote(value: str) -> str:
    """A libpq connection-string value, quoted (single quotes, backslash escapes)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _postgres(url: URL) -> _Postgres:
    params: dict[str, str] = {}
    for key, value in url.query.items():
        if key != "password":
            params[key] = value if isinstance(value, str) else value[-1]
    password = url.password if url.password is not None else url.query.get("password")
    if isinstance(password, tuple):
        password = password[-1]
    if url.host:
        params["host"] = url.host
    if url.port:
        params["port"] = str(url.port)
    if url.username:
        params["user"] = url.username
    params["dbname"] = url.database or ""
    params.setdefault("connect_timeout", str(CONNECT_TIMEOUT_SECONDS))
    conninfo = " ".join(f"{key}={_quote(value)}" for key, value in params.items())
    where = f"{url.host or 'the local socket'}:{url.port or 5432}"
    return _Postgres(conninfo, password, url.database or "", where)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not installed or not on PATH: install the PostgreSQL client tools "
            "(e.g. postgresql-client-15, of the server's major version or newer) to back up "
            "or restore a PostgreSQL catalog"
        )
    return found


def _summary(stderr: str, secret: str | None) -> str:
    """The last lines pg_dump or pg_restore wrote, short, without the password."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    summary = " / ".join(lines[-3:]) or "no message"
    if secret:
        summary = summary.replace(secret, "***")
    if len(summary) > STDERR_SUMMARY_CHARS:
        summary = "…" + summary[-STDERR_SUMMARY_CHARS:]
    return summary


def _run(tool: str, args: list[str], target: _Postgres) -> None:
    """Run a PostgreSQL client tool against `target`; BackupError saying why it failed."""
    env: Mapping[str, str] = dict(os.environ)
    if target.password is not None:
        env = {**env, "PGPASSWORD": target.password}
    try:
        done = subprocess.run(
            [_tool(tool), "--no-password", *args],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError as exc:
        raise BackupError(f"{tool} could not be started: {exc.strerror}") from None
    if done.returncode != 0:
        raise BackupError(
            f"{tool} failed on the catalog database {target.database!r} at {target.where} "
            f"(exit {done.returncode}): {_summary(done.stderr, target.password)}; check that "
            f"the database exists and answers, and that {tool} is of the server's major "
            "version or newer"
        )


def _sha256(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as f:
        while block := f.read(1024 * 1024):
            digest.update(block)
            size += len(block)
    return size, digest.hexdigest()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def _beside(target: Path, what: str) -> Iterator[Path]:
    """A temporary path beside `target`, renamed onto it (fsync'd) when the block succeeds
    and removed when it fails: `target` is the whole file or is untouched."""
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(f".{target.name}.{what}-{os.getpid()}.part")
    part.unlink(missing_ok=True)
    try:
        yield part
        _fsync(part)
        part.replace(target)
        _fsync(target.parent)
    finally:
        with suppress(FileNotFoundError):
            part.unlink()


def _open_readonly(path: Path) -> sqlite3.Connection:
    """An existing SQLite file, read only (never creating an empty one at a wrong path)."""
    if not path.is_file():
        raise BackupError(f"no SQLite catalog at {path}: check the catalog URL")
    uri = path.resolve().as_uri() + "?mode=ro"
    return sqlite3.connect(uri, uri=True, timeout=SQLITE_BUSY_SECONDS)


def _copy_sqlite(source: sqlite3.Connection, target: Path) -> None:
    """The whole of `source`, in one step (one read transaction), into the new file `target`."""
    copy = sqlite3.connect(target, timeout=SQLITE_BUSY_SECONDS)
    try:
        source.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    finally:
        copy.close()


def dump_catalog(catalog_url: str, out: Path, *, taken_at: datetime) -> CatalogDump:
    """A consistent snapshot of the catalog at `catalog_url`, written to `out` (replaced).

    SQLite through the online backup API, PostgreSQL through `pg_dump --format=custom`;
    `taken_at` is recorded as given (the caller's clock). BackupError naming the database
    and the cause when it cannot be dumped (no such file, pg_dump missing or failing).
    """
    url = _parse(catalog_url)
    if _format_of(url) == "sqlite":
        path = _sqlite_path(url)
        try:
            source = _open_readonly(path)
            try:
                with _beside(out, "dump") as part:
                    _copy_sqlite(source, part)
            finally:
                source.close()
        except sqlite3.Error as exc:
            raise BackupError(
                f"the SQLite catalog {path} could not be copied: {exc}; check the file and "
                "the free space where the dump goes"
            ) from None
        fmt: DumpFormat = "sqlite"
    else:
        target = _postgres(url)
        with _beside(out, "dump") as part:
            _run(
                "pg_dump",
                ["--format=custom", f"--file={part}", f"--dbname={target.conninfo}"],
                target,
            )
        fmt = "pg_dump"
    size, digest = _sha256(out)
    return CatalogDump(out, fmt, size, digest, taken_at)


def _check_sqlite_dump(dump: Path) -> sqlite3.Connection:
    """The dump, opened read only once SQLite finds it whole; RepositoryCorrupt otherwise."""
    try:
        source = _open_readonly(dump)
        verdict = source.execute("PRAGMA quick_check").fetchone()
    except sqlite3.DatabaseError as exc:
        raise RepositoryCorrupt(
            f"the catalog dump {dump} is not a readable SQLite database ({exc}): restore "
            "it from another snapshot or another copy of the repository"
        ) from None
    if verdict is None or verdict[0] != "ok":
        source.close()
        raise RepositoryCorrupt(
            f"the catalog dump {dump} is damaged (quick_check: {verdict and verdict[0]}): "
            "restore it from another snapshot or another copy of the repository"
        )
    return source


def _sqlite_holds_data(path: Path) -> bool:
    wal = path.with_name(path.name + "-wal")
    return (path.exists() and path.stat().st_size > 0) or (wal.exists() and wal.stat().st_size > 0)


def _restore_sqlite(dump: Path, path: Path, *, replace: bool) -> None:
    holds_data = _sqlite_holds_data(path)
    if holds_data and not replace:
        raise BackupError(
            f"the catalog {path} already holds a database: restoring would overwrite it. "
            "Restore into a new path, or stop trousseau and restore with replace=True"
        )
    source = _check_sqlite_dump(dump)
    try:
        if holds_data:
            # Copied into the live database through its own pager: its write-ahead log and
            # any open connection see the restored catalog whole, as one transaction.
            live = sqlite3.connect(path, timeout=SQLITE_BUSY_SECONDS)
            try:
                source.backup(live)
            finally:
                live.close()
        else:
            with _beside(path, "restore") as part:
                _copy_sqlite(source, part)
    except sqlite3.Error as exc:
        raise BackupError(
            f"the catalog dump {dump} could not be restored into {path}: {exc}"
        ) from None
    finally:
        source.close()


def _postgres_holds_data(url: URL, target: _Postgres) -> bool:
    engine = create_engine(url.set(drivername="postgresql+psycopg"), poolclass=NullPool)
    try:
        with engine.connect() as conn:
            tables = conn.execute(
                text(
                    "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname NOT IN "
                    "('pg_catalog', 'information_schema')"
                )
            ).scalar()
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        raise BackupError(
            f"the catalog database {target.database!r} at {target.where} cannot be reached "
            f"to restore into ({_summary(str(cause), target.password)}): create it, or "
            "check the URL"
        ) from None
    finally:
        engine.dispose()
    return bool(tables)


def restore_catalog(dump: Path, catalog_url: str, *, format: str, replace: bool = False) -> None:
    """Restore the catalog dump `dump` (of `format`) into the catalog at `catalog_url`.

    SQLite: into a new file beside the target, renamed into place; a target holding a
    database is refused unless `replace`, and then restored through the backup API into the
    live file (its write-ahead log stays consistent). PostgreSQL: `pg_restore --clean
    --if-exists --no-owner --single-transaction` into the existing database (all or
    nothing); a database holding tables is refused unless `replace`. Stop trousseau first.
    """
    if format not in FORMATS:
        raise InvalidValue(f"catalog dump format {format!r} is not one of {', '.join(FORMATS)}")
    if not dump.is_file():
        raise BackupError(f"no catalog dump at {dump}: check the path")
    url = _parse(catalog_url)
    expected = _format_of(url)
    if format != expected:
        kind = "SQLite" if expected == "sqlite" else "PostgreSQL"
        raise InvalidValue(
            f"a {format} dump cannot be restored into a {kind} catalog "
            f"({url.render_as_string()}): give a catalog URL "
            "of the database it was taken from"
        )
    if expected == "sqlite":
        _restore_sqlite(dump, _sqlite_path(url), replace=replace)
        return
    target = _postgres(url)
    if not replace and _postgres_holds_data(url, target):
        raise BackupError(
            f"the catalog database {target.database!r} at {target.where} already holds "
            "tables: restoring would overwrite them. Restore into an empty database, or stop "
            "trousseau and restore with replace=True"
        )
    _run(
        "pg_restore",
        [
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            f"--dbname={target.conninfo}",
            str(dump),
        ],
        target,
    )

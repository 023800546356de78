"""Schema migrations (Alembic), applied by `trousseau init` and on start when safe.

"Safe" means: a SQLite catalog (one host owns the file), or a PostgreSQL catalog that is empty.
A PostgreSQL catalog with an older schema is upgraded only by `trousseau init`, run once by
an operator or a deploy job, because other replicas may be running the old code against it.
Concurrent upgrades on PostgreSQL are serialised by an advisory lock.

Every command and every job process checks the schema when it opens the catalog, so the
check must cost no more than a query: the recorded revision is read with plain SQL and
compared with `HEAD_REVISION`. Alembic (with Mako and Pygments, ~0.15 s of imports) loads
only when they differ: to upgrade, or to say why the schema cannot be used.

An empty SQLite catalog (a new data directory, every test) is created from `SNAPSHOT`: the
statements SQLite recorded when the migrations built the head schema, replayed in one
transaction, 5 ms instead of 50 (130 ms with Alembic's import). The snapshot is used only
when it names `HEAD_REVISION`; tests check it builds exactly what the migrations build, and
`python -m trousseau.catalog.snapshot` writes it again after a new migration.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, inspect, text

from trousseau.catalog.engine import make_engine
from trousseau.errors import SchemaOutOfDate

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

HEAD_REVISION = "0015"
"""The newest revision in migrations/versions: the schema this code expects. A new migration
must update it: a stale value would let a catalog at the old head start without its upgrade,
so tests/catalog/test_catalog.py checks it against Alembic's head and the revision a fresh
catalog records, on both databases. Then `python -m trousseau.catalog.snapshot` records the
new head for empty SQLite catalogs (until then they are built by Alembic, and a test fails)."""

VERSION_TABLE = "alembic_version"
"""Where Alembic records the revision (its default table, one row, `version_num`)."""

SNAPSHOT = Path(__file__).with_name("migrations") / "head-sqlite.json"
"""The head schema of a SQLite catalog: {"revision": ..., "statements": [CREATE ...]}."""

_ADVISORY_LOCK = 0x7472_6F75  # "trou"


def _config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "trousseau.catalog:migrations")
    return config


def _script() -> ScriptDirectory:
    """The migrations directory as Alembic reads it (imports every revision module)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config())


def head_revision() -> str:
    """The schema revision this code expects."""
    return HEAD_REVISION


def current_revision(conn: Connection) -> str | None:
    """The revision recorded in the database, None for an empty catalog.

    Plain SQL on Alembic's version table, so that reading it imports nothing more. A table
    holding several revisions (branches, which trousseau does not use) is left to Alembic,
    which refuses it as before.
    """
    if not inspect(conn).has_table(VERSION_TABLE):
        return None
    rows = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    if len(rows) > 1:
        from alembic.runtime.migration import MigrationContext

        return MigrationContext.configure(conn).get_current_revision()
    return str(rows[0]) if rows else None


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the schema to head; returns (revision before, revision after)."""
    from alembic import command

    config = _config()
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK})
        before = current_revision(conn)
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    head = _script().get_current_head()
    assert head is not None
    return before, head


def migration_action(
    *, dialect: str, current: str | None, head: str, known: set[str], auto_migrate: bool
) -> str:
    """What to do on start: "none", "upgrade", or raise SchemaOutOfDate saying why not."""
    if current == head:
        return "none"
    if current is not None and current not in known:
        raise SchemaOutOfDate(
            f"the catalog schema is at revision {current}, newer than this trousseau knows "
            f"({head}): upgrade trousseau before using this catalog"
        )
    safe = dialect == "sqlite" or current is None
    if auto_migrate and safe:
        return "upgrade"
    raise SchemaOutOfDate(
        f"the catalog schema is at revision {current or 'none'}, this trousseau needs {head}: "
        "run `trousseau init` to upgrade it"
    )


def ensure_current(engine: Engine, *, auto_migrate: bool) -> None:
    """Upgrade when safe, otherwise refuse to run on a schema this code does not know.

    A catalog at `HEAD_REVISION` (every start but the first after an upgrade) costs one
    query and no Alembic import; any other revision is judged against Alembic's own
    migrations directory.
    """
    with engine.connect() as conn:
        current = current_revision(conn)
        dialect = conn.dialect.name
        conn.rollback()
    if current == HEAD_REVISION:
        return
    if current is None and dialect == "sqlite" and auto_migrate and _from_snapshot(engine):
        return
    script = _script()
    head = script.get_current_head()
    assert head is not None
    action = migration_action(
        dialect=dialect,
        current=current,
        head=head,
        known={rev.revision for rev in script.walk_revisions()},
        auto_migrate=auto_migrate,
    )
    if action == "upgrade":
        upgrade(engine)


def sqlite_schema(conn: Connection) -> list[str]:
    """A SQLite database's schema as SQLite keeps it, in one canonical form: the CREATE
    statements of its tables, then of its indexes, then anything else, each kind by name
    (SQLite resolves a foreign key when it is used, so no table needs another first), and
    each table's constraints by text (Alembic's copy of a table lists them in no fixed order;
    the columns keep theirs)."""
    rows = conn.execute(
        text(
            "SELECT type, name, sql FROM sqlite_master "
            "WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'"
        )
    ).all()
    order = {"table": 0, "index": 1}
    ordered = sorted(rows, key=lambda row: (order.get(row[0], 2), row[1]))
    return [canonical_sql(str(sql)) for _, _, sql in ordered]


def canonical_sql(statement: str) -> str:
    """A CREATE TABLE statement as SQLAlchemy writes it (one column or constraint a line)
    with its constraint lines sorted; any other statement as it is."""
    head, sep, rest = statement.partition("(\n\t")
    if not statement.startswith("CREATE TABLE") or not sep or not rest.endswith("\n)"):
        return statement
    lines = [line.removesuffix(", ") for line in rest[: -len("\n)")].split("\n\t")]
    columns = [line for line in lines if not line.startswith("CONSTRAINT ")]
    constraints = sorted(line for line in lines if line.startswith("CONSTRAINT "))
    return head + sep + ", \n\t".join(columns + constraints) + "\n)"


def _load_snapshot(path: Path) -> dict[str, Any] | None:
    try:
        snapshot = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return snapshot if isinstance(snapshot, dict) else None


def _from_snapshot(engine: Engine) -> bool:
    """Create the head schema in an empty SQLite catalog from `SNAPSHOT`; False (nothing
    done) when the snapshot is missing or names another revision, or the database holds a
    table already, which is left to Alembic as before."""
    snapshot = _load_snapshot(SNAPSHOT)
    if snapshot is None or snapshot.get("revision") != HEAD_REVISION:
        return False
    with engine.begin() as conn:  # BEGIN IMMEDIATE: a second creator waits, then sees tables
        if inspect(conn).get_table_names():
            return False
        for statement in snapshot["statements"]:
            conn.exec_driver_sql(statement)
        conn.execute(
            text(f"INSERT INTO {VERSION_TABLE} (version_num) VALUES (:revision)"),
            {"revision": HEAD_REVISION},
        )
    return True


def write_sqlite_snapshot(path: Path = SNAPSHOT) -> str:
    """Build the head schema in an empty SQLite catalog with the migrations and record it at
    `path`; returns the revision recorded."""
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'catalog.sqlite3'}")
        try:
            _, revision = upgrade(engine)
            with engine.connect() as conn:
                statements = sqlite_schema(conn)
        finally:
            engine.dispose()
    snapshot = {"revision": revision, "statements": statements}
    path.write_text(json.dumps(snapshot, indent=1) + "\n", encoding="utf-8")
    return revision

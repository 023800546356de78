"""Schema migrations (Alembic), applied by `trousseau init` and on start when safe.

"Safe" means: a SQLite catalog (one host owns the file), or a PostgreSQL catalog that is empty.
A PostgreSQL catalog with an older schema is upgraded only by `trousseau init`, run once by
an operator or a deploy job, because other replicas may be running the old code against it.
Concurrent upgrades on PostgreSQL are serialised by an advisory lock.

Every command and every job process checks the schema when it opens the catalog, so the
check must cost no more than a query: the recorded revision is read with plain SQL and
compared with `HEAD_REVISION`. Alembic (with Mako and Pygments, ~0.15 s of imports) loads
only when they differ: to upgrade, or to say why the schema cannot be used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text

from trousseau.errors import SchemaOutOfDate

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

HEAD_REVISION = "0014"
"""The newest revision in migrations/versions: the schema this code expects. A new migration
must update it: a stale value would let a catalog at the old head start without its upgrade,
so tests/catalog/test_catalog.py checks it against Alembic's head and the revision a fresh
catalog records, on both databases."""

VERSION_TABLE = "alembic_version"
"""Where Alembic records the revision (its default table, one row, `version_num`)."""

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

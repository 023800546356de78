"""Schema migrations (Alembic), applied by `trousseau init` and on start when safe.

"Safe" means: a SQLite catalog (one host owns the file), or a PostgreSQL catalog that is empty.
A PostgreSQL catalog with an older schema is upgraded only by `trousseau init`, run once by
an operator or a deploy job, because other replicas may be running the old code against it.
Concurrent upgrades on PostgreSQL are serialised by an advisory lock.
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

from trousseau.errors import SchemaOutOfDate

_ADVISORY_LOCK = 0x7472_6F75  # "trou"


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", "trousseau.catalog:migrations")
    return config


def head_revision() -> str:
    """The schema revision this code expects."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(conn: Connection) -> str | None:
    """The revision recorded in the database, None for an empty catalog."""
    return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the schema to head; returns (revision before, revision after)."""
    config = _config()
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK})
        before = current_revision(conn)
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    return before, head_revision()


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
    """Upgrade when safe, otherwise refuse to run on a schema this code does not know."""
    with engine.connect() as conn:
        current = current_revision(conn)
        dialect = conn.dialect.name
        conn.rollback()
    known = {rev.revision for rev in ScriptDirectory.from_config(_config()).walk_revisions()}
    action = migration_action(
        dialect=dialect,
        current=current,
        head=head_revision(),
        known=known,
        auto_migrate=auto_migrate,
    )
    if action == "upgrade":
        upgrade(engine)

"""Filling a catalog's disk in a test, on both backends.

SQLite is filled for real: `PRAGMA max_page_count` caps the database at its current size on
every connection, so the first write that needs a new page fails with SQLITE_FULL, the
error a full disk gives. PostgreSQL cannot be filled without a volume of its own, so its
tables are given a trigger that raises what a full disk raises there: SQLSTATE 53100
(disk_full) with PostgreSQL's own message, through the server, the driver and SQLAlchemy.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event, text

from trousseau.catalog.schema import metadata

UNLIMITED = 1_073_741_823
_FUNCTION = "trousseau_test_disk_full"
_RAISE = f"""
CREATE OR REPLACE FUNCTION {_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'could not extend file "base/16384/16402": No space left on device'
        USING ERRCODE = 'disk_full', HINT = 'Check free disk space.';
END $$
"""


class DiskFull:
    """Makes one engine's catalog full (`fill`) and gives it room again (`free`)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.limit = UNLIMITED
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", self._cap)

    def _cap(self, dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA max_page_count = {self.limit}")
        cursor.close()

    def fill(self) -> None:
        """From now on a write needing room the database does not have fails, as on a full disk."""
        if self.engine.dialect.name == "sqlite":
            self.limit = 1  # SQLite raises it to the current size: not one page more
            self.engine.dispose()
            return
        with self.engine.begin() as conn:
            conn.execute(text(_RAISE))
            for table in metadata.sorted_tables:
                conn.execute(
                    text(
                        f"CREATE TRIGGER {_FUNCTION} BEFORE INSERT ON {table.name} "
                        f"FOR EACH ROW EXECUTE FUNCTION {_FUNCTION}()"
                    )
                )

    def free(self) -> None:
        """Room again, as after an operator grew the volume."""
        if self.engine.dialect.name == "sqlite":
            self.limit = UNLIMITED
            self.engine.dispose()
            return
        with self.engine.begin() as conn:
            conn.execute(text(f"DROP FUNCTION IF EXISTS {_FUNCTION}() CASCADE"))

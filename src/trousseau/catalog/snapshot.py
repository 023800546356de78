"""`python -m trousseau.catalog.snapshot`: record the SQLite head schema again
(`migrate.SNAPSHOT`), after adding a migration and raising `migrate.HEAD_REVISION`."""

from __future__ import annotations

from trousseau.catalog.migrate import SNAPSHOT, write_sqlite_snapshot

if __name__ == "__main__":
    print(f"{SNAPSHOT.name}: revision {write_sqlite_snapshot()}")

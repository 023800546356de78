"""Waking idle workers: PostgreSQL LISTEN/NOTIFY; SQLite has no such thing and polls.

psycopg is imported only when a PostgreSQL catalog asks for a listener, so a SQLite-only
installation (a laptop, the GPU machine's benchmark) runs without it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import make_url

from trousseau.jobs.queue import NOTIFY_CHANNEL


class Listener:
    """A dedicated autocommit connection listening on the queue's channel.

    It exposes `fileno()` so the worker waits on it together with its job processes.
    """

    def __init__(self, sqlalchemy_url: str) -> None:
        import psycopg

        url = make_url(sqlalchemy_url).set(drivername="postgresql")
        self._conn = psycopg.connect(
            url.render_as_string(hide_password=False), autocommit=True, connect_timeout=5
        )
        self._conn.execute(f"LISTEN {NOTIFY_CHANNEL}")

    def fileno(self) -> int:
        return self._conn.fileno()

    def drain(self) -> int:
        """Consume pending notifications; returns how many there were."""
        return sum(1 for _ in self._conn.notifies(timeout=0))

    def close(self) -> None:
        self._conn.close()


def listener_for(catalog: Any) -> Listener | None:
    """A Listener for a PostgreSQL catalog, None for SQLite."""
    if catalog.dialect != "postgresql":
        return None
    return Listener(catalog.engine.url.render_as_string(hide_password=False))

"""Wake a worker as soon as another process queues documents, so they go out at once.

PostgreSQL: the store sends ``NOTIFY edihub_outbox`` in the transaction that queues rows;
the worker LISTENs on a connection of its own. SQLite: the worker watches
``PRAGMA data_version``, which changes whenever another connection commits.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Protocol

from sqlalchemy import Engine

from hub.adapters.bookkeeping import OUTBOX_CHANNEL

SQLITE_POLL_SECONDS = 0.1


class Watcher(Protocol):
    """Blocks until the store may have new work, or a timeout passes."""

    def wait(self, timeout: float) -> bool:
        """True if something changed (worth a look), False on timeout."""

    def close(self) -> None:
        """Release the connection."""


def outbox_watcher(engine: Engine) -> Watcher:
    """The watcher that suits the engine's database."""
    if engine.dialect.name == "postgresql":
        return PostgresWatcher(engine)
    return SqliteWatcher(engine)


class PostgresWatcher:
    """LISTEN on the outbox channel through a dedicated autocommit connection."""

    def __init__(self, engine: Engine):
        import psycopg
        url = engine.url.set(drivername="postgresql")
        self.conn = psycopg.connect(url.render_as_string(hide_password=False), autocommit=True)
        self.conn.execute(f"LISTEN {OUTBOX_CHANNEL}")

    def wait(self, timeout: float) -> bool:
        """Wait for a notification (all pending ones are taken at once)."""
        woke = False
        for _ in self.conn.notifies(timeout=timeout, stop_after=1):
            woke = True
        return woke

    def close(self) -> None:
        """Close the listening connection."""
        self.conn.close()


class SqliteWatcher:
    """Poll SQLite's data_version: cheap, and it changes only when another connection commits."""

    def __init__(self, engine: Engine):
        self.path = engine.url.database
        self.conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
        self.version = self._version()

    def _version(self) -> int:
        return self.conn.execute("PRAGMA data_version").fetchone()[0]

    def wait(self, timeout: float) -> bool:
        """Look every 0.1 s until the data changed or the timeout passes."""
        deadline = time.monotonic() + timeout
        while True:
            current = self._version()
            if current != self.version:
                self.version = current
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(SQLITE_POLL_SECONDS, left))

    def close(self) -> None:
        """Close the watching connection."""
        self.conn.close()

"""Engines and migrations: SQLite by default, PostgreSQL when the URL says so."""

from __future__ import annotations

import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text

_MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and write-locking transactions."""
    if url.startswith("sqlite"):
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        _tune_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own is deferred).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA busy_timeout=30000")
        _use_wal(cur)
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # IMMEDIATE takes the write lock up front: two writers queue on busy_timeout
        # instead of deadlocking when both try to upgrade a read lock.
        readonly = conn.get_execution_options().get("readonly", False)
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")


def _use_wal(cur: sqlite3.Cursor, patience: float = 30.0) -> None:
    """Switch the database file to WAL (it stays so; later connections find it done).

    Switching needs the database to itself, and SQLite answers "database is locked" at once,
    without waiting on busy_timeout, while another connection holds it: processes opening a
    new store together (a web and a worker process) then try again until it is done.
    """
    deadline = time.monotonic() + patience
    while True:
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def alembic_config(engine: Engine) -> Config:
    """An Alembic configuration bound to ``engine`` (no alembic.ini needed)."""
    cfg = Config()
    cfg.set_main_option("script_location", _MIGRATIONS)
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the schema up to the newest migration; safe when many processes start at once.

    On SQLite, foreign keys are off while migrations run: a migration that rebuilds a table
    (SQLite's way to alter one) drops the old copy, and with foreign keys on, dropping it
    would set NULL or delete every row that points at it. They are checked once done.
    """
    cfg = alembic_config(engine)
    with _migration_lock(engine):
        if engine.dialect.name != "sqlite":
            command.upgrade(cfg, "head")
            return
        with engine.connect() as conn:
            raw = conn.connection.driver_connection   # outside any transaction: the pragma takes effect
            raw.execute("PRAGMA foreign_keys=OFF")
            try:
                # One write transaction (BEGIN IMMEDIATE) from reading the current version to
                # the last migration: Alembic would otherwise commit after each migration on
                # SQLite, and a process that read the version before another's commit would
                # run the same migration again ("table ... already exists").
                conn.begin()
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
                broken = raw.execute("PRAGMA foreign_key_check").fetchall()
            finally:
                raw.execute("PRAGMA foreign_keys=ON")
    if broken:
        raise RuntimeError(f"the schema migration left {len(broken)} broken reference(s), e.g. {broken[0]}")


# Any fixed number serves, as long as nothing else on the database takes the same advisory lock.
MIGRATION_LOCK = 0x6564_6968_7562       # "edihub"


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """Hold a lock that serializes migrations across processes.

    Web and worker processes each migrate at start. On PostgreSQL two of them creating the
    same tables at once fail; a session-level advisory lock makes the others wait, then find
    the schema at head. SQLite needs no lock of its own: :func:`migrate` runs every migration
    in one write transaction, which begins IMMEDIATE (the database's write lock) before
    Alembic reads the current version.
    """
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})

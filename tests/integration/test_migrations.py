"""The Alembic migrations build exactly the schema the code declares, on SQLite and PostgreSQL."""

from __future__ import annotations

import multiprocessing
import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from hub.adapters.db import make_engine, migrate
from hub.adapters.tables import metadata


def test_migrations_match_the_tables(db_url):
    engine = make_engine(db_url)
    migrate(engine)  # already at head for PostgreSQL's template copy; a no-op must be safe
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    engine.dispose()
    assert diff == [], "write a migration: the tables differ from what the migrations build"


def test_upgrading_keeps_every_reference(db_url):
    """A migration that rebuilds a table (SQLite's ALTER) must not null or delete the rows
    pointing at it: stored links between documents, incidents and sets survive the upgrade."""
    from alembic import command

    from hub.adapters.db import alembic_config
    engine = make_engine(db_url)
    with engine.begin() as conn:   # a store as it was before the console's tables (0002)
        for table in ("po_changes", "order_changes", "audit_log", "users", "config_versions", "heartbeats", "transaction_sets", "incidents",
                      "events", "shipment_lines", "shipments", "line_acks", "interchanges", "po_lines",
                      "purchase_orders", "order_lines", "orders", "counters", "leases", "control_numbers",
                      "alembic_version"):
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table} CASCADE" if engine.dialect.name == "postgresql"
                                 else f"DROP TABLE IF EXISTS {table}")
    command.upgrade(alembic_config(engine), "0002")
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO interchanges (id, direction, doc_type, filename, sha256, size, state, "
                             "created_at) VALUES (1, 'in', 'X12', 'f', 's', 1, 'processed', '2026-01-01')")
        conn.exec_driver_sql("INSERT INTO incidents (id, code, state, message, interchange_id, created_at, "
                             "updated_at) VALUES (1, 'x', 'open', 'm', 1, '2026-01-01', '2026-01-01')")
        conn.exec_driver_sql("INSERT INTO transaction_sets (interchange_id, set_id) VALUES (1, '855')")
    migrate(engine)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT interchange_id FROM incidents").all() == [(1,)]
        assert conn.exec_driver_sql("SELECT interchange_id FROM transaction_sets").all() == [(1,)]
    engine.dispose()


def _migrate_at_once(url: str, barrier, results) -> None:
    """In a child process: wait for the others, then migrate, and report how it went."""
    engine = make_engine(url)
    barrier.wait(60)
    try:
        migrate(engine)
        results.put("ok")
    except Exception as exc:  # reported to the test, which shows it
        results.put(f"{type(exc).__name__}: {str(exc).splitlines()[0]}")
    finally:
        engine.dispose()


@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
def test_processes_migrating_a_fresh_store_at_the_same_moment_all_succeed(store, pg_server, tmp_path):
    # Web and worker processes each migrate at start; started together on an empty store, the
    # ones that lost the race to create the tables used to exit with an SQLAlchemy error.
    if store == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
    else:
        name = f"fresh_{os.getpid()}_{tmp_path.name[-12:].replace('-', '_')}"
        pg_server.sql(f"CREATE DATABASE {name}")    # empty: no template schema
        url = pg_server.url(name)
    ctx = multiprocessing.get_context("spawn")
    n = 4
    barrier, results = ctx.Barrier(n), ctx.Queue()
    procs = [ctx.Process(target=_migrate_at_once, args=(url, barrier, results)) for _ in range(n)]
    for p in procs:
        p.start()
    outcomes = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(60)
    assert outcomes == ["ok"] * n
    assert [p.exitcode for p in procs] == [0] * n
    engine = make_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    engine.dispose()
    assert diff == []

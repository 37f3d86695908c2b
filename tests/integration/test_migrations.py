"""The Alembic migrations build exactly the schema the code declares, on SQLite and PostgreSQL."""

from __future__ import annotations

import multiprocessing
import os
import warnings
from datetime import datetime, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column
from sqlalchemy.schema import CreateIndex

from hub.adapters.db import make_engine, migrate
from hub.adapters.repository import Repository
from hub.adapters.tables import metadata


def test_migrations_match_the_tables(db_url):
    engine = make_engine(db_url)
    migrate(engine)  # already at head for PostgreSQL's template copy; a no-op must be safe
    diff = schema_differences(engine)
    engine.dispose()
    assert diff == [], "write a migration: the tables differ from what the migrations build"


def schema_differences(engine) -> list:
    """How the store's schema differs from the tables the code declares (empty: not at all).

    SQLite's indexes on expressions cannot be reflected, so Alembic skips them (and says
    so): those are compared by the statement that created them.
    """
    with engine.connect() as conn, warnings.catch_warnings():
        if engine.dialect.name != "sqlite":
            return compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
        warnings.filterwarnings("ignore", r".*(reflection of|skipping metadata-specified) expression-based")
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
        names = [name for (name,) in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index'")]
        built = {name: conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = ?", (name,)).scalar()
                 for name in names
                 if any(cid == -2 for _, cid, *_ in conn.exec_driver_sql(f"PRAGMA index_xinfo('{name}')"))}
    declared = {ix.name: str(CreateIndex(ix).compile(dialect=engine.dialect)).strip()
                for table in metadata.tables.values() for ix in table.indexes
                if any(not isinstance(e, Column) for e in ix.expressions)}
    assert declared, "no index on an expression declared: this comparison has nothing to do"
    return diff + ([("expression indexes", built, declared)] if built != declared else [])


def store_at(engine, revision: str) -> None:
    """Make the store what the migrations up to ``revision`` built, empty."""
    from alembic import command

    from hub.adapters.db import alembic_config
    with engine.begin() as conn:
        for table in ("po_changes", "order_changes", "order_events", "shipment_tracking", "audit_log", "users", "config_versions", "heartbeats",
                      "transaction_sets", "incidents", "events", "shipment_lines", "shipments", "line_acks",
                      "interchanges", "po_lines", "purchase_orders", "order_lines", "orders", "counters",
                      "leases", "control_numbers", "alembic_version"):
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table} CASCADE" if engine.dialect.name == "postgresql"
                                 else f"DROP TABLE IF EXISTS {table}")
    command.upgrade(alembic_config(engine), revision)


def test_upgrading_keeps_every_reference(db_url):
    """A migration that rebuilds a table (SQLite's ALTER) must not null or delete the rows
    pointing at it: stored links between documents, incidents and sets survive the upgrade."""
    engine = make_engine(db_url)
    store_at(engine, "0002")       # a store as it was before the console's tables
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


def _an_order(conn, state: str) -> None:
    """Order 1 (webshop/WS-1) written as the store held it before the upgrade."""
    conn.exec_driver_sql(
        "INSERT INTO orders (id, channel, channel_order_id, placed_at, received_at, currency, customer_id, "
        "customer_name, customer_email, customer_phone, prepaid, ship_name, ship_address1, ship_address2, "
        "ship_city, ship_state, ship_postal_code, ship_country, state, content_hash, payload, updated_at) "
        "VALUES (1, 'webshop', 'WS-1', '2026-01-01', '2026-01-01', 'USD', 'C1', 'Ann Lee', 'ann@example.com', "
        f"'', true, 'Ann Lee', '1 Main St', '', 'Austin', 'TX', '78701', 'US', '{state}', 'h', '{{}}', "
        "'2026-01-01')")


def test_tracking_numbers_of_shipments_recorded_before_the_upgrade_find_their_order(db_url):
    from hub.views import find_orders
    engine = make_engine(db_url)
    store_at(engine, "0003")       # before tracking numbers had a table of their own
    with engine.begin() as conn:
        _an_order(conn, "shipped")
        conn.exec_driver_sql("INSERT INTO purchase_orders (id, order_id, po_number, partner_id, state, test_mode, "
                             "created_at, updated_at) VALUES (1, 1, 'DR1', 'acme', 'shipped', false, "
                             "'2026-01-01', '2026-01-01')")
        conn.exec_driver_sql("INSERT INTO shipments (id, purchase_order_id, shipment_id, tracking_numbers, "
                             "created_at) VALUES (1, 1, 'S1', '1ZA,1ZB', '2026-01-01'), "
                             "(2, 1, 'S2', '', '2026-01-01')")
    migrate(engine)
    with engine.connect() as conn:
        assert sorted(conn.exec_driver_sql("SELECT shipment_id, tracking_number FROM shipment_tracking")) == [
            (1, "1ZA"), (1, "1ZB")]
        for number in ("1ZA", "1ZB"):
            assert [(m.order, m.kind) for m in find_orders(conn, number)] == [
                ("webshop/WS-1", "tracking number (shipped by acme)")]
    engine.dispose()


def test_units_of_purchase_orders_made_before_the_upgrade_are_their_lines_sum(db_url):
    """The day's booked units are read from purchase_orders.units: purchase orders made before
    the column existed count their lines' quantities, not zero."""
    engine = make_engine(db_url)
    store_at(engine, "0007")
    with engine.begin() as conn:
        _an_order(conn, "processing")
        conn.exec_driver_sql("INSERT INTO purchase_orders (id, order_id, po_number, partner_id, state, test_mode, "
                             "created_at, updated_at) VALUES (1, 1, 'DR1', 'acme', 'sent', false, "
                             "'2026-01-01', '2026-01-01'), (2, 1, 'DR2', 'initech', 'sent', false, "
                             "'2026-01-01', '2026-01-01')")
        conn.exec_driver_sql("INSERT INTO po_lines (purchase_order_id, line_number, sku, supplier_item, "
                             "description, quantity, unit_cost, uom, state) VALUES "
                             "(1, 1, 'A', 'A', '', 2, 1, 'EA', 'open'), (1, 2, 'B', 'B', '', 5, 1, 'EA', 'open'), "
                             "(2, 1, 'C', 'C', '', 3, 1, 'EA', 'open')")
    migrate(engine)
    with engine.connect() as conn:
        assert sorted(conn.exec_driver_sql("SELECT id, units FROM purchase_orders")) == [(1, 7), (2, 3)]
        assert Repository(conn).units_booked_since(datetime(2025, 12, 31, tzinfo=timezone.utc)) == {
            "acme": 7, "initech": 3}
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
    n = 8   # enough to make a race show in most runs
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
    diff = schema_differences(engine)
    engine.dispose()
    assert diff == []

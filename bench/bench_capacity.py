"""The daily capacity check on a store with a long history, on SQLite.

Every intake batch asks the store how many units each supplier has booked today
(``Repository.units_booked_since``) to hold its ``max_units_per_day``. A store is filled with
300,000 purchase orders (one line each) from the past 300 days and 500 from today, written
straight into the tables (not timed). We time the check, and as the baseline in the same
run, reading today's 500 purchase orders by their primary keys, which is what it cannot do
better than. Target: within 10x the baseline, whatever the history (walking every purchase
order ever made is over 100x).

``python -m bench.bench_capacity [--quick]``; ``python -m bench capacity``.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bench.harness import Result, best_time, print_table

TODAY = 500
NOW = datetime(2026, 12, 5, 12, tzinfo=timezone.utc)


def _fill(engine, history: int) -> None:
    """One order; ``history`` purchase orders over the past days, then TODAY from the last hour."""
    from sqlalchemy import text
    stamp = lambda moment: moment.replace(tzinfo=None).isoformat(sep=" ")   # noqa: E731
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO orders (id, channel, channel_order_id, placed_at, received_at, currency, customer_id, "
            "customer_name, customer_email, customer_phone, prepaid, ship_name, ship_address1, ship_address2, "
            "ship_city, ship_state, ship_postal_code, ship_country, state, hold_reason, content_hash, payload, "
            "updated_at) VALUES (1, 'webshop', 'WS-1', :t, :t, 'USD', 'C1', 'Ann', 'a@example.com', '', 1, "
            "'Ann', '1 Main St', '', 'Austin', 'TX', '78701', 'US', 'processing', '', 'h', '{}', :t)"),
            {"t": stamp(NOW)})
        rows = [{"id": n, "number": f"PO{n:08d}", "partner": ("acme", "initech")[n % 2],
                 "at": stamp(NOW - timedelta(days=1 + n % 300) if n <= history else NOW - timedelta(hours=1))}
                for n in range(1, history + TODAY + 1)]
        conn.execute(text(
            "INSERT INTO purchase_orders (id, order_id, po_number, partner_id, state, ack_status, route_attempt, "
            "test_mode, created_at, updated_at, version, units) VALUES (:id, 1, :number, :partner, 'sent', '', 1, "
            "0, :at, :at, 1, 2)"), rows)
        conn.execute(text(
            "INSERT INTO po_lines (purchase_order_id, line_number, sku, supplier_item, description, quantity, "
            "unit_cost, uom, state, qty_accepted, qty_rejected, qty_backordered, qty_shipped) "
            "SELECT id, 1, 'CHAIR-ERGO-BLK', 'AC-55010', '', 2, '89.90', 'EA', 'open', 0, 0, 0, 0 "
            "FROM purchase_orders"))


def run(quick: bool = False) -> list[Result]:
    """Time the check on 300,000 purchase orders of history (30,000 in quick mode)."""
    from sqlalchemy import create_engine, select

    from hub.adapters import tables as t
    from hub.adapters.db import migrate
    from hub.adapters.repository import Repository
    history = 30_000 if quick else 300_000
    root = Path(tempfile.mkdtemp(prefix="edihub-bench-"))
    try:
        engine = create_engine(f"sqlite:///{root / 'hub.db'}")
        migrate(engine)
        _fill(engine, history)
        p = t.purchase_orders
        with engine.connect() as conn:
            repo = Repository(conn)
            booked = repo.units_booked_since(NOW - timedelta(hours=12))
            check = best_time(lambda: repo.units_booked_since(NOW - timedelta(hours=12)), repeat=5)
            base = best_time(lambda: conn.execute(select(p.c.id, p.c.partner_id).where(
                p.c.id > history)).all(), repeat=5)
        engine.dispose()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    right = booked == {"acme": TODAY, "initech": TODAY}   # 250 purchase orders of 2 units each
    return [Result(f"units booked today, {history:,} POs of history (SQLite)", 1 / check, 1 / base,
                   "checks/s", "within 10x reading today's", right and check <= 10 * base,
                   f"{check * 1000:.2f} ms a check, {base * 1000:.2f} ms reading today's {TODAY}; "
                   f"figures right: {right}")]


if __name__ == "__main__":
    print_table(run("--quick" in sys.argv))

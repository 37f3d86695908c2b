"""The supplier scorecard on a large store (SQLite): 200,000 orders, each with one PO of one to
three lines, answered and shipped at varied times over a year.

We time the scorecard of the last 30 days and of the whole year and, as the baseline in the
same run, loading the same POs and lines into Python as rows (what the scorecard avoids by
aggregating in the store). Target: the year's scorecard at least 2x faster than loading it.
"""

from __future__ import annotations

import random
import shutil
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bench.harness import Result, best_time, print_table

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc)
SKUS = [("CHAIR-ERGO-BLK", "acme"), ("FOOTREST-ADJ", "acme"), ("DESK-OAK-120", "acme"),
        ("MONITOR-ARM-2", "acme"), ("LAMP-LED-WHT", "initech"), ("SHELF-WALL-60", "initech")]


def fill(engine, count: int) -> None:
    """``count`` orders with their PO, lines and answers, spread over the year before NOW."""
    from sqlalchemy import insert

    from hub.adapters import tables as t
    rnd = random.Random(7)
    orders, pos, lines, acks = [], [], [], []
    line_id = 0
    for n in range(1, count + 1):
        sent = NOW - timedelta(seconds=rnd.randrange(365 * 86400))
        orders.append({"id": n, "channel": "webshop", "channel_order_id": f"B-{n}", "placed_at": sent,
                       "received_at": sent, "currency": "USD", "customer_id": "c", "customer_name": "c",
                       "customer_email": "c@example.com", "customer_phone": "", "prepaid": True,
                       "ship_name": "c", "ship_address1": "1", "ship_address2": "", "ship_city": "x",
                       "ship_state": "TX", "ship_postal_code": "1", "ship_country": "US",
                       "state": "processing", "content_hash": "x", "payload": "{}", "updated_at": sent})
        partner = "acme" if n % 3 else "initech"
        answered = rnd.random() < 0.9
        shipped = answered and rnd.random() < 0.8
        pos.append({"id": n, "order_id": n, "po_number": f"B{n:09d}", "partner_id": partner,
                    "state": "shipped" if shipped else "accepted" if answered else "sent",
                    "test_mode": False, "created_at": sent, "sent_at": sent,
                    "acked_at": sent + timedelta(seconds=rnd.randrange(60, 7200)),
                    "poack_at": sent + timedelta(seconds=rnd.randrange(600, 86400 * 2)) if answered else None,
                    "shipped_at": sent + timedelta(seconds=rnd.randrange(86400, 86400 * 8)) if shipped else None,
                    "updated_at": sent})
        for k in range(1, rnd.randint(1, 3) + 1):
            line_id += 1
            sku = rnd.choice([s for s, p in SKUS if p == partner])
            qty = rnd.randint(1, 5)
            refused = 1 if answered and rnd.random() < 0.05 else 0
            lines.append({"id": line_id, "purchase_order_id": n, "line_number": k, "sku": sku,
                          "supplier_item": sku, "description": sku, "quantity": qty, "unit_cost": "1.00",
                          "uom": "EA", "state": "accepted", "qty_accepted": qty - refused if answered else 0,
                          "qty_rejected": refused, "qty_backordered": 0,
                          "qty_shipped": qty - refused if shipped else 0})
            if refused:
                acks.append({"po_line_id": line_id, "code": "IR", "quantity": 1, "at": sent})
    with engine.begin() as conn:
        for table, rows in ((t.orders, orders), (t.purchase_orders, pos), (t.po_lines, lines),
                            (t.line_acks, acks)):
            for k in range(0, len(rows), 10_000):
                conn.execute(insert(table), rows[k:k + 10_000])


def run(quick: bool = False) -> list[Result]:
    """The scorecard over 200,000 orders (20,000 in quick mode)."""
    from sqlalchemy import select

    from hub.adapters import tables as t
    from hub.adapters.db import make_engine, migrate
    from hub.adapters.partner_files import load_catalog, load_partners
    from hub.views.scorecard import scorecard
    count = 20_000 if quick else 200_000
    root = Path(tempfile.mkdtemp(prefix="edihub-bench-"))
    try:
        engine = make_engine(f"sqlite:///{root / 'store.db'}")
        migrate(engine)
        fill(engine, count)
        partners_dir = Path(__file__).resolve().parent.parent / "partners"
        catalog = load_catalog(partners_dir / "catalog.csv", load_partners(partners_dir), set())
        year = NOW - timedelta(days=365)

        def card(since):
            with engine.connect() as conn:
                return scorecard(conn, since, NOW, ["acme", "initech"], catalog)

        def load_rows():
            p, ln = t.purchase_orders, t.po_lines
            with engine.connect() as conn:
                return conn.execute(select(p, ln).join(ln, ln.c.purchase_order_id == p.c.id)
                                    .where(p.c.sent_at >= year)).all()

        month_s = best_time(lambda: card(NOW - timedelta(days=30)))
        year_s = best_time(lambda: card(year))
        load_s = best_time(load_rows)
        cards = card(year)
        engine.dispose()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    pos = sum(c["pos"] for c in cards)
    return [Result(f"scorecard of a year, {pos:,} POs (SQLite), vs loading their rows", 1 / year_s,
                   1 / load_s, "/s", ">= 2x loading the rows", pos == count and year_s * 2 <= load_s,
                   f"year {year_s:.2f} s, last 30 days {month_s:.2f} s, loading the rows {load_s:.2f} s")]


if __name__ == "__main__":
    print_table(run("--quick" in sys.argv))

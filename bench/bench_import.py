"""Order import throughput and memory.

1. 10,000 JSON orders through the whole intake (parse, review, routing, 850 rendering,
   outbox commit) on SQLite, against a bare SQLAlchemy bulk insert of the very rows the
   import wrote (read back and inserted into a fresh database in one transaction).
   Targets: >= 1,000 orders/s and >= 0.3x the bare insert.
2. A 100,000-order file imported in a child process: peak memory under 300 MB.
"""

from __future__ import annotations

import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench.harness import Result, peak_rss_mb, print_table

SKUS = ["DESK-OAK-120", "CHAIR-ERGO-BLK", "MONITOR-ARM-2", "CABLE-TRAY-80", "FOOTREST-ADJ"]


def write_orders(path: Path, count: int, array: bool = False, seed: int = 1) -> None:
    """Write ``count`` valid orders (1-3 lines, acme's SKUs, so each makes one 850)."""
    rand = random.Random(seed)
    with open(path, "w", encoding="utf-8") as fh:
        if array:
            fh.write("[\n")
        for n in range(count):
            lines = [{"line_id": str(k + 1), "sku": sku, "quantity": rand.randint(1, 4),
                      "unit_price": f"{rand.randint(500, 50000) / 100:.2f}", "description": f"Item {sku}"}
                     for k, sku in enumerate(rand.sample(SKUS, rand.randint(1, 3)))]
            order = {"channel": "webshop", "channel_order_id": f"B-{n:07d}",
                     "placed_at": "2026-11-25T10:00:00Z", "currency": "USD",
                     "customer": {"id": f"C{n % 5000}", "name": f"Customer {n}",
                                  "email": f"c{n}@example.com", "phone": "+1 555 0100", "prepaid": True},
                     "ship_to": {"name": f"Customer {n}", "address1": f"{n} Main Street",
                                 "address2": "", "city": "Springfield", "state": "IL",
                                 "postal_code": "62701", "country": "US"},
                     "lines": lines}
            if array and n:
                fh.write(",\n")
            fh.write(json.dumps(order))
            if not array:
                fh.write("\n")
        if array:
            fh.write("\n]\n")


def _instance(root: Path) -> Path:
    from hub.instance import create_instance
    home = root / "inst"
    create_instance(home, demo=True)
    cfg = home / "edihub.toml"
    # No review limits in the way: every order is routed and rendered.
    cfg.write_text(cfg.read_text().replace("max_quantity_per_line = 50", "max_quantity_per_line = 1000"))
    acme = home / "partners" / "acme.toml"
    acme.write_text(acme.read_text().replace("max_units_per_day = 500", "max_units_per_day = 100000000"))
    return home


def import_once(root: Path, orders: Path) -> tuple[float, Path]:
    """Import ``orders`` into a fresh instance; return (seconds, instance home)."""
    from hub.bootstrap import bootstrap
    home = _instance(root)
    hub = bootstrap(home)
    t0 = time.perf_counter()
    report = hub.import_file(orders)
    elapsed = time.perf_counter() - t0
    hub.close()
    assert report.counts["created"] > 0 and report.ok, report.summary()
    return elapsed, home


def bare_insert(home: Path, root: Path) -> tuple[float, int]:
    """Bulk-insert the rows the import wrote into a fresh database; return (seconds, rows)."""
    from sqlalchemy import insert, select

    from hub.adapters import tables as t
    from hub.adapters.db import make_engine, migrate
    source = make_engine(f"sqlite:///{home / 'var' / 'edihub.db'}")
    order = [t.orders, t.order_lines, t.purchase_orders, t.po_lines, t.interchanges, t.events,
             t.incidents, t.counters, t.control_numbers]
    with source.connect() as conn:
        data = {tbl: [dict(r) for r in conn.execute(select(tbl)).mappings()] for tbl in order}
    source.dispose()
    target = make_engine(f"sqlite:///{root / 'bare.db'}")
    migrate(target)
    t0 = time.perf_counter()
    with target.begin() as conn:
        for tbl in order:
            if data[tbl]:
                conn.execute(insert(tbl), data[tbl])
    elapsed = time.perf_counter() - t0
    target.dispose()
    return elapsed, sum(len(v) for v in data.values())


def throughput(count: int) -> list[Result]:
    """Orders/s through intake vs the bare insert of the same rows."""
    root = Path(tempfile.mkdtemp(prefix="edihub-bench-"))
    try:
        orders = root / "orders.jsonl"
        write_orders(orders, count)
        runs = []
        for n in range(3):
            run_root = root / f"run{n}"
            seconds, home = import_once(run_root, orders)
            bare, rows = bare_insert(home, run_root)
            runs.append((seconds, bare, rows))
        seconds = min(r[0] for r in runs)
        bare = min(r[1] for r in runs)
        rows = runs[0][2]
    finally:
        shutil.rmtree(root, ignore_errors=True)
    rate, bare_rate = count / seconds, count / bare
    return [
        Result(f"import {count:,} JSON orders (SQLite)", rate, None, "orders/s", ">= 1,000 orders/s",
               rate >= 1000, f"{seconds:.2f} s; {rows:,} rows written"),
        Result("  same, against bare bulk insert of its rows", rate, bare_rate, "orders/s",
               ">= 0.3x bare insert", rate / bare_rate >= 0.3, f"bare insert {bare:.2f} s"),
    ]


def memory(count: int) -> Result:
    """Peak memory of importing a ``count``-order JSON array file, in a child process."""
    root = Path(tempfile.mkdtemp(prefix="edihub-bench-"))
    try:
        orders = root / "orders.json"
        write_orders(orders, count, array=True)
        home = _instance(root)
        peak, status, out = peak_rss_mb(["-m", "bench.bench_import", "--child", str(home), str(orders)])
        size = orders.stat().st_size / 1e6
        baseline, _, _ = peak_rss_mb(["-c", "import hub.bootstrap, hub.cli"])
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return Result(f"import a {count:,}-order file ({size:.0f} MB): peak memory", peak, baseline, "MB",
                  "< 300 MB peak", status == 0 and peak < 300,
                  f"baseline: the same interpreter with the hub imported; child said {out.strip()!r}")


def run(quick: bool = False) -> list[Result]:
    """All import benchmarks."""
    return throughput(2_000 if quick else 10_000) + [memory(20_000 if quick else 100_000)]


def _child(home: str, path: str) -> None:
    from hub.bootstrap import bootstrap
    hub = bootstrap(Path(home))
    report = hub.import_file(Path(path))
    hub.close()
    print(report.summary())
    sys.exit(0 if report.ok else 1)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        _child(sys.argv[2], sys.argv[3])
    else:
        print_table(run("--quick" in sys.argv))

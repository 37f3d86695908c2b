"""Applying 856s: parse, map, store, state updates, on SQLite.

10,000 orders are sent to one supplier; one file then carries an 856 for each of them. We
time the hub receiving that file (archive, read, apply shipments, derive order states, queue
its 997) and, as the baseline in the same run, the bare reader going through the same file.
It is timed as `edihub run` runs it: the set-up, like a worker's start-up, is frozen out of
the garbage collector (bench.harness.as_the_worker). Target: >= 2,000 transactions/s.
"""

from __future__ import annotations

import io
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_import import _instance, write_orders
from bench.harness import Result, as_the_worker, print_table


def _asn_file(numbers: list[tuple[str, list[tuple[int, int]]]]) -> bytes:
    """One interchange from acme: an 856 per PO shipping every line in full."""
    segs = ["ISA*00*          *00*          *ZZ*ACMESUPPLY     *ZZ*DEMORETAIL     *261125*1200*U*"
            "00401*000000001*0*T*>", "GS*SH*ACMESUPPLY*DEMORETAIL*20261125*1200*1*X*004010"]
    for n, (po, lines) in enumerate(numbers, start=1):
        body = [f"ST*856*{n:04d}", f"BSN*00*S{n:07d}*20261126*0900", "HL*1**S", "TD5*B*2*UPSN*M*GROUND",
                f"REF*2I*1Z{n:012d}", "DTM*011*20261126", "HL*2*1*O", f"PRF*{po}"]
        for k, (line, qty) in enumerate(lines, start=3):
            body += [f"HL*{k}*2*I", f"LIN*{line}", f"SN1**{qty}*EA"]
        body.append(f"SE*{len(body) + 1}*{n:04d}")   # SE01 counts ST through SE
        segs += body
    segs += [f"GE*{len(numbers)}*1", "IEA*1*000000001"]
    return ("~\n".join(segs) + "~\n").encode()


def sent_lines(hub) -> dict[str, list[tuple[int, int]]]:
    """Every purchase order sent, oldest first: its number -> (line number, units) per line."""
    from sqlalchemy import select

    from hub.adapters import tables as t
    p, ln = t.purchase_orders, t.po_lines
    with hub.uow(readonly=True) as uow:
        rows = uow.conn.execute(select(p.c.po_number, ln.c.line_number, ln.c.quantity)
                                .join(ln, ln.c.purchase_order_id == p.c.id)
                                .order_by(p.c.id, ln.c.line_number)).all()
    by_po: dict[str, list[tuple[int, int]]] = {}
    for po, line, qty in rows:
        by_po.setdefault(po, []).append((line, qty))
    return by_po


def timed_receive(hub, data: bytes, name: str) -> tuple[object, float, float]:
    """Receive ``data`` as acme's file, timed as the worker runs it; return the report, its
    seconds, and the seconds of the bare reader going through the same bytes (the baseline)."""
    from hub.edi.x12.envelope import iter_transactions
    t0 = time.perf_counter()
    sum(1 for _ in iter_transactions(io.BytesIO(data)))
    bare = time.perf_counter() - t0
    with as_the_worker():
        t0 = time.perf_counter()
        report = hub.receive_stream(io.BytesIO(data), "bench", name, "acme")
        return report, time.perf_counter() - t0, bare


def hub_with_sent_orders(root: Path, count: int, inbound: tuple[str, ...] = ()):
    """A demo instance under ``root`` with ``count`` orders taken in and their purchase orders
    sent; acme also reads the ``inbound`` document types listed."""
    from hub.bootstrap import bootstrap
    orders = root / "orders.jsonl"
    write_orders(orders, count)
    home = _instance(root)
    if inbound:
        acme = home / "partners" / "acme.toml"
        listed = 'inbound = ["997", "855", "856"]'
        acme.write_text(acme.read_text().replace(listed, listed[:-1] + "".join(f', "{d}"' for d in inbound) + "]"))
    hub = bootstrap(home)
    assert set(inbound) <= set(hub.context.partners["acme"].inbound)
    hub.import_file(orders)
    hub.dispatcher("bench").run_until_empty(limit=1000)
    return hub


def run(quick: bool = False) -> list[Result]:
    """Apply 10,000 856s (2,000 in quick mode)."""
    from sqlalchemy import select

    from hub.adapters import tables as t
    count = 2_000 if quick else 10_000
    root = Path(tempfile.mkdtemp(prefix="edihub-bench-"))
    try:
        hub = hub_with_sent_orders(root, count)
        by_po = sent_lines(hub)
        data = _asn_file(list(by_po.items()))
        report, elapsed, bare = timed_receive(hub, data, "asn.edi")
        with hub.uow(readonly=True) as uow:
            shipped = uow.conn.scalar(select(t.orders.c.id).where(t.orders.c.state != "shipped").limit(1))
        hub.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    n = len(by_po)
    ok = report.applied == n and shipped is None
    rate = n / elapsed
    return [Result(f"apply {n:,} 856s (SQLite), vs reading them only", rate, n / bare, "tx/s",
                   ">= 2,000 tx/s", ok and rate >= 2000,
                   f"{elapsed:.2f} s, {len(data) / 1e6:.1f} MB; every order shipped: {shipped is None}")]


if __name__ == "__main__":
    print_table(run("--quick" in sys.argv))

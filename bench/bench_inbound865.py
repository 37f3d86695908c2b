"""Applying 865s: the supplier's own changes, on SQLite.

10,000 orders are sent to one supplier, which accepts each with an 855 giving a ship date
(not timed). One file then carries an 865 for each purchase order moving every line's ship
date a week later (BCA01 19, POC02 CT, ACK01 DR with the new date): the lines' expected ship
dates move and each order's channel hears ``order.delayed``. We time the hub receiving that
file (archive, read, decide, apply, store the events and their notifications, queue its 997)
and, as the baseline in the same run, the bare reader going through the same file, as the
856 row does. It is timed as `edihub run` runs it: the set-up, like a worker's start-up, is
frozen out of the garbage collector (bench.harness.as_the_worker). Target: >= 2,000
transactions/s.
"""

from __future__ import annotations

import io
import shutil
import sys
import tempfile
from pathlib import Path

from bench.bench_inbound import hub_with_sent_orders, sent_lines, timed_receive
from bench.harness import Result, print_table

HEAD = ("ISA*00*          *00*          *ZZ*ACMESUPPLY     *ZZ*DEMORETAIL     *261125*1200*U*"
        "00401*{isa:09d}*0*T*>~\nGS*{fid}*ACMESUPPLY*DEMORETAIL*20261125*1200*{isa}*X*004010")


def _file(set_id: str, fid: str, isa: int, numbers: list[tuple[str, list[tuple[int, int]]]], body) -> bytes:
    """One interchange from acme with one ``set_id`` per PO; ``body(po, lines)`` gives its segments."""
    segs = [HEAD.format(isa=isa, fid=fid)]
    for n, (po, lines) in enumerate(numbers, start=1):
        inner = [f"ST*{set_id}*{n:04d}", *body(po, lines)]
        segs += [*inner, f"SE*{len(inner) + 1}*{n:04d}"]   # SE01 counts ST through SE
    segs += [f"GE*{len(numbers)}*{isa}", f"IEA*1*{isa:09d}"]
    return ("~\n".join(segs) + "~\n").encode()


def _poack(po: str, lines: list[tuple[int, int]]) -> list[str]:
    out = [f"BAK*00*AC*{po}*20261125"]
    for line, qty in lines:
        out += [f"PO1*{line}*{qty}*EA", f"ACK*IA*{qty}*EA*068*20261201"]
    return out


def _change(po: str, lines: list[tuple[int, int]]) -> list[str]:
    out = [f"BCA*19*AC*{po}***20261125"]
    for line, qty in lines:
        out += [f"POC*{line}*CT*{qty}*{qty}*EA", f"ACK*DR*{qty}*EA*068*20261208"]
    return out + [f"CTT*{len(lines)}"]


def run(quick: bool = False) -> list[Result]:
    """Apply 10,000 865s (2,000 in quick mode)."""
    from sqlalchemy import func, select

    from hub.adapters import tables as t
    count = 2_000 if quick else 10_000
    root = Path(tempfile.mkdtemp(prefix="edihub-bench-"))
    try:
        hub = hub_with_sent_orders(root, count, inbound=("865",))
        numbers = list(sent_lines(hub).items())
        lines = sum(len(ls) for _, ls in numbers)   # one order.delayed each
        hub.receive_stream(io.BytesIO(_file("855", "PR", 1, numbers, _poack)), "bench", "poack.edi", "acme")
        data = _file("865", "CA", 2, numbers, _change)
        report, elapsed, bare = timed_receive(hub, data, "change.edi")
        with hub.uow(readonly=True) as uow:
            delayed = uow.conn.scalar(select(func.count()).select_from(t.order_events)
                                      .where(t.order_events.c.type == "order.delayed"))
        hub.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    n = len(numbers)
    ok = report.applied == n and delayed == lines and not report.problems
    rate = n / elapsed
    return [Result(f"apply {n:,} 865s (SQLite), vs reading them only", rate, n / bare, "tx/s",
                   ">= 2,000 tx/s", ok and rate >= 2000,
                   f"{elapsed:.2f} s, {len(data) / 1e6:.1f} MB; order.delayed for every line: "
                   f"{delayed == lines}")]


if __name__ == "__main__":
    print_table(run("--quick" in sys.argv))

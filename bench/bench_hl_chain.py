"""An 856 whose HL levels form one long chain, applied end to end: linear time, and its memory.

Each level is a pack inside the one before it (``HL*k*k-1*P`` then a MAN with two SSCC
ranges, ``MAN*GM*<SSCC>*<to>*GM*<SSCC>*<to>``), as one long parent chain; the items of one
purchase order sit in the deepest pack. Such a file once took seconds per 24,000 levels because
every level walked up to the top of the tree. The long MAN keeps a 50 MB set (about 300,000
levels) under the reader's limit of 1,000,000 segments per set (``MAX_SET_SEGMENTS``).

For a 5 MB and a 50 MB file, a child process (for its own peak memory) receives the file into
a copy of an instance holding that purchase order: archive, read, apply the shipment, derive
the order's state. As the baseline, a second child reads the same file through the tokenizer
and envelope checks only (``iter_transactions``), which every inbound file goes through.

Targets: the seconds per MB at 50 MB at most 1.5x those at 5 MB (linear time), and the
same for the peak memory per MB (memory proportional to the one transaction set, which the
reader holds whole, not growing faster). Run: ``python -m bench.bench_hl_chain [--quick]``
(quick: 2 MB and 20 MB).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from bench.harness import Result, peak_rss_mb, print_table

ROOT = Path(__file__).resolve().parents[1]


def write_chain_856(path: Path, size_mb: float, po: str, lines: list[tuple[int, int]]) -> int:
    """One interchange from acme with one 856 of about ``size_mb`` MB: a chain of packs. Returns levels."""
    head = [
        "ISA*00*          *00*          *ZZ*ACMESUPPLY     *ZZ*DEMORETAIL     *261125*1200*U*"
        "00401*000000001*0*T*>", "GS*SH*ACMESUPPLY*DEMORETAIL*20261125*1200*1*X*004010",
        "ST*856*0001", "BSN*00*CHAIN-1*20261126*0900", "HL*1**S", "TD5*B*2*UPSN*M*GROUND",
        "DTM*011*20261126", "HL*2*1*O", f"PRF*{po}"]
    target = int(size_mb * 2**20)
    with open(path, "w", encoding="ascii", newline="\n") as out:
        out.write("~\n".join(head) + "~\n")
        segments, k = len(head) - 2, 2                  # ST..SE counts from ST
        while out.tell() < target:
            k += 1
            out.write(f"HL*{k}*{k - 1}*P~\nMAN*GM*{k:020d}*{k:048d}*GM*{k + 10**19:020d}*"
                      f"{k:048d}~\n")
            segments += 2
        deepest = k
        for line, qty in lines:
            k += 1
            out.write(f"HL*{k}*{deepest}*I~\nLIN*{line}~\nSN1**{qty}*EA~\n")
            segments += 3
        out.write(f"SE*{segments + 1}*0001~\nGE*1*1~\nIEA*1*000000001~\n")
    return deepest - 2


APPLY = """
import sys, time
sys.path.insert(0, {root!r})
from hub.bootstrap import bootstrap
hub = bootstrap({home!r})
t0 = time.perf_counter()
with open({path!r}, "rb") as stream:
    report = hub.receive_stream(stream, "bench", "chain.edi", "acme")
elapsed = time.perf_counter() - t0
with hub.uow(readonly=True) as uow:
    from sqlalchemy import select
    from hub.adapters import tables as t
    states = sorted(uow.conn.scalars(select(t.purchase_orders.c.state)).all())
hub.close()
print(report.applied, ",".join(states), elapsed)
"""

TOKENIZE = """
import sys, time
sys.path.insert(0, {root!r})
from hub.edi.x12.envelope import iter_transactions
t0 = time.perf_counter()
with open({path!r}, "rb") as stream:
    walk = iter_transactions(stream)
    segments = sum(len(tx.segments) for tx in walk)
errors = len(walk.all_errors())
print(segments, errors, time.perf_counter() - t0)
"""


def _prepare(root: Path) -> tuple[Path, str, list[tuple[int, int]]]:
    """An instance with one order sent to acme; its home, PO number and (line, quantity)s."""
    from sqlalchemy import select

    from bench.bench_import import _instance, write_orders
    from hub.adapters import tables as t
    from hub.bootstrap import bootstrap
    orders = root / "orders.jsonl"
    write_orders(orders, 1)
    home = _instance(root)
    hub = bootstrap(home)
    hub.import_file(orders)
    hub.dispatcher("bench").run_until_empty(limit=10)
    with hub.uow(readonly=True) as uow:
        rows = uow.conn.execute(select(t.purchase_orders.c.po_number, t.po_lines.c.line_number,
                                       t.po_lines.c.quantity)
                                .join(t.po_lines, t.po_lines.c.purchase_order_id == t.purchase_orders.c.id)
                                .order_by(t.po_lines.c.line_number)).all()
    hub.close()
    return home, rows[0][0], [(line, qty) for _, line, qty in rows]


def _measure(root: Path, home: Path, po: str, lines: list, size_mb: float) -> dict:
    """Apply and tokenize one chain file of ``size_mb`` MB, each in its own child."""
    path = root / f"chain-{size_mb:g}mb.edi"
    levels = write_chain_856(path, size_mb, po, lines)
    mb = path.stat().st_size / 2**20
    copy = root / f"home-{size_mb:g}"
    shutil.copytree(home, copy)
    apply_peak, apply_status, out = peak_rss_mb(["-c", APPLY.format(root=str(ROOT), home=str(copy),
                                                                    path=str(path))])
    applied, states, apply_s = out.split()
    tok_peak, tok_status, out = peak_rss_mb(["-c", TOKENIZE.format(root=str(ROOT), path=str(path))])
    segments, errors, tok_s = out.split()
    path.unlink()
    shutil.rmtree(copy)
    ok = (apply_status == 0 and tok_status == 0 and int(applied) == 1 and states == "shipped"
          and int(errors) == 0)
    return {"mb": mb, "levels": levels, "apply_s": float(apply_s), "tok_s": float(tok_s),
            "apply_peak": apply_peak, "tok_peak": tok_peak, "ok": ok, "segments": int(segments)}


def run(quick: bool = False) -> list[Result]:
    """Measure a small and a ten times larger chain (5 and 50 MB; 2 and 20 in quick mode)."""
    small, large = (2, 20) if quick else (5, 50)
    root = Path(tempfile.mkdtemp(prefix="edihub-bench-"))
    try:
        home, po, lines = _prepare(root)
        figures = [_measure(root, home, po, lines, size) for size in (small, large)]
    finally:
        shutil.rmtree(root, ignore_errors=True)
    a, b = figures
    per_mb = lambda f, key: f[key] / f["mb"]          # noqa: E731 - seconds or MB per input MB
    results = []
    for f in figures:
        results.append(Result(
            f"856 HL chain {f['mb']:.0f} MB applied (SQLite) vs tokenized", per_mb(f, "apply_s"),
            per_mb(f, "tok_s"), "s/MB", "-", f["ok"],
            f"{f['levels']:,} nested packs, {f['segments']:,} segments; applied in "
            f"{f['apply_s']:.1f} s, tokenized in {f['tok_s']:.1f} s"))
    growth = per_mb(b, "apply_s") / per_mb(a, "apply_s")
    results.append(Result(f"  s/MB at {b['mb']:.0f} MB vs at {a['mb']:.0f} MB (linear time)",
                          per_mb(b, "apply_s"), per_mb(a, "apply_s"), "s/MB", "<= 1.5x",
                          a["ok"] and b["ok"] and growth <= 1.5))
    for f in figures:
        results.append(Result(f"856 HL chain {f['mb']:.0f} MB, peak memory: apply vs tokenize",
                              f["apply_peak"], f["tok_peak"], "MB", "-", f["ok"],
                              f"{f['apply_peak'] / f['mb']:.1f} MB per input MB applying, "
                              f"{f['tok_peak'] / f['mb']:.1f} tokenizing"))
    mem_growth = per_mb(b, "apply_peak") / per_mb(a, "apply_peak")
    results.append(Result(f"  peak MB per input MB at {b['mb']:.0f} MB vs at {a['mb']:.0f} MB",
                          per_mb(b, "apply_peak"), per_mb(a, "apply_peak"), "MB/MB", "<= 1.5x",
                          mem_growth <= 1.5))
    return results


if __name__ == "__main__":
    print_table(run(quick="--quick" in sys.argv[1:]))

"""The supplier scorecard: how each supplier answered and shipped the purchase orders sent to it
in a period, computed in the store (one aggregate per partner, never a row per order in Python).

Every figure is about the purchase orders *sent* (``sent_at``) at or after ``since``; each rate
comes with the counts it was computed from, so that one order is not read as evidence.
docs/operations.md ("The supplier scorecard") defines each figure.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from sqlalchemy import Connection, Float, String, and_, bindparam, case, func, literal, null, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from hub.adapters import tables as t
from hub.domain.answers import REJECTED_CODES
from hub.domain.partner import Catalog
from hub.edi.x12.glossary import code_meaning

DAY = 86400
# PO states in which no shipment is expected any more: left out of on-time unless one came.
NOT_TO_SHIP = ("rejected", "cancelled", "failed")


class seconds_between(FunctionElement):
    """Seconds from one timestamp to a later one, to the millisecond, in SQL."""

    type = Float()
    name = "seconds_between"
    inherit_cache = True


@compiles(seconds_between, "sqlite")
def _seconds_sqlite(element, compiler, **kw):
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    # julianday() is a float of days: rounding to the millisecond removes its binary noise.
    return f"ROUND((julianday({end}) - julianday({start})) * 86400.0, 3)"


@compiles(seconds_between, "postgresql")
def _seconds_postgresql(element, compiler, **kw):
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(EXTRACT(EPOCH FROM ({end}) - ({start})) AS DOUBLE PRECISION)"


def scorecard(conn: Connection, since: datetime, now: datetime, partner_ids: list[str],
              catalog: Catalog | None) -> list[dict]:
    """Per supplier (those named, and any other the period's POs went to), the figures of the
    POs sent since ``since``; lead times come from ``catalog``."""
    pos = _per_partner(conn, since, now, catalog)
    acks, poacks = _latencies(conn, since, t.purchase_orders.c.acked_at), \
        _latencies(conn, since, t.purchase_orders.c.poack_at)
    rejects, incidents = _reject_reasons(conn, since), _incidents(conn, since)
    out = []
    for pid in sorted(set(partner_ids) | set(pos) | set(incidents)):
        p = pos.get(pid) or dict.fromkeys(_COUNTS, 0)
        card = {"partner": pid, "pos": p["pos"],
                "ack997": acks.get(pid, _NO_LATENCY), "ack855": poacks.get(pid, _NO_LATENCY),
                "answered": p["answered"], "pos_accepted": p["pos_accepted"],
                "pos_rejected": p["pos_rejected"],
                "units": {k: p[f"u_{k}"] for k in ("ordered", "answered", "accepted", "backordered",
                                                    "rejected", "shipped")},
                "on_time": {k: p[k] for k in ("on_time", "late", "not_due", "no_lead_time", "not_to_ship")},
                "rejects": rejects.get(pid, []),
                "incidents": incidents.get(pid, {"total": 0, "open": 0, "codes": {}})}
        units = card["units"]
        card["acceptance_rate"] = rate(units["accepted"], units["answered"])
        card["backorder_rate"] = rate(units["backordered"], units["answered"])
        card["fill_rate"] = rate(units["shipped"], units["ordered"])
        judged = card["on_time"]["on_time"] + card["on_time"]["late"]
        card["on_time"]["judged"] = judged
        card["on_time_rate"] = rate(card["on_time"]["on_time"], judged)
        out.append(card)
    return out


def rate(part: int, whole: int) -> float | None:
    """``part / whole``, or None when there is nothing to divide."""
    return part / whole if whole else None


_NO_LATENCY = {"n": 0, "median": None, "p90": None}
_COUNTS = ("pos", "acked", "answered", "pos_accepted", "pos_rejected", "u_ordered", "u_answered",
           "u_accepted", "u_backordered", "u_rejected", "u_shipped", "on_time", "late", "not_due",
           "no_lead_time", "not_to_ship")


def _per_partner(conn: Connection, since: datetime, now: datetime, catalog: Catalog | None) -> dict[str, dict]:
    """Counts of POs and units per partner, from one row per PO computed in the store."""
    p, ln = t.purchase_orders, t.po_lines
    live = ln.c.state != "cancelled"   # units an operator cancelled are no one's to ship

    def units(expr):
        return func.coalesce(func.sum(case((live, expr), else_=0)), 0)

    shipped = case((ln.c.qty_shipped > ln.c.quantity, ln.c.quantity), else_=ln.c.qty_shipped)
    # Per PO (grouped by its key, so the PO's own columns are read once per PO).
    po = (select(p.c.partner_id, p.c.state, p.c.acked_at, p.c.poack_at, p.c.shipped_at,
                 seconds_between(p.c.sent_at, p.c.shipped_at).label("took"),
                 seconds_between(p.c.sent_at, literal(now, t.UtcDateTime)).label("so_far"),
                 units(ln.c.quantity).label("ordered"), units(ln.c.qty_accepted).label("accepted"),
                 units(ln.c.qty_backordered).label("backordered"),
                 units(ln.c.qty_rejected).label("rejected"), units(shipped).label("shipped"),
                 func.max(_lead_days(catalog, p.c.partner_id, ln.c.sku)).label("allowance"))
          .select_from(p.join(ln, ln.c.purchase_order_id == p.c.id))
          .where(p.c.sent_at >= since)
          .group_by(p.c.id).subquery())
    answered = po.c.poack_at.is_not(None)
    known = po.c.allowance.is_not(None)
    due = po.c.allowance * DAY
    waiting = and_(po.c.shipped_at.is_(None), po.c.state.not_in(NOT_TO_SHIP))

    def count(cond):
        return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)

    def total(expr):
        return func.coalesce(func.sum(expr), 0)

    figures = {
        "pos": func.count(), "acked": func.count(po.c.acked_at), "answered": func.count(po.c.poack_at),
        "pos_accepted": count(and_(answered, po.c.accepted + po.c.backordered > 0)),
        "pos_rejected": count(and_(answered, po.c.ordered > 0, po.c.rejected >= po.c.ordered)),
        "u_ordered": total(po.c.ordered), "u_shipped": total(po.c.shipped),
        "u_answered": total(case((answered, po.c.ordered), else_=0)),
        "u_accepted": total(case((answered, po.c.accepted), else_=0)),
        "u_backordered": total(case((answered, po.c.backordered), else_=0)),
        "u_rejected": total(case((answered, po.c.rejected), else_=0)),
        "on_time": count(and_(known, po.c.took <= due)),
        "late": count(and_(known, (po.c.took > due) | (waiting & (po.c.so_far > due)))),
        "not_due": count(and_(known, waiting, po.c.so_far <= due)),
        "no_lead_time": count(and_(~known, po.c.shipped_at.is_not(None) | waiting)),
        "not_to_ship": count(and_(po.c.shipped_at.is_(None), po.c.state.in_(NOT_TO_SHIP))),
    }
    rows = conn.execute(select(po.c.partner_id, *(e.label(k) for k, e in figures.items()))
                        .group_by(po.c.partner_id)).mappings()
    return {r["partner_id"]: {k: int(r[k]) for k in _COUNTS} for r in rows}


def _lead_days(catalog: Catalog | None, partner, sku):
    """The catalog's lead time in days of ``sku`` at ``partner`` as an SQL expression (NULL
    where the catalog has no entry): a CASE per partner and lead time over the SKUs that have it.

    The SKU lists are written into the statement when it runs (no limit on bound parameters),
    and both stores look an IN list up through a hash or an index, whatever the catalog's size.
    """
    groups: dict[str, dict[int, list[str]]] = {}
    for e in catalog.entries if catalog is not None else ():
        groups.setdefault(e.supplier, {}).setdefault(e.lead_time_days, []).append(e.sku)
    if not groups:
        return null()
    return case(*((partner == pid, case(*((sku.in_(bindparam(None, sorted(skus), String, expanding=True,
                                                                literal_execute=True)), literal(days))
                                          for days, skus in sorted(by_days.items()))))
                  for pid, by_days in sorted(groups.items())))


def _latencies(conn: Connection, since: datetime, stamp) -> dict[str, dict]:
    """Per partner: how many POs have ``stamp``, and the median and 90th percentile of the
    seconds from sending to ``stamp`` (nearest rank: the value at rank ceil(p * n))."""
    p = t.purchase_orders
    took = (select(p.c.partner_id, seconds_between(p.c.sent_at, stamp).label("s"))
            .where(p.c.sent_at >= since, stamp.is_not(None)).subquery())
    ranked = select(took.c.partner_id, took.c.s,
                    func.row_number().over(partition_by=took.c.partner_id, order_by=took.c.s).label("rank"),
                    func.count().over(partition_by=took.c.partner_id).label("n")).subquery()
    r = ranked.c
    rows = conn.execute(select(r.partner_id, func.max(r.n),
                               func.max(case((r.rank == (r.n + 1) // 2, r.s))),
                               func.max(case((r.rank == (r.n * 9 + 9) // 10, r.s))))
                        .group_by(r.partner_id))
    return {pid: {"n": int(n), "median": float(median), "p90": float(p90)} for pid, n, median, p90 in rows}


def _reject_reasons(conn: Connection, since: datetime) -> dict[str, list[dict]]:
    """Per partner, each refusal code its 855s gave: the PO lines and units refused with it."""
    la, ln, p = t.line_acks, t.po_lines, t.purchase_orders
    # One row per line and code: a repeated 855 saying the same thing does not count twice.
    per_line = (select(p.c.partner_id, la.c.code, la.c.po_line_id,
                       func.max(func.coalesce(la.c.quantity, ln.c.quantity)).label("units"))
                .select_from(la.join(ln, ln.c.id == la.c.po_line_id).join(p, p.c.id == ln.c.purchase_order_id))
                .where(p.c.sent_at >= since, la.c.code.in_(sorted(REJECTED_CODES)))
                .group_by(p.c.partner_id, la.c.code, la.c.po_line_id).subquery())
    rows = conn.execute(select(per_line.c.partner_id, per_line.c.code, func.count(), func.sum(per_line.c.units))
                        .group_by(per_line.c.partner_id, per_line.c.code)
                        .order_by(per_line.c.partner_id, func.count().desc(), per_line.c.code))
    out: dict[str, list[dict]] = {}
    for pid, code, lines, units in rows:
        out.setdefault(pid, []).append({"code": code, "meaning": code_meaning("668", code) or "line refused",
                                        "lines": int(lines), "units": int(units or 0)})
    return out


def _incidents(conn: Connection, since: datetime) -> dict[str, dict]:
    """Per partner, the Incidents filed since ``since`` that name it (whatever the cause), how
    many are still open, and how many of each code."""
    i = t.incidents
    rows = conn.execute(select(i.c.partner_id, i.c.code, func.count(),
                               func.coalesce(func.sum(case((i.c.state == "open", 1), else_=0)), 0))
                        .where(i.c.created_at >= since, i.c.partner_id.is_not(None))
                        .group_by(i.c.partner_id, i.c.code).order_by(i.c.partner_id, func.count().desc(), i.c.code))
    out: dict[str, dict] = {}
    for pid, code, n, still_open in rows:
        entry = out.setdefault(pid, {"total": 0, "open": 0, "codes": {}})
        entry["total"] += int(n)
        entry["open"] += int(still_open)
        entry["codes"][code] = int(n)
    return out


# -- presenting ---------------------------------------------------------------------------------

def duration(seconds: float | None) -> str:
    """A latency for people: 45 s, 12 min, 3.5 h, 2.1 d."""
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * DAY:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / DAY:.1f} d"


def percent(value: float | None) -> str:
    """A rate for people: 92.5%, or - when there was nothing to count."""
    return "-" if value is None else f"{value * 100:.1f}%"


CSV_COLUMNS = ("partner", "since", "until", "pos_sent", "ack997_received", "ack997_median_s",
               "ack997_p90_s", "ack855_received", "ack855_median_s", "ack855_p90_s", "pos_accepted",
               "pos_rejected", "units_ordered", "units_answered", "units_accepted", "units_backordered",
               "units_rejected", "units_shipped", "acceptance_rate", "backorder_rate", "fill_rate",
               "on_time", "late", "not_yet_due", "no_lead_time", "not_to_ship", "on_time_rate",
               "incidents", "incidents_open", "reject_reasons")


def csv_text(cards: list[dict], since: datetime, until: datetime) -> str:
    """The scorecard as CSV, one row per supplier (seconds and rates as plain numbers)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(CSV_COLUMNS)
    for c in cards:
        u, o = c["units"], c["on_time"]
        w.writerow([
            _cell(c["partner"]), _stamp(since), _stamp(until), c["pos"],
            c["ack997"]["n"], _secs(c["ack997"]["median"]), _secs(c["ack997"]["p90"]),
            c["ack855"]["n"], _secs(c["ack855"]["median"]), _secs(c["ack855"]["p90"]),
            c["pos_accepted"], c["pos_rejected"], u["ordered"], u["answered"], u["accepted"],
            u["backordered"], u["rejected"], u["shipped"], _rate(c["acceptance_rate"]),
            _rate(c["backorder_rate"]), _rate(c["fill_rate"]), o["on_time"], o["late"], o["not_due"],
            o["no_lead_time"], o["not_to_ship"], _rate(c["on_time_rate"]), c["incidents"]["total"],
            c["incidents"]["open"], _cell(" ".join(f"{r['code']}:{r['lines']}" for r in c["rejects"]))])
    return buf.getvalue()


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _secs(value: float | None) -> str:
    return "" if value is None else f"{value:.0f}"


def _rate(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def _cell(text: str) -> str:
    """Text a spreadsheet shows as text: codes come from suppliers' documents, and a cell that
    starts with = + - @ would be taken for a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text

"""Read-side queries: find an order by any reference and describe it for people and programs."""

from __future__ import annotations

import json

from sqlalchemy import Connection, or_, select

from hub.adapters import tables as t


def find_order_id(conn: Connection, ref: str) -> int | None:
    """The order an operator means: order id, channel/channel_order_id, PO number,
    channel order id alone, or an interchange control number."""
    ref = ref.strip()
    o, p, i = t.orders, t.purchase_orders, t.interchanges
    if "/" in ref:
        channel, _, coid = ref.partition("/")
        found = conn.scalar(select(o.c.id).where(o.c.channel == channel, o.c.channel_order_id == coid))
        if found:
            return found
    if ref.isdigit():
        found = conn.scalar(select(o.c.id).where(o.c.id == int(ref)))
        if found:
            return found
    for query in (select(p.c.order_id).where(p.c.po_number == ref),
                  select(o.c.id).where(o.c.channel_order_id == ref).limit(1),
                  select(p.c.order_id).join(i, i.c.purchase_order_id == p.c.id)
                  .where(or_(i.c.control_number == ref, i.c.control_number == ref.zfill(9))).limit(1)):
        found = conn.scalar(query)
        if found:
            return found
    return None


def order_view(conn: Connection, order_id: int) -> dict | None:
    """An order with its lines, purchase orders, documents, open incidents and timeline."""
    o = conn.execute(select(t.orders).where(t.orders.c.id == order_id)).mappings().first()
    if o is None:
        return None
    lines = conn.execute(select(t.order_lines).where(t.order_lines.c.order_id == order_id)
                         .order_by(t.order_lines.c.id)).mappings().all()
    pos = conn.execute(select(t.purchase_orders).where(t.purchase_orders.c.order_id == order_id)
                       .order_by(t.purchase_orders.c.id)).mappings().all()
    po_ids = [p["id"] for p in pos]
    po_lines = conn.execute(select(t.po_lines).where(t.po_lines.c.purchase_order_id.in_(po_ids))
                            .order_by(t.po_lines.c.line_number)).mappings().all() if po_ids else []
    docs = _documents(conn, po_ids) + _received(conn, order_id, po_ids)
    return {
        "id": o["id"], "channel": o["channel"], "channel_order_id": o["channel_order_id"],
        "state": o["state"], "hold_reason": o["hold_reason"],
        "placed_at": _iso(o["placed_at"]), "received_at": _iso(o["received_at"]),
        "order": json.loads(o["payload"]),
        "lines": [{"line_id": ln["line_id"], "sku": ln["sku"], "quantity": ln["quantity"],
                   "unit_price": str(ln["unit_price"]),
                   "suppliers": [x for x in ln["candidates"].split(",") if x],
                   "purchase_orders": [_po_line(pl, pos) for pl in po_lines
                                       if pl["order_line_id"] == ln["id"]]}
                  for ln in lines],
        "purchase_orders": [{"po_number": p["po_number"], "supplier": p["partner_id"],
                             "state": p["state"], "ack_status": p["ack_status"],
                             "route_attempt": p["route_attempt"], "created_at": _iso(p["created_at"]),
                             "sent_at": _iso(p["sent_at"]),
                             "documents": [d for d in docs if d["purchase_order_id"] == p["id"]]}
                            for p in pos],
        "incidents": _incidents(conn, order_id, po_ids),
        "timeline": _timeline(conn, order_id, po_ids, docs),
    }


def _po_line(pl, pos) -> dict:
    po = next(p for p in pos if p["id"] == pl["purchase_order_id"])
    return {"po_number": po["po_number"], "supplier": po["partner_id"], "line_number": pl["line_number"],
            "state": pl["state"], "quantity": pl["quantity"], "accepted": pl["qty_accepted"],
            "rejected": pl["qty_rejected"], "backordered": pl["qty_backordered"],
            "shipped": pl["qty_shipped"]}


def _documents(conn: Connection, po_ids: list[int]) -> list[dict]:
    if not po_ids:
        return []
    i = t.interchanges
    rows = conn.execute(select(i.c.id, i.c.direction, i.c.doc_type, i.c.control_number, i.c.filename,
                               i.c.state, i.c.attempts, i.c.last_error, i.c.created_at, i.c.done_at,
                               i.c.purchase_order_id)
                        .where(i.c.purchase_order_id.in_(po_ids)).order_by(i.c.id)).mappings()
    return [{"id": r["id"], "direction": r["direction"], "doc_type": r["doc_type"],
             "control_number": r["control_number"], "filename": r["filename"], "state": r["state"],
             "attempts": r["attempts"], "last_error": r["last_error"],
             "created_at": _iso(r["created_at"]), "done_at": _iso(r["done_at"]),
             "purchase_order_id": r["purchase_order_id"]} for r in rows]


def _received(conn: Connection, order_id: int, po_ids: list[int]) -> list[dict]:
    """Documents partners sent about this order: found through the events they caused."""
    e, i = t.events, t.interchanges
    cond = e.c.order_id == order_id
    if po_ids:
        cond = or_(cond, e.c.purchase_order_id.in_(po_ids))
    pairs = conn.execute(select(e.c.interchange_id, e.c.purchase_order_id).distinct()
                         .where(cond, e.c.interchange_id.is_not(None))).all()
    by_id: dict[int, int | None] = {}
    for iid, pid in pairs:
        by_id[iid] = by_id.get(iid) or pid
    if not by_id:
        return []
    rows = conn.execute(select(i.c.id, i.c.doc_type, i.c.control_number, i.c.filename, i.c.remote_name,
                               i.c.state, i.c.created_at, i.c.done_at)
                        .where(i.c.id.in_(list(by_id)), i.c.direction == "in")).mappings()
    return [{"id": r["id"], "direction": "in", "doc_type": r["doc_type"], "control_number": r["control_number"],
             "filename": r["remote_name"] or r["filename"], "state": r["state"], "attempts": 0,
             "last_error": "", "created_at": _iso(r["created_at"]), "done_at": _iso(r["done_at"] or r["created_at"]),
             "purchase_order_id": by_id[r["id"]]} for r in rows]


def _incidents(conn: Connection, order_id: int, po_ids: list[int]) -> list[dict]:
    i = t.incidents
    cond = i.c.order_id == order_id
    if po_ids:
        cond = or_(cond, i.c.purchase_order_id.in_(po_ids))
    rows = conn.execute(select(i.c.id, i.c.code, i.c.state, i.c.message, i.c.created_at)
                        .where(cond).order_by(i.c.id)).mappings()
    return [{"id": r["id"], "code": r["code"], "state": r["state"], "message": r["message"],
             "created_at": _iso(r["created_at"])} for r in rows]


def _timeline(conn: Connection, order_id: int, po_ids: list[int], docs: list[dict]) -> list[dict]:
    e = t.events
    cond = e.c.order_id == order_id
    if po_ids:
        cond = or_(cond, e.c.purchase_order_id.in_(po_ids))
    items = [{"at": _iso(r["at"]), "kind": r["kind"], "message": r["message"], "actor": r["actor"]}
             for r in conn.execute(select(e).where(cond).order_by(e.c.at, e.c.id)).mappings()]
    for d in docs:
        if d["done_at"]:
            verb = "sent" if d["direction"] == "out" else "received"
            items.append({"at": d["done_at"], "kind": f"document.{verb}", "actor": "hub",
                          "message": f"{d['doc_type']} {d['control_number'] or ''} {verb} "
                                     f"({d['filename']})".replace("  ", " ")})
    return sorted(items, key=lambda x: x["at"] or "")


def _iso(value) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")

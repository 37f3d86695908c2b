"""Read models of changes from the channel: each change of an order, how it reached each
purchase order's supplier, and what the supplier answered."""

from __future__ import annotations

import json

from sqlalchemy import Connection, select

from hub.adapters import tables as t
from hub.views.common import iso

# Changes a person may still record the supplier's answer for.
OPEN_STATES = ("queued", "failed", "sent", "manual")
_HOW = {"replaced": "document replaced before it left", "860": "X12 860 sent",
        "xml": "supplier's XML change sent", "manual": "to be told by a person",
        "none": "nothing sent"}


def changes_of_order(conn: Connection, order_id: int) -> list[dict]:
    """Every change of an order, oldest first, each with its purchase orders' part."""
    c = t.order_changes
    rows = conn.execute(select(c).where(c.c.order_id == order_id).order_by(c.c.id)).mappings().all()
    parts = _po_changes(conn, [r["id"] for r in rows])
    return [_change(r, parts.get(r["id"], [])) for r in rows]


def change_view(conn: Connection, order_change_id: int) -> dict | None:
    """One change as its channel sees it: state, lines, purchase orders (no internal ids)."""
    c, o = t.order_changes, t.orders
    row = conn.execute(select(c, o.c.channel_order_id).join(o, o.c.id == c.c.order_id)
                       .where(c.c.id == order_change_id)).mappings().first()
    if row is None:
        return None
    change = _change(row, _po_changes(conn, [order_change_id]).get(order_change_id, []))
    return {"channel": row["channel"], "channel_order_id": row["channel_order_id"],
            "change_id": change["change_id"], "state": change["state"],
            "received_at": change["created_at"], "updated_at": change["updated_at"],
            "lines": change["lines"], "notes": change["notes"],
            "purchase_orders": [{k: p[k] for k in ("po_number", "supplier", "mode", "state", "lines")}
                                for p in change["purchase_orders"]]}


def _change(row, parts: list[dict]) -> dict:
    result = json.loads(row["result"] or "{}")
    return {"id": row["id"], "change_id": row["change_id"], "state": row["state"], "source": row["source"],
            "actor": row["actor"], "created_at": iso(row["created_at"]), "updated_at": iso(row["updated_at"]),
            "request": json.loads(row["payload"]), "lines": result.get("lines", []),
            "notes": result.get("notes", []), "purchase_orders": parts}


def _po_changes(conn: Connection, order_change_ids: list[int]) -> dict[int, list[dict]]:
    """Per change, its purchase orders' part with the change document, if one was sent."""
    if not order_change_ids:
        return {}
    p, po, i = t.po_changes, t.purchase_orders, t.interchanges
    rows = conn.execute(select(p, po.c.po_number, po.c.partner_id, i.c.doc_type, i.c.control_number,
                               i.c.state.label("document_state"))
                        .join(po, po.c.id == p.c.purchase_order_id)
                        .outerjoin(i, i.c.id == p.c.interchange_id)
                        .where(p.c.order_change_id.in_(order_change_ids)).order_by(p.c.id)).mappings()
    out: dict[int, list[dict]] = {}
    for r in rows:
        document = None if r["interchange_id"] is None else {
            "id": r["interchange_id"], "doc_type": r["doc_type"], "control_number": r["control_number"],
            "state": r["document_state"]}
        out.setdefault(r["order_change_id"], []).append({
            "id": r["id"], "po_number": r["po_number"], "supplier": r["partner_id"], "mode": r["mode"],
            "how": _HOW.get(r["mode"], r["mode"]), "sequence": r["sequence"], "purpose": r["purpose"],
            "state": r["state"], "note": r["note"], "lines": json.loads(r["lines"] or "[]"),
            "document": document, "sent_at": iso(r["sent_at"]), "acked_at": iso(r["acked_at"]),
            "answered_at": iso(r["answered_at"]), "open": r["state"] in OPEN_STATES})
    return out

"""Read models of one document: what it is, where it stands, and its bytes as stored."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, select

from hub.adapters import tables as t
from hub.views.incidents import audit_entries, document_summary


def document_view(conn: Connection, interchange_id: int) -> dict | None:
    """One document with the purchase order and order it concerns, its sets, incidents and audit."""
    doc = document_summary(conn, interchange_id)
    if doc is None:
        return None
    p, o, ts, i = t.purchase_orders, t.orders, t.transaction_sets, t.interchanges
    po_ids = {doc["purchase_order_id"]} - {None}
    sets = [dict(r) for r in conn.execute(select(ts.c.set_id, ts.c.group_control, ts.c.set_control,
                                                 ts.c.purchase_order_id)
                                          .where(ts.c.interchange_id == interchange_id)).mappings()]
    po_ids |= {s["purchase_order_id"] for s in sets} - {None}
    pos = [dict(r) for r in conn.execute(select(p.c.id, p.c.po_number, p.c.partner_id, p.c.state, p.c.order_id,
                                                o.c.channel, o.c.channel_order_id)
                                         .join(o, o.c.id == p.c.order_id).where(p.c.id.in_(po_ids))).mappings()]
    copies = list(conn.scalars(select(i.c.id).where(i.c.duplicate_of == interchange_id)))
    resends = list(conn.scalars(select(i.c.id).where(i.c.resend_of == interchange_id)))
    incidents = [dict(r) for r in conn.execute(select(t.incidents.c.id, t.incidents.c.code, t.incidents.c.state,
                                                      t.incidents.c.message)
                                               .where(t.incidents.c.interchange_id == interchange_id)
                                               .order_by(t.incidents.c.id)).mappings()]
    return {**doc, "sets": sets, "purchase_orders": pos, "duplicates": copies, "resends": resends,
            "incidents": incidents, "audit": audit_entries(conn, interchange_id=interchange_id)}


def document_source(conn: Connection, interchange_id: int, archive_root: Path) -> tuple[str, object] | None:
    """Where a document's bytes are: ("bytes", payload) for one we send (the store keeps it),
    ("file", path) for one received (the archive keeps it, as received); None if unknown."""
    i = t.interchanges
    row = conn.execute(select(i.c.direction, i.c.payload, i.c.archive_path)
                       .where(i.c.id == interchange_id)).first()
    if row is None:
        return None
    if row.payload is not None:
        return ("bytes", bytes(row.payload))
    if not row.archive_path:
        return None
    root = archive_root.resolve()
    path = (root / row.archive_path).resolve()
    if root not in path.parents or not path.is_file():
        return None
    return ("file", path)

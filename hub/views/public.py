"""What a sales channel may see of its orders: the order API's read model.

Units, states, suppliers, dates, shipments and the events feed (docs/orders.md,
docs/webhooks.md; the JSON Schemas in docs/schemas/). Never incidents, timelines, documents,
partner settings or control numbers: the channel has no use for them and they would tie the
public contract to how the hub talks to its suppliers.
"""

from __future__ import annotations

import json

from sqlalchemy import Connection, func, select

from hub.adapters import tables as t
from hub.adapters.repository import Repository
from hub.domain.changes import could_name_order
from hub.domain.progress import LineProgress, order_progress, public_shipment
from hub.views.common import iso

DEFAULT_PAGE = 100
MAX_PAGE = 500
LAST_FEED_ID = 2**31 - 1


def channel_order(conn: Connection, channel: str, channel_order_id: str) -> dict | None:
    """A channel's order by its own id, as the channel may see it, or None."""
    if not could_name_order(channel, channel_order_id):
        return None
    o = t.orders
    oid = conn.scalar(select(o.c.id).where(o.c.channel == channel, o.c.channel_order_id == channel_order_id))
    return None if oid is None else order_document(conn, oid)


def order_document(conn: Connection, order_id: int) -> dict:
    """One order as its channel sees it (docs/schemas/order.json)."""
    return order_documents(conn, [order_id])[order_id]


def order_documents(conn: Connection, order_ids: list[int]) -> dict[int, dict]:
    """Several orders as their channels see them, by id, in a fixed number of queries: the
    order API's answers for a group of orders committed together."""
    ids = set(order_ids)
    repo = Repository(conn)
    orders = repo.orders_by_id(ids)
    pos = repo.purchase_orders_of_orders(ids)
    shipments = _shipments(conn, ids)
    o, e = t.orders, t.order_events
    last_sequence = select(func.max(e.c.sequence)).where(e.c.order_id == o.c.id).scalar_subquery()
    stamps = {oid: (received_at, last) for oid, received_at, last in
              conn.execute(select(o.c.id, o.c.received_at, last_sequence).where(o.c.id.in_(ids)))}
    out = {}
    for oid in sorted(orders):
        order = orders[oid]
        progress = order_progress(order, pos.get(oid, []))
        shipped, delivery = shipments.get(oid, ([], {}))
        out[oid] = {"channel": order.channel, "channel_order_id": order.channel_order_id,
                    "state": progress.state, "placed_at": iso(order.placed_at),
                    "received_at": iso(stamps[oid][0]), "last_event_sequence": stamps[oid][1] or 0,
                    "lines": [_line(ln, delivery.get(ln.id)) for ln in progress.lines],
                    "shipments": shipped}
    return out


def _line(ln: LineProgress, expected_delivery) -> dict:
    return {"line_id": ln.line_id, "sku": ln.sku, "description": ln.description, "state": ln.state,
            "quantities": {"ordered": ln.ordered, "accepted": ln.accepted, "backordered": ln.backordered,
                           "rejected": ln.rejected, "cancelled": ln.cancelled, "shipped": ln.shipped},
            "suppliers": list(ln.suppliers),
            "expected_ship_date": ln.expected_ship_date.isoformat() if ln.expected_ship_date else None,
            "expected_delivery": expected_delivery.isoformat() if expected_delivery else None}


def _shipments(conn: Connection, order_ids: set[int]) -> dict[int, tuple[list[dict], dict]]:
    """Per order: its shipments, oldest first, and per order line the latest expected delivery."""
    s, sl, p, pl, ol = t.shipments, t.shipment_lines, t.purchase_orders, t.po_lines, t.order_lines
    heads = conn.execute(select(s, p.c.partner_id, p.c.order_id.label("of_order"))
                         .join(p, p.c.id == s.c.purchase_order_id)
                         .where(p.c.order_id.in_(order_ids)).order_by(s.c.id)).mappings().all()
    if not heads:
        return {}
    items: dict[int, list] = {h["id"]: [] for h in heads}
    for r in conn.execute(select(sl.c.shipment_id, sl.c.quantity, ol.c.id, ol.c.line_id, ol.c.sku)
                          .join(pl, pl.c.id == sl.c.po_line_id).join(ol, ol.c.id == pl.c.order_line_id)
                          .where(sl.c.shipment_id.in_(list(items))).order_by(sl.c.id)):
        items[r[0]].append(r)
    found: dict[int, tuple[list[dict], dict]] = {}
    for h in heads:
        out, delivery = found.setdefault(h["of_order"], ([], {}))
        lines: dict[str, dict] = {}
        for _, qty, lid, line_id, sku in items[h["id"]]:
            entry = lines.setdefault(line_id, {"line_id": line_id, "sku": sku, "quantity": 0})
            entry["quantity"] += qty
            if h["expected_delivery"] and (delivery.get(lid) is None or h["expected_delivery"] > delivery[lid]):
                delivery[lid] = h["expected_delivery"]
        out.append({**public_shipment(dict(h), h["partner_id"]), "lines": list(lines.values())})
    return found


def channel_events(conn: Connection, channel: str, after: int = 0, limit: int = DEFAULT_PAGE) -> dict:
    """A channel's events after feed id ``after``, oldest first, at most ``limit`` (capped at
    MAX_PAGE), with the cursor to ask from next (docs/schemas/events.json)."""
    limit = max(1, min(limit, MAX_PAGE))
    e = t.order_events
    # Feed ids are 32-bit in the store (PostgreSQL refuses to compare them with more): a
    # cursor beyond the largest reads the same empty page as one just beyond the last event.
    rows = conn.execute(select(e.c.id, e.c.document).where(e.c.channel == channel,
                                                            e.c.id > min(after, LAST_FEED_ID))
                        .order_by(e.c.id).limit(limit + 1)).all()
    page = rows[:limit]
    return {"events": [json.loads(doc) for _, doc in page],
            "next_after": page[-1][0] if page else after,
            "has_more": len(rows) > limit}

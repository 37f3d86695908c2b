"""Tell the sales channel about a shipment: a signed webhook and/or a file, through the outbox.

One notification per recorded shipment, named ``shipment-<id>.json``: the name is the
delivery's idempotency key, the same on every retry. The payload is described in
docs/orders.md ("Shipment notifications").
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from hub.domain.model import PurchaseOrder
from hub.domain.states import InterchangeState
from hub.services.ports import HubContext, UnitOfWork

EVENT = "shipment.recorded"


def shipment_notifications(uow: UnitOfWork, hub: HubContext, recorded: list, now: datetime) -> list[dict]:
    """Outbox rows telling each order's channel about its new shipments.

    ``recorded``: (shipment id, shipment row, shipment lines, purchase order) per shipment.
    """
    if not recorded:
        return []
    orders = uow.repo.orders_by_id({po.order_id for *_, po in recorded})
    rows = []
    for sid, shipment, lines, po in recorded:
        order = orders[po.order_id]
        targets = hub.channel_targets.get(order.channel, ())
        if not targets:
            continue
        body = json.dumps(payload(sid, shipment, lines, po, order, now), ensure_ascii=False,
                          sort_keys=True).encode()
        for target in targets:
            rows.append({"direction": "out", "partner_id": None, "channel": order.channel,
                         "doc_type": target, "control_number": f"shipment-{sid}",
                         "purchase_order_id": po.id, "filename": f"shipment-{sid}.json",
                         "content_type": "application/json", "payload": body,
                         "sha256": hashlib.sha256(body).hexdigest(), "size": len(body),
                         "state": InterchangeState.QUEUED.value, "created_at": now,
                         "next_attempt_at": now})
    return rows


def payload(sid: int, shipment: dict, lines: list[dict], po: PurchaseOrder, order, now: datetime) -> dict:
    """The notification a channel receives (its public shape: docs/orders.md)."""
    by_po_line = {pl.id: pl for pl in po.lines}
    by_order_line = {ln.id: ln for ln in order.lines}
    items = []
    for ln in lines:
        pl = by_po_line[ln["po_line_id"]]
        source = by_order_line.get(pl.order_line_id)
        items.append({"line_id": source.line_id if source else "", "sku": pl.sku,
                      "quantity_shipped": ln["quantity"],
                      "quantity_ordered": source.quantity if source else pl.quantity})
    return {
        "event": EVENT,
        "delivery_id": f"shipment-{sid}",
        "channel": order.channel,
        "channel_order_id": order.channel_order_id,
        "order_state": order.state.value,
        "shipment": {
            "shipment_id": shipment["shipment_id"],
            "supplier": po.partner_id,
            "po_number": po.po_number,
            "carrier": shipment["carrier"],
            "service": shipment["service"],
            "tracking_numbers": [x for x in shipment["tracking_numbers"].split(",") if x],
            "shipped_at": _iso(shipment["shipped_at"]) or _iso(now),
            "expected_delivery": shipment["expected_delivery"].isoformat()
            if shipment["expected_delivery"] else None,
        },
        "lines": items,
        "sent_at": _iso(now),
    }


def _iso(value) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")

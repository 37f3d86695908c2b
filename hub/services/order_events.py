"""Events for sales channels, recorded in the unit of work of the change that causes them.

A use case that may change what a channel sees takes a :func:`snapshot` of the orders it
touches before it changes anything, and calls :func:`record` as its last write: the orders
are read again, compared (:func:`hub.domain.progress.changes`), and each event is numbered,
stored (the feed, ``GET /api/v1/events``) and queued as one notification per channel target
(:mod:`hub.services.notify`). Committed together with the change, or not at all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from hub.domain.model import PurchaseOrder
from hub.domain.progress import EventDraft, OrderProgress, changes, order_progress, public_shipment, shipped
from hub.services.notify import event_notifications
from hub.services.orders import Loaded, load_orders
from hub.services.ports import HubContext, UnitOfWork


@dataclass(frozen=True, slots=True)
class RecordedShipment:
    """A shipment stored in this unit of work: its row and (PO line id, units) it carries."""

    purchase_order: PurchaseOrder
    row: dict
    items: list[tuple[int, int]]


def snapshot(uow: UnitOfWork, order_ids: set[int], read: Loaded | None = None) -> dict[int, OrderProgress]:
    """How these orders look to their channels now, as stored. ``read``: orders already
    loaded and still as stored (:func:`hub.services.orders.load_orders`); the others are read here."""
    return {oid: order_progress(order, pos) for oid, (order, pos) in load_orders(uow, order_ids, read).items()}


def record(uow: UnitOfWork, hub: HubContext, before: dict[int, OrderProgress], now: datetime,
           reasons: dict[int, str] | None = None,
           shipments: list[RecordedShipment] = (),
           read: Loaded | None = None) -> list[dict]:
    """Store the events of the orders in ``before`` (compared with how they are now) and of
    ``shipments``, and queue their notifications; return the stored events. ``read`` as for
    :func:`snapshot`: only when nothing changed those orders since. Call it last: numbering
    locks the feed until commit."""
    after = snapshot(uow, set(before) | {s.purchase_order.order_id for s in shipments}, read)
    shipped_by_order: dict[int, list[RecordedShipment]] = {}
    for s in shipments:
        shipped_by_order.setdefault(s.purchase_order.order_id, []).append(s)
    drafts: list[EventDraft] = []
    for oid in sorted(after):
        if oid in before:
            drafts += changes(before[oid], after[oid], reasons)
        drafts += [_shipped(after[oid], s) for s in shipped_by_order.get(oid, ())]
    if not drafts:
        return []
    numbers = uow.order_events.number([d.order_id for d in drafts])
    events = []
    for draft, (feed_id, sequence) in zip(drafts, numbers, strict=True):
        progress = after[draft.order_id]
        doc = document(draft, progress, feed_id, sequence, now)
        events.append({"id": feed_id, "order_id": draft.order_id, "channel": progress.channel,
                       "sequence": sequence, "type": draft.type, "occurred_at": now,
                       "document": json.dumps(doc, ensure_ascii=False, sort_keys=True),
                       "purchase_order_id": draft.purchase_order_id})
    uow.order_events.append([{k: v for k, v in e.items() if k != "purchase_order_id"} for e in events])
    uow.repo.insert_interchanges(event_notifications(hub, events, now))
    return events


def document(draft: EventDraft, progress: OrderProgress, feed_id: int, sequence: int,
             now: datetime) -> dict:
    """The event as a channel receives it (docs/webhooks.md, docs/schemas/event.json)."""
    return {"id": feed_id, "type": draft.type, "sequence": sequence,
            "occurred_at": now.isoformat().replace("+00:00", "Z"),
            "channel": progress.channel, "channel_order_id": progress.channel_order_id,
            "order_state": draft.order_state, "reason": draft.reason, "lines": draft.lines,
            "shipment": draft.shipment}


def _shipped(after: OrderProgress, s: RecordedShipment) -> EventDraft:
    po = s.purchase_order
    order_line = {pl.id: pl.order_line_id for pl in po.lines}
    items: dict[int, int] = {}
    for po_line_id, qty in s.items:
        lid = order_line.get(po_line_id)
        if lid is not None:
            items[lid] = items.get(lid, 0) + qty
    return shipped(after, public_shipment(s.row, po.partner_id), list(items.items()), po.id)

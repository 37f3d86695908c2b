"""How far an order has come, as its sales channel sees it, and the events that tell it so.

Pure functions over an order and the purchase-order lines that carry it. A channel sees units
and dates, never the hub's documents: per line how many units were accepted, backordered,
rejected (no supplier left to fill them), cancelled and shipped, and one state word per line
and per order (docs/orders.md defines each). :func:`changes` compares two such pictures of
the same order, before and after one unit of work, and says what a customer should hear.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timezone

from hub.domain.model import Order, OrderLine, PoLine, PurchaseOrder
from hub.domain.states import LineState, OrderState, PoState

# Channel-facing line states, from done or stuck to just begun (see docs/orders.md).
CANCELLED, SHIPPED, REJECTED = "cancelled", "shipped", "rejected"
PARTIALLY_SHIPPED, BACKORDERED, ACCEPTED, OPEN = "partially_shipped", "backordered", "accepted", "open"
IN_REVIEW = "in_review"   # an order no supplier has yet: in review, on hold or being corrected

# The event types a channel hears of (docs/webhooks.md says when each fires).
ORDER_ACCEPTED = "order.accepted"
ORDER_BACKORDERED = "order.backordered"
ORDER_DELAYED = "order.delayed"
ORDER_REJECTED = "order.rejected"
ORDER_CANCELLED = "order.cancelled"
ORDER_SHIPPED = "order.shipped"
EVENT_TYPES = (ORDER_ACCEPTED, ORDER_BACKORDERED, ORDER_DELAYED, ORDER_REJECTED, ORDER_CANCELLED,
               ORDER_SHIPPED)

_GONE_LINES = (LineState.REROUTED, LineState.CANCELLED)
_DEAD_POS = (PoState.REJECTED, PoState.FAILED, PoState.CANCELLED)


@dataclass(frozen=True, slots=True)
class LineProgress:
    """One order line as its channel sees it."""

    id: int | None                # the order line's id in the store
    line_id: str
    sku: str
    description: str
    ordered: int
    accepted: int
    backordered: int
    rejected: int
    cancelled: int
    shipped: int
    state: str
    suppliers: tuple[str, ...]
    expected_ship_date: date | None


@dataclass(frozen=True, slots=True)
class OrderProgress:
    """An order as its channel sees it: a state and its lines."""

    order_id: int | None
    channel: str
    channel_order_id: str
    state: str
    lines: tuple[LineProgress, ...]


@dataclass(slots=True)
class EventDraft:
    """An event for a channel, before the store numbers it."""

    type: str
    order_id: int
    order_state: str
    lines: list[dict]
    reason: str | None = None
    shipment: dict | None = None
    purchase_order_id: int | None = None   # the PO it is about, when there is one


def order_progress(order: Order, pos: list[PurchaseOrder]) -> OrderProgress:
    """The channel's picture of ``order``, from every purchase order it has had."""
    carried: dict[int, list[tuple[PurchaseOrder, PoLine]]] = {}
    for po in pos:
        for pl in po.lines:
            carried.setdefault(pl.order_line_id, []).append((po, pl))
    lines = tuple(line_progress(ln, carried.get(ln.id, [])) for ln in order.lines)
    return OrderProgress(order.id, order.channel, order.channel_order_id,
                         _order_state(order, lines, bool(pos)), lines)


def line_progress(line: OrderLine, carried: list[tuple[PurchaseOrder, PoLine]]) -> LineProgress:
    """One line's quantities, suppliers, expected ship date and state, from the PO lines carrying it."""
    accepted = backordered = shipped = covered = failed = refused = 0
    suppliers: list[str] = []
    dates: list[date] = []
    for po, pl in carried:
        shipped += pl.qty_shipped
        if pl.state == LineState.REROUTED or (pl.state == LineState.REJECTED and po.state == PoState.CANCELLED):
            # Handed on, or refused on a purchase order cancelled since: the lines that took the
            # units on cover them; units nobody took on stay refused.
            refused += pl.qty_rejected
            continue
        if pl.state in _GONE_LINES or po.state == PoState.CANCELLED:
            continue   # units re-routed elsewhere, or cancelled (counted on the order line)
        # A supplier that ships units it never confirmed has accepted them all the same.
        accepted += max(pl.qty_accepted, pl.qty_shipped)
        backordered += max(0, pl.qty_backordered - max(0, pl.qty_shipped - pl.qty_accepted))
        refused += pl.qty_rejected
        if po.state == PoState.FAILED:
            failed += pl.quantity     # never reached the supplier: the hub's problem, not a refusal
        elif po.state not in _DEAD_POS:
            covered += pl.quantity - pl.qty_rejected
        if pl.state == LineState.REJECTED or po.state == PoState.REJECTED:
            continue
        if po.partner_id not in suppliers:
            suppliers.append(po.partner_id)
        if pl.promised_date is not None and pl.qty_shipped < _to_ship(pl):
            dates.append(pl.promised_date)
    wanted = line.quantity - line.cancelled
    rejected = min(max(0, wanted - covered - failed), refused)
    state = _line_state(wanted, accepted, backordered, rejected, shipped)
    return LineProgress(line.id, line.line_id, line.sku, line.description, line.quantity, accepted,
                        backordered, rejected, line.cancelled, shipped, state, tuple(suppliers),
                        max(dates) if dates else None)


def _to_ship(pl: PoLine) -> int:
    """Units the supplier is to ship on a line: what it took, or without an answer what we sent."""
    taken = pl.qty_accepted + pl.qty_backordered
    return taken if taken else pl.quantity - pl.qty_rejected


def _line_state(wanted: int, accepted: int, backordered: int, rejected: int, shipped: int) -> str:
    if wanted <= 0:
        return CANCELLED
    if shipped >= wanted:
        return SHIPPED
    if rejected:
        return REJECTED          # the seller must act before anything else moves
    if shipped:
        return PARTIALLY_SHIPPED
    if backordered:
        return BACKORDERED
    return ACCEPTED if accepted >= wanted else OPEN


def _order_state(order: Order, lines: tuple[LineProgress, ...], routed: bool) -> str:
    live = [ln for ln in lines if ln.state != CANCELLED]
    if order.state == OrderState.CANCELLED or not live:
        return CANCELLED
    if not routed:
        return IN_REVIEW
    states = {ln.state for ln in live}
    if states == {SHIPPED}:
        return SHIPPED
    for state in (REJECTED, PARTIALLY_SHIPPED):
        if state in states:
            return state
    if SHIPPED in states:
        return PARTIALLY_SHIPPED
    if BACKORDERED in states:
        return BACKORDERED
    return ACCEPTED if states == {ACCEPTED} else OPEN


def changes(before: OrderProgress, after: OrderProgress,
            reasons: dict[int, str] | None = None) -> list[EventDraft]:
    """What a customer should hear about an order that went from ``before`` to ``after``.

    ``reasons``: per order line id, why its dates moved (from the supplier's answer).
    Lines are matched by id; shipments are told apart (:func:`shipped`), not found here.
    """
    was = {ln.id: ln for ln in before.lines}
    drafts: list[EventDraft] = []
    late, back, refused, cancelled = [], [], [], []
    for ln in after.lines:
        old = was.get(ln.id)
        if old is None:
            continue
        if ln.backordered > old.backordered:
            back.append(_item(ln, ln.backordered, old))
        elif _later(old.expected_ship_date, ln.expected_ship_date) and ln.ordered - ln.cancelled > ln.shipped:
            late.append((_item(ln, ln.ordered - ln.cancelled - ln.shipped, old), ln.id))
        if ln.rejected > old.rejected:
            refused.append(_item(ln, ln.rejected - old.rejected, old))
        if ln.cancelled > old.cancelled:
            cancelled.append(_item(ln, ln.cancelled - old.cancelled, old))
    oid, state = after.order_id, after.state
    if cancelled:
        drafts.append(EventDraft(ORDER_CANCELLED, oid, state, cancelled, "cancelled by the seller"))
    if refused:
        drafts.append(EventDraft(ORDER_REJECTED, oid, state, refused,
                                 "refused by every supplier able to fill it: the seller finds "
                                 "another source or cancels it"))
    if back:
        drafts.append(EventDraft(ORDER_BACKORDERED, oid, state, back, "backordered by the supplier"))
    for item, line_id in late:
        drafts.append(EventDraft(ORDER_DELAYED, oid, state, [item],
                                 (reasons or {}).get(line_id) or "the supplier moved its ship date later"))
    if state == ACCEPTED and before.state != ACCEPTED:
        drafts.append(EventDraft(ORDER_ACCEPTED, oid, state,
                                 [_item(ln, ln.accepted) for ln in after.lines if ln.state != CANCELLED]))
    return drafts


def shipped(after: OrderProgress, shipment: dict, items: list[tuple[int, int]],
            purchase_order_id: int | None = None) -> EventDraft:
    """The event for one recorded shipment: ``items`` are (order line id, units shipped)."""
    by_id = {ln.id: ln for ln in after.lines}
    lines = [_item(by_id[lid], qty) for lid, qty in items if lid in by_id]
    return EventDraft(ORDER_SHIPPED, after.order_id, after.state, lines, None, shipment, purchase_order_id)


def public_shipment(row: dict, supplier: str) -> dict:
    """A stored shipment as a channel sees it (no document or control numbers)."""
    return {"shipment_id": row["shipment_id"], "supplier": supplier,
            "carrier": row["carrier"] or None, "service": row["service"] or None,
            "tracking_numbers": [x for x in (row["tracking_numbers"] or "").split(",") if x],
            "bill_of_lading": row["bill_of_lading"] or None, "pro_number": row["pro_number"] or None,
            "shipped_at": _moment(row["shipped_at"]),
            "expected_delivery": _day(row["expected_delivery"])}


def _moment(value) -> str | None:
    return None if value is None else value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _later(old: date | None, new: date | None) -> bool:
    return old is not None and new is not None and new > old


def _item(ln: LineProgress, quantity: int, old: LineProgress | None = None) -> dict:
    """One line of an event: the units it is about, and the line as it stands now."""
    return {"line_id": ln.line_id, "sku": ln.sku, "quantity": quantity, "state": ln.state,
            "suppliers": list(ln.suppliers),
            "expected_ship_date": _day(ln.expected_ship_date),
            "previous_expected_ship_date": _day(old.expected_ship_date) if old else None}


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()

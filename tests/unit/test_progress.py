"""What a channel sees of an order, and the events it hears, from purchase-order lines (no store)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from hub.domain.model import Address, Customer, Order, OrderLine, PoLine, PurchaseOrder
from hub.domain.progress import EVENT_TYPES, changes, order_progress
from hub.domain.states import LineState, OrderState, PoState
from transports.webhook import EVENTS

NOW = datetime(2026, 11, 25, tzinfo=timezone.utc)


def the_order(*quantities: int, state: OrderState = OrderState.PROCESSING, cancelled=()) -> Order:
    lines = [OrderLine(str(k + 1), f"SKU-{k + 1}", q, Decimal("1"), id=100 + k,
                       cancelled=cancelled[k] if k < len(cancelled) else 0)
             for k, q in enumerate(quantities)]
    return Order("webshop", "WS-1", NOW, "USD", Customer("C1", "A", "a@example.com", "", True),
                 Address("A", "1 Main St", "", "Austin", "TX", "78701", "US"), lines, id=1, state=state)


def po(partner: str, *lines: PoLine, state: PoState = PoState.SENT, pid: int = 1) -> PurchaseOrder:
    return PurchaseOrder(f"PO{pid}", partner, 1, list(lines), NOW, id=pid, state=state)


def pl(order_line: int, quantity: int, state=LineState.OPEN, **qty) -> PoLine:
    return PoLine(1, 100 + order_line, f"SKU-{order_line + 1}", "", "", quantity, Decimal("1"),
                  id=1000 + order_line, state=state, **qty)


def quantities(progress, k=0) -> tuple:
    ln = progress.lines[k]
    return (ln.state, ln.accepted, ln.backordered, ln.rejected, ln.cancelled, ln.shipped)


@pytest.mark.parametrize("line, po_state, expected", [
    (pl(0, 4), PoState.SENT, ("open", 0, 0, 0, 0, 0)),
    (pl(0, 4, LineState.ACCEPTED, qty_accepted=4), PoState.ACCEPTED, ("accepted", 4, 0, 0, 0, 0)),
    (pl(0, 4, LineState.ACCEPTED, qty_accepted=3, qty_backordered=1), PoState.ACCEPTED,
     ("backordered", 3, 1, 0, 0, 0)),
    (pl(0, 4, LineState.PARTIALLY_SHIPPED, qty_accepted=3, qty_backordered=1, qty_shipped=3),
     PoState.PARTIALLY_SHIPPED, ("partially_shipped", 3, 1, 0, 0, 3)),
    # The backordered unit arrives: it is accepted and no longer backordered.
    (pl(0, 4, LineState.SHIPPED, qty_accepted=3, qty_backordered=1, qty_shipped=4), PoState.SHIPPED,
     ("shipped", 4, 0, 0, 0, 4)),
    # Shipped without an 855: what shipped counts as accepted.
    (pl(0, 4, LineState.PARTIALLY_SHIPPED, qty_shipped=1), PoState.PARTIALLY_SHIPPED,
     ("partially_shipped", 1, 0, 0, 0, 1)),
    # Rejected, and no other supplier carries the units: the seller must act.
    (pl(0, 4, LineState.REJECTED, qty_rejected=4), PoState.REJECTED, ("rejected", 0, 0, 4, 0, 0)),
    (pl(0, 4, LineState.CHANGED, qty_accepted=3, qty_rejected=1), PoState.ACCEPTED,
     ("rejected", 3, 0, 1, 0, 0)),
    # A delivery that failed is the hub's problem, not a refusal: still open.
    (pl(0, 4), PoState.FAILED, ("open", 0, 0, 0, 0, 0)),
])
def test_line_states_and_quantities(line, po_state, expected):
    assert quantities(order_progress(the_order(4), [po("acme", line, state=po_state)])) == expected


def test_units_rejected_and_taken_on_by_another_supplier_are_not_rejected():
    first = pl(0, 4, LineState.CHANGED, qty_accepted=3, qty_rejected=1)
    second = replace(pl(0, 1, LineState.ACCEPTED, qty_accepted=1), id=2000)
    p = order_progress(the_order(4), [po("acme", first, state=PoState.ACCEPTED),
                                      po("initech", second, state=PoState.ACCEPTED, pid=2)])
    assert quantities(p) == ("accepted", 4, 0, 0, 0, 0)
    assert p.lines[0].suppliers == ("acme", "initech") and p.state == "accepted"


def test_units_no_supplier_took_on_stay_rejected_when_the_rest_of_the_line_is_rerouted():
    # acme declined 7 of 10 and no supplier took that many; a second 855 declined the other
    # 3, which initech took on: the line is handed on, the 7 are still nobody's.
    first = pl(0, 10, LineState.REROUTED, qty_rejected=10)
    second = replace(pl(0, 3, LineState.ACCEPTED, qty_accepted=3), id=2000)
    p = order_progress(the_order(10), [po("acme", first, state=PoState.REJECTED),
                                       po("initech", second, state=PoState.ACCEPTED, pid=2)])
    assert quantities(p) == ("rejected", 3, 0, 7, 0, 0) and p.state == "rejected"


def test_a_rejected_line_stays_rejected_when_a_change_cancels_the_rest_of_its_purchase_order():
    # Line 1 was refused with no supplier left; the channel then cancelled line 2, the last
    # live line of the purchase order, which cancelled it.
    refused = pl(0, 4, LineState.REJECTED, qty_rejected=4)
    gone = replace(pl(1, 1, LineState.CANCELLED), line_number=2)
    p = order_progress(the_order(4, 1, cancelled=(0, 1)), [po("acme", refused, gone, state=PoState.CANCELLED)])
    assert quantities(p) == ("rejected", 0, 0, 4, 0, 0)
    assert quantities(p, 1) == ("cancelled", 0, 0, 0, 1, 0)


def test_cancelled_units_and_the_orders_state():
    p = order_progress(the_order(2, 1, cancelled=(0, 1)),
                       [po("acme", pl(0, 2, LineState.ACCEPTED, qty_accepted=2), state=PoState.ACCEPTED)])
    assert [ln.state for ln in p.lines] == ["accepted", "cancelled"] and p.state == "accepted"
    assert order_progress(the_order(2, state=OrderState.CANCELLED, cancelled=(2,)), []).state == "cancelled"
    assert order_progress(the_order(2, state=OrderState.ON_HOLD), []).state == "in_review"


def test_expected_ship_date_is_the_latest_promise_of_units_still_to_ship():
    a = pl(0, 4, LineState.ACCEPTED, qty_accepted=2, qty_backordered=2, promised_date=date(2026, 12, 10))
    p = order_progress(the_order(4), [po("acme", a, state=PoState.ACCEPTED)])
    assert p.lines[0].expected_ship_date == date(2026, 12, 10)
    done = replace(a, state=LineState.SHIPPED, qty_shipped=4)
    assert order_progress(the_order(4), [po("acme", done, state=PoState.SHIPPED)]).lines[0].expected_ship_date is None


def progress_of(line: PoLine, po_state=PoState.ACCEPTED, cancelled=0):
    return order_progress(the_order(4, cancelled=(cancelled,)), [po("acme", line, state=po_state)])


def test_events_from_before_and_after():
    sent = progress_of(pl(0, 4), PoState.SENT)
    back = progress_of(pl(0, 4, LineState.ACCEPTED, qty_accepted=3, qty_backordered=1,
                          promised_date=date(2026, 12, 10)))
    [event] = changes(sent, back)
    assert (event.type, event.order_state) == ("order.backordered", "backordered")
    assert event.lines == [{"line_id": "1", "sku": "SKU-1", "quantity": 1, "state": "backordered",
                            "suppliers": ["acme"], "expected_ship_date": "2026-12-10",
                            "previous_expected_ship_date": None}]
    later = progress_of(pl(0, 4, LineState.ACCEPTED, qty_accepted=3, qty_backordered=1,
                           promised_date=date(2026, 12, 20)))
    [event] = changes(back, later, {100: "Item Backordered (IB)"})
    assert (event.type, event.reason, event.lines[0]["quantity"]) == ("order.delayed", "Item Backordered (IB)", 4)
    assert (event.lines[0]["previous_expected_ship_date"], event.lines[0]["expected_ship_date"]) == (
        "2026-12-10", "2026-12-20")
    assert changes(later, back) == []          # an earlier date is good news, not an event
    accepted = progress_of(pl(0, 4, LineState.ACCEPTED, qty_accepted=4))
    assert [(e.type, e.lines[0]["quantity"]) for e in changes(later, accepted)] == [("order.accepted", 4)]
    assert changes(accepted, accepted) == []   # nothing changed, nothing said


def test_rejection_and_cancellation_events_count_the_units_of_this_change():
    sent = progress_of(pl(0, 4), PoState.SENT)
    refused = progress_of(pl(0, 4, LineState.REJECTED, qty_rejected=4), PoState.REJECTED)
    [event] = changes(sent, refused)
    assert (event.type, event.order_state, event.lines[0]["quantity"]) == ("order.rejected", "rejected", 4)
    gone = progress_of(pl(0, 4, LineState.REJECTED, qty_rejected=4), PoState.REJECTED, cancelled=4)
    [event] = changes(refused, gone)
    assert (event.type, event.order_state, event.lines[0]["quantity"]) == ("order.cancelled", "cancelled", 4)


def test_every_event_type_has_a_webhook_event_and_a_schema_entry():
    assert {t: EVENTS[t] for t in EVENT_TYPES} == {t: t for t in EVENT_TYPES}
    schema = json.loads((Path(__file__).parents[2] / "docs/schemas/event.json").read_text())
    assert schema["properties"]["type"]["enum"] == list(EVENT_TYPES)

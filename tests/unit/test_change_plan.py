"""Working out a change on an order's purchase orders (pure domain): which units go, which
supplier is told what, what is refused because it shipped, and how the supplier's answer
reconciles the quantities."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from hub.domain.changes import (CANCELLATION, CHANGE, ChangeRequest, LineRequest, PoLineChange, accept_line,
                                apply_plan, overall_state, plan_change, refuse_line)
from hub.domain.model import Address, Customer, Order, OrderLine, PoLine, PurchaseOrder
from hub.domain.states import ChangeState, LineState, PoState

NEW_ADDRESS = Address("Bo Lee", "2 Side St", "", "Dallas", "TX", "75201", "US")


def order(*quantities: int) -> Order:
    lines = [OrderLine(str(n), f"SKU-{n}", q, Decimal("10"), id=100 + n) for n, q in enumerate(quantities, 1)]
    return Order("webshop", "WS-1", datetime(2026, 11, 25), "USD", Customer("C", "Ann", "", "", True),
                 Address("Ann", "1 Main", "", "Austin", "TX", "78701", "US"), lines, id=1)


def po(pid: int, state: PoState, *lines: tuple, partner: str = "acme") -> PurchaseOrder:
    """lines: (line number, order line id, quantity[, line state, shipped, accepted, rejected])."""
    out = []
    for n, oid, qty, *rest in lines:
        state_, shipped, accepted, rejected = (list(rest) + [LineState.OPEN, 0, 0, 0][len(rest):])[:4]
        out.append(PoLine(n, oid, f"SKU-{oid - 100}", "X", "", qty, Decimal("5"), state=state_,
                          qty_shipped=shipped, qty_accepted=accepted, qty_rejected=rejected))
    return PurchaseOrder(f"PO{pid}", partner, 1, out, datetime(2026, 11, 25), id=pid, state=state)


def fits(max_units: int = 100):
    return lambda supplier, sku, units: units <= max_units


def lines(*pairs) -> ChangeRequest:
    return ChangeRequest("CH", lines=tuple(LineRequest(lid, q) for lid, q in pairs))


def test_a_decrease_on_a_sent_po_is_a_quantity_decrease_there():
    o, p = order(5), po(1, PoState.ACCEPTED, (1, 101, 5, LineState.ACCEPTED, 0, 5))
    plan = plan_change(o, [p], lines(("1", 3)), fits())
    assert [(x.before, x.after, x.refused) for x in plan.lines] == [(5, 3, 0)]
    assert plan.pos[1].lines[1] == PoLineChange(1, "QD", 5, 3, 0)
    apply_plan(o, plan, lines(("1", 3)))
    assert (o.lines[0].quantity, o.lines[0].cancelled, o.lines[0].wanted) == (5, 2, 3)
    assert (p.lines[0].quantity, p.lines[0].qty_accepted, p.lines[0].state) == (3, 3, LineState.ACCEPTED)
    assert plan.pos[1].purpose() == CHANGE


def test_cancelling_every_line_of_a_po_is_a_cancellation_and_cancels_it():
    o, p = order(2, 1), po(1, PoState.SENT, (1, 101, 2), (2, 102, 1))
    request = ChangeRequest("CH", cancel=True)
    plan = plan_change(o, [p], request, fits())
    assert {n: c.code for n, c in plan.pos[1].lines.items()} == {1: "DI", 2: "DI"}
    assert plan.pos[1].purpose() == CANCELLATION
    apply_plan(o, plan, request)
    assert p.state == PoState.CANCELLED
    assert [(pl.state, pl.quantity) for pl in p.lines] == [(LineState.CANCELLED, 2), (LineState.CANCELLED, 1)]
    assert [ln.wanted for ln in o.lines] == [0, 0]


def test_shipped_units_are_refused_and_the_rest_goes():
    o = order(5)
    p = po(1, PoState.PARTIALLY_SHIPPED, (1, 101, 5, LineState.PARTIALLY_SHIPPED, 2, 5))
    request = ChangeRequest("CH", cancel=True)
    plan = plan_change(o, [p], request, fits())
    [outcome] = plan.lines
    assert (outcome.after, outcome.refused) == (2, 2)
    assert "2 unit(s) already shipped" in outcome.note and "a return is not a change" in outcome.note
    assert plan.pos[1].lines[1] == PoLineChange(1, "QD", 5, 2, 2)
    assert plan.pos[1].purpose() == CHANGE            # something shipped: not a cancellation
    apply_plan(o, plan, request)
    assert (p.lines[0].quantity, p.lines[0].state, p.state) == (2, LineState.SHIPPED, PoState.SHIPPED)
    assert o.lines[0].wanted == 2


def test_units_no_supplier_works_on_go_first_then_unsent_then_sent():
    o = order(6)
    sent = po(1, PoState.ACCEPTED, (1, 101, 2, LineState.ACCEPTED, 0, 2))
    unsent = po(2, PoState.QUEUED, (1, 101, 2))
    # 6 wanted, 4 on purchase orders: 2 units are stranded (rejected, not taken on elsewhere)
    plan = plan_change(o, [sent, unsent], lines(("1", 1)), fits())
    assert set(plan.pos) == {1, 2}
    assert plan.pos[2].lines[1] == PoLineChange(1, "DI", 2, 0, 0)    # the unsent PO first
    assert plan.pos[1].lines[1] == PoLineChange(1, "QD", 2, 1, 0)    # then the sent one


def test_an_increase_goes_on_the_open_line_when_the_supplier_takes_that_many():
    o, p = order(2), po(1, PoState.ACCEPTED, (1, 101, 2, LineState.ACCEPTED, 0, 2))
    plan = plan_change(o, [p], lines(("1", 5)), fits())
    assert plan.pos[1].lines[1] == PoLineChange(1, "QI", 2, 5, 0) and plan.lines[0].to_route == 0
    apply_plan(o, plan, lines(("1", 5)))
    assert (o.lines[0].quantity, p.lines[0].quantity, p.lines[0].qty_accepted) == (5, 5, 2)
    accept_line(p, p.lines[0], plan.pos[1].lines[1])      # the supplier takes the 3 more
    assert p.lines[0].qty_accepted == 5


def test_an_increase_the_line_cannot_take_is_routed_anew():
    o, p = order(2), po(1, PoState.ACCEPTED, (1, 101, 2, LineState.ACCEPTED, 0, 2))
    plan = plan_change(o, [p], lines(("1", 5)), fits(max_units=4))
    assert plan.pos == {} and plan.lines[0].to_route == 3


def test_a_refused_increase_becomes_rejected_units_to_route_elsewhere():
    p = po(1, PoState.ACCEPTED, (1, 101, 5, LineState.ACCEPTED, 0, 2))
    change = PoLineChange(1, "QI", 2, 5, 0)
    assert refuse_line(p, p.lines[0], change) == 3
    assert (p.lines[0].qty_rejected, p.lines[0].state) == (3, LineState.ACCEPTED)
    assert refuse_line(p, p.lines[0], PoLineChange(1, "QD", 5, 3, 0)) == 0   # may still ship


def test_accepting_an_increase_an_855_has_answered_already_counts_no_unit_twice():
    # 2 -> 5 on an accepted line; the supplier's 855 to the new quantity accepts all 5 before
    # the change itself is settled (its 865, or its 997 for a partner without 865s).
    p = po(1, PoState.ACCEPTED, (1, 101, 5, LineState.ACCEPTED, 0, 5))
    accept_line(p, p.lines[0], PoLineChange(1, "QI", 2, 5, 0))
    assert p.lines[0].qty_accepted == 5
    # An 855 that backordered 2 of the 5: only the unit nobody answered for is added.
    p = po(1, PoState.ACCEPTED, (1, 101, 5, LineState.ACCEPTED, 0, 2))
    p.lines[0].qty_backordered = 2
    accept_line(p, p.lines[0], PoLineChange(1, "QI", 2, 5, 0))
    assert (p.lines[0].qty_accepted, p.lines[0].qty_backordered) == (3, 2)


def test_refusing_an_increase_declines_only_the_units_not_declined_already():
    # 2 -> 5; the supplier's 855 to the new quantity declined 3 (routed elsewhere already),
    # then it refuses the change: nothing more is declined, nothing is routed twice.
    p = po(1, PoState.ACCEPTED, (1, 101, 5, LineState.CHANGED, 0, 2, 3))
    change = PoLineChange(1, "QI", 2, 5, 0)
    assert refuse_line(p, p.lines[0], change) == 0
    assert (p.lines[0].qty_accepted, p.lines[0].qty_rejected, p.lines[0].state) == (2, 3, LineState.CHANGED)
    # The 855 accepted all 5 and the supplier then refuses the change: it keeps the 2 it had.
    p = po(1, PoState.ACCEPTED, (1, 101, 5, LineState.ACCEPTED, 0, 5))
    assert refuse_line(p, p.lines[0], change) == 3
    assert (p.lines[0].qty_accepted, p.lines[0].qty_rejected) == (2, 3)
    # A later change took the line back to 2 before the answer: nothing is left to decline.
    p = po(1, PoState.ACCEPTED, (1, 101, 2, LineState.ACCEPTED, 0, 2))
    assert refuse_line(p, p.lines[0], change) == 0 and p.lines[0].qty_rejected == 0


def test_a_new_ship_to_reaches_open_pos_and_is_refused_for_shipped_ones():
    o = order(1, 1)
    open_po = po(1, PoState.ACCEPTED, (1, 101, 1, LineState.ACCEPTED, 0, 1))
    shipped = po(2, PoState.SHIPPED, (1, 102, 1, LineState.SHIPPED, 1, 1), partner="initech")
    request = ChangeRequest("CH", ship_to=NEW_ADDRESS, delivery_date=date(2026, 12, 10))
    plan = plan_change(o, [open_po, shipped], request, fits())
    assert plan.pos[1].header and plan.pos[1].lines[1].code == "CA"
    assert plan.shipped == [shipped]
    apply_plan(o, plan, request)
    assert o.ship_to == NEW_ADDRESS and o.requested_delivery == date(2026, 12, 10)
    date_only = plan_change(o, [open_po], ChangeRequest("CH2", delivery_date=date(2026, 12, 11)), fits())
    assert date_only.pos[1].lines[1].code == "CT"


@pytest.mark.parametrize("states, refused, expected", [
    ([ChangeState.QUEUED, ChangeState.ACCEPTED], False, ChangeState.REQUESTED),
    ([ChangeState.MANUAL], False, ChangeState.REQUESTED),
    ([ChangeState.SENT, ChangeState.APPLIED], False, ChangeState.SENT),
    ([ChangeState.APPLIED, ChangeState.ACCEPTED], False, ChangeState.ACCEPTED),
    ([ChangeState.ACCEPTED], True, ChangeState.PARTLY_ACCEPTED),
    ([ChangeState.REFUSED], False, ChangeState.REFUSED),
    ([], True, ChangeState.REFUSED),
    ([], False, ChangeState.ACCEPTED),
    ([ChangeState.REJECTED, ChangeState.ACCEPTED], False, ChangeState.PARTLY_ACCEPTED),
])
def test_a_changes_state_from_its_purchase_orders(states, refused, expected):
    assert overall_state(states, refused) == expected

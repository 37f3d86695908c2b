"""State machines: the transition tables are complete, terminal states stay put, moves are checked.

The expected legal and illegal moves come from what the documents mean: an 856 may overtake
the 855 and the 997, nothing leaves a shipped or cancelled purchase order, a rejected line
may be re-routed.
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest

from hub.domain.model import Address, Customer, Order, OrderLine, PoLine, PurchaseOrder
from hub.domain.states import (INTERCHANGE_TRANSITIONS, LINE_TRANSITIONS, ORDER_TRANSITIONS,
                               PO_TRANSITIONS, InterchangeState, LineState, OrderState, PoState,
                               check)
from hub.errors import HubError, IllegalTransitionError

O, P, L, I = OrderState, PoState, LineState, InterchangeState

MACHINES = [
    pytest.param(OrderState, ORDER_TRANSITIONS, id="order"),
    pytest.param(PoState, PO_TRANSITIONS, id="purchase-order"),
    pytest.param(LineState, LINE_TRANSITIONS, id="line"),
    pytest.param(InterchangeState, INTERCHANGE_TRANSITIONS, id="interchange"),
]

TERMINAL = [
    pytest.param(ORDER_TRANSITIONS, {O.SHIPPED, O.CANCELLED}, id="order"),
    pytest.param(PO_TRANSITIONS, {P.SHIPPED, P.CANCELLED}, id="purchase-order"),
    pytest.param(LINE_TRANSITIONS, {L.SHIPPED, L.REROUTED, L.CANCELLED}, id="line"),
    pytest.param(INTERCHANGE_TRANSITIONS, {I.SENT, I.PROCESSED, I.DUPLICATE, I.CANCELLED}, id="interchange"),
]

# Where each machine starts: a new order, a PO committed to the outbox (or one whose document
# could not be built), a new line, an interchange queued out or received in.
STARTS = [
    pytest.param(ORDER_TRANSITIONS, {O.RECEIVED}, id="order"),
    pytest.param(PO_TRANSITIONS, {P.QUEUED, P.NEEDS_ATTENTION}, id="purchase-order"),
    pytest.param(LINE_TRANSITIONS, {L.OPEN}, id="line"),
    pytest.param(INTERCHANGE_TRANSITIONS, {I.QUEUED, I.RECEIVED}, id="interchange"),
]


@pytest.mark.parametrize(("states", "table"), MACHINES)
def test_every_state_has_an_entry(states, table):
    assert set(table) == set(states)


@pytest.mark.parametrize(("states", "table"), MACHINES)
def test_every_target_is_a_state_of_the_same_machine(states, table):
    for current, targets in table.items():
        for wanted in targets:
            assert type(wanted) is states, (current, wanted)
        assert current not in targets, f"{current} lists itself"


@pytest.mark.parametrize(("table", "terminal"), TERMINAL)
def test_terminal_states_have_no_way_out_and_the_others_do(table, terminal):
    assert {s for s, targets in table.items() if not targets} == terminal


@pytest.mark.parametrize(("table", "starts"), STARTS)
def test_every_state_is_reachable_from_a_start(table, starts):
    seen, todo = set(starts), list(starts)
    while todo:
        for nxt in table[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    assert seen == set(table)


@pytest.mark.parametrize(("table", "terminal"), TERMINAL)
def test_every_state_can_still_end(table, terminal):
    """No state is a trap that can never reach a terminal state."""
    for state in table:
        seen, todo = {state}, [state]
        while todo:
            for nxt in table[todo.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        assert seen & terminal, f"{state} never reaches an end"


LEGAL = [
    (PO_TRANSITIONS, P.QUEUED, P.SENT),
    (PO_TRANSITIONS, P.QUEUED, P.ACCEPTED),           # answered before its send was recorded
    (PO_TRANSITIONS, P.SENT, P.ACKNOWLEDGED),
    (PO_TRANSITIONS, P.SENT, P.ACCEPTED),             # the 855 overtook the 997
    (PO_TRANSITIONS, P.SENT, P.SHIPPED),              # the 856 came before any 855
    (PO_TRANSITIONS, P.SENT, P.PARTIALLY_SHIPPED),
    (PO_TRANSITIONS, P.SENT, P.QUEUED),               # resend
    (PO_TRANSITIONS, P.ACKNOWLEDGED, P.REJECTED),
    (PO_TRANSITIONS, P.REJECTED, P.ACCEPTED),         # a corrected 855
    (PO_TRANSITIONS, P.FAILED, P.QUEUED),             # an operator retries
    (PO_TRANSITIONS, P.PARTIALLY_SHIPPED, P.SHIPPED),
    (ORDER_TRANSITIONS, O.RECEIVED, O.ON_HOLD),
    (ORDER_TRANSITIONS, O.ON_HOLD, O.PROCESSING),
    (ORDER_TRANSITIONS, O.PROCESSING, O.PARTIALLY_SHIPPED),
    (ORDER_TRANSITIONS, O.PARTIALLY_SHIPPED, O.SHIPPED),
    (LINE_TRANSITIONS, L.OPEN, L.SHIPPED),
    (LINE_TRANSITIONS, L.REJECTED, L.REROUTED),
    (LINE_TRANSITIONS, L.BACKORDERED, L.ACCEPTED),
    (INTERCHANGE_TRANSITIONS, I.RECEIVED, I.DUPLICATE),
    (INTERCHANGE_TRANSITIONS, I.REJECTED, I.RECEIVED),  # reprocessed after a fix
    (INTERCHANGE_TRANSITIONS, I.FAILED, I.QUEUED),
]

ILLEGAL = [
    (PO_TRANSITIONS, P.SHIPPED, P.SENT),
    (PO_TRANSITIONS, P.QUEUED, P.NEEDS_ATTENTION),    # a queued document was built already
    (PO_TRANSITIONS, P.SHIPPED, P.ACCEPTED),          # a late 855 does not undo a shipment
    (PO_TRANSITIONS, P.CANCELLED, P.QUEUED),
    (PO_TRANSITIONS, P.PARTIALLY_SHIPPED, P.ACCEPTED),
    (PO_TRANSITIONS, P.PARTIALLY_SHIPPED, P.CANCELLED),
    (PO_TRANSITIONS, P.NEEDS_ATTENTION, P.SENT),
    (ORDER_TRANSITIONS, O.SHIPPED, O.CANCELLED),
    (ORDER_TRANSITIONS, O.CANCELLED, O.PROCESSING),
    (ORDER_TRANSITIONS, O.RECEIVED, O.SHIPPED),
    (ORDER_TRANSITIONS, O.PARTIALLY_SHIPPED, O.CANCELLED),
    (LINE_TRANSITIONS, L.REROUTED, L.ACCEPTED),
    (LINE_TRANSITIONS, L.SHIPPED, L.OPEN),
    (LINE_TRANSITIONS, L.PARTIALLY_SHIPPED, L.REJECTED),
    (INTERCHANGE_TRANSITIONS, I.PROCESSED, I.RECEIVED),
    (INTERCHANGE_TRANSITIONS, I.SENT, I.QUEUED),
    (INTERCHANGE_TRANSITIONS, I.QUEUED, I.PROCESSED),
]


@pytest.mark.parametrize(("table", "current", "wanted"), LEGAL,
                         ids=[f"{c}->{w}" for _, c, w in LEGAL])
def test_legal_moves_return_the_new_state(table, current, wanted):
    assert check(table, "thing", "X-1", current, wanted) is wanted


@pytest.mark.parametrize(("table", "current", "wanted"), ILLEGAL,
                         ids=[f"{c}->{w}" for _, c, w in ILLEGAL])
def test_illegal_moves_raise(table, current, wanted):
    with pytest.raises(IllegalTransitionError):
        check(table, "thing", "X-1", current, wanted)


def test_illegal_move_error_names_kind_ref_and_both_states():
    with pytest.raises(IllegalTransitionError) as info:
        check(PO_TRANSITIONS, "purchase order", "DR-000042", P.SHIPPED, P.SENT)
    err = info.value
    assert (err.kind, err.ref, err.current, err.wanted) == ("purchase order", "DR-000042",
                                                            "shipped", "sent")
    assert str(err) == "purchase order DR-000042 cannot go from 'shipped' to 'sent'"
    assert isinstance(err, HubError)
    assert err.incident_code == "state.illegal_transition"


def test_ref_is_turned_into_text():
    with pytest.raises(IllegalTransitionError) as info:
        check(INTERCHANGE_TRANSITIONS, "interchange", 17, I.PROCESSED, I.QUEUED)
    assert info.value.ref == "17"


@pytest.mark.parametrize(("states", "table"), MACHINES)
def test_staying_in_the_same_state_is_always_allowed(states, table):
    for state in states:
        assert check(table, "thing", "X-1", state, state) is state


def _order() -> Order:
    return Order("webshop", "WS-1", datetime(2026, 11, 25, 10, tzinfo=timezone.utc), "USD",
                 Customer("C-1", "Ada", "ada@example.com", "", True),
                 Address("Ada", "1 Main St", "", "Springfield", "IL", "62701", "US"),
                 [OrderLine("1", "DESK", 1, Decimal("10"))])


def test_order_move_to_checks_the_table_and_keeps_state_on_refusal():
    order = _order()
    order.move_to(O.PROCESSING)
    assert order.state is O.PROCESSING
    order.move_to(O.SHIPPED)
    with pytest.raises(IllegalTransitionError) as info:
        order.move_to(O.CANCELLED)
    assert order.state is O.SHIPPED
    assert str(info.value) == "order webshop/WS-1 cannot go from 'shipped' to 'cancelled'"


def test_purchase_order_and_line_move_to_check_their_tables():
    line = PoLine(1, None, "DESK", "AC-1", "Desk", 2, Decimal("10"))
    po = PurchaseOrder("DR-7", "acme", None, [line], datetime(2026, 11, 25, tzinfo=timezone.utc))
    po.move_to(P.SENT)
    po.move_to(P.SHIPPED)      # 856 before 855: legal
    with pytest.raises(IllegalTransitionError):
        po.move_to(P.SENT)
    assert po.state is P.SHIPPED
    line.move_to(L.REJECTED, "DR-7")
    line.move_to(L.REROUTED, "DR-7")
    with pytest.raises(IllegalTransitionError) as info:
        line.move_to(L.ACCEPTED, "DR-7")
    assert info.value.ref == "DR-7#1"
    assert line.state is L.REROUTED

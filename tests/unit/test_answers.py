"""Applying suppliers' answers to purchase orders: 997 verdicts, 855 line acks, 856 shipments."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from hub.domain.answers import (apply_functional_ack, apply_po_ack, apply_shipment, match_line,
                                order_state, shown, strangers_message, tally_strangers)
from hub.domain.documents import AckedSet, LineAck, PoAck, PoAckLine, ShippedItem, ShippedOrder
from hub.domain.model import PoLine, PurchaseOrder
from hub.domain.states import LineState, OrderState, PoState

NOW = datetime(2026, 11, 25, 12, tzinfo=timezone.utc)


def po(*quantities: int, state: PoState = PoState.SENT) -> PurchaseOrder:
    lines = [PoLine(line_number=n, order_line_id=n, sku=f"SKU-{n}", supplier_item=f"V-{n}",
                    description="", quantity=q, unit_cost=Decimal("1.00"))
             for n, q in enumerate(quantities, start=1)]
    return PurchaseOrder("PO0000001", "acme", 1, lines, NOW, id=1, state=state)


def ack(code: str, *lines: PoAckLine) -> PoAck:
    return PoAck("PO0000001", code, date(2026, 11, 25), tuple(lines))


def line(number: str, *acks: tuple) -> PoAckLine:
    return PoAckLine(number, None, acks=tuple(LineAck(c, q, "EA", d) for c, q, d in acks))


def quantities(pl: PoLine) -> tuple:
    return (pl.state, pl.qty_accepted, pl.qty_backordered, pl.qty_rejected)


# -- 997 -----------------------------------------------------------------------------------------

def test_accepted_997_acknowledges_a_sent_po():
    p = po(5)
    out = apply_functional_ack(p, AckedSet("850", "0001", "A"))
    assert (p.state, p.ack_status, out.problems) == (PoState.ACKNOWLEDGED, "accepted", [])


def test_rejected_997_keeps_the_state_and_says_why():
    p = po(5)
    out = apply_functional_ack(p, AckedSet("850", "0001", "R", ("segment PO1 at 6: element 2 missing",)))
    assert (p.state, p.ack_status) == (PoState.SENT, "rejected")
    assert out.problems[0].code == "ack.rejected"
    assert "element 2 missing" in out.problems[0].message


def test_997_arriving_after_the_855_does_not_move_the_state_back():
    p = po(5, state=PoState.ACCEPTED)
    apply_functional_ack(p, AckedSet("850", "0001", "A"))
    assert (p.state, p.ack_status) == (PoState.ACCEPTED, "accepted")


# -- 855 -----------------------------------------------------------------------------------------

def test_855_accepting_every_line():
    p = po(5, 2)
    out = apply_po_ack(p, ack("AC", line("1", ("IA", 5, None)), line("2", ("IA", 2, None))))
    assert p.state == PoState.ACCEPTED
    assert [quantities(pl) for pl in p.lines] == [(LineState.ACCEPTED, 5, 0, 0), (LineState.ACCEPTED, 2, 0, 0)]
    assert out.reroute == []


def test_855_without_line_detail_accepts_everything():
    p = po(5, 2)
    apply_po_ack(p, ack("AK"))
    assert [quantities(pl) for pl in p.lines] == [(LineState.ACCEPTED, 5, 0, 0), (LineState.ACCEPTED, 2, 0, 0)]


def test_855_backorder_records_quantity_and_promised_date():
    p = po(5)
    apply_po_ack(p, ack("AC", line("1", ("IA", 2, None), ("IB", 3, date(2026, 12, 10)))))
    pl = p.lines[0]
    assert quantities(pl) == (LineState.ACCEPTED, 2, 3, 0)
    assert pl.promised_date == date(2026, 12, 10)


def test_855_whole_line_backordered():
    p = po(4)
    apply_po_ack(p, ack("AC", line("1", ("IB", 4, date(2027, 1, 5)))))
    assert quantities(p.lines[0]) == (LineState.BACKORDERED, 0, 4, 0)


def test_855_rejected_line_is_offered_for_rerouting():
    p = po(5, 2)
    out = apply_po_ack(p, ack("AC", line("1", ("IA", 5, None)), line("2", ("IR", 2, None))))
    assert p.state == PoState.ACCEPTED
    assert quantities(p.lines[1]) == (LineState.REJECTED, 0, 0, 2)
    assert [(pl.line_number, q) for pl, q in out.reroute] == [(2, 2)]


def test_855_quantity_changed_sends_the_rest_elsewhere():
    # IQ: the supplier takes 3 of the 5 ordered; the 2 it does not take are declined.
    p = po(5)
    out = apply_po_ack(p, ack("AC", line("1", ("IQ", 3, None))))
    assert quantities(p.lines[0]) == (LineState.CHANGED, 3, 0, 2)
    assert [q for _, q in out.reroute] == [2]


def test_855_rejecting_the_whole_po():
    p = po(5, 2)
    out = apply_po_ack(p, ack("RJ"))
    assert p.state == PoState.REJECTED
    assert [quantities(pl) for pl in p.lines] == [(LineState.REJECTED, 0, 0, 5), (LineState.REJECTED, 0, 0, 2)]
    assert sorted(q for _, q in out.reroute) == [2, 5]


def test_a_second_855_only_reroutes_what_is_newly_rejected():
    p = po(5)
    apply_po_ack(p, ack("AC", line("1", ("IA", 3, None), ("IR", 2, None))))
    out = apply_po_ack(p, ack("AC", line("1", ("IA", 3, None), ("IR", 2, None))))
    assert out.reroute == []


def test_855_lines_matched_by_item_when_numbers_differ():
    p = po(5, 2)
    apply_po_ack(p, ack("AC", PoAckLine("7", 2, vendor_item="V-2", acks=(LineAck("IA", 2),))))
    assert quantities(p.lines[1]) == (LineState.ACCEPTED, 2, 0, 0)


@pytest.mark.parametrize("answer, code", [
    (line("9", ("IA", 1, None)), "poack.unknown_line"),
    (line("1", ("ZZ", 1, None)), "poack.unknown_code"),
    (line("1", ("IA", 5, None), ("IB", 3, None)), "poack.over_acknowledged"),
    (line("1", ("IH", 5, None)), "poack.line_on_hold"),
])
def test_855_problems_are_reported_not_raised(answer, code):
    p = po(5)
    out = apply_po_ack(p, ack("AC", answer))
    assert [pr.code for pr in out.problems] == [code]


def test_855_for_a_cancelled_po_is_an_illegal_transition():
    p = po(5, state=PoState.CANCELLED)
    out = apply_po_ack(p, ack("AC", line("1", ("IA", 5, None))))
    assert [pr.code for pr in out.problems] == ["state.illegal_transition"]
    assert p.lines[0].qty_accepted == 0


# -- 856 -----------------------------------------------------------------------------------------

def shipped(*items: tuple) -> ShippedOrder:
    return ShippedOrder("PO0000001", tuple(ShippedItem(line_number=n, quantity=q) for n, q in items))


def test_full_shipment_ships_the_po():
    p = po(5, 2)
    apply_po_ack(p, ack("AK"))
    out, matched = apply_shipment(p, shipped(("1", 5), ("2", 2)), "SH1")
    assert p.state == PoState.SHIPPED and len(matched) == 2
    assert [pl.state for pl in p.lines] == [LineState.SHIPPED, LineState.SHIPPED]


def test_partial_shipments_add_up():
    p = po(5)
    apply_po_ack(p, ack("AK"))
    apply_shipment(p, shipped(("1", 2)), "SH1")
    assert (p.state, p.lines[0].state, p.lines[0].qty_shipped) == (
        PoState.PARTIALLY_SHIPPED, LineState.PARTIALLY_SHIPPED, 2)
    apply_shipment(p, shipped(("1", 3)), "SH2")
    assert (p.state, p.lines[0].qty_shipped) == (PoState.SHIPPED, 5)


def test_backordered_units_are_expected_in_a_later_shipment():
    p = po(5)
    apply_po_ack(p, ack("AC", line("1", ("IA", 2, None), ("IB", 3, None))))
    apply_shipment(p, shipped(("1", 2)), "SH1")
    assert p.state == PoState.PARTIALLY_SHIPPED
    apply_shipment(p, shipped(("1", 3)), "SH2")
    assert p.state == PoState.SHIPPED


def test_856_before_855_is_applied_and_the_late_855_does_not_undo_it():
    p = po(5)
    apply_shipment(p, shipped(("1", 5)), "SH1")
    assert p.state == PoState.SHIPPED
    out = apply_po_ack(p, ack("AC", line("1", ("IA", 5, None))))
    assert p.state == PoState.SHIPPED and out.problems == []
    assert (p.lines[0].qty_accepted, p.lines[0].state) == (5, LineState.SHIPPED)


def test_over_shipment_is_recorded_and_reported():
    p = po(5)
    out, _ = apply_shipment(p, shipped(("1", 7)), "SH1")
    assert p.lines[0].qty_shipped == 7
    assert [pr.code for pr in out.problems] == ["asn.over_shipment"]


def test_unknown_item_in_856():
    p = po(5)
    out, matched = apply_shipment(p, ShippedOrder("PO0000001", (ShippedItem(vendor_item="NOPE", quantity=1),)), "SH1")
    assert matched == [] and p.state == PoState.SENT
    assert [pr.code for pr in out.problems] == ["asn.unknown_item"]


@pytest.mark.parametrize("state, code", [(PoState.CANCELLED, "asn.cancelled_units"),
                                         (PoState.REJECTED, "state.illegal_transition")])
def test_856_for_a_closed_po_is_refused(state, code):
    p = po(5, state=state)
    out, matched = apply_shipment(p, shipped(("1", 5)), "SH1")
    assert matched == [] and p.lines[0].qty_shipped == 0
    assert [pr.code for pr in out.problems] == [code]


def test_units_of_a_cancelled_line_are_not_counted_as_shipped_and_the_rest_is():
    # The supplier shipped line 1 before it took our change cancelling line 2.
    p = po(2, 3, state=PoState.ACCEPTED)
    p.lines[1].state = LineState.CANCELLED
    out, matched = apply_shipment(p, shipped(("1", 2), ("2", 3)), "SH1")
    assert [(pl.line_number, item.quantity) for pl, item in matched] == [(1, 2)]
    assert [pl.qty_shipped for pl in p.lines] == [2, 0]
    assert [pr.code for pr in out.problems] == ["asn.cancelled_units"]
    assert "3 unit(s) of line 2" in out.problems[0].message
    assert (p.state, p.lines[1].state) == (PoState.SHIPPED, LineState.CANCELLED)


def test_match_line_ignores_leading_zeros():
    assert match_line(po(1, 1), "002").line_number == 2


# -- the order -----------------------------------------------------------------------------------

def carried(quantity, *pairs):
    return (quantity, list(pairs))


def pl(qty, shipped=0, rejected=0, state=LineState.ACCEPTED):
    return PoLine(1, 1, "S", "V", "", qty, Decimal(1), state=state, qty_shipped=shipped, qty_rejected=rejected)


def test_order_state_follows_its_lines():
    P = OrderState.PROCESSING
    assert order_state(P, [carried(5, (PoState.SENT, pl(5)))]) == P
    assert order_state(P, [carried(5, (PoState.PARTIALLY_SHIPPED, pl(5, shipped=2)))]) == OrderState.PARTIALLY_SHIPPED
    assert order_state(P, [carried(5, (PoState.SHIPPED, pl(5, shipped=5))),
                           carried(1, (PoState.SHIPPED, pl(1, shipped=1)))]) == OrderState.SHIPPED
    # 2 of 5 rejected and re-routed to a second supplier: covered again
    assert order_state(P, [carried(5, (PoState.ACCEPTED, pl(5, rejected=2, state=LineState.CHANGED)),
                                   (PoState.QUEUED, pl(2)))]) == P
    # rejected with nowhere to go: needs attention
    assert order_state(P, [carried(5, (PoState.REJECTED, pl(5, rejected=5, state=LineState.REJECTED)))]) \
        == OrderState.NEEDS_ATTENTION
    assert order_state(OrderState.ON_HOLD, [carried(5)]) == OrderState.ON_HOLD


def test_ship_notice_without_items_ships_the_rest_of_the_order():
    p = po(5, 2)
    apply_po_ack(p, ack("AK"))
    apply_shipment(p, shipped(("1", 2)), "SH1")
    out, matched = apply_shipment(p, ShippedOrder("PO0000001"), "SH2")
    assert [(pl.line_number, i.quantity) for pl, i in matched] == [(1, 3), (2, 2)]
    assert p.state == PoState.SHIPPED and out.problems == []


def test_855_with_detail_leaves_unmentioned_lines_alone():
    p = po(5, 2)
    apply_po_ack(p, ack("AC", line("1", ("IA", 5, None))))
    assert quantities(p.lines[1]) == (LineState.OPEN, 0, 0, 0)
    apply_po_ack(p, ack("AD"))  # "no detail or change": everything as sent
    assert quantities(p.lines[1]) == (LineState.ACCEPTED, 2, 0, 0)


def test_an_answer_for_a_po_whose_sending_was_not_recorded_is_applied():
    p = po(5, state=PoState.QUEUED)   # delivered, then the worker died before recording it
    apply_po_ack(p, ack("AK"))
    assert p.state == PoState.ACCEPTED


# -- what the answers above leave open: sums, mixes, holds, matching, events --------------------

def test_997_accepted_with_errors_acknowledges_and_keeps_the_errors_as_an_event():
    p = po(5)
    out = apply_functional_ack(p, AckedSet("850", "0001", "E", ("note one", "note two")))
    assert (p.state, p.ack_status, out.problems) == (PoState.ACKNOWLEDGED, "accepted_with_errors", [])
    transition, noted = out.events
    assert "sent" in transition and "acknowledged" in transition and "PO0000001" in transition
    assert "note one" in noted and "note two" in noted


def test_997_accepted_records_only_the_state_change():
    p = po(5)
    out = apply_functional_ack(p, AckedSet("850", "0001", "A", ("ignored",)))
    assert len(out.events) == 1 and "acknowledged" in out.events[0]
    again = apply_functional_ack(p, AckedSet("850", "0001", "A"))
    assert again.events == []        # already acknowledged: nothing moved


def test_rejected_997_names_the_po_and_every_error():
    p = po(5)
    out = apply_functional_ack(p, AckedSet("850", "0042", "R", ("first error", "second error")))
    (problem,) = out.problems
    assert all(s in problem.message for s in ("PO0000001", "0042", "first error", "second error"))
    bare = apply_functional_ack(po(5), AckedSet("850", "0042", "R")).problems[0]
    assert bare.code == "ack.rejected" and "PO0000001" in bare.message


def test_855_acks_of_one_kind_on_one_line_add_up():
    p = po(9)
    out = apply_po_ack(p, ack("AC", line("1", ("IA", 2, None), ("IA", 1, None), ("IB", 1, None),
                                         ("IB", 2, None), ("IR", 2, None), ("IR", 1, None))))
    assert quantities(p.lines[0]) == (LineState.CHANGED, 3, 3, 3)
    assert [q for _, q in out.reroute] == [3]


def test_855_partly_rejected_line_is_changed_not_accepted():
    p = po(5)
    out = apply_po_ack(p, ack("AC", line("1", ("IA", 3, None), ("IR", 2, None))))
    assert quantities(p.lines[0]) == (LineState.CHANGED, 3, 0, 2)
    assert [q for _, q in out.reroute] == [2] and p.state == PoState.ACCEPTED


def test_855_units_neither_taken_nor_declined_are_declined_too():
    p = po(5)
    out = apply_po_ack(p, ack("AC", line("1", ("IA", 2, None), ("IR", 1, None))))
    assert quantities(p.lines[0]) == (LineState.CHANGED, 2, 0, 3)
    assert [q for _, q in out.reroute] == [3]


@pytest.mark.parametrize("acks, expected, rerouted", [
    ([("IA", 7, None)], (LineState.ACCEPTED, 5, 0, 0), []),
    ([("IA", 4, None), ("IB", 3, None)], (LineState.ACCEPTED, 4, 1, 0), []),
    ([("IA", 2, None), ("IB", 2, None), ("IR", 3, None)], (LineState.CHANGED, 2, 2, 1), [1]),
    ([("IB", 4, None), ("IR", 4, None)], (LineState.BACKORDERED, 0, 4, 1), [1]),
    ([("IR", 6, None)], (LineState.REJECTED, 0, 0, 5), [5]),
])
def test_855_over_acknowledgement_keeps_only_the_units_ordered(acks, expected, rerouted):
    # Accepted units come first, then backordered; whatever of the 5 is left is declined.
    p = po(5)
    out = apply_po_ack(p, ack("AC", line("1", *acks)))
    assert quantities(p.lines[0]) == expected
    assert [q for _, q in out.reroute] == rerouted
    (problem,) = out.problems
    assert problem.code == "poack.over_acknowledged" and "PO0000001" in problem.message


def test_855_line_partly_on_hold_declines_nothing():
    p = po(5)
    out = apply_po_ack(p, ack("AC", line("1", ("IA", 3, None), ("IH", 2, None))))
    assert quantities(p.lines[0]) == (LineState.ACCEPTED, 3, 0, 0) and out.reroute == []
    (problem,) = out.problems
    assert problem.code == "poack.line_on_hold" and "PO0000001" in problem.message
    # Units on hold are not expected until a later 855 takes them: shipping the 3 completes it.
    apply_shipment(p, shipped(("1", 3)), "SH1")
    assert (p.lines[0].state, p.state) == (LineState.SHIPPED, PoState.SHIPPED)


def test_855_unknown_status_leaves_the_line_as_it_was_and_names_the_code():
    p = po(5)
    out = apply_po_ack(p, ack("AC", line("1", ("IA", 2, None), ("XY", 3, None))))
    assert quantities(p.lines[0]) == (LineState.OPEN, 0, 0, 0) and out.reroute == []
    assert [pr.code for pr in out.problems] == ["poack.unknown_code"]
    assert "'XY'" in out.problems[0].message and "PO0000001" in out.problems[0].message


def test_855_unknown_line_does_not_stop_the_lines_after_it():
    p = po(5, 2)
    out = apply_po_ack(p, ack("AC", line("9", ("IA", 1, None)), line("2", ("IR", 2, None)),
                              line("1", ("IA", 5, None))))
    assert [quantities(pl) for pl in p.lines] == [(LineState.ACCEPTED, 5, 0, 0), (LineState.REJECTED, 0, 0, 2)]
    assert [pr.code for pr in out.problems] == ["poack.unknown_line"]
    assert "'9'" in out.problems[0].message and "PO0000001" in out.problems[0].message


def test_855_lines_matched_by_our_sku_alone():
    p = po(5, 2)
    apply_po_ack(p, ack("AC", PoAckLine("", 2, buyer_item="SKU-2", acks=(LineAck("IA", 2),))))
    assert quantities(p.lines[1]) == (LineState.ACCEPTED, 2, 0, 0)
    assert quantities(p.lines[0]) == (LineState.OPEN, 0, 0, 0)


def test_855_line_naming_items_not_on_the_po_is_unknown():
    p = po(5, 2)
    out = apply_po_ack(p, ack("AC", PoAckLine("7", 2, buyer_item="SKU-9", vendor_item="V-9",
                                              acks=(LineAck("IA", 2),))))
    assert [pr.code for pr in out.problems] == ["poack.unknown_line"]
    assert "V-9" in out.problems[0].message
    assert [quantities(pl) for pl in p.lines] == [(LineState.OPEN, 0, 0, 0)] * 2


def test_855_leaves_rerouted_and_cancelled_lines_alone():
    p = po(5, 2, 3)
    p.lines[0].state, p.lines[1].state = LineState.REROUTED, LineState.CANCELLED
    apply_po_ack(p, ack("AK"))
    assert [pl.state for pl in p.lines] == [LineState.REROUTED, LineState.CANCELLED, LineState.ACCEPTED]
    assert [pl.qty_accepted for pl in p.lines] == [0, 0, 3]


def test_855_rejecting_every_line_still_with_the_supplier_rejects_the_po():
    p = po(5, 2)
    p.lines[0].state = LineState.REROUTED      # gone to another supplier already
    apply_po_ack(p, ack("AC", line("2", ("IR", 2, None))))
    assert p.state == PoState.REJECTED


def test_855_a_later_answer_the_line_state_cannot_take_is_still_recorded():
    # REJECTED -> BACKORDERED is not a line transition: the quantities are kept, nothing raises.
    p = po(5, 2)
    apply_po_ack(p, ack("AC", line("1", ("IR", 5, None)), line("2", ("IA", 2, None))))
    out = apply_po_ack(p, ack("AC", line("1", ("IB", 5, None))))
    assert quantities(p.lines[0])[1:] == (0, 5, 0) and out.reroute == []


def test_855_state_changes_are_events():
    p = po(5)
    out = apply_po_ack(p, ack("AK"))
    (event,) = out.events
    assert "PO0000001" in event and "sent" in event and "accepted" in event


def test_855_for_a_cancelled_po_names_it():
    out = apply_po_ack(po(5, state=PoState.CANCELLED), ack("AK"))
    assert "PO0000001" in out.problems[0].message


def test_shipping_part_of_a_po_before_any_855():
    p = po(5, 2)
    out, _ = apply_shipment(p, shipped(("1", 2)), "SH1")
    assert out.problems == []
    assert (p.state, p.lines[0].state, p.lines[1].state) == (
        PoState.PARTIALLY_SHIPPED, LineState.PARTIALLY_SHIPPED, LineState.OPEN)
    apply_shipment(p, shipped(("1", 3), ("2", 2)), "SH2")
    assert p.state == PoState.SHIPPED


@pytest.mark.parametrize("item", [ShippedItem(buyer_item="SKU-2", quantity=2),
                                  ShippedItem(vendor_item="V-2", quantity=2),
                                  ShippedItem(line_number="0002", quantity=2)])
def test_856_items_without_our_line_number_are_matched_by_item(item):
    p = po(5, 2)
    out, matched = apply_shipment(p, ShippedOrder("PO0000001", (item,)), "SH1")
    assert [pl.line_number for pl, _ in matched] == [2] and out.problems == []
    assert (p.lines[0].qty_shipped, p.lines[1].qty_shipped) == (0, 2)


def test_856_unknown_item_does_not_drop_the_items_after_it():
    p = po(5, 2)
    order = ShippedOrder("PO0000001", (ShippedItem(vendor_item="NOPE", quantity=1),
                                       ShippedItem(line_number="1", quantity=5),
                                       ShippedItem(line_number="2", quantity=2)))
    out, matched = apply_shipment(p, order, "SH9")
    assert [pl.line_number for pl, _ in matched] == [1, 2] and p.state == PoState.SHIPPED
    assert [pr.code for pr in out.problems] == ["asn.unknown_item"]
    assert all(s in out.problems[0].message for s in ("SH9", "NOPE", "PO0000001"))


def test_ship_notice_without_items_ships_only_what_is_still_to_come():
    p = po(5, 1, 3)
    apply_po_ack(p, ack("AC", line("1", ("IA", 5, None)), line("2", ("IA", 1, None)),
                        line("3", ("IR", 3, None))))
    apply_shipment(p, shipped(("1", 5)), "SH1")
    _, matched = apply_shipment(p, ShippedOrder("PO0000001"), "SH2")
    # line 1 is complete, line 3 was declined: only line 2's single unit is left
    assert [(pl.line_number, i.quantity) for pl, i in matched] == [(2, 1)]
    assert p.state == PoState.SHIPPED


def test_856_shipping_a_declined_line_is_reported_and_leaves_it_declined():
    p = po(5, 2)
    apply_po_ack(p, ack("AC", line("1", ("IA", 5, None)), line("2", ("IR", 2, None))))
    out, matched = apply_shipment(p, shipped(("2", 2)), "SH1")
    assert len(matched) == 1 and p.lines[1].qty_shipped == 2
    assert p.lines[1].state == LineState.REJECTED
    (problem,) = out.problems
    assert problem.code == "asn.over_shipment" and "PO0000001" in problem.message


def test_856_over_shipment_names_the_po_and_the_shipment():
    out, _ = apply_shipment(po(5), shipped(("1", 7)), "SH7")
    assert all(s in out.problems[0].message for s in ("SH7", "PO0000001"))
    refused, _ = apply_shipment(po(5, state=PoState.CANCELLED), shipped(("1", 5)), "SH8")
    assert all(s in refused.problems[0].message for s in ("SH8", "PO0000001"))


def test_order_with_a_line_partly_rejected_and_not_rerouted_needs_attention():
    P = OrderState.PROCESSING
    assert order_state(P, [carried(5, (PoState.ACCEPTED, pl(5, rejected=2, state=LineState.CHANGED)))]) \
        == OrderState.NEEDS_ATTENTION


def test_order_with_a_single_unit_shipped_is_partially_shipped():
    P = OrderState.PROCESSING
    assert order_state(P, [carried(5, (PoState.PARTIALLY_SHIPPED, pl(5, shipped=1)))]) \
        == OrderState.PARTIALLY_SHIPPED


def test_855_rejections_add_up_beside_a_hold():
    # Held units are not declined, so the declined ones are exactly the IR quantities.
    p = po(5)
    out = apply_po_ack(p, ack("AC", line("1", ("IR", 1, None), ("IR", 1, None), ("IH", 3, None))))
    assert quantities(p.lines[0])[1:] == (0, 0, 2) and [q for _, q in out.reroute] == [2]


def test_855_several_rejections_can_over_acknowledge():
    p = po(5)
    out = apply_po_ack(p, ack("AC", line("1", ("IA", 4, None), ("IR", 1, None), ("IR", 1, None))))
    assert quantities(p.lines[0]) == (LineState.CHANGED, 4, 0, 1)
    assert [pr.code for pr in out.problems] == ["poack.over_acknowledged"]


def test_855_line_numbers_with_letters_are_not_our_numbers():
    out = apply_po_ack(po(5), ack("AC", line("X1", ("IA", 5, None))))
    assert [pr.code for pr in out.problems] == ["poack.unknown_line"]


@pytest.mark.parametrize("item, named", [
    (ShippedItem(line_number="9", quantity=1), "9"),
    (ShippedItem(buyer_item="SKU-9", quantity=1), "SKU-9"),
    (ShippedItem(upc="012345678905", quantity=1), "012345678905"),
])
def test_856_unknown_item_is_named_by_what_identifies_it(item, named):
    out, _ = apply_shipment(po(5), ShippedOrder("PO0000001", (item,)), "SH1")
    assert [pr.code for pr in out.problems] == ["asn.unknown_item"] and named in out.problems[0].message


def test_855_unknown_line_is_named_by_our_item_when_the_supplier_gives_no_item():
    out = apply_po_ack(po(5), ack("AC", PoAckLine("7", 1, buyer_item="SKU-9", acks=(LineAck("IA", 1),))))
    assert "SKU-9" in out.problems[0].message


def test_a_files_strangers_tally_across_batches_and_start_over_when_the_file_is_read_again():
    first = [(shown("P1"), "names 'P1'", "ST02 1"), (shown("P2"), "names 'P2'", "ST02 2"),
             (shown("P1"), "names 'P1'", "ST02 3")]
    tally, started = tally_strangers(None, first)
    assert started and strangers_message(tally) == "names 'P1' (and 2 more like it in this file: 'P2')"
    later = [(shown(f"Q{k}"), "", f"ST02 {k}") for k in range(4, 16)]
    tally, started = tally_strangers(tally, later)
    assert not started
    assert strangers_message(tally) == ("names 'P1' (and 14 more like it in this file: 'P2', 'Q4', 'Q5', 'Q6', "
                                        "'Q7', 'Q8', 'Q9', 'Q10', 'Q11', 'Q12' and 3 others)")
    again, started = tally_strangers(tally, first)   # the same file read again: counted afresh
    assert started and strangers_message(again) == "names 'P1' (and 2 more like it in this file: 'P2')"
    alone, _ = tally_strangers(None, [first[0], first[0]])
    assert strangers_message(alone) == "names 'P1' (and 1 more like it in this file)"
    assert shown("X" * 40 + "\x00") == repr("X" * 30) and shown("A\x1bB") == "'A\\x1bB'"

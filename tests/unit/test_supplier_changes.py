"""A supplier's 865 on a purchase order: the verdict on our change, or its own cuts and dates."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hub.domain.documents import ChangeAck, ChangeAckLine, LineAck
from hub.domain.states import LineState, PoState
from hub.domain.supplier_changes import answer_terms, apply_supplier_change, change_answer
from tests.unit.test_answers import po, quantities


def own(*lines: ChangeAckLine, ship_date: date | None = None) -> ChangeAck:
    return ChangeAck("PO0000001", "19", "AC", None, date(2026, 11, 25), ship_date, tuple(lines))


def poc(number: str, code: str, quantity: int | None = None, *acks: tuple, ship: date | None = None) -> ChangeAckLine:
    return ChangeAckLine(number, code, quantity, acks=tuple(LineAck(c, q, "EA", d) for c, q, d in acks),
                         ship_date=ship)


# -- an answer to our change ---------------------------------------------------------------------

def test_the_whole_change_follows_bca02_and_lines_their_acks():
    ack = ChangeAck("PO0000001", "04", "AC", 1, None, None, (
        poc("1", "QD", 2, ("IA", 2, None)), poc("2", "QI", 3, ("IR", 3, None)), poc("3", "CT")))
    assert change_answer(ack) == (True, {1: True, 2: False})
    rejected = ChangeAck("PO0000001", "04", "RJ", 1, None, None, (poc("0002", "RC"),))
    assert change_answer(rejected) == (False, {2: False})


def test_a_line_on_hold_is_not_an_acceptance():
    ack = ChangeAck("PO0000001", "04", "AT", 1, None, None, (poc("1", "QI", 5, ("IH", None, None)),))
    assert change_answer(ack) == (True, {1: False})


# -- the supplier's own change -------------------------------------------------------------------

def test_a_quantity_decrease_rejects_the_units_it_will_not_ship():
    p = po(4, 2)
    out = apply_supplier_change(p, own(poc("1", "QD", 1, ("IQ", 1, None))), None)
    assert quantities(p.lines[0]) == (LineState.CHANGED, 1, 0, 3)
    assert [(pl.line_number, units) for pl, units in out.reroute] == [(1, 3)]
    assert out.problems == [] and p.state == PoState.SENT


def test_an_ir_with_a_quantity_cuts_that_many_and_a_deleted_line_all():
    p = po(4, 2)
    out = apply_supplier_change(p, own(poc("1", "CA", None, ("IA", None, None), ("IR", 1, None)),
                                       poc("2", "DI")), None)
    assert [quantities(pl) for pl in p.lines] == [(LineState.CHANGED, 3, 0, 1), (LineState.REJECTED, 0, 0, 2)]
    assert [units for _, units in out.reroute] == [1, 2]


def test_every_line_deleted_rejects_the_purchase_order():
    p = po(4)
    apply_supplier_change(p, own(poc("1", "DI")), None)
    assert (p.state, p.lines[0].state) == (PoState.REJECTED, LineState.REJECTED)


def test_shipped_units_are_never_cut():
    p = po(4)
    p.lines[0].qty_shipped, p.lines[0].state, p.state = 3, LineState.PARTIALLY_SHIPPED, PoState.PARTIALLY_SHIPPED
    out = apply_supplier_change(p, own(poc("1", "DI")), None)
    assert [pr.code for pr in out.problems] == ["supplier_change.shipped_units"]
    assert (p.lines[0].qty_rejected, [u for _, u in out.reroute]) == (1, [1])
    assert (p.lines[0].state, p.state) == (LineState.SHIPPED, PoState.SHIPPED)


def test_more_units_than_ordered_are_not_taken():
    p = po(4)
    out = apply_supplier_change(p, own(poc("1", "QI", 6)), None)
    assert [pr.code for pr in out.problems] == ["supplier_change.more_than_ordered"]
    assert quantities(p.lines[0]) == (LineState.OPEN, 0, 0, 0) and out.reroute == []


def test_a_later_ship_date_is_a_delay_and_beyond_the_window_an_incident():
    p = po(4, 2)
    for pl in p.lines:
        pl.promised_date = date(2026, 12, 1)
    out = apply_supplier_change(p, own(poc("1", "CT", 4, ("DR", 4, date(2026, 12, 5))),
                                       poc("2", "CT", 2, ship=date(2026, 12, 20))), 7)
    assert [pl.promised_date for pl in p.lines] == [date(2026, 12, 5), date(2026, 12, 20)]
    assert [(d.line.line_number, d.code, d.element, d.beyond_window) for d in out.delays] == [
        (1, "DR", "668", False), (2, "CT", "670", True)]
    assert [pr.code for pr in out.problems] == ["supplier_change.delay_beyond_window"]
    assert "from 2026-12-01 to 2026-12-20, 19 days later, beyond the 7 days" in out.problems[0].message


def test_a_heading_date_reaches_every_line_named_and_an_earlier_one_is_no_delay():
    p = po(4, 2)
    p.lines[0].promised_date = date(2026, 12, 10)
    out = apply_supplier_change(p, own(poc("1", "CT"), ship_date=date(2026, 12, 3)), 0)
    assert (p.lines[0].promised_date, p.lines[1].promised_date) == (date(2026, 12, 3), None)
    assert out.delays == [] and out.problems == []


def test_a_line_not_on_the_po_and_a_cancelled_po_are_problems():
    p = po(4)
    assert [pr.code for pr in apply_supplier_change(p, own(poc("9", "DI")), None).problems] == [
        "supplier_change.unknown_line"]
    gone = po(4, state=PoState.CANCELLED)
    out = apply_supplier_change(gone, own(poc("1", "DI")), None)
    assert [pr.code for pr in out.problems] == ["state.illegal_transition"] and gone.lines[0].qty_rejected == 0


def test_the_golden_seller_change_on_the_golden_po():
    from tests.unit.test_pochangeack865 import golden
    p = po(2, 1, 3)
    for pl in p.lines:
        pl.promised_date = date(2026, 1, 25)
    out = apply_supplier_change(p, golden("865-5010-seller-change.edi"), 14)
    assert [quantities(pl) for pl in p.lines] == [(LineState.CHANGED, 1, 0, 1), (LineState.REJECTED, 0, 0, 1),
                                                  (LineState.OPEN, 0, 0, 0)]
    assert [(pl.line_number, units) for pl, units in out.reroute] == [(1, 1), (2, 1)]
    # Line 3's own ACK05 wins over the heading's DTM*068; line 1 keeps units, so it takes the heading's.
    assert [pl.promised_date for pl in p.lines] == [date(2026, 1, 30), date(2026, 1, 25), date(2026, 2, 5)]
    assert [(d.line.line_number, d.code, d.beyond_window) for d in out.delays] == [(1, "", False),
                                                                                  (3, "DR", False)]


def test_a_unit_price_other_than_ours_is_reported_not_taken():
    p = po(4, 2)   # ordered at 1.00 a unit
    same = ChangeAckLine("1", "PC", None, unit_price=Decimal("1.0"))
    other = ChangeAckLine("2", "PC", None, unit_price=Decimal("1.25"))
    out = apply_supplier_change(p, own(same, other), None)
    assert [(x.code, x.message) for x in out.problems] == [(
        "supplier_change.price", "acme gives 1.25 a unit for PO0000001 line 2 (SKU-2), not the 1.00 we "
        "ordered at: the hub keeps the ordered cost; settle the price with the supplier before its invoice")]
    assert [pl.unit_cost for pl in p.lines] == [Decimal("1.00"), Decimal("1.00")]
    assert out.reroute == [] and quantities(p.lines[1])[1:] == (0, 0, 0)


def test_an_answer_to_our_change_moves_dates_and_reports_a_price():
    p = po(4, 2)
    p.lines[0].promised_date = date(2026, 12, 1)
    answer = ChangeAck("PO0000001", "04", "AC", 1, None, None, (
        ChangeAckLine("1", "QD", 3, acks=(LineAck("IA", 3, "EA", date(2026, 12, 9)),)),
        ChangeAckLine("2", "QI", 3, acks=(LineAck("IA", 3, "EA"),), unit_price=Decimal("2"))))
    out = answer_terms(p, answer, 5)
    assert p.lines[0].promised_date == date(2026, 12, 9)
    assert [(d.line.line_number, d.before, d.after, d.beyond_window) for d in out.delays] == [
        (1, date(2026, 12, 1), date(2026, 12, 9), True)]
    assert [x.code for x in out.problems] == ["supplier_change.delay_beyond_window", "supplier_change.price"]
    assert quantities(p.lines[0])[1:] == (0, 0, 0)   # verdicts are settle_change's, not applied here


def test_problems_of_one_kind_fold_into_one_naming_their_lines():
    from hub.domain.answers import fold
    p = po(4, 2)
    prices = [ChangeAckLine(n, "PC", None, unit_price=Decimal(price))
              for n, price in (("2", "1.25"), ("1", "1.50"), ("2", "1.75"))]
    out = apply_supplier_change(p, own(*prices, poc("9", "DI")), None)
    assert [x.code for x in fold(out.problems)] == ["supplier_change.price", "supplier_change.unknown_line"]
    assert fold(out.problems)[0].message.endswith(
        "settle the price with the supplier before its invoice (and 2 more like it in this document, on lines 1, 2)")
    assert fold(out.problems)[1] == out.problems[-1]   # alone of its kind: as it was


def test_an_answer_cuts_the_lines_our_change_did_not_touch_as_the_suppliers_own_change():
    p = po(4, 2, 3)
    answer = ChangeAck("PO0000001", "04", "AC", 1, None, None, (
        poc("1", "QD", 2, ("IR", 2, None)),              # our change's line: a verdict, not a cut
        poc("2", "DI"),                                  # deleted, no ACK
        poc("3", "RC"),                                  # "refuses" a change we never asked for
        poc("8", "DI")))
    assert change_answer(answer, frozenset({1})) == (True, {1: False})
    out = answer_terms(p, answer, None, frozenset({1}), "C1")
    assert [quantities(pl) for pl in p.lines] == [(LineState.OPEN, 0, 0, 0), (LineState.REJECTED, 0, 0, 2),
                                                  (LineState.OPEN, 0, 0, 0)]
    assert [(pl.line_number, units) for pl, units in out.reroute] == [(2, 2)]
    assert [(x.code, x.line) for x in out.problems] == [("change.answer_other_lines", "3"),
                                                        ("supplier_change.unknown_line", "8")]
    assert "change C1 of PO0000001 also refuses line 3 (SKU-3)" in out.problems[0].message
    # The same answer again cuts nothing more.
    assert answer_terms(p, answer, None, frozenset({1}), "C1").reroute == []

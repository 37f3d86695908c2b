"""What each X12 answer code does to a purchase order, one row per code of the standard.

The expected effects are written from the code lists themselves, not from the hub's tables:
ACK01 line item status (element 668), BAK02 acknowledgment type (element 587), and the
AK501 / IK501 transaction set acknowledgment code (element 717) with AK901 (element 715).
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from hub.domain import answers
from hub.domain.answers import apply_functional_ack, apply_po_ack, functional_ack_status
from hub.domain.documents import AckedSet, LineAck, PoAck, PoAckLine
from hub.domain.model import PoLine, PurchaseOrder
from hub.domain.states import LineState, PoState

NOW = datetime(2026, 11, 25, 12, tzinfo=timezone.utc)

# ACK01 (668): code -> (meaning in the standard, what it does to the line's units).
ACK01 = {
    "AC": ("Item Accepted and Shipped", "accepted"),
    "AR": ("Item Accepted and Released for Shipment", "accepted"),
    "BP": ("Item Accepted - Partial Shipment, Balance Backordered", "accepted"),
    "DR": ("Item Accepted - Date Rescheduled", "changed"),
    "IA": ("Item Accepted", "accepted"),
    "IB": ("Item Backordered", "backordered"),
    "IC": ("Item Accepted - Changes Made", "changed"),
    "ID": ("Item Deleted", "rejected"),
    "IE": ("Item Accepted, Price Pending", "accepted"),
    "IF": ("Item on Hold, Incomplete Description", "held"),
    "IH": ("Item on Hold", "held"),
    "IP": ("Item Accepted - Price Changed", "changed"),
    "IQ": ("Item Accepted - Quantity Changed", "changed"),
    "IR": ("Item Rejected", "rejected"),
    "IS": ("Item Accepted - Substitution Made", "changed"),
    "IW": ("Item on Hold - Waiver Required", "held"),
    "SP": ("Item Accepted - Schedule Date Pending", "accepted"),
    "R1": ("Item Rejected, Not a Contract Item", "rejected"),
    "R2": ("Item Rejected, Invalid Item Product Number", "rejected"),
    "R3": ("Item Rejected, Invalid Unit of Issue", "rejected"),
    "R4": ("Item Rejected, Contract Item not Available", "rejected"),
    "R5": ("Item Rejected, Reorder Item as a Just in Time (JIT) Order", "rejected"),
    "R6": ("Item Rejected, Reorder Item as an Extended Delivery Order (EDO)", "rejected"),
    "R7": ("Item Rejected, Reorder Item as a Drop Shipment", "rejected"),
    "R8": ("Item Rejected, Reorder Item as a Surge Order", "rejected"),
}

# A line of 5 units answered by one ACK for all 5: (state, accepted, backordered, rejected).
FULL_LINE = {
    "accepted": (LineState.ACCEPTED, 5, 0, 0),
    "changed": (LineState.CHANGED, 5, 0, 0),
    "backordered": (LineState.BACKORDERED, 0, 5, 0),
    "rejected": (LineState.REJECTED, 0, 0, 5),
}

# BAK02 (587): what a line the 855 does not detail becomes. "as sent": accepted in full;
# "rejected": every unit declined; "unchanged": the type details only what it changes.
BAK02 = {
    "AC": ("Acknowledge - With Detail and Change", "unchanged"),
    "AD": ("Acknowledge - With Detail, No Change", "as sent"),
    "AE": ("Acknowledge - With Exception Detail Only", "as sent"),
    "AH": ("Acknowledge - Hold Status", "unchanged"),
    "AK": ("Acknowledge - No Detail or Change", "as sent"),
    "AP": ("Acknowledge - Product Replenishment", "as sent"),
    "AT": ("Accepted", "as sent"),
    "NA": ("No Acknowledgment Needed", "unchanged"),
    "RD": ("Reject with Detail", "rejected"),
    "RF": ("Reject with Exception Detail Only", "rejected"),
    "RJ": ("Rejected - No Detail", "rejected"),
    "RO": ("Rejected With Counter Offer", "rejected"),
    "ZZ": ("Mutually Defined", "unchanged"),
}

# AK501 / IK501 (717) and AK901 (715): code -> (meaning, the hub's ack_status).
AK5 = {
    "A": ("Accepted", "accepted"),
    "E": ("Accepted But Errors Were Noted", "accepted_with_errors"),
    "M": ("Rejected, Message Authentication Code (MAC) Failed", "rejected"),
    "P": ("Partially Accepted, At Least One Transaction Set Was Rejected", "rejected"),
    "R": ("Rejected", "rejected"),
    "W": ("Rejected, Assurance Failed Validity Tests", "rejected"),
    "X": ("Rejected, Content After Decryption Could Not Be Analyzed", "rejected"),
}


def po(*quantities: int, state: PoState = PoState.SENT) -> PurchaseOrder:
    lines = [PoLine(line_number=n, order_line_id=n, sku=f"SKU-{n}", supplier_item=f"V-{n}",
                    description="", quantity=q, unit_cost=Decimal("1.00"))
             for n, q in enumerate(quantities, start=1)]
    return PurchaseOrder("PO0000001", "acme", 1, lines, NOW, id=1, state=state)


def quantities(pl: PoLine) -> tuple:
    return (pl.state, pl.qty_accepted, pl.qty_backordered, pl.qty_rejected)


# -- ACK01 ------------------------------------------------------------------------------------

def test_the_code_tables_group_every_ack01_code_by_its_meaning():
    by_effect = {effect: {c for c, (_, e) in ACK01.items() if e == effect}
                 for effect in ("accepted", "changed", "backordered", "rejected", "held")}
    assert answers.ACCEPTED_CODES == by_effect["accepted"] | by_effect["changed"]
    assert answers.CHANGED_CODES == by_effect["changed"]
    assert answers.BACKORDER_CODES == by_effect["backordered"]
    assert answers.REJECTED_CODES == by_effect["rejected"]
    assert answers.HOLD_CODES == by_effect["held"]
    assert answers.KNOWN_CODES == set(ACK01)


@pytest.mark.parametrize("code", sorted(c for c, (_, e) in ACK01.items() if e != "held"))
def test_each_ack01_code_for_the_whole_line(code):
    p = po(5)
    out = apply_po_ack(p, PoAck("PO0000001", "AC", lines=(PoAckLine("1", 5, acks=(LineAck(code, 5),)),)))
    effect = ACK01[code][1]
    assert quantities(p.lines[0]) == FULL_LINE[effect]
    assert out.problems == []
    assert [q for _, q in out.reroute] == ([5] if effect == "rejected" else [])
    assert p.state == (PoState.REJECTED if effect == "rejected" else PoState.ACCEPTED)


@pytest.mark.parametrize("code", sorted(c for c, (_, e) in ACK01.items() if e == "held"))
def test_each_hold_code_keeps_every_unit_and_asks_the_operator(code):
    p = po(5)
    out = apply_po_ack(p, PoAck("PO0000001", "AC", lines=(PoAckLine("1", 5, acks=(LineAck(code, 5),)),)))
    pl = p.lines[0]
    # On hold is no answer yet: nothing is declined, so nothing goes to another supplier.
    assert (pl.qty_rejected, out.reroute) == (0, [])
    assert pl.state != LineState.REJECTED and p.state != PoState.REJECTED
    assert [pr.code for pr in out.problems] == ["poack.line_on_hold"]


@pytest.mark.parametrize("code", sorted(c for c, (_, e) in ACK01.items() if e in ("accepted", "changed")))
def test_an_ack_without_ack02_answers_for_the_whole_line(code):
    # ACK02 is optional (conditional on ACK03): without it the status covers the line.
    p = po(4)
    apply_po_ack(p, PoAck("PO0000001", "AC", lines=(PoAckLine("1", None, acks=(LineAck(code, None),)),)))
    assert p.lines[0].qty_accepted == 4 and p.lines[0].qty_rejected == 0


# -- BAK02 ------------------------------------------------------------------------------------

def test_the_accept_all_table_is_the_bak02_types_that_accept_as_sent():
    assert answers.ACCEPT_ALL == {c for c, (_, effect) in BAK02.items() if effect == "as sent"}


@pytest.mark.parametrize("code", sorted(BAK02))
def test_each_bak02_type_for_a_line_it_does_not_detail(code):
    p = po(5, 2)
    out = apply_po_ack(p, PoAck("PO0000001", code, lines=(PoAckLine("1", 5, acks=(LineAck("IA", 5),)),)))
    expected = {"as sent": (LineState.ACCEPTED, 2, 0, 0), "rejected": (LineState.REJECTED, 0, 0, 2),
                "unchanged": (LineState.OPEN, 0, 0, 0)}[BAK02[code][1]]
    assert quantities(p.lines[0]) == (LineState.ACCEPTED, 5, 0, 0)   # detailed: as detailed
    assert quantities(p.lines[1]) == expected
    assert [q for _, q in out.reroute] == ([2] if BAK02[code][1] == "rejected" else [])


# -- AK501 / IK501 ----------------------------------------------------------------------------

@pytest.mark.parametrize("code", sorted(AK5))
def test_each_set_acknowledgment_code(code):
    status = AK5[code][1]
    assert functional_ack_status(AckedSet("850", "0001", code)) == status
    p = po(5)
    out = apply_functional_ack(p, AckedSet("850", "0001", code, ("segment PO1 at position 6: x",)))
    assert p.ack_status == status
    if status == "rejected":
        assert p.state == PoState.SENT and [pr.code for pr in out.problems] == ["ack.rejected"]
    else:   # E: accepted; the errors are noted, nothing is to be resent
        assert p.state == PoState.ACKNOWLEDGED and out.problems == []


@pytest.mark.parametrize("code", ["", "Q", "a", "e"])
def test_a_code_outside_the_list_is_a_rejection(code):
    assert functional_ack_status(AckedSet("850", "0001", code)) == "rejected"


def test_a_date_on_a_hold_is_kept_as_the_promised_date():
    p = po(5)
    apply_po_ack(p, PoAck("PO0000001", "AC", lines=(PoAckLine("1", 5, acks=(
        LineAck("IA", 3), LineAck("IH", 2, "EA", date(2027, 2, 1)))),)))
    assert p.lines[0].promised_date == date(2027, 2, 1)

"""865 change acknowledgments written in the tests, one rule each: header, lines, acks, dates, faults."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from hub.domain.documents import ChangeAck, ChangeAckLine, LineAck
from hub.domain.supplier_changes import change_answer
from hub.edi.x12.answers import parse_transaction
from hub.edi.x12.envelope import iter_transactions
from tests.support.pyx12_check import assert_reads_cleanly
from tests.unit.answer_builders import codes, parse

BCA = "BCA*04*AC*PO-1**1*20260105"


def doc(body: list[str], version: str = "004010") -> ChangeAck:
    """The ChangeAck of a written 865 that must parse without any problem."""
    parsed = parse("865", body, version)
    assert parsed.problems == [] and parsed.doc_type == "865"
    assert isinstance(parsed.document, ChangeAck)
    return parsed.document


def test_an_answer_to_our_change_line_by_line():
    read = doc([BCA, "POC*1*QD*2*2*EA***VP*V-1*BP*B-1", "ACK*IA*2*EA", "POC*2*QI*3*3*EA", "ACK*IR*3*EA"])
    assert read == ChangeAck("PO-1", "04", "AC", 1, date(2026, 1, 5), None, (
        ChangeAckLine("1", "QD", 2, "B-1", "V-1", (LineAck("IA", 2, "EA"),)),
        ChangeAckLine("2", "QI", 3, "", "", (LineAck("IR", 3, "EA"),))))
    assert not read.rejected and not read.seller_initiated


def test_a_seller_initiated_change_with_dates_at_every_level():
    read = doc(["BCA*19*AC*PO-1***20260105", "DTM*068*20260201", "POC*1*CT*4*4*EA",
                "ACK*DR*4*EA*068*20260210", "POC*2*CT*2*2*EA", "DTM*079*20260215",
                "POC*3*DI", "DTM*004*20260101"])
    assert read.seller_initiated and read.sequence is None and read.ship_date == date(2026, 2, 1)
    assert [(ln.line_number, ln.change_code, ln.quantity, ln.ship_date) for ln in read.lines] == [
        ("1", "CT", 4, None), ("2", "CT", 2, date(2026, 2, 15)), ("3", "DI", None, None)]
    assert read.lines[0].acks == (LineAck("DR", 4, "EA", date(2026, 2, 10)),)


def test_a_line_unit_price_is_read_from_poc06():
    read = doc(["BCA*19*AC*PO-1***20260105", "POC*1*PC*4*4*EA*91.5*PE", "POC*2*CT*2*2*EA"])
    assert [ln.unit_price for ln in read.lines] == [Decimal("91.5"), None]


def test_a_unit_price_that_is_no_number_is_left_out_with_a_warning():
    parsed = parse("865", ["BCA*19*AC*PO-1***20260105", "POC*1*PC*4*4*EA*9l.50*PE"], "004010")
    assert codes(parsed) == ["change_ack.bad_price"]
    assert parsed.document.lines[0].unit_price is None
    assert "POC06 '9l.50' is not a unit price" in parsed.problems[0].message


def test_a_rejection_of_the_whole_change_without_lines():
    read = doc(["BCA*04*RJ*PO-7**2*20260105"])
    assert read.rejected and read.lines == () and read.sequence == 2


def test_short_dates_are_read_before_004010():
    read = doc(["BCA*04*AT*PO-1**1*260105", "POC*1*CT*4**EA", "ACK*DR*4*EA*068*260210"], "003050")
    assert (read.date, read.lines[0].acks[0].date) == (date(2026, 1, 5), date(2026, 2, 10))


@pytest.mark.parametrize("body, code", [
    (["POC*1*DI"], "change_ack.missing_bca"),
    (["BCA*04*AC***1*20260105"], "change_ack.missing_po_number"),
    (["BCA*01*AC*PO-1**1*20260105"], "change_ack.withdrawn"),
    (["BCA*03*AC*PO-1**1*20260105"], "change_ack.withdrawn"),
    (["BCA*04**PO-1**1*20260105"], "change_ack.empty"),
    ([BCA, "POC*1**2*2*EA"], "change_ack.missing_change_code"),
    ([BCA, "POC*1*QD*two*2*EA"], "change_ack.bad_quantity"),
    ([BCA, "POC*1*QD*2*2*EA", "ACK**2*EA"], "change_ack.missing_line_status"),
    ([BCA, "POC*1*QD*2*2*EA", "ACK*IA*2.5*EA"], "change_ack.bad_quantity"),
    ([BCA, "POC*1*QD*2*2*EA", "POC*1*DI"], "change_ack.duplicate_line"),
])
def test_what_cannot_be_applied_refuses_the_set(body, code):
    parsed = parse("865", body)
    assert parsed.document is None and code in codes(parsed)


@pytest.mark.parametrize("body, code", [
    (["BCA*04*AC*PO-1**1*20261305", "POC*1*DI"], "change_ack.bad_date"),
    ([BCA, "POC*1*CT*4**EA", "ACK*DR*4*EA*068*2026021"], "change_ack.bad_date"),
    ([BCA, "POC*1*CT*4**EA", "DTM*068*20260230"], "change_ack.bad_date"),
    (["BCA*04*AC*PO-1**A7*20260105", "POC*1*DI"], "change_ack.bad_sequence"),
    ([BCA, "ACK*IA*2*EA", "POC*1*DI"], "change_ack.out_of_place"),
    ([BCA, "BCA*04*RJ*PO-2**1*20260105", "POC*1*DI"], "change_ack.repeated_segment"),
])
def test_what_is_doubtful_travels_with_the_document(body, code):
    parsed = parse("865", body)
    assert parsed.document is not None and codes(parsed) == [code]


def test_a_bad_sequence_is_left_out_and_the_second_bca_ignored():
    parsed = parse("865", ["BCA*04*AC*PO-1**A7*20260105", "BCA*04*RJ*PO-2**1*20260105", "POC*1*DI"])
    assert (parsed.document.po_number, parsed.document.ack_type, parsed.document.sequence) == ("PO-1", "AC", None)


# -- the golden 865s (tests/fixtures/golden/README.md says how each was checked) ----------------

GOLDEN = Path(__file__).resolve().parents[1] / "fixtures" / "golden"


def golden(name: str) -> ChangeAck:
    """A golden 865: pyx12 reads its envelope without an error, the hub reads it without a problem."""
    data = (GOLDEN / name).read_bytes()
    assert_reads_cleanly(data)
    [tx] = list(iter_transactions(data))
    parsed = parse_transaction(tx)
    assert parsed.problems == [] and isinstance(parsed.document, ChangeAck)
    return parsed.document


def test_golden_answer_to_our_860_is_read_line_by_line():
    read = golden("865-4010-answer.edi")
    assert read == ChangeAck("PO-20260115-0001", "04", "AC", 2, date(2026, 1, 15), None, (
        ChangeAckLine("1", "QD", 1, acks=(LineAck("IA", 1, "EA"),)),
        ChangeAckLine("2", "DI", None, acks=(LineAck("IA", None),)),
        ChangeAckLine("3", "QI", 5, acks=(LineAck("IR", 2, "EA"),))))
    assert change_answer(read) == (True, {1: True, 2: True, 3: False})


def test_golden_seller_initiated_change_on_005010():
    read = golden("865-5010-seller-change.edi")
    assert (read.purpose, read.seller_initiated, read.sequence, read.ship_date) == ("19", True, None,
                                                                                    date(2026, 1, 30))
    assert [(ln.line_number, ln.change_code, ln.quantity, ln.acks) for ln in read.lines] == [
        ("1", "QD", 1, (LineAck("IQ", 1, "EA"),)), ("2", "DI", None, (LineAck("ID", None),)),
        ("3", "CT", 3, (LineAck("DR", 3, "EA", date(2026, 2, 5)),))]


def test_the_viewer_names_every_part_of_an_865():
    from hub.edi.x12.annotated import annotate_x12
    shown = annotate_x12((GOLDEN / "865-4010-answer.edi").read_bytes())
    assert shown.problems == []
    named = {(e.position, e.name, e.meaning) for seg in shown.segments for e in seg.elements}
    assert {("ST01", "Transaction Set Identifier Code",
             "Purchase Order Change Acknowledgment/Request - Seller Initiated"),
            ("BCA02", "Acknowledgment Type", "Acknowledge - With Detail and Change"),
            ("BCA05", "Change Order Sequence Number", ""),
            ("POC02", "Change or Response Type Code", "Quantity Decrease"),
            ("ACK01", "Line Item Status Code", "Item Rejected")} <= named

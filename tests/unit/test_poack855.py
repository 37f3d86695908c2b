"""855 acknowledgments written in the tests, one rule each: header, lines, acks, dates, faults."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from hub.domain.documents import LineAck, PoAck, PoAckLine
from tests.unit.answer_builders import codes, parse

BAK = "BAK*00*AC*PO-1*20260105"


def ack(body: list[str], version: str = "004010") -> PoAck:
    """The PoAck of a written 855 that must parse without any problem."""
    parsed = parse("855", body, version)
    assert parsed.problems == [] and parsed.doc_type == "855"
    assert isinstance(parsed.document, PoAck)
    return parsed.document


def test_a_line_partly_accepted_and_partly_backordered():
    doc = ack([BAK, "PO1*1*10*EA*12.50**VP*V-1*BP*B-1", "ACK*IA*6*EA", "ACK*IB*4*EA*068*20260120"])
    assert doc == PoAck("PO-1", "AC", date(2026, 1, 5), (PoAckLine(
        "1", 10, Decimal("12.50"), "B-1", "V-1",
        (LineAck("IA", 6, "EA"), LineAck("IB", 4, "EA", date(2026, 1, 20)))),))


def test_a_line_without_ack_has_no_acks():
    doc = ack([BAK, "PO1*1*2*EA*3**VP*V-1", "SCH*2*EA***068*20260110", "PO1*2*1*EA"])
    assert [(ln.line_number, ln.acks) for ln in doc.lines] == [("1", ()), ("2", ())]


def test_an_ack_without_quantity_answers_the_whole_line():
    doc = ack([BAK, "PO1*1*2*EA", "ACK*IR"])
    assert doc.lines[0].acks == (LineAck("IR", None),)


def test_rejected_order_without_lines():
    doc = ack(["BAK*00*RJ*PO-7*20260105"])
    assert doc.rejected and doc.lines == () and doc.po_number == "PO-7"


def test_item_pairs_pick_the_best_qualifiers():
    doc = ack([BAK, "PO1*1*5*EA*10.00**IN*SKU-1*BP*PART-1*VN*VN-1*VP*VP-1*UP*012345678905"])
    line = doc.lines[0]
    assert (line.buyer_item, line.vendor_item) == ("PART-1", "VP-1")
    other = ack([BAK, "PO1*1*5*EA***SK*SKU-2*VA*STYLE-2"])
    assert (other.lines[0].buyer_item, other.lines[0].vendor_item) == ("SKU-2", "STYLE-2")


def test_reference_is_bak08_else_ref_vn():
    assert ack(["BAK*00*AC*PO-1*20260105****SO-8", "REF*VN*VN-9"]).reference == "SO-8"
    assert ack([BAK, "REF*CO*CUST-1", "REF*VN*VN-9"]).reference == "VN-9"
    assert ack([BAK, "REF*ZZ*NOTE"]).reference == ""


def test_whole_quantities_may_be_written_with_decimals():
    doc = ack([BAK, "PO1*1*5.0*EA", "ACK*IA*5.00*EA"])
    assert doc.lines[0].quantity == 5 and doc.lines[0].acks[0].quantity == 5


def test_yymmdd_dates_in_old_versions():
    doc = ack(["BAK*00*AC*PO-1*970105", "PO1*1*1*EA", "ACK*IA*1*EA*068*000110"],
              version="003060")
    assert doc.date == date(1997, 1, 5) and doc.lines[0].acks[0].date == date(2000, 1, 10)


def test_yymmdd_dates_in_004010_are_left_out_with_a_problem():
    parsed = parse("855", ["BAK*00*AC*PO-1*970105", "PO1*1*1*EA", "ACK*IA*1*EA*068*000110"])
    doc = parsed.document
    assert doc.date is None and doc.lines[0].acks[0] == LineAck("IA", 1, "EA")
    assert codes(parsed) == ["poack.bad_date", "poack.bad_date"]
    assert {p.segment_position for p in parsed.problems} == {4, 6}
    assert "ACK05 '000110'" in parsed.problems[0].message


def test_bad_po1_quantity_and_price_are_left_out_with_a_problem():
    parsed = parse("855", [BAK, "PO1*1*many*EA*cheap", "ACK*IA*3*EA"])
    line = parsed.document.lines[0]
    assert (line.quantity, line.unit_price, line.acks) == (None, None, (LineAck("IA", 3, "EA"),))
    assert codes(parsed) == ["poack.bad_quantity", "poack.bad_price"]


@pytest.mark.parametrize("body, code", [
    ([BAK, "PO1*1*3*EA", "ACK*IA*2.5*EA"], "poack.bad_quantity"),
    ([BAK, "PO1*1*3*EA", "ACK**3*EA"], "poack.missing_line_status"),
    (["N1*SU*SUPPLIER"], "poack.missing_bak"),
    (["BAK*00*AC**20260105"], "poack.missing_po_number"),
    (["BAK*00**PO-1*20260105"], "poack.missing_ack_type"),
    (["BAK*01*AC*PO-1*20260105"], "poack.withdrawn"),
    (["BAK*03*AC*PO-1*20260105"], "poack.withdrawn"),
    ([BAK, "PO1*1*3*EA", "ACK*IA", "PO1*1*3*EA", "ACK*IR"], "poack.duplicate_line"),
])
def test_what_cannot_be_applied_is_fatal(body, code):
    parsed = parse("855", body)
    assert parsed.document is None and codes(parsed) == [code]
    assert parsed.problems[0].segment_position is not None


def test_messages_name_the_order_the_line_and_the_segment():
    parsed = parse("855", [BAK, "PO1*7*3*EA", "ACK*IA*x*EA"])
    message = parsed.problems[0].message
    assert "purchase order PO-1" in message and "line 7" in message and "segment 6" in message
    withdrawn = parse("855", ["BAK*01*AC*PO-1*20260105"]).problems[0].message
    assert "cancellation (BAK01 01" in withdrawn


def test_an_ack_before_any_line_is_noted_and_skipped():
    parsed = parse("855", [BAK, "ACK*IA*1*EA", "PO1*1*1*EA"])
    assert parsed.document.lines == (PoAckLine("1", 1),)
    assert codes(parsed) == ["poack.out_of_place"]


def test_a_second_bak_is_noted_and_the_first_kept():
    parsed = parse("855", [BAK, "BAK*00*RJ*PO-2*20260105"])
    assert parsed.document.po_number == "PO-1" and parsed.document.ack_type == "AC"
    assert codes(parsed) == ["poack.repeated_segment"]


# -- where each problem points -----------------------------------------------------------------

@pytest.mark.parametrize("body, code, segment, named", [
    ([BAK, "BAK*00*RJ*PO-2*20260105"], "poack.repeated_segment", 5, "segment 5"),
    ([BAK, "PO1*7*many*EA"], "poack.bad_quantity", 5, "line 7 (PO1 at segment 5)"),
    ([BAK, "PO1*7*1*EA*cheap"], "poack.bad_price", 5, "line 7 (PO1 at segment 5)"),
    ([BAK, "ACK*IA*1*EA"], "poack.out_of_place", 5, "ACK at segment 5"),
    ([BAK, "PO1*7*1*EA", "ACK*IA*1*EA*068*2026"], "poack.bad_date", 6, "line 7 (ACK at segment 6)"),
    (["BAK*00*AC*PO-1*2026", "PO1*1*1*EA"], "poack.bad_date", 4, "BAK04 '2026' (segment 4)"),
])
def test_problems_kept_with_the_document_point_at_their_segment(body, code, segment, named):
    parsed = parse("855", body)
    assert parsed.document is not None and codes(parsed) == [code]
    assert parsed.problems[0].segment_position == segment
    assert named in parsed.problems[0].message and "PO-1" in parsed.problems[0].message


@pytest.mark.parametrize("body, code, segment, named", [
    ([BAK, "PO1*7*3*EA", "ACK**3*EA"], "poack.missing_line_status", 6, "line 7 (ACK at segment 6)"),
    ([BAK, "PO1*7*3*EA", "ACK*IA*x*EA"], "poack.bad_quantity", 6, "line 7 (ACK at segment 6)"),
    ([BAK, "PO1*7*3*EA", "ACK*IA", "PO1*7*3*EA", "ACK*IR"], "poack.duplicate_line", 7,
     "segments 5 and 7"),
    (["N1*SU*SUPPLIER"], "poack.missing_bak", 3, "ST02 0001"),
])
def test_fatal_problems_point_at_their_segment(body, code, segment, named):
    parsed = parse("855", body)
    assert parsed.document is None and codes(parsed) == [code]
    assert parsed.problems[0].segment_position == segment
    assert named in parsed.problems[0].message


def test_a_line_without_a_number_does_not_hide_a_duplicate_after_it():
    parsed = parse("855", [BAK, "PO1**1*EA", "ACK*IA", "PO1*2*1*EA", "ACK*IA", "PO1*2*1*EA",
                           "ACK*IR"])
    assert parsed.document is None and codes(parsed) == ["poack.duplicate_line"]
    assert "line 2" in parsed.problems[0].message


def test_without_a_po_number_the_set_is_named_by_its_control_number():
    parsed = parse("855", ["BAK*00*AC**20260105", "PO1*1*x*EA"])
    assert codes(parsed) == ["poack.bad_quantity", "poack.missing_po_number"]
    assert all("855 ST02 0001" in p.message for p in parsed.problems)


@pytest.mark.parametrize("version, forms", [("003060", "CCYYMMDD or YYMMDD"), ("004010", "(CCYYMMDD)")])
def test_a_bad_date_message_names_the_forms_the_version_allows(version, forms):
    parsed = parse("855", [BAK, "PO1*1*1*EA", "ACK*IA*1*EA*068*2026"], version=version)
    assert codes(parsed) == ["poack.bad_date"] and forms in parsed.problems[0].message

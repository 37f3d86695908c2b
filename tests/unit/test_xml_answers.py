"""Suppliers' XML answers: shipped answer mappings, the canonical answer reader, broken files."""

from __future__ import annotations

import functools
import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from hub.adapters.xml_answer_mapping_files import (answer_mapping_from_stylesheet,
                                                   load_answer_mapping)
from hub.adapters.xml_mapping_files import load_xml_mapping
from hub.domain.documents import (LineAck, ParsedDocument, PoAck, PoAckLine, ShipNotice,
                                  ShippedItem, ShippedOrder)
from hub.edi.xml.answers import (ANSWER_NAMESPACE, read_answer, read_supplier_answer,
                                 run_answer_mapping)
from hub.edi.xml.safe import parse_bytes
from hub.errors import MappingError

ROOT = Path(__file__).parent.parent.parent
MAPPINGS = ROOT / "mappings" / "xml"
XML_FIXTURES = ROOT / "tests" / "fixtures" / "xml"
ANSWERS = XML_FIXTURES / "answers"
CANARY = "canary-5be1-must-never-be-read"
EDT = timedelta(hours=-4)


@functools.cache
def shipped(name: str):
    """A mapping from mappings/xml/, loaded once (hypothesis dislikes function fixtures)."""
    return load_answer_mapping(MAPPINGS / name)


def cxml_confirmation():
    return shipped("cxml-confirmation-in.xsl")


def cxml_shipnotice():
    return shipped("cxml-shipnotice-in.xsl")


def custom():
    return shipped("custom-supplier-answers-in.xsl")


def fixture(name: str) -> bytes:
    return (ANSWERS / name).read_bytes()


def edited(data: bytes, path: str, **attributes: str | None) -> bytes:
    """The document with attributes of the elements at ``path`` set (None removes one)."""
    root = parse_bytes(data)
    for el in root.xpath(path):
        for name, value in attributes.items():
            if value is None:
                el.attrib.pop(name, None)
            else:
                el.set(name, value)
    return etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8")


def removed(data: bytes, path: str) -> bytes:
    """The document without the elements at ``path``."""
    root = parse_bytes(data)
    for el in root.xpath(path):
        el.getparent().remove(el)
    return etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8")


def only_problem(parsed: ParsedDocument, code: str) -> str:
    """The message of the single problem, which must have ``code``; the document must be None."""
    assert parsed.document is None
    assert [p.code for p in parsed.problems] == [code], parsed.problems
    return parsed.problems[0].message


# --- the shipped mappings ------------------------------------------------------------------

def test_shipped_answer_mappings_declare_what_they_read():
    assert cxml_confirmation().answers == ("confirmation",)
    assert cxml_confirmation().reads == (("cXML", "Request", "ConfirmationRequest"),)
    assert cxml_shipnotice().answers == ("ship-notice",)
    assert cxml_shipnotice().reads == (("cXML", "Request", "ShipNoticeRequest"),)
    assert custom().answers == ("confirmation", "ship-notice")
    assert custom().reads == (("OrderConfirmation",), ("DespatchAdvice",))
    assert custom().description.startswith("Supplier OrderConfirmation and DespatchAdvice 3.2")


def test_cxml_detail_confirmation_line_by_line():
    parsed = run_answer_mapping(cxml_confirmation(), fixture("cxml_ConfirmationRequest_detail.xml"))
    assert parsed.doc_type == "xml-confirmation" and parsed.problems == []
    ack = parsed.document
    assert (ack.po_number, ack.ack_type, ack.date, ack.reference) == (
        "PO-2025-0042", "AC", date(2025, 6, 11), "AC-SO-88123")
    assert not ack.rejected
    assert ack.lines == (
        PoAckLine("1", 3, None, "", "", (LineAck("IA", 3, "EA", date(2025, 6, 13)),)),
        PoAckLine("2", 2, None, "", "", (LineAck("IA", 1, "BX", date(2025, 6, 13)),
                                         LineAck("IB", 1, "BX", date(2025, 6, 30)))),
        PoAckLine("3", 1, None, "", "", (LineAck("IR", 1, "EA", None),)),
        PoAckLine("4", 4, Decimal("13.75"), "", "", (LineAck("IP", 4, "EA", None),)),
        PoAckLine("5", 2, Decimal("31.00"), "LAMP-GREEN", "AC-5005B",
                  (LineAck("IS", 2, "EA", None),)),
        PoAckLine("6", 1, None, "", "", (LineAck("DR", 1, "EA", date(2025, 7, 1)),)),
        PoAckLine("7", 5, None, "", "", ()),   # type="unknown": no answer yet
    )
    assert str(ack.lines[4].unit_price) == "31.00"


def test_cxml_accept_without_items():
    parsed = run_answer_mapping(cxml_confirmation(), fixture("cxml_ConfirmationRequest_accept.xml"))
    assert parsed.document == PoAck("PO-2025-0044", "AK", date(2025, 6, 11), (), "")
    assert parsed.problems == []


def test_cxml_reject_of_the_whole_order():
    parsed = run_answer_mapping(cxml_confirmation(), fixture("cxml_ConfirmationRequest_reject.xml"))
    assert parsed.document == PoAck("PO-2025-0045", "RJ", date(2025, 6, 11), (), "AC-REJ-0045")
    assert parsed.document.rejected


@pytest.mark.parametrize("header_type, ack_type", [
    ("accept", "AD"), ("allDetail", "AC"), ("except", "AE"), ("replace", "AC"),
    ("backordered", "AC"), ("reject", "RD")])
def test_cxml_header_types_with_items(header_type, ack_type):
    data = edited(fixture("cxml_ConfirmationRequest_detail.xml"),
                  "//ConfirmationHeader", type=header_type)
    parsed = run_answer_mapping(cxml_confirmation(), data)
    assert parsed.document.ack_type == ack_type
    assert len(parsed.document.lines) == 7


@pytest.mark.parametrize("header_type, words", [
    ("backordered", "whole order backordered"), ("requestToPay", "request for payment"),
    ("confirm", 'unknown ConfirmationHeader type "confirm"')])
def test_cxml_header_types_the_hub_cannot_use_stop_with_a_reason(header_type, words):
    data = edited(fixture("cxml_ConfirmationRequest_accept.xml"),
                  "//ConfirmationHeader", type=header_type)
    message = only_problem(run_answer_mapping(cxml_confirmation(), data), "answer.mapping_stopped")
    assert words in message and "cxml-confirmation-in.xsl" in message


@pytest.mark.parametrize("status_type, code", [("allDetail", "IA"), ("backordered", "IB")])
def test_cxml_status_types(status_type, code):
    data = edited(fixture("cxml_ConfirmationRequest_detail.xml"),
                  "//ConfirmationItem[@lineNumber='3']/ConfirmationStatus", type=status_type)
    line = run_answer_mapping(cxml_confirmation(), data).document.lines[2]
    assert line.acks == (LineAck(code, 1, "EA", None),)


def test_cxml_detail_with_price_and_date_is_a_change():
    data = edited(fixture("cxml_ConfirmationRequest_detail.xml"),
                  "//ConfirmationItem[@lineNumber='4']/ConfirmationStatus",
                  shipmentDate="2025-06-20T09:00:00-04:00")
    line = run_answer_mapping(cxml_confirmation(), data).document.lines[3]
    assert line.acks == (LineAck("IC", 4, "EA", date(2025, 6, 20)),)


def test_cxml_unknown_status_type_names_the_line():
    data = edited(fixture("cxml_ConfirmationRequest_detail.xml"),
                  "//ConfirmationItem[@lineNumber='6']/ConfirmationStatus", type="shipped")
    message = only_problem(run_answer_mapping(cxml_confirmation(), data), "answer.mapping_stopped")
    assert 'line 6: unknown ConfirmationStatus type "shipped"' in message


def test_cxml_ship_notice_published_sample():
    data = (XML_FIXTURES / "cxml_ShipNoticeRequest_cxmlphp_samples.xml").read_bytes()
    parsed = run_answer_mapping(cxml_shipnotice(), data)
    assert parsed.doc_type == "xml-shipnotice" and parsed.problems == []
    notice = parsed.document
    assert notice == ShipNotice(
        shipment_id="S2-123", date=date(2000, 10, 14),
        shipped_at=datetime(2000, 10, 14, 8, 30, 19, tzinfo=notice.shipped_at.tzinfo),
        expected_delivery=date(2000, 10, 18), carrier="FDE", service="",
        tracking_numbers=("8202 8261 1194",), bill_of_lading="", pro_number="",
        orders=(ShippedOrder("DO1234", ()),), purpose="00")
    assert notice.shipped_at.utcoffset() == timedelta(hours=-8)


def test_cxml_ship_notice_with_two_orders_items_and_cartons():
    parsed = run_answer_mapping(cxml_shipnotice(), fixture("cxml_ShipNoticeRequest_two-orders.xml"))
    notice = parsed.document
    assert (notice.shipment_id, notice.purpose, notice.date, notice.expected_delivery) == (
        "ASN-2025-0613-7", "00", date(2025, 6, 13), date(2025, 6, 17))
    assert notice.shipped_at.replace(tzinfo=None) == datetime(2025, 6, 13, 15, 5)
    assert notice.shipped_at.utcoffset() == EDT
    assert (notice.carrier, notice.service) == ("UPSN", "Ground")   # the SCAC, not the name
    assert notice.tracking_numbers == ("1Z999AA10123456784", "1Z999AA10123456795")
    assert (notice.bill_of_lading, notice.pro_number) == ("BOL-778812", "")
    assert notice.orders == (
        ShippedOrder("PO-2025-0042", (
            ShippedItem("1", "MUG-BLUE", "AC-1001", "", 3, "EA", ("003456789012345670",)),
            ShippedItem("2", "", "AC-2002", "", 1, "BX", ("003456789012345687",)))),
        ShippedOrder("PO-2025-0043", ()),   # no ShipNoticeItem: the whole order
    )


@pytest.mark.parametrize("operation, purpose", [("update", "05"), ("delete", "01")])
def test_cxml_ship_notice_operation_is_the_purpose(operation, purpose):
    data = edited(fixture("cxml_ShipNoticeRequest_two-orders.xml"), "//ShipNoticeHeader",
                  operation=operation)
    assert run_answer_mapping(cxml_shipnotice(), data).document.purpose == purpose


def test_cxml_carrier_without_scac_falls_back_to_the_first_identifier():
    data = removed(fixture("cxml_ShipNoticeRequest_two-orders.xml"),
                   "//CarrierIdentifier[@domain='SCAC']")
    assert run_answer_mapping(cxml_shipnotice(), data).document.carrier == "United Parcel Service"


def test_custom_order_confirmation():
    parsed = run_answer_mapping(custom(), fixture("custom_OrderConfirmation_3.2.xml"))
    assert parsed.doc_type == "xml-confirmation" and parsed.problems == []
    assert parsed.document == PoAck(
        po_number="PO-2025-0042", ack_type="AC", date=date(2025, 6, 11), reference="SO-88123",
        lines=(
            PoAckLine("1", 3, Decimal("12.50"), "MUG-BLUE", "AC-1001",
                      (LineAck("IA", 3, "EA", date(2025, 6, 16)),)),
            PoAckLine("2", 2, Decimal("24.05"), "", "AC-2002",
                      (LineAck("IA", 1, "BX", date(2025, 6, 16)),
                       LineAck("IB", 1, "BX", date(2025, 6, 30)))),
            PoAckLine("3", 4, Decimal("9.90"), "BOWL-RED", "AC-3003",
                      (LineAck("IR", 4, "EA", None),)),
        ))


def test_custom_rejection_without_lines():
    parsed = run_answer_mapping(custom(), fixture("custom_OrderConfirmation_3.2_rejected.xml"))
    assert parsed.document == PoAck("PO-2025-0043", "RJ", date(2025, 6, 12), (), "SO-88140")
    assert parsed.document.rejected


def test_custom_despatch_advice():
    parsed = run_answer_mapping(custom(), fixture("custom_DespatchAdvice_3.2.xml"))
    assert parsed.doc_type == "xml-shipnotice" and parsed.problems == []
    notice = parsed.document
    assert notice == ShipNotice(
        shipment_id="DN-40981", date=date(2025, 6, 16), shipped_at=datetime(2025, 6, 16, 15, 30),
        expected_delivery=date(2025, 6, 18), carrier="UPSN", service="GND",
        tracking_numbers=("1Z999AA10123456784", "1Z999AA10123456795"),
        bill_of_lading="BOL-55102", pro_number="", purpose="00",
        orders=(ShippedOrder("PO-2025-0042", (
            ShippedItem("1", "MUG-BLUE", "AC-1001", "", 3, "EA", ("003456789012345670",)),
            ShippedItem("2", "", "AC-2002", "", 1, "BX", ("003456789012345687",)))),))
    assert notice.shipped_at.tzinfo is None   # the supplier's local time, as written


@pytest.mark.parametrize("answer, ack_type", [("ACC", "AD"), ("REJ", "RD")])
def test_custom_answer_codes_with_lines(answer, ack_type):
    data = edited(fixture("custom_OrderConfirmation_3.2.xml"), "//Answer", code=answer)
    assert run_answer_mapping(custom(), data).document.ack_type == ack_type


def test_custom_acceptance_without_lines():
    data = edited(fixture("custom_OrderConfirmation_3.2_rejected.xml"), "//Answer", code="ACC")
    assert run_answer_mapping(custom(), data).document.ack_type == "AK"


@pytest.mark.parametrize("status, code", [("QC", "IQ"), ("PC", "IP"), ("DC", "DR"),
                                          ("SB", "IS")])
def test_custom_status_codes(status, code):
    data = edited(fixture("custom_OrderConfirmation_3.2.xml"), "//Line[@no='1']/Status",
                  code=status)
    acks = run_answer_mapping(custom(), data).document.lines[0].acks
    assert acks == (LineAck(code, 3, "EA", date(2025, 6, 16)),)


@pytest.mark.parametrize("purpose, code", [("REP", "05"), ("CAN", "01"), (None, "00")])
def test_custom_despatch_purpose(purpose, code):
    data = edited(fixture("custom_DespatchAdvice_3.2.xml"), "//DespatchNo", purpose=purpose)
    assert run_answer_mapping(custom(), data).document.purpose == code


@pytest.mark.parametrize("path, attributes, words", [
    ("/OrderConfirmation", {"version": "3.3"}, 'OrderConfirmation version "3.3" is not 3.2'),
    ("/OrderConfirmation", {"version": None}, 'OrderConfirmation version "" is not 3.2'),
    ("//Answer", {"code": "OK"}, 'unknown OrderConfirmation Answer code "OK"'),
    ("//Line[@no='2']/Status[1]", {"code": "XX"}, 'Line 2: unknown Status code "XX"'),
    ("//Line[@no='3']/Status", {"ship": "1/7/2025"},
     'Line 3 Status ship "1/7/2025" is not a DD/MM/YYYY date'),
    ("//Lines", {"count": "4"}, 'Lines count="4" but the file holds 3 lines'),
])
def test_custom_confirmation_stops_with_the_layouts_words(path, attributes, words):
    data = edited(fixture("custom_OrderConfirmation_3.2.xml"), path, **attributes)
    parsed = run_answer_mapping(custom(), data)
    assert words in only_problem(parsed, "answer.mapping_stopped")
    assert parsed.doc_type == "xml-confirmation"   # what the sample of this layout produced


def test_custom_despatch_cut_short_is_caught_by_the_totals():
    data = removed(fixture("custom_DespatchAdvice_3.2.xml"), "//Line[@no='2']")
    message = only_problem(run_answer_mapping(custom(), data), "answer.mapping_stopped")
    assert ("Totals say 2 lines and 4 units but the file holds 1 lines and 3 units" in message)


def test_custom_impossible_date_is_reported_by_the_reader():
    root = parse_bytes(fixture("custom_OrderConfirmation_3.2.xml"))
    root.find("Header/ConfirmationDate").text = "31/02/2025"
    parsed = run_answer_mapping(custom(), etree.tostring(root))
    message = only_problem(parsed, "answer.bad_date")
    assert message == ("confirmation of purchase order PO-2025-0042: the confirmation date "
                       "'2025-02-31' is not a calendar date written CCYY-MM-DD")


def test_custom_non_numeric_quantity_names_the_line():
    data = edited(fixture("custom_OrderConfirmation_3.2.xml"), "//Line[@no='2']/Status[2]",
                  qty="one")
    message = only_problem(run_answer_mapping(custom(), data), "answer.bad_quantity")
    assert message == ("confirmation of purchase order PO-2025-0042, line 2: the IB quantity "
                       "'one' is not a whole number of units")


# --- missing PO numbers ------------------------------------------------------------------

def test_cxml_confirmation_without_order_id_is_refused_naming_the_po_number():
    data = edited(fixture("cxml_ConfirmationRequest_detail.xml"), "//OrderReference",
                  orderID=None)
    message = only_problem(run_answer_mapping(cxml_confirmation(), data), "answer.missing_field")
    assert message == "the confirmation: the purchase order number is missing (po-number)"


def test_ship_notice_order_without_order_id_is_refused_naming_the_po_number():
    data = edited(fixture("cxml_ShipNoticeRequest_two-orders.xml"),
                  "//ShipNoticePortion[2]/OrderReference", orderID="")
    message = only_problem(run_answer_mapping(cxml_shipnotice(), data), "answer.missing_field")
    assert message == ("ship notice ASN-2025-0613-7, an order: the purchase order number is "
                       "missing (po-number)")


def test_custom_confirmation_with_blank_order_number():
    root = parse_bytes(fixture("custom_OrderConfirmation_3.2.xml"))
    root.find("Header/OrderNo").text = "   "
    parsed = run_answer_mapping(custom(), etree.tostring(root))
    assert "purchase order number is missing" in only_problem(parsed, "answer.missing_field")


# --- unusable supplier documents -----------------------------------------------------------

def test_document_that_is_not_well_formed_is_a_problem_with_its_line():
    data = fixture("custom_DespatchAdvice_3.2.xml").replace(b"</Order>", b"</Ordre>")
    message = only_problem(run_answer_mapping(custom(), data), "xml.malformed")
    assert message.startswith("XML is not well-formed: line 24:")


@pytest.mark.parametrize("data", [b"", b"not xml at all", b"<OrderConfirmation version='3.2'"])
def test_empty_or_garbage_bytes_are_a_problem(data):
    parsed = run_answer_mapping(custom(), data)
    assert parsed.doc_type == "xml-answer"   # the mapping answers both types
    only_problem(parsed, "xml.malformed")


def test_external_entity_is_refused_and_never_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text(CANARY)
    data = (f'<?xml version="1.0"?>\n<!DOCTYPE OrderConfirmation [\n'
            f'  <!ENTITY xxe SYSTEM "{secret.as_uri()}">\n]>\n'
            '<OrderConfirmation version="3.2"><Header><OrderNo>&xxe;</OrderNo></Header>'
            '</OrderConfirmation>').encode()
    parsed = run_answer_mapping(custom(), data)
    message = only_problem(parsed, "xml.unsafe")
    assert "entit" in message and CANARY not in message


def test_entity_expansion_is_refused():
    levels = b"".join(b' <!ENTITY a%d "%s">\n' % (i, (b"&a%d;" % (i - 1) if i > 1 else b"&a;") * 10)
                      for i in range(1, 9))
    data = (b'<?xml version="1.0"?>\n<!DOCTYPE OrderConfirmation [\n <!ENTITY a "aaaaaaaaaa">\n'
            + levels
            + b']>\n<OrderConfirmation version="3.2"><Header><OrderNo>&a8;</OrderNo></Header>'
              b'</OrderConfirmation>')
    only_problem(run_answer_mapping(custom(), data), "xml.unsafe")


def test_cxml_doctype_naming_its_dtd_is_accepted_without_fetching_it():
    data = fixture("cxml_ConfirmationRequest_accept.xml")
    assert b'<!DOCTYPE cXML SYSTEM "http://xml.cxml.org/' in data
    assert run_answer_mapping(cxml_confirmation(), data).problems == []


def test_document_the_mapping_does_not_read():
    data = (XML_FIXTURES / "cxml_OrderRequest_cxmlphp_samples.xml").read_bytes()
    message = only_problem(run_answer_mapping(cxml_confirmation(), data),
                           "answer.unexpected_document")
    assert message.startswith("the document starts cXML/Header/From, but mapping ")
    assert "reads only cXML/Request/ConfirmationRequest" in message


def test_partner_mappings_are_picked_by_the_document_they_read():
    mappings = [cxml_confirmation(), cxml_shipnotice(), custom()]
    confirmation = read_supplier_answer(mappings, fixture("cxml_ConfirmationRequest_accept.xml"))
    notice = read_supplier_answer(mappings, fixture("cxml_ShipNoticeRequest_two-orders.xml"))
    despatch = read_supplier_answer(mappings, fixture("custom_DespatchAdvice_3.2.xml"))
    assert confirmation.document.po_number == "PO-2025-0044"
    assert notice.document.shipment_id == "ASN-2025-0613-7"
    assert despatch.document.shipment_id == "DN-40981"


def test_document_no_partner_mapping_reads():
    data = (XML_FIXTURES / "ubl_OrderResponse-2.1-Example.xml").read_bytes()
    parsed = read_supplier_answer([cxml_confirmation(), custom()], data)
    message = only_problem(parsed, "answer.no_mapping")
    assert message.startswith("no answer mapping of this partner reads a document starting "
                              "OrderResponse/UBLVersionID")
    assert "custom-supplier-answers-in.xsl reads OrderConfirmation, DespatchAdvice" in message


def test_mapping_that_produces_nothing_for_a_document_it_reads():
    doc = parse_bytes(mapping_text().replace(b'reads="Ack"', b'reads="Ack Other"'))
    mapping = answer_mapping_from_stylesheet(doc, "test-in.xsl")
    message = only_problem(run_answer_mapping(mapping, b"<Other/>"), "answer.mapping_empty")
    assert message == "mapping test-in.xsl produced nothing from this document"


# --- the canonical answer reader ------------------------------------------------------------

def canonical(kind: str, body: str, root_attributes: str = 'version="1"') -> etree._Element:
    """A canonical answer written by hand."""
    return parse_bytes(f'<answer xmlns="{ANSWER_NAMESPACE}" type="{kind}" {root_attributes}>'
                       f"{body}</answer>".encode())


CONFIRMATION = ("<po-number>PO-9</po-number><ack-type>AC</ack-type>"
                "<line><line-number>1</line-number><quantity>{qty}</quantity>"
                "<unit-price>{price}</unit-price><ack><code>{code}</code></ack></line>")
SHIP_NOTICE = ("<shipment-id>SH-1</shipment-id><shipped-at>{at}</shipped-at>"
               "<order><po-number>PO-9</po-number>"
               "<item><line-number>1</line-number><quantity>{qty}</quantity></item></order>")


def test_reader_accepts_empty_optional_fields_and_whole_decimals():
    body = CONFIRMATION.format(qty=" 3.0 ", price="", code="IA") + "<date/><reference> </reference>"
    parsed = read_answer(canonical("confirmation", body))
    assert parsed.document == PoAck("PO-9", "AC", None, (
        PoAckLine("1", 3, None, "", "", (LineAck("IA", None, "", None),)),), "")


def test_reader_collects_every_problem_of_a_confirmation():
    body = CONFIRMATION.format(qty="two", price="1,50", code="XX").replace("AC", "OK", 1)
    parsed = read_answer(canonical("confirmation", body + "<date>2025-6-1</date>"))
    assert parsed.document is None
    assert [(p.code, p.message) for p in parsed.problems] == [
        ("answer.unknown_code", "confirmation of purchase order PO-9: the acknowledgment type "
         "'OK' is not a code the hub knows (AC, AD, AE, AK, AP, AT, RD, RF, RJ, RO)"),
        ("answer.unknown_code", "confirmation of purchase order PO-9, line 1: the line status "
         "code 'XX' is not a code the hub knows (AC, AR, BP, DR, IA, IB, IC, ID, IE, IF, IH, "
         "IP, IQ, IR, IS, IW, R1, R2, R3, R4, R5, R6, R7, R8, SP)"),
        ("answer.bad_quantity", "confirmation of purchase order PO-9, line 1: the quantity "
         "'two' is not a whole number of units"),
        ("answer.bad_amount", "confirmation of purchase order PO-9, line 1: the unit price "
         "'1,50' is not an amount such as 12.50"),
        ("answer.bad_date", "confirmation of purchase order PO-9: the confirmation date "
         "'2025-6-1' is not a calendar date written CCYY-MM-DD"),
    ]


@pytest.mark.parametrize("qty", ["2.5", "-1", "1e3", "+3", "٣", "1234567890"])
def test_reader_refuses_quantities_that_are_not_whole_units(qty):
    parsed = read_answer(canonical("ship-notice", SHIP_NOTICE.format(at="", qty=qty)))
    message = only_problem(parsed, "answer.bad_quantity")
    assert message.startswith("ship notice SH-1, purchase order PO-9, item 1: the shipped "
                              "quantity ")


def test_reader_requires_a_shipped_quantity():
    parsed = read_answer(canonical("ship-notice", SHIP_NOTICE.format(at="", qty="")))
    assert only_problem(parsed, "answer.missing_field") == (
        "ship notice SH-1, purchase order PO-9, item 1: the shipped quantity is missing "
        "(quantity)")


@pytest.mark.parametrize("text, expected, offset", [
    ("2025-06-16", datetime(2025, 6, 16), None),
    ("2025-06-16T15:30", datetime(2025, 6, 16, 15, 30), None),
    ("2025-06-16T15:30:05Z", datetime(2025, 6, 16, 15, 30, 5), timedelta(0)),
    ("2025-06-16T15:30:05+0100", datetime(2025, 6, 16, 15, 30, 5), timedelta(hours=1)),
])
def test_reader_ship_times(text, expected, offset):
    notice = read_answer(canonical("ship-notice", SHIP_NOTICE.format(at=text, qty="1"))).document
    assert notice.shipped_at.replace(tzinfo=None) == expected
    assert notice.shipped_at.utcoffset() == offset


@pytest.mark.parametrize("text", ["16/06/2025", "2025-06-16 15:30", "2025-13-01T00:00",
                                  "2025-06-16T25:00"])
def test_reader_refuses_ship_times_it_cannot_read(text):
    parsed = read_answer(canonical("ship-notice", SHIP_NOTICE.format(at=text, qty="1")))
    assert "is not a date and time written" in only_problem(parsed, "answer.bad_date")


def test_reader_refuses_unknown_and_repeated_elements_and_markup_in_fields():
    body = (SHIP_NOTICE.format(at="", qty="1") + "<carier>UPSN</carier><service>A</service>"
            "<service>B</service>").replace("<shipment-id>SH-1", "<shipment-id><b>SH</b>1")
    parsed = read_answer(canonical("ship-notice", body))
    assert [(p.code, p.message) for p in parsed.problems] == [
        ("answer.unknown_element", "the ship notice: the mapping wrote an element <carier> the "
         "canonical answer does not have (expected shipment-id, purpose, date, shipped-at, "
         "expected-delivery, carrier, service, tracking-number, bill-of-lading, pro-number, "
         "order)"),
        ("answer.repeated_element", "the ship notice: <service> appears more than once"),
        ("answer.not_text", "the ship notice: <shipment-id> must hold text, not elements"),
        ("answer.missing_field", "the ship notice: the shipment number is missing "
         "(shipment-id)"),
    ]


def test_reader_ship_notice_needs_an_order_and_item_identifiers():
    body = ("<shipment-id>SH-2</shipment-id><purpose>07</purpose>"
            "<tracking-number>1Z</tracking-number><tracking-number>1Z</tracking-number>")
    parsed = read_answer(canonical("ship-notice", body))
    assert [p.code for p in parsed.problems] == ["answer.unknown_code", "answer.missing_field"]
    assert parsed.problems[1].message == "ship notice SH-2: no purchase order is named (order)"
    body = ("<shipment-id>SH-3</shipment-id><order><po-number>PO-9</po-number>"
            "<item><quantity>2</quantity><uom>EA</uom></item></order>")
    message = only_problem(read_answer(canonical("ship-notice", body)), "answer.missing_field")
    assert message == ("ship notice SH-3, purchase order PO-9, item 1: names neither a line "
                       "number nor an item number (line-number, buyer-item, vendor-item or upc)")


def test_reader_tracking_numbers_count_once_and_marks_keep_order():
    body = ("<shipment-id>SH-4</shipment-id><tracking-number>1Z2</tracking-number>"
            "<tracking-number>1Z1</tracking-number><tracking-number>1Z2</tracking-number>"
            "<order><po-number>PO-9</po-number><item><upc>012345678905</upc>"
            "<quantity>1</quantity><mark>2</mark><mark>1</mark></item></order>")
    notice = read_answer(canonical("ship-notice", body)).document
    assert notice.tracking_numbers == ("1Z2", "1Z1")
    assert notice.orders[0].items == (ShippedItem("", "", "", "012345678905", 1, "", ("2", "1")),)


def test_reader_refuses_a_line_answered_twice():
    line = "<line><line-number>2</line-number></line>"
    body = "<po-number>PO-9</po-number><ack-type>AK</ack-type>" + line * 2
    message = only_problem(read_answer(canonical("confirmation", body)), "answer.duplicate_line")
    assert message == "confirmation of purchase order PO-9: line 2 is answered more than once"


def test_reader_refuses_other_roots_types_and_versions():
    wrong_ns = parse_bytes(b'<answer type="confirmation"><po-number>1</po-number></answer>')
    assert "not an <answer> element in the namespace urn:edihub:answer:1" in only_problem(
        read_answer(wrong_ns), "answer.not_canonical")
    assert only_problem(read_answer(canonical("invoice", "")), "answer.unknown_type") == (
        "the answer's type is 'invoice'; expected 'confirmation' or 'ship-notice'")
    ship = canonical("ship-notice", SHIP_NOTICE.format(at="", qty="1"))
    assert "expected 'confirmation'" in only_problem(read_answer(ship, ("confirmation",)),
                                                     "answer.unknown_type")
    assert only_problem(read_answer(canonical("confirmation", "", 'version="2"')),
                        "answer.unknown_version") == (
        "the answer's version is '2'; the hub reads version 1")


# --- broken mapping files ------------------------------------------------------------------

MAPPING_LINES = [
    '<?xml version="1.0" encoding="UTF-8"?>',                          # 1
    '<xsl:stylesheet version="1.0"',                                   # 2
    '    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"',            # 3
    '    xmlns="urn:edihub:answer:1"',                                 # 4
    '    xmlns:edihub="urn:edihub:mapping:1"',                         # 5
    '    exclude-result-prefixes="edihub">',                           # 6
    '  <edihub:answer-mapping answers="confirmation" reads="Ack"/>',   # 7
    '  <xsl:output method="xml" encoding="UTF-8"/>',                   # 8
    '  <xsl:template match="/Ack">',                                   # 9
    '    <answer type="confirmation" version="1">',                    # 10
    '      <po-number><xsl:value-of select="@po"/></po-number>',       # 11
    '      <ack-type>AK</ack-type>',                                   # 12
    '    </answer>',                                                   # 13
    '  </xsl:template>',                                               # 14
    '  <edihub:sample><Ack xmlns="" po="PO-1"/></edihub:sample>',      # 15
    '</xsl:stylesheet>',                                               # 16
]


def mapping_text(**lines: str) -> bytes:
    """The small mapping above with some lines replaced (keyword ``l7`` is line 7)."""
    text = list(MAPPING_LINES)
    for key, value in lines.items():
        text[int(key[1:]) - 1] = value
    return "\n".join(text).encode()


def load(tmp_path: Path, **lines: str):
    path = tmp_path / "test-in.xsl"
    path.write_bytes(mapping_text(**lines))
    return load_answer_mapping(path)


def test_small_mapping_loads_and_reads(tmp_path):
    mapping = load(tmp_path)
    parsed = run_answer_mapping(mapping, b'<Ack po="PO-7"/>')
    assert parsed.document == PoAck("PO-7", "AK")


@pytest.mark.parametrize("lines, where, words", [
    ({"l13": "    </answr>"}, "line 13", "not well-formed XML"),
    ({"l11": '      <po-number><xsl:value-of select="@po["/></po-number>'}, "line 11",
     "@po["),
    ({"l12": "      <ack-type><xsl:valueof select=\"'AK'\"/></ack-type>"}, "line 12",
     "valueof"),
    ({"l7": '  <edihub:answer-mapping answers="confirmation shipnotice" reads="Ack"/>'},
     "line 7", "answers names an unknown answer type 'shipnotice' (known: confirmation, "
     "ship-notice)"),
    ({"l7": '  <edihub:answer-mapping answers="confirmation" reads="Ack" require="x"/>'},
     "line 7", "unknown attribute 'require'"),
    ({"l7": '  <edihub:answer-mapping answers="confirmation" reads="Ack//Item"/>'},
     "line 7", "reads has 'Ack//Item', which is not a path of element names"),
    ({"l7": '  <edihub:answer-mapping answers="confirmation"/>'}, "line 7",
     "needs reads=\"...\""),
    # libxml2 gives an element the line where its start tag ends.
    ({"l7": ""}, "line 6", "needs exactly one top-level <edihub:answer-mapping"),
    ({"l8": '  <xsl:output method="text"/>'}, "line 8", "method must be \"xml\""),
    ({"l8": '  <xsl:include href="other.xsl"/>'}, "line 8", "a mapping is one file"),
    ({"l15": '  <edihub:sample><Ack xmlns="" po=""/></edihub:sample>'}, "line 15",
     "does not read cleanly: the confirmation: the purchase order number is missing"),
    ({"l15": '  <edihub:sample><Other xmlns=""/></edihub:sample>'}, "line 15",
     "starts Other, which is not a path listed in reads"),
    ({"l15": '  <edihub:sample><Ack po="PO-1"/></edihub:sample>'}, "line 15",
     "write xmlns=\"\""),
    ({"l15": '  <edihub:sample><Ack xmlns="" po="1"/><Ack xmlns="" po="2"/></edihub:sample>'},
     "line 15", "exactly one supplier document"),
    ({"l15": ""}, "line 7", "add an <edihub:sample> holding a supplier document Ack"),
    ({"l7": '  <edihub:answer-mapping answers="confirmation ship-notice" reads="Ack"/>'},
     "line 7", "no <edihub:sample> produces a ship-notice answer"),
])
def test_broken_mapping_names_file_and_line(tmp_path, lines, where, words):
    with pytest.raises(MappingError) as caught:
        load(tmp_path, **lines)
    assert caught.value.path == str(tmp_path / "test-in.xsl")
    assert caught.value.where == where
    assert words in caught.value.problem


def test_root_that_is_not_a_stylesheet(tmp_path):
    path = tmp_path / "notes.xsl"
    path.write_bytes(b"<?xml version='1.0'?>\n\n<notes/>")
    with pytest.raises(MappingError, match=r"notes.xsl: line 3: the root element is not "
                                           r"xsl:stylesheet"):
        load_answer_mapping(path)


def test_purchase_order_mapping_given_as_answer_mapping_says_so():
    with pytest.raises(MappingError, match="it is a purchase-order mapping"):
        load_answer_mapping(MAPPINGS / "custom-supplier.xsl")


def test_answer_mapping_given_as_purchase_order_mapping_is_refused():
    with pytest.raises(MappingError, match="exactly one top-level <edihub:mapping"):
        load_xml_mapping(MAPPINGS / "custom-supplier-answers-in.xsl")


def test_missing_mapping_file(tmp_path):
    with pytest.raises(MappingError, match="cannot read the mapping file") as caught:
        load_answer_mapping(tmp_path / "absent.xsl")
    assert caught.value.where == ""


def test_mapping_with_entities_is_refused(tmp_path):
    path = tmp_path / "evil-in.xsl"
    path.write_bytes(b'<!DOCTYPE x [<!ENTITY e "x">]>\n' + mapping_text(l1=""))
    with pytest.raises(MappingError, match="entit"):
        load_answer_mapping(path)


def test_readme_skeleton_is_a_working_mapping(tmp_path):
    text = (MAPPINGS / "README-answers.md").read_text(encoding="utf-8")
    skeleton = re.search(r"## Writing an answer mapping\n\n```xml\n(.*?)```", text, re.S).group(1)
    path = tmp_path / "acme-in.xsl"
    path.write_text(skeleton, encoding="utf-8")
    mapping = load_answer_mapping(path)
    assert run_answer_mapping(mapping, b'<OrderAck po="PO-3" status="N"/>').document == PoAck(
        "PO-3", "RJ")
    message = only_problem(run_answer_mapping(mapping, b'<OrderAck po="PO-3" status="?"/>'),
                           "answer.mapping_stopped")
    assert message.endswith('unknown OrderAck status "?"')


# --- arbitrary supplier text ---------------------------------------------------------------

_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
any_text = st.text(st.characters(codec="utf-8"), max_size=30).map(lambda s: _XML_CHAR.sub("", s))
SUPPLIER_DOCUMENTS = [
    ("custom-supplier-answers-in.xsl", ANSWERS / "custom_OrderConfirmation_3.2.xml"),
    ("custom-supplier-answers-in.xsl", ANSWERS / "custom_DespatchAdvice_3.2.xml"),
    ("cxml-confirmation-in.xsl", ANSWERS / "cxml_ConfirmationRequest_detail.xml"),
    ("cxml-shipnotice-in.xsl", ANSWERS / "cxml_ShipNoticeRequest_two-orders.xml"),
]


def assert_well_formed_result(parsed: ParsedDocument) -> None:
    """Either a document and no problems, or no document and problems with messages."""
    assert isinstance(parsed, ParsedDocument)
    assert (parsed.document is None) == bool(parsed.problems)
    assert parsed.doc_type in ("xml-confirmation", "xml-shipnotice")
    for problem in parsed.problems:
        assert problem.code and problem.message.strip()


@settings(max_examples=150, deadline=None)
@given(which=st.sampled_from(range(len(SUPPLIER_DOCUMENTS))), data=st.data())
def test_arbitrary_text_in_supplier_documents_never_crashes(which, data):
    name, path = SUPPLIER_DOCUMENTS[which]
    root = parse_bytes(path.read_bytes())
    elements = list(root.iter(etree.Element))
    for _ in range(data.draw(st.integers(1, 4))):
        el = data.draw(st.sampled_from(elements))
        text = data.draw(any_text)
        attribute = data.draw(st.sampled_from([None, *el.attrib]))
        if attribute is None:
            if not len(el):
                el.text = text
        else:
            el.set(attribute, text)
    parsed = run_answer_mapping(shipped(name), etree.tostring(root.getroottree(),
                                                              encoding="UTF-8"))
    assert_well_formed_result(parsed)


@settings(max_examples=100, deadline=None)
@given(order_no=any_text)
def test_any_order_number_text_is_kept_or_reported(order_no):
    root = parse_bytes(fixture("custom_OrderConfirmation_3.2.xml"))
    root.find("Header/OrderNo").text = order_no
    parsed = run_answer_mapping(custom(), etree.tostring(root, encoding="UTF-8"))
    if order_no.strip():
        assert parsed.document.po_number == order_no.strip()
    else:
        assert "purchase order number is missing" in only_problem(parsed, "answer.missing_field")


@settings(max_examples=100, deadline=None)
@given(values=st.lists(any_text, min_size=6, max_size=6))
def test_arbitrary_canonical_field_text_never_crashes_the_reader(values):
    root = canonical("ship-notice", "<shipment-id/><date/><shipped-at/><order><po-number/>"
                                    "<item><line-number/><quantity/></item></order>")
    fields = [el for el in root.iter(etree.Element) if not len(el)]
    for el, value in zip(fields, values):
        el.text = value
    assert_well_formed_result(read_answer(root))

"""Purchase-order changes for XML suppliers: the canonical change, and the shipped cXML
OrderRequest update/delete mapping (values worked out by hand from the contexts below)."""

from __future__ import annotations

import pytest
from lxml import etree

from hub.edi.context import LINE_FIELDS, PoContext
from hub.edi.xml.po import (CHANGE, PO_NAMESPACE, XmlRenderer, canonical_po_xml, sample_change_context)
from hub.edi.xml.safe import parse_bytes
from hub.errors import MappingError
from tests.unit.test_xml_po import (FIXTURES, MAPPINGS, NOW, NUMBERS, SECRET, _paths, context, cxml_partner,
                                   shipped)

NS = {"po": PO_NAMESPACE}


def change_context(purpose: str = "04") -> PoContext:
    """The two-line PO of test_xml_po changed: line 1 from 3 to 1 mug, line 2 (2 boxes) deleted,
    a new delivery date; or (purpose 01) both lines deleted."""
    base = context()
    header = {**base.header, "po.line_count": "1", "po.quantity_total": "1", "po.cost_total": "12.5",
              "change.id": "CH-3", "change.purpose": purpose, "change.sequence": "2",
              "change.date": "20250612", "change.time": "0800", "change.date_iso": "2025-06-12T08:00:00Z",
              "change.delivery_date": "20250620", "change.delivery_date_iso": "2025-06-20",
              "change.ship_to_changed": "", "change.line_count": "2",
              "change.previous_document_id": "000000041", "change.reason": ""}
    first, second = base.lines
    lines = [{**{k: v for k, v in first.items() if k != "line.extended_cost"}, "line.change_code": "QD",
              "line.quantity": "1", "line.quantity_left": "1", "line.previous_quantity": "3",
              "line.quantity_change": "2"},
             {**{k: v for k, v in second.items() if k != "line.extended_cost"}, "line.change_code": "DI",
              "line.quantity": "", "line.quantity_left": "", "line.previous_quantity": "2",
              "line.quantity_change": "2"}]
    items = [] if purpose == "01" else [{**first, "line.quantity": "1", "line.extended_cost": "12.5"}]
    return PoContext(base.po_number, base.partner_id, header, lines, items)


def render(ctx: PoContext):
    renderer = XmlRenderer(cxml_partner(), shipped("cxml-orderrequest-change.xsl"), {"shared-secret": SECRET})
    assert renderer.doc_type == "xml-change"
    return renderer.finish(renderer.prepare(ctx), NUMBERS, NOW)


def test_the_canonical_change_holds_the_lines_changed_and_the_order_as_it_stands():
    root = canonical_po_xml(change_context(), "000000042", False, CHANGE)
    assert root.tag == f"{{{PO_NAMESPACE}}}purchase-order-change"
    assert root.findtext("po:change/po:purpose", namespaces=NS) == "04"
    assert [(ln.findtext("po:number", namespaces=NS), ln.findtext("po:change_code", namespaces=NS))
            for ln in root.findall("po:lines/po:line", NS)] == [("1", "QD"), ("2", "DI")]
    [item] = root.findall("po:items/po:item", NS)
    assert [etree.QName(c).localname for c in item] == [n[5:] for n in LINE_FIELDS]
    assert item.findtext("po:quantity", namespaces=NS) == "1"


def test_a_change_is_an_update_of_the_whole_order_as_it_now_stands():
    doc = render(change_context())
    assert doc.filename == "acme_change_000000042.xml" and doc.doc_type == "xml-change"
    root = parse_bytes(doc.payload)
    header = root.find("Request/OrderRequest/OrderRequestHeader")
    assert (header.get("type"), header.get("orderID"), header.get("orderVersion")) == (
        "update", "PO-2025-0042", "3")                # the order (1) and two changes: version 3
    assert header.get("requestedDeliveryDate") == "2025-06-20"
    assert header.findtext("Total/Money") == "12.50"
    assert header.find("DocumentReference").get("payloadID") == "000000041.PO-2025-0042@hub.example-retail.com"
    assert root.get("payloadID") == "000000042.PO-2025-0042@hub.example-retail.com"
    [item] = root.findall("Request/OrderRequest/ItemOut")    # the deleted line is not on it any more
    assert (item.get("quantity"), item.get("lineNumber"), item.findtext("ItemID/SupplierPartID")) == (
        "1", "1", "AC-1001")


def test_a_cancellation_is_a_delete_with_the_lines_as_they_were_ordered():
    root = parse_bytes(render(change_context("01")).payload)
    assert root.find("Request/OrderRequest/OrderRequestHeader").get("type") == "delete"
    assert [(i.get("lineNumber"), i.get("quantity")) for i in root.findall("Request/OrderRequest/ItemOut")] == [
        ("1", "3"), ("2", "2")]


def test_the_change_uses_only_paths_of_published_cxml_order_requests():
    published = set()
    for sample in FIXTURES.glob("cxml_OrderRequest_*.xml"):
        published |= set(_paths(parse_bytes(sample.read_bytes())))
    ours = set(_paths(parse_bytes(render(change_context()).payload)))
    head = "/cXML/Request/OrderRequest/OrderRequestHeader"
    # The e-mail and the reference to the changed order are in the DTD, not in those samples.
    assert ours - published == {f"{head}/ShipTo/Address/Email", f"{head}/DocumentReference"}


def test_a_change_mapping_reads_changes_and_says_so():
    from hub.edi.xml.po import mapping_from_stylesheet
    text = (MAPPINGS / "cxml-orderrequest-change.xsl").read_bytes()
    broken = text.replace(b'document="purchase-order-change"', b'document="order-change"')
    with pytest.raises(MappingError, match='document="order-change" is unknown'):
        mapping_from_stylesheet(parse_bytes(broken), "m.xsl")
    fields = text.replace(b"change.previous_document_id", b"change.previous_doc")
    with pytest.raises(MappingError, match="unknown field 'change.previous_doc'"):
        mapping_from_stylesheet(parse_bytes(fields), "m.xsl")
    assert sample_change_context().items   # the trial run has the order as it stands too


def test_a_purchase_order_mapping_named_as_the_change_mapping_is_refused():
    import dataclasses

    from hub.bootstrap import renderer_for
    from hub.errors import PartnerConfigError
    partner = cxml_partner()
    partner = dataclasses.replace(partner, xml=dataclasses.replace(partner.xml,
                                                                   change_mapping="xml/cxml-orderrequest.xsl"))
    with pytest.raises(PartnerConfigError, match="reads a purchase-order, not a purchase-order-change"):
        renderer_for(MAPPINGS.parent, partner, environ={"ACME_CXML_SECRET": SECRET}, change=True)
    partner = dataclasses.replace(partner, xml=dataclasses.replace(
        partner.xml, change_mapping="xml/cxml-orderrequest-change.xsl"))
    assert renderer_for(MAPPINGS.parent, partner, environ={"ACME_CXML_SECRET": SECRET},
                        change=True).doc_type == "xml-change"

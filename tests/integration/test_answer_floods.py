"""A supplier's document naming thousands of lines the hub cannot apply, on SQLite and
PostgreSQL: one Incident per kind, document and purchase order, naming the first lines and
counting the rest; the same document again files nothing new."""

from __future__ import annotations

from sqlalchemy import select

from hub.adapters import tables as t
from tests.integration.test_inbound import receive, sent_po, x12
from tests.integration.test_supplier_changes import answers_865, ca, own  # noqa: F401  (fixture)

MANY = 5000


def open_incidents(hub) -> list[tuple[str, str, int]]:
    i = t.incidents
    with hub.uow(readonly=True) as uow:
        return [tuple(r) for r in uow.conn.execute(
            select(i.c.code, i.c.message, i.c.occurrences).where(i.c.state == "open").order_by(i.c.id))]


def test_an_865_changing_thousands_of_lines_not_on_the_po_is_one_incident(answers_865):  # noqa: F811
    hub = answers_865
    po = sent_po(hub)
    n = po["po_number"]
    lines = [f"POC*{k}*DI" for k in range(7, 7 + MANY)]
    doc = ca(own(n, *lines), 101)
    report = receive(hub, doc)
    assert report.state == "processed"
    [(code, message, occurrences)] = open_incidents(hub)
    assert (code, occurrences) == ("supplier_change.unknown_line", 1)
    assert message == (f"865 for {n} changes line '7' (no item), which is not on the purchase order: ask the "
                       "supplier (and 4,999 more like it in this document, on lines 8, 9, 10, 11, 12, 13, "
                       "14, 15, 16, 17 ... and 4,989 more)")
    assert receive(hub, doc).state == "duplicate"
    assert len(open_incidents(hub)) == 1


def test_an_855_answering_thousands_of_lines_not_on_the_po_is_one_incident(store_hub):
    hub = store_hub
    po = sent_po(hub)
    n = po["po_number"]
    body = [f"BAK*00*AC*{n}*20261125", "PO1*1*4*EA", "ACK*IA*4*EA", "PO1*2*2*EA", "ACK*IA*2*EA"]
    body += [seg for k in range(3, 3 + MANY) for seg in (f"PO1*{k}*1*EA", "ACK*IA*1*EA")]
    receive(hub, x12("855", "PR", body, 201))
    [(code, message, _)] = open_incidents(hub)
    assert code == "poack.unknown_line"
    assert message.endswith("(and 4,999 more like it in this document, on lines 4, 5, 6, 7, 8, 9, 10, 11, "
                            "12, 13 ... and 4,989 more)")


def test_an_856_shipping_thousands_of_unknown_items_and_one_line_over_and_over(store_hub):
    """Unknown items: one Incident. Line 2 shipped a unit at a time 3,000 times: one
    over-shipment, with what shipped in all."""
    hub = store_hub
    po = sent_po(hub)
    n = po["po_number"]
    asn = ["BSN*00*S1*20261126*0900", "HL*1**S", "TD5*B*2*UPSN", "REF*2I*1Z1", "HL*2*1*O", f"PRF*{n}"]
    hl = 3
    for k in range(3, 3 + MANY):
        asn += [f"HL*{hl}*2*I", f"LIN*{k}", "SN1**1*EA"]
        hl += 1
    for _ in range(3000):
        asn += [f"HL*{hl}*2*I", "LIN*2", "SN1**1*EA"]
        hl += 1
    receive(hub, x12("856", "SH", asn, 301))
    found = {code: message for code, message, _ in open_incidents(hub)}
    assert sorted(found) == ["asn.over_shipment", "asn.unknown_item"]
    assert found["asn.unknown_item"].endswith("(and 4,999 more like it in this document, on lines 4, 5, 6, 7, 8, "
                                              "9, 10, 11, 12, 13 ... and 4,989 more)")
    assert found["asn.over_shipment"] == (f"856 S1: line 2 (FOOTREST-ADJ) of {n} now shipped 3000, more than "
                                          "the 2 ordered/accepted: check the invoice")

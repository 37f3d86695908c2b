"""Finding an order by any of its references, and what its view shows, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from hub.adapters import tables as t
from hub.services.intake import Submission, accept
from hub.views import find_orders, matched_orders, order_view
from hub.views.dashboard import documents_per_partner, orders_per_day, partner_health
from tests.integration.test_inbound import receive, x12
from tests.integration.test_intake import order

CHAIR = {"line_id": "1", "sku": "CHAIR-ERGO-BLK", "quantity": 2, "unit_price": "219.00"}   # acme
LAMP = {"line_id": "1", "sku": "LAMP-LED-WHT", "quantity": 1, "unit_price": "39.90"}       # initech


def two_orders(hub) -> tuple[dict, dict]:
    """WS-1 goes to acme as an 850, WS-2 to initech as XML: both carry control number 000000001."""
    accept(hub.context, [Submission("t", order(channel_order_id="WS-1", lines=[CHAIR])),
                         Submission("t", order(channel_order_id="WS-2", lines=[LAMP]))])
    hub.dispatcher("w").run_once()
    with hub.uow(readonly=True) as uow:
        pos = {r.partner_id: dict(r._mapping) for r in uow.conn.execute(select(t.purchase_orders))}
    return pos["acme"], pos["initech"]


def find(hub, ref: str) -> list[tuple[str, str, str]]:
    with hub.uow(readonly=True) as uow:
        return [(m.order, m.kind, m.partner) for m in find_orders(uow.conn, ref)]


def view(hub, order_id: int) -> dict:
    with hub.uow(readonly=True) as uow:
        return order_view(uow.conn, order_id)


def test_a_control_number_of_two_partners_lists_both_orders(store_hub):
    acme, initech = two_orders(store_hub)
    assert find(store_hub, "000000001") == [
        ("webshop/WS-1", "ISA13 / document number of the 850 sent to acme", "acme"),
        ("webshop/WS-2", "ISA13 / document number of the xml-po sent to initech", "initech"),
        ("webshop/WS-1", "GS06 of the 850 sent to acme", "acme"),     # GS06 1
        ("webshop/WS-1", "ST02 of the 850 sent to acme", "acme")]     # ST02 0001
    # Without leading zeros too; and "control:" asks for control numbers only (not order id 1).
    assert {m[0] for m in find(store_hub, "1")} == {"webshop/WS-1", "webshop/WS-2"}
    assert ("webshop/WS-1", "order id", "") in find(store_hub, "1")
    assert ("webshop/WS-1", "order id", "") not in find(store_hub, "control:1")
    assert find(store_hub, "id:2") == [("webshop/WS-2", "order id", "")]


def test_a_zero_padded_number_is_never_taken_for_an_order_id(store_hub):
    acme, _ = two_orders(store_hub)
    for n in range(3):   # more orders, so that order id 4 exists
        accept(store_hub.context, [Submission("t", order(channel_order_id=f"WS-X{n}", lines=[CHAIR]))])
    store_hub.dispatcher("w").run_once()
    # 000000004 is the ISA13 of acme's fourth 850 (WS-X2's), not order 4 (WS-X1).
    assert [m[0] for m in find(store_hub, "000000004")] == ["webshop/WS-X2"] * 3   # ISA13, GS06, ST02


def test_a_partners_own_control_numbers_find_the_order(store_hub):
    acme, _ = two_orders(store_hub)
    answer = x12("855", "PR", [f"BAK*00*AC*{acme['po_number']}*20261125", "PO1*1*2*EA", "ACK*IA*2*EA"],
                 700000003)
    assert receive(store_hub, answer).applied == 1
    found = find(store_hub, "700000003")
    assert ("webshop/WS-1", "ISA13 of the 855 received from acme", "acme") in found
    assert ("webshop/WS-1", "GS06 of the 855 received from acme", "acme") in found
    assert {m[0] for m in found} == {"webshop/WS-1"}
    [doc] = [d for d in view(store_hub, acme["order_id"])["purchase_orders"][0]["documents"]
             if d["direction"] == "in"]
    assert (doc["doc_type"], doc["control_number"]) == ("855", "700000003")
    assert doc["sets"] == [{"set_id": "855", "group_control": "700000003", "set_control": "0001"}]


def test_tracking_numbers_and_shipment_ids_find_the_order(store_hub):
    acme, _ = two_orders(store_hub)
    asn = x12("856", "SH", ["BSN*00*SHIP-9*20261126", "TD5**2*UPSN", "REF*2I*1ZA", "REF*2I*1ZB",
                            "HL*1**S", "HL*2*1*O", f"PRF*{acme['po_number']}", "HL*3*2*I", "LIN*1",
                            "SN1**2*EA"], 501)
    assert receive(store_hub, asn).applied == 1
    for number in ("1ZA", "1ZB"):   # either of the shipment's numbers
        assert find(store_hub, number) == [("webshop/WS-1", "tracking number (shipped by acme)", "acme")]
    assert find(store_hub, "1Z") == []   # a part of a number is not a match
    assert find(store_hub, "SHIP-9") == [("webshop/WS-1", "shipment id of acme", "acme")]


def test_a_resent_file_shows_on_the_order_as_a_duplicate(store_hub):
    acme, _ = two_orders(store_hub)
    asn = x12("856", "SH", ["BSN*00*S1*20261126", "HL*1**S", "HL*2*1*O", f"PRF*{acme['po_number']}",
                            "HL*3*2*I", "LIN*1", "SN1**2*EA"], 301)
    first = store_hub.receive_stream(__import__("io").BytesIO(asn), "test", "asn-1.edi", "acme")
    again = store_hub.receive_stream(__import__("io").BytesIO(asn), "test", "asn-1-resent.edi", "acme")
    assert (first.state, again.state) == ("processed", "duplicate")
    docs = [d for d in view(store_hub, acme["order_id"])["purchase_orders"][0]["documents"]
            if d["direction"] == "in"]
    assert [(d["filename"], d["doc_type"], d["control_number"], d["state"]) for d in docs] == [
        ("asn-1.edi", "856", "000000301", "processed"), ("asn-1-resent.edi", "856", "000000301", "duplicate")]
    assert docs[1]["duplicate_of"] == docs[0]["id"]
    timeline = view(store_hub, acme["order_id"])["timeline"]
    [dup] = [e for e in timeline if e["kind"] == "document.duplicate"]
    assert f"duplicate of document #{docs[0]['id']}" in dup["message"] and "asn-1-resent.edi" in dup["message"]


def test_a_received_document_comes_before_what_it_caused(store_hub, clock):
    acme, initech = two_orders(store_hub)
    clock.advance(minutes=1)
    answer = (b'<?xml version="1.0"?><OrderConfirmation version="3.2" test="Y"><Header>'
              b'<MessageRef created="2026-11-25T12:00:00+00:00">OC-1</MessageRef><OrderNo>'
              + initech["po_number"].encode() + b'</OrderNo><ConfirmationNo>SO-77</ConfirmationNo>'
              b'<ConfirmationDate>25/11/2026</ConfirmationDate><Account>ER-20417</Account>'
              b'<Answer code="ACC"/></Header><Lines count="0"/></OrderConfirmation>')
    assert receive(store_hub, answer, partner="initech").applied == 1
    v = view(store_hub, initech["order_id"])
    kinds = [e["kind"] for e in v["timeline"]]
    # The fixed clock gives the document and its effect the same moment: causes first.
    assert kinds.index("document.received") < kinds.index("po.state")
    [doc] = [d for d in v["purchase_orders"][0]["documents"] if d["direction"] == "in"]
    assert doc["control_number"] == "SO-77"                 # the XML answer's own id, never None
    assert matched_orders(find_orders_of(store_hub, "SO-77")) == [initech["order_id"]]


def find_orders_of(hub, ref):
    with hub.uow(readonly=True) as uow:
        return find_orders(uow.conn, ref)


def test_a_customer_is_found_by_e_mail_in_any_case_and_by_the_beginning_of_the_name(store_hub):
    other = {**order()["customer"], "id": "C2", "name": "Annabel Lee-Smith", "email": "annabel@example.com"}
    accept(store_hub.context, [Submission("t", order(channel_order_id="WS-1", lines=[CHAIR])),
                               Submission("t", order(channel_order_id="WS-2", lines=[CHAIR], customer=other))])
    assert find(store_hub, "ANN@Example.com") == [("webshop/WS-1", "customer e-mail", "")]
    assert find(store_hub, "customer:ANN") == [("webshop/WS-2", "customer name", ""),   # newest first
                                               ("webshop/WS-1", "customer name", "")]
    assert find(store_hub, "annabel l") == [("webshop/WS-2", "customer name", "")]
    assert find(store_hub, "customer:Lee") == []     # the beginning of the name, not any part of it
    assert find(store_hub, "customer:an") == []      # three letters at least
    assert find(store_hub, "customer:a_n") == [] and find(store_hub, "customer:an%") == []   # no wildcards


def test_the_dashboard_tells_each_partners_last_documents_and_counts_them(store_hub, clock):
    two_orders(store_hub)            # an 850 to acme and an XML PO to initech, sent now
    sent = clock()
    clock.advance(hours=1)
    [po] = view(store_hub, find_orders_of(store_hub, "WS-1")[0].order_id)["purchase_orders"]
    answer = x12("855", "PR", [f"BAK*00*AC*{po['po_number']}*20261125", "PO1*1*2*EA", "ACK*IA*2*EA"], 700000003)
    assert receive(store_hub, answer).applied == 1       # and a 997 to acme waits in the outbox
    assert receive(store_hub, b"not a document at all", partner=None).state == "rejected"   # of no partner
    with store_hub.uow(readonly=True) as uow:
        health = {h["partner"]: h for h in partner_health(uow.conn, ["acme", "initech", "nobody"])}
        docs = documents_per_partner(uow.conn, sent)
        none_yet = documents_per_partner(uow.conn, clock() + timedelta(minutes=1))
        per_day = orders_per_day(uow.conn, sent - timedelta(days=1))
    got = {p: (h["last_sent"], h["last_received"], h["queued"], h["failed"]) for p, h in health.items()}
    assert got == {"acme": ("2026-11-25T10:00:00Z", "2026-11-25T11:00:00Z", 1, 0),
                   "initech": ("2026-11-25T10:00:00Z", None, 0, 0), "nobody": (None, None, 0, 0)}
    assert docs == [{"partner": "acme", "in": 1, "out": 2}, {"partner": "initech", "in": 0, "out": 1}]
    assert none_yet == []
    assert per_day == {"2026-11-25": {"webshop": 2}}

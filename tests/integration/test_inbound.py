"""Suppliers' answers in, on SQLite and PostgreSQL: 997, 855, 856, XML; duplicates, strangers, timers."""

from __future__ import annotations

import io
import json
import os

import pytest
from sqlalchemy import select, update

from hub.adapters import tables as t
from hub.services.intake import Submission, accept
from hub.services.overdue import check_overdue
from tests.integration.test_intake import order

HEAD = ("ISA*00*          *00*          *ZZ*ACMESUPPLY     *ZZ*DEMORETAIL     *261125*1200*U*00401*"
        "{isa:09d}*0*T*>~\nGS*{fid}*ACMESUPPLY*DEMORETAIL*20261125*1200*{isa}*X*004010~\n")
TAIL = "GE*1*{isa}~\nIEA*1*{isa:09d}~\n"


def x12(set_id: str, fid: str, body: list[str], isa: int) -> bytes:
    """One interchange from Acme with one transaction set (SE01 counted here)."""
    segs = [f"ST*{set_id}*0001", *body, f"SE*{len(body) + 2}*0001"]
    return (HEAD.format(isa=isa, fid=fid) + "~\n".join(segs) + "~\n" + TAIL.format(isa=isa)).encode()


def sent_po(hub, **changes) -> dict:
    """Take one order in and send it; return acme's purchase order as stored."""
    o = order(**changes)
    o["lines"] = [{"line_id": "1", "sku": "CHAIR-ERGO-BLK", "quantity": 4, "unit_price": "219.00"},
                  {"line_id": "2", "sku": "FOOTREST-ADJ", "quantity": 2, "unit_price": "49.00"}]
    accept(hub.context, [Submission("t", o)])
    hub.dispatcher("w").run_once()
    with hub.uow(readonly=True) as uow:
        row = uow.conn.execute(select(t.purchase_orders).where(t.purchase_orders.c.partner_id == "acme")
                               .order_by(t.purchase_orders.c.id.desc())).mappings().first()
    return dict(row)


def receive(hub, data: bytes, partner: str | None = "acme"):
    return hub.receive_stream(io.BytesIO(data), "test", "answer.edi", partner)


def po_state(hub, number: str) -> tuple:
    with hub.uow(readonly=True) as uow:
        po = uow.repo.find_purchase_order(number)
    return po.state.value, [(ln.state.value, ln.qty_accepted, ln.qty_backordered, ln.qty_rejected,
                             ln.qty_shipped) for ln in po.lines]


def incidents(hub) -> list[str]:
    with hub.uow(readonly=True) as uow:
        return list(uow.conn.scalars(select(t.incidents.c.code).where(t.incidents.c.state == "open")
                                     .order_by(t.incidents.c.id)))


def outbound(hub, doc_type: str) -> list[dict]:
    i = t.interchanges
    with hub.uow(readonly=True) as uow:
        return [dict(r) for r in uow.conn.execute(select(i).where(i.c.direction == "out",
                                                                   i.c.doc_type == doc_type)).mappings()]


def test_997_855_and_856_take_a_po_from_sent_to_shipped(store_hub):
    po = sent_po(store_hub)
    n = po["po_number"]
    ack = x12("997", "FA", ["AK1*PO*1", "AK2*850*0001", "AK5*A", "AK9*A*1*1*1"], 101)
    assert receive(store_hub, ack).applied == 1
    assert po_state(store_hub, n)[0] == "acknowledged"
    poack = x12("855", "PR", [f"BAK*00*AC*{n}*20261125",
                              "PO1*1*4*EA*89.9**BP*CHAIR-ERGO-BLK*VP*AC-55010", "ACK*IA*3*EA",
                              "ACK*IB*1*EA*068*20261210",
                              "PO1*2*2*EA*19.99**BP*FOOTREST-ADJ*VP*AC-22011", "ACK*IA*2*EA",
                              "CTT*2"], 102)
    receive(store_hub, poack)
    assert po_state(store_hub, n) == ("accepted", [("accepted", 3, 1, 0, 0), ("accepted", 2, 0, 0, 0)])
    asn = x12("856", "SH", ["BSN*00*SHIP1*20261126*0900", "HL*1**S", "TD5*B*2*UPSN*M*GROUND",
                            "REF*2I*1Z999", "REF*BM*BOL1", "DTM*011*20261126", "DTM*017*20261129",
                            "HL*2*1*O", f"PRF*{n}", "HL*3*2*I", "LIN*1*BP*CHAIR-ERGO-BLK", "SN1**3*EA",
                            "HL*4*2*I", "LIN*2*VP*AC-22011", "SN1**2*EA", "CTT*4"], 103)
    receive(store_hub, asn)
    assert po_state(store_hub, n) == ("partially_shipped", [("partially_shipped", 3, 1, 0, 3),
                                                            ("shipped", 2, 0, 0, 2)])
    late = x12("856", "SH", ["BSN*00*SHIP2*20261210*0900", "HL*1**S", "TD5*B*2*UPSN", "REF*2I*1Z888",
                             "HL*2*1*O", f"PRF*{n}", "HL*3*2*I", "LIN*1", "SN1**1*EA"], 104)
    receive(store_hub, late)
    assert po_state(store_hub, n)[0] == "shipped"
    with store_hub.uow(readonly=True) as uow:
        ship = uow.conn.execute(select(t.shipments.c.shipment_id, t.shipments.c.carrier,
                                       t.shipments.c.tracking_numbers, t.shipments.c.bill_of_lading)
                                .order_by(t.shipments.c.id)).all()
        state = uow.repo.get_order(po["order_id"]).state.value
    assert ship == [("SHIP1", "UPSN", "1Z999", "BOL1"), ("SHIP2", "UPSN", "1Z888", "")]
    assert state == "shipped"  # both lines came from acme: all 6 units are out
    assert len(outbound(store_hub, "997")) == 3  # acme wants its 855/856 groups acknowledged


def test_rejected_line_is_rerouted_to_the_next_supplier(store_hub):
    po = sent_po(store_hub)
    n = po["po_number"]
    receive(store_hub, x12("855", "PR", [f"BAK*00*AC*{n}*20261125", "PO1*1*4*EA", "ACK*IA*4*EA",
                                         "PO1*2*2*EA", "ACK*IR*2*EA"], 201))
    assert po_state(store_hub, n) == ("accepted", [("accepted", 4, 0, 0, 0), ("rerouted", 0, 0, 2, 0)])
    with store_hub.uow(readonly=True) as uow:
        pos = uow.repo.purchase_orders_of(po["order_id"])
    again = [p for p in pos if p.route_attempt == 2]
    assert [(p.partner_id, [(ln.sku, ln.quantity) for ln in p.lines]) for p in again] == [
        ("initech", [("FOOTREST-ADJ", 2)])]
    # The order's state and what its channel heard count the new purchase order, made in the
    # same unit of work: line 2 is open with initech, not rejected, so the channel hears nothing yet.
    with store_hub.uow(readonly=True) as uow:
        assert uow.repo.get_order(po["order_id"]).state.value == "processing"
        events = uow.conn.scalars(select(t.order_events.c.type)
                                  .where(t.order_events.c.order_id == po["order_id"])).all()
    assert events == []


def test_a_corrected_855_cannot_take_back_units_rerouted_since(store_hub):
    """Acme takes 2 of the 4 chairs and declines 2, which go to initech; acme's corrected 855
    then takes all 4: initech keeps its 2, acme holds 2 and an Incident says so."""
    po = sent_po(store_hub)
    n = po["po_number"]
    receive(store_hub, x12("855", "PR", [f"BAK*00*AC*{n}*20261125", "PO1*1*4*EA", "ACK*IA*2*EA", "ACK*IR*2*EA",
                                         "PO1*2*2*EA", "ACK*IA*2*EA"], 211))
    receive(store_hub, x12("855", "PR", [f"BAK*00*AC*{n}*20261126", "PO1*1*4*EA", "ACK*IA*4*EA",
                                         "PO1*2*2*EA", "ACK*IA*2*EA"], 212))
    assert po_state(store_hub, n)[1] == [("accepted", 2, 0, 2, 0), ("accepted", 2, 0, 0, 0)]
    with store_hub.uow(readonly=True) as uow:
        pos = uow.repo.purchase_orders_of(po["order_id"])
        message = uow.conn.scalar(select(t.incidents.c.message).where(
            t.incidents.c.code == "poack.units_held_elsewhere"))
    assert [(p.partner_id, [(ln.sku, ln.quantity) for ln in p.lines]) for p in pos if p.route_attempt == 2] == [
        ("initech", [("CHAIR-ERGO-BLK", 2)])]
    assert incidents(store_hub) == ["poack.units_held_elsewhere"]
    assert message == (f"acme's 855 for {n} takes 2 unit(s) of line 1 (CHAIR-ERGO-BLK) that it declined "
                       "before and that another supplier holds now, or the customer cancelled: they were "
                       "not taken; tell the supplier not to ship them")


def test_rejected_line_with_no_supplier_left_is_an_incident(store_hub):
    po = sent_po(store_hub)
    receive(store_hub, x12("855", "PR", [f"BAK*00*AC*{po['po_number']}*20261125", "PO1*1*4*EA",
                                         "ACK*IR*4*EA", "PO1*2*2*EA", "ACK*IA*2*EA"], 202))
    # CHAIR-ERGO-BLK: initech sells it too, so it goes there; reject it there as well:
    with store_hub.uow(readonly=True) as uow:
        second = [p for p in uow.repo.purchase_orders_of(po["order_id"]) if p.route_attempt == 2][0]
    assert second.partner_id == "initech"
    store_hub.dispatcher("w").run_once()
    answer = (b'<?xml version="1.0"?><OrderConfirmation version="3.2" test="Y"><Header>'
              b'<MessageRef created="2026-11-25T12:00:00+00:00">OC-1</MessageRef><OrderNo>'
              + second.po_number.encode() + b'</OrderNo><ConfirmationNo>S1</ConfirmationNo>'
              b'<ConfirmationDate>25/11/2026</ConfirmationDate><Account>ER-20417</Account>'
              b'<Answer code="REJ"/></Header><Lines count="0"/></OrderConfirmation>')
    receive(store_hub, answer, partner="initech")
    assert po_state(store_hub, second.po_number)[0] == "rejected"
    assert "routing.no_supplier_left" in incidents(store_hub)
    with store_hub.uow(readonly=True) as uow:
        assert uow.repo.get_order(po["order_id"]).state.value == "needs_attention"


def test_the_same_file_twice_is_recorded_not_applied_again(store_hub):
    po = sent_po(store_hub)
    asn = x12("856", "SH", ["BSN*00*S1*20261126", "HL*1**S", "HL*2*1*O", f"PRF*{po['po_number']}",
                            "HL*3*2*I", "LIN*1", "SN1**2*EA"], 301)
    receive(store_hub, asn)
    assert receive(store_hub, asn).state == "duplicate"
    assert po_state(store_hub, po["po_number"])[1][0][4] == 2  # shipped 2, not 4
    resent = asn.replace(b"*000000301*", b"*000000302*").replace(b"IEA*1*000000301", b"IEA*1*000000302")
    receive(store_hub, resent)  # a new interchange carrying the same shipment: not applied twice
    assert po_state(store_hub, po["po_number"])[1][0][4] == 2


def test_a_shipment_id_longer_than_the_store_keeps_is_still_known_again(store_hub):
    """A 45-character shipment id is kept to 40 characters; a new interchange carrying the
    same notice, or one whose id differs only after 40 characters, is recognised by what was
    kept: recorded as a repeat, not applied again (it once failed on the unique key)."""
    po = sent_po(store_hub)

    def asn(isa: int, sid: str) -> bytes:
        return x12("856", "SH", [f"BSN*00*{sid}*20261126", "HL*1**S", "HL*2*1*O", f"PRF*{po['po_number']}",
                                 "HL*3*2*I", "LIN*1", "SN1**1*EA"], isa)
    receive(store_hub, asn(311, "S" * 40 + "12345"))
    for isa, sid in ((312, "S" * 40 + "12345"), (313, "S" * 40 + "99999")):
        report = receive(store_hub, asn(isa, sid))
        assert (report.state, report.applied, report.problems) == ("processed", 1, [])
    assert po_state(store_hub, po["po_number"])[1][0][4] == 1   # shipped once, not three times
    with store_hub.uow(readonly=True) as uow:
        assert uow.conn.scalars(select(t.shipments.c.shipment_id)).all() == ["S" * 40]
        repeats = uow.conn.scalars(select(t.events.c.kind).where(t.events.c.kind == "shipment.duplicate")).all()
    assert len(repeats) == 2 and incidents(store_hub) == []


def test_a_reused_control_number_with_other_content_is_an_incident(store_hub):
    po = sent_po(store_hub)
    receive(store_hub, x12("997", "FA", ["AK1*PO*1", "AK9*A*1*1*1"], 401))
    other = x12("997", "FA", ["AK1*PO*1", "AK9*R*1*1*0"], 401)
    assert receive(store_hub, other).state == "duplicate"
    assert "inbound.reused_control_number" in incidents(store_hub)
    assert po_state(store_hub, po["po_number"])[0] == "acknowledged"


def test_unknown_partner_and_unknown_po_keep_the_file_and_say_why(store_hub):
    stranger = x12("856", "SH", ["BSN*00*S1*20261126"], 501).replace(b"ACMESUPPLY     ", b"NOBODY         ")
    report = receive(store_hub, stranger, partner=None)
    assert report.state == "rejected"
    assert "no partner sends as ISA06 'NOBODY'" in report.problems[0]
    receive(store_hub, x12("855", "PR", ["BAK*00*AC*PO9999999*20261125"], 502))
    assert incidents(store_hub) == ["inbound.refused", "poack.unknown_po"]
    with store_hub.uow(readonly=True) as uow:
        paths = list(uow.conn.scalars(select(t.interchanges.c.archive_path).where(t.interchanges.c.direction == "in")))
    assert all((store_hub.archive.root / p).is_file() for p in paths)


def test_a_file_that_is_no_edi_at_all(store_hub):
    report = receive(store_hub, b"\x00\x01hello, not a document\n", partner="acme")
    assert report.state == "rejected"
    assert any("no ISA interchange header found" in p for p in report.problems)
    assert incidents(store_hub) == ["inbound.refused"]


def test_a_bad_transaction_is_refused_while_the_rest_of_the_file_is_applied(store_hub):
    po = sent_po(store_hub)
    good = x12("997", "FA", ["AK1*PO*1", "AK2*850*0001", "AK5*A", "AK9*A*1*1*1"], 601)
    bad = x12("855", "PR", [f"BAK*00*AC*{po['po_number']}*20261125"], 602).replace(b"SE*3*0001", b"SE*9*0001")
    report = receive(store_hub, good + bad)
    assert report.applied == 1 and report.transactions == 2
    assert "inbound.bad_transaction" in incidents(store_hub)
    assert po_state(store_hub, po["po_number"])[0] == "acknowledged"
    acks = outbound(store_hub, "997")   # our 997 for the 855 group says it was rejected
    assert len(acks) == 1 and b"AK5*R*4" in acks[0]["payload"]


def test_856_before_855_and_997(store_hub):
    po = sent_po(store_hub)
    n = po["po_number"]
    receive(store_hub, x12("856", "SH", ["BSN*00*S1*20261126", "HL*1**S", "HL*2*1*O", f"PRF*{n}",
                                         "HL*3*2*I", "LIN*1", "SN1**4*EA", "HL*4*2*I", "LIN*2",
                                         "SN1**2*EA"], 701))
    receive(store_hub, x12("855", "PR", [f"BAK*00*AD*{n}*20261125"], 702))
    receive(store_hub, x12("997", "FA", ["AK1*PO*1", "AK2*850*0001", "AK5*A", "AK9*A*1*1*1"], 703))
    assert po_state(store_hub, n) == ("shipped", [("shipped", 4, 0, 0, 4), ("shipped", 2, 0, 0, 2)])
    assert incidents(store_hub) == []


def test_rejecting_997_names_the_errors(store_hub):
    po = sent_po(store_hub)
    receive(store_hub, x12("997", "FA", ["AK1*PO*1", "AK2*850*0001", "AK3*PO1*6**8", "AK4*2**1",
                                         "AK5*R*5", "AK9*R*1*1*0"], 801))
    with store_hub.uow(readonly=True) as uow:
        message = uow.conn.scalar(select(t.incidents.c.message).where(t.incidents.c.code == "ack.rejected"))
        status = uow.conn.scalar(select(t.interchanges.c.ack_status).where(t.interchanges.c.doc_type == "850",
                                                                           t.interchanges.c.partner_id == "acme"))
    assert po["po_number"] in message and "PO1" in message and "mandatory" in message
    assert status == "rejected"


def test_late_answers_raise_incidents_that_clear_themselves(store_hub, clock):
    sent_po(store_hub)
    clock.advance(hours=3)   # acme's window for the 997 is 2 hours
    assert check_overdue(store_hub.context) == (1, 0)
    assert incidents(store_hub) == ["overdue.997"]
    assert check_overdue(store_hub.context) == (1, 0)  # still late: still one Incident
    receive(store_hub, x12("997", "FA", ["AK1*PO*1", "AK2*850*0001", "AK5*A", "AK9*A*1*1*1"], 901))
    assert incidents(store_hub) == []
    clock.advance(hours=22)  # 25 h after sending: the 855 (24 h) is late now
    check_overdue(store_hub.context)
    assert incidents(store_hub) == ["overdue.855"]


def test_xml_answers_from_initech(store_hub):
    accept(store_hub.context, [Submission("t", order(lines=[order()["lines"][1]]))])  # the lamp: initech
    store_hub.dispatcher("w").run_once()
    with store_hub.uow(readonly=True) as uow:
        n = uow.conn.scalar(select(t.purchase_orders.c.po_number))
    despatch = (b'<?xml version="1.0"?><DespatchAdvice version="3.2" test="Y"><Header>'
                b'<MessageRef created="2026-11-25T12:00:00+00:00">DA-1</MessageRef>'
                b'<DespatchNo purpose="NEW">DN-1</DespatchNo><DespatchDate time="10:30">26/11/2026'
                b'</DespatchDate><DeliveryDue>28/11/2026</DeliveryDue><Account>ER-20417</Account>'
                b'<Carrier scac="FDEG" service="GND">FedEx</Carrier><Tracking>7712</Tracking></Header>'
                b'<Orders count="1"><Order no="' + n.encode() + b'"><Line no="1" qty="1" unit="EA">'
                b'<Item code="INI-L-300W" ourCode="LAMP-LED-WHT"/></Line></Order></Orders>'
                b'<Totals lines="1" units="1"/></DespatchAdvice>')
    report = receive(store_hub, despatch, partner="initech")
    assert report.applied == 1
    with store_hub.uow(readonly=True) as uow:
        [path] = uow.conn.scalars(select(t.interchanges.c.archive_path).where(t.interchanges.c.direction == "in"))
    assert path.endswith(".xml")   # named for what it is: x12 check is not pointed at XML
    assert po_state(store_hub, n)[0] == "shipped"
    assert receive(store_hub, despatch, partner="initech").state == "duplicate"
    assert receive(store_hub, despatch, partner=None).state == "duplicate"   # same bytes


@pytest.mark.parametrize("encoding, mark", [
    ("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"), ("utf-16-le", b""),
    ("utf-32-le", b"\xff\xfe\x00\x00")])
def test_an_xml_answer_in_utf16_or_utf32_is_read_as_xml(hub, encoding, mark):
    # Sniffed as X12 before and refused with "no ISA"; the text must come through intact.
    accept(hub.context, [Submission("t", order(lines=[order()["lines"][1]]))])  # the lamp: initech
    hub.dispatcher("w").run_once()
    with hub.uow(readonly=True) as uow:
        n = uow.conn.scalar(select(t.purchase_orders.c.po_number))
    declared = "UTF-16" if encoding.startswith("utf-16") else "UTF-32"
    despatch = (f'<?xml version="1.0" encoding="{declared}"?>\n<DespatchAdvice version="3.2" '
                'test="Y"><Header><MessageRef created="2026-11-25T12:00:00+00:00">DA-1</MessageRef>'
                '<DespatchNo purpose="NEW">DN-Ü1</DespatchNo><DespatchDate time="10:30">26/11/2026'
                '</DespatchDate><DeliveryDue>28/11/2026</DeliveryDue><Account>ER-20417</Account>'
                '<Carrier scac="FDEG" service="Straße">FedEx</Carrier><Tracking>7712</Tracking>'
                f'</Header><Orders count="1"><Order no="{n}"><Line no="1" qty="1" unit="EA">'
                '<Item code="INI-L-300W" ourCode="LAMP-LED-WHT"/></Line></Order></Orders>'
                '<Totals lines="1" units="1"/></DespatchAdvice>')
    report = receive(hub, mark + despatch.encode(encoding), partner="initech")
    assert report.applied == 1, report
    assert po_state(hub, n)[0] == "shipped"
    with hub.uow(readonly=True) as uow:
        shipment = uow.conn.execute(select(t.shipments.c.shipment_id, t.shipments.c.service)).one()
    assert tuple(shipment) == ("DN-Ü1", "Straße")
    assert incidents(hub) == []


def test_resuming_a_file_whose_processing_died(store_hub):
    po = sent_po(store_hub)
    asn = x12("856", "SH", ["BSN*00*S1*20261126", "HL*1**S", "HL*2*1*O", f"PRF*{po['po_number']}",
                            "HL*3*2*I", "LIN*1", "SN1**4*EA"], 1001)
    receive(store_hub, asn)
    with store_hub.uow() as uow:   # as if the worker had died before settling the interchange
        uow.conn.execute(update(t.interchanges).where(t.interchanges.c.direction == "in")
                         .values(state="received"))
        uow.commit()
    assert receive(store_hub, asn).state == "processed"
    assert po_state(store_hub, po["po_number"])[1][0][4] == 4   # applied once


def test_shipment_notification_goes_to_the_channel_folder(demo_home, clock):
    cfg = demo_home / "edihub.toml"
    text = cfg.read_text()
    assert 'token_env = "EDIHUB_TOKEN_WEBSHOP"\n' in text
    cfg.write_text(text.replace('token_env = "EDIHUB_TOKEN_WEBSHOP"\n', 'token_env = "EDIHUB_TOKEN_WEBSHOP"\n'
                                'notify_folder = "var/notify/webshop"\n'))
    from hub.bootstrap import bootstrap
    hub = bootstrap(demo_home, clock=clock)
    try:
        po = sent_po(hub)
        receive(hub, x12("856", "SH", ["BSN*00*S1*20261126", "HL*1**S", "TD5*B*2*UPSN", "REF*2I*1Z1",
                                       "DTM*017*20261129", "HL*2*1*O", f"PRF*{po['po_number']}",
                                       "HL*3*2*I", "LIN*1", "SN1**4*EA"], 1101))
        assert hub.dispatcher("w").run_once().sent == 2   # the notification and our 997
        [note] = list((demo_home / "var/notify/webshop").iterdir())
        body = json.loads(note.read_bytes())
    finally:
        hub.close()
    assert note.name == "order.shipped-1.json"   # <type>-<event id>: the delivery's key
    assert body == {
        "id": 1, "type": "order.shipped", "sequence": 1, "occurred_at": "2026-11-25T10:00:00Z",
        "channel": "webshop", "channel_order_id": "WS-1", "order_state": "partially_shipped",
        "reason": None,
        "lines": [{"line_id": "1", "sku": "CHAIR-ERGO-BLK", "quantity": 4, "state": "shipped",
                   "suppliers": ["acme"], "expected_ship_date": None,
                   "previous_expected_ship_date": None}],
        "shipment": {"shipment_id": "S1", "supplier": "acme", "carrier": "UPSN", "service": None,
                     "tracking_numbers": ["1Z1"], "bill_of_lading": None, "pro_number": None,
                     "shipped_at": None, "expected_delivery": "2026-11-29"}}


@pytest.mark.parametrize("purpose", ["01", "03"])
def test_a_cancelled_ship_notice_is_not_applied(store_hub, purpose):
    po = sent_po(store_hub)
    receive(store_hub, x12("856", "SH", [f"BSN*{purpose}*S1*20261126", "HL*1**S", "HL*2*1*O",
                                         f"PRF*{po['po_number']}", "HL*3*2*I", "LIN*1", "SN1**4*EA"], 1201))
    assert po_state(store_hub, po["po_number"])[1][0][4] == 0
    assert "asn.cancelled" in incidents(store_hub)


def _incident_rows(hub, code: str) -> list[tuple]:
    i = t.incidents
    with hub.uow(readonly=True) as uow:
        return [tuple(r) for r in uow.conn.execute(
            select(i.c.state, i.c.occurrences, i.c.message).where(i.c.code == code).order_by(i.c.id))]


def test_a_file_name_with_a_line_break_does_not_block_the_inbox(hub, demo_home):
    # Listed, refused by fetch, and the refusal stopped the poll: the good file next to it
    # was never received. Now it is left alone, once said in an Incident.
    po = sent_po(hub)
    inbox = demo_home / "var/suppliers/acme/from-supplier"
    (inbox / "ack\n1.edi").write_bytes(b"ISA*odd")
    os.utime(inbox / "ack\n1.edi", (1_000_000, 1_000_000))      # the oldest: looked at first
    (inbox / "ack-2.edi").write_bytes(x12("997", "FA", ["AK1*PO*1", "AK2*850*0001", "AK5*A",
                                                        "AK9*A*1*1*1"], 501))
    [report] = hub.poll_inbox("acme").files
    assert report.applied == 1
    assert po_state(hub, po["po_number"])[0] == "acknowledged"
    assert sorted(os.listdir(inbox)) == ["ack\n1.edi"]               # left where it was
    [(state, occurrences, message)] = _incident_rows(hub, "inbound.unusable_name")
    assert (state, occurrences) == ("open", 1)
    assert message.startswith("acme's inbox holds a file named 'ack\\n1.edi' that the hub leaves "
                              "alone: it holds control characters")
    assert hub.poll_inbox("acme").files == [] and hub.poll_inbox("acme").files == []
    assert [r[:2] for r in _incident_rows(hub, "inbound.unusable_name")] == [("open", 1)]  # once
    assert "poll" not in " ".join(incidents(hub))                   # the poll itself went fine
    (inbox / "ack\n1.edi").rename(inbox / "ack-1.edi")              # someone renamed it
    hub.poll_inbox("acme")
    assert [r[:2] for r in _incident_rows(hub, "inbound.unusable_name")] == [("resolved", 1)]

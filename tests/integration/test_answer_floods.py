"""A supplier's document naming thousands of lines the hub cannot apply, on SQLite and
PostgreSQL: one Incident per kind, document and purchase order, naming the first lines and
counting the rest; a file naming thousands of purchase orders (or 997 sets) we never sent:
one Incident per kind and file, its known purchase orders applied. The same document again
files nothing new."""

from __future__ import annotations

from sqlalchemy import select

from hub.adapters import tables as t
from hub.services.documents import reprocess_inbound
from hub.services.intake import Submission, accept
from tests.integration.test_intake import order
from tests.integration.test_inbound import HEAD, TAIL, po_state, receive, sent_po, x12
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


def sets(set_id: str, fid: str, bodies: list[list[str]], isa: int) -> bytes:
    """One interchange from Acme with one functional group of many transaction sets."""
    segs = []
    for k, body in enumerate(bodies, 1):
        segs += [f"ST*{set_id}*{k:04d}", *body, f"SE*{len(body) + 2}*{k:04d}"]
    tail = TAIL.format(isa=isa).replace("GE*1*", f"GE*{len(bodies)}*")
    return (HEAD.format(isa=isa, fid=fid) + "~\n".join(segs) + "~\n" + tail).encode()


def test_an_856_file_naming_thousands_of_unknown_pos_is_one_incident_and_ships_the_real_one(store_hub):
    """3,000 notices for purchase orders we never sent (more than a batch of answers), the
    last for one we did: one Incident naming the first few, the real one shipped."""
    hub = store_hub
    n = sent_po(hub)["po_number"]
    notice = ["HL*1**S", "TD5*B*2*UPSN", "REF*2I*1Z1", "HL*2*1*O", "PRF*{po}", "HL*3*2*I", "LIN*1", "SN1**4*EA"]
    bodies = [[f"BSN*00*S{k}*20261126*0900", *(s.format(po=f"X{k:07d}") for s in notice)] for k in range(3000)]
    bodies.append(["BSN*00*REAL*20261126*0900", *(s.format(po=n) for s in notice)])
    doc = sets("856", "SH", bodies, 701)
    assert receive(hub, doc).state == "processed"
    [(code, message, occurrences)] = open_incidents(hub)
    assert (code, occurrences) == ("asn.unknown_po", 1)
    assert message == ("856 from acme (ISA13 000000701, GS06 701, ST02 0001) names purchase order 'X0000000', "
                       "which is not one we sent: the document was kept but not applied; ask the supplier "
                       "(and 2,999 more like it in this file: 'X0000001', 'X0000002', 'X0000003', 'X0000004', "
                       "'X0000005', 'X0000006', 'X0000007', 'X0000008', 'X0000009', 'X0000010' and 2,989 "
                       "others)")
    assert po_state(hub, n) == ("partially_shipped", [("shipped", 0, 0, 0, 4), ("open", 0, 0, 0, 0)])
    assert receive(hub, doc).state == "duplicate"
    assert open_incidents(hub) == [(code, message, occurrences)]
    # Read again on request: the same Incident once more, counted the same (and closed by the
    # reprocessing, which found nothing wrong with the file itself), nothing shipped twice.
    reprocess_inbound(hub.context, hub.receiver, first_inbound(hub), "ann")
    i = t.incidents
    with hub.uow(readonly=True) as uow:
        assert uow.conn.execute(select(i.c.code, i.c.message, i.c.occurrences)).all() == [(code, message, 2)]
    assert po_state(hub, n)[1][0][-1] == 4


def first_inbound(hub) -> int:
    i = t.interchanges
    with hub.uow(readonly=True) as uow:
        return uow.conn.scalar(select(i.c.id).where(i.c.direction == "in").order_by(i.c.id))


def test_855s_and_865s_for_unknown_and_other_suppliers_pos_are_one_incident_per_kind(answers_865):  # noqa: F811
    """One file of 855s, one of 865s: each names 40 purchase orders we never sent (one with
    a long number and a control character) and one of initech's, then acme's own real one."""
    hub = answers_865
    po = sent_po(hub)
    n = po["po_number"]
    # Acme declines line 2, which goes to initech: initech's purchase order, named by acme below.
    receive(hub, x12("855", "PR", [f"BAK*00*AC*{n}*20261125", "PO1*1*4*EA", "ACK*IA*4*EA",
                                   "PO1*2*2*EA", "ACK*IR*2*EA"], 801))
    with hub.uow(readonly=True) as uow:
        theirs = uow.conn.scalar(select(t.purchase_orders.c.po_number).where(t.purchase_orders.c.partner_id != "acme"))
    strange = ["Q" * 20 + "\x07" + "Q" * 40] + [f"Y{k:05d}" for k in range(39)] + [theirs]
    acks = [[f"BAK*00*AC*{s}*20261125", "PO1*1*4*EA", "ACK*IA*4*EA"] for s in strange]
    acks.append([f"BAK*00*AC*{n}*20261125", "PO1*1*4*EA", "ACK*IA*4*EA", "PO1*2*2*EA", "ACK*IR*2*EA"])
    changes = [own(s, "POC*1*DI") for s in strange] + [own(n, "POC*1*DI")]
    receive(hub, sets("855", "PR", acks, 802))
    receive(hub, sets("865", "CA", changes, 803))
    found = {code: message for code, message, _ in open_incidents(hub) if code.endswith("unknown_po")}
    assert sorted(found) == ["change_ack.unknown_po", "poack.unknown_po"]
    assert found["poack.unknown_po"] == (
        "855 from acme (ISA13 000000802, GS06 802, ST02 0001) names purchase order "
        "'QQQQQQQQQQQQQQQQQQQQ\\x07QQQQQQQQQ', which is not one we sent: the document was kept but not "
        "applied; ask the supplier (and 40 more like it in this file: 'Y00000', 'Y00001', 'Y00002', "
        "'Y00003', 'Y00004', 'Y00005', 'Y00006', 'Y00007', 'Y00008', 'Y00009' and 30 others)")
    assert found["change_ack.unknown_po"].startswith("865 from acme (ISA13 000000803, GS06 803, ST02 0001) ")
    assert found["change_ack.unknown_po"].endswith("(and 40 more like it in this file: 'Y00000', 'Y00001', "
                                                   "'Y00002', 'Y00003', 'Y00004', 'Y00005', 'Y00006', "
                                                   "'Y00007', 'Y00008', 'Y00009' and 30 others)")
    # Acme's own purchase order: its 855 was recorded again (ACK01 IA and IR, as in the first),
    # and its 865 deleted line 1 (accepted before), whose units went to the next supplier.
    with hub.uow(readonly=True) as uow:
        codes = uow.conn.execute(select(t.interchanges.c.control_number, t.line_acks.c.code)
                                 .join(t.interchanges, t.interchanges.c.id == t.line_acks.c.interchange_id)
                                 .order_by(t.line_acks.c.id)).all()
    assert codes == [("000000801", "IA"), ("000000801", "IR"), ("000000802", "IA"), ("000000802", "IR")]
    assert [ln[0] for ln in po_state(hub, n)[1]] == ["rerouted", "rerouted"]


def test_a_long_unprintable_po_number_alone_is_cut_and_escaped(store_hub):
    hub = store_hub
    receive(hub, x12("855", "PR", ["BAK*00*AC*" + "Z" * 25 + "\x01" + "Z" * 25 + "*20261125"], 804))
    [(code, message, _)] = open_incidents(hub)
    assert message == ("855 from acme (ISA13 000000804, GS06 804, ST02 0001) names purchase order "
                       "'ZZZZZZZZZZZZZZZZZZZZZZZZZ\\x01ZZZZ', which is not one we sent: the document was kept "
                       "but not applied; ask the supplier")


def test_a_997_acknowledging_thousands_of_sets_we_never_sent_is_one_incident(store_hub):
    hub = store_hub
    n = sent_po(hub)["po_number"]
    loops = [seg for k in range(2, 3002) for seg in (f"AK2*850*{k:04d}", "AK5*A")]
    doc = x12("997", "FA", ["AK1*PO*1", *loops, "AK2*850*0001", "AK5*A", "AK9*A*3001*3001*3001"], 901)
    receive(hub, doc)
    [(code, message, _)] = open_incidents(hub)
    assert code == "ack.unknown_set"
    assert message == ("acme's 997 (ISA13 000000901, GS06 901, ST02 0001) acknowledges group 1 set 0002, which "
                       "we never sent to it: check its mapping of our control numbers (and 2,999 more like it "
                       "in this file: '1/0003', '1/0004', '1/0005', '1/0006', '1/0007', '1/0008', '1/0009', "
                       "'1/0010', '1/0011', '1/0012' and 2,989 others)")
    assert po_state(hub, n)[0] == "acknowledged"


def test_an_xml_despatch_naming_a_thousand_unknown_orders_is_one_incident(store_hub):
    hub = store_hub
    accept(hub.context, [Submission("t", order(lines=[order()["lines"][1]]))])  # the lamp: initech
    hub.dispatcher("w").run_once()
    with hub.uow(readonly=True) as uow:
        n = uow.conn.scalar(select(t.purchase_orders.c.po_number))
    line = '<Line no="1" qty="1" unit="EA"><Item code="INI-L-300W" ourCode="LAMP-LED-WHT"/></Line>'
    orders = "".join(f'<Order no="{no}">{line}</Order>' for no in [f"U{k:04d}" for k in range(1000)] + [n])
    despatch = ('<?xml version="1.0"?><DespatchAdvice version="3.2" test="Y"><Header>'
                '<MessageRef created="2026-11-25T12:00:00+00:00">DA-1</MessageRef>'
                '<DespatchNo purpose="NEW">DN-1</DespatchNo><DespatchDate time="10:30">26/11/2026'
                '</DespatchDate><DeliveryDue>28/11/2026</DeliveryDue><Account>ER-20417</Account>'
                '<Carrier scac="FDEG" service="GND">FedEx</Carrier><Tracking>7712</Tracking></Header>'
                f'<Orders count="1001">{orders}</Orders><Totals lines="1001" units="1001"/></DespatchAdvice>')
    receive(hub, despatch.encode(), partner="initech")
    [(code, message, _)] = open_incidents(hub)
    assert (code, message) == ("asn.unknown_po", "856 from initech (file answer.edi) names purchase order 'U0000', "
                               "which is not one we sent: the document was kept but not applied; ask the "
                               "supplier (and 999 more like it in this file: 'U0001', 'U0002', 'U0003', "
                               "'U0004', 'U0005', 'U0006', 'U0007', 'U0008', 'U0009', 'U0010' and 989 others)")
    assert po_state(hub, n)[0] == "shipped"


def test_thousands_of_broken_and_unexpected_sets_are_one_incident_each_and_the_good_one_applies(store_hub):
    """One interchange of 3,000 855s whose SE01 miscounts, then a good one; one of 3,000
    810s, which acme does not send: one Incident per kind and file, naming the first sets
    by ST02 and place, the good 855 applied. The same files again file nothing new; a file
    read again on request counts once more, the tally the same."""
    hub = store_hub
    n = sent_po(hub)["po_number"]
    ack = [f"BAK*00*AC*{n}*20261125", "PO1*1*4*EA", "ACK*IA*4*EA", "PO1*2*2*EA", "ACK*IA*2*EA"]
    broken = sets("855", "PR", [ack] * 3001, 1001).decode()
    for k in range(1, 3001):   # every set but the last says it has 9 segments
        broken = broken.replace(f"SE*7*{k:04d}~", f"SE*9*{k:04d}~")
    invoices = sets("810", "IN", [["BIG*20261125*INV1"]] * 3000, 1002)
    assert receive(hub, broken.encode()).applied == 1
    receive(hub, invoices)
    assert po_state(hub, n)[0] == "accepted"
    found = {code: (message, occurrences) for code, message, occurrences in open_incidents(hub)}
    assert sorted(found) == ["inbound.bad_transaction", "inbound.unexpected_document"]
    bad, unexpected = found["inbound.bad_transaction"], found["inbound.unexpected_document"]
    assert bad[1] == unexpected[1] == 1
    assert bad[0].startswith("acme: transaction 855 (ISA13 000001001, GS06 1001, ST02 0001) was not applied: ")
    assert bad[0].endswith("(and 2,999 more like it in this file: '0002' (set 2), '0003' (set 3), '0004' (set 4), "
                           "'0005' (set 5), '0006' (set 6), '0007' (set 7), '0008' (set 8), '0009' (set 9), "
                           "'0010' (set 10), '0011' (set 11) and 2,989 others)")
    assert unexpected[0] == ("acme sent a 810 (ISA13 000001002, GS06 1002, ST02 0001), which its partner file "
                             "does not list under [documents] inbound: kept, not applied (and 2,999 more like "
                             "it in this file: '0002' (set 2), '0003' (set 3), '0004' (set 4), '0005' (set 5), "
                             "'0006' (set 6), '0007' (set 7), '0008' (set 8), '0009' (set 9), '0010' (set 10), "
                             "'0011' (set 11) and 2,989 others)")
    assert receive(hub, broken.encode()).state == "duplicate"
    assert receive(hub, invoices).state == "duplicate"
    assert {code: (m, o) for code, m, o in open_incidents(hub)} == found
    reprocess_inbound(hub.context, hub.receiver, first_inbound(hub), "ann")
    again = {code: (m, o) for code, m, o in open_incidents(hub)}
    assert again == {**found, "inbound.bad_transaction": (bad[0], 2)}
    with hub.uow(readonly=True) as uow:   # the file is kept as it came
        path = uow.conn.scalar(select(t.interchanges.c.archive_path).where(t.interchanges.c.id == first_inbound(hub)))
    assert (hub.archive.root / path).read_bytes() == broken.encode()


def test_a_file_cancelling_thousands_of_ship_notices_is_one_incident(store_hub):
    hub = store_hub
    n = sent_po(hub)["po_number"]
    notice = ["HL*1**S", "HL*2*1*O", f"PRF*{n}", "HL*3*2*I", "LIN*1", "SN1**4*EA"]
    doc = sets("856", "SH", [[f"BSN*{'01' if k % 2 else '03'}*C{k}*20261126", *notice] for k in range(3000)], 1101)
    receive(hub, doc)
    assert po_state(hub, n)[1][0][4] == 0
    [(code, message, occurrences)] = open_incidents(hub)
    assert (code, occurrences) == ("asn.cancelled", 1)
    assert message == ("acme cancels ship notice C0 (ISA13 000001101, GS06 1101, ST02 0001): it was not applied; "
                       "check with the supplier what did ship and correct the order (and 2,999 more like it "
                       "in this file: 'C1', 'C2', 'C3', 'C4', 'C5', 'C6', 'C7', 'C8', 'C9', 'C10' and 2,989 others)")
    assert receive(hub, doc).state == "duplicate"
    assert open_incidents(hub) == [(code, message, occurrences)]


def test_997s_for_groups_we_never_sent_are_one_incident_per_file(store_hub):
    """A 997 without AK2 loops speaks for its whole group; for a group we never sent it
    speaks for nothing, and says so: alone in its own words, thousands in one Incident."""
    hub = store_hub
    n = sent_po(hub)["po_number"]
    receive(hub, x12("997", "FA", ["AK1*PO*77", "AK9*A*1*1*1"], 1201))
    [(code, message, _)] = open_incidents(hub)
    assert (code, message) == ("ack.unknown_group", "acme's 997 (ISA13 000001201, GS06 1201, ST02 0001) "
                               "acknowledges group 77 as a whole (no AK2 names a set), but we never sent that "
                               "group to it: no purchase order was marked acknowledged; check its mapping of our "
                               "group control numbers (GS06)")
    assert po_state(hub, n)[0] == "sent"
    acks = [[f"AK1*PO*{k}", "AK9*A*1*1*1"] for k in range(100, 3100)] + [["AK1*PO*1", "AK9*A*1*1*1"]]
    receive(hub, sets("997", "FA", acks, 1202))
    assert po_state(hub, n)[0] == "acknowledged"
    [_, (code, message, occurrences)] = open_incidents(hub)
    assert (code, occurrences) == ("ack.unknown_group", 1)
    assert message.startswith("acme's 997 (ISA13 000001202, GS06 1202, ST02 0001) acknowledges group 100 ")
    assert message.endswith("(and 2,999 more like it in this file: '101', '102', '103', '104', '105', '106', "
                            "'107', '108', '109', '110' and 2,989 others)")

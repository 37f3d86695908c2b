"""Changes and cancellations from the channel, out to the suppliers, on SQLite and PostgreSQL:
replaced before the PO leaves, an 860 after, shipped units refused, the answers settling it."""

from __future__ import annotations

import dataclasses
from sqlalchemy import select

from hub.adapters import tables as t
from hub.edi.x12.reader import read_segments
from hub.services.change_answers import change_answered, settle_by_operator, settle_change
from hub.services.changes import CONFLICT, CREATED, UNCHANGED, request_change
from hub.services.intake import Submission, accept
from hub.services.overdue import check_overdue
from hub.views.changes import change_view, changes_of_order
from tests.integration.test_inbound import incidents, outbound, po_state, receive, sent_po, x12
from tests.integration.test_intake import order
from tests.support.pyx12_check import assert_reads_cleanly


def change(hub, change_id: str, **data):
    """Ask for a change of webshop/WS-1, as the channel would."""
    return request_change(hub.context, "webshop", "WS-1", {"change_id": change_id, **data})


def segments(payload: bytes, seg_id: str) -> list[list[str]]:
    return [s.fields[1:] for s in read_segments(payload) if s.id == seg_id]


def the_change(hub, result) -> dict:
    with hub.uow(readonly=True) as uow:
        return [c for c in changes_of_order(uow.conn, result.order_id) if c["id"] == result.order_change_id][0]


def accept_all(hub, po: dict, isa: int) -> None:
    """Acme's 855 taking the whole purchase order sent by sent_po (4 chairs, 2 footrests)."""
    n = po["po_number"]
    receive(hub, x12("855", "PR", [f"BAK*00*AC*{n}*20261125", "PO1*1*4*EA", "ACK*IA*4*EA",
                                   "PO1*2*2*EA", "ACK*IA*2*EA"], isa))


def ack_860(hub, doc: dict, isa: int, status: str = "A") -> None:
    """Acme's 997 on our 860's set, found by its GS06 and ST02 as for an 850."""
    receive(hub, x12("997", "FA", [f"AK1*PC*{doc['group_control']}", f"AK2*860*{doc['set_control']}",
                                   f"AK5*{status}", f"AK9*{status}*1*1*{1 if status == 'A' else 0}"], isa))


def test_a_change_before_the_po_leaves_replaces_its_document(store_hub, demo_home):
    o = order()
    o["lines"][0]["quantity"] = 3
    [taken] = accept(store_hub.context, [Submission("t", o)])
    [first] = outbound(store_hub, "850")
    result = change(store_hub, "C1", lines=[{"line_id": "1", "quantity": 1}])
    assert (result.status, result.state) == (CREATED, "accepted")
    docs = outbound(store_hub, "850")
    assert [(d["id"], d["state"]) for d in docs] == [(first["id"], "cancelled"), (docs[1]["id"], "queued")]
    new = docs[1]
    assert new["control_number"] == "000000002"                      # new control numbers
    assert segments(new["payload"], "PO1")[0][:3] == ["1", "1", "EA"]   # the whole document, changed
    assert_reads_cleanly(new["payload"])
    assert outbound(store_hub, "860") == []                          # nothing for the supplier to settle
    [part] = the_change(store_hub, result)["purchase_orders"]
    assert (part["mode"], part["state"], part["document"]["id"]) == ("replaced", "applied", new["id"])
    assert [x["state"] for x in outbound(store_hub, "xml-po")] == ["queued"]   # the other PO untouched
    store_hub.dispatcher("w").run_once()
    sent = sorted(p.name for p in (demo_home / "var/suppliers/acme/to-supplier").iterdir())
    assert sent == ["acme_850_000000002.edi"]                        # the withdrawn one never left


def test_a_document_being_sent_right_now_is_left_whole_and_followed_by_an_860(store_hub, clock):
    from datetime import timedelta
    accept(store_hub.context, [Submission("t", order())])
    with store_hub.uow() as uow:                # a worker holds the 850: it is on its way
        uow.outbox.claim(clock(), "other-worker", timedelta(minutes=5))
        uow.commit()
    result = change(store_hub, "C1", lines=[{"line_id": "1", "quantity": 1}])
    [acme_part] = [p for p in the_change(store_hub, result)["purchase_orders"] if p["supplier"] == "acme"]
    assert (acme_part["mode"], acme_part["state"]) == ("860", "queued")
    assert [d["state"] for d in outbound(store_hub, "850")] == ["queued"]   # not withdrawn half-way
    [doc] = outbound(store_hub, "860")
    assert segments(doc["payload"], "POC")[0][:4] == ["1", "QD", "1", "1"]


def test_after_the_855_an_860_goes_out_and_its_997_settles_it(store_hub, demo_home):
    po = sent_po(store_hub)
    accept_all(store_hub, po, 301)
    result = change(store_hub, "C1", lines=[{"line_id": "1", "quantity": 2}, {"line_id": "2", "quantity": 3}])
    assert (result.status, result.state) == (CREATED, "requested")
    [doc] = outbound(store_hub, "860")
    assert segments(doc["payload"], "BCH") == [["04", "DS", po["po_number"], "", "1", "20261125", "", "", "",
                                                "", "20261125"]]
    assert [s[:5] for s in segments(doc["payload"], "POC")] == [["1", "QD", "2", "2", "EA"],
                                                                 ["2", "QI", "3", "3", "EA"]]
    assert_reads_cleanly(doc["payload"])
    assert po_state(store_hub, po["po_number"]) == ("accepted", [("accepted", 2, 0, 0, 0),
                                                                 ("accepted", 2, 0, 0, 0)])
    store_hub.dispatcher("w").run_once()
    delivered = demo_home / "var/suppliers/acme/to-supplier" / doc["filename"]
    assert delivered.read_bytes() == doc["payload"]
    assert the_change(store_hub, result)["state"] == "sent"       # acme answers with a 997
    ack_860(store_hub, doc, 302)
    settled = the_change(store_hub, result)
    assert settled["state"] == "accepted" and settled["purchase_orders"][0]["acked_at"]
    # The footrest's added unit is accepted with the change.
    assert po_state(store_hub, po["po_number"]) == ("accepted", [("accepted", 2, 0, 0, 0),
                                                                 ("accepted", 3, 0, 0, 0)])


def test_after_a_partial_shipment_only_the_unshipped_units_change(store_hub):
    po = sent_po(store_hub)
    accept_all(store_hub, po, 401)
    n = po["po_number"]
    receive(store_hub, x12("856", "SH", ["BSN*00*SHIP1*20261126*0900", "HL*1**S", "TD5*B*2*UPSN",
                                         "REF*2I*1Z1", "HL*2*1*O", f"PRF*{n}", "HL*3*2*I", "LIN*1",
                                         "SN1**3*EA"], 402))
    result = change(store_hub, "C1", lines=[{"line_id": "1", "quantity": 1}, {"line_id": "2", "cancel": True}])
    view = the_change(store_hub, result)
    assert [(ln["line_id"], ln["before"], ln["after"], ln["refused"]) for ln in view["lines"]] == [
        ("1", 4, 3, 2), ("2", 2, 0, 0)]
    assert view["lines"][0]["note"] == ("2 unit(s) already shipped and cannot be cancelled: a return is "
                                        "not a change")
    [doc] = outbound(store_hub, "860")
    assert [s[:4] for s in segments(doc["payload"], "POC")] == [["1", "QD", "3", "0"], ["2", "DI", "", ""]]
    assert po_state(store_hub, n) == ("shipped", [("shipped", 3, 0, 0, 3), ("cancelled", 0, 0, 0, 0)])
    with store_hub.uow(readonly=True) as uow:
        assert uow.repo.get_order(po["order_id"]).state.value == "shipped"


def test_cancelling_the_whole_order_after_a_partial_shipment(store_hub):
    accept(store_hub.context, [Submission("t", order())])   # 2 chairs at acme, a lamp at initech
    store_hub.dispatcher("w").run_once()
    [acme_po] = [p for p in outbound(store_hub, "850")]
    with store_hub.uow(readonly=True) as uow:
        number = uow.conn.scalar(select(t.purchase_orders.c.po_number)
                                 .where(t.purchase_orders.c.id == acme_po["purchase_order_id"]))
    receive(store_hub, x12("856", "SH", ["BSN*00*S1*20261126*0900", "HL*1**S", "TD5*B*2*UPSN", "HL*2*1*O",
                                         f"PRF*{number}", "HL*3*2*I", "LIN*1", "SN1**1*EA"], 501))
    result = change(store_hub, "C9", cancel=True, reason="the customer changed their mind")
    view = the_change(store_hub, result)
    assert [(ln["line_id"], ln["after"], ln["refused"]) for ln in view["lines"]] == [("1", 1, 1), ("2", 0, 0)]
    parts = {p["supplier"]: p for p in view["purchase_orders"]}
    assert (parts["acme"]["mode"], parts["acme"]["purpose"]) == ("860", "04")   # 1 shipped: not a cancellation
    assert (parts["initech"]["mode"], parts["initech"]["state"]) == ("manual", "manual")
    assert "change.tell_supplier" in incidents(store_hub)
    assert view["state"] == "requested"
    done = settle_by_operator(store_hub.context, parts["initech"]["id"], True, "ola", "phoned initech")
    assert done.state == "accepted"
    with store_hub.uow(readonly=True) as uow:
        audit = uow.conn.execute(select(t.audit_log.c.actor, t.audit_log.c.action)).all()
        state = uow.repo.find_order("webshop", "WS-1").state.value
    assert ("ola", "change.settle") in audit
    assert state == "shipped"     # the one chair left shipped; nothing else is wanted


def test_the_same_change_again_sends_nothing_more_and_other_content_is_a_conflict(store_hub):
    po = sent_po(store_hub)
    accept_all(store_hub, po, 601)
    first = change(store_hub, "C1", lines=[{"line_id": "1", "quantity": 3}])
    again = change(store_hub, "C1", lines=[{"line_id": "1", "quantity": 3}])
    other = change(store_hub, "C1", lines=[{"line_id": "1", "quantity": 2}])
    assert (first.status, again.status, other.status) == (CREATED, UNCHANGED, CONFLICT)
    assert again.order_change_id == first.order_change_id
    assert "C1 was already taken with different content (lines)" in other.problems[0]
    assert len(outbound(store_hub, "860")) == 1
    assert po_state(store_hub, po["po_number"])[1][0][0:2] == ("accepted", 3)


def test_an_unanswered_change_raises_an_sla_incident_which_its_997_resolves(store_hub, clock):
    po = sent_po(store_hub)
    accept_all(store_hub, po, 701)
    change(store_hub, "C1", lines=[{"line_id": "2", "cancel": True}])
    store_hub.dispatcher("w").run_once()
    clock.advance(hours=23)
    check_overdue(store_hub.context)
    assert "overdue.change" not in incidents(store_hub)
    clock.advance(hours=2)                       # acme's poack_hours (24) after delivery
    check_overdue(store_hub.context)
    with store_hub.uow(readonly=True) as uow:
        message = uow.conn.scalar(select(t.incidents.c.message).where(t.incidents.c.code == "overdue.change"))
    assert message.startswith(f"acme has not sent the answer to our change (865 or 997/999) for purchase "
                              f"order {po['po_number']}, due 2026-11-26 10:00 UTC")
    [doc] = outbound(store_hub, "860")
    ack_860(store_hub, doc, 702)
    assert "overdue.change" not in incidents(store_hub)


def test_a_partner_that_answers_with_865s_settles_per_line(store_hub):
    acme = store_hub.context.partners["acme"]
    store_hub.context.partners["acme"] = dataclasses.replace(acme, inbound=acme.inbound + ("865",))
    po = sent_po(store_hub)
    accept_all(store_hub, po, 801)
    result = change(store_hub, "C1", lines=[{"line_id": "1", "quantity": 3}, {"line_id": "2", "quantity": 3}])
    store_hub.dispatcher("w").run_once()
    [doc] = outbound(store_hub, "860")
    ack_860(store_hub, doc, 802)
    assert the_change(store_hub, result)["state"] == "sent"     # the 997 alone does not settle it
    [part] = the_change(store_hub, result)["purchase_orders"]
    with store_hub.uow() as uow:                 # what the 865 reader does with "line 2 refused"
        assert change_answered(uow, po["po_number"], 1) == part["id"] == change_answered(uow, po["po_number"])
        assert change_answered(uow, po["po_number"], 2) is None
        settled = settle_change(uow, store_hub.context, part["id"], True, lines={2: False})
        uow.commit()
    assert settled.state == "partly_accepted"
    view = the_change(store_hub, result)
    assert view["state"] == "partly_accepted"
    assert [ln["answer"] for ln in view["purchase_orders"][0]["lines"]] == ["accepted", "refused"]
    # The refused footrest goes to the next supplier that sells it; nothing is lost.
    with store_hub.uow(readonly=True) as uow:
        pos = uow.repo.purchase_orders_of(po["order_id"])
    assert [(p.partner_id, [(ln.sku, ln.quantity) for ln in p.lines]) for p in pos if p.route_attempt == 2] == [
        ("initech", [("FOOTREST-ADJ", 1)])]
    with store_hub.uow() as uow:                 # an 865 sent again changes nothing
        assert not settle_change(uow, store_hub.context, part["id"], False).changed


def test_an_order_still_in_review_is_changed_in_place(store_hub):
    held = order(customer={**order()["customer"], "id": "NEW", "prepaid": False},
                 lines=[{"line_id": "1", "sku": "CHAIR-ERGO-BLK", "quantity": 4, "unit_price": "300.00"}])
    [taken] = accept(store_hub.context, [Submission("t", held)])
    assert taken.state == "on_hold"
    result = change(store_hub, "C1", lines=[{"line_id": "1", "quantity": 2}],
                    requested_delivery_date="2026-12-20")
    assert (result.status, result.state) == (CREATED, "accepted")
    with store_hub.uow(readonly=True) as uow:
        o = uow.repo.get_order(taken.order_id)
        view = change_view(uow.conn, result.order_change_id)
    assert (o.state.value, o.lines[0].wanted, str(o.requested_delivery)) == ("on_hold", 2, "2026-12-20")
    assert view["purchase_orders"] == [] and view["lines"][0]["after"] == 2


def test_unknown_lines_and_cancelled_orders_are_refused_with_the_path(store_hub):
    accept(store_hub.context, [Submission("t", order())])
    bad = change(store_hub, "C1", lines=[{"line_id": "9", "quantity": 1}])
    assert bad.problems == ["lines[0].line_id: order webshop/WS-1 has no line '9' (lines: 1, 2)"]
    assert change(store_hub, "C2", cancel=True).state == "accepted"     # nothing had left yet
    late = change(store_hub, "C3", lines=[{"line_id": "1", "quantity": 1}])
    assert late.problems == ["order: webshop/WS-1 is cancelled: nothing about it can change any more"]
    assert request_change(store_hub.context, "webshop", "NOPE", {"change_id": "C", "cancel": True}).status == \
        "not_found"


def test_a_new_ship_to_reaches_the_supplier_in_n1_and_the_rebuilt_850(store_hub):
    accept(store_hub.context, [Submission("t", order())])
    address = {"name": "Bo Lee", "address1": "2 Side St", "city": "Dallas", "state": "TX",
               "postal_code": "75201", "country": "US"}
    change(store_hub, "C1", ship_to=address, requested_delivery_date="2026-12-10")
    [_, rebuilt] = outbound(store_hub, "850")
    assert segments(rebuilt["payload"], "N1")[0] == ["ST", "Bo Lee"]
    assert ["002", "20261210"] in segments(rebuilt["payload"], "DTM")
    [old, new] = outbound(store_hub, "xml-po")
    assert old["state"] == "cancelled" and b"Dallas" in new["payload"]


def test_a_partner_expecting_no_997_settles_a_change_by_taking_delivery(store_hub):
    acme = store_hub.context.partners["acme"]
    store_hub.context.partners["acme"] = dataclasses.replace(acme, expect_997=False)
    po = sent_po(store_hub)
    accept_all(store_hub, po, 901)
    result = change(store_hub, "C1", lines=[{"line_id": "2", "quantity": 3}])
    assert the_change(store_hub, result)["state"] == "requested"
    store_hub.dispatcher("w").run_once()
    view = the_change(store_hub, result)
    assert view["state"] == "accepted" and view["purchase_orders"][0]["sent_at"]
    assert po_state(store_hub, po["po_number"])[1][1] == ("accepted", 3, 0, 0, 0)


def test_a_ship_notice_crossing_our_cancellation_is_kept_and_told_not_counted(store_hub):
    # Acme ships the chairs before it reads our 860 cancelling the order; its 997 on the 860
    # comes in the same poll, after the 856.
    po = sent_po(store_hub)
    accept_all(store_hub, po, 801)
    n = po["po_number"]
    result = change(store_hub, "C1", cancel=True)
    store_hub.dispatcher("w").run_once()
    receive(store_hub, x12("856", "SH", ["BSN*00*SHIP9*20261126*0900", "HL*1**S", "TD5*B*2*UPSN",
                                         "REF*2I*1Z9", "HL*2*1*O", f"PRF*{n}", "HL*3*2*I", "LIN*1",
                                         "SN1**4*EA"], 802))
    [doc] = outbound(store_hub, "860")
    ack_860(store_hub, doc, 803)
    assert the_change(store_hub, result)["state"] == "accepted"
    assert po_state(store_hub, n) == ("cancelled", [("cancelled", 0, 0, 0, 0), ("cancelled", 0, 0, 0, 0)])
    with store_hub.uow(readonly=True) as uow:
        [(message, state)] = uow.conn.execute(select(t.incidents.c.message, t.incidents.c.state)
                                              .where(t.incidents.c.code == "asn.cancelled_units")).all()
        kept = uow.conn.scalar(select(t.interchanges.c.state).where(t.interchanges.c.control_number == "000000802"))
    assert state == "open" and kept == "processed"
    assert message.startswith(f"856 SHIP9 ships 4 x item 1 of purchase order {n}, which we cancelled")

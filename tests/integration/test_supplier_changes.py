"""Suppliers' 865s in, on SQLite and PostgreSQL: answers to our 860s, the supplier's own cuts and
delays, duplicates, strangers and broken sets."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select

from hub.adapters import tables as t
from hub.services.intake import Submission, accept
from tests.integration.test_changes import accept_all, change, the_change
from tests.integration.test_channel_api import api, auth, feed, summary  # noqa: F401  (fixture)
from tests.integration.test_inbound import incidents, outbound, po_state, receive, sent_po, x12
from tests.integration.test_intake import order


@pytest.fixture
def answers_865(store_hub):
    """Acme lists 865 among its inbound documents (its other settings as in the demo)."""
    partners = store_hub.context.partners
    acme = partners["acme"]
    store_hub.context.partners = {**partners, "acme": dataclasses.replace(
        acme, inbound=acme.inbound + ("865",), sla=dataclasses.replace(acme.sla, delay_days=5))}
    return store_hub


def ca(body: list[str], isa: int) -> bytes:
    """Acme's 865 (functional group CA) around ``body``."""
    return x12("865", "CA", body, isa)


def own(n: str, *lines: str) -> list[str]:
    """An 865 body for the supplier's own change of PO ``n`` (BCA01 19, seller initiated)."""
    return [f"BCA*19*AC*{n}***20261125", *lines]


def others(hub, order_id: int) -> list[tuple]:
    with hub.uow(readonly=True) as uow:
        pos = uow.repo.purchase_orders_of(order_id)
    return [(p.partner_id, [(ln.sku, ln.quantity) for ln in p.lines]) for p in pos if p.route_attempt == 2]


def links(hub, set_id: str = "865") -> list:
    s = t.transaction_sets
    with hub.uow(readonly=True) as uow:
        return list(uow.conn.scalars(select(s.c.purchase_order_id).where(s.c.set_id == set_id)))


def timeline(hub, kind: str) -> list[str]:
    with hub.uow(readonly=True) as uow:
        return list(uow.conn.scalars(select(t.events.c.message).where(t.events.c.kind == kind)
                                     .order_by(t.events.c.id)))


def test_a_cut_rejects_the_units_and_reroutes_them_once(answers_865):
    hub = answers_865
    po = sent_po(hub)
    n = po["po_number"]
    accept_all(hub, po, 101)
    cut = ca(own(n, "POC*2*QD*1**EA", "ACK*IQ*1*EA"), 102)
    report = receive(hub, cut)
    assert report.problems == []
    assert (report.state, report.applied) == ("processed", 1)
    assert po_state(hub, n) == ("accepted", [("accepted", 4, 0, 0, 0), ("changed", 1, 0, 1, 0)])
    assert others(hub, po["order_id"]) == [("initech", [("FOOTREST-ADJ", 1)])]
    assert links(hub) == [po["id"]]
    assert f"{n}: acme cut line 2 (FOOTREST-ADJ) from 2 to 1 unit(s) (865 POC02 QD)" in timeline(hub, "po.state")
    assert len(outbound(hub, "997")) == 2          # acme's 855 and 865 groups are acknowledged
    assert b"AK1*CA*102" in outbound(hub, "997")[1]["payload"]
    # The same bytes again are a duplicate; the same change in a new interchange changes nothing.
    assert receive(hub, cut).state == "duplicate"
    resent = cut.replace(b"*000000102*", b"*000000103*").replace(b"IEA*1*000000102", b"IEA*1*000000103")
    assert receive(hub, resent).state == "processed"
    assert po_state(hub, n)[1][1] == ("changed", 1, 0, 1, 0)
    assert others(hub, po["order_id"]) == [("initech", [("FOOTREST-ADJ", 1)])]
    assert incidents(hub) == []


def test_a_deleted_line_no_one_else_sells_is_an_incident(answers_865):
    hub = answers_865
    o = order()
    o["lines"] = [{"line_id": "1", "sku": "MONITOR-ARM-2", "quantity": 3, "unit_price": "60.00"},
                  {"line_id": "2", "sku": "CABLE-TRAY-80", "quantity": 1, "unit_price": "20.00"}]
    [taken] = accept(hub.context, [Submission("t", o)])
    hub.dispatcher("w").run_once()
    with hub.uow(readonly=True) as uow:
        [po] = uow.repo.purchase_orders_of(taken.order_id)
    receive(hub, ca(own(po.po_number, "POC*1*DI"), 201))
    assert po_state(hub, po.po_number) == ("sent", [("rejected", 0, 0, 3, 0), ("open", 0, 0, 0, 0)])
    assert incidents(hub) == ["routing.no_supplier_left"]
    with hub.uow(readonly=True) as uow:
        assert uow.repo.get_order(taken.order_id).state.value == "needs_attention"


def test_our_change_accepted_by_865(answers_865):
    hub = answers_865
    po = sent_po(hub)
    accept_all(hub, po, 301)
    result = change(hub, "C1", lines=[{"line_id": "1", "quantity": 3}, {"line_id": "2", "quantity": 3}])
    hub.dispatcher("w").run_once()
    assert the_change(hub, result)["state"] == "sent"
    receive(hub, ca([f"BCA*04*AT*{po['po_number']}**1*20261125", "POC*1*QD*3**EA", "ACK*IA*3*EA",
                     "POC*2*QI*3**EA", "ACK*IA*3*EA"], 302))
    view = the_change(hub, result)
    assert view["state"] == "accepted"
    assert [ln["answer"] for ln in view["purchase_orders"][0]["lines"]] == ["accepted", "accepted"]
    assert po_state(hub, po["po_number"])[1] == [("accepted", 3, 0, 0, 0), ("accepted", 3, 0, 0, 0)]
    assert links(hub) == [po["id"]] and others(hub, po["order_id"]) == []
    assert "change.accepted" in [k for k in timeline_kinds(hub)]


def timeline_kinds(hub) -> list[str]:
    with hub.uow(readonly=True) as uow:
        return list(uow.conn.scalars(select(t.events.c.kind).order_by(t.events.c.id)))


def test_our_change_refused_on_one_line_by_865(answers_865):
    hub = answers_865
    po = sent_po(hub)
    accept_all(hub, po, 401)
    result = change(hub, "C1", lines=[{"line_id": "1", "quantity": 3}, {"line_id": "2", "quantity": 3}])
    hub.dispatcher("w").run_once()
    answer = ca([f"BCA*04*AC*{po['po_number']}**1*20261125", "POC*1*QD*3**EA", "ACK*IA*3*EA",
                 "POC*2*QI*3**EA", "ACK*IR*1*EA"], 402)
    receive(hub, answer)
    view = the_change(hub, result)
    assert view["state"] == "partly_accepted"
    assert [ln["answer"] for ln in view["purchase_orders"][0]["lines"]] == ["accepted", "refused"]
    assert others(hub, po["order_id"]) == [("initech", [("FOOTREST-ADJ", 1)])]   # the unit it refused
    # The same answer in a new interchange settles nothing twice and cuts nothing.
    receive(hub, answer.replace(b"*000000402*", b"*000000403*").replace(b"IEA*1*000000402", b"IEA*1*000000403"))
    assert the_change(hub, result)["state"] == "partly_accepted"
    assert timeline(hub, "change.answer_ignored") == [
        f"the change to {po['po_number']} was settled already (partly_accepted); the answer (865) changes nothing"]
    assert po_state(hub, po["po_number"])[1][0] == ("accepted", 3, 0, 0, 0)
    assert others(hub, po["order_id"]) == [("initech", [("FOOTREST-ADJ", 1)])]


def test_a_later_ship_date_delays_the_order_for_the_channel(api, answers_865):  # noqa: F811
    hub = answers_865
    po = sent_po(hub)
    n = po["po_number"]
    receive(hub, x12("855", "PR", [f"BAK*00*AC*{n}*20261125", "PO1*1*4*EA", "ACK*IA*4*EA*068*20261201",
                                   "PO1*2*2*EA", "ACK*IA*2*EA*068*20261201"], 501))
    receive(hub, ca(own(n, "POC*1*CT*4**EA", "ACK*DR*4*EA*068*20261204",
                        "POC*2*CT*2**EA", "DTM*068*20261210"), 502))
    with hub.uow(readonly=True) as uow:
        dates = [pl.promised_date.isoformat() for pl in uow.repo.find_purchase_order(n).lines]
    assert dates == ["2026-12-04", "2026-12-10"]
    page = feed(api)
    assert summary(page)[1:] == [(2, "order.delayed", "accepted", [("1", 4, "accepted")]),
                                 (3, "order.delayed", "accepted", [("2", 2, "accepted")])]
    one, two = page["events"][1:]
    assert (one["lines"][0]["previous_expected_ship_date"], one["lines"][0]["expected_ship_date"],
            one["reason"]) == ("2026-12-01", "2026-12-04",
                               "the supplier moved its ship date: Item Accepted - Date Rescheduled (DR)")
    assert two["reason"] == "the supplier moved its ship date: Change of Dates (CT)"
    # Line 2 is 9 days late, beyond acme's 5: an Incident; line 1 (3 days) is within.
    assert incidents(hub) == ["supplier_change.delay_beyond_window"]
    with hub.uow(readonly=True) as uow:
        message = uow.conn.scalar(select(t.incidents.c.message))
    assert f"acme moved {n} line 2 (FOOTREST-ADJ) from 2026-12-01 to 2026-12-10, 9 days later" in message


def test_an_865_for_a_po_we_never_sent(answers_865):
    hub = answers_865
    receive(hub, ca(own("PO9999999", "POC*1*DI"), 601))
    assert incidents(hub) == ["change_ack.unknown_po"]
    assert links(hub) == [None]


def test_a_broken_865_is_refused_with_its_error_and_kept(answers_865):
    hub = answers_865
    po = sent_po(hub)
    broken = ca([f"BCA*04*AC*{po['po_number']}**1*20261125", "POC*1*QD*3**EA", "ACK**3*EA"], 701)
    report = receive(hub, broken)
    assert report.state == "rejected"
    assert "ACK01, the line status, is empty" in report.problems[0]
    assert incidents(hub) == ["change_ack.missing_line_status"]
    assert po_state(hub, po["po_number"])[1][0] == ("open", 0, 0, 0, 0)
    with hub.uow(readonly=True) as uow:
        [path] = uow.conn.scalars(select(t.interchanges.c.archive_path).where(t.interchanges.c.direction == "in"))
    assert (hub.archive.root / path).read_bytes() == broken


def asn_and_865(isa: int, n: str, shipped: list[tuple[int, int]], answer: list[str]) -> bytes:
    """One interchange from acme: a group with an 856 shipping (line, units) of PO ``n``, then
    a group with an 865 made of ``answer`` (its BCA and POC loops)."""
    asn = ["BSN*00*S1*20261126*0900", "HL*1**S", "TD5*B*2*UPSN", "REF*2I*1Z1", "HL*2*1*O", f"PRF*{n}"]
    for k, (line, units) in enumerate(shipped, start=3):
        asn += [f"HL*{k}*2*I", f"LIN*{line}", f"SN1**{units}*EA"]
    head = x12("856", "SH", [], isa).decode().split("~\n")[:2]   # ISA and the 856's GS
    segs = [*head, "ST*856*0001", *asn, f"SE*{len(asn) + 2}*0001", f"GE*1*{isa}",
            f"GS*CA*ACMESUPPLY*DEMORETAIL*20261125*1200*{isa + 1}*X*004010", "ST*865*0001", *answer,
            f"SE*{len(answer) + 2}*0001", f"GE*1*{isa + 1}", f"IEA*2*{isa:09d}"]
    return ("~\n".join(segs) + "~\n").encode()


def test_an_856_and_the_865_accepting_our_change_in_one_file(api, answers_865):  # noqa: F811
    """The 865 settles our change after the 856 has moved the same order in the same unit of
    work: the order's state and what the channel hears count both."""
    hub = answers_865
    po = sent_po(hub)
    n = po["po_number"]
    accept_all(hub, po, 501)
    change(hub, "C1", lines=[{"line_id": "1", "quantity": 3}])
    hub.dispatcher("w").run_once()
    report = receive(hub, asn_and_865(502, n, [(1, 3), (2, 2)],
                                      [f"BCA*04*AT*{n}**1*20261125", "POC*1*QD*3**EA", "ACK*IA*3*EA"]))
    assert (report.state, report.applied, report.problems) == ("processed", 2, [])
    assert po_state(hub, n)[1] == [("shipped", 3, 0, 0, 3), ("shipped", 2, 0, 0, 2)]
    with hub.uow(readonly=True) as uow:
        assert uow.repo.get_order(po["order_id"]).state.value == "shipped"
    # The decrease was told when it was asked for; the file ships everything still wanted.
    assert summary(feed(api)) == [
        (1, "order.accepted", "accepted", [("1", 4, "accepted"), ("2", 2, "accepted")]),
        (2, "order.cancelled", "accepted", [("1", 1, "accepted")]),
        (3, "order.shipped", "shipped", [("1", 3, "shipped"), ("2", 2, "shipped")])]


def test_an_856_and_the_865_refusing_our_increase_in_one_file(api, answers_865):  # noqa: F811
    """The refused unit goes to the next supplier while the same file ships the rest: the
    order's state and what the channel hears count the new purchase order too."""
    hub = answers_865
    po = sent_po(hub)
    n = po["po_number"]
    accept_all(hub, po, 601)
    change(hub, "C1", lines=[{"line_id": "2", "quantity": 3}])
    hub.dispatcher("w").run_once()
    report = receive(hub, asn_and_865(602, n, [(1, 4)],
                                      [f"BCA*04*AC*{n}**1*20261125", "POC*2*QI*3**EA", "ACK*IR*1*EA"]))
    assert (report.state, report.applied, report.problems) == ("processed", 2, [])
    assert others(hub, po["order_id"]) == [("initech", [("FOOTREST-ADJ", 1)])]
    with hub.uow(readonly=True) as uow:
        assert uow.repo.get_order(po["order_id"]).state.value == "partially_shipped"
    assert summary(feed(api)) == [
        (1, "order.accepted", "accepted", [("1", 4, "accepted"), ("2", 2, "accepted")]),
        (2, "order.shipped", "partially_shipped", [("1", 4, "shipped")])]


def test_units_declined_then_cancelled_are_not_taken_by_a_corrected_855(api, answers_865):  # noqa: F811
    """Acme declines the 3 monitor arms and nobody else sells them; the customer cuts the
    line to 1; acme's corrected 855 then takes all 3: only the 1 still wanted counts."""
    hub = answers_865
    o = order()
    o["lines"] = [{"line_id": "1", "sku": "MONITOR-ARM-2", "quantity": 3, "unit_price": "60.00"}]
    [taken] = accept(hub.context, [Submission("t", o)])
    hub.dispatcher("w").run_once()
    with hub.uow(readonly=True) as uow:
        [po] = uow.repo.purchase_orders_of(taken.order_id)
    n = po.po_number
    receive(hub, x12("855", "PR", [f"BAK*00*AC*{n}*20261125", "PO1*1*3*EA", "ACK*IR*3*EA"], 701))
    assert incidents(hub) == ["routing.no_supplier_left"]
    change(hub, "C1", lines=[{"line_id": "1", "quantity": 1}])
    assert po_state(hub, n) == ("rejected", [("rejected", 0, 0, 1, 0)])   # no 860: acme holds none
    assert outbound(hub, "860") == []
    receive(hub, x12("855", "PR", [f"BAK*00*AC*{n}*20261126", "PO1*1*3*EA", "ACK*IA*3*EA"], 702))
    assert po_state(hub, n) == ("accepted", [("accepted", 1, 0, 0, 0)])
    assert "poack.over_acknowledged" in incidents(hub)
    doc = api.get(f"/api/v1/orders/webshop/{o['channel_order_id']}", headers=auth()).get_json()
    [line] = doc["lines"]
    assert line["quantities"] == {"ordered": 3, "cancelled": 2, "accepted": 1, "backordered": 0,
                                  "rejected": 0, "shipped": 0}
    assert line["state"] == "accepted"


def test_two_increases_refused_in_turn_each_decline_their_own_unit(answers_865):
    """Two changes each add a footrest (2 -> 3 -> 4); acme refuses the first, then the second:
    acme keeps the 2 it had, and both added units are declined (the second change was planned
    on top of the first, so it is rebased when the first is refused)."""
    hub = answers_865
    po = sent_po(hub)
    n = po["po_number"]
    accept_all(hub, po, 801)
    for change_id, units in (("C1", 3), ("C2", 4)):
        change(hub, change_id, lines=[{"line_id": "2", "quantity": units}])
        hub.dispatcher("w").run_once()
    assert len(outbound(hub, "860")) == 2
    for isa, sequence, units in ((802, 1, 3), (803, 2, 4)):
        receive(hub, ca([f"BCA*04*AC*{n}**{sequence}*20261125", f"POC*2*QI*{units}**EA", "ACK*IR*1*EA"], isa))
    assert po_state(hub, n)[1][1] == ("accepted", 2, 0, 2, 0)   # acme holds the 2 it accepted
    # The first declined unit goes to initech; initech tried, the second has nobody left.
    assert others(hub, po["order_id"]) == [("initech", [("FOOTREST-ADJ", 1)])]
    assert incidents(hub) == ["routing.no_supplier_left"]


def test_the_865_answering_our_change_moves_the_ship_date(api, answers_865):  # noqa: F811
    """Acme takes the added footrest but ships the line later: the date it gives in its answer
    moves the line and the channel hears the delay, as for acme's own change."""
    hub = answers_865
    po = sent_po(hub)
    n = po["po_number"]
    receive(hub, x12("855", "PR", [f"BAK*00*AC*{n}*20261125", "PO1*1*4*EA", "ACK*IA*4*EA*068*20261201",
                                   "PO1*2*2*EA", "ACK*IA*2*EA*068*20261201"], 901))
    result = change(hub, "C1", lines=[{"line_id": "2", "quantity": 3}])
    hub.dispatcher("w").run_once()
    receive(hub, ca([f"BCA*04*AC*{n}**1*20261125", "POC*2*QI*3**EA", "ACK*IA*3*EA*068*20261203"], 902))
    assert the_change(hub, result)["state"] == "accepted"
    with hub.uow(readonly=True) as uow:
        lines = uow.repo.find_purchase_order(n).lines
    assert [(pl.quantity, pl.qty_accepted, pl.promised_date.isoformat()) for pl in lines] == [
        (4, 4, "2026-12-01"), (3, 3, "2026-12-03")]
    page = feed(api)
    # Delayed, and accepted again: every unit, the added one too, is taken now.
    assert [e[1] for e in summary(page)] == ["order.accepted", "order.delayed", "order.accepted"]
    delayed = page["events"][1]
    assert (delayed["reason"], delayed["lines"][0]["line_id"], delayed["lines"][0]["previous_expected_ship_date"],
            delayed["lines"][0]["expected_ship_date"]) == (
        "the supplier moved its ship date: Item Accepted (IA)", "2", "2026-12-01", "2026-12-03")
    assert incidents(hub) == []   # 2 days: within acme's 5


def _line_1_cut_to_3_and_sent(hub):
    """Acme has accepted its purchase order; our change cutting line 1 to 3 units is sent
    (an 860). The PO row, its number, and the change's result."""
    po = sent_po(hub)
    accept_all(hub, po, 301)
    result = change(hub, "C1", lines=[{"line_id": "1", "quantity": 3}])
    hub.dispatcher("w").run_once()
    return po, po["po_number"], result


def test_an_answer_deleting_a_line_our_change_did_not_touch_is_the_suppliers_own_cut(answers_865):
    """Acme takes our change to line 1 and, in the same answer, deletes line 2 (POC02 DI, no
    ACK), which we did not change: the footrests go to the next supplier, as for acme's own
    865; the same answer again cuts nothing twice."""
    hub = answers_865
    po, n, result = _line_1_cut_to_3_and_sent(hub)
    answer = ca([f"BCA*04*AC*{n}**1*20261125", "POC*1*QD*3**EA", "ACK*IA*3*EA", "POC*2*DI"], 302)
    assert receive(hub, answer).problems == []
    assert the_change(hub, result)["state"] == "accepted"
    assert po_state(hub, n) == ("accepted", [("accepted", 3, 0, 0, 0), ("rerouted", 0, 0, 2, 0)])
    assert others(hub, po["order_id"]) == [("initech", [("FOOTREST-ADJ", 2)])]
    assert f"{n}: acme cut line 2 (FOOTREST-ADJ) from 2 to 0 unit(s) (865 POC02 DI)" in timeline(hub, "po.state")
    receive(hub, answer.replace(b"*000000302*", b"*000000303*").replace(b"IEA*1*000000302", b"IEA*1*000000303"))
    assert po_state(hub, n)[1][1] == ("rerouted", 0, 0, 2, 0)
    assert others(hub, po["order_id"]) == [("initech", [("FOOTREST-ADJ", 2)])]
    assert incidents(hub) == []


def test_an_answer_refusing_a_line_our_change_did_not_touch_with_units_cuts_them(answers_865):
    hub = answers_865
    po, n, _ = _line_1_cut_to_3_and_sent(hub)
    receive(hub, ca([f"BCA*04*AC*{n}**1*20261125", "POC*1*QD*3**EA", "ACK*IA*3*EA",
                     "POC*2*NC*2**EA", "ACK*IR*1*EA"], 302))
    assert po_state(hub, n)[1] == [("accepted", 3, 0, 0, 0), ("changed", 1, 0, 1, 0)]
    assert others(hub, po["order_id"]) == [("initech", [("FOOTREST-ADJ", 1)])]
    # The same answer again (a new interchange): 1 of the 2 refused still, no second unit.
    receive(hub, ca([f"BCA*04*AC*{n}**1*20261125", "POC*1*QD*3**EA", "ACK*IA*3*EA",
                     "POC*2*NC*2**EA", "ACK*IR*1*EA"], 303))
    assert po_state(hub, n)[1] == [("accepted", 3, 0, 0, 0), ("changed", 1, 0, 1, 0)]
    assert others(hub, po["order_id"]) == [("initech", [("FOOTREST-ADJ", 1)])]
    assert incidents(hub) == []


def test_an_answer_refusing_a_line_our_change_did_not_touch_without_units_is_an_incident(answers_865):
    hub = answers_865
    po, n, result = _line_1_cut_to_3_and_sent(hub)
    # Acme takes the change to line 1 and "refuses the change" to line 2, which we did not
    # change: no units to cut, nothing to settle; a person asks what acme means.
    receive(hub, ca([f"BCA*04*AC*{n}**1*20261125", "POC*1*QD*3**EA", "ACK*IA*3*EA", "POC*2*RC"], 302))
    assert the_change(hub, result)["state"] == "accepted"
    assert po_state(hub, n)[1] == [("accepted", 3, 0, 0, 0), ("accepted", 2, 0, 0, 0)]
    assert incidents(hub) == ["change.answer_other_lines"]
    with hub.uow(readonly=True) as uow:
        kept = uow.conn.execute(select(t.incidents.c.message, t.incidents.c.order_id)).one()
    assert kept.order_id == po["order_id"]
    assert kept.message == (f"acme's answer (865) to change C1 of {n} also refuses line 2 (FOOTREST-ADJ), "
                            "which the change did not touch, without saying which units it will not ship "
                            "(POC02 RC): it was not applied, and the line stands as the supplier had it; "
                            "ask the supplier whether it will still ship it")

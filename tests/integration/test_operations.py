"""Operator actions as services, on SQLite and PostgreSQL: each does what it says, refuses
where it does not apply (changing nothing), closes the Incidents whose cause it clears, and
leaves an audit entry (who, what, before, after, why)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from hub.adapters import tables as t
from hub.bootstrap import bootstrap
from hub.errors import DeliveryError
from hub.services.audit import ActionRefused
from hub.services.documents import reprocess_inbound, resend_outbound, retry_outbound
from hub.services.incidents import bulk, ignore_incident, retry_incident
from hub.services.intake import Submission, accept
from hub.services.operations import cancel_line, cancel_order, edit_order, reroute_line
from tests.integration.test_inbound import receive, x12
from tests.integration.test_intake import order
from tests.support.fakes import FakeArchive, FakeSender

CHAIR = {"line_id": "1", "sku": "CHAIR-ERGO-BLK", "quantity": 2, "unit_price": "219.00"}   # acme, then initech
LAMP = {"line_id": "2", "sku": "LAMP-LED-WHT", "quantity": 1, "unit_price": "39.90"}       # initech only


def rows(hub, table, *cols, **where):
    with hub.uow(readonly=True) as uow:
        q = select(*(table.c[c] for c in cols)).order_by(table.c[cols[0]])
        for k, v in where.items():
            q = q.where(table.c[k] == v)
        return [tuple(r) for r in uow.conn.execute(q)]


def open_codes(hub) -> list[str]:
    return [c for (c,) in rows(hub, t.incidents, "code", state="open")]


def audit_of(hub) -> list[dict]:
    with hub.uow(readonly=True) as uow:
        return [dict(r) for r in uow.conn.execute(select(t.audit_log).order_by(t.audit_log.c.id)).mappings()]


def take(hub, *orders) -> list[int]:
    return [r.order_id for r in accept(hub.context, [Submission("t", o) for o in orders])]


def fail_everything(hub, code="transport.host_key", transient=False):
    """Deliver the outbox through a sender that refuses, permanently by default."""
    from hub.services.dispatch import Dispatcher
    sender = FakeSender()
    sender.failures = [DeliveryError("acme: the host key changed", transient, code)] * 10
    return Dispatcher(hub.context, sender, FakeArchive(), "w").run_once()


# -- incidents -------------------------------------------------------------------------------

def test_ignore_needs_a_reason_and_closes_once(store_hub):
    take(store_hub, order(lines=[{**CHAIR, "sku": "NO-SUCH-SKU"}]))
    [(iid,)] = rows(store_hub, t.incidents, "id")
    with pytest.raises(ActionRefused, match="needs a reason"):
        ignore_incident(store_hub.context, iid, "ann", "  ")
    assert open_codes(store_hub) == ["review.unknown_sku"]           # nothing changed
    ignore_incident(store_hub.context, iid, "ann", "customer withdrew it by phone")
    assert rows(store_hub, t.incidents, "state", "resolved_by", "resolution") == [
        ("ignored", "ann", "customer withdrew it by phone")]
    # A second operator on a stale page: told, nothing changes.
    with pytest.raises(ActionRefused, match=r"is ignored already by ann: customer withdrew it by phone"):
        ignore_incident(store_hub.context, iid, "bob", "also")
    [entry] = audit_of(store_hub)
    assert (entry["actor"], entry["action"], entry["incident_id"], entry["reason"]) == (
        "ann", "incident.ignore", iid, "customer withdrew it by phone")
    assert json.loads(entry["before"]) == {"state": "open"} and json.loads(entry["after"]) == {"state": "ignored"}


def test_bulk_ignore_goes_on_past_a_refusal(store_hub):
    take(store_hub, order(channel_order_id="A", lines=[{**CHAIR, "sku": "X1"}]),
         order(channel_order_id="B", lines=[{**CHAIR, "sku": "X2"}]))
    ids = [i for (i,) in rows(store_hub, t.incidents, "id")]
    ignore_incident(store_hub.context, ids[0], "ann", "dealt with")
    results = bulk(store_hub.context, ignore_incident, ids + [999], actor="bob", reason="batch")
    assert [(i, done) for i, _, done in results] == [(ids[0], False), (ids[1], True), (999, False)]
    assert "there is no incident #999" in results[2][1]


# -- documents out ---------------------------------------------------------------------------

def test_a_failed_document_is_retried_with_the_same_numbers_and_its_incident_closes(store_hub):
    take(store_hub, order(lines=[CHAIR]))
    assert fail_everything(store_hub).failed == 1
    [(doc, control, state)] = rows(store_hub, t.interchanges, "id", "control_number", "state")
    assert state == "failed" and open_codes(store_hub) == ["transport.host_key"]
    [(incident,)] = rows(store_hub, t.incidents, "id")
    result = retry_incident(store_hub.context, incident, "ann")
    assert "queued again" in result.message and not result.closed
    assert rows(store_hub, t.interchanges, "id", "control_number", "state") == [(doc, control, "queued")]
    assert rows(store_hub, t.purchase_orders, "state") == [("queued",)]
    assert store_hub.dispatcher("w").run_once().sent == 1            # the host key was re-pinned
    assert rows(store_hub, t.interchanges, "state") == [("sent",)]
    assert open_codes(store_hub) == []                               # closed by itself
    assert [e["action"] for e in audit_of(store_hub)] == ["document.retry", "incident.retry"]


def test_a_delivered_document_is_resent_as_a_new_interchange(store_hub):
    take(store_hub, order(lines=[CHAIR]))
    store_hub.dispatcher("w").run_once()
    [(first, control)] = rows(store_hub, t.interchanges, "id", "control_number")
    with pytest.raises(ActionRefused, match="was delivered: resend it"):
        retry_outbound(store_hub.context, first, "ann")
    result = resend_outbound(store_hub.context, first, "ann", "supplier lost it")
    assert rows(store_hub, t.interchanges, "id", "control_number", "state", "resend_of") == [
        (first, control, "sent", None), (result.new_interchange_id, "000000002", "queued", first)]
    with pytest.raises(ActionRefused, match=f"is being sent again already, as document #{result.new_interchange_id}"):
        resend_outbound(store_hub.context, first, "bob", "the same form, sent twice")
    assert store_hub.dispatcher("w").run_once().sent == 1
    delivered = store_hub.settings.home / "var/suppliers/acme/to-supplier/acme_850_000000002.edi"
    assert b"ISA*" in delivered.read_bytes() and b"000000002" in delivered.read_bytes()


def test_an_acknowledgement_is_not_resent_on_its_own(store_hub):
    take(store_hub, order(lines=[CHAIR]))
    store_hub.dispatcher("w").run_once()
    receive(store_hub, x12("855", "PR", ["BAK*00*AC*DR0000001*20261125"], 301))   # acme wants a 997
    store_hub.dispatcher("w").run_once()
    [(ack,)] = rows(store_hub, t.interchanges, "id", doc_type="997")
    with pytest.raises(ActionRefused, match="is an acknowledgement"):
        resend_outbound(store_hub.context, ack, "ann")


# -- documents in ----------------------------------------------------------------------------

def test_a_refused_file_is_reprocessed_after_the_partner_file_is_fixed(store_hub, demo_home, clock):
    [oid] = take(store_hub, order(lines=[CHAIR]))
    store_hub.dispatcher("w").run_once()
    answer = x12("855", "PR", ["BAK*00*AC*DR0000001*20261125"], 302).replace(b"DEMORETAIL     ", b"DEMORETAIL-NEW ")
    assert receive(store_hub, answer, partner=None).state == "rejected"   # acme sends to our new id
    [(doc,)] = rows(store_hub, t.interchanges, "id", direction="in")
    acme = demo_home / "partners/acme.toml"
    acme.write_text(acme.read_text().replace('sender_id = "DEMORETAIL"', 'sender_id = "DEMORETAIL-NEW"'))
    fixed = bootstrap(settings=store_hub.settings, clock=clock)
    try:
        result = reprocess_inbound(fixed.context, fixed.receiver, doc, "ann", reason="partner file fixed")
        assert result.report.state == "processed" and result.report.applied == 1
        assert rows(fixed, t.purchase_orders, "state") == [("accepted",)]
        assert "inbound.refused" not in open_codes(fixed)             # closed: the cause is gone
        # Read again on request once more: applied again, changing nothing.
        again = reprocess_inbound(fixed.context, fixed.receiver, doc + 1, "ann")
        assert again.report.state == "processed"
        assert rows(fixed, t.purchase_orders, "state") == [("accepted",)]
    finally:
        fixed.close()
    assert [e["action"] for e in audit_of(store_hub)] == ["document.reprocess", "document.reprocess"]


def test_reprocess_refuses_what_it_cannot_read_again(store_hub):
    take(store_hub, order(lines=[CHAIR]))
    store_hub.dispatcher("w").run_once()
    [(out_doc,)] = rows(store_hub, t.interchanges, "id")
    with pytest.raises(ActionRefused, match="is one we send"):
        reprocess_inbound(store_hub.context, store_hub.receiver, out_doc, "ann")
    with pytest.raises(ActionRefused, match="there is no document #77"):
        reprocess_inbound(store_hub.context, store_hub.receiver, 77, "ann")


# -- orders ----------------------------------------------------------------------------------

def test_an_order_in_review_is_edited_and_goes_through_routing(store_hub):
    [oid] = take(store_hub, order(lines=[{**CHAIR, "sku": "CHAIR-ERGO-BLAK"}]))
    assert open_codes(store_hub) == ["review.unknown_sku"]
    with pytest.raises(ActionRefused, match=r"customer.email: .*; ship_to.country"):
        edit_order(store_hub.context, oid, {"customer": {"email": "not-an-email"},
                                            "ship_to": {"country": "USA"}}, "ann", "typo")
    assert rows(store_hub, t.order_lines, "sku") == [("CHAIR-ERGO-BLAK",)]     # nothing changed
    with pytest.raises(ActionRefused, match="cannot be edited"):
        edit_order(store_hub.context, oid, {"lines": {"1": {"unit_price": "1.00"}}}, "ann", "cheaper")
    result = edit_order(store_hub.context, oid, {"lines": {"1": {"sku": "CHAIR-ERGO-BLK"}},
                                                 "ship_to": {"address2": "Apt 4"}}, "ann", "customer called")
    assert result.state == "processing"
    assert rows(store_hub, t.purchase_orders, "partner_id", "state") == [("acme", "queued")]
    assert rows(store_hub, t.orders, "ship_address2") == [("Apt 4",)]
    assert open_codes(store_hub) == []
    entry = audit_of(store_hub)[-1]
    assert entry["action"] == "order.edit" and entry["reason"] == "customer called"
    assert json.loads(entry["before"])["lines[1].sku"] == "CHAIR-ERGO-BLAK"
    assert json.loads(entry["after"])["lines[1].sku"] == "CHAIR-ERGO-BLK"
    # The channel sending the same order again is not a conflict: its payload is kept as sent.
    [again] = accept(store_hub.context, [Submission("t", order(lines=[{**CHAIR, "sku": "CHAIR-ERGO-BLAK"}]))])
    assert again.status == "unchanged"
    with pytest.raises(ActionRefused, match="is processing: only an order still in review"):
        edit_order(store_hub.context, oid, {"ship_to": {"city": "Dallas"}}, "ann", "moved")


def test_cancel_an_order_before_anything_left(store_hub):
    [oid] = take(store_hub, order(lines=[CHAIR, LAMP]))
    with pytest.raises(ActionRefused, match="needs a reason"):
        cancel_order(store_hub.context, oid, "ann", "")
    cancel_order(store_hub.context, oid, "ann", "customer cancelled by phone")
    assert rows(store_hub, t.orders, "state") == [("cancelled",)]
    assert rows(store_hub, t.purchase_orders, "state") == [("cancelled",), ("cancelled",)]
    assert rows(store_hub, t.interchanges, "state") == [("cancelled",), ("cancelled",)]
    assert store_hub.dispatcher("w").run_once().claimed == 0           # nothing goes out


def test_cancel_is_refused_once_a_supplier_has_the_order(store_hub):
    [oid] = take(store_hub, order(lines=[CHAIR]))
    store_hub.dispatcher("w").run_once()
    with pytest.raises(ActionRefused, match=r"DR0000001 \(acme, sent\) reached the supplier"):
        cancel_order(store_hub.context, oid, "ann", "too late")
    assert rows(store_hub, t.orders, "state") == [("processing",)]


def test_cancel_a_line_of_an_unsent_purchase_order_rebuilds_it_without_the_line(store_hub):
    [oid] = take(store_hub, order(lines=[CHAIR, {**LAMP, "sku": "FOOTREST-ADJ"}]))   # both acme
    [(first,)] = rows(store_hub, t.interchanges, "id")
    cancel_line(store_hub.context, oid, "2", "ann", "out of stock everywhere")
    assert rows(store_hub, t.interchanges, "id", "state") == [(first, "cancelled"), (first + 1, "queued")]
    store_hub.dispatcher("w").run_once()
    [sent] = (store_hub.settings.home / "var/suppliers/acme/to-supplier").iterdir()
    body = sent.read_bytes()
    assert b"CHAIR" in body or b"AC-55010" in body
    assert b"FOOTREST" not in body and b"AC-22011" not in body          # the cancelled line is not sent
    assert rows(store_hub, t.order_lines, "line_id", "cancelled") == [("1", 0), ("2", 1)]


def rejected_everywhere(hub) -> int:
    """An order whose chair both suppliers rejected: routing.no_supplier_left."""
    [oid] = take(hub, order(lines=[CHAIR]))
    hub.dispatcher("w").run_once()
    receive(hub, x12("855", "PR", ["BAK*00*AC*DR0000001*20261125", "PO1*1*2*EA", "ACK*IR*2*EA"], 303))
    hub.dispatcher("w").run_once()
    receive(hub, (b'<?xml version="1.0"?><OrderConfirmation version="3.2" test="Y"><Header><MessageRef '
                  b'created="2026-11-25T12:00:00+00:00">OC-1</MessageRef><OrderNo>DR0000002</OrderNo>'
                  b'<ConfirmationNo>S1</ConfirmationNo><ConfirmationDate>25/11/2026</ConfirmationDate>'
                  b'<Account>ER-20417</Account><Answer code="REJ"/></Header><Lines count="0"/>'
                  b'</OrderConfirmation>'), partner="initech")
    assert "routing.no_supplier_left" in open_codes(hub)
    assert rows(hub, t.orders, "state") == [("needs_attention",)]
    return oid


def test_rejected_units_nobody_took_are_rerouted_by_hand(store_hub):
    oid = rejected_everywhere(store_hub)
    with pytest.raises(ActionRefused, match="'globex' is not an active supplier"):
        reroute_line(store_hub.context, oid, "1", "globex", "ann", "try globex")
    with pytest.raises(ActionRefused, match="has 2 unit\\(s\\) that may be re-routed, not 3"):
        reroute_line(store_hub.context, oid, "1", "acme", "ann", "acme restocked", quantity=3)
    result = reroute_line(store_hub.context, oid, "1", "acme", "ann", "acme restocked")
    assert result.state == "processing"
    pos = rows(store_hub, t.purchase_orders, "po_number", "partner_id", "state", "route_attempt")
    assert pos[-1] == ("DR0000003", "acme", "queued", 3)
    assert "routing.no_supplier_left" not in open_codes(store_hub)
    assert audit_of(store_hub)[-1]["action"] == "line.reroute"


def test_rejected_units_nobody_took_are_cancelled(store_hub):
    oid = rejected_everywhere(store_hub)
    cancel_line(store_hub.context, oid, "1", "ann", "no source: refunded the customer")
    assert rows(store_hub, t.orders, "state") == [("cancelled",)]       # nothing left to fill
    assert "routing.no_supplier_left" not in open_codes(store_hub)


def test_shipped_units_are_not_rerouted_nor_cancelled(store_hub):
    [oid] = take(store_hub, order(lines=[CHAIR]))
    store_hub.dispatcher("w").run_once()
    receive(store_hub, x12("856", "SH", ["BSN*00*S1*20261126", "HL*1**S", "HL*2*1*O", "PRF*DR0000001",
                                         "HL*3*2*I", "LIN*1", "SN1**2*EA"], 304))
    with pytest.raises(ActionRefused, match="is shipped: nothing to re-route"):
        reroute_line(store_hub.context, oid, "1", "initech", "ann", "why not")
    with pytest.raises(ActionRefused, match="has no units that could be cancelled: 2 on DR0000001 "
                                            "\\(acme, shipped\\)"):
        cancel_line(store_hub.context, oid, "1", "ann", "why not")


def test_a_supplier_that_does_not_sell_the_sku_is_refused(store_hub):
    [oid] = take(store_hub, order(lines=[{**LAMP, "line_id": "1"}]))      # the lamp: initech only
    store_hub.dispatcher("w").run_once()
    receive(store_hub, (b'<?xml version="1.0"?><OrderConfirmation version="3.2" test="Y"><Header><MessageRef '
                        b'created="2026-11-25T12:00:00+00:00">OC-1</MessageRef><OrderNo>DR0000001</OrderNo>'
                        b'<ConfirmationNo>S1</ConfirmationNo><ConfirmationDate>25/11/2026</ConfirmationDate>'
                        b'<Account>ER-20417</Account><Answer code="REJ"/></Header><Lines count="0"/>'
                        b'</OrderConfirmation>'), partner="initech")
    with pytest.raises(ActionRefused, match="acme does not sell LAMP-LED-WHT"):
        reroute_line(store_hub.context, oid, "1", "acme", "ann", "try acme")


def test_retry_of_a_review_incident_releases_the_order(store_hub, demo_home, clock):
    big = {**CHAIR, "quantity": 4, "unit_price": "300.00"}
    [oid] = take(store_hub, order(customer={**order()["customer"], "prepaid": False}, lines=[big]))
    assert open_codes(store_hub) == ["review.hold_new_customer"]
    [(iid,)] = rows(store_hub, t.incidents, "id")
    result = retry_incident(store_hub.context, iid, "ann", reason="payment confirmed")
    assert result.closed and "order released" in result.message
    assert rows(store_hub, t.orders, "state") == [("processing",)]


def test_retry_of_a_waiting_partner_sends_its_documents_now(store_hub):
    take(store_hub, order(lines=[CHAIR]))
    fail_everything(store_hub, "transport.unreachable", transient=True)
    assert store_hub.dispatcher("w").run_once().claimed == 0          # waiting for its backoff
    [(iid,)] = rows(store_hub, t.incidents, "id")
    result = retry_incident(store_hub.context, iid, "ann")
    assert "queued again and goes out at once" in result.message and not result.closed
    assert store_hub.dispatcher("w").run_once().sent == 1
    assert open_codes(store_hub) == []                               # delivered: closed by itself


def test_an_incident_with_nothing_to_retry_says_so(store_hub):
    accept(store_hub.context, [Submission("t", {"channel_order_id": "broken"})])
    [(iid,)] = rows(store_hub, t.incidents, "id")
    with pytest.raises(ActionRefused, match="has nothing to retry"):
        retry_incident(store_hub.context, iid, "ann")
    assert open_codes(store_hub) == ["intake.invalid_order"]



def test_a_cancelled_line_is_left_out_when_the_order_is_released(store_hub):
    [oid] = take(store_hub, order(lines=[CHAIR, {**LAMP, "sku": "NO-SUCH"}]))
    assert open_codes(store_hub) == ["review.unknown_sku"]
    cancel_line(store_hub.context, oid, "2", "ann", "the customer no longer wants it")
    from hub.services.operations import release_order
    outcome = release_order(store_hub.context, oid, "ann", "the rest can go")
    assert [(p.partner_id, [(ln.sku, ln.quantity) for ln in p.lines]) for p in outcome.purchase_orders] == [
        ("acme", [("CHAIR-ERGO-BLK", 2)])]
    assert rows(store_hub, t.orders, "state") == [("processing",)]

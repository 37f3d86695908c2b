"""An operator's day in the console, in a real browser: find orders, work incidents to the end,
retry, re-route. The screenshots each test saves are under test-artifacts/."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from hub.adapters import tables as t
from hub.services.intake import Submission, accept
from tests.e2e.conftest import sign_in
from tests.integration.test_inbound import x12
from tests.integration.test_intake import order

pytestmark = pytest.mark.browser

CHAIR = {"line_id": "1", "sku": "CHAIR-ERGO-BLK", "quantity": 2, "unit_price": "219.00"}   # acme first


def receive(hub, data: bytes, partner="acme"):
    return hub.receive_stream(io.BytesIO(data), "test", "from-supplier.edi", partner)


def delivered(remote_dirs) -> list[str]:
    return sorted(p.name for p in remote_dirs["outbox"].iterdir())


def test_find_an_order_by_its_tracking_number_and_by_the_suppliers_control_number(console, page, shots,
                                                                                  remote_dirs):
    hub, base = console
    accept(hub.context, [Submission("t", order(channel_order_id="WS-77", lines=[CHAIR]))])
    hub.dispatcher("w").run_once()
    assert delivered(remote_dirs) == ["acme_850_000000001.edi"]      # on the real sshd
    receive(hub, x12("855", "PR", ["BAK*00*AC*DR0000001*20261125", "PO1*1*2*EA", "ACK*IA*2*EA"], 700000003))
    receive(hub, x12("856", "SH", ["BSN*00*SHIP-77*20261126", "TD5**2*UPSN", "REF*2I*1Z77TRACK",
                                   "HL*1**S", "HL*2*1*O", "PRF*DR0000001", "HL*3*2*I", "LIN*1", "SN1**2*EA"], 700000004))
    sign_in(page, base, "vic")
    shots(page, "dashboard")
    page.get_by_role("link", name="Orders").first.click()
    page.get_by_label("Find an order by any id").fill("1Z77TRACK")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/orders/1")                              # one hop: unique
    assert page.get_by_role("heading", name="Order webshop/WS-77").is_visible()
    assert "1Z77TRACK" in page.locator("#main").inner_text()
    shots(page, "order-by-tracking-number")
    page.goto(base + "/orders/")
    page.get_by_label("Find an order by any id").fill("700000003")    # acme's own ISA13 of its 855
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/orders/1")
    page.get_by_role("link", name="#2").click()                        # the 855 as acme sent it
    text = page.locator("#main").inner_text()
    # Checked against X12 004010: BAK02 AC is "Acknowledge - With Detail and Change", ACK01 IA
    # "Item Accepted", BAK the Beginning Segment for Purchase Order Acknowledgment.
    assert "BAK02 AC = Acknowledge - With Detail and Change" in text
    assert "ACK01 IA = Item Accepted" in text
    assert "Beginning Segment for Purchase Order Acknowledgment" in text
    assert page.get_by_role("heading", name="Document #2: in 855 700000003").is_visible()
    shots(page, "the-855-annotated")


def test_an_incident_worked_from_the_queue_to_resolved(console, page, shots, remote_dirs):
    hub, base = console
    incomplete = order(channel_order_id="WS-78", lines=[CHAIR],
                       ship_to={**order()["ship_to"], "address1": "", "postal_code": ""})
    accept(hub.context, [Submission("t", incomplete)])
    sign_in(page, base, "ola")
    page.get_by_role("link", name="Exceptions").click()
    shots(page, "queue")
    page.get_by_role("link", name="#1").click()
    assert "ship-to address has no address1, postal_code" in page.locator(".cause").inner_text()
    shots(page, "incident")
    page.get_by_role("link", name="Open the order to edit, re-route or cancel it").click()
    page.get_by_role("link", name="Edit and resubmit").click()
    page.get_by_label("address1").fill("12 Oak Road")
    page.get_by_label("postal code").fill("78702")
    page.get_by_label("Why (kept in the audit log)").fill("the customer gave the street by phone")
    shots(page, "edit-form")
    page.get_by_role("button", name="Save, review and route again").click()
    assert "now processing" in page.locator(".flash.ok").inner_text()
    shots(page, "order-after-edit")
    hub.dispatcher("w").run_once()                                      # the worker sends it
    assert delivered(remote_dirs) == ["acme_850_000000001.edi"]
    assert b"N3*12 Oak Road" in (remote_dirs["outbox"] / "acme_850_000000001.edi").read_bytes()
    page.goto(base + "/incidents/1")
    assert page.locator("h1 .state").inner_text() == "resolved"
    assert "edited by ola" in page.locator("#main").inner_text()
    shots(page, "incident-resolved")


def test_a_failed_send_is_retried_after_the_host_key_is_pinned_again(console, page, shots, sshd, remote_dirs):
    hub, base = console
    accept(hub.context, [Submission("t", order(channel_order_id="WS-79", lines=[CHAIR]))])
    sshd.rotate_host_key()                                              # the server offers a new key
    assert hub.dispatcher("w").run_once().failed == 1
    assert delivered(remote_dirs) == []
    sign_in(page, base, "ola")
    page.goto(base + "/incidents/?kind=transport.host_key")
    shots(page, "host-key-incident")
    page.get_by_role("link", name="#1").click()
    assert "SHA256:" in page.locator(".cause").inner_text()
    sshd.reset()                                                        # re-pinned: the old key is back
    page.get_by_role("button", name="Retry").click()
    assert "queued again" in page.locator(".flash.ok").inner_text()
    shots(page, "retried")
    assert hub.dispatcher("w").run_once().sent == 1
    assert delivered(remote_dirs) == ["acme_850_000000001.edi"]        # the same control numbers
    page.reload()
    assert page.locator("h1 .state").inner_text() == "resolved"
    shots(page, "resolved-by-itself")


def test_a_rejected_line_is_rerouted_by_hand(console, page, shots, remote_dirs):
    hub, base = console
    accept(hub.context, [Submission("t", order(channel_order_id="WS-80", lines=[CHAIR]))])
    hub.dispatcher("w").run_once()
    receive(hub, x12("855", "PR", ["BAK*00*AC*DR0000001*20261125", "PO1*1*2*EA", "ACK*IR*2*EA"], 801))
    hub.dispatcher("w").run_once()                                      # the re-route to initech
    receive(hub, (b'<?xml version="1.0"?><OrderConfirmation version="3.2" test="Y"><Header><MessageRef '
                  b'created="2026-11-25T12:00:00+00:00">OC-1</MessageRef><OrderNo>DR0000002</OrderNo>'
                  b'<ConfirmationNo>S1</ConfirmationNo><ConfirmationDate>25/11/2026</ConfirmationDate>'
                  b'<Account>ER-20417</Account><Answer code="REJ"/></Header><Lines count="0"/>'
                  b'</OrderConfirmation>'), partner="initech")
    sign_in(page, base, "ola")
    page.goto(base + "/orders/1")
    shots(page, "both-suppliers-rejected")
    page.get_by_text("Re-route or cancel units of line 1").click()
    page.get_by_label("Supplier").select_option("acme")
    page.locator("#rr-why-1").fill("acme has restocked")
    page.get_by_role("button", name="Re-route").click()
    assert "sent to acme on DR0000003" in page.locator(".flash.ok").inner_text()
    shots(page, "rerouted")
    hub.dispatcher("w").run_once()
    assert "acme_850_000000003.edi" in delivered(remote_dirs)    # after our 997 (000000002)
    with hub.uow(readonly=True) as uow:
        assert uow.conn.scalar(select(t.orders.c.state)) == "processing"


def test_a_viewer_sees_no_action_and_forms_work_with_the_keyboard(console, page, shots):
    hub, base = console
    accept(hub.context, [Submission("t", order(channel_order_id="WS-81", lines=[{**CHAIR, "sku": "NOPE"}]))])
    sign_in(page, base, "vic")
    page.goto(base + "/orders/1")
    assert page.get_by_role("button").all_inner_texts() == ["Sign out"]   # nothing to act with
    page.goto(base + "/incidents/1")
    assert page.get_by_role("button", name="Retry").count() == 0
    shots(page, "viewer-incident")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(base + "/login")
    sign_in(page, base, "ola")
    for path in ("/orders/new", "/incidents/", "/orders/", "/orders/1", "/orders/1/edit"):
        page.goto(base + path)                                          # every field has a label
        unlabelled = page.evaluate("""() => [...document.querySelectorAll('input,select,textarea')]
            .filter(e => e.type !== 'hidden' && !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
            .map(e => e.name)""")
        assert unlabelled == [], (path, unlabelled)

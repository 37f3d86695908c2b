"""A customer's change entered in the console, in a real browser: the form on the order's page,
the 860 on the supplier's real SFTP server, the change and its answer on the page.
Screenshots are under test-artifacts/."""

from __future__ import annotations

import pytest

from hub.services.intake import Submission, accept
from tests.e2e.conftest import sign_in
from tests.e2e.test_console_flows import CHAIR, delivered, receive
from tests.integration.test_inbound import x12
from tests.integration.test_intake import order

pytestmark = pytest.mark.browser


def test_an_operator_cuts_a_line_for_the_customer_and_acme_gets_an_860(console, page, shots, remote_dirs):
    hub, base = console
    accept(hub.context, [Submission("t", order(channel_order_id="WS-90", lines=[CHAIR]))])
    hub.dispatcher("w").run_once()
    receive(hub, x12("855", "PR", ["BAK*00*AC*DR0000001*20261125", "PO1*1*2*EA", "ACK*IA*2*EA"], 901))
    sign_in(page, base, "ola")
    page.goto(base + "/orders/1")
    page.get_by_text("Change the order as the customer asked").click()
    page.get_by_label("Units for line 1").fill("1")
    page.locator("#ch-reason").fill("the customer needs one chair only")
    shots(page, "change-form")
    page.get_by_role("button", name="Send the change").click()
    assert "taken" in page.locator(".flash.ok").inner_text()
    hub.dispatcher("w").run_once()
    sent = [name for name in delivered(remote_dirs) if "_860_" in name]
    assert len(sent) == 1                                        # on the real sshd
    body = (remote_dirs["outbox"] / sent[0]).read_text()
    assert "\nBCH*04*DS*DR0000001*" in body          # a change (04) to our drop-ship PO
    assert "\nPOC*1*QD*1*1*EA*" in body               # line 1: quantity down, to 1, 1 to receive
    page.reload()
    changes = page.locator("section[aria-labelledby=h-changes]")
    assert "line 1 (CHAIR-ERGO-BLK): 2 → 1" in changes.inner_text()
    assert "#1 QD 2→1" in changes.inner_text()
    shots(page, "change-sent")
    # Acme says yes on the phone; the operator records it.
    changes.locator("input[name=reason]").first.fill("confirmed by phone")
    changes.get_by_role("button", name="Supplier accepted").click()
    assert "accepted" in page.locator(".flash.ok").inner_text()
    assert "accepted" in page.locator("section[aria-labelledby=h-changes] h3").inner_text()
    told = page.locator("section[aria-labelledby=h-told] tbody tr").all_inner_texts()
    assert [row.split("\t")[1] for row in told] == ["order.accepted", "order.cancelled"]   # 1 chair less
    shots(page, "change-accepted")

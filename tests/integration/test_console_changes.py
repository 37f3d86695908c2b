"""Changing an order from the console (Flask test client): the operator role, CSRF, the audit
log, the change shown on the order page, and a supplier's answer recorded by hand."""

from __future__ import annotations

import re

from sqlalchemy import select

from hub.adapters import tables as t
from hub.services.intake import Submission, accept
from tests.integration.test_console import app, audited, csrf, signed_in  # noqa: F401  (fixture)
from tests.integration.test_intake import order


def placed(hub) -> int:
    [result] = accept(hub.context, [Submission("t", order())])   # 2 chairs at acme, a lamp at initech
    hub.dispatcher("w").run_once()                                  # both POs are with their suppliers
    return result.order_id


def form(client, order_id: int, **fields) -> dict:
    page = client.get(f"/orders/{order_id}").get_data(as_text=True)
    change_id = re.search(r'name="change_id"[^>]*value="([^"]+)"', page).group(1)
    return {"csrf_token": csrf(client, f"/orders/{order_id}"), "change_id": change_id,
            "lines-0-quantity": "2", "lines-1-quantity": "1", "ship_name": "Ann Lee", "address1": "1 Main St",
            "address2": "", "city": "Austin", "state": "TX", "postal_code": "78701", "country": "US",
            "reason": "customer called", **fields}


def test_an_operator_changes_an_order_and_it_reaches_both_suppliers(app, hub):   # noqa: F811
    order_id = placed(hub)
    ola = signed_in(app, "ola")
    data = form(ola, order_id, **{"lines-0-quantity": "1", "lines-1-quantity": "0"})
    response = ola.post(f"/orders/{order_id}/change", data=data, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "change console-" in page and "taken, requested" in page
    assert "Change console-" in page and "X12 860 sent" in page and "to be told by a person" in page
    with hub.uow(readonly=True) as uow:
        [doc] = uow.conn.execute(select(t.interchanges.c.payload).where(t.interchanges.c.doc_type == "860")).all()
    assert b"POC*1*QD*1*1*EA" in doc.payload
    assert ("ola", "order.change") in audited(hub)
    # The same form sent twice is one change (its change_id came with the page).
    again = ola.post(f"/orders/{order_id}/change", data={**data, "csrf_token": csrf(ola, f"/orders/{order_id}")},
                     follow_redirects=True)
    assert "already taken" in again.get_data(as_text=True)
    with hub.uow(readonly=True) as uow:
        assert len(uow.conn.execute(select(t.order_changes.c.id)).all()) == 1


def test_the_suppliers_answer_given_by_phone_is_recorded_and_audited(app, hub):   # noqa: F811
    order_id = placed(hub)
    ola = signed_in(app, "ola")
    ola.post(f"/orders/{order_id}/change", data=form(ola, order_id, **{"lines-1-quantity": "0"}))
    with hub.uow(readonly=True) as uow:
        pc = uow.conn.execute(select(t.po_changes.c.id, t.po_changes.c.state)).one()
    assert pc.state == "manual"     # initech takes no change documents
    token = csrf(ola, f"/orders/{order_id}")
    missing = ola.post(f"/orders/{order_id}/changes/{pc.id}/accepted", data={"csrf_token": token},
                       follow_redirects=True)
    assert "nothing was recorded" in missing.get_data(as_text=True)
    done = ola.post(f"/orders/{order_id}/changes/{pc.id}/accepted",
                    data={"csrf_token": token, "reason": "phoned initech"}, follow_redirects=True)
    assert "is accepted" in done.get_data(as_text=True)
    assert ("ola", "change.settle") in audited(hub)
    twice = ola.post(f"/orders/{order_id}/changes/{pc.id}/refused",
                     data={"csrf_token": csrf(ola, f"/orders/{order_id}"), "reason": "x"}, follow_redirects=True)
    assert "settled already" in twice.get_data(as_text=True)


def test_viewers_and_forms_without_csrf_change_nothing(app, hub):   # noqa: F811
    order_id = placed(hub)
    vic = signed_in(app, "vic")
    token = csrf(vic, f"/orders/{order_id}")
    assert vic.post(f"/orders/{order_id}/change", data={"csrf_token": token, "reason": "x"}).status_code == 403
    assert vic.post(f"/orders/{order_id}/changes/1/accepted",
                    data={"csrf_token": token, "reason": "x"}).status_code == 403
    assert "Change the order as the customer asked" not in vic.get(f"/orders/{order_id}").get_data(as_text=True)
    ola = signed_in(app, "ola")
    no_token = {k: v for k, v in form(ola, order_id, **{"lines-0-quantity": "1"}).items() if k != "csrf_token"}
    ola.post(f"/orders/{order_id}/change", data=no_token)
    with hub.uow(readonly=True) as uow:
        assert uow.conn.execute(select(t.order_changes.c.id)).all() == []
    assert not any(action == "order.change" for _, action in audited(hub))


def test_the_order_page_says_what_the_channel_was_told_and_how_each_notification_stands(app, hub):  # noqa: F811
    hub.context.channel_targets["webshop"] = ("notify-file",)
    order_id = placed(hub)
    ola = signed_in(app, "ola")
    ola.post(f"/orders/{order_id}/change", data=form(ola, order_id, **{"lines-1-quantity": "0"}))
    page = ola.get(f"/orders/{order_id}").get_data(as_text=True)
    told = page.split('id="h-told"')[1].split("</section>")[0]
    # The lamp's cancellation, with no purchase order behind the event, is still shown.
    assert re.search(r"<td>order\.cancelled</td>.*notify-file</a> <span class=\"state queued\">queued",
                     told, re.S), told
    with hub.uow(readonly=True) as uow:
        [(doc_id, po_id)] = uow.conn.execute(select(t.interchanges.c.id, t.interchanges.c.purchase_order_id)
                                             .where(t.interchanges.c.doc_type == "notify-file")).all()
    assert po_id is None and f'href="/documents/{doc_id}"' in told
    shown = ola.get(f"/documents/{doc_id}")
    assert shown.status_code == 200 and "order.cancelled" in shown.get_data(as_text=True)


def test_an_answer_is_recorded_only_on_the_order_its_change_belongs_to(app, hub):   # noqa: F811
    first = placed(hub)
    [other] = accept(hub.context, [Submission("t", order(channel_order_id="WS-2"))])
    hub.dispatcher("w").run_once()
    ola = signed_in(app, "ola")
    for oid in (first, other.order_id):
        ola.post(f"/orders/{oid}/change", data=form(ola, oid, **{"lines-1-quantity": "0"}))
    with hub.uow(readonly=True) as uow:
        pcs = dict(uow.conn.execute(select(t.order_changes.c.order_id, t.po_changes.c.id)
                                    .join(t.po_changes, t.po_changes.c.order_change_id == t.order_changes.c.id)).all())
    # The other order's change, posted from the first order's page (an old tab, an edited URL).
    wrong = ola.post(f"/orders/{first}/changes/{pcs[other.order_id]}/accepted",
                     data={"csrf_token": csrf(ola, f"/orders/{first}"), "reason": "phoned initech"},
                     follow_redirects=True)
    assert "is not a change of order webshop/WS-1" in wrong.get_data(as_text=True)
    with hub.uow(readonly=True) as uow:
        assert set(uow.conn.scalars(select(t.po_changes.c.state))) == {"manual"}
    assert ("ola", "change.settle") not in audited(hub)

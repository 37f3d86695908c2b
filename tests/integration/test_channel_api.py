"""Channels read their orders and events back through the API, on SQLite and PostgreSQL.

Every answer is checked against the public JSON Schemas in docs/schemas/; the events come
from the real services: intake, dispatch, suppliers' 855/856 and XML answers, operators'
cancellations.
"""

from __future__ import annotations

import dataclasses
import pytest
from sqlalchemy.exc import OperationalError

from hub.bootstrap import bootstrap
from hub.config import load_settings
from hub.services.intake import Submission, accept
from hub.services.operations import cancel_line, cancel_order
from tests.integration.test_inbound import receive, sent_po, x12
from tests.integration.test_intake import order
from tests.support.schemas import assert_valid
from web import create_app

TOKEN = "webshop-token-0123456789"
PHONE = "phone-channel-token-9876543210"


@pytest.fixture
def api(store_hub):
    store_hub.settings.channels["phone"] = dataclasses.replace(store_hub.settings.channels["phone"],
                                                               token_env="PHONE_TOKEN")
    app = create_app(hub=store_hub, environ={"EDIHUB_TOKEN_WEBSHOP": TOKEN, "PHONE_TOKEN": PHONE,
                                             "EDIHUB_SECRET_KEY": "x" * 32})
    return app.test_client()


def auth(token: str = TOKEN) -> dict:
    return {"Authorization": f"Bearer {token}"}


def get_order(api, ref: str = "webshop/WS-1", token: str = TOKEN) -> dict:
    resp = api.get(f"/api/v1/orders/{ref}", headers=auth(token))
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert_valid("order", body)
    return body


def feed(api, after: int = 0, limit: int | None = None, token: str = TOKEN) -> dict:
    query = f"?after={after}" + (f"&limit={limit}" if limit is not None else "")
    resp = api.get(f"/api/v1/events{query}", headers=auth(token))
    assert resp.status_code == 200, resp.get_json()
    page = resp.get_json()
    assert_valid("events", page)
    return page


def line(body: dict, line_id: str) -> tuple:
    ln = next(x for x in body["lines"] if x["line_id"] == line_id)
    q = ln["quantities"]
    return (ln["state"], q["ordered"], q["accepted"], q["backordered"], q["rejected"], q["cancelled"],
            q["shipped"], ln["suppliers"], ln["expected_ship_date"], ln["expected_delivery"])


def summary(page: dict) -> list[tuple]:
    return [(e["sequence"], e["type"], e["order_state"],
             [(ln["line_id"], ln["quantity"], ln["state"]) for ln in e["lines"]]) for e in page["events"]]


def poack(n: str, isa: int, *lines: str) -> bytes:
    return x12("855", "PR", [f"BAK*00*AC*{n}*20261125", *lines], isa)


# -- reading an order back -------------------------------------------------------------------

def test_a_new_order_and_one_in_review(api):
    created = api.post("/api/v1/orders", json=order(), headers=auth())
    assert created.status_code == 201
    assert_valid("order", created.get_json())
    body = get_order(api)
    assert body == created.get_json()
    assert (body["state"], body["shipments"], body["last_event_sequence"]) == ("open", [], 0)
    assert line(body, "1") == ("open", 2, 0, 0, 0, 0, 0, ["acme"], None, None)
    assert line(body, "2") == ("open", 1, 0, 0, 0, 0, 0, ["initech"], None, None)
    for internal in ("incidents", "timeline", "purchase_orders", "hold_reason"):
        assert internal not in body
    api.post("/api/v1/orders", headers=auth(),
             json=order(channel_order_id="WS-2", lines=[{"line_id": "1", "sku": "NO-SUCH-SKU",
                                                         "quantity": 1, "unit_price": "5.00"}]))
    held = get_order(api, "webshop/WS-2")
    assert held["state"] == "in_review" and line(held, "1")[0] == "open"


def test_partly_backordered_with_a_date_then_delayed(api, store_hub):
    n = sent_po(store_hub)["po_number"]
    receive(store_hub, poack(n, 401, "PO1*1*4*EA", "ACK*IA*3*EA", "ACK*IB*1*EA*068*20261210",
                             "PO1*2*2*EA", "ACK*IA*2*EA"))
    body = get_order(api)
    assert body["state"] == "backordered"
    assert line(body, "1") == ("backordered", 4, 3, 1, 0, 0, 0, ["acme"], "2026-12-10", None)
    assert line(body, "2") == ("accepted", 2, 2, 0, 0, 0, 0, ["acme"], None, None)
    receive(store_hub, poack(n, 402, "PO1*1*4*EA", "ACK*IA*3*EA", "ACK*IB*1*EA*068*20261220",
                             "PO1*2*2*EA", "ACK*IA*2*EA"))
    page = feed(api)
    assert summary(page) == [(1, "order.backordered", "backordered", [("1", 1, "backordered")]),
                             (2, "order.delayed", "backordered", [("1", 4, "backordered")])]
    back, late = page["events"]
    assert (back["lines"][0]["expected_ship_date"], back["reason"]) == ("2026-12-10",
                                                                         "backordered by the supplier")
    assert (late["lines"][0]["previous_expected_ship_date"], late["lines"][0]["expected_ship_date"],
            late["reason"]) == ("2026-12-10", "2026-12-20", "Item Backordered (IB)")
    assert get_order(api)["last_event_sequence"] == 2


def test_partly_shipped_in_two_shipments_with_tracking_numbers(api, store_hub):
    n = sent_po(store_hub)["po_number"]
    receive(store_hub, poack(n, 501, "PO1*1*4*EA", "ACK*IA*4*EA", "PO1*2*2*EA", "ACK*IA*2*EA"))
    receive(store_hub, x12("856", "SH", ["BSN*00*SHIP1*20261126*0900", "HL*1**S", "TD5*B*2*UPSN*M*GROUND",
                                         "REF*2I*1ZA", "REF*2I*1ZB", "DTM*011*20261126*0930",
                                         "DTM*017*20261129", "HL*2*1*O", f"PRF*{n}", "HL*3*2*I",
                                         "LIN*1", "SN1**2*EA"], 502))
    receive(store_hub, x12("856", "SH", ["BSN*00*SHIP2*20261127", "HL*1**S", "TD5*B*2*FDEG",
                                         "REF*2I*7712", "REF*CN*PRO55", "HL*2*1*O", f"PRF*{n}", "HL*3*2*I",
                                         "LIN*2", "SN1**2*EA"], 503))
    body = get_order(api)
    assert body["state"] == "partially_shipped"
    assert line(body, "1") == ("partially_shipped", 4, 4, 0, 0, 0, 2, ["acme"], None, "2026-11-29")
    assert line(body, "2") == ("shipped", 2, 2, 0, 0, 0, 2, ["acme"], None, None)
    assert body["shipments"] == [
        {"shipment_id": "SHIP1", "supplier": "acme", "carrier": "UPSN", "service": "GROUND",
         "tracking_numbers": ["1ZA", "1ZB"], "bill_of_lading": None, "pro_number": None,
         "shipped_at": "2026-11-26T09:30:00Z", "expected_delivery": "2026-11-29",
         "lines": [{"line_id": "1", "sku": "CHAIR-ERGO-BLK", "quantity": 2}]},
        {"shipment_id": "SHIP2", "supplier": "acme", "carrier": "FDEG", "service": None,
         "tracking_numbers": ["7712", "PRO55"], "bill_of_lading": None, "pro_number": "PRO55",
         "shipped_at": None, "expected_delivery": None,
         "lines": [{"line_id": "2", "sku": "FOOTREST-ADJ", "quantity": 2}]}]
    page = feed(api)
    assert summary(page) == [(1, "order.accepted", "accepted", [("1", 4, "accepted"), ("2", 2, "accepted")]),
                             (2, "order.shipped", "partially_shipped", [("1", 2, "partially_shipped")]),
                             (3, "order.shipped", "partially_shipped", [("2", 2, "shipped")])]
    shipped = [e["shipment"] for e in page["events"][1:]]
    assert [(s["shipment_id"], s["tracking_numbers"]) for s in shipped] == [("SHIP1", ["1ZA", "1ZB"]),
                                                                             ("SHIP2", ["7712", "PRO55"])]
    assert {k: v for k, v in body["shipments"][0].items() if k != "lines"} == shipped[0]


def test_rejected_by_every_supplier_then_the_line_cancelled(api, store_hub):
    po = sent_po(store_hub)
    receive(store_hub, poack(po["po_number"], 601, "PO1*1*4*EA", "ACK*IR*4*EA", "PO1*2*2*EA", "ACK*IA*2*EA"))
    assert line(get_order(api), "1")[:8] == ("open", 4, 0, 0, 0, 0, 0, ["initech"])  # re-routed
    with store_hub.uow(readonly=True) as uow:
        second = [p for p in uow.repo.purchase_orders_of(po["order_id"]) if p.partner_id == "initech"][0]
    store_hub.dispatcher("w").run_once()
    receive(store_hub, (b'<?xml version="1.0"?><OrderConfirmation version="3.2" test="Y"><Header>'
                        b'<MessageRef created="2026-11-25T12:00:00+00:00">OC-1</MessageRef><OrderNo>'
                        + second.po_number.encode() + b'</OrderNo><ConfirmationNo>S1</ConfirmationNo>'
                        b'<ConfirmationDate>25/11/2026</ConfirmationDate><Account>ER-20417</Account>'
                        b'<Answer code="REJ"/></Header><Lines count="0"/></OrderConfirmation>'), partner="initech")
    body = get_order(api)
    assert body["state"] == "rejected"
    assert line(body, "1") == ("rejected", 4, 0, 0, 4, 0, 0, [], None, None)
    cancel_line(store_hub.context, po["order_id"], "1", "ann", "no stock anywhere")
    body = get_order(api)
    assert body["state"] == "accepted"
    assert line(body, "1") == ("cancelled", 4, 0, 0, 0, 4, 0, [], None, None)
    page = feed(api)
    assert summary(page) == [(1, "order.rejected", "rejected", [("1", 4, "rejected")]),
                             (2, "order.cancelled", "accepted", [("1", 4, "cancelled")]),
                             (3, "order.accepted", "accepted", [("2", 2, "accepted")])]
    assert page["events"][1]["reason"] == "cancelled by the seller"   # not the operator's own words


def test_a_whole_order_cancelled_before_it_left(api, store_hub):
    [result] = accept(store_hub.context, [Submission("t", order())])
    cancel_order(store_hub.context, result.order_id, "ann", "customer called")
    body = get_order(api)
    assert body["state"] == "cancelled"
    assert [line(body, k)[:6] for k in ("1", "2")] == [("cancelled", 2, 0, 0, 0, 2), ("cancelled", 1, 0, 0, 0, 1)]
    assert summary(feed(api)) == [(1, "order.cancelled", "cancelled", [("1", 2, "cancelled"),
                                                                        ("2", 1, "cancelled")])]


# -- the events feed ---------------------------------------------------------------------------

def test_the_feed_pages_in_order_and_each_channel_sees_only_its_own(api, store_hub):
    ids = [r.order_id for r in accept(store_hub.context, [Submission("t", order(channel_order_id=f"WS-{k}"))
                                                          for k in range(3)])]
    [phone] = accept(store_hub.context, [Submission("t", order(channel="phone", channel_order_id="PH-1"))])
    cancel_line(store_hub.context, ids[0], "2", "ann", "customer changed their mind")
    cancel_order(store_hub.context, phone.order_id, "ann", "customer called")
    cancel_line(store_hub.context, ids[1], "1", "ann", "customer changed their mind")
    cancel_order(store_hub.context, ids[0], "ann", "customer called")
    cancel_order(store_hub.context, ids[2], "ann", "customer called")
    seen, after, pages = [], 0, 0
    while True:
        page = feed(api, after, limit=2)
        pages += 1
        seen += page["events"]
        assert len(page["events"]) <= 2
        after = page["next_after"]
        if not page["has_more"]:
            break
    assert pages == 2 and len(seen) == 4 and after == seen[-1]["id"]
    assert [e["id"] for e in seen] == sorted({e["id"] for e in seen})      # oldest first, no repeats
    assert [(e["channel_order_id"], e["sequence"], e["type"]) for e in seen] == [
        ("WS-0", 1, "order.cancelled"), ("WS-1", 1, "order.cancelled"), ("WS-0", 2, "order.cancelled"),
        ("WS-2", 1, "order.cancelled")]
    assert {e["channel"] for e in seen} == {"webshop"}
    assert feed(api, after) == {"events": [], "next_after": after, "has_more": False}
    [theirs] = feed(api, token=PHONE)["events"]
    assert (theirs["channel"], theirs["channel_order_id"]) == ("phone", "PH-1")
    assert seen[0]["id"] < theirs["id"] < seen[1]["id"]    # one numbering, read per channel
    assert feed(api, after=seen[1]["id"], limit=1)["events"] == [seen[2]]


def test_the_feed_and_orders_refuse_what_is_not_theirs_or_not_a_number(api, store_hub):
    accept(store_hub.context, [Submission("t", order())])
    assert api.get("/api/v1/events").status_code == 401
    assert api.get("/api/v1/orders/webshop/WS-1", headers=auth(PHONE)).status_code == 403
    assert api.get("/api/v1/orders/webshop/WS-404", headers=auth()).status_code == 404
    for query, needle in (("after=-1", "after must be a whole number 0 or more"),
                          ("after=abc", "got 'abc'"), ("limit=0", "limit must be a whole number from 1 to 500"),
                          ("limit=501", "got '501'"), ("after=1e3", "got '1e3'")):
        resp = api.get(f"/api/v1/events?{query}", headers=auth())
        assert resp.status_code == 400 and resp.get_json()["error"] == "invalid_parameter"
        assert needle in resp.get_json()["message"], resp.get_json()


def test_an_event_number_is_taken_only_once_the_previous_taker_committed(demo_home, clock, pg_url):
    """A reader that has seen event N must never later find a new event below N. PostgreSQL
    hands out autoincrement ids at insert, and a transaction holding a lower one may commit
    later; so numbers come from a row locked until commit: a second writer waits for the first."""
    hub = bootstrap(settings=load_settings(demo_home, {"EDIHUB_DATABASE_URL": pg_url}), clock=clock)
    try:
        [first, second] = [r.order_id for r in accept(hub.context, [
            Submission("t", order(channel_order_id=f"C-{k}")) for k in range(2)])]
        with hub.uow() as a:
            [(mine, _)] = a.order_events.number([first])
            with hub.uow() as b:
                b.conn.exec_driver_sql("SET LOCAL lock_timeout = '200ms'")
                with pytest.raises(OperationalError, match="lock timeout"):
                    b.order_events.number([second])
            a.commit()
        with hub.uow() as b:
            assert b.order_events.number([second, second, first]) == [(mine + 1, 1), (mine + 2, 2), (mine + 3, 1)]
    finally:
        hub.close()

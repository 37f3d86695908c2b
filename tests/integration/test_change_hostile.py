"""Hostile and confused input on the order-change and read-back surface, on SQLite and
PostgreSQL: ids no order can have, cursors beyond any event, files of changes whose records
break in odd ways. Each is answered with a clear refusal; nothing else is held up."""

from __future__ import annotations

import json

from sqlalchemy import select

from hub.adapters import tables as t
from hub.services.intake import Submission, accept
from tests.integration.test_changes import accept_all
from tests.integration.test_channel_api import api, auth  # noqa: F401  (fixture)
from tests.integration.test_inbound import receive, sent_po, x12
from tests.integration.test_intake import order

CHANGE = {"Content-Type": "application/json"}


def placed(hub) -> int:
    [result] = accept(hub.context, [Submission("test", order())])
    return result.order_id


def open_incidents(hub, code: str) -> list[dict]:
    i = t.incidents
    with hub.uow(readonly=True) as uow:
        return [dict(r) for r in uow.conn.execute(select(i).where(i.c.code == code, i.c.state == "open")
                                                  .order_by(i.c.id)).mappings()]


def test_an_order_id_no_order_can_have_is_not_found(api, store_hub):   # noqa: F811
    placed(store_hub)
    body = json.dumps({"change_id": "C1", "cancel": True})
    # NUL cannot be stored in PostgreSQL text, and intake refuses control characters in ids.
    for ref in ("WS-1%00", "WS-1%0A", "W" * 500):
        got = api.get(f"/api/v1/orders/webshop/{ref}", headers=auth())
        assert (got.status_code, got.get_json()["error"]) == (404, "not_found")
        changed = api.post(f"/api/v1/orders/webshop/{ref}/changes", data=body, headers={**auth(), **CHANGE})
        assert (changed.status_code, changed.get_json()["error"]) == (404, "not_found")
    assert api.get("/api/v1/orders/webshop/WS-1", headers=auth()).get_json()["state"] == "open"


def test_an_events_cursor_beyond_any_event_reads_an_empty_page(api, store_hub):   # noqa: F811
    placed(store_hub)
    for after in (2**31 - 1, 2**31, 999_999_999_999_999_999):
        got = api.get(f"/api/v1/events?after={after}", headers=auth())
        assert got.status_code == 200, got.get_json()
        assert got.get_json() == {"events": [], "next_after": after, "has_more": False}


def test_hostile_ids_in_a_file_of_changes_refuse_their_record_alone(store_hub, tmp_path):
    placed(store_hub)
    good = {"channel": "webshop", "channel_order_id": "WS-1", "change_id": "GOOD",
            "lines": [{"line_id": "1", "quantity": 1}]}
    f = tmp_path / "changes.jsonl"
    f.write_text("\n".join([
        json.dumps({**good, "channel_order_id": "WS-1\u0000", "change_id": "C1"}),
        json.dumps({**good, "change_id": "C\ud800"}),
        json.dumps({**good, "change_id": "C\u0000"}),
        json.dumps({**good, "channel": "w" * 100, "change_id": "C4"}),
        json.dumps({**good, "channel_order_id": "WS-1\ud800", "change_id": "C5"}),
        json.dumps(good),
    ]) + "\n")
    report = store_hub.change_file(f)
    said = [(r.source, r.status) for r in report.results]
    assert said == [("changes.jsonl line 1", "not_found"), ("changes.jsonl line 2", "invalid"),
                    ("changes.jsonl line 3", "invalid"), ("changes.jsonl line 4", "invalid"),
                    ("changes.jsonl line 5", "not_found"), ("changes.jsonl line 6", "created")]
    assert report.results[0].message == ("changes.jsonl line 1: change C1 of order webshop/WS-1\\x00: "
                                         "not_found: no order webshop/WS-1\\x00")
    assert report.results[1].message.startswith("changes.jsonl line 2: change C\\ud800 of order webshop/WS-1: "
                                                 "invalid: change_id: is not valid Unicode")
    kept = open_incidents(store_hub, "change.refused_record")
    assert [json.loads(k["detail"])["source"] for k in kept] == [f"changes.jsonl line {n}" for n in range(1, 6)]
    assert kept[3]["channel"] == "w" * 37 + "..."


def test_a_record_that_breaks_on_the_way_is_refused_alone(hub, tmp_path, monkeypatch):
    placed(hub)
    from hub.services import change_files
    real = change_files.request_change

    def breaks_on_boom(h, channel, order_id, data, *rest):
        if data["change_id"] == "BOOM":
            raise RuntimeError("the mapping broke\nsecond line")
        return real(h, channel, order_id, data, *rest)
    monkeypatch.setattr(change_files, "request_change", breaks_on_boom)
    f = tmp_path / "changes.jsonl"
    f.write_text("".join(json.dumps({"channel": "webshop", "channel_order_id": "WS-1", "change_id": cid,
                                     "lines": [{"line_id": "1", "quantity": 1}]}) + "\n"
                         for cid in ("BOOM", "GOOD")))
    report = hub.change_file(f)
    assert [(r.change_id, r.status) for r in report.results] == [("BOOM", "invalid"), ("GOOD", "created")]
    assert report.results[0].problems == ["could not be carried out (RuntimeError: the mapping broke)"]
    assert not report.ok
    [kept] = open_incidents(hub, "change.refused_record")
    assert "could not be carried out" in kept["message"]


def test_an_order_shipped_in_full_takes_no_change(api, store_hub):   # noqa: F811
    po = sent_po(store_hub)
    n = po["po_number"]
    accept_all(store_hub, po, 301)
    receive(store_hub, x12("856", "SH", ["BSN*00*S1*20261126*0900", "HL*1**S", "TD5*B*2*UPSN", "HL*2*1*O",
                                         f"PRF*{n}", "HL*3*2*I", "LIN*1", "SN1**4*EA", "HL*4*2*I", "LIN*2",
                                         "SN1**2*EA"], 302))
    before = api.get("/api/v1/orders/webshop/WS-1", headers=auth()).get_json()
    assert before["state"] == "shipped"
    for n, asked in enumerate([{"cancel": True}, {"lines": [{"line_id": "1", "quantity": 0}]},
                               {"lines": [{"line_id": "1", "quantity": 5}]},
                               {"ship_to": {"name": "Ann Lee", "address1": "9 Pine Road", "city": "Salem",
                                            "country": "US"}},
                               {"requested_delivery_date": "2026-12-24"}]):
        got = api.post("/api/v1/orders/webshop/WS-1/changes", json={"change_id": f"C{n}", **asked}, headers=auth())
        assert got.status_code == 422, (asked, got.get_json())
        assert got.get_json()["problems"] == ["order: webshop/WS-1 has shipped in full: nothing about it can "
                                              "change any more (a return is not a change; more units are a new "
                                              "order)"]
    with store_hub.uow(readonly=True) as uow:
        order_now = uow.repo.find_order("webshop", "WS-1")
        assert (order_now.ship_to.city, order_now.requested_delivery) == ("Austin", None)
        assert len(uow.repo.purchase_orders_of(order_now.id)) == 1    # no purchase order for more units
    assert open_incidents(store_hub, "state.illegal_transition") == []
    assert api.get("/api/v1/orders/webshop/WS-1", headers=auth()).get_json() == before

"""POST /api/v1/orders/<channel>/<id>/changes through Flask's test client: tokens, JSON only,
idempotent on the change_id, 409 for other content, 422 with every problem's path."""

from __future__ import annotations

import json

import pytest

from tests.integration.test_api import OTHER, app, auth, client  # noqa: F401  (fixtures)
from tests.integration.test_intake import order

URL = "/api/v1/orders/webshop/WS-1/changes"


@pytest.fixture
def placed(client):   # noqa: F811
    assert client.post("/api/v1/orders", json=order(), headers=auth()).status_code == 201
    return client


def test_a_change_is_taken_then_answered_the_same_again(placed):
    body = {"change_id": "C1", "lines": [{"line_id": "1", "quantity": 1}]}
    first = placed.post(URL, json=body, headers=auth())
    assert first.status_code == 201
    view = first.get_json()
    assert (view["channel"], view["channel_order_id"], view["change_id"]) == ("webshop", "WS-1", "C1")
    assert view["lines"] == [{"line_id": "1", "sku": "CHAIR-ERGO-BLK", "before": 2, "requested": 1, "after": 1,
                              "refused": 0, "note": ""}]
    assert [(p["supplier"], p["mode"], p["state"]) for p in view["purchase_orders"]] == [
        ("acme", "replaced", "applied")]     # the PO had not left: its document was replaced
    assert view["state"] == "accepted"
    again = placed.post(URL, json=body, headers=auth())
    assert again.status_code == 200 and again.get_json() == view
    order_now = placed.get("/api/v1/orders/webshop/WS-1", headers=auth()).get_json()
    line = order_now["lines"][0]
    assert (line["quantities"]["ordered"], line["quantities"]["cancelled"], line["state"]) == (2, 1, "open")
    # The channel hears of it once, in the events feed (and its webhooks), not at the repeat.
    events = placed.get("/api/v1/events", headers=auth()).get_json()["events"]
    told = [(e["type"], [(ln["line_id"], ln["quantity"]) for ln in e["lines"]]) for e in events]
    assert told == [("order.cancelled", [("1", 1)])]


def test_other_content_under_the_same_change_id_is_409(placed):
    placed.post(URL, json={"change_id": "C1", "cancel": True}, headers=auth())
    resp = placed.post(URL, json={"change_id": "C1", "lines": [{"line_id": "1", "cancel": True}]},
                       headers=auth())
    assert resp.status_code == 409
    assert resp.get_json()["message"] == ("change C1 was already taken with different content (cancel, "
                                          "lines); send a new change_id for a new change")


def test_problems_are_422_with_their_paths(placed):
    resp = placed.post(URL, json={"change_id": "C1", "lines": [{"line_id": "7", "quantity": 2},
                                                               {"line_id": "1", "quantity": "many"}]},
                       headers=auth())
    assert resp.status_code == 422
    assert resp.get_json()["problems"] == ["lines[1].quantity: must be a whole number, got 'many'"]
    resp = placed.post(URL, json={"change_id": "C2", "lines": [{"line_id": "7", "quantity": 2}]},
                       headers=auth())
    assert resp.status_code == 422
    assert resp.get_json()["problems"] == ["lines[0].line_id: order webshop/WS-1 has no line '7' (lines: 1, 2)"]
    resp = placed.post(URL, json={"change_id": "C3", "channel_order_id": "WS-2", "cancel": True},
                       headers=auth())
    assert resp.get_json()["problems"] == ["channel_order_id: is 'WS-2' but the change is for 'WS-1'"]


@pytest.mark.parametrize("headers, data, status, error", [
    ({"Content-Type": "text/plain"}, b'{"change_id": "C1", "cancel": true}', 415, "unsupported_media_type"),
    ({"Content-Type": "application/json"}, b"{not json", 400, "invalid_json"),
    ({}, b"", 415, "unsupported_media_type"),
])
def test_only_json_is_read(placed, headers, data, status, error):
    resp = placed.post(URL, data=data, headers={**auth(), **headers})
    assert (resp.status_code, resp.get_json()["error"]) == (status, error)
    assert "change" in resp.get_json()["message"] or status == 400


def test_tokens_and_orders(placed):
    body = json.dumps({"change_id": "C1", "cancel": True})
    assert placed.post(URL, data=body, content_type="application/json").status_code == 401
    other = placed.post(URL, data=body, content_type="application/json", headers=auth(OTHER))
    assert (other.status_code, other.get_json()["error"]) == (403, "wrong_channel")
    missing = placed.post("/api/v1/orders/webshop/WS-404/changes", data=body, content_type="application/json",
                          headers=auth())
    assert (missing.status_code, missing.get_json()["message"]) == (404, "no order webshop/WS-404")

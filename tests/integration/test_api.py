"""The order API: bearer tokens per channel, idempotent POST, 409/422/413, GET by channel id."""

from __future__ import annotations

import dataclasses
import http.client
import json
import threading

import pytest
from werkzeug.serving import make_server

from tests.integration.test_intake import order
from web import create_app

TOKEN = "webshop-token-0123456789"
OTHER = "phone-channel-token-9876543210"


@pytest.fixture
def app(hub):
    # Give the demo's phone channel a token too, to check one channel can't act for another.
    hub.settings.channels["phone"] = dataclasses.replace(hub.settings.channels["phone"],
                                                         token_env="PHONE_TOKEN")
    return create_app(hub=hub, environ={"EDIHUB_TOKEN_WEBSHOP": TOKEN, "PHONE_TOKEN": OTHER,
                                        "EDIHUB_SECRET_KEY": "x" * 32})


@pytest.fixture
def client(app):
    return app.test_client()


def auth(token: str = TOKEN) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_post_creates_then_repeats_idempotently(client):
    first = client.post("/api/v1/orders", json=order(), headers=auth())
    assert first.status_code == 201
    assert first.headers["Location"].endswith("/api/v1/orders/webshop/WS-1")
    body = first.get_json()
    assert body["state"] == "open"      # with its suppliers, not yet answered
    assert [ln["suppliers"] for ln in body["lines"]] == [["acme"], ["initech"]]
    again = client.post("/api/v1/orders", json=order(), headers=auth())
    assert again.status_code == 200
    assert again.get_json() == body


def test_channel_may_be_left_out_the_token_names_it(client):
    o = order()
    del o["channel"]
    assert client.post("/api/v1/orders", json=o, headers=auth()).status_code == 201


def test_get_returns_state_lines_and_their_suppliers(client):
    client.post("/api/v1/orders", json=order(), headers=auth())
    resp = client.get("/api/v1/orders/webshop/WS-1", headers=auth())
    assert resp.status_code == 200
    lines = resp.get_json()["lines"]
    assert [(ln["sku"], ln["suppliers"]) for ln in lines] == [
        ("CHAIR-ERGO-BLK", ["acme"]), ("LAMP-LED-WHT", ["initech"])]
    assert "incidents" not in resp.get_json()  # internal matters stay internal


def test_conflicting_duplicate_is_409_with_the_difference(client):
    client.post("/api/v1/orders", json=order(), headers=auth())
    changed = order()
    changed["ship_to"]["city"] = "Dallas"
    resp = client.post("/api/v1/orders", json=changed, headers=auth())
    assert resp.status_code == 409
    assert "ship_to.city" in resp.get_json()["message"]


@pytest.mark.parametrize("body, status, needle", [
    (b"{not json", 400, "not JSON"),
    (b"[1, 2]", 400, "one JSON object"),
    (json.dumps(order(currency="US")).encode(), 422, "currency: must be an ISO 4217 code"),
    (json.dumps({**order(), "lines": []}).encode(), 422, "lines: must be a non-empty list"),
])
def test_bad_bodies_get_clear_errors(client, body, status, needle):
    resp = client.post("/api/v1/orders", data=body, headers={**auth(), "Content-Type": "application/json"})
    assert resp.status_code == status
    assert needle in json.dumps(resp.get_json())


def _with_text(path: tuple, text: str) -> dict:
    o = order(channel_order_id="WS-T")
    target = o
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = text
    return o


@pytest.mark.parametrize("body, status, needle", [
    (b"[" * 100_000, 400, "its JSON is nested too deeply"),
    (b'{"lines": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", 400, "its JSON is nested too deeply"),
    (json.dumps(order(placed_at="9999-12-31T23:59:59-23:59")).encode(), 422,
     "placed_at: '9999-12-31T23:59:59-23:59' lies outside the years 1 to 9999 once converted to UTC"),
    (json.dumps(order(placed_at="0001-01-01T00:00:00+01:00")).encode(), 422,
     "placed_at: '0001-01-01T00:00:00+01:00' lies outside the years 1 to 9999"),
    (json.dumps(_with_text(("customer", "name"), "Ann \ud800")).encode(),
     422, "customer.name: is not valid Unicode: it holds a lone surrogate (\\ud800)"),
    (json.dumps(_with_text(("lines", 0, "sku"), "\udfff")).encode(),
     422, "lines[0].sku: is not valid Unicode"),
    (json.dumps({**order(), "\ud800": 1}).encode(), 422, "\\ud800: unknown field"),
    (json.dumps(_with_text(("ship_to", "city"), "Aus\x85tin")).encode(), 422,
     "ship_to.city: contains control characters"),
    (json.dumps(order(currency="dollars")).encode(), 422, "got 'dollars'"),
])
def test_hostile_bodies_are_refused_not_crashed(client, hub, body, status, needle):
    resp = client.post("/api/v1/orders", data=body, headers={**auth(), "Content-Type": "application/json"})
    assert resp.status_code == status
    said = resp.get_json()
    assert needle in " ".join(said.get("problems", [said["message"]]))
    with hub.uow(readonly=True) as uow:  # nothing half-stored; a refused order is an Incident
        assert uow.repo.find_order("webshop", "WS-T") is None


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded",
                                          "application/json; charset=latin-1"])
def test_a_body_that_is_not_json_in_utf8_is_415(client, content_type):
    headers = {**auth(), **({"Content-Type": content_type} if content_type else {})}
    resp = client.post("/api/v1/orders", data=json.dumps(order()), headers=headers)
    assert resp.status_code == 415
    assert resp.get_json()["error"] == "unsupported_media_type"
    assert "Content-Type: application/json" in resp.get_json()["message"] or "UTF-8" in \
        resp.get_json()["message"]


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8",
                                          "Application/JSON; charset=UTF-8"])
def test_a_charset_parameter_of_utf8_is_fine(client, content_type):
    resp = client.post("/api/v1/orders", data=json.dumps(order()),
                       headers={**auth(), "Content-Type": content_type})
    assert resp.status_code == 201


def test_tokens_are_required_and_bound_to_their_channel(client):
    assert client.post("/api/v1/orders", json=order()).status_code == 401
    assert client.post("/api/v1/orders", json=order(), headers=auth("wrong-token-000000000")).status_code == 401
    assert client.post("/api/v1/orders", json=order(), headers=auth(OTHER)).status_code == 403
    client.post("/api/v1/orders", json=order(), headers=auth())
    assert client.get("/api/v1/orders/webshop/WS-1", headers=auth(OTHER)).status_code == 403
    assert client.get("/api/v1/orders/webshop/WS-404", headers=auth()).status_code == 404


def test_body_over_the_limit_is_413(app):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    resp = app.test_client().post("/api/v1/orders", data=b"x" * 4096,
                                  headers={**auth(), "Content-Type": "application/json"})
    assert resp.status_code == 413
    assert resp.get_json()["error"] == "request_entity_too_large"


def test_over_real_http(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=10)
        conn.request("POST", "/api/v1/orders", body=json.dumps(order()),
                     headers={**auth(), "Content-Type": "application/json"})
        resp = conn.getresponse()
        assert resp.status == 201
        assert json.loads(resp.read())["channel_order_id"] == "WS-1"
    finally:
        server.shutdown()


def test_health_needs_no_token_and_checks_the_store(client, hub, monkeypatch):
    assert client.get("/healthz").get_json() == {"status": "ok", "worker": None}
    # The store's file disappears from under a running hub: health says so.
    from sqlalchemy import create_engine
    monkeypatch.setattr(hub, "engine", create_engine("sqlite:////proc/no-such-dir/edihub.db"))
    resp = client.get("/healthz")
    assert resp.status_code == 503 and resp.get_json() == {"status": "store unavailable"}

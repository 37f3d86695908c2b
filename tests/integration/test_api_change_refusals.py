"""Changes the API refuses (422, 409, 404), on SQLite and PostgreSQL: each is an Incident
keeping what was sent, filed once however often the channel sends it again, and shown in the
console's list of Incidents."""

from __future__ import annotations

import json

from sqlalchemy import select

from hub.adapters import tables as t
from hub.services.users import add_user
from tests.integration.test_channel_api import TOKEN, api, auth  # noqa: F401  (fixture)
from tests.integration.test_console import PASSWORD, signed_in
from tests.integration.test_intake import order
from web import create_app

URL = "/api/v1/orders/webshop/WS-1/changes"


def kept(hub) -> list[dict]:
    i = t.incidents
    with hub.uow(readonly=True) as uow:
        return [dict(r) for r in uow.conn.execute(
            select(i.c.code, i.c.message, i.c.detail, i.c.occurrences, i.c.order_id, i.c.channel)
            .where(i.c.code == "change.refused_record").order_by(i.c.id)).mappings()]


def test_refused_changes_are_incidents_once_each(api, store_hub):  # noqa: F811
    assert api.post("/api/v1/orders", json=order(), headers=auth()).status_code == 201
    bad = json.dumps({"change_id": "C1", "lines": [{"line_id": "7", "quantity": 2}], "note": "x" * 10_000})
    for _ in range(3):
        assert api.post(URL, data=bad, content_type="application/json", headers=auth()).status_code == 422
    [invalid] = kept(store_hub)
    assert invalid["occurrences"] == 3 and invalid["channel"] == "webshop" and invalid["order_id"] is not None
    assert invalid["message"].startswith("api: change C1 of order webshop/WS-1: invalid: ")
    detail = json.loads(invalid["detail"])
    assert detail["raw"] == bad[:4096] and detail["source"] == "api"
    # A channel reusing a change_id for other content; changes for an order the hub does not know.
    assert api.post(URL, json={"change_id": "C2", "cancel": True}, headers=auth()).status_code == 201
    for _ in range(2):
        other = api.post(URL, json={"change_id": "C2", "lines": [{"line_id": "1", "quantity": 1}]}, headers=auth())
        assert other.status_code == 409
        for change_id in ("C3", "C4"):
            missing = api.post("/api/v1/orders/webshop/WS-404/changes", json={"change_id": change_id, "cancel": True},
                               headers=auth())
            assert missing.status_code == 404
    _, conflict, unknown = kept(store_hub)
    assert (conflict["occurrences"], unknown["occurrences"]) == (2, 4)
    assert conflict["message"] == ("api: change C2 of order webshop/WS-1: conflict: change C2 was already taken "
                                   "with different content (cancel, lines); send a new change_id for a new change")
    assert unknown["message"].startswith("api: change C") and unknown["message"].endswith(
        "of order webshop/WS-404: not_found: no order webshop/WS-404")
    # A change taken, and the same again, file nothing.
    assert api.post(URL, json={"change_id": "C2", "cancel": True}, headers=auth()).status_code == 200
    assert len(kept(store_hub)) == 3
    # The console lists them.
    add_user(store_hub.context, "vic", "viewer", PASSWORD)
    console = signed_in(create_app(hub=store_hub, environ={"EDIHUB_TOKEN_WEBSHOP": TOKEN, "EDIHUB_SECRET_KEY": "s" * 32,
                                                           "EDIHUB_COOKIE_SECURE": "0"}), "vic")
    page = console.get("/incidents/?kind=change.refused_record")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "change.refused_record" in text
    assert "no order webshop/WS-404" in text and "was already taken with different content" in text
